"""
The `adversarial_training` callback on the tiny XLM-R-style and BERT-style models, against plain
reference loops written from the papers' pseudo-code (Madry et al. 2018, Miyato et al. 2017,
Zhu et al. 2020) that use none of the callback's code.
"""

import copy
from pathlib import Path
from typing import Any, Dict, Optional

import pytest
import torch
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.training.callbacks.backward import MixedPrecisionBackwardCallback, OnBackwardException
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.common.errors import ParameterError, RobustXltError
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests.training.callbacks.helpers import (
    EmbeddingProbe,
    FakeGradScaler,
    GradientRecorder,
    build_model,
    first_batch,
    hooks_left,
    make_trainer,
    parameters,
    vocabulary,
    word_embeddings,
    xnli_instances,
)

LINF = {"norm": "linf", "epsilon": 0.01, "alpha": 0.004}


# -- reference loops (from the papers, independent of the callback) ----------------------------


def loss_at(model, batch, delta: Optional[torch.Tensor] = None) -> torch.Tensor:
    """The model's loss with `delta` added to the word-embedding output (FreeLB's inputs_embeds)."""
    layer = word_embeddings(model)
    handle = layer.register_forward_hook(
        lambda module, inputs, output: None if delta is None else output + delta
    )
    try:
        return model(**batch)["loss"]
    finally:
        handle.remove()


def batch_mask(batch) -> torch.Tensor:
    return batch["tokens"]["tokens"]["mask"].unsqueeze(-1).float()


def per_example(values: torch.Tensor) -> torch.Tensor:
    return values.view(-1, 1, 1)


def l2_norms(x: torch.Tensor) -> torch.Tensor:
    return per_example(x.flatten(1).norm(dim=1))


def freelb_init(batch, hidden: int, norm: str, magnitude: float) -> torch.Tensor:
    """Zhu et al.'s random init (run_glue_freelb.py), drawn from the global generator."""
    mask = batch_mask(batch)
    delta = torch.zeros(mask.shape[0], mask.shape[1], hidden).uniform_(-1, 1) * mask
    if norm == "l2":
        lengths = mask.sum(dim=(1, 2))
        return delta * per_example(magnitude / torch.sqrt(lengths * hidden))
    return delta * magnitude


def gradients(model) -> Dict[str, torch.Tensor]:
    return {
        name: p.grad.detach().clone() for name, p in model.named_parameters() if p.grad is not None
    }


def reference_pgd(
    model, batch, epsilon, alpha, steps, norm, weight, init=None
) -> Dict[str, torch.Tensor]:
    """Madry et al.: K projected ascent steps on delta, then descend on the loss at delta_K."""
    mask = batch_mask(batch)
    model.zero_grad()
    clean = loss_at(model, batch)
    delta = (
        torch.zeros(mask.shape[0], mask.shape[1], word_embeddings(model).embedding_dim)
        if init is None
        else init.clone()
    )
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = loss_at(model, batch, delta * mask)
        (grad,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            grad = grad * mask
            if norm == "l2":
                delta = delta + alpha * grad / l2_norms(grad)
                delta = delta * torch.clamp(epsilon / l2_norms(delta), max=1.0)
            else:
                delta = (delta + alpha * grad.sign()).clamp(-epsilon, epsilon)
            delta = delta * mask
    adversarial = loss_at(model, batch, delta.detach())
    ((1 - weight) * clean + weight * adversarial).backward()
    return gradients(model)


def reference_fgm(model, batch, epsilon, norm, weight) -> Dict[str, torch.Tensor]:
    """Miyato et al.: r_adv = epsilon * g / ||g||_2 (L-inf: Goodfellow's epsilon * sign(g))."""
    mask = batch_mask(batch)
    model.zero_grad()
    zero = torch.zeros(
        mask.shape[0], mask.shape[1], word_embeddings(model).embedding_dim, requires_grad=True
    )
    clean = loss_at(model, batch, zero)
    (grad,) = torch.autograd.grad(clean, zero, retain_graph=True)
    grad = grad * mask
    r_adv = epsilon * grad / l2_norms(grad) if norm == "l2" else epsilon * grad.sign()
    adversarial = loss_at(model, batch, (r_adv * mask).detach())
    ((1 - weight) * clean + weight * adversarial).backward()
    return gradients(model)


def reference_freelb(
    model, batch, epsilon, alpha, steps, norm, weight, init=None
) -> Dict[str, torch.Tensor]:
    """Zhu et al. Algorithm 1: accumulate the gradients of the K ascent steps' losses / K."""
    mask = batch_mask(batch)
    model.zero_grad()
    if weight < 1:
        ((1 - weight) * loss_at(model, batch)).backward()
    delta = (
        torch.zeros(mask.shape[0], mask.shape[1], word_embeddings(model).embedding_dim)
        if init is None
        else init.clone()
    )
    for step in range(steps):
        delta.requires_grad_(True)
        loss = loss_at(model, batch, delta * mask) * weight / steps
        loss.backward()
        if step == steps - 1:
            break
        grad = delta.grad.detach() * mask
        with torch.no_grad():
            if norm == "l2":
                delta = delta + alpha * grad / l2_norms(grad)
                norms = l2_norms(delta)
                delta = torch.where(norms > epsilon, delta * epsilon / norms, delta)
            else:
                delta = (
                    delta + alpha * grad / per_example(grad.abs().flatten(1).amax(dim=1))
                ).clamp(-epsilon, epsilon)
    return gradients(model)


# -- tests ------------------------------------------------------------------------------------


def assert_same_gradients(
    actual: Dict[str, torch.Tensor], expected: Dict[str, torch.Tensor]
) -> None:
    assert actual.keys() == expected.keys()
    for name in expected:
        torch.testing.assert_close(
            actual[name], expected[name], atol=1e-5, rtol=0, msg=lambda m: f"{name}: {m}"
        )


class TestParameters:
    @pytest.mark.parametrize(
        "settings, parameter",
        [
            ({"method": "no_such_method"}, "method"),
            ({"norm": "l1"}, "norm"),
            ({"epsilon": -0.1}, "epsilon"),
            ({"epsilon": float("nan")}, "epsilon"),
            ({"epsilon": float("inf")}, "epsilon"),
            ({"alpha": 0.0}, "alpha"),
            ({"alpha": -1.0}, "alpha"),
            ({"steps": 0}, "steps"),
            ({"method": "freelb", "steps": 0}, "steps"),
            ({"adversarial_weight": 1.5}, "adversarial_weight"),
            ({"adversarial_weight": -0.1}, "adversarial_weight"),
            ({"norm": "linf"}, "epsilon"),
            ({"norm": "linf", "epsilon": 0.01}, "alpha"),
            ({"method": "fgm", "alpha": 0.1}, "alpha"),
            ({"method": "fgm", "steps": 3}, "steps"),
            ({"method": "fgm", "random_init": True}, "random_init"),
            ({"warmup_steps": -1}, "warmup_steps"),
            ({"warmup_steps": 2.5}, "warmup_steps"),
        ],
    )
    def test_invalid_parameters_name_the_parameter(
        self, tmp_path: Path, settings: Dict[str, Any], parameter: str
    ):
        with pytest.raises(ParameterError) as error:
            AdversarialTrainingCallback(str(tmp_path), **settings)
        assert error.value.parameter == parameter
        assert str(error.value).startswith(f"adversarial_training: parameter '{parameter}' ")

    def test_defaults_per_method(self, tmp_path: Path):
        pgd = AdversarialTrainingCallback(str(tmp_path))
        assert (pgd.method, pgd.norm, pgd.epsilon, pgd.alpha, pgd.steps) == (
            "pgd",
            "l2",
            0.7,
            0.2,
            3,
        )
        assert pgd.random_init and pgd.adversarial_weight == 1.0
        fgm = AdversarialTrainingCallback(str(tmp_path), method="fgm")
        assert (fgm.steps, fgm.alpha, fgm.random_init, fgm.adversarial_weight) == (
            1,
            None,
            False,
            0.5,
        )
        freelb = AdversarialTrainingCallback(str(tmp_path), method="freelb")
        assert (freelb.steps, freelb.random_init, freelb.adversarial_weight) == (3, True, 1.0)

    def test_built_from_a_config(self, tmp_path: Path):
        callback = TrainerCallback.from_params(
            Params(
                {
                    "type": "adversarial_training",
                    "method": "freelb",
                    "norm": "linf",
                    "epsilon": 0.1,
                    "alpha": 0.05,
                    "steps": 2,
                }
            ),
            serialization_dir=str(tmp_path),
        )
        assert isinstance(callback, AdversarialTrainingCallback)
        assert (
            callback.method,
            callback.norm,
            callback.epsilon,
            callback.alpha,
            callback.steps,
        ) == ("freelb", "linf", 0.1, 0.05, 2)


class TestAdversarialTraining(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        self.seed = 1234

    def _train_one_step(
        self, model_path: Path, settings: Dict[str, Any], model_type: str = "xtreme_pair_classifier"
    ):
        """One optimizer step on the first 8 pairs; returns the gradients and a fresh copy of the initial model."""
        instances = xnli_instances(model_path, 8)
        vocab = vocabulary(instances)
        model = build_model(model_path, vocab, model_type)
        reference_model = copy.deepcopy(model)
        recorder = GradientRecorder(str(self.TEST_DIR))
        callback = AdversarialTrainingCallback(str(self.TEST_DIR), **settings)
        trainer = make_trainer(model, instances, vocab, [callback, recorder], batch_size=8)
        torch.manual_seed(self.seed)
        trainer.train()
        assert len(recorder.gradients) == 1
        return recorder.gradients[0], reference_model, first_batch(instances, vocab)

    def _reference_start(
        self, callback: AdversarialTrainingCallback, model: Any, batch: Any
    ) -> Any:
        """The random start the callback draws, drawn again for the hand-written reference (or None)."""
        if not callback.random_init:
            return None
        torch.manual_seed(self.seed)
        return freelb_init(
            batch, word_embeddings(model).embedding_dim, callback.norm, callback.epsilon
        )

    @pytest.mark.parametrize(
        "settings",
        [
            {"method": "pgd", "steps": 3, "random_init": False, "adversarial_weight": 1.0},
            {"method": "pgd", "steps": 2, "random_init": False, "adversarial_weight": 0.5, **LINF},
            {"method": "pgd", "steps": 2, "random_init": True, "adversarial_weight": 0.3},
            {"method": "pgd", "steps": 1, "random_init": True, "adversarial_weight": 1.0, **LINF},
        ],
    )
    def test_pgd_gradients_match_the_reference(
        self, tiny_transformer: Path, settings: Dict[str, Any]
    ):
        actual, model, batch = self._train_one_step(tiny_transformer, settings)
        callback = AdversarialTrainingCallback(str(self.TEST_DIR), **settings)
        init = self._reference_start(callback, model, batch)
        expected = reference_pgd(
            model,
            batch,
            callback.epsilon,
            callback.alpha,
            callback.steps,
            callback.norm,
            callback.adversarial_weight,
            init,
        )
        assert_same_gradients(actual, expected)

    @pytest.mark.parametrize(
        "settings",
        [
            {"method": "fgm"},
            {"method": "fgm", "adversarial_weight": 1.0, "norm": "linf", "epsilon": 0.01},
        ],
    )
    def test_fgm_gradients_match_the_reference(
        self, tiny_transformer: Path, settings: Dict[str, Any]
    ):
        actual, model, batch = self._train_one_step(tiny_transformer, settings)
        callback = AdversarialTrainingCallback(str(self.TEST_DIR), **settings)
        expected = reference_fgm(
            model, batch, callback.epsilon, callback.norm, callback.adversarial_weight
        )
        assert_same_gradients(actual, expected)

    @pytest.mark.parametrize(
        "settings",
        [
            {"method": "freelb", "steps": 3},
            {"method": "freelb", "steps": 3, "random_init": False, "adversarial_weight": 0.6},
            {
                "method": "freelb",
                "steps": 2,
                "random_init": True,
                "adversarial_weight": 0.5,
                **LINF,
            },
        ],
    )
    def test_freelb_gradients_match_the_reference(
        self, tiny_transformer: Path, settings: Dict[str, Any]
    ):
        actual, model, batch = self._train_one_step(tiny_transformer, settings)
        callback = AdversarialTrainingCallback(str(self.TEST_DIR), **settings)
        init = self._reference_start(callback, model, batch)
        expected = reference_freelb(
            model,
            batch,
            callback.epsilon,
            callback.alpha,
            callback.steps,
            callback.norm,
            callback.adversarial_weight,
            init,
        )
        assert_same_gradients(actual, expected)

    def test_works_with_basic_classifier(self, tiny_xlmr: Path):
        settings = {"method": "pgd", "steps": 2, "random_init": False}
        actual, model, batch = self._train_one_step(
            tiny_xlmr, settings, model_type="basic_classifier"
        )
        assert type(model).__name__ == "BasicClassifier"
        expected = reference_pgd(model, batch, 0.7, 0.2, 2, "l2", 1.0)
        assert_same_gradients(actual, expected)

    @pytest.mark.parametrize(
        "settings",
        [
            {"method": "pgd", "steps": 3},
            {"method": "pgd", "steps": 3, "random_init": False, **LINF},
            {"method": "pgd", "steps": 2, "random_init": True, **LINF},
            {"method": "fgm", "epsilon": 0.3},
            {"method": "freelb", "steps": 3, "epsilon": 0.2, "alpha": 0.15},
            {"method": "freelb", "steps": 3, **LINF},
        ],
    )
    def test_perturbation_stays_in_the_ball_and_off_padding(
        self, tiny_transformer: Path, settings: Dict[str, Any]
    ):
        instances = xnli_instances(tiny_transformer, 16)
        vocab = vocabulary(instances)
        model = build_model(tiny_transformer, vocab)
        callback = AdversarialTrainingCallback(str(self.TEST_DIR), **settings)
        probe = EmbeddingProbe(str(self.TEST_DIR))
        make_trainer(model, instances, vocab, [callback, probe], batch_size=8).train()
        # The trainer's pass is the attack's first pass unless the attack starts at random with a clean term.
        own_first_pass = callback.random_init and not callback.starts_in_trainer_pass
        passes_per_batch = (
            callback.steps + (0 if callback.method == "freelb" else 1) + int(own_first_pass)
        )
        assert len(probe.passes) == 2 * passes_per_batch
        pad = word_embeddings(model).padding_idx
        perturbed = 0
        for record in probe.passes:
            delta, padding = record["delta"], record["ids"] == pad
            assert padding.any()  # the batches are padded
            assert torch.all(delta[padding] == 0)
            if callback.norm == "l2":
                norms = delta.flatten(1).norm(dim=1)
            else:
                norms = delta.abs().flatten(1).amax(dim=1)
            assert torch.all(norms <= callback.epsilon * (1 + 1e-5)), norms
            perturbed += int((norms > 0).all())
        # Every example is perturbed in every pass but the clean one (none: the random start).
        assert perturbed == 2 * (passes_per_batch - (0 if callback.starts_in_trainer_pass else 1))

    @pytest.mark.parametrize(
        "settings",
        [
            {"method": "pgd", "steps": 3},
            {"method": "pgd", "steps": 3, "random_init": False, **LINF},
            {"method": "fgm"},
            {"method": "fgm", "norm": "linf", "epsilon": 0.01},
        ],
    )
    def test_adversarial_loss_is_at_least_the_clean_loss(
        self, tiny_transformer: Path, settings: Dict[str, Any]
    ):
        instances = xnli_instances(tiny_transformer, 16)
        vocab = vocabulary(instances)
        model = build_model(tiny_transformer, vocab)
        callback = AdversarialTrainingCallback(str(self.TEST_DIR), **settings)
        probe = EmbeddingProbe(str(self.TEST_DIR))
        # lr 0: both batches see the same weights, so every pass of a batch is comparable.
        make_trainer(model, instances, vocab, [callback, probe], batch_size=8, lr=0.0).train()
        batches = list(iter(make_trainer(model, instances, vocab, [], batch_size=8).data_loader))
        per_batch = len(probe.passes) // 2
        for batch, batch_passes in zip(
            batches, (probe.passes[:per_batch], probe.passes[per_batch:])
        ):
            clean = loss_at(model, batch)
            adversarial = batch_passes[-1]  # the training pass after the K ascent steps
            assert torch.all(adversarial["delta"].flatten(1).abs().amax(dim=1) > 0)
            assert adversarial["loss"] > clean + 1e-4, (float(adversarial["loss"]), float(clean))

    @pytest.mark.parametrize(
        "settings",
        [{"epsilon": 0.0}, {"adversarial_weight": 0.0}, {"method": "freelb", "epsilon": 0.0}],
    )
    def test_zero_epsilon_or_weight_is_exactly_the_baseline(
        self, tiny_xlmr: Path, settings: Dict[str, Any]
    ):
        instances = xnli_instances(tiny_xlmr, 16)
        vocab = vocabulary(instances)

        def run(callbacks) -> Dict[str, torch.Tensor]:
            model = build_model(
                tiny_xlmr, vocab, dropout=None
            )  # the models' dropout, drawing random numbers
            torch.manual_seed(7)
            make_trainer(model, instances, vocab, callbacks, batch_size=8, num_epochs=2).train()
            return parameters(model)

        baseline = run([])
        with_callback = run([AdversarialTrainingCallback(str(self.TEST_DIR), **settings)])
        changed = [
            name for name in baseline if not torch.equal(baseline[name], with_callback[name])
        ]
        assert changed == []
        # ... and the baseline did train: dropout and the updates are real.
        initial = parameters(build_model(tiny_xlmr, vocab, dropout=None))
        assert any(not torch.equal(initial[name], baseline[name]) for name in baseline)

    @pytest.mark.parametrize(
        "settings",
        [
            {"method": "pgd", "steps": 2, "random_init": False, "adversarial_weight": 0.5},
            {"method": "fgm", "norm": "linf", "epsilon": 0.01},
            {"method": "freelb", "steps": 2, "random_init": False},
        ],
    )
    def test_two_accumulation_steps_of_16_equal_one_batch_of_32(
        self, tiny_transformer: Path, settings: Dict[str, Any]
    ):
        instances = xnli_instances(tiny_transformer, 32)
        vocab = vocabulary(instances)

        def run(batch_size: int, accumulation: int) -> Dict[str, torch.Tensor]:
            model = build_model(tiny_transformer, vocab)
            callback = AdversarialTrainingCallback(str(self.TEST_DIR), **settings)
            make_trainer(
                model,
                instances,
                vocab,
                [callback],
                batch_size=batch_size,
                accumulation=accumulation,
                lr=0.5,
            ).train()
            return parameters(model)

        initial = parameters(build_model(tiny_transformer, vocab))
        whole, accumulated = run(32, 1), run(16, 2)
        for name in whole:
            torch.testing.assert_close(
                accumulated[name], whole[name], atol=1e-6, rtol=0, msg=lambda m: f"{name}: {m}"
            )
        assert any((whole[name] - initial[name]).abs().max() > 1e-3 for name in whole)

    def test_a_short_last_accumulation_group_is_divided_by_its_own_size(self, tiny_xlmr: Path):
        """3 batches with accumulation 2: groups of 2 and 1, exactly as the trainer divides its own loss."""
        instances = xnli_instances(tiny_xlmr, 24)
        vocab = vocabulary(instances)
        settings = {"method": "pgd", "steps": 1, "random_init": False, "adversarial_weight": 0.5}
        model = build_model(tiny_xlmr, vocab)
        reference = copy.deepcopy(model)
        recorder = GradientRecorder(str(self.TEST_DIR))
        callback = AdversarialTrainingCallback(str(self.TEST_DIR), **settings)
        make_trainer(
            model, instances, vocab, [callback, recorder], batch_size=8, accumulation=2, lr=0.0
        ).train()
        assert len(recorder.gradients) == 2
        last_batch = list(
            iter(make_trainer(reference, instances, vocab, [], batch_size=8).data_loader)
        )[-1]
        expected = reference_pgd(reference, last_batch, 0.7, 0.2, 1, "l2", 0.5)
        assert_same_gradients(recorder.gradients[1], expected)

    @pytest.mark.parametrize(
        "settings",
        [
            {"method": "pgd", "steps": 2, "random_init": False, "adversarial_weight": 0.5},
            {
                "method": "pgd",
                "steps": 1,
                "random_init": True,
            },  # the random start is in the trainer's pass
            {"method": "freelb", "steps": 2},
        ],
    )
    def test_warmup_steps_are_the_baselines_steps(self, tiny_xlmr: Path, settings: Dict[str, Any]):
        """4 batches, accumulation 2, 2 epochs: 4 optimizer steps, the first 3 of them clean."""
        instances = xnli_instances(tiny_xlmr, 32)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)
        reference = copy.deepcopy(model)
        recorder = GradientRecorder(str(self.TEST_DIR))
        callback = AdversarialTrainingCallback(str(self.TEST_DIR), warmup_steps=3, **settings)
        make_trainer(
            model,
            instances,
            vocab,
            [callback, recorder],
            batch_size=8,
            accumulation=2,
            num_epochs=2,
            lr=0.0,
        ).train()
        assert len(recorder.gradients) == 4 and callback.state_dict() == {"optimizer_steps": 4}

        batches = list(
            iter(make_trainer(reference, instances, vocab, [], batch_size=8).data_loader)
        )
        groups = [batches[:2], batches[2:]] * 2

        def averaged(group, gradients_of_batch) -> Dict[str, torch.Tensor]:
            """The gradient of an accumulation group of 2: the mean of its batches' gradients."""
            per_batch = [gradients_of_batch(batch) for batch in group]
            return {name: (per_batch[0][name] + per_batch[1][name]) / 2 for name in per_batch[0]}

        def clean_gradients(batch) -> Dict[str, torch.Tensor]:
            reference.zero_grad()
            loss_at(reference, batch).backward()
            return gradients(reference)

        for step in range(3):
            assert_same_gradients(recorder.gradients[step], averaged(groups[step], clean_gradients))
        last_clean = averaged(groups[3], clean_gradients)
        assert any(
            (recorder.gradients[3][name] - last_clean[name]).abs().max() > 1e-4
            for name in last_clean
        )
        if not callback.random_init:
            expected = averaged(
                groups[3],
                lambda batch: reference_pgd(
                    reference,
                    batch,
                    callback.epsilon,
                    callback.alpha,
                    callback.steps,
                    callback.norm,
                    callback.adversarial_weight,
                ),
            )
            assert_same_gradients(recorder.gradients[3], expected)

    def test_warmup_counter_round_trips(self, tmp_path: Path):
        callback = AdversarialTrainingCallback(str(tmp_path), warmup_steps=5)
        callback.load_state_dict({"optimizer_steps": 5})
        assert not callback.warming_up and callback.state_dict() == {"optimizer_steps": 5}
        callback.load_state_dict({})  # a checkpoint written before warm-up existed
        assert callback.warming_up

    def test_every_backward_goes_through_the_grad_scaler(self, tiny_transformer: Path):
        instances = xnli_instances(tiny_transformer, 16)
        vocab = vocabulary(instances)
        settings = {"method": "freelb", "steps": 2, "random_init": False, "adversarial_weight": 0.5}

        def run(scaler: Optional[FakeGradScaler]) -> Dict[str, torch.Tensor]:
            model = build_model(tiny_transformer, vocab)
            trainer = make_trainer(
                model,
                instances,
                vocab,
                [AdversarialTrainingCallback(str(self.TEST_DIR), **settings)],
                lr=0.5,
            )
            trainer._scaler = scaler  # what use_amp sets up on a GPU
            trainer.train()
            return parameters(model)

        scaler = FakeGradScaler(1024.0)
        scaled, plain = run(scaler), run(None)
        assert (
            scaler.scaled_losses == 2 * 2
        )  # per batch: the clean pass (FreeLB's step 0) and step 1
        for name in plain:
            torch.testing.assert_close(scaled[name], plain[name], atol=1e-6, rtol=1e-5)

    @pytest.mark.parametrize(
        "settings",
        [{"method": "pgd", "steps": 2, "random_init": False}, {"method": "freelb", "steps": 2}],
    )
    def test_non_finite_gradients_give_no_nan_perturbation(
        self, tiny_xlmr: Path, settings: Dict[str, Any]
    ):
        instances = xnli_instances(tiny_xlmr, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)
        before = parameters(model)
        probe = EmbeddingProbe(str(self.TEST_DIR))
        trainer = make_trainer(
            model,
            instances,
            vocab,
            [AdversarialTrainingCallback(str(self.TEST_DIR), **settings), probe],
        )
        scaler = FakeGradScaler(float("inf"))  # every scaled gradient overflows
        trainer._scaler = scaler
        trainer.train()
        assert len(probe.passes) > 1
        for record in probe.passes:
            assert torch.isfinite(record["delta"]).all()
        assert scaler.skipped_steps == 1
        assert all(torch.equal(before[name], value) for name, value in parameters(model).items())

    @pytest.mark.parametrize("random_init", [False, True])
    def test_training_metrics_count_the_trainers_passes_only(
        self, tiny_xlmr: Path, random_init: bool
    ):
        instances = xnli_instances(tiny_xlmr, 16)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)
        counts = []

        class Counter(TrainerCallback):
            def on_batch(self, trainer, *args, **kwargs):
                counts.append(trainer.model._accuracy.total_count)

        callback = AdversarialTrainingCallback(
            str(self.TEST_DIR), method="pgd", steps=3, random_init=random_init
        )
        metrics = make_trainer(
            model, instances, vocab, [callback, Counter(str(self.TEST_DIR))], batch_size=8, lr=0.0
        ).train()
        assert counts == [8, 16]  # not 8 * (number of passes)
        if not random_init:  # the trainer's pass is clean: its metrics are the baseline's
            baseline = make_trainer(
                build_model(tiny_xlmr, vocab), instances, vocab, [], batch_size=8, lr=0.0
            ).train()
            assert metrics["training_accuracy"] == baseline["training_accuracy"]
            assert metrics["training_loss"] == pytest.approx(baseline["training_loss"], abs=1e-6)

    def test_no_hook_or_proxy_is_left_behind(self, tiny_transformer: Path):
        instances = xnli_instances(tiny_transformer, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_transformer, vocab)
        callback = AdversarialTrainingCallback(str(self.TEST_DIR))
        trainer = make_trainer(model, instances, vocab, [callback])
        loader = trainer.data_loader

        class Spy(TrainerCallback):
            def on_batch(self, trainer, *args, **kwargs):
                assert hooks_left(trainer.model) == [
                    "_text_field_embedder.token_embedder_tokens.transformer_model.embeddings.word_embeddings"
                ]
                assert trainer.data_loader is not loader

        trainer._callbacks.append(Spy(str(self.TEST_DIR)))
        trainer.train()
        assert hooks_left(model) == []
        assert trainer.data_loader is loader

    def test_hooks_are_removed_when_training_fails(self, tiny_xlmr: Path):
        instances = xnli_instances(tiny_xlmr, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)

        class Failing(TrainerCallback):
            def on_batch(self, *args, **kwargs):
                raise KeyboardInterrupt

        callbacks = [AdversarialTrainingCallback(str(self.TEST_DIR)), Failing(str(self.TEST_DIR))]
        # (AllenNLP's own confidence checks would leave their hooks behind after such a failure.)
        trainer = make_trainer(model, instances, vocab, callbacks, run_confidence_checks=False)
        loader = trainer.data_loader
        with pytest.raises(KeyboardInterrupt):
            trainer.train()
        assert hooks_left(model) == []
        assert trainer.data_loader is loader

    def test_another_backward_callback_is_an_error(self, tiny_xlmr: Path):
        instances = xnli_instances(tiny_xlmr, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)
        callbacks = [
            MixedPrecisionBackwardCallback(str(self.TEST_DIR)),
            AdversarialTrainingCallback(str(self.TEST_DIR)),
        ]
        trainer = make_trainer(model, instances, vocab, callbacks, run_confidence_checks=False)
        trainer._scaler = FakeGradScaler(1.0)
        with pytest.raises(OnBackwardException, match="adversarial_training"):
            trainer.train()
        assert hooks_left(model) == []

    def test_model_without_a_transformer_is_a_clear_error(self, tiny_xlmr: Path):
        from allennlp.models import Model

        instances = xnli_instances(tiny_xlmr, 8)
        vocab = vocabulary(instances)
        model = Model.from_params(
            vocab=vocab,
            params=Params(
                {
                    "type": "basic_classifier",
                    "text_field_embedder": {
                        "token_embedders": {
                            "tokens": {
                                "type": "embedding",
                                "embedding_dim": 4,
                                "num_embeddings": 10,
                            }
                        }
                    },
                    "seq2vec_encoder": {"type": "boe", "embedding_dim": 4},
                }
            ),
        )
        trainer = make_trainer(
            model, instances, vocab, [AdversarialTrainingCallback(str(self.TEST_DIR))]
        )
        with pytest.raises(RobustXltError, match="no padding_idx|pretrained transformer"):
            trainer.train()
        assert hooks_left(model) == []
