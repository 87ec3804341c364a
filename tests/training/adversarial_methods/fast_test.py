"""
The `fast` method (Wong, Rice and Kolter, ICLR 2020) against a hand-written reference loop of
their algorithm that uses none of the method's code: a random start, one signed (L-inf) or
normalized (L2) gradient step of 1.25 epsilon, the projection, and the training step there.
"""

import copy
from pathlib import Path
from typing import Any, Dict, Optional

import pytest
import torch
from allennlp.common.testing import AllenNlpTestCase

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests.training.callbacks.adversarial_training_test import (
    assert_same_gradients,
    batch_mask,
    freelb_init,
    gradients,
    l2_norms,
    loss_at,
)
from tests.training.callbacks.helpers import (
    GradientRecorder,
    build_model,
    first_batch,
    make_trainer,
    vocabulary,
    word_embeddings,
    xnli_instances,
)

SEED = 1234


def reference_fast(
    model, batch, epsilon: float, norm: str, weight: float = 1.0, alpha: Optional[float] = None
) -> Dict[str, Any]:
    """
    Wong et al.'s Algorithm (FGSM with a random start, step `alpha` = 1.25 epsilon), with an
    optional clean term `(1 - weight) * L(0)`.
    """
    mask = batch_mask(batch)
    hidden = word_embeddings(model).embedding_dim
    torch.manual_seed(SEED)  # the callback draws its start first after this seed
    if norm == "linf":
        delta = torch.zeros(mask.shape[0], mask.shape[1], hidden).uniform_(-epsilon, epsilon)
        delta = delta * mask
    else:
        delta = freelb_init(batch, hidden, norm, epsilon)
    alpha = 1.25 * epsilon if alpha is None else alpha
    model.zero_grad()
    delta.requires_grad_(True)
    (grad,) = torch.autograd.grad(loss_at(model, batch, delta * mask), delta)
    with torch.no_grad():
        grad = grad * mask
        if norm == "linf":
            delta = (delta + alpha * grad.sign()).clamp(-epsilon, epsilon)
        else:
            delta = delta + alpha * grad / l2_norms(grad)
            delta = delta * torch.clamp(epsilon / l2_norms(delta), max=1.0)
        delta = delta * mask
    loss = weight * loss_at(model, batch, delta)
    if weight < 1:
        loss = loss + (1 - weight) * loss_at(model, batch)
    loss.backward()
    return gradients(model)


class TestFastParameters:
    def test_defaults_are_wong_et_al(self, tmp_path: Path):
        fast = AdversarialTrainingCallback(str(tmp_path), method="fast", norm="linf", epsilon=0.02)
        assert (fast.steps, fast.random_init, fast.adversarial_weight) == (1, True, 1.0)
        assert fast.alpha == pytest.approx(0.025)
        assert AdversarialTrainingCallback(str(tmp_path), method="fast").epsilon == 0.7

    @pytest.mark.parametrize(
        "settings, parameter",
        [
            ({"steps": 2}, "steps"),
            ({"random_init": False}, "random_init"),
            ({"alpha": -0.1}, "alpha"),
            ({"epsilon": -0.1}, "epsilon"),
            ({"norm": "linf"}, "epsilon"),
            ({"replays": 2}, "replays"),
        ],
    )
    def test_bad_parameters_name_the_parameter(self, tmp_path: Path, settings, parameter):
        with pytest.raises(ParameterError) as error:
            AdversarialTrainingCallback(str(tmp_path), method="fast", **settings)
        assert error.value.parameter == parameter


class TestFast(AllenNlpTestCase):
    @pytest.mark.parametrize(
        "settings",
        [
            {"norm": "linf", "epsilon": 0.01},
            {"norm": "l2", "epsilon": 0.5},
            {"norm": "l2", "epsilon": 0.5, "alpha": 0.3, "adversarial_weight": 0.5},
        ],
    )
    def test_gradients_match_the_reference(self, tiny_transformer: Path, settings: Dict[str, Any]):
        instances = xnli_instances(tiny_transformer, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_transformer, vocab)
        reference = copy.deepcopy(model)
        recorder = GradientRecorder(str(self.TEST_DIR))
        callback = AdversarialTrainingCallback(str(self.TEST_DIR), method="fast", **settings)
        trainer = make_trainer(model, instances, vocab, [callback, recorder], batch_size=8)
        torch.manual_seed(SEED)
        trainer.train()
        (actual,) = recorder.gradients
        batch = first_batch(instances, vocab)
        expected = reference_fast(
            reference,
            batch,
            settings["epsilon"],
            settings["norm"],
            settings.get("adversarial_weight", 1.0),
            settings.get("alpha"),
        )
        assert_same_gradients(actual, expected)
