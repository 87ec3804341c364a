"""`decision`: a predictor's choice, taken from the logits as `CategoricalAccuracy` takes it."""

import numpy
import pytest
import torch
from allennlp.training.metrics import CategoricalAccuracy

from allennlp_robust_xlt.common.decisions import decision

# Row 0: two logits whose float32 softmax rounds to an exact tie ([0.5, 0.5]); row 1: an exact
# tie of logits; row 2: a plain winner.
LOGITS = torch.tensor([[0.0, 1e-8], [0.25, 0.25], [2.0, -1.0]])


def test_the_decision_is_the_metrics_choice_not_the_rounded_probabilities():
    probs = torch.softmax(LOGITS, dim=-1)
    assert probs[0, 0] == probs[0, 1]  # the probabilities tie; the logits do not
    choices = [decision(row) for row in LOGITS]
    assert choices == [1, 0, 0]
    metric = CategoricalAccuracy()
    metric(LOGITS, torch.tensor(choices))
    assert metric.get_metric() == 1.0
    # Any container of numbers, as predictors get them from `forward_on_instances`.
    assert [decision(row.numpy()) for row in LOGITS] == choices
    assert [decision(row.tolist()) for row in LOGITS] == choices


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_the_first_of_an_exact_tie(dtype):
    assert decision(numpy.array([0.1, 0.7, 0.7], dtype=dtype)) == 1
