from pathlib import Path
from typing import Dict, List, Sequence

import pytest
import torch

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.retrieval.bucc import (
    BuccSide,
    BuccSplit,
    bucc_scores,
    evaluate_bucc,
    extract_pairs,
    mine_candidates,
    optimize_threshold,
    read_bucc_split,
    unique_sentences,
)
from tests import DATA_ROOT, XTREME_DATA
from tests.retrieval.search_test import X1, Y1

BUCC = XTREME_DATA / "bucc2018"


class TableEncoder:
    """Stands in for a `SentenceEncoder`: each sentence's embedding is given by a table."""

    def __init__(self, table: Dict[str, List[float]]) -> None:
        self.table = table
        self.calls: List[List[str]] = []

    def embed(self, sentences: Sequence[str], layers, pooling, batch_size, max_length, role=None):
        self.calls.append(list(sentences))
        return torch.tensor([[self.table[sentence] for sentence in sentences]])


def hand_made_split(gold) -> BuccSplit:
    source = BuccSide(Path("de"), [f"de-{i}" for i in range(6)], [f"s{i}" for i in range(6)])
    english = BuccSide(
        Path("en"), [f"en-{i}" for i in range(7)], [f"t{i}" for i in range(6)] + ["t2"]
    )
    return BuccSplit("de", "dev", source, english, gold, Path("gold"))


HAND_MADE_TABLE = {
    **{f"s{i}": row for i, row in enumerate(X1)},
    **{f"t{i}": row for i, row in enumerate(Y1)},
}
HAND_MADE_GOLD = {
    ("de-0", "en-0"),
    ("de-1", "en-1"),
    ("de-2", "en-3"),
    ("de-4", "en-4"),
    ("de-3", "en-2"),
}


def test_candidates_threshold_and_scores_match_xtremes_scripts():
    """
    Expected values: XTREME's `third_party/utils_retrieve.py` (google-research/xtreme @ 838c13b,
    faiss-cpu 1.7.4) on these sentences and embeddings: `mine_bitext` on the text files, then
    `bucc_eval(candidates, gold, ...)` (`read_candidate2score`, `bucc_optimize`,
    `bucc_extract`), which printed threshold 1.246200, precision 100, recall 80, F1 88.89.
    The English sentence t2 occurs twice (en-2, en-6): embedded once, and dropped from the
    candidates, so the gold pair de-3/en-2 cannot be found.
    """
    encoder = TableEncoder(HAND_MADE_TABLE)
    split = hand_made_split(HAND_MADE_GOLD)
    candidates = mine_candidates(encoder, split, 0, "mean", "margin", 8, 512)
    assert encoder.calls == [[f"s{i}" for i in range(6)] + [f"t{i}" for i in range(6)]]
    expected = {
        ("de-4", "en-4"): 1.7388954751481698,
        ("de-2", "en-3"): 1.510644144532492,
        ("de-1", "en-1"): 1.435724575907744,
        ("de-0", "en-0"): 1.3977647258352084,
        ("de-5", "en-5"): 1.0946359069440454,
    }
    assert list(candidates) == list(expected)
    assert candidates == pytest.approx(expected, rel=1e-6)
    threshold = optimize_threshold(candidates, HAND_MADE_GOLD)
    assert threshold == pytest.approx(1.246200316389627, rel=1e-6)
    pairs = extract_pairs(candidates, threshold)
    assert pairs == [("de-4", "en-4"), ("de-2", "en-3"), ("de-1", "en-1"), ("de-0", "en-0")]
    assert bucc_scores(pairs, HAND_MADE_GOLD) == pytest.approx(
        {"precision": 1.0, "recall": 0.8, "f1": 0.8888888888888888}
    )
    result = evaluate_bucc(encoder, split, split, 0, "mean", "margin", 8, 512)
    assert result.metrics == pytest.approx(
        {"precision": 1.0, "recall": 0.8, "f1": 0.8888888888888888, "threshold": threshold}
    )
    assert result.pairs == pairs


def test_the_dev_threshold_is_applied_to_the_test_split():
    encoder = TableEncoder(HAND_MADE_TABLE)
    dev = hand_made_split(HAND_MADE_GOLD)
    # On test the best threshold would be lower (the gold pair de-5/en-5 scores 1.09).
    test = hand_made_split({("de-5", "en-5"), ("de-4", "en-4")})
    test.split = "test"
    result = evaluate_bucc(encoder, test, dev, 0, "mean", "margin", 8, 512)
    assert result.metrics["threshold"] == pytest.approx(1.246200316389627, rel=1e-6)
    assert result.metrics["recall"] == 0.5 and result.metrics["precision"] == 0.25
    test.gold = None
    result = evaluate_bucc(encoder, test, dev, 0, "mean", "margin", 8, 512)
    assert result.metrics["f1"] is None and len(result.pairs) == 4


def test_optimize_threshold_when_the_best_is_the_last_candidate():
    """XTREME's `bucc_optimize` fails there (items[i + 1]); the last score is kept instead."""
    candidates = {("a", "x"): 2.0, ("b", "y"): 1.5}
    assert optimize_threshold(candidates, {("a", "x"), ("b", "y")}) == 1.5
    assert optimize_threshold(candidates, {("a", "x")}) == 1.75
    assert optimize_threshold(candidates, {("c", "z")}) == 0.0


def test_unique_sentences_drop_the_ids_of_repeated_sentences():
    side = BuccSide(Path("f"), ["a", "b", "c", "d"], ["one", "two", "one", "three"])
    assert unique_sentences(side) == (["one", "two", "three"], {"two": "b", "three": "d"})


def test_read_xtreme_layout_and_original_release():
    split = read_bucc_split(BUCC, "de", "dev")
    assert len(split.source.ids) == 9 and len(split.english.ids) == 11
    assert split.source.ids[0] == "de-000000001"
    assert (
        split.source.sentences[0] == "Der Arzt sagte ihm, er solle sofort wieder zur Arbeit gehen."
    )
    assert ("de-000000001", "en-000000004") in split.gold and len(split.gold) == 6
    test = read_bucc_split(BUCC, "de", "test")
    assert test.gold is None  # XTREME deletes the test gold
    original = DATA_ROOT / "original" / "bucc2018"  # de-en/de-en.{sample,training}.*
    sample = read_bucc_split(original, "de", "dev")
    assert sample.source.path.name == "de-en.sample.de" and sample.gold == split.gold
    training = read_bucc_split(original, "de", "test")
    assert training.source.path.name == "de-en.training.de" and training.gold


def write(path: Path, lines: List[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_bad_input_names_file_and_line(tmp_path: Path):
    write(tmp_path / "de-en.dev.de", ["de-1\tEins.", "de-2\tZwei."])
    write(tmp_path / "de-en.dev.en", ["en-1\tOne.", "en-2\tTwo."])
    gold = write(tmp_path / "de-en.dev.gold", ["de-1\ten-1", "de-2\ten-9"])
    with pytest.raises(
        InputFileError, match=f"{gold}:2: names the id en-9, which is not in .*de-en.dev.en"
    ):
        read_bucc_split(tmp_path, "de", "dev")
    write(gold, ["de-7\ten-1"])
    with pytest.raises(InputFileError, match=f"{gold}:1: names the id de-7, which is not in"):
        read_bucc_split(tmp_path, "de", "dev")
    write(gold, ["de-1 en-1"])
    with pytest.raises(InputFileError, match=f"{gold}:1: expected `source_id<TAB>english_id`"):
        read_bucc_split(tmp_path, "de", "dev")
    write(gold, [])
    with pytest.raises(InputFileError, match="has no gold pairs"):
        read_bucc_split(tmp_path, "de", "dev")
    gold.unlink()
    source = write(tmp_path / "de-en.dev.de", ["de-1\tEins.", "Zwei."])
    with pytest.raises(InputFileError, match=f"{source}:2: expected `id<TAB>sentence`"):
        read_bucc_split(tmp_path, "de", "dev")
    write(source, ["de-1\tEins.", "de-1\tZwei."])
    with pytest.raises(InputFileError, match=f"{source}:2: repeats the id de-1 of line 1"):
        read_bucc_split(tmp_path, "de", "dev")
    source.unlink()
    with pytest.raises(
        InputFileError, match="de-en.dev.de: not found \\(needed with de-en.dev.en\\)"
    ):
        read_bucc_split(tmp_path, "de", "dev")
    with pytest.raises(InputFileError, match="has no BUCC test files for de"):
        read_bucc_split(tmp_path, "de", "test")
