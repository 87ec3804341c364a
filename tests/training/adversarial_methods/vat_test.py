from pathlib import Path

import pytest
import torch

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests.training.adversarial_methods.kl_helpers import (
    assert_same_gradients,
    kl,
    outputs_at,
    per_example,
    reference_step,
    rows_of,
    token_mask,
    train_one_step,
    word_embeddings_of,
)


def unit(values: torch.Tensor) -> torch.Tensor:
    return values / per_example(values.flatten(1).norm(dim=1))


def reference_vat(name, model, batch, epsilon, xi, power_iterations, kl_weight):
    """Miyato et al.: d random unit, g = grad of KL(f(x) || f(x + xi d)) at xi d (f(x) fixed),
    r = epsilon g / ||g||; L + lambda * KL(f(x) || f(x + r)), f(x) fixed."""

    def term(model, batch, clean):
        mask = token_mask(model, batch)
        shape = mask.shape[:2] + (word_embeddings_of(model).embedding_dim,)
        target = rows_of(name, clean).detach()
        d = unit(torch.randn(shape) * mask)
        for _ in range(power_iterations):
            probe = (xi * d).requires_grad_(True)
            divergence = kl(target, rows_of(name, outputs_at(model, batch, probe)))
            (grad,) = torch.autograd.grad(divergence, probe)
            d = unit(grad * mask)
        perturbed = outputs_at(model, batch, (epsilon * d).detach())
        return kl_weight * kl(target, rows_of(name, perturbed))

    return reference_step(name, model, batch, term)


@pytest.mark.parametrize(
    "name, settings",
    [
        ("pair", {"epsilon": 0.7}),
        ("pair", {"epsilon": 1.0, "xi": 0.5, "power_iterations": 2, "kl_weight": 3.0}),
        ("tagging", {"epsilon": 0.7, "kl_weight": 2.0}),
        ("mc", {"epsilon": 0.7, "xi": 0.2}),
    ],
)
def test_vat_matches_the_reference(tiny_xlmr: Path, tmp_path: Path, name, settings):
    settings = {"method": "vat", **settings}
    actual, model, batch, metrics = train_one_step(name, tiny_xlmr, tmp_path, settings)
    expected = reference_vat(
        name,
        model,
        batch,
        settings["epsilon"],
        settings.get("xi", 0.1),
        settings.get("power_iterations", 1),
        settings.get("kl_weight", 1.0),
    )
    assert_same_gradients(actual, expected)
    norm = metrics["training_perturbation_norm"]
    assert norm == pytest.approx(settings["epsilon"], rel=1e-5)


@pytest.mark.parametrize(
    "settings, parameter",
    [
        ({"kl_weight": -1.0}, "kl_weight"),
        ({"epsilon": -0.7}, "epsilon"),
        ({"xi": 0.0}, "xi"),
        ({"power_iterations": 0}, "power_iterations"),
        ({"norm": "linf"}, "norm"),
    ],
)
def test_bad_parameters_name_the_parameter(tmp_path: Path, settings, parameter):
    with pytest.raises(ParameterError) as error:
        AdversarialTrainingCallback(str(tmp_path), method="vat", **settings)
    assert error.value.parameter == parameter
