"""
XTREME-R's retrieval metric for LAReQA and Mewsli-X: mean average precision at k (k = 20).

`average_precision_at_k` is `third_party/utils_lareqa.py:average_precision_at_k` of
google-research/xtreme: over the top k of a ranking, the precision at each relevant item, summed
and divided by `min(number of relevant items, k)`. With one relevant item (Mewsli-X) it is the
reciprocal rank of that item within the top k (0 beyond), i.e. `utils_mewslix.py:evaluate`'s
MRR@20, which XTREME-R reports as map@20.
"""

from typing import Collection, List, Sequence, Tuple

import torch

from allennlp_robust_xlt.retrieval.search import nearest_neighbours, normalize

DEFAULT_K = 20


def average_precision_at_k(targets: Collection[int], ranked: Sequence[int], k: int) -> float:
    """AP@k of one query: `targets` are the relevant items, `ranked` the items best first."""
    if not targets:
        raise ValueError("a query needs at least one relevant item")
    top = list(ranked[:k])
    score = hits = 0.0
    for position, item in enumerate(top):
        if item in targets and item not in top[:position]:
            hits += 1.0
            score += hits / (position + 1.0)
    return score / min(len(targets), k)


def rank_top_k(queries: torch.Tensor, candidates: torch.Tensor, k: int) -> torch.Tensor:
    """`[n, min(k, m)]` indices of each query's k candidates of highest cosine, best first."""
    forward, _ = nearest_neighbours(normalize(queries), normalize(candidates), k, k_backward=0)
    return forward.indices


def mean_average_precision_at_k(
    queries: torch.Tensor,
    candidates: torch.Tensor,
    targets: Sequence[Collection[int]],
    k: int = DEFAULT_K,
) -> Tuple[float, List[float], List[List[int]]]:
    """
    mAP@k of `queries` (`[n, dim]`) ranking `candidates` (`[m, dim]`) by cosine, `targets[i]`
    being the indices of query i's relevant candidates; also each query's AP and top-k list.
    """
    ranked = rank_top_k(queries, candidates, k).tolist()
    scores = [average_precision_at_k(set(t), r, k) for t, r in zip(targets, ranked)]
    return (sum(scores) / len(scores) if scores else float("nan")), scores, ranked
