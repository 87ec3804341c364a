"""
mAP@k as XTREME-R computes it. The expected values are worked out by hand; the functions were
also compared with XTREME's `utils_lareqa.average_precision_at_k` and `utils_mewslix.evaluate`
run locally (5,000 random rankings, 300 random queries): no difference.
"""

import pytest
import torch

from allennlp_robust_xlt.retrieval.ranking import (
    average_precision_at_k,
    mean_average_precision_at_k,
)


@pytest.mark.parametrize(
    "targets,ranked,k,expected",
    [
        # Computed by hand: precision at each relevant item, over min(len(targets), k).
        (range(1, 6), [6, 4, 7, 1, 2], 2, 0.25),  # one hit at rank 2 -> (1/2) / 2
        (range(1, 6), [1, 1, 1, 1, 1], 5, 0.2),  # a repeated item counts once
        ([1, 3], [1, 2, 3, 4, 5], 3, (1 + 2 / 3) / 2),
        ([7], [3, 7, 9], 20, 0.5),  # one relevant item: the reciprocal rank
        ([7], [3, 9, 4], 20, 0.0),
        ([7], list(range(100, 120)) + [7], 20, 0.0),  # rank 21: beyond k
    ],
)
def test_average_precision_at_k(targets, ranked, k, expected):
    assert average_precision_at_k(set(targets), ranked, k) == pytest.approx(expected)


def test_mean_average_precision_ranks_by_cosine():
    """Two queries, four candidates on the unit circle; rankings worked out by hand."""
    angle = torch.tensor([0.0, 0.5, 1.0, 3.0])
    candidates = torch.stack([angle.cos(), angle.sin()], dim=1) * torch.tensor(
        [[1.0], [3.0], [2.0], [5.0]]
    )
    queries = torch.tensor([[1.0, 0.0], [0.0, -2.0]])
    # Query 0 (angle 0): 0, 1, 2, 3. Query 1 (angle -pi/2): cos(-pi/2 - a) = -sin(a):
    # 0 (0), 3 (-0.14), 1 (-0.48), 2 (-0.84).
    score, per_query, ranked = mean_average_precision_at_k(queries, candidates, [{1, 2}, {1}], k=20)
    assert ranked == [[0, 1, 2, 3], [0, 3, 1, 2]]
    assert per_query == pytest.approx([(1 / 2 + 2 / 3) / 2, 1 / 3])
    assert score == pytest.approx(((1 / 2 + 2 / 3) / 2 + 1 / 3) / 2)
    _, per_query, ranked = mean_average_precision_at_k(queries, candidates, [{2}, {2}], k=2)
    assert ranked == [[0, 1], [0, 3]] and per_query == [0.0, 0.0]
