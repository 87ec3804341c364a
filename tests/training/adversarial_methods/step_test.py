"""`AdversarialStep`'s gradient plumbing and metrics, on toy tensors."""

from types import SimpleNamespace

import pytest
import torch

from allennlp_robust_xlt.nn.embedding_perturbation import WordEmbeddingCall
from allennlp_robust_xlt.training.adversarial_methods import AdversarialStep, build_method
from allennlp_robust_xlt.training.adversarial_methods.base import BASE_METRICS
from allennlp_robust_xlt.training.perturbation_metrics import PerturbationMetrics


class Scaler:
    def scale(self, loss: torch.Tensor) -> torch.Tensor:
        return loss * 4.0


def make_step(parameter: torch.Tensor, clean_loss: torch.Tensor) -> AdversarialStep:
    mask = torch.tensor([[True, False]])
    embeddings = torch.zeros(1, 2, 2)
    embeddings[0, 0] = torch.tensor([3.0, 4.0])
    return AdversarialStep(
        build_method("pgd", {"epsilon": 1.0}),
        None,  # type: ignore[arg-type]  (no extra forward pass in these tests)
        PerturbationMetrics(BASE_METRICS),
        SimpleNamespace(_scaler=Scaler()),  # type: ignore[arg-type]
        {},
        2,
        {"loss": clean_loss},
        WordEmbeddingCall(torch.ones(1, 2, dtype=torch.long), mask, embeddings, True),
        None,
        position=1,
    )


def test_backward_is_scaled_and_divided_by_the_group_size():
    parameter = torch.tensor(1.0, requires_grad=True)
    step = make_step(parameter, parameter * 3.0)
    step.backward(step.trainer_loss, 0.5)
    assert float(parameter.grad) == pytest.approx(3.0 * 0.5 / 2 * 4.0)


def test_an_input_gradient_leaves_the_parameters_alone():
    parameter = torch.tensor(1.0, requires_grad=True)
    delta = torch.tensor(2.0, requires_grad=True)
    step = make_step(parameter, parameter * 3.0)
    grad = step.gradient(parameter * delta * delta, delta)
    assert float(grad) == pytest.approx(4.0 * 4.0) and parameter.grad is None


def test_record_reports_the_losses_norm_and_ratio():
    step = make_step(torch.tensor(1.0), torch.tensor(0.25))
    delta = torch.zeros(1, 2, 2)
    delta[0, 0, 0] = 0.5
    step.record([torch.tensor(1.0), torch.tensor(2.0)], delta)
    assert step.metrics.averages() == {
        "adversarial_loss": 1.5,
        "clean_loss": 0.25,
        "perturbation_norm": 0.5,
        "perturbation_ratio": pytest.approx(0.1),
    }
    assert step.position == 1
