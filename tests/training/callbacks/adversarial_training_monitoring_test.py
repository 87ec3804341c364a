"""
The `adversarial_training` callback's training metrics (adversarial loss, clean loss,
perturbation norm) and its `share_dropout_masks` option.
"""

from pathlib import Path
from typing import Any, Dict, List

import pytest
import torch
from allennlp.common.testing import AllenNlpTestCase
from allennlp.data.data_loaders import SimpleDataLoader
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests.training.callbacks.helpers import (
    build_model,
    make_trainer,
    parameters,
    vocabulary,
    word_embeddings,
    xnli_instances,
)

NAMES = ("adversarial_loss", "clean_loss", "perturbation_norm")


class BatchMetricsSpy(TrainerCallback):
    """The `batch_metrics` every later callback (console, TensorBoard, W&B) receives."""

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self.training: List[Dict[str, Any]] = []
        self.validation: List[Dict[str, Any]] = []

    def on_batch(self, trainer, batch_inputs, batch_outputs, batch_metrics, epoch, *args, **kwargs):
        (self.training if kwargs.get("is_training") else self.validation).append(
            dict(batch_metrics)
        )


class TestTrainingMetrics(AllenNlpTestCase):
    def _train(self, model_path: Path, lr: float = 0.1, epochs: int = 1, **settings: Any):
        instances = xnli_instances(model_path, 16)
        vocab = vocabulary(instances)
        model = build_model(model_path, vocab)
        spy = BatchMetricsSpy(str(self.TEST_DIR))
        callback = AdversarialTrainingCallback(str(self.TEST_DIR), **settings)
        validation = SimpleDataLoader(list(instances), 8, vocab=vocab)
        trainer = make_trainer(
            model,
            instances,
            vocab,
            [callback, spy],
            lr=lr,
            num_epochs=epochs,
            validation_data_loader=validation,
        )
        metrics = trainer.train()
        return metrics, spy, model

    @pytest.mark.parametrize("method", ["pgd", "freelb"])
    def test_clean_and_adversarial_loss_and_norm_are_training_metrics(
        self, tiny_xlmr: Path, method: str
    ):
        metrics, spy, model = self._train(
            tiny_xlmr, lr=0.0, method=method, random_init=False, epsilon=0.5, alpha=0.3
        )
        for name in NAMES:
            assert f"training_{name}" in metrics and f"validation_{name}" not in metrics
            assert all(name in batch for batch in spy.training)
            assert not any(name in batch for batch in spy.validation)
        # lr 0: every pass sees the same weights; the trainer's pass is clean (no random start).
        assert metrics["training_clean_loss"] == pytest.approx(metrics["training_loss"], abs=1e-6)
        assert metrics["training_adversarial_loss"] > metrics["training_clean_loss"] + 1e-4
        assert 0 < metrics["training_perturbation_norm"] <= 0.5 * (1 + 1e-5)
        # The model's get_metrics is its own again.
        assert "get_metrics" not in vars(model)
        assert set(model.get_metrics()) == {"accuracy"}

    def test_fgm_moves_every_example_by_epsilon(self, tiny_xlmr: Path):
        metrics, _, _ = self._train(tiny_xlmr, method="fgm", epsilon=0.25)
        assert metrics["training_perturbation_norm"] == pytest.approx(0.25, abs=1e-5)

    def test_no_clean_loss_when_no_pass_is_clean(self, tiny_xlmr: Path):
        """PGD's default random start runs in the trainer's pass: no clean loss is computed."""
        metrics, spy, _ = self._train(tiny_xlmr, method="pgd", epsilon=0.5)
        assert "training_clean_loss" not in metrics
        assert "training_adversarial_loss" in metrics
        assert all("clean_loss" not in batch for batch in spy.training)

    def test_warm_up_reports_the_clean_loss_only(self, tiny_xlmr: Path):
        """2 batches an epoch, 2 warm-up steps: epoch 0 is clean, epoch 1 adversarial."""
        metrics, spy, _ = self._train(
            tiny_xlmr, epochs=2, method="pgd", random_init=False, warmup_steps=2
        )
        first, second = spy.training[:2], spy.training[2:]
        assert all("clean_loss" in batch and "adversarial_loss" not in batch for batch in first)
        assert all("adversarial_loss" in batch and "clean_loss" in batch for batch in second)
        assert metrics["training_clean_loss"] == pytest.approx(metrics["training_loss"], abs=1e-6)

    def test_no_clean_loss_in_the_warm_up_when_the_steps_after_it_have_none(self, tiny_xlmr: Path):
        """
        A metric that disappears keeps its last epoch value in AllenNLP's epoch metrics: a
        clean loss reported in the warm-up only would look current in every later epoch.
        """
        metrics, spy, _ = self._train(tiny_xlmr, epochs=2, method="pgd", warmup_steps=2)
        assert not any("clean_loss" in batch for batch in spy.training)
        assert "training_clean_loss" not in metrics

    def test_free_reports_the_loss_at_its_perturbation(self, tiny_xlmr: Path):
        metrics, _, _ = self._train(tiny_xlmr, method="free", epsilon=0.2, replays=2)
        assert metrics["training_adversarial_loss"] == pytest.approx(
            metrics["training_loss"], abs=1e-6
        )
        assert "training_clean_loss" not in metrics
        assert 0 < metrics["training_perturbation_norm"] <= 0.2 * (1 + 1e-5)

    def test_an_inactive_callback_reports_nothing(self, tiny_xlmr: Path):
        metrics, _, _ = self._train(tiny_xlmr, epsilon=0.0)
        assert not any(name in key for key in metrics for name in NAMES)


class DropoutProbe(TrainerCallback):
    """For every training forward pass, the zero pattern of every dropout module's output."""

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self.passes: List[List[torch.Tensor]] = []
        self._handles: List[Any] = []

    def on_start(self, trainer, is_primary=True, **kwargs) -> None:  # type: ignore[no-untyped-def]
        def new_pass(module, inputs, output):  # type: ignore[no-untyped-def]
            if torch.is_grad_enabled() and module.training:
                self.passes.append([])

        def record(module, inputs, output):  # type: ignore[no-untyped-def]
            if torch.is_grad_enabled() and module.training:
                self.passes[-1].append((output == 0).detach().clone())

        self._handles = [word_embeddings(trainer.model).register_forward_hook(new_pass)]
        self._handles += [
            module.register_forward_hook(record)
            for module in trainer.model.modules()
            if isinstance(module, torch.nn.Dropout)
        ]

    def on_end(self, trainer, metrics=None, epoch=None, is_primary=True, **kwargs) -> None:
        for handle in self._handles:
            handle.remove()


def same_masks(first: List[torch.Tensor], second: List[torch.Tensor]) -> bool:
    return len(first) == len(second) and all(torch.equal(a, b) for a, b in zip(first, second))


class TestSharedDropoutMasks(AllenNlpTestCase):
    @pytest.mark.parametrize(
        "settings, passes",
        [
            ({"method": "pgd", "steps": 3, "random_init": False}, 4),
            ({"method": "freelb", "steps": 3}, 3),
            ({"method": "pgd", "steps": 2, "random_init": True, "adversarial_weight": 0.5}, 4),
            ({"method": "fgm"}, 2),
        ],
    )
    def test_every_pass_of_a_batch_sees_the_trainers_masks(
        self, tiny_xlmr: Path, settings: Dict[str, Any], passes: int
    ):
        instances = xnli_instances(tiny_xlmr, 16)
        vocab = vocabulary(instances)
        results = {}
        for share in (True, False):
            probe = DropoutProbe(str(self.TEST_DIR))
            callback = AdversarialTrainingCallback(
                str(self.TEST_DIR), share_dropout_masks=share, **settings
            )
            model = build_model(tiny_xlmr, vocab, dropout=None)  # the models' dropout, 0.1
            torch.manual_seed(1)
            make_trainer(model, instances, vocab, [callback, probe], lr=0.1).train()
            assert len(probe.passes) == 2 * passes
            results[share] = [probe.passes[:passes], probe.passes[passes:]]
        for batch in results[True]:
            assert all(len(masks) > 5 and any(m.any() for m in masks) for masks in batch)
            assert all(same_masks(batch[0], other) for other in batch[1:])
        # Without sharing each pass draws its own masks.
        for batch in results[False]:
            assert not any(same_masks(batch[0], other) for other in batch[1:])
        # The two batches do not repeat each other's masks either way.
        assert not same_masks(results[True][0][0], results[True][1][0])

    @pytest.mark.parametrize(
        "settings",
        [
            {"method": "pgd", "steps": 2},  # random start in the trainer's pass
            {"method": "pgd", "steps": 2, "random_init": True, "adversarial_weight": 0.5},
            {"method": "freelb", "steps": 3},
        ],
    )
    def test_without_dropout_sharing_changes_nothing(
        self, tiny_xlmr: Path, settings: Dict[str, Any]
    ):
        instances = xnli_instances(tiny_xlmr, 16)
        vocab = vocabulary(instances)

        def run(share: bool) -> Dict[str, torch.Tensor]:
            model = build_model(tiny_xlmr, vocab, dropout=0.0)
            callback = AdversarialTrainingCallback(
                str(self.TEST_DIR), share_dropout_masks=share, **settings
            )
            torch.manual_seed(5)
            make_trainer(model, instances, vocab, [callback], num_epochs=2, lr=0.3).train()
            return parameters(model)

        shared, separate = run(True), run(False)
        for name in separate:
            assert torch.equal(shared[name], separate[name]), name
