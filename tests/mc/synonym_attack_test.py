"""
The `synonym_attack` evaluator on the multiple-choice model (XCOPA's premise and choices):
exact at budget 0, a budget raises the loss, and data without labels is one clear error.
"""

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import XTREME_DATA
from tests.evaluation.fabricated_neighbors import write_neighbor_table
from tests.mc.embedding_attack_test import copa_archive  # noqa: F401  (module fixture)

DATA = XTREME_DATA / "xcopa" / "val-en.jsonl"


def attack(archive: Path, data: Path, output: Path, **evaluation: Any) -> Dict[str, float]:
    run_allennlp(
        "evaluate",
        str(archive),
        str(data),
        "--output-file",
        str(output),
        "-o",
        json.dumps({"evaluation": {"type": "synonym_attack", **evaluation}}),
    )
    return json.loads(output.read_text())


def table_of(path: Path, output: Path) -> Path:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    words = [w.strip(".") for row in rows for key in ("premise", "choice1", "choice2")
             for w in row[key].split()]  # fmt: skip
    return write_neighbor_table(words, output)


def test_exact_at_budget_zero_and_a_budget_raises_the_loss(
    copa_archive: Path, tmp_path: Path  # noqa: F811
):
    table = table_of(DATA, tmp_path / "neighbors.json")
    settings = {"neighbors": str(table), "match": "normalized"}
    zero = attack(copa_archive, DATA, tmp_path / "zero.json", budget=0, **settings)
    two = attack(copa_archive, DATA, tmp_path / "two.json", budget=2, **settings)
    assert zero["attacked_accuracy"] == zero["accuracy"] == two["accuracy"]
    assert zero["attacked_loss"] == zero["loss"] and zero["substitutions"] == 0
    assert 0 < two["substitutions"] <= 2
    assert two["attacked_loss"] > two["loss"]
    assert two["attacked_accuracy"] <= two["accuracy"]


def test_data_without_labels_is_one_clear_error(copa_archive: Path, tmp_path: Path):  # noqa: F811
    unlabelled = XTREME_DATA / "xcopa" / "test-en.jsonl"
    table = table_of(unlabelled, tmp_path / "neighbors.json")
    with pytest.raises(ParameterError, match="computed no loss"):
        attack(copa_archive, unlabelled, tmp_path / "out.json", neighbors=str(table), budget=1)
