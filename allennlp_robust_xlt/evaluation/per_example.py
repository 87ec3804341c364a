"""
Per-example results of an evaluation, one JSON line per test example, so that analyses can
compute intervals over test examples (`xtreme-report` writes them to `per_example/{lang}.jsonl`).

A model that supports them has a method `per_example_results(batch, output_dict) ->
List[Dict]`, one dictionary per example of the batch with at least its `id` (unique within the
file) and the fields its task's metric is computed from: `correct` (0 or 1) for accuracy; see
`allennlp_robust_xlt/analysis/per_example.py` for every task's fields.
`PerExampleSerializer` is the AllenNLP evaluation `Serializer` that writes them.
"""

import json
from pathlib import Path
from typing import Any, Callable, Dict, Optional

from allennlp.data import DataLoader
from allennlp.evaluation.serializers.serializers import Serializer
from allennlp.models import Model


class PerExampleSerializer(Serializer):
    """
    Writes `model.per_example_results(batch, output_dict)` as JSON lines. Built in code for a
    given model (by `xtreme-report`), not from a configuration.
    """

    def __init__(self, model: Model) -> None:
        self.model = model

    def __call__(  # type: ignore[override]
        self,
        batch: Dict[str, Any],
        output_dict: Dict[str, Any],
        data_loader: DataLoader,
        output_postprocess_function: Optional[Callable] = None,
    ) -> str:
        results = self.model.per_example_results(batch, output_dict)  # type: ignore[attr-defined]
        return "\n".join(json.dumps(result, ensure_ascii=False) for result in results)


def answers_of(path: Path) -> Optional[Dict[str, str]]:
    """`{id: answer}` of a per-example file whose results have an `answer` (QA), else None."""
    answers: Dict[str, str] = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            result = json.loads(line)
            if not isinstance(result.get("answer"), str):
                return None
            answers[str(result["id"])] = result["answer"]
    return answers or None
