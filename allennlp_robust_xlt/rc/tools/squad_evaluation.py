"""
SQuAD v1.1 exact match and F1 per question and per file, as XTREME scores XQuAD and TyDiQA-GoldP.

The reference is XTREME's `third_party/evaluate_squad.py` (the official SQuAD v1.1 script):

* normalisation: lower-case, drop the ASCII `string.punctuation` characters, replace the
  articles `a|an|the` (whole words) by a space, split on whitespace and join with one space.
  It is allennlp-models' `rc.tools.squad.normalize_answer`, which is used here;
* exact match: the normalised strings are equal; F1: bag-of-tokens F1 of the normalised
  strings, 0 when they share no token (so also when both are empty: the v1.1 rule, where the
  SQuAD v2.0 functions of allennlp-models and transformers give 1);
* a question scores the maximum over its gold answers; a file scores the mean over its
  questions, an unanswered question counting 0.

Deviations, all of presentation: scores are fractions in [0, 1] (the script multiplies by 100),
a question without a prediction is logged once per file rather than printed per question, and
files the script would score meaninglessly or crash on are refused with an error naming the file
and question (no answers, only empty answer texts as in XTREME's stripped test files, a repeated
question id, no questions at all).

The dataset-level functions take a `normalize` function, so that `mlqa_evaluation` reuses them
with MLQA's per-language normalisation.
"""

import json
import logging
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from allennlp_models.rc.tools.squad import normalize_answer as _squad_normalize_answer

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError, RobustXltError
from allennlp_robust_xlt.common.files import local_input

logger = logging.getLogger(__name__)

PathOrDataset = Union[str, os.PathLike, Mapping[str, Any], Sequence[Mapping[str, Any]]]
"""A SQuAD-layout file: its path, its JSON object (with `data`), or the `data` list itself."""

GroundTruths = Union[str, Sequence[str]]
"""One gold answer text or several."""

Normalizer = Callable[[str], str]


@dataclass(frozen=True)
class QuestionScore:
    """The scores of one question: exact match (0.0 or 1.0) and F1, fractions in [0, 1]."""

    exact_match: float
    f1: float


def normalize_answer(text: str) -> str:
    """SQuAD v1.1's English normalisation (see the module docstring)."""
    return _squad_normalize_answer(text)


def exact_match_of_normalized(prediction: str, ground_truth: str) -> float:
    """1.0 if the two normalised answers are equal, else 0.0."""
    return float(prediction == ground_truth)


def f1_of_normalized(prediction: str, ground_truth: str) -> float:
    """Bag-of-tokens F1 of two normalised answers (tokens: `str.split()`); 0.0 if none shared."""
    prediction_tokens = prediction.split()
    ground_truth_tokens = ground_truth.split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(prediction_tokens)
    recall = num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def _as_list(ground_truths: GroundTruths) -> List[str]:
    answers = [ground_truths] if isinstance(ground_truths, str) else list(ground_truths)
    if not answers:
        raise ValueError("no gold answer to compare the prediction with")
    return answers


def score_question(
    prediction: str, ground_truths: GroundTruths, normalize: Normalizer = normalize_answer
) -> QuestionScore:
    """Exact match and F1 of `prediction`, each the maximum over the gold answers."""
    normalized_prediction = normalize(prediction)
    normalized_golds = [normalize(answer) for answer in _as_list(ground_truths)]
    return QuestionScore(
        exact_match=max(
            exact_match_of_normalized(normalized_prediction, g) for g in normalized_golds
        ),
        f1=max(f1_of_normalized(normalized_prediction, g) for g in normalized_golds),
    )


def exact_match_score(prediction: str, ground_truths: GroundTruths) -> float:
    """SQuAD v1.1 exact match of `prediction`: the maximum over the gold answers (0.0 or 1.0)."""
    return score_question(prediction, ground_truths).exact_match


def f1_score(prediction: str, ground_truths: GroundTruths) -> float:
    """SQuAD v1.1 F1 of `prediction` in [0, 1]: the maximum over the gold answers."""
    return score_question(prediction, ground_truths).f1


def source_name(dataset: PathOrDataset, source: Optional[str] = None) -> Optional[str]:
    """How errors name `dataset`: its path if it is one, else `source`."""
    return str(dataset) if isinstance(dataset, (str, os.PathLike)) else source


def read_gold_answers(dataset: PathOrDataset, source: Optional[str] = None) -> Dict[str, List[str]]:
    """
    The gold answer texts of every question of a SQuAD-layout file, by question id, in file
    order. `dataset` is a path, the loaded JSON object, or its `data` list (as XTREME's
    `evaluate.py:read_squad` accepts both); `source` names it in errors when it is not a path.

    Raises `InputFileError` for a file that cannot be scored: unreadable or not SQuAD-like, a
    question without an id or without answers, a question whose answers are all empty (XTREME's
    preparation strips test files to `{"answer_start": 0, "text": ""}`), a repeated id.
    """
    if isinstance(dataset, (str, os.PathLike)):
        source = str(dataset)
        local = local_input(source, expected="a SQuAD-format JSON file")
        try:
            with open(local, encoding="utf-8") as dataset_file:
                dataset = json.load(dataset_file)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InputFileError(source, None, f"is not a JSON file ({error})") from None
    source = source or "<dataset>"
    articles = dataset.get("data") if isinstance(dataset, Mapping) else dataset
    if not isinstance(articles, list):
        raise InputFileError(source, None, "is not in SQuAD format (no 'data' list of articles)")

    gold: Dict[str, List[str]] = {}
    for article in articles:
        for paragraph in _items(article, "paragraphs", source, "an article"):
            for qa in _items(paragraph, "qas", source, "a paragraph"):
                qid = qa.get("id") if isinstance(qa, Mapping) else None
                if not isinstance(qid, str):
                    raise InputFileError(source, None, f"a question has no string 'id': {qa!r:.80}")
                if qid in gold:
                    raise InputFileError(source, None, f"question {qid}: the id appears twice")
                answers = qa.get("answers")
                if not isinstance(answers, list) or not answers:
                    raise InputFileError(
                        source, None, f"question {qid}: no 'answers' to score with"
                    )
                texts = []
                for answer in answers:
                    text = answer.get("text") if isinstance(answer, Mapping) else None
                    if not isinstance(text, str):
                        raise InputFileError(
                            source, None, f"question {qid}: an answer has no string 'text'"
                        )
                    texts.append(text)
                if not any(texts):
                    raise InputFileError(
                        source,
                        None,
                        f"question {qid}: every answer text is empty, as in XTREME's test files, "
                        "whose answers its preparation strips; score a labelled file instead",
                    )
                gold[qid] = texts
    if not gold:
        raise InputFileError(source, None, "has no questions to score")
    return gold


def _items(container: Any, key: str, source: str, what: str) -> List[Any]:
    items = container.get(key) if isinstance(container, Mapping) else None
    if not isinstance(items, list):
        raise InputFileError(source, None, f"{what} has no '{key}' list (not SQuAD format)")
    return items


def score_questions(
    gold_answers: Mapping[str, GroundTruths],
    predictions: Mapping[str, str],
    normalize: Normalizer = normalize_answer,
    source: Optional[str] = None,
) -> Dict[str, QuestionScore]:
    """
    The score of every gold question (in the order of `gold_answers`); a question without a
    prediction scores 0 (logged once, with the count). Predictions of other ids are ignored, as
    the official scripts ignore them. A prediction that is not a string is a `RobustXltError`.
    """
    scores: Dict[str, QuestionScore] = {}
    unanswered: List[str] = []
    for qid, ground_truths in gold_answers.items():
        if qid not in predictions:
            unanswered.append(qid)
            scores[qid] = QuestionScore(0.0, 0.0)
            continue
        prediction = predictions[qid]
        if not isinstance(prediction, str):
            raise RobustXltError(
                f"question {qid}: the predicted answer is {prediction!r}, not a string"
            )
        scores[qid] = score_question(prediction, ground_truths, normalize)
    if unanswered:
        logger.warning(
            "%s: %d of %d questions have no prediction and score 0 (first: %s)",
            source or "evaluation",
            len(unanswered),
            len(scores),
            ", ".join(unanswered[:5]),
        )
    return scores


def aggregate(scores: Mapping[str, QuestionScore]) -> Dict[str, float]:
    """`exact_match` and `f1` (means over the questions, fractions) and the question `count`."""
    if not scores:
        raise RobustXltError("no questions to score")
    count = len(scores)
    return {
        "exact_match": sum(s.exact_match for s in scores.values()) / count,
        "f1": sum(s.f1 for s in scores.values()) / count,
        "count": count,
    }


def evaluate_predictions(
    dataset: PathOrDataset, predictions: Mapping[str, str], source: Optional[str] = None
) -> Dict[str, float]:
    """
    SQuAD v1.1 `exact_match` and `f1` (fractions; XTREME's `evaluate_squad.evaluate` gives
    these times 100) and `count` of a SQuAD-layout file (see `read_gold_answers`) against
    `{question id: predicted answer}`.
    """
    source = source_name(dataset, source)
    gold = read_gold_answers(dataset, source)
    return aggregate(score_questions(gold, predictions, normalize_answer, source))


def read_predictions_file(path: Union[str, os.PathLike]) -> Dict[str, str]:
    """A SQuAD-style predictions file `{question id: answer text}`, checked."""
    local = local_input(str(path), expected="a JSON predictions file")
    try:
        with open(local, encoding="utf-8") as predictions_file:
            predictions = json.load(predictions_file)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputFileError(path, None, f"is not a JSON file ({error})") from None
    if not isinstance(predictions, dict):
        raise InputFileError(path, None, "is not a JSON object {question id: answer}")
    for qid, answer in predictions.items():
        if not isinstance(answer, str):
            raise InputFileError(
                path, None, f"question {qid}: the answer {answer!r} is not a string"
            )
    return predictions


def write_predictions_file(
    path: Union[str, os.PathLike], predictions: Mapping[str, str], force: bool = False
) -> None:
    """
    Write `{question id: answer text}` as the official SQuAD / MLQA scripts read it (UTF-8 JSON,
    non-ASCII kept). Atomic: a partial file is never left; an existing file is replaced only
    with `force`.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ParameterError("predictions file", "path", f"{path}: no directory {path.parent}")
    if path.exists() and not force:
        raise ParameterError(
            "predictions file", "path", f"{path} exists; pass --force to replace it"
        )
    for qid, answer in predictions.items():
        if not isinstance(qid, str) or not isinstance(answer, str):
            raise RobustXltError(f"question {qid!r}: the answer {answer!r} is not a string")
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as output:
            json.dump(dict(predictions), output, ensure_ascii=False, indent=1)
            output.write("\n")
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
