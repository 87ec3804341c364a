from typing import Dict, Mapping, Optional

from allennlp.data.data_loaders.data_loader import DataLoader
from allennlp.data.data_loaders.multitask_epoch_sampler import MultiTaskEpochSampler

from allennlp_robust_xlt.common.errors import ParameterError

NAME = "temperature"


@MultiTaskEpochSampler.register(NAME)
class TemperatureSampler(MultiTaskEpochSampler):
    """
    Registered as a `MultiTaskEpochSampler` with name "temperature".

    Temperature-scaled proportions, as multilingual pre-training and multi-source fine-tuning
    mix their languages (Conneau et al. 2020; Arivazhagan et al. 2019): dataset `i` of size
    `n_i` is drawn with probability proportional to `n_i ** (1 / temperature)`. Temperature 1 is
    AllenNLP's `proportional` sampler; larger temperatures move towards `uniform`. Used by
    AllenNLP's `multitask` data loader together with its `instances_per_epoch`.

    # Parameters

    temperature : `float`, optional (default = `1.0`)
        Positive.
    sizes : `Dict[str, int]`, optional (default = `None`)
        The datasets' sizes. By default the length of each dataset's data loader (which reads a
        lazy dataset once to count it).
    """

    def __init__(self, temperature: float = 1.0, sizes: Optional[Dict[str, int]] = None) -> None:
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise ParameterError(NAME, "temperature", f"must be a number, got {temperature!r}")
        if not temperature > 0:
            raise ParameterError(NAME, "temperature", f"must be positive, got {temperature!r}")
        self.temperature = float(temperature)
        self.sizes = dict(sizes) if sizes is not None else None

    def get_task_proportions(self, data_loaders: Mapping[str, DataLoader]) -> Dict[str, float]:
        if self.sizes is not None:
            missing = [key for key in data_loaders if key not in self.sizes]
            if missing:
                raise ParameterError(NAME, "sizes", f"has no size for the datasets {missing}")
            sizes = {key: self.sizes[key] for key in data_loaders}
        else:
            sizes = {key: len(loader) for key, loader in data_loaders.items()}
        weights = {key: float(size) ** (1.0 / self.temperature) for key, size in sizes.items()}
        total = sum(weights.values())
        return {key: weight / total for key, weight in weights.items()}
