"""Building the tagging reader and model of the real configs on the tiny transformers."""

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from allennlp.common import Params
from allennlp.data import Batch, DatasetReader, Instance, Vocabulary
from allennlp.models import Model

from tests import CONFIGS_ROOT, XTREME_DATA


def config(
    task: str, method: str = "baseline", transformer: Optional[Path] = None
) -> Dict[str, Any]:
    """The config `training_configs/{task}_{method}.jsonnet` (the XLT_* variables of conftest)."""
    params = Params.from_file(str(CONFIGS_ROOT / f"{task}_{method}.jsonnet")).as_dict()
    if transformer is not None:
        for part in (
            params["dataset_reader"]["token_indexers"]["tokens"],
            params["model"]["text_field_embedder"]["token_embedders"]["tokens"],
        ):
            part["model_name"] = str(transformer)
    return params


def reader_and_model(
    task: str, transformer: Optional[Path] = None, max_length: Optional[int] = None
) -> Tuple[DatasetReader, Model, List[Instance]]:
    """The baseline config's reader and model, its vocabulary from English train."""
    params = config(task, transformer=transformer)
    if max_length is not None:
        params["dataset_reader"]["token_indexers"]["tokens"]["max_length"] = max_length
        params["model"]["text_field_embedder"]["token_embedders"]["tokens"][
            "max_length"
        ] = max_length
    reader = DatasetReader.from_params(Params(params["dataset_reader"]))
    instances = list(reader.read(XTREME_DATA / task / "train-en.tsv"))
    vocabulary = Vocabulary.from_instances(instances)
    model = Model.from_params(vocab=vocabulary, params=Params(params["model"]))
    return reader, model, instances


def tensors(reader: DatasetReader, model: Model, instances: List[Instance]) -> Dict[str, Any]:
    for instance in instances:
        reader.apply_token_indexers(instance)
    batch = Batch(instances)
    batch.index_instances(model.vocab)
    return batch.as_tensor_dict()
