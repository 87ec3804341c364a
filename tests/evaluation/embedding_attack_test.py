"""
The `embedding_attack` evaluator: against a hand-written PGD loop (Madry et al.) that uses none
of its code, through `allennlp evaluate`, and on the synthetic benchmark.
"""

import json
from pathlib import Path
from typing import Any, Dict

import pytest
import torch
from allennlp.common import Params
from allennlp.data.data_loaders import SimpleDataLoader
from allennlp.evaluation import Evaluator

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.evaluation import EmbeddingAttackEvaluator
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, XTREME_DATA
from tests.conftest import TINY_DIM
from tests.training.callbacks.adversarial_training_test import batch_mask, l2_norms, loss_at
from tests.training.callbacks.helpers import (
    build_model,
    make_trainer,
    vocabulary,
    word_embeddings,
    xnli_instances,
)

XNLI = XTREME_DATA / "xnli"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, tiny_xlmr: Path) -> Path:
    """The XNLI baseline, trained for 3 epochs on the fixtures."""
    serialization_dir = tmp_path_factory.mktemp("attack") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
        patch.setenv("XLT_TRANSFORMER_DIM", str(TINY_DIM))
        patch.setenv("XLT_DATA_DIR", str(XTREME_DATA))
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "xnli_baseline.jsonnet"),
            "-s",
            str(serialization_dir),
            "-o",
            json.dumps(
                {
                    "trainer.num_epochs": 3,
                    "trainer.optimizer.lr": 1e-3,
                    "data_loader.batch_sampler.batch_size": 8,
                }
            ),
        )
    return serialization_dir / "model.tar.gz"


def evaluate(archive: Path, output: Path, evaluation: Dict[str, Any], *extra: str) -> Dict:
    run_allennlp(
        "evaluate",
        str(archive),
        str(XNLI / "test-en.tsv"),
        "--output-file",
        str(output),
        "-o",
        json.dumps({"evaluation": evaluation}),
        *extra,
    )
    return json.loads(output.read_text())


def reference_attack(model, batch, epsilon: float, alpha: float, steps: int, norm: str) -> float:
    """Madry et al.'s PGD from zero on the word embeddings, eval mode; the loss at delta_K."""
    model.eval()
    mask = batch_mask(batch)
    delta = torch.zeros(mask.shape[0], mask.shape[1], word_embeddings(model).embedding_dim)
    for _ in range(steps):
        delta.requires_grad_(True)
        (grad,) = torch.autograd.grad(loss_at(model, batch, delta * mask), delta)
        with torch.no_grad():
            grad = grad * mask
            if norm == "l2":
                delta = delta + alpha * grad / l2_norms(grad)
                delta = delta * torch.clamp(epsilon / l2_norms(delta), max=1.0)
            else:
                delta = (delta + alpha * grad.sign()).clamp(-epsilon, epsilon)
    with torch.no_grad():
        return float(loss_at(model, batch, delta * mask))


class TestEmbeddingAttack:
    @pytest.mark.parametrize(
        "settings", [{"norm": "l2", "epsilon": 0.3}, {"norm": "linf", "epsilon": 0.01}]
    )
    def test_matches_a_hand_written_pgd(self, tiny_transformer: Path, settings: Dict[str, Any]):
        instances = xnli_instances(tiny_transformer, 16)
        vocab = vocabulary(instances)
        model = build_model(tiny_transformer, vocab)
        make_trainer(model, instances, vocab, [], num_epochs=3, lr=0.1).train()
        evaluator = EmbeddingAttackEvaluator(steps=4, **settings)
        assert evaluator.alpha == pytest.approx(2.5 * settings["epsilon"] / 4)  # Madry's rule
        metrics = evaluator(model, SimpleDataLoader(list(instances), 8, vocab=vocab))
        # The model's own metrics are left reset and its parameters trainable.
        assert all(p.requires_grad for p in model.parameters())
        assert model.get_metrics() == {"accuracy": 0.0}
        batches = list(SimpleDataLoader(list(instances), 8, vocab=vocab))
        expected = [
            reference_attack(model, batch, evaluator.epsilon, evaluator.alpha, 4, evaluator.norm)
            for batch in batches
        ]
        assert metrics["attacked_loss"] == pytest.approx(sum(expected) / 2, abs=1e-5)
        assert metrics["attacked_loss"] > metrics["loss"] + 1e-3
        assert metrics["perturbation_norm"] == pytest.approx(settings["epsilon"], rel=1e-4)
        assert metrics["attacked_accuracy"] <= metrics["accuracy"]

    def test_random_starts_are_seeded_per_example(self, tiny_xlmr: Path):
        instances = xnli_instances(tiny_xlmr, 16)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)

        def run(batch_size: int, seed: int) -> Dict[str, float]:
            evaluator = EmbeddingAttackEvaluator(epsilon=0.3, steps=0, random_init=True, seed=seed)
            return evaluator(model, SimpleDataLoader(list(instances), batch_size, vocab=vocab))

        first, again, other = run(8, 0), run(4, 0), run(8, 1)
        # The same start for an example whatever its batch (losses average per batch: compare
        # the mean norm, which is per example).
        assert first["perturbation_norm"] == pytest.approx(again["perturbation_norm"], abs=1e-6)
        assert first["perturbation_norm"] != pytest.approx(other["perturbation_norm"], abs=1e-6)
        assert 0 < first["perturbation_norm"] <= 0.3

    @pytest.mark.parametrize(
        "settings, parameter",
        [
            ({"epsilon": -1.0}, "epsilon"),
            ({"epsilon": float("nan")}, "epsilon"),
            ({"epsilon": 0.1, "norm": "l1"}, "norm"),
            ({"epsilon": 0.1, "steps": -1}, "steps"),
            ({"epsilon": 0.1, "alpha": -0.1}, "alpha"),
            ({"epsilon": 0.1, "random_init": "no"}, "random_init"),
        ],
    )
    def test_bad_parameters_name_the_parameter(self, settings, parameter):
        with pytest.raises(ParameterError) as error:
            EmbeddingAttackEvaluator(**settings)
        assert error.value.parameter == parameter

    def test_built_from_a_config(self):
        evaluator = Evaluator.from_params(
            Params({"type": "embedding_attack", "epsilon": 0.5, "steps": 10, "norm": "l2"})
        )
        assert isinstance(evaluator, EmbeddingAttackEvaluator)
        assert (evaluator.epsilon, evaluator.steps, evaluator.alpha) == (0.5, 10, 0.125)


class TestEmbeddingAttackCommand:
    def test_zero_epsilon_attacks_nothing(self, archive: Path, tmp_path: Path):
        plain = tmp_path / "plain.json"
        run_allennlp(
            "evaluate", str(archive), str(XNLI / "test-en.tsv"), "--output-file", str(plain)
        )
        metrics = evaluate(
            archive, tmp_path / "zero.json", {"type": "embedding_attack", "epsilon": 0.0}
        )
        assert metrics["attacked_accuracy"] == metrics["accuracy"]
        assert metrics["attacked_loss"] == metrics["loss"]
        assert metrics["perturbation_norm"] == 0.0
        # The clean metrics are `allennlp evaluate`'s own.
        expected = json.loads(plain.read_text())
        assert metrics["accuracy"] == expected["accuracy"]
        assert metrics["loss"] == pytest.approx(expected["loss"], abs=1e-6)

    def test_a_larger_ball_hurts_more(self, archive: Path, tmp_path: Path):
        results = [
            evaluate(
                archive,
                tmp_path / f"eps{epsilon}.json",
                {"type": "embedding_attack", "norm": "l2", "epsilon": epsilon, "steps": 5},
            )
            for epsilon in (0.0, 0.1, 0.5, 2.0)
        ]
        losses = [result["attacked_loss"] for result in results]
        accuracies = [result["attacked_accuracy"] for result in results]
        assert losses == sorted(losses) and losses[0] < losses[-1]
        assert accuracies == sorted(accuracies, reverse=True)
        assert results[0]["attacked_accuracy"] == results[0]["accuracy"]
        assert all(r["embedding_norm"] == results[0]["embedding_norm"] for r in results)

    def test_deterministic_with_per_example_predictions(self, archive: Path, tmp_path: Path):
        evaluation = {"type": "embedding_attack", "epsilon": 0.5, "steps": 3, "random_init": True}
        predictions = tmp_path / "predictions.jsonl"
        first = evaluate(
            archive,
            tmp_path / "a.json",
            evaluation,
            "--predictions-output-file",
            str(predictions),
        )
        second = evaluate(archive, tmp_path / "b.json", evaluation)
        assert first == second
        lines = [json.loads(line) for line in predictions.read_text().splitlines()]
        assert len(lines) == len((XNLI / "test-en.tsv").read_text().splitlines())
        assert set(lines[0]) >= {"id", "correct", "attacked_correct", "attacked_prediction"}
        assert sum(line["attacked_correct"] for line in lines) / len(lines) == pytest.approx(
            first["attacked_accuracy"]
        )
        assert sum(line["correct"] for line in lines) / len(lines) == pytest.approx(
            first["accuracy"]
        )
