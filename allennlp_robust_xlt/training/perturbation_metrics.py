"""
`PerturbationMetrics`: training metrics of the embedding-perturbation callbacks (the adversarial
loss, the clean loss where it is computed, the mean perturbation norm), shown wherever AllenNLP
shows the model's own training metrics. Nothing here is registered.

AllenNLP 2.10's `GradientDescentTrainer` collects its training metrics in one place:
`training_util.get_metrics(model, ...)`, which calls `model.get_metrics(reset)` after every
batch (its result is the progress bar's description and the `batch_metrics` handed to every
callback's `on_batch`: the `console_logger`, `tensorboard` and `wandb` callbacks log them as
`batch_<name>`) and at the end of the epoch (the epoch's `training_<name>` in the metrics the
`on_epoch` callbacks, `metrics.json` and `metrics_epoch_N.json` get). So while installed (from a
callback's `on_start` to its `on_end`), the model's `get_metrics` is wrapped by an attribute of
the model object (never of its class, and never saved: archives hold the weights only) that adds
these averages to the model's metrics whenever the model is in training mode (validation, which
runs in eval mode, reports the model's metrics only). The trainer itself is not touched.

Each metric is the mean over the training batches of the epoch so far of one value per batch
(reset with the model's metrics at the end of the epoch); a metric with no value yet this epoch
(e.g. the adversarial loss during a clean warm-up) is left out. In distributed training the sums
are all-reduced, once per `get_metrics` call, like AllenNLP's own metrics.
"""

from typing import Any, Callable, Dict, List, Optional

import torch
from allennlp.common.util import is_distributed
from allennlp.models import Model

GetMetrics = Callable[..., Dict[str, Any]]


class PerturbationMetrics:
    """
    # Parameters

    names : `List[str]`
        The metrics that may be reported, in the order they are shown.
    """

    def __init__(self, names: List[str]) -> None:
        self.names = list(names)
        self._sums = {name: 0.0 for name in self.names}
        self._counts = {name: 0 for name in self.names}
        self._model: Optional[Model] = None
        self._wrapper: Optional[GetMetrics] = None
        self._previous: Optional[GetMetrics] = None

    def add(self, name: str, value: float) -> None:
        """One batch's value of metric `name`."""
        self._sums[name] += float(value)
        self._counts[name] += 1

    def reset(self) -> None:
        for name in self.names:
            self._sums[name] = 0.0
            self._counts[name] = 0

    def averages(self, reset: bool = False) -> Dict[str, float]:
        """The mean of each metric that has values (summed over the distributed workers)."""
        sums = [self._sums[name] for name in self.names]
        counts = [float(self._counts[name]) for name in self.names]
        if is_distributed():
            totals = torch.tensor(sums + counts, dtype=torch.float64)
            if torch.distributed.get_backend() == "nccl":
                totals = totals.cuda()
            torch.distributed.all_reduce(totals)
            values = totals.cpu().tolist()
            sums, counts = values[: len(self.names)], values[len(self.names) :]
        if reset:
            self.reset()
        return {
            name: total / count for name, total, count in zip(self.names, sums, counts) if count > 0
        }

    # -- reporting through the model's get_metrics ---------------------------------------------

    def install(self, model: Model) -> None:
        """Adds the averages to `model.get_metrics()` in training mode, until `uninstall()`."""
        self.uninstall()
        previous = model.__dict__.get("get_metrics")
        inner: GetMetrics = model.get_metrics

        def get_metrics(reset: bool = False) -> Dict[str, Any]:
            metrics = inner(reset=reset)
            if self._wrapper is get_metrics and model.training:
                metrics.update(self.averages(reset=reset))
            return metrics

        model.get_metrics = get_metrics  # type: ignore[assignment]
        self._model, self._wrapper, self._previous = model, get_metrics, previous
        self.reset()

    def uninstall(self) -> None:
        model, wrapper, previous = self._model, self._wrapper, self._previous
        self._model = self._wrapper = self._previous = None
        if model is None:
            return
        if model.__dict__.get("get_metrics") is wrapper:
            if previous is None:
                del model.get_metrics
            else:
                model.get_metrics = previous  # type: ignore[assignment]
        # Otherwise something wrapped ours since: it stays, and ours passes the metrics through.
