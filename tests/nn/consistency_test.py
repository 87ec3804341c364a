import math

import pytest
import torch

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.consistency import (
    Distributions,
    detached,
    from_logits,
    kl_divergence,
    output_distributions,
    symmetric_kl,
)

LN2, LN3 = math.log(2.0), math.log(3.0)


def log(*probabilities: float) -> torch.Tensor:
    return torch.tensor([probabilities]).log()


def test_symmetric_kl_of_one_pair_by_hand():
    """P = (1/2, 1/2), Q = (1/4, 3/4): KL(P||Q) = ln2/2 + ln(2/3)/2, KL(Q||P) = ln(1/2)/4 +
    3 ln(3/2)/4; their sum is ln(3)/4."""
    p, q = Distributions(log(0.5, 0.5)), Distributions(log(0.25, 0.75))
    forward = 0.5 * LN2 + 0.5 * (LN2 - LN3)
    backward = 0.25 * -LN2 + 0.75 * (LN3 - LN2)
    assert float(kl_divergence([p], [q])) == pytest.approx(forward, abs=1e-6)
    assert float(kl_divergence([q], [p])) == pytest.approx(backward, abs=1e-6)
    assert float(symmetric_kl([p], [q])) == pytest.approx(LN3 / 4, abs=1e-6)
    assert float(symmetric_kl([q], [p])) == pytest.approx(LN3 / 4, abs=1e-6)
    assert float(symmetric_kl([p], [p])) == 0.0


def test_rows_then_groups_are_averaged_and_padding_classes_count_nothing():
    """Group 1: rows (P, Q) and (P, P), mean ln(3)/8; group 2: one row (P, Q) whose third class
    is padding (with a huge logit that must not count): ln(3)/4. The term: their mean."""
    first = Distributions(torch.cat([log(0.5, 0.5), log(0.5, 0.5)]))
    second = Distributions(torch.cat([log(0.25, 0.75), log(0.5, 0.5)]))
    mask = torch.tensor([[True, True, False]])
    padded_p = from_logits(torch.tensor([[0.0, 0.0, 99.0]]), mask)
    padded_q = from_logits(torch.tensor([[0.0, LN3, -5.0]]), mask)
    assert torch.allclose(padded_p.log_probs[:, :2].exp(), torch.tensor([[0.5, 0.5]]))
    value = symmetric_kl([first, padded_p], [second, padded_q])
    assert float(value) == pytest.approx((LN3 / 8 + LN3 / 4) / 2, abs=1e-6)


def test_from_logits_is_stable_and_gradients_are_finite():
    logits = torch.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    mask = torch.tensor([[True, True, False]])
    clean = from_logits(logits, mask)
    noisy = from_logits(logits + torch.tensor([[0.0, 999.0, 0.0]]), mask)
    value = symmetric_kl([clean], [noisy])
    value.backward()
    assert torch.isfinite(value) and float(value) > 0
    assert torch.isfinite(logits.grad).all() and float(logits.grad[0, 2]) == 0.0


def test_detached_sides_get_no_gradient():
    logits = torch.zeros(2, 3, requires_grad=True)
    other = torch.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]], requires_grad=True)
    kl_divergence(detached([from_logits(logits)]), [from_logits(other)]).backward()
    assert logits.grad is None and other.grad is not None


def test_groups_must_match():
    one = from_logits(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="cannot be compared"):
        symmetric_kl([one], [from_logits(torch.zeros(2, 4))])
    with pytest.raises(ValueError, match="2 groups"):
        symmetric_kl([one, one], [one])


def test_a_model_without_distributions_is_named():
    with pytest.raises(ParameterError, match="Linear: parameter 'output_distributions' is missing"):
        output_distributions(torch.nn.Linear(2, 2), {"logits": torch.zeros(1, 2)})


def test_a_ddp_style_wrapper_is_unwrapped():
    class Model(torch.nn.Module):
        def output_distributions(self, output):
            return [from_logits(output["logits"])]

    wrapper = torch.nn.Module()
    wrapper.module = Model()
    [found] = output_distributions(wrapper, {"logits": torch.zeros(1, 4)})
    assert torch.allclose(found.log_probs, torch.full((1, 4), -math.log(4.0)))
