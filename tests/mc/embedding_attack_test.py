"""
The `embedding_attack` evaluator on the multiple-choice model (`xtreme_multiple_choice`, XCOPA):
the same evaluator as for pair classification (`tests/evaluation/embedding_attack_test.py`);
the ball is per (premise, choice) row.
"""

import json
from pathlib import Path
from typing import Dict

import pytest

from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, XTREME_DATA

EPSILONS = (0.0, 0.5, 4.0)
DATA = XTREME_DATA / "xcopa" / "test-it.jsonl"


@pytest.fixture(scope="module")
def copa_archive(tiny_xlmr: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`xcopa_baseline.jsonnet` on the English COPA fixture, 5 epochs, no intermediate task."""
    serialization_dir = tmp_path_factory.mktemp("copa") / "run"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
        env.setenv("XLT_TRANSFORMER_DIM", "32")
        env.setenv("XLT_DATA_DIR", str(XTREME_DATA))
        env.setenv("XLT_INTERMEDIATE_ARCHIVE", "")
        overrides = {
            "trainer.num_epochs": 5,
            "data_loader.batch_sampler.batch_size": 2,
            "trainer.num_gradient_accumulation_steps": 1,
            "trainer.optimizer.lr": 5e-3,
        }
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "xcopa_baseline.jsonnet"),
            "-s",
            str(serialization_dir),
            "-o",
            json.dumps(overrides),
        )
    return serialization_dir / "model.tar.gz"


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


def test_exact_at_zero_and_accuracy_does_not_rise_with_epsilon(copa_archive: Path, tmp_path: Path):
    results = [attack(copa_archive, tmp_path / f"{epsilon}.json", epsilon) for epsilon in EPSILONS]
    plain = tmp_path / "plain.json"
    run_allennlp("evaluate", str(copa_archive), str(DATA), "--output-file", str(plain))
    expected = json.loads(plain.read_text())
    zero = results[0]
    assert zero["accuracy"] == expected["accuracy"]  # the clean metrics are `allennlp evaluate`'s
    assert zero["attacked_accuracy"] == zero["accuracy"]  # exact at epsilon 0
    assert zero["attacked_loss"] == zero["loss"] and zero["perturbation_norm"] == 0.0
    accuracies = [result["attacked_accuracy"] for result in results]
    assert accuracies == sorted(accuracies, reverse=True) and accuracies[-1] < accuracies[0]
    losses = [result["attacked_loss"] for result in results]
    # Every ball raises the loss (with a fixed number of steps of size 2.5 epsilon / steps, the
    # loss reached need not grow with epsilon).
    assert all(loss > losses[0] for loss in losses[1:])


def test_xtreme_report_attack_columns(copa_archive: Path, tmp_path: Path):
    """`xtreme-report --attack` on XCOPA: attacked accuracy per language and per example."""
    output = tmp_path / "report"
    attack = {"type": "embedding_attack", "norm": "l2", "epsilon": 1.0, "steps": 2}
    run_allennlp(
        "xtreme-report",
        str(copa_archive),
        str(XTREME_DATA),
        "--task",
        "xcopa",
        "--output-dir",
        str(output),
        "--attack",
        json.dumps(attack),
    )
    report = json.loads((output / "metrics.json").read_text())
    assert report["metrics"] == ["accuracy", "attacked_accuracy"]
    for code, scores in report["languages"].items():
        lines = (output / "per_example" / f"{code}.jsonl").read_text().splitlines()
        examples = [json.loads(line) for line in lines]
        mean = sum(example["attacked_correct"] for example in examples) / len(examples)
        assert mean == pytest.approx(scores["attacked_accuracy"], abs=1e-9)
