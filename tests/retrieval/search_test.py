import pytest
import torch

from allennlp_robust_xlt.retrieval.search import (
    accuracy_at_1,
    best_matches,
    margin_scores,
    mine_bitext,
    nearest_neighbours,
    normalize,
)

# Hand-made embeddings (rows 2 and 6 of Y are the same sentence, see bucc_test.py).
X1 = [
    [0.9, 0.1, 0.0, 0.2],
    [0.1, 0.8, 0.3, 0.0],
    [0.0, 0.2, 0.9, 0.1],
    [0.5, 0.5, 0.1, 0.0],
    [0.2, 0.0, 0.1, 0.9],
    [0.3, 0.3, 0.3, 0.3],
]
Y1 = [
    [0.8, 0.2, 0.1, 0.1],
    [0.0, 0.9, 0.2, 0.1],
    [0.4, 0.6, 0.0, 0.1],
    [0.1, 0.1, 0.8, 0.3],
    [0.1, 0.1, 0.2, 0.8],
    [0.6, 0.1, 0.6, 0.1],
]
# Three dimensions, values from a seeded uniform(-1, 1) rounded to 0.1: sources compete for
# targets, and several margins differ from the cosine ranking.
X2 = [
    [0.9, 0.1, 0.9],
    [0.4, 0.4, -0.6],
    [1.0, -1.0, -0.5],
    [-0.1, 0.6, -0.6],
    [0.7, 1.0, -0.7],
    [0.2, -1.0, -0.2],
    [-0.9, 0.9, -0.1],
]
Y2 = [
    [0.9, 0.6, 0.7],
    [-0.7, -0.9, 0.2],
    [-0.7, 0.5, -0.2],
    [0.1, 0.9, 0.0],
    [-0.8, -0.7, 0.1],
    [0.0, 0.3, -0.2],
]


def unit(rows) -> torch.Tensor:
    return normalize(torch.tensor(rows, dtype=torch.float32))


@pytest.mark.parametrize("chunk_bytes", [1, 200, 10**9])
def test_nearest_neighbours_in_chunks_equal_the_full_similarity_matrix(chunk_bytes: int):
    generator = torch.Generator().manual_seed(0)
    x = normalize(torch.randn(37, 8, generator=generator))
    y = normalize(torch.randn(23, 8, generator=generator))
    forward, backward = nearest_neighbours(x, y, 4, chunk_bytes=chunk_bytes)
    similarities = x @ y.t()
    expected_forward = similarities.topk(4, dim=1)
    expected_backward = similarities.t().topk(4, dim=1)
    assert torch.equal(forward.indices, expected_forward.indices)
    assert torch.equal(backward.indices, expected_backward.indices)
    torch.testing.assert_close(forward.similarities, expected_forward.values)
    torch.testing.assert_close(backward.similarities, expected_backward.values)
    # k is capped by the other side's size.
    forward, backward = nearest_neighbours(x[:3], y[:2], 4, chunk_bytes=chunk_bytes)
    assert forward.indices.shape == (3, 2) and backward.indices.shape == (2, 3)


def test_ties_go_to_the_lower_index():
    x = unit([[1.0, 0.0], [0.0, 1.0]])
    y = unit([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    forward, backward = nearest_neighbours(x, y, 3, chunk_bytes=8)
    assert forward.indices.tolist() == [[1, 2, 4], [0, 3, 1]]
    cosine_best, _ = best_matches(x, y, "cosine")
    assert cosine_best.tolist() == [1, 0]


def test_mine_bitext_matches_xtremes_script():
    """
    Expected pairs and scores: XTREME's `third_party/utils_retrieve.py` (google-research/xtreme
    @ 838c13b, faiss-cpu 1.7.4) run on X2 / Y2 with `mine_bitext(x, y, src, trg, out)`
    (mode="mine", retrieval="max", margin="ratio", neighborhood=4).
    """
    expected = [
        (31.798223766192024, 5, 1),
        (3.9648314831100855, 0, 0),
        (1.9093200003266368, 6, 2),
        (1.7163523311393052, 2, 4),
        (1.4294225073035667, 3, 5),
        (1.2788553283656918, 4, 3),
    ]
    pairs = mine_bitext(unit(X2), unit(Y2), chunk_bytes=16)
    assert [(i, j) for _, i, j in pairs] == [(i, j) for _, i, j in expected]
    assert [score for score, _, _ in pairs] == pytest.approx(
        [score for score, _, _ in expected], rel=1e-5
    )


def test_mine_bitext_with_cosine_scoring_is_xtremes_absolute_margin():
    """XTREME's `mine_bitext(..., margin="absolute")` on X1 / Y1 (see above)."""
    expected = {
        (0, 0): 0.9795246124267578,
        (4, 4): 0.9795246124267578,
        (1, 1): 0.977753758430481,
        (3, 2): 0.9617162346839905,
        (2, 3): 0.9587621688842773,
        (5, 5): 0.8137335181236267,
    }
    pairs = mine_bitext(unit(X1), unit(Y1), scoring="cosine")
    assert {(i, j): score for score, i, j in pairs} == pytest.approx(expected, rel=1e-6)


def test_threshold_keeps_the_pairs_scoring_above_it():
    pairs = mine_bitext(unit(X2), unit(Y2), threshold=1.5)
    assert [(i, j) for _, i, j in pairs] == [(5, 1), (0, 0), (6, 2), (2, 4)]


def test_margin_scores_are_the_ratio_margin():
    x, y = unit(X2), unit(Y2)
    forward, backward = nearest_neighbours(x, y, 4)
    scores = margin_scores(forward, backward)
    cosine = x @ y.t()
    x_mean = cosine.topk(4, dim=1).values.mean(dim=1)
    y_mean = cosine.t().topk(4, dim=1).values.mean(dim=1)
    for i in range(x.shape[0]):
        for column, j in enumerate(forward.indices[i].tolist()):
            expected = cosine[i, j] / ((x_mean[i] + y_mean[j]) / 2)
            assert float(scores[i, column]) == pytest.approx(float(expected), rel=1e-5)


def test_best_matches_both_directions():
    x, y = unit(X2), unit(Y2)
    cosine = x @ y.t()
    forward, backward = best_matches(x, y, "cosine")
    assert forward.tolist() == cosine.argmax(dim=1).tolist() == [0, 5, 1, 5, 5, 1, 2]
    assert backward.tolist() == cosine.argmax(dim=0).tolist() == [0, 5, 6, 4, 5, 3]
    forward, backward = best_matches(x, y, "margin")
    # The best margin among each row's 4 nearest neighbours (XTREME's mode="search").
    neighbours_forward, neighbours_backward = nearest_neighbours(x, y, 4)
    scores = margin_scores(neighbours_forward, neighbours_backward)
    expected = neighbours_forward.indices[torch.arange(7), scores.argmax(dim=1)]
    assert forward.tolist() == expected.tolist()
    assert forward.tolist() != best_matches(x, y, "cosine")[0].tolist()  # margin changes some
    assert backward.shape == (6,)
    with pytest.raises(ValueError):
        best_matches(x, y, "euclidean")


def test_accuracy_at_1():
    assert accuracy_at_1(torch.tensor([0, 1, 0, 3])) == 0.75
    assert accuracy_at_1(torch.tensor([1, 0])) == 0.0
    assert accuracy_at_1(torch.tensor([0, 0, 0, 0, 0, 5])) == 2 / 6  # exact, not float32


def test_ties_go_to_the_lower_index_in_both_directions_across_chunks():
    y = unit([[1.0, 0.0], [0.0, 1.0]])
    x = unit([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    for chunk_bytes in (1, 16, 10**6):
        forward, backward = nearest_neighbours(x, y, 3, chunk_bytes=chunk_bytes)
        assert backward.indices.tolist() == [[1, 2, 4], [0, 3, 1]]
        assert forward.indices[:, 0].tolist() == [1, 0, 0, 1, 0, 0]
