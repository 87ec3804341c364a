"""
`pgd`'s parameters and ascent step on toy tensors. Its training step against Madry et al.'s
reference loop is tested through the callback in
`tests/training/callbacks/adversarial_training_test.py`.
"""

import pytest
import torch

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.training.adversarial_methods import build_method


def test_defaults():
    pgd = build_method("pgd", {})
    assert (pgd.norm, pgd.epsilon, pgd.alpha, pgd.steps) == ("l2", 0.7, 0.2, 3)
    assert pgd.random_init and pgd.adversarial_weight == 1.0 and pgd.starts_in_trainer_pass
    with pytest.raises(ParameterError, match="'alpha' has no default for norm 'linf'"):
        build_method("pgd", {"norm": "linf", "epsilon": 0.1})


def test_an_l2_step_has_length_alpha_and_stays_in_the_ball():
    pgd = build_method("pgd", {"epsilon": 1.0, "alpha": 0.6})
    mask = torch.tensor([[True, True, False]])
    grad = torch.zeros(1, 3, 2)
    grad[0, 0, 0], grad[0, 2, 1] = 3.0, 100.0  # the padding's gradient is ignored
    first = pgd.ascend(torch.zeros(1, 3, 2), grad, mask)
    assert torch.allclose(first[0, 0], torch.tensor([0.6, 0.0])) and first[0, 1:].abs().sum() == 0
    second = pgd.ascend(first, grad, mask)  # 1.2 projected back onto the radius 1
    assert float(second.norm()) == pytest.approx(1.0)


def test_a_linf_step_is_the_sign_clamped_to_epsilon():
    pgd = build_method("pgd", {"norm": "linf", "epsilon": 0.1, "alpha": 0.07})
    mask = torch.tensor([[True]])
    delta = pgd.ascend(torch.full((1, 1, 2), 0.05), torch.tensor([[[2.0, -0.001]]]), mask)
    assert torch.allclose(delta, torch.tensor([[[0.1, -0.02]]]))
