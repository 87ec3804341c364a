"""
The `embedding_attack` evaluator on the extractive QA model (`xtreme_transformer_qa`): the same
evaluator as for pair classification (`tests/evaluation/embedding_attack_test.py`), here with
the per-question EM and F1 attacked (the perturbation covers question and context tokens).
"""

import json
from pathlib import Path
from typing import Dict

import pytest

from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import XTREME_DATA

EPSILONS = (0.0, 0.5, 4.0)
DATA = XTREME_DATA / "xquad" / "xquad.de.json"


def attack(archive: Path, output: Path, epsilon: float) -> Dict[str, float]:
    evaluation = {"type": "embedding_attack", "norm": "l2", "epsilon": epsilon, "steps": 3}
    run_allennlp(
        "evaluate",
        str(archive),
        str(DATA),
        "--output-file",
        str(output),
        "-o",
        json.dumps({"evaluation": evaluation}),
    )
    return json.loads(output.read_text())


def test_exact_at_zero_and_no_metric_rises_with_epsilon(squad_run: Path, tmp_path: Path):
    archive = squad_run / "model.tar.gz"
    results = [attack(archive, tmp_path / f"{epsilon}.json", epsilon) for epsilon in EPSILONS]
    plain = tmp_path / "plain.json"
    run_allennlp("evaluate", str(archive), str(DATA), "--output-file", str(plain))
    expected = json.loads(plain.read_text())
    metrics = [name for name in expected if name != "loss"]
    zero = results[0]
    for name in metrics:
        assert zero[name] == expected[name]  # the clean metrics are `allennlp evaluate`'s
        assert zero["attacked_" + name] == zero[name], name  # exact at epsilon 0
    assert zero["attacked_loss"] == zero["loss"] and zero["perturbation_norm"] == 0.0
    # The attack maximizes the span loss (start and end cross-entropy): the span metrics do not
    # rise. Token F1 is not monotone in that loss (a pushed-away end can overlap the gold span
    # by chance, which the near-random tiny model on three questions does at large epsilon),
    # so it is only checked to be reported under attack.
    for name in ("start_acc", "end_acc", "exact_match"):
        values = [result["attacked_" + name] for result in results]
        assert values == sorted(values, reverse=True), (name, values)
    assert results[-1]["attacked_start_acc"] < zero["start_acc"]  # the attack does something
    assert all(0.0 <= result["attacked_f1"] <= 1.0 for result in results)
    losses = [result["attacked_loss"] for result in results]
    # Every ball raises the loss (with a fixed number of steps of size 2.5 epsilon / steps, the
    # loss reached need not grow with epsilon).
    assert all(loss > losses[0] for loss in losses[1:])


def test_xtreme_report_attack_columns_and_per_example_fields(squad_run: Path, tmp_path: Path):
    """`xtreme-report --attack` on XQuAD: attacked columns, and per-question attacked fields."""
    output = tmp_path / "report"
    attack = {"type": "embedding_attack", "norm": "l2", "epsilon": 1.0, "steps": 2}
    run_allennlp(
        "xtreme-report",
        str(squad_run / "model.tar.gz"),
        str(XTREME_DATA),
        "--task",
        "xquad",
        "--output-dir",
        str(output),
        "--attack",
        json.dumps(attack),
    )
    report = json.loads((output / "metrics.json").read_text())
    assert report["metrics"] == ["f1", "attacked_f1", "exact_match", "attacked_exact_match"]
    for code, scores in report["languages"].items():
        lines = (output / "per_example" / f"{code}.jsonl").read_text().splitlines()
        examples = [json.loads(line) for line in lines]
        assert set(examples[0]) == {
            "id",
            "exact_match",
            "f1",
            "attacked_exact_match",
            "attacked_f1",
        }
        mean = sum(example["attacked_f1"] for example in examples) / len(examples)
        assert mean == pytest.approx(scores["attacked_f1"], abs=1e-9)
