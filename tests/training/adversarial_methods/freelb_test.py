"""
`freelb`'s ascent direction (its training step against Zhu et al.'s reference is tested through
the callback in `tests/training/callbacks/adversarial_training_test.py`).
"""

import torch

from allennlp_robust_xlt.training.adversarial_methods import build_method


def test_its_linf_step_scales_the_largest_coordinate_to_alpha():
    freelb = build_method("freelb", {"norm": "linf", "epsilon": 1.0, "alpha": 0.2})
    assert freelb.ascent_kind == "linf" and build_method("pgd", {}).ascent_kind == "l2"
    mask = torch.tensor([[True]])
    delta = freelb.ascend(torch.zeros(1, 1, 2), torch.tensor([[[4.0, -1.0]]]), mask)
    assert torch.allclose(delta, torch.tensor([[[0.2, -0.05]]]))
