"""
What the attack evaluators share (`embedding_attack`, `synonym_attack`; nothing here is
registered): robust accuracy, i.e. a model's own metrics on each test instance and on that
instance under an attack, from one `allennlp evaluate` (or `xtreme-report --attack`) run.

An attack evaluator goes through the test data batch by batch. For each batch, its attack runs
the model on the clean batch (whose outputs update the model's metrics and `loss`, as AllenNLP's
`simple` evaluator does), searches for the perturbation that maximizes the model's loss (passes
that update no metric), and runs the model once more on the attacked batch, which updates a
second, separate set of the model's metric states (`nn/model_metrics.py`'s `MetricStates`).
The result has the clean metrics under their own names (`accuracy`, `loss`, or a tagger's
token accuracy and F1, QA's EM and F1...) and the same metrics under attack prefixed
`attacked_` (`attacked_accuracy`, `attacked_loss`, ...), so any model that computes a loss from
its gold labels and reports metrics through `get_metrics()` can be attacked, whatever its task.
Each attack adds its own statistics (e.g. the mean perturbation norm).

With `--predictions-output-file` (and in `xtreme-report`'s `per_example/`), a model that has
`per_example_results(batch, output_dict)` (see `evaluation/per_example.py`) gets one JSON line
per example: its clean result, plus every field of its attacked result that is not an
identifier (`id`, `language`, `label`) prefixed `attacked_` (e.g. `attacked_correct`); other
models get the evaluator's serializer's lines for the attacked batches.
"""

import json
import logging
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, TextIO, Tuple, Union

import torch
from allennlp.common.checks import check_for_gpu
from allennlp.common.tqdm import Tqdm
from allennlp.common.util import dump_metrics
from allennlp.data import DataLoader
from allennlp.evaluation.evaluator import Evaluator
from allennlp.evaluation.serializers.serializers import Serializer
from allennlp.models import Model

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.model_metrics import MetricStates

logger = logging.getLogger(__name__)

ATTACKED_PREFIX = "attacked_"
IDENTIFIER_FIELDS = ("id", "language", "label")


@dataclass
class AttackOutcome:
    """One batch: the clean and the attacked batch and model outputs, and the attack's statistics."""

    clean_batch: Dict[str, Any]
    clean_output: Dict[str, Any]
    attacked_batch: Dict[str, Any]
    attacked_output: Dict[str, Any]
    statistics: Dict[str, Tuple[float, int]] = field(default_factory=dict)
    """`name -> (sum, count)`: averaged over the whole evaluation."""


class AttackEvaluator(Evaluator):
    """
    The base of the attack evaluators: subclasses implement `items` (what one attack step
    works on, e.g. a batch of the data loader) and `attack` (runs the passes of one item and
    returns an `AttackOutcome`; the clean pass runs normally, the attacked pass inside
    `self.attacked_metrics.counting()`, the search's passes inside `preserved_metrics`).
    """

    component = "attack"
    writes_per_example_results = True  # read by xtreme-report

    def __init__(
        self,
        batch_serializer: Optional[Serializer] = None,
        cuda_device: Union[int, torch.device] = -1,
        postprocessor_fn_name: str = "make_output_human_readable",
    ) -> None:
        super().__init__(batch_serializer, cuda_device, postprocessor_fn_name)
        self.attacked_metrics: Optional[MetricStates] = None

    # -- to implement ------------------------------------------------------------------------

    def items(self, model: Model, data_loader: DataLoader) -> Iterator[Any]:
        raise NotImplementedError

    def attack(self, model: Model, item: Any) -> Optional[AttackOutcome]:
        """The passes of one item (`None`: nothing to evaluate in it)."""
        raise NotImplementedError

    # -- the evaluation ----------------------------------------------------------------------

    def __call__(
        self,
        model: Model,
        data_loader: DataLoader,
        batch_weight_key: Optional[str] = None,
        metrics_output_file: Optional[Union[str, PathLike]] = None,
        predictions_output_file: Optional[Union[str, PathLike]] = None,
    ) -> Dict[str, Any]:
        check_for_gpu(self.cuda_device)
        model.eval()
        model.get_metrics(reset=True)
        self.attacked_metrics = MetricStates(model)
        losses = {"clean": [0.0, 0.0], "attacked": [0.0, 0.0]}
        statistics: Dict[str, List[float]] = {}
        postprocess = getattr(model, self.postprocessor_fn_name, None)
        predictions: Optional[TextIO] = (
            open(predictions_output_file, "w", encoding="utf-8")
            if predictions_output_file is not None
            else None
        )
        try:
            progress = Tqdm.tqdm(self.items(model, data_loader))
            for item in progress:
                outcome = self.attack(model, item)
                if outcome is None:
                    continue
                for kind, output in (
                    ("clean", outcome.clean_output),
                    ("attacked", outcome.attacked_output),
                ):
                    loss = output.get("loss")
                    if loss is None:
                        raise ParameterError(
                            self.component,
                            "model",
                            f"{type(model).__name__} computed no loss on this data (no gold"
                            " labels?); an attack maximizes the model's loss",
                        )
                    weight = float(output[batch_weight_key]) if batch_weight_key else 1.0
                    losses[kind][0] += float(loss) * weight
                    losses[kind][1] += weight
                for name, (total, count) in outcome.statistics.items():
                    sums = statistics.setdefault(name, [0.0, 0.0])
                    sums[0] += total
                    sums[1] += count
                if predictions is not None:
                    self._write_predictions(model, outcome, predictions, data_loader, postprocess)
                clean_accuracy = model.get_metrics().get("accuracy")
                if clean_accuracy is not None:
                    progress.set_description(f"accuracy: {clean_accuracy:.2f}", refresh=False)
        finally:
            if predictions is not None:
                predictions.close()
        metrics: Dict[str, Any] = dict(model.get_metrics(reset=True))
        with self.attacked_metrics.counting():
            attacked = model.get_metrics(reset=True)
        if losses["clean"][1] > 0:
            metrics["loss"] = losses["clean"][0] / losses["clean"][1]
        for name, value in attacked.items():
            metrics[ATTACKED_PREFIX + name] = value
        if losses["attacked"][1] > 0:
            metrics[ATTACKED_PREFIX + "loss"] = losses["attacked"][0] / losses["attacked"][1]
        for name, (total, count) in statistics.items():
            metrics[name] = total / count if count else 0.0
        if metrics_output_file is not None:
            dump_metrics(str(Path(metrics_output_file)), metrics, log=True)
        return metrics

    def _write_predictions(
        self,
        model: Model,
        outcome: AttackOutcome,
        predictions: TextIO,
        data_loader: DataLoader,
        postprocess: Any,
    ) -> None:
        per_example = getattr(model, "per_example_results", None)
        if per_example is None:
            predictions.write(
                self.batch_serializer(
                    outcome.attacked_batch,
                    outcome.attacked_output,
                    data_loader,
                    output_postprocess_function=postprocess,
                )
                + "\n"
            )
            return
        clean = per_example(outcome.clean_batch, outcome.clean_output)
        attacked = per_example(outcome.attacked_batch, outcome.attacked_output)
        for clean_result, attacked_result in zip(clean, attacked):
            line = dict(clean_result)
            for key, value in attacked_result.items():
                if key not in IDENTIFIER_FIELDS:
                    line[ATTACKED_PREFIX + key] = value
            predictions.write(json.dumps(line, ensure_ascii=False) + "\n")


def check_number(
    component: str, parameter: str, value: Any, minimum: float = 0.0, strict: bool = False
) -> float:
    """`value` as a float if it is a finite number `>= minimum` (`> minimum` if `strict`)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = value == value and value not in (float("inf"), float("-inf"))
        ok = ok and (value > minimum if strict else value >= minimum)
    if not ok:
        relation = ">" if strict else ">="
        raise ParameterError(
            component, parameter, f"must be a finite number {relation} {minimum:g}, got {value!r}"
        )
    return value
