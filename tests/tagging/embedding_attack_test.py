"""
The `embedding_attack` evaluator on taggers (UD-POS, PAN-X): the same evaluator as for pair
classification (`tests/evaluation/embedding_attack_test.py`), here with the tagger's metrics
(token accuracy, seqeval F1) attacked.
"""

import json
from pathlib import Path
from typing import Dict

import pytest

from allennlp_robust_xlt.testing.cli import run_allennlp
from allennlp_robust_xlt.tasks import TASKS
from tests import XTREME_DATA

EPSILONS = (0.0, 0.5, 4.0)


def attack(archive: Path, data: Path, output: Path, epsilon: float) -> Dict[str, float]:
    evaluation = {"type": "embedding_attack", "norm": "l2", "epsilon": epsilon, "steps": 3}
    run_allennlp(
        "evaluate",
        str(archive),
        str(data),
        "--output-file",
        str(output),
        "-o",
        json.dumps({"evaluation": evaluation}),
    )
    return json.loads(output.read_text())


@pytest.mark.parametrize("task", ["udpos", "panx"])
def test_exact_at_zero_and_no_metric_rises_with_epsilon(
    task: str, tagging_archives: Dict[str, Path], tmp_path: Path
):
    data = XTREME_DATA / task / "test-de.tsv"
    results = [
        attack(tagging_archives[task], data, tmp_path / f"{epsilon}.json", epsilon)
        for epsilon in EPSILONS
    ]
    plain = tmp_path / "plain.json"
    run_allennlp("evaluate", str(tagging_archives[task]), str(data), "--output-file", str(plain))
    expected = json.loads(plain.read_text())
    metrics = [name for name in expected if name != "loss"]
    assert set(TASKS[task].metrics) <= set(metrics)
    zero = results[0]
    for name in metrics:
        assert zero[name] == expected[name]  # the clean metrics are `allennlp evaluate`'s
        assert zero["attacked_" + name] == zero[name], name  # exact at epsilon 0
    assert zero["attacked_loss"] == zero["loss"] and zero["perturbation_norm"] == 0.0
    for name in metrics:
        values = [result["attacked_" + name] for result in results]
        assert values == sorted(values, reverse=True), (name, values)
    assert results[-1]["attacked_accuracy"] < zero["accuracy"]  # the attack does something
    losses = [result["attacked_loss"] for result in results]
    # Every ball raises the loss (with a fixed number of steps of size 2.5 epsilon / steps, the
    # loss reached need not grow with epsilon).
    assert all(loss > losses[0] for loss in losses[1:])


def test_xtreme_report_attack_columns_and_per_example_fields(
    tagging_archives: Dict[str, Path], tmp_path: Path
):
    """`xtreme-report --attack` on UD-POS: attacked columns, per-sentence attacked counts."""
    output = tmp_path / "report"
    attack = {"type": "embedding_attack", "norm": "l2", "epsilon": 1.0, "steps": 2}
    run_allennlp(
        "xtreme-report",
        str(tagging_archives["udpos"]),
        str(XTREME_DATA),
        "--task",
        "udpos",
        "--output-dir",
        str(output),
        "--attack",
        json.dumps(attack),
    )
    report = json.loads((output / "metrics.json").read_text())
    assert report["metrics"][:2] == [report["metric"], "attacked_" + report["metric"]]
    for code, scores in report["languages"].items():
        lines = (output / "per_example" / f"{code}.jsonl").read_text().splitlines()
        examples = [json.loads(line) for line in lines]
        assert {"tp", "attacked_tp", "attacked_correct_tokens", "attacked_tokens"} <= set(
            examples[0]
        )
        correct = sum(example["attacked_correct_tokens"] for example in examples)
        tokens = sum(example["attacked_tokens"] for example in examples)
        assert correct / tokens == pytest.approx(scores["attacked_accuracy"], abs=1e-9)
