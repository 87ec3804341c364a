"""
The `synonym_attack` evaluator on taggers: whole words substituted one for one (`text_arguments:
["words"]`), so the tags stay aligned; exact at budget 0, and a budget raises the loss.
"""

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import XTREME_DATA
from tests.evaluation.fabricated_neighbors import write_neighbor_table


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


@pytest.mark.parametrize("task", ["udpos", "panx"])
def test_exact_at_budget_zero_and_a_budget_raises_the_loss(
    task: str, tagging_archives: Dict[str, Path], tmp_path: Path
):
    data = XTREME_DATA / task / "test-en.tsv"
    words = [line.split("\t")[0] for line in data.read_text(encoding="utf-8").splitlines() if line]
    table = write_neighbor_table(words, tmp_path / "neighbors.json")
    settings = {"neighbors": str(table), "text_arguments": ["words"]}
    zero = attack(tagging_archives[task], data, tmp_path / "zero.json", budget=0, **settings)
    two = attack(tagging_archives[task], data, tmp_path / "two.json", budget=2, **settings)
    plain = tmp_path / "plain.json"
    run_allennlp("evaluate", str(tagging_archives[task]), str(data), "--output-file", str(plain))
    expected = json.loads(plain.read_text())
    metrics = [name for name in expected if name != "loss"]
    for name in metrics:
        assert zero[name] == expected[name]
        assert zero["attacked_" + name] == zero[name]  # exact at budget 0
        assert two[name] == zero[name]
    assert zero["attacked_loss"] == zero["loss"] and zero["substitutions"] == 0
    assert 0 < two["substitutions"] <= 2
    assert two["attacked_loss"] > two["loss"]
    assert two["attacked_accuracy"] <= two["accuracy"]
