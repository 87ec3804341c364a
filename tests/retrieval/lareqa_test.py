import json
import logging
from pathlib import Path

import pytest
import torch

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.retrieval.lareqa import (
    candidate_text,
    lareqa_pairs,
    read_xquad_r,
    score_lareqa,
)
from tests import XTREME_DATA

XQUAD_R = XTREME_DATA / "lareqa" / "xquad-r"


def fixture_data():
    return read_xquad_r({code: str(XQUAD_R / f"{code}.json") for code in ("en", "de")})


def test_xquad_r_pools_every_sentence_and_links_answers_across_languages():
    data = fixture_data()
    assert data.candidate_ids == [
        "en_1_0", "en_1_1", "en_1_2", "en_2_0", "en_2_1",
        "de_1_0", "de_1_1", "de_1_2", "de_2_0", "de_2_1",
    ]  # fmt: skip
    assert data.candidates[0] == candidate_text(
        "Paris is the capital of France.",
        "Paris is the capital of France. It has many museums. The Louvre is the largest museum.",
    )
    assert data.question_ids == ["q1", "q2", "q3"] * 2
    # q3's answer ("three" / "drei") is in the second sentence of the second paragraph.
    assert data.answers == {"q1": [0, 5], "q2": [2, 7], "q3": [4, 9]}
    assert data.size("de") == 3


def test_map_at_20_per_language_by_hand():
    """
    Candidate embeddings are one-hot rows e_0..e_9; each question's embedding puts weight on
    candidates in a chosen order, so its ranking (hence AP@20) is known by hand.
    """
    data = fixture_data()
    candidates = torch.eye(10)

    def query(order):
        row = torch.zeros(10)
        for rank, index in enumerate(order):
            row[index] = 10.0 - rank
        return row

    questions = torch.stack(
        [
            query([0, 5]),  # en q1: both answers first -> AP 1
            query([1, 2, 3, 7]),  # en q2: answers 2 (rank 2), 7 (rank 4) -> (1/2 + 2/4) / 2
            query([4]),  # en q3: answer 4 first, answer 9 unranked (all ties below) -> see below
            query([5, 1, 0]),  # de q1: ranks 1 and 3 -> (1 + 2/3) / 2
            query([7, 2]),  # de q2: AP 1
            query([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),  # de q3: answers 4 (rank 5), 9 (rank 10)
        ]
    )
    result = score_lareqa(data, questions, candidates, ["en", "de"], k=20)
    # en q3: after e_4 the other nine candidates tie at 0; ties keep the lower index first
    # (search.py), so 9 comes last, rank 10: (1 + 2/10) / 2.
    en = (1 + (1 / 2 + 2 / 4) / 2 + (1 + 2 / 10) / 2) / 3
    de = ((1 + 2 / 3) / 2 + 1 + (1 / 5 + 2 / 10) / 2) / 3
    assert result.metrics["en"]["map_at_20"] == pytest.approx(en)
    assert result.metrics["de"]["map_at_20"] == pytest.approx(de)
    assert result.sizes == {"en": 3, "de": 3}


def test_squad_training_pairs_use_inferred_sentences():
    pairs = list(lareqa_pairs(str(XTREME_DATA / "squad" / "train-v1.1.json")))
    assert len(pairs) == 8
    for pair in pairs:
        assert pair.sentence in pair.context and pair.sentence.strip() == pair.sentence


def write(path: Path, paragraph: dict) -> str:
    path.write_text(json.dumps({"data": [{"title": "t", "paragraphs": [paragraph]}]}))
    return str(path)


def test_bad_input_names_the_file_and_the_question(tmp_path: Path, caplog):
    context = "First one. Second one."
    qa = {"id": "x1", "question": "Which?", "answers": [{"text": "Second", "answer_start": 11}]}
    bad = write(
        tmp_path / "a.json", {"context": context, "sentence_breaks": [[0, 99]], "qas": [qa]}
    )
    with pytest.raises(
        InputFileError, match=r"a\.json: paragraph 1 of article 1: 'sentence_breaks'"
    ):
        list(lareqa_pairs(bad))
    wrong = dict(qa, answers=[{"text": "Second", "answer_start": 3}])
    bad = write(tmp_path / "b.json", {"context": context, "qas": [wrong]})
    with pytest.raises(InputFileError, match=r"b\.json: question x1: answer_start 3"):
        list(lareqa_pairs(bad))
    stripped = dict(qa, answers=[{"text": "", "answer_start": 0}])
    bad = write(tmp_path / "c.json", {"context": context, "qas": [stripped]})
    with pytest.raises(InputFileError, match=r"c\.json: question x1: no answer"):
        list(lareqa_pairs(bad))
    # An answer outside every sentence (a sentence-breaking error): skipped with a warning.
    outside = write(
        tmp_path / "d.json", {"context": context, "sentence_breaks": [[0, 10]], "qas": [qa]}
    )
    with caplog.at_level(logging.WARNING):
        assert list(lareqa_pairs(outside)) == []
    assert "1 question(s) skipped" in caplog.text
    # Nor are its paragraph's sentences candidates, as in XTREME's utils_lareqa.load_data.
    data = read_xquad_r({"en": outside, "de": str(XQUAD_R / "de.json")})
    assert data.candidate_ids[0] == "de_1_0" and data.question_ids == ["q1", "q2", "q3"]
