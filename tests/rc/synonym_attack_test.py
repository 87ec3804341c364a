"""
The `synonym_attack` evaluator on extractive QA: the question's words are attacked; the context,
which the answers point into by character offset, is refused with one clear line.
"""

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import XTREME_DATA
from tests.evaluation.fabricated_neighbors import write_neighbor_table

DATA = XTREME_DATA / "squad" / "dev-v1.1.json"


def attack(archive: Path, output: Path, **evaluation: Any) -> Dict[str, float]:
    run_allennlp(
        "evaluate",
        str(archive),
        str(DATA),
        "--output-file",
        str(output),
        "-o",
        json.dumps({"evaluation": {"type": "synonym_attack", **evaluation}}),
    )
    return json.loads(output.read_text())


def questions() -> list:
    squad = json.loads(DATA.read_text(encoding="utf-8"))
    return [
        qa["question"]
        for article in squad["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


def test_questions_are_attacked_exact_at_budget_zero(squad_run: Path, tmp_path: Path):
    words = [word.strip("?") for question in questions() for word in question.split()]
    table = write_neighbor_table(words, tmp_path / "neighbors.json")
    settings = {"neighbors": str(table), "match": "normalized", "text_arguments": ["question"]}
    archive = squad_run / "model.tar.gz"
    zero = attack(archive, tmp_path / "zero.json", budget=0, **settings)
    two = attack(archive, tmp_path / "two.json", budget=2, **settings)
    for name in ("start_acc", "end_acc", "exact_match", "f1", "loss"):
        assert zero["attacked_" + name] == zero[name] == two[name]
    assert zero["substitutions"] == 0 and 0 < two["substitutions"] <= 2
    assert two["attacked_loss"] > two["loss"]


@pytest.mark.parametrize("text_arguments", [None, ["question", "context"]])
def test_the_context_is_refused(squad_run: Path, tmp_path: Path, text_arguments):
    table = write_neighbor_table(["city", "town", "river"], tmp_path / "neighbors.json")
    settings: Dict[str, Any] = {"neighbors": str(table), "budget": 1}
    if text_arguments is not None:
        settings["text_arguments"] = text_arguments
    with pytest.raises(ParameterError, match="context.*answers in by character offset"):
        attack(squad_run / "model.tar.gz", tmp_path / "out.json", **settings)
