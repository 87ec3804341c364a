from pathlib import Path

import pytest
import torch

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.embedding_scale import embedding_unit
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests.training.adversarial_methods.kl_helpers import (
    assert_same_gradients,
    outputs_at,
    reference_step,
    rows_of,
    symmetric,
    token_mask,
    train_one_step,
    word_embeddings_of,
)


def reference_r3f(name, model, batch, epsilon, kl_weight, noise_type):
    """Aghajanyan et al.: L(f(x), y) + lambda * KL_S(f(x), f(x + z)), through both passes."""

    def term(model, batch, clean):
        mask = token_mask(model, batch)
        shape = mask.shape[:2] + (word_embeddings_of(model).embedding_dim,)
        z = torch.empty(shape)
        z = z.uniform_(-epsilon, epsilon) if noise_type == "uniform" else z.normal_(0, epsilon)
        noisy = outputs_at(model, batch, z * mask)
        return kl_weight * symmetric(rows_of(name, clean), rows_of(name, noisy))

    return reference_step(name, model, batch, term)


@pytest.mark.parametrize(
    "name, settings",
    [
        ("pair", {"epsilon": 0.5, "kl_weight": 2.0}),
        ("pair", {"epsilon": 0.3, "noise_type": "normal"}),
        ("tagging", {"epsilon": 0.5, "kl_weight": 1.5}),
        ("mc", {"epsilon": 0.5, "noise_type": "normal", "kl_weight": 3.0}),
    ],
)
def test_r3f_matches_the_reference(tiny_xlmr: Path, tmp_path: Path, name, settings):
    settings = {"method": "r3f", **settings}
    actual, model, batch, metrics = train_one_step(name, tiny_xlmr, tmp_path, settings)
    expected = reference_r3f(
        name,
        model,
        batch,
        settings["epsilon"],
        settings.get("kl_weight", 1.0),
        settings.get("noise_type", "uniform"),
    )
    assert_same_gradients(actual, expected)
    # The term changes the gradients (the test could fail).
    model.zero_grad()
    outputs_at(model, batch)["loss"].backward()
    assert any(
        not torch.allclose(p.grad, actual[n], atol=1e-5)
        for n, p in model.named_parameters()
        if p.grad is not None
    )


def test_r3f_defaults_are_fairseqs(tmp_path: Path):
    callback = AdversarialTrainingCallback(str(tmp_path), method="r3f")
    method = callback.adversarial_method
    assert (method.epsilon, method.noise_type, method.kl_weight) == (1e-5, "uniform", 1.0)


@pytest.mark.parametrize(
    "settings, parameter",
    [
        ({"kl_weight": -1.0}, "kl_weight"),
        ({"epsilon": -1e-5}, "epsilon"),
        ({"noise_type": "laplace"}, "noise_type"),
        ({"adversarial_weight": 0.5}, "adversarial_weight"),
        ({"norm": "linf"}, "norm"),
        ({"r4f": "yes"}, "r4f"),
    ],
)
def test_bad_parameters_name_the_parameter(tmp_path: Path, settings, parameter):
    with pytest.raises(ParameterError) as error:
        AdversarialTrainingCallback(str(tmp_path), method="r3f", **settings)
    assert error.value.parameter == parameter
    assert "\n" not in str(error.value)


def test_a_relative_scale_is_a_multiple_of_the_per_coordinate_embedding_unit(
    tiny_xlmr: Path, tmp_path: Path
):
    settings = {"method": "r3f", "epsilon": 0.5, "relative_to": "embedding_norm"}
    _, model, _, metrics = train_one_step("pair", tiny_xlmr, tmp_path, settings)
    unit = embedding_unit(model, "embedding_norm", True, "test")
    # Uniform noise: its largest coordinate is just below the scale.
    assert 0.9 * 0.5 * unit < metrics["training_perturbation_norm"] <= 0.5 * unit
    assert metrics["training_perturbation_ratio"] > 0


def test_r4f_needs_a_linear_head(tiny_xlmr: Path, tmp_path: Path):
    from tests.retrieval.models.dual_encoder_test import model_and_batch

    model, _, _ = model_and_batch(tiny_xlmr, "cls")
    method = AdversarialTrainingCallback(str(tmp_path), method="r3f", r4f=True).adversarial_method
    with pytest.raises(ParameterError, match="parameter 'r4f' needs a linear head"):
        method.calibrate(model)
