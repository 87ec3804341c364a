"""
The `free` method of the `adversarial_training` callback (Shafahi et al. 2019), against a plain
reference loop written from the paper's Algorithm 1 that uses none of the callback's code.
"""

import copy
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import torch
from allennlp.common.testing import AllenNlpTestCase
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests.training.callbacks.adversarial_training_test import batch_mask, l2_norms, loss_at
from tests.training.callbacks.helpers import (
    FakeGradScaler,
    build_model,
    make_trainer,
    parameters,
    vocabulary,
    word_embeddings,
    xnli_instances,
)


def reference_free(
    model: torch.nn.Module,
    batches: List[Dict[str, Any]],
    replays: int,
    epsilon: float,
    alpha: float,
    norm: str,
    lr: float,
    steps: Optional[int] = None,
) -> Dict[str, torch.Tensor]:
    """
    Shafahi et al.'s Algorithm 1 with SGD: one perturbation kept for the whole of training (row
    i of a batch continues row i of the previous one, on the tokens both have); each batch
    replayed `replays` times, each replay one backward for the parameter step and the FGSM-like
    ascent step (normalized gradient for L2, sign for L-inf), then the projection. Stops after
    `steps` parameter steps in all, if given.
    """
    taken = 0
    dim = word_embeddings(model).embedding_dim
    kept: Optional[torch.Tensor] = None
    for batch in batches:
        mask = batch_mask(batch)
        delta = torch.zeros(mask.shape[0], mask.shape[1], dim)
        if kept is not None:
            rows, length = min(kept.shape[0], delta.shape[0]), min(kept.shape[1], delta.shape[1])
            delta[:rows, :length] = kept[:rows, :length]
            delta = delta * mask
            if norm == "l2":
                delta = delta * torch.clamp(epsilon / l2_norms(delta).clamp_min(1e-30), max=1.0)
            else:
                delta = delta.clamp(-epsilon, epsilon)
        for _ in range(replays):
            if steps is not None and taken == steps:
                break
            taken += 1
            delta.requires_grad_(True)
            model.zero_grad()
            loss_at(model, batch, delta * mask).backward()
            with torch.no_grad():
                for parameter in model.parameters():
                    if parameter.grad is not None:
                        parameter -= lr * parameter.grad
                grad = delta.grad * mask
                if norm == "l2":
                    delta = delta + alpha * grad / l2_norms(grad)
                    delta = delta * torch.clamp(epsilon / l2_norms(delta), max=1.0)
                else:
                    delta = (delta + alpha * grad.sign()).clamp(-epsilon, epsilon)
                delta = delta * mask
        kept = delta.detach()
    return parameters(model)


class StepCounter(TrainerCallback):
    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self.steps_per_epoch: Dict[int, int] = {}

    def on_batch(self, trainer, batch_inputs, batch_outputs, batch_metrics, epoch, *args, **kwargs):
        if kwargs.get("is_training", args[1] if len(args) > 1 else True):
            self.steps_per_epoch[epoch] = self.steps_per_epoch.get(epoch, 0) + 1


class TestFreeParameters:
    @pytest.mark.parametrize(
        "settings, parameter",
        [
            ({"method": "free", "replays": 0}, "replays"),
            ({"method": "free", "steps": 2}, "steps"),
            ({"method": "free", "adversarial_weight": 0.5}, "adversarial_weight"),
            ({"method": "free", "share_dropout_masks": True}, "share_dropout_masks"),
            ({"method": "pgd", "replays": 2}, "replays"),
            ({"method": "pgd", "share_dropout_masks": "yes"}, "share_dropout_masks"),
        ],
    )
    def test_invalid_parameters_name_the_parameter(self, tmp_path: Path, settings, parameter):
        with pytest.raises(ParameterError) as error:
            AdversarialTrainingCallback(str(tmp_path), **settings)
        assert error.value.parameter == parameter

    def test_defaults(self, tmp_path: Path):
        free = AdversarialTrainingCallback(str(tmp_path), method="free", epsilon=0.3)
        assert (free.replays, free.alpha, free.random_init, free.adversarial_weight) == (
            3,
            0.3,
            False,
            1.0,
        )
        linf = AdversarialTrainingCallback(str(tmp_path), method="free", norm="linf", epsilon=0.01)
        assert linf.alpha == 0.01  # Shafahi et al. step by epsilon


class TestFree(AllenNlpTestCase):
    @pytest.mark.parametrize(
        "settings",
        [
            {"norm": "l2", "epsilon": 0.3, "alpha": 0.2, "replays": 2},
            {"norm": "linf", "epsilon": 0.01, "replays": 3},
        ],
    )
    def test_training_matches_the_reference(self, tiny_transformer: Path, settings: Dict[str, Any]):
        """
        16 pairs in batches of 8, 2 epochs of the baseline's 2 steps each: 4 steps in all, each
        batch replayed m times in a row (with m = 3, the first batch 3 times, the second once);
        the perturbation goes on from batch to batch.
        """
        instances = xnli_instances(tiny_transformer, 16)
        vocab = vocabulary(instances)
        model = build_model(tiny_transformer, vocab)
        reference = copy.deepcopy(model)
        counter = StepCounter(str(self.TEST_DIR))
        callback = AdversarialTrainingCallback(str(self.TEST_DIR), method="free", **settings)
        trainer = make_trainer(
            model, instances, vocab, [callback, counter], batch_size=8, num_epochs=2, lr=0.3
        )
        batches = list(iter(trainer.data_loader))
        assert len(batches) == 2
        initial = parameters(model)
        trainer.train()
        replays = callback.replays
        assert counter.steps_per_epoch == {0: 2, 1: 2}  # the baseline's
        expected = reference_free(
            reference, batches, replays, callback.epsilon, callback.alpha, callback.norm, 0.3, 4
        )
        actual = parameters(model)
        for name in expected:
            torch.testing.assert_close(
                actual[name], expected[name], atol=2e-6, rtol=0, msg=lambda m: f"{name}: {m}"
            )
        assert any((initial[name] - actual[name]).abs().max() > 1e-3 for name in actual)

    def test_an_epoch_has_the_baselines_steps_and_the_data_is_covered_once_per_m_epochs(
        self, tiny_xlmr: Path
    ):
        instances = xnli_instances(tiny_xlmr, 48)  # 6 batches of 8
        vocab = vocabulary(instances)
        seen: List[List[str]] = []

        class Spy(TrainerCallback):
            def on_batch(self, trainer, batch_inputs, *args, **kwargs):
                if kwargs.get("is_training"):
                    seen.append([m["id"] for m in batch_inputs[0]["metadata"]])

        counter = StepCounter(str(self.TEST_DIR))
        callback = AdversarialTrainingCallback(
            str(self.TEST_DIR), method="free", epsilon=0.1, replays=3
        )
        make_trainer(
            build_model(tiny_xlmr, vocab),
            instances,
            vocab,
            [callback, counter, Spy(str(self.TEST_DIR))],
            batch_size=8,
            num_epochs=3,
        ).train()
        assert counter.steps_per_epoch == {0: 6, 1: 6, 2: 6}  # as the baseline's epochs
        batches = [tuple(ids) for ids in seen]
        assert len(set(batches)) == 6  # the 3 epochs together cover the data once ...
        assert all(batches[i] == batches[i - i % 3] for i in range(18))  # ... each batch 3 times

    def test_a_number_of_batches_not_divisible_by_m_keeps_the_baselines_steps(
        self, tiny_xlmr: Path
    ):
        """6 batches, m = 4: each epoch 6 steps (not 8), each batch 4 times in a row."""
        instances = xnli_instances(tiny_xlmr, 48)  # 6 batches of 8
        vocab = vocabulary(instances)
        seen: List[List[str]] = []

        class Spy(TrainerCallback):
            def on_batch(self, trainer, batch_inputs, *args, **kwargs):
                if kwargs.get("is_training"):
                    seen.append([m["id"] for m in batch_inputs[0]["metadata"]])

        counter = StepCounter(str(self.TEST_DIR))
        callback = AdversarialTrainingCallback(
            str(self.TEST_DIR), method="free", epsilon=0.1, replays=4
        )
        make_trainer(
            build_model(tiny_xlmr, vocab),
            instances,
            vocab,
            [callback, counter, Spy(str(self.TEST_DIR))],
            batch_size=8,
            num_epochs=4,
        ).train()
        assert counter.steps_per_epoch == {0: 6, 1: 6, 2: 6, 3: 6}
        batches = [tuple(ids) for ids in seen]
        assert len(batches) == 24 and len(set(batches)) == 6  # one pass over the data ...
        assert all(batches[i] == batches[i - i % 4] for i in range(24))  # ... each batch 4 times

    @pytest.mark.parametrize("random_init", [False, True])
    def test_two_accumulation_steps_of_8_equal_one_batch_of_16(
        self, tiny_transformer: Path, random_init: bool
    ):
        instances = xnli_instances(tiny_transformer, 32)
        vocab = vocabulary(instances)

        def run(batch_size: int, accumulation: int) -> Dict[str, torch.Tensor]:
            model = build_model(tiny_transformer, vocab)
            callback = AdversarialTrainingCallback(
                str(self.TEST_DIR),
                method="free",
                epsilon=0.3,
                alpha=0.2,
                replays=2,
                random_init=random_init,
            )
            torch.manual_seed(3)
            make_trainer(
                model,
                instances,
                vocab,
                [callback],
                batch_size=batch_size,
                accumulation=accumulation,
                num_epochs=2,
                lr=0.5,
            ).train()
            return parameters(model)

        whole, accumulated = run(16, 1), run(8, 2)
        if random_init:
            # The random start is drawn per batch (per position in the group): not the same draws.
            assert any(not torch.equal(whole[n], accumulated[n]) for n in whole)
            return
        for name in whole:
            torch.testing.assert_close(
                accumulated[name], whole[name], atol=1e-6, rtol=0, msg=lambda m: f"{name}: {m}"
            )

    def test_every_backward_goes_through_the_grad_scaler(self, tiny_transformer: Path):
        instances = xnli_instances(tiny_transformer, 16)
        vocab = vocabulary(instances)

        def run(scaler: Optional[FakeGradScaler]) -> Dict[str, torch.Tensor]:
            model = build_model(tiny_transformer, vocab)
            callback = AdversarialTrainingCallback(
                str(self.TEST_DIR), method="free", epsilon=0.3, replays=2
            )
            trainer = make_trainer(model, instances, vocab, [callback], num_epochs=2, lr=0.5)
            trainer._scaler = scaler  # what use_amp sets up on a GPU
            trainer.train()
            return parameters(model)

        scaler = FakeGradScaler(1024.0)
        scaled, plain = run(scaler), run(None)
        assert scaler.scaled_losses == 4  # one backward per replay: 2 batches x 2 replays
        for name in plain:
            torch.testing.assert_close(scaled[name], plain[name], atol=1e-6, rtol=1e-5)

    def test_non_finite_gradients_skip_the_step_and_keep_the_perturbation_finite(
        self, tiny_xlmr: Path
    ):
        instances = xnli_instances(tiny_xlmr, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)
        before = parameters(model)
        callback = AdversarialTrainingCallback(
            str(self.TEST_DIR), method="free", epsilon=0.3, replays=2
        )
        # One batch, two epochs of its one step: the batch's two replays.
        trainer = make_trainer(model, instances, vocab, [callback], num_epochs=2)
        scaler = FakeGradScaler(float("inf"))
        trainer._scaler = scaler
        trainer.train()
        assert scaler.skipped_steps == 2
        assert all(
            torch.isfinite(delta).all() for delta in callback.adversarial_method.kept.values()
        )
        assert all(torch.equal(before[name], value) for name, value in parameters(model).items())

    def test_zero_epsilon_is_exactly_the_baseline(self, tiny_xlmr: Path):
        instances = xnli_instances(tiny_xlmr, 16)
        vocab = vocabulary(instances)

        def run(callbacks) -> Dict[str, torch.Tensor]:
            model = build_model(tiny_xlmr, vocab, dropout=None)
            torch.manual_seed(7)
            make_trainer(model, instances, vocab, callbacks, num_epochs=2).train()
            return parameters(model)

        baseline = run([])
        free = run([AdversarialTrainingCallback(str(self.TEST_DIR), method="free", epsilon=0.0)])
        assert all(torch.equal(baseline[name], free[name]) for name in baseline)

    def test_the_kept_perturbation_is_in_the_checkpoint_state(self, tiny_xlmr: Path):
        instances = xnli_instances(tiny_xlmr, 16)
        vocab = vocabulary(instances)
        callback = AdversarialTrainingCallback(
            str(self.TEST_DIR), method="free", epsilon=0.3, replays=2
        )
        make_trainer(build_model(tiny_xlmr, vocab), instances, vocab, [callback]).train()
        state = callback.state_dict()
        assert set(state) == {"optimizer_steps", "free_deltas", "replay"}
        assert state["optimizer_steps"] == 2
        (delta,) = state["free_deltas"].values()
        assert delta.device.type == "cpu" and delta.dtype == torch.float32
        assert 0 < float(delta.flatten(1).norm(dim=1).max()) <= 0.3 * (1 + 1e-5)
        again = AdversarialTrainingCallback(
            str(self.TEST_DIR), method="free", epsilon=0.3, replays=2
        )
        again.load_state_dict(state)
        assert torch.equal(again.adversarial_method.kept[0], delta)


class TestFreeWarmup(AllenNlpTestCase):
    def test_warm_up_steps_are_the_baselines_steps(self, tiny_xlmr: Path):
        """
        4 batches, 2 warm-up steps, 2 replays: the first two optimizer steps are the baseline's
        (batches 1 and 2, once each, clean); then batch 3 twice.
        """
        from tests.training.callbacks.helpers import GradientRecorder

        instances = xnli_instances(tiny_xlmr, 32)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)
        reference = copy.deepcopy(model)
        recorder = GradientRecorder(str(self.TEST_DIR))
        callback = AdversarialTrainingCallback(
            str(self.TEST_DIR), method="free", epsilon=0.3, replays=2, warmup_steps=2
        )
        make_trainer(model, instances, vocab, [callback, recorder], lr=0.0).train()
        assert len(recorder.gradients) == 4  # the baseline's 4 steps an epoch
        baseline = GradientRecorder(str(self.TEST_DIR))
        make_trainer(reference, instances, vocab, [baseline], lr=0.0).train()
        for step in (0, 1):
            for name, gradient in baseline.gradients[step].items():
                torch.testing.assert_close(recorder.gradients[step][name], gradient)
        # Step 3 is batch 3 at zero (the kept perturbation starts at 0): the baseline's step 3;
        # step 4 replays batch 3 at the perturbation, so its gradients differ.
        name = next(iter(baseline.gradients[2]))
        torch.testing.assert_close(recorder.gradients[2][name], baseline.gradients[2][name])
        assert not torch.allclose(recorder.gradients[3][name], baseline.gradients[2][name])
