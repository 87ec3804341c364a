"""
`preserved_metrics(model)`: extra forward passes with labels (an adversary's, a vote's, an
attack's) would also update the model's metrics (accuracy...). Inside this context manager they
do not: the state of every `Metric` of the model is restored on exit.

`MetricStates(model)`: a second, separate set of the model's metric states (e.g. an attack
evaluator's metrics under attack beside the clean ones): passes inside `with states.counting():`
update it, and leave the model's own states as they were.
"""

import copy
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Tuple

import torch
from allennlp.training.metrics.metric import Metric


def model_metrics(model: torch.nn.Module) -> List[Metric]:
    """Every `Metric` held by a module of `model` (directly, or in a dict/list attribute)."""
    found: Dict[int, Metric] = {}
    for module in model.modules():
        for value in vars(module).values():
            if isinstance(value, Metric):
                candidates: List[Any] = [value]
            elif isinstance(value, dict):
                candidates = list(value.values())
            elif isinstance(value, (list, tuple)):
                candidates = list(value)
            else:
                continue
            for candidate in candidates:
                if isinstance(candidate, Metric):
                    found.setdefault(id(candidate), candidate)
    return list(found.values())


MetricState = List[Tuple[Metric, Dict[str, Any]]]


def capture_metric_states(metrics: List[Metric]) -> MetricState:
    return [(metric, copy.deepcopy(metric.__dict__)) for metric in metrics]


def restore_metric_states(states: MetricState) -> None:
    for metric, state in states:
        metric.__dict__.clear()
        metric.__dict__.update(copy.deepcopy(state))


@contextmanager
def preserved_metrics(model: torch.nn.Module) -> Iterator[None]:
    """Forward passes inside the block leave the model's metrics as they were."""
    saved = capture_metric_states(model_metrics(model))
    try:
        yield
    finally:
        restore_metric_states(saved)


class MetricStates:
    """A separate set of `model`'s metric states, starting reset (see the module docstring)."""

    def __init__(self, model: torch.nn.Module) -> None:
        self._metrics = model_metrics(model)
        own = capture_metric_states(self._metrics)
        for metric in self._metrics:
            metric.reset()
        self._states = capture_metric_states(self._metrics)
        restore_metric_states(own)

    @contextmanager
    def counting(self) -> Iterator[None]:
        """Passes inside the block update this set, not the model's own states."""
        own = capture_metric_states(self._metrics)
        restore_metric_states(self._states)
        try:
            yield
        finally:
            self._states = capture_metric_states(self._metrics)
            restore_metric_states(own)
