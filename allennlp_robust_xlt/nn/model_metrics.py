"""
`preserved_metrics(model)`: extra forward passes with labels (an adversary's, a vote's, an
attack's) would also update the model's metrics (accuracy...). Inside this context manager they
do not: the state of every `Metric` of the model is restored on exit.
"""

import copy
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List

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


@contextmanager
def preserved_metrics(model: torch.nn.Module) -> Iterator[None]:
    """Forward passes inside the block leave the model's metrics as they were."""
    saved = [(metric, copy.deepcopy(metric.__dict__)) for metric in model_metrics(model)]
    try:
        yield
    finally:
        for metric, state in saved:
            metric.__dict__.clear()
            metric.__dict__.update(state)
