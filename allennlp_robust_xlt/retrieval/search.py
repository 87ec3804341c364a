"""
Exact nearest-neighbour search between two sets of sentence embeddings, in both directions at
once, and the ratio margin of Artetxe and Schwenk (2019) as XTREME's
`third_party/utils_retrieve.py` (after LASER) computes it:

    margin(x, y) = cos(x, y) / ((mean_{z in NN_k(x)} cos(x, z) + mean_{z in NN_k(y)} cos(y, z)) / 2)

where NN_k(x) are x's k nearest neighbours on the other side (k = 4). With `"margin"` scoring, a
query's best match is the candidate of highest margin among its k cosine nearest neighbours
(`mine_bitext`'s candidates), not over the whole other side.

The similarity matrix is never held whole: the rows of `x` are taken in chunks whose block of
similarities fits in `chunk_bytes`, and each block updates the running top-k of its rows
(x -> y) and of every column (y -> x), so peak memory is the two embedding matrices plus one
block, whatever the sizes (BUCC: hundreds of thousands of sentences per side). On ties the
lower index comes first, as in faiss' flat indexes.
"""

from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch

SCORINGS = ("cosine", "margin")
MARGIN_NEIGHBOURS = 4
"""k of the ratio margin (XTREME's `mine_bitext(neighborhood=4)`)."""
DEFAULT_CHUNK_BYTES = 256 * 1024 * 1024


@dataclass
class Neighbours:
    """The k nearest neighbours of each query: `similarities` and `indices`, `[n, k]`, best first."""

    similarities: torch.Tensor
    indices: torch.Tensor

    @property
    def mean(self) -> torch.Tensor:
        return self.similarities.mean(dim=1)


def normalize(embeddings: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """Rows scaled to unit L2 norm (float32); a zero row stays zero."""
    embeddings = embeddings.float()
    norms = embeddings.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return embeddings.div_(norms) if inplace else embeddings / norms


def nearest_neighbours(
    x: torch.Tensor,
    y: torch.Tensor,
    k: int,
    k_backward: Optional[int] = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> Tuple[Neighbours, Neighbours]:
    """
    The `k` most similar rows of `y` for each row of `x`, and the `k_backward` (default `k`)
    most similar rows of `x` for each row of `y`, by dot product (cosine for unit rows), from one
    pass over the similarity matrix in chunks of rows of `x`. `k` is capped by the sizes.
    """
    nx, ny = x.shape[0], y.shape[0]
    k_forward = min(k, ny)
    k_back = min(k if k_backward is None else k_backward, nx)
    rows_per_chunk = max(1, chunk_bytes // (4 * max(ny, 1)))
    forward_values, forward_indices = [], []
    # The running top-k of every column, [ny, k_back], merged with each block's.
    back_values = torch.full((ny, k_back), -float("inf"))
    back_indices = torch.zeros((ny, k_back), dtype=torch.long)
    y_t = y.t()
    for start in range(0, nx, rows_per_chunk):
        block = x[start : start + rows_per_chunk] @ y_t
        values, indices = _top_rows(block, k_forward)
        forward_values.append(values)
        forward_indices.append(indices)
        if k_back:
            values, indices = _top_columns(block, min(k_back, block.shape[0]))
            # Both parts are in (similarity desc, index asc) order and every running index is
            # below this block's, so a stable sort by similarity keeps that order.
            values = torch.cat([back_values, values], dim=1)
            indices = torch.cat([back_indices, indices + start], dim=1)
            order = values.sort(dim=1, descending=True, stable=True).indices[:, :k_back]
            back_values, back_indices = values.gather(1, order), indices.gather(1, order)
        del block
    forward = Neighbours(torch.cat(forward_values), torch.cat(forward_indices))
    return forward, Neighbours(back_values, back_indices)


def _top_rows(block: torch.Tensor, k: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    Each row's k largest values and their column indices, by value descending and, among equal
    values, by index ascending (`topk` leaves both open), so that duplicates are resolved as in
    faiss. Rows with a tie at the k-th value (rare: duplicate embeddings) are redone exactly.
    """
    columns = block.shape[1]
    values, indices = block.topk(min(k + 1, columns), dim=1)
    if k < columns:
        tied_rows = (values[:, k] == values[:, k - 1]).nonzero().flatten().tolist()
        values, indices = values[:, :k].contiguous(), indices[:, :k].contiguous()
        for row in tied_rows:
            candidates = (block[row] >= values[row, -1]).nonzero().flatten()
            order = block[row, candidates].sort(descending=True, stable=True).indices[:k]
            values[row], indices[row] = block[row, candidates[order]], candidates[order]
    # Within the k, sort by (value desc, index asc).
    by_index = indices.argsort(dim=1)
    values, indices = values.gather(1, by_index), indices.gather(1, by_index)
    by_value = values.sort(dim=1, descending=True, stable=True).indices
    return values.gather(1, by_value), indices.gather(1, by_value)


def _top_columns(block: torch.Tensor, k: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    Each column's k largest values and their row indices, `[columns, k]`, by value descending
    and, among equal values, by index ascending: k passes of `max` over the rows (which returns
    the first maximum), faster than `topk` on the transposed block and without its copy.
    Overwrites `block`.
    """
    values, indices = [], []
    for _ in range(k):
        top_values, top_indices = block.max(dim=0)
        values.append(top_values)
        indices.append(top_indices)
        block.scatter_(0, top_indices.unsqueeze(0), -float("inf"))
    return torch.stack(values, dim=1), torch.stack(indices, dim=1)


def margin_scores(forward: Neighbours, backward: Neighbours) -> torch.Tensor:
    """
    The ratio margin of each forward candidate, `[n, k]`: its cosine over the average of the
    query's and the candidate's mean similarity to their own k nearest neighbours.
    """
    denominators = (forward.mean.unsqueeze(1) + backward.mean[forward.indices]) / 2
    return forward.similarities / denominators


def best_matches(
    x: torch.Tensor,
    y: torch.Tensor,
    scoring: str = "cosine",
    k: int = MARGIN_NEIGHBOURS,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    For unit rows `x` and `y`: the index in `y` of each row of `x`'s best match, and the index
    in `x` of each row of `y`'s, by cosine (the nearest neighbour) or by ratio margin over the
    `k` nearest neighbours.
    """
    if scoring not in SCORINGS:
        raise ValueError(f"scoring must be one of {SCORINGS}, got {scoring!r}")
    forward, backward = nearest_neighbours(
        x, y, 1 if scoring == "cosine" else k, chunk_bytes=chunk_bytes
    )
    if scoring == "cosine":
        return forward.indices[:, 0], backward.indices[:, 0]
    return _best_by_margin(forward, backward), _best_by_margin(backward, forward)


def _best_by_margin(forward: Neighbours, backward: Neighbours) -> torch.Tensor:
    scores = margin_scores(forward, backward)
    return forward.indices.gather(1, scores.argmax(dim=1, keepdim=True)).squeeze(1)


def accuracy_at_1(predictions: torch.Tensor) -> float:
    """The fraction of queries i whose prediction is i (parallel sets, gold = same line)."""
    if predictions.numel() == 0:
        return float("nan")
    gold = torch.arange(predictions.shape[0])
    return int((predictions == gold).sum()) / predictions.shape[0]


def mine_bitext(
    x: torch.Tensor,
    y: torch.Tensor,
    scoring: str = "margin",
    k: int = MARGIN_NEIGHBOURS,
    threshold: float = 0.0,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> List[Tuple[float, int, int]]:
    """
    Candidate translation pairs `(score, i, j)` between unit rows `x` and `y`, as XTREME's
    `utils_retrieve.mine_bitext(mode="mine", retrieval="max", neighborhood=k)` with
    `margin="ratio"` (`scoring="margin"`) or `margin="absolute"` (`"cosine"`): each row's best
    match among its k nearest neighbours in both directions, taken in descending score order
    when neither side is taken yet, kept when its score exceeds `threshold` (a taken pair below
    it still uses up its two sentences, as there).
    """
    if scoring not in SCORINGS:
        raise ValueError(f"scoring must be one of {SCORINGS}, got {scoring!r}")
    forward, backward = nearest_neighbours(x, y, k, chunk_bytes=chunk_bytes)
    if scoring == "margin":
        forward_scores = margin_scores(forward, backward)
        backward_scores = margin_scores(backward, forward)
    else:
        forward_scores, backward_scores = forward.similarities, backward.similarities
    forward_best, forward_at = forward_scores.max(dim=1)
    backward_best, backward_at = backward_scores.max(dim=1)
    sources = torch.cat(
        [torch.arange(x.shape[0]), backward.indices.gather(1, backward_at.unsqueeze(1)).squeeze(1)]
    )
    targets = torch.cat(
        [forward.indices.gather(1, forward_at.unsqueeze(1)).squeeze(1), torch.arange(y.shape[0])]
    )
    scores = torch.cat([forward_best, backward_best])
    order = torch.sort(scores, descending=True, stable=True).indices.tolist()
    scores_list, sources_list, targets_list = scores.tolist(), sources.tolist(), targets.tolist()
    seen_sources, seen_targets = set(), set()
    pairs = []
    for position in order:
        source, target = sources_list[position], targets_list[position]
        if source in seen_sources or target in seen_targets:
            continue
        seen_sources.add(source)
        seen_targets.add(target)
        if scores_list[position] > threshold:
            pairs.append((scores_list[position], source, target))
    return pairs
