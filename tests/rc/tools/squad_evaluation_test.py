import json
import logging
from pathlib import Path
from typing import Any, Dict, List

import pytest

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError, RobustXltError
from allennlp_robust_xlt.rc.tools.squad_evaluation import (
    QuestionScore,
    evaluate_predictions,
    exact_match_score,
    f1_score,
    normalize_answer,
    read_gold_answers,
    read_predictions_file,
    score_questions,
    write_predictions_file,
)
from tests import DATA_ROOT


def squad_file(questions: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "version": "1.1",
        "data": [{"title": "t", "paragraphs": [{"context": "c", "qas": questions}]}],
    }


def question(qid: str, *answers: str) -> Dict[str, Any]:
    return {
        "id": qid,
        "question": "?",
        "answers": [{"answer_start": 0, "text": text} for text in answers],
    }


# A 4-question SQuAD file and predictions (one unanswered, one for an unknown id) that the
# file-level tests of both modules score.
DATASET_PATH = DATA_ROOT / "qa_scoring" / "dataset.json"
PREDICTIONS_PATH = DATA_ROOT / "qa_scoring" / "predictions.json"
DATASET = json.loads(DATASET_PATH.read_text(encoding="utf-8"))
PREDICTIONS = json.loads(PREDICTIONS_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "prediction, golds, exact_match, f1, normalized",
    [
        ("The Eiffel Tower", ["Eiffel Tower", "the tower"], 1.0, 1.0, "eiffel tower"),
        ("an apple a day", ["apple day"], 1.0, 1.0, "apple day"),
        ("theatre", ["the atre"], 0.0, 0.0, "theatre"),
        ("Steve Smith's", ["Steve Smith"], 0.0, 0.5, "steve smiths"),
        ("", ["Paris"], 0.0, 0.0, ""),
        ("the", ["a"], 1.0, 0.0, ""),
        ("Paris, France", ["paris", "France", "Paris (France)"], 1.0, 1.0, "paris france"),
        ("«Paris»", ["Paris"], 0.0, 0.0, "«paris»"),
        ("It costs $5", ["costs 5"], 0.0, 0.8, "it costs 5"),
        ("the cat sat on the mat", ["a cat on a mat"], 0.0, 0.8571428571428571, "cat sat on mat"),
    ],
)
def test_question_scores_equal_the_official_script(
    prediction: str, golds: List[str], exact_match: float, f1: float, normalized: str
) -> None:
    """
    Expected values: XTREME's `third_party/evaluate_squad.py` (google-research/xtreme @ 838c13b),
    run on these cases (`metric_max_over_ground_truths` of its `exact_match_score`/`f1_score`,
    and `normalize_answer`), scores divided by nothing (per question they are 0..1 already).
    They show ASCII-only punctuation removal (« » stay), whole-word articles, the v1.1 rule that
    two answers normalising to "" match exactly but have F1 0, and the maximum over gold answers.
    """
    assert exact_match_score(prediction, golds) == exact_match
    assert f1_score(prediction, golds) == pytest.approx(f1, abs=1e-15)
    assert normalize_answer(prediction) == normalized


def test_a_single_gold_string_is_one_answer() -> None:
    assert f1_score("Eiffel Tower", "the Eiffel Tower") == 1.0
    with pytest.raises(ValueError):
        f1_score("x", [])


def test_file_scores_equal_the_official_script(caplog: Any) -> None:
    """
    Expected values: XTREME's `evaluate_squad.py DATASET_PATH PREDICTIONS_PATH` printed
    {"exact_match": 25.0, "f1": 46.42857142857143}; here as fractions. q4 has no prediction and
    counts 0; the prediction for an unknown id is ignored.
    """
    expected = {"exact_match": 0.25, "f1": 0.4642857142857143, "count": 4}
    with caplog.at_level(logging.WARNING):
        for dataset in (DATASET, DATASET["data"], DATASET_PATH, str(DATASET_PATH)):
            scores = evaluate_predictions(dataset, read_predictions_file(PREDICTIONS_PATH))
            assert scores == pytest.approx(expected, abs=1e-15)
    assert "1 of 4 questions have no prediction" in caplog.text and "q4" in caplog.text

    per_question = score_questions(read_gold_answers(DATASET), PREDICTIONS)
    assert list(per_question) == ["q1", "q2", "q3", "q4"]
    assert per_question["q1"] == QuestionScore(1.0, 1.0)
    assert per_question["q2"].exact_match == 0.0
    assert per_question["q2"].f1 == pytest.approx(6 / 7)
    assert per_question["q4"] == QuestionScore(0.0, 0.0)


def test_gold_answers_in_file_order() -> None:
    assert read_gold_answers(DATASET) == {
        "q1": ["the Eiffel Tower"],
        "q2": ["a cat on a mat", "mat"],
        "q3": ["北京大学"],
        "q4": ["Paris"],
    }


@pytest.mark.parametrize(
    "questions, message",
    [
        (
            [{"id": "q9", "question": "?", "answers": [{"answer_start": 0, "text": ""}]}],
            "q9: every",
        ),
        ([question("q1", "a"), question("q1", "b")], "q1: the id appears twice"),
        ([{"id": "q2", "question": "?", "answers": []}], "q2: no 'answers'"),
        ([{"id": "q3", "question": "?"}], "q3: no 'answers'"),
        ([{"question": "?", "answers": []}], "no string 'id'"),
        ([{"id": "q4", "answers": [{"answer_start": 0}]}], "q4: an answer has no string 'text'"),
        ([], "has no questions to score"),
    ],
)
def test_unscorable_files_are_refused_naming_file_and_question(
    tmp_path: Path, questions: List[Dict[str, Any]], message: str
) -> None:
    path = tmp_path / "test.json"
    path.write_text(json.dumps(squad_file(questions)), encoding="utf-8")
    with pytest.raises(InputFileError, match=message) as error:
        evaluate_predictions(path, {})
    assert str(path) in str(error.value)


def test_stripped_test_file_error_says_why(tmp_path: Path) -> None:
    """XTREME's preparation gives every test question `{"answer_start": 0, "text": ""}`."""
    stripped = squad_file([question("56be4db0", ""), question("56be4db1", "")])
    with pytest.raises(InputFileError, match="56be4db0: every answer text is empty.*labelled"):
        evaluate_predictions(stripped, {"56be4db0": ""}, source="xquad.en.json")


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "is not a JSON file"),
        ('{"version": "1.1"}', "no 'data' list"),
        ('{"data": [{"title": "t"}]}', "no 'paragraphs' list"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        evaluate_predictions(path, {})
    with pytest.raises(InputFileError, match="file not found"):
        evaluate_predictions(tmp_path / "missing.json", {})


def test_non_string_prediction_is_refused() -> None:
    with pytest.raises(RobustXltError, match="question q1: the predicted answer is 3"):
        evaluate_predictions(DATASET, {"q1": 3})


def test_predictions_file_round_trip_atomic_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "predictions.json"
    predictions = {"q1": "北京", "q2": "«Paris»", "q3": ""}
    write_predictions_file(path, predictions)
    assert read_predictions_file(path) == predictions
    assert "北京" in path.read_text(encoding="utf-8")  # readable UTF-8, as the scripts load it
    assert json.loads(path.read_text(encoding="utf-8")) == predictions

    with pytest.raises(ParameterError, match="exists; pass --force"):
        write_predictions_file(path, {"q1": "other"})
    assert read_predictions_file(path) == predictions
    write_predictions_file(path, {"q1": "other"}, force=True)
    assert read_predictions_file(path) == {"q1": "other"}

    with pytest.raises(RobustXltError, match="not a string"):
        write_predictions_file(tmp_path / "p2.json", {"q1": None})  # type: ignore[dict-item]
    with pytest.raises(ParameterError, match="no directory"):
        write_predictions_file(tmp_path / "absent" / "p.json", predictions)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predictions.json"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("[1, 2]", "not a JSON object"),
        ('{"q1": 1}', "q1: the answer 1 is not a string"),
        ("{", "JSON"),
    ],
)
def test_bad_predictions_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "predictions.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        read_predictions_file(path)
