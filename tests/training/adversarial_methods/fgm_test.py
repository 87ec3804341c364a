"""
`fgm`'s parameters and its single step (its training step against Miyato et al.'s reference is
tested through the callback in `tests/training/callbacks/adversarial_training_test.py`).
"""

import pytest
import torch

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.training.adversarial_methods import build_method


def test_its_step_has_length_epsilon_from_zero():
    fgm = build_method("fgm", {"epsilon": 0.5})
    assert (fgm.alpha, fgm.steps, fgm.random_init, fgm.adversarial_weight) == (None, 1, False, 0.5)
    mask = torch.tensor([[True, True]])
    delta = fgm.ascend(fgm.start(torch.zeros(1, 2, 3), mask), torch.ones(1, 2, 3), mask)
    assert float(delta.norm()) == pytest.approx(0.5)


def test_alpha_is_refused_with_the_reason():
    with pytest.raises(ParameterError, match="its single step has length epsilon"):
        build_method("fgm", {"alpha": 0.1})
