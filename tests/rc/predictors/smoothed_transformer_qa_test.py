"""The `smoothed_transformer_qa` predictor: the most frequent answer over synonym copies."""

import json
from pathlib import Path

import pytest
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.rc.predictors import SmoothedTransformerQAPredictor
from tests import COUNTERFITTED_NEIGHBORS, FIXTURES_ROOT

TABLE = FIXTURES_ROOT / "neighbors" / "english_neighbors.json"
QUESTION = {
    "id": "q1",
    "question": "When did the old man see the movie?",
    "context": "The old man saw the movie with the children in 1999, and the women were cooking.",
}


def predictor(archive: Path, **kwargs) -> Predictor:
    return Predictor.from_archive(
        load_archive(str(archive)), "smoothed_transformer_qa", extra_args=kwargs
    )


def test_the_vote_is_the_most_frequent_answer_mapped_to_the_context(squad_run: Path):
    table = str(COUNTERFITTED_NEIGHBORS)
    smoothed = predictor(squad_run / "model.tar.gz", neighbors=table, copies=7, seed=1)
    result = smoothed.predict_json(QUESTION)
    assert result["id"] == "q1" and sum(result["votes"].values()) == 7
    assert result["votes"][result["answer"]] == max(result["votes"].values())
    assert result["vote_share"] == result["votes"][result["answer"]] / 7
    start = result["answer_start"]
    for answer in result["votes"]:  # every copy's answer is a span of the original context
        assert answer in QUESTION["context"]
    assert QUESTION["context"][start : start + len(result["answer"])] == result["answer"]
    assert smoothed.predict_json(QUESTION) == result  # the same seed, the same vote
    batched = smoothed.predict_batch_json([QUESTION, {**QUESTION, "id": "q2"}])
    assert {**batched[1], "id": "q1"} == result == batched[0]


def test_ties_go_to_the_earliest_copy():
    vote = SmoothedTransformerQAPredictor._vote
    result = vote({"id": 3}, [("b", 5), ("a", 1), ("a", 1), ("b", 5), ("c", 0)])
    assert result == {
        "id": "3",
        "answer": "b",
        "answer_start": 5,
        "vote_share": 0.4,
        "votes": {"b": 2, "a": 2, "c": 1},
    }


def test_with_the_original_voting_first(squad_run: Path, tmp_path: Path):
    clean = Predictor.from_archive(load_archive(str(squad_run / "model.tar.gz")))
    smoothed = predictor(
        squad_run / "model.tar.gz", neighbors=str(TABLE), copies=1, include_original=True
    )
    result = smoothed.predict_json(QUESTION)
    assert sum(result["votes"].values()) == 2
    if len(result["votes"]) == 2:  # a tie: the clean answer wins
        assert result["answer"] == clean.predict_json(QUESTION)["answer"]


def test_settings_and_inputs_are_checked(squad_run: Path, tmp_path: Path):
    archive = squad_run / "model.tar.gz"
    with pytest.raises(ParameterError, match="'neighbors' is required"):
        predictor(archive)
    with pytest.raises(ParameterError, match="'copies' must be an integer of at least 1"):
        predictor(archive, neighbors=str(TABLE), copies=0)
    smoothed = predictor(archive, neighbors=str(TABLE), copies=2)
    with pytest.raises(ParameterError, match="do not use --use-dataset-reader"):
        smoothed.predict_batch_instance([])
    assert json.loads(json.dumps(smoothed.predict_json(QUESTION)))["answer"] is not None
