"""
Exact match and F1 per question, as XTREME scores each QA task, accumulated over an evaluation:
SQuAD v1.1 (`squad`: XQuAD, TyDiQA-GoldP, SQuAD) or MLQA's evaluation with the normalisation of
the question's context language (`mlqa`). The functions are those of `rc/tools/`, which match the
official scripts; the mean over the questions is the file's score.
"""

import functools
import math
from typing import Dict, List, Optional, Sequence

import torch
from allennlp.common.util import is_distributed
from allennlp.nn.util import dist_reduce_sum
from allennlp.training.metrics.metric import Metric

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.rc.tools import mlqa_evaluation, squad_evaluation
from allennlp_robust_xlt.rc.tools.squad_evaluation import Normalizer, QuestionScore

SCORINGS = ("squad", "mlqa")


def normalizer(
    scoring: str, context_language: Optional[str], source: str, question_id: str
) -> Normalizer:
    """The answer normalisation of a question, or an error naming its file and id."""
    if scoring == "squad":
        return squad_evaluation.normalize_answer
    if scoring != "mlqa":
        raise ParameterError("QA scoring", "scoring", f"must be one of {SCORINGS}, got {scoring!r}")
    if context_language not in mlqa_evaluation.MLQA_LANGUAGES:
        known = " ".join(mlqa_evaluation.MLQA_LANGUAGES)
        raise InputFileError(
            source,
            None,
            f"question {question_id}: MLQA's evaluation has no normalisation for the context"
            f" language {context_language!r} (it knows {known})",
        )
    return functools.partial(mlqa_evaluation.normalize_answer, lang=context_language)


class QuestionAnswerScores(Metric):
    """
    Not registered: the metric of the `xtreme_transformer_qa` model. Call it with the predicted
    answers of a batch of questions and their metadata (`answers`, `scoring`,
    `context_language`, `source`, `id`); it returns each question's `QuestionScore` (None for a
    question without gold answers) and accumulates `exact_match` and `f1` (fractions).

    Questions without gold answers (XTREME's stripped test files) cannot be scored:
    `get_metric` then raises an `InputFileError` naming the file, so an evaluation never reports
    a score for them.
    """

    def __init__(self) -> None:
        self._exact_match: List[float] = []
        self._f1: List[float] = []
        self._count = 0
        self._unlabelled_source: Optional[str] = None

    def __call__(  # type: ignore[override]
        self, predictions: Sequence[str], metadata: Sequence[Dict]
    ) -> List[Optional[QuestionScore]]:
        scores: List[Optional[QuestionScore]] = []
        for prediction, meta in zip(predictions, metadata):
            golds = meta.get("answers")
            if not golds:
                self._unlabelled_source = self._unlabelled_source or meta.get("source") or "input"
                scores.append(None)
                continue
            normalize = normalizer(
                meta.get("scoring", "squad"),
                meta.get("context_language"),
                meta.get("source") or "input",
                meta.get("id"),
            )
            scores.append(squad_evaluation.score_question(prediction, golds, normalize))
        scored = [score for score in scores if score is not None]
        if is_distributed():  # each worker adds every worker's batch totals
            totals = torch.tensor(
                [
                    math.fsum(score.exact_match for score in scored),
                    math.fsum(score.f1 for score in scored),
                    float(len(scored)),
                ],
                dtype=torch.float64,
            )
            totals = dist_reduce_sum(totals)
            self._exact_match.append(float(totals[0]))
            self._f1.append(float(totals[1]))
            self._count += int(totals[2])
        else:
            self._exact_match.extend(score.exact_match for score in scored)
            self._f1.extend(score.f1 for score in scored)
            self._count += len(scored)
        return scores

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        if self._unlabelled_source is not None:
            source = self._unlabelled_source
            self.reset()
            raise InputFileError(
                source,
                None,
                "has no gold answers (XTREME's preparation strips its test files to"
                ' {"answer_start": 0, "text": ""}), so it cannot be scored; predict it with'
                " `allennlp predict`, or score a labelled file (MLQA dev, the original XQuAD,"
                " as download-xtreme writes them)",
            )
        metrics = {}
        if self._count:
            # Correctly rounded sums: the same figures whatever the order of the batches.
            metrics = {
                "exact_match": math.fsum(self._exact_match) / self._count,
                "f1": math.fsum(self._f1) / self._count,
            }
        if reset:
            self.reset()
        return metrics

    def reset(self) -> None:
        self._exact_match = []
        self._f1 = []
        self._count = 0
        self._unlabelled_source = None
