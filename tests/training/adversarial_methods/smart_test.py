from pathlib import Path

import pytest
import torch

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests.training.adversarial_methods.kl_helpers import (
    assert_same_gradients,
    family,
    outputs_at,
    per_example,
    reference_step,
    rows_of,
    symmetric,
    token_mask,
    train_one_step,
    word_embeddings_of,
)


def reference_smart(name, model, batch, norm, epsilon, alpha, steps, noise_std, kl_weight):
    """Jiang et al.: x~ = x + delta, delta from N(0, sigma^2) and K normalised ascent steps on
    KL_S(f(x~), f(x)) (clean side fixed), projected on the ball; then
    L + lambda * KL_S(f(x), f(x~)) through both passes."""

    def term(model, batch, clean):
        mask = token_mask(model, batch)
        shape = mask.shape[:2] + (word_embeddings_of(model).embedding_dim,)
        delta = torch.randn(shape) * noise_std * mask
        target = rows_of(name, clean).detach()
        for _ in range(steps):
            delta.requires_grad_(True)
            ascent = symmetric(rows_of(name, outputs_at(model, batch, delta)), target)
            (grad,) = torch.autograd.grad(ascent, delta)
            with torch.no_grad():
                grad = grad * mask
                if norm == "linf":
                    step = grad / per_example(grad.abs().flatten(1).amax(dim=1))
                    delta = (delta + alpha * step).clamp(-epsilon, epsilon)
                else:
                    delta = delta + alpha * grad / per_example(grad.flatten(1).norm(dim=1))
                    norms = per_example(delta.flatten(1).norm(dim=1))
                    delta = torch.where(norms > epsilon, delta * epsilon / norms, delta)
                delta = delta * mask
        perturbed = outputs_at(model, batch, delta.detach())
        return kl_weight * symmetric(rows_of(name, clean), rows_of(name, perturbed))

    return reference_step(name, model, batch, term)


@pytest.mark.parametrize(
    "name, settings",
    [
        ("pair", {"epsilon": 0.02, "alpha": 0.01, "steps": 2, "noise_std": 0.01}),
        ("pair", {"norm": "l2", "epsilon": 0.5, "alpha": 0.3, "noise_std": 0.01, "kl_weight": 2}),
        ("tagging", {"epsilon": 0.02, "alpha": 0.015, "steps": 2, "noise_std": 0.005}),
        ("mc", {"norm": "l2", "epsilon": 0.5, "alpha": 0.2, "steps": 2, "noise_std": 0.01}),
    ],
)
def test_smart_matches_the_reference(tiny_xlmr: Path, tmp_path: Path, name, settings):
    settings = {"method": "smart", **settings}
    actual, model, batch, metrics = train_one_step(name, tiny_xlmr, tmp_path, settings)
    expected = reference_smart(
        name,
        model,
        batch,
        settings.get("norm", "linf"),
        settings["epsilon"],
        settings["alpha"],
        settings.get("steps", 1),
        settings["noise_std"],
        settings.get("kl_weight", 1.0),
    )
    assert_same_gradients(actual, expected)


def test_the_teacher_is_a_moving_average_and_survives_recover(tiny_xlmr: Path, tmp_path: Path):
    model, _, _ = family("pair", tiny_xlmr)
    settings = {"method": "smart", "proximal_weight": 1.0, "teacher_momentum": 0.9}
    method = AdversarialTrainingCallback(str(tmp_path), **settings).adversarial_method
    initial = {n: p.detach().clone() for n, p in model.named_parameters()}
    teacher = method.teacher(model)
    assert not any(module._forward_hooks for module in teacher.modules())
    with torch.no_grad():  # an optimizer step
        for parameter in model.parameters():
            parameter.add_(1.0)
    teacher = method.teacher(model)
    method.teacher(model)  # no step since: no move
    for name, parameter in teacher.named_parameters():
        expected = 0.9 * initial[name] + 0.1 * (initial[name] + 1.0)
        torch.testing.assert_close(parameter, expected, atol=1e-6, rtol=0)
        assert not parameter.requires_grad
    state = method.state_dict()
    resumed = AdversarialTrainingCallback(str(tmp_path), **settings).adversarial_method
    resumed.load_state_dict(state)
    for (name, parameter), (_, other) in zip(
        teacher.named_parameters(), resumed.teacher(model).named_parameters()
    ):
        assert torch.equal(parameter, other), name


def test_the_proximal_term_trains_and_is_logged(tiny_xlmr: Path, tmp_path: Path):
    settings = {"method": "smart", "proximal_weight": 1.0, "epsilon": 0.02, "alpha": 0.01}
    actual, model, batch, metrics = train_one_step("pair", tiny_xlmr, tmp_path, settings)
    names = {"clean_loss", "consistency_kl", "perturbation_norm", "proximal_kl"}
    assert {f"training_{name}" for name in names} <= set(metrics)
    # At the first step the teacher is the model, in eval mode: with dropout 0 the term is 0.
    assert metrics["training_proximal_kl"] == pytest.approx(0.0, abs=1e-7)
    assert metrics["training_consistency_kl"] > 0
    assert 0 < metrics["training_perturbation_norm"] <= 0.02 + 1e-7


@pytest.mark.parametrize(
    "settings, parameter",
    [
        ({"kl_weight": -0.5}, "kl_weight"),
        ({"epsilon": -1.0}, "epsilon"),
        ({"noise_std": -1.0}, "noise_std"),
        ({"alpha": 0.0}, "alpha"),
        ({"steps": 0}, "steps"),
        ({"proximal_weight": -1.0}, "proximal_weight"),
        ({"teacher_momentum": 1.0}, "teacher_momentum"),
        ({"norm": "l1"}, "norm"),
        ({"random_init": True}, "random_init"),
    ],
)
def test_bad_parameters_name_the_parameter(tmp_path: Path, settings, parameter):
    with pytest.raises(ParameterError) as error:
        AdversarialTrainingCallback(str(tmp_path), method="smart", **settings)
    assert error.value.parameter == parameter
