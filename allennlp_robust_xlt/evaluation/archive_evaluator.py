"""
`ArchiveEvaluator`: AllenNLP's `Evaluator` on an archive's model, file after file, for the archive
mode of `xtreme-report`, with the per-example results and QA predictions files it writes.
"""

import json
import logging
import shutil
from copy import deepcopy
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from allennlp.common import Params
from allennlp.common.util import prepare_environment
from allennlp.data import DataLoader
from allennlp.evaluation import Evaluator, SimpleEvaluator
from allennlp.models.archival import Archive

from allennlp_robust_xlt.analysis.per_example import (
    EXAMPLE_FIELDS,
    check_reproduces,
    read_per_example,
    recipe_for,
    write_per_example,
)
from allennlp_robust_xlt.evaluation.attack_evaluation import ATTACKED_PREFIX
from allennlp_robust_xlt.evaluation.per_example import PerExampleSerializer, answers_of
from allennlp_robust_xlt.rc.tools.squad_evaluation import write_predictions_file

logger = logging.getLogger(__name__)

PREDICTIONS_DIR = "predictions"


class ArchiveEvaluator:
    """
    AllenNLP's `Evaluator` on the archive's model, with its validation reader and data loader
    settings; the archive's evaluator (its config's `evaluation`), or `attack`'s.
    """

    def __init__(
        self,
        archive: Archive,
        cuda_device: int,
        batch_size: Optional[int],
        attack: Optional[Dict[str, Any]] = None,
    ) -> None:
        config = deepcopy(archive.config)
        prepare_environment(config)
        self.model = archive.model
        self.model.eval()
        evaluator_params = config.pop("evaluation", {})
        if attack is not None:
            evaluator_params = Params(deepcopy(attack))
        evaluator_params["cuda_device"] = cuda_device
        self.evaluator = Evaluator.from_params(evaluator_params)
        # Per-example results (for intervals over test examples) where the model gives them and
        # the evaluator is AllenNLP's plain one or writes them itself (the attack evaluators);
        # others write their own predictions.
        writes_them = getattr(self.evaluator, "writes_per_example_results", False)
        self.per_example = (type(self.evaluator) is SimpleEvaluator or writes_them) and hasattr(
            self.model, "per_example_results"
        )
        if self.per_example and not writes_them:
            self.evaluator.batch_serializer = PerExampleSerializer(self.model)
        self.evaluated: Dict[Path, Tuple[Dict[str, Any], Optional[Path]]] = {}
        self.reader = archive.validation_dataset_reader
        loader = config.get("validation_data_loader", None) or config.get("data_loader")
        self.loader_params: Dict[str, Any] = loader.as_dict(quiet=True)
        if batch_size is not None:
            if "batch_sampler" in self.loader_params:
                self.loader_params["batch_sampler"]["batch_size"] = batch_size
            else:
                self.loader_params["batch_size"] = batch_size

    def __call__(self, path: Path, examples: Optional[Path] = None) -> Dict[str, Any]:
        if path in self.evaluated:  # the same file again: its metrics and per-example results
            metrics, earlier = self.evaluated[path]
            if earlier is not None and examples is not None and earlier.is_file():
                shutil.copyfile(earlier, examples)
                answers = _answer_file(earlier)
                if answers.is_file():
                    shutil.copyfile(answers, _answer_file(examples))
            return dict(metrics)
        metrics = self.evaluate(path, examples)
        self.evaluated[path] = (metrics, examples)
        return dict(metrics)

    def evaluate(self, path: Path, examples: Optional[Path] = None) -> Dict[str, Any]:
        logger.info("evaluating on %s", path)
        data_loader = DataLoader.from_params(
            params=Params(deepcopy(self.loader_params)), reader=self.reader, data_path=str(path)
        )
        data_loader.index_with(self.model.vocab)
        predictions = None
        if self.per_example and examples is not None:
            examples.parent.mkdir(parents=True, exist_ok=True)
            predictions = examples
        metrics = dict(self.evaluator(self.model, data_loader, predictions_output_file=predictions))
        if predictions is not None:
            write_answer_file(predictions)
            tidy_per_example(predictions, metrics)
        return metrics


def write_answer_file(examples: Path) -> None:
    """
    When the per-example results of `per_example/{lang}.jsonl` have an `answer` (QA), the
    SQuAD-style predictions file `{question id: answer}` that the official SQuAD / MLQA scripts
    read, beside it as `predictions/{lang}.json`.
    """
    answers = answers_of(examples)
    if answers is not None:
        _answer_file(examples).parent.mkdir(exist_ok=True)
        write_predictions_file(_answer_file(examples), answers)


def _answer_file(examples: Path) -> Path:
    """`predictions/{lang}.json` for `per_example/{lang}.jsonl` (both in the same directory)."""
    return examples.parent.parent / PREDICTIONS_DIR / f"{examples.stem}.json"


def tidy_per_example(path: Path, metrics: Dict[str, Any]) -> None:
    """
    Rewrites the evaluator's per-example lines (in batch order, with whatever the model adds)
    as `analysis/per_example.py` defines them: the id and the result fields, in the
    order of the ids, checked to reproduce every metric they can.
    """
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    known = {field for fields in EXAMPLE_FIELDS.values() for field in fields}
    known |= {ATTACKED_PREFIX + field for field in known}
    numeric = [
        {key: value for key, value in record.items() if key == "id" or key in known}
        for record in records
    ]
    numeric.sort(key=lambda record: _sort_key(record["id"]))
    write_per_example(path, numeric)
    written = read_per_example(path)
    for metric, value in metrics.items():
        if isinstance(value, (int, float)) and recipe_for(metric, written.values) is not None:
            check_reproduces(written, metric, float(value), "the evaluation")


def _sort_key(example_id: Any) -> Tuple[int, Any]:
    text = str(example_id)
    return (0, int(text)) if text.isdigit() else (1, text)
