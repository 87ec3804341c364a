"""The alignment metrics of one layer (see the package docstring)."""

import math
from typing import Dict, Sequence

import torch

from allennlp_robust_xlt.retrieval.search import accuracy_at_1, best_matches, normalize


def linear_cka(x: torch.Tensor, y: torch.Tensor) -> float:
    """
    Linear CKA of two `[n, d]` representations of the same n items, in float64, columns
    centred: the feature form when d <= n, the Gram form otherwise (the same number).
    """
    x = x.double() - x.double().mean(dim=0, keepdim=True)
    y = y.double() - y.double().mean(dim=0, keepdim=True)
    if x.shape[1] <= x.shape[0] and y.shape[1] <= y.shape[0]:
        cross = (y.t() @ x).pow(2).sum()
        denominator = torch.linalg.norm(x.t() @ x) * torch.linalg.norm(y.t() @ y)
    else:
        gram_x, gram_y = x @ x.t(), y @ y.t()
        cross = (gram_x * gram_y).sum()
        denominator = torch.linalg.norm(gram_x) * torch.linalg.norm(gram_y)
    if float(denominator) == 0.0:
        return float("nan")
    return float(cross / denominator)


def alignment_metrics(english: torch.Tensor, foreign: torch.Tensor) -> Dict[str, float]:
    """The metrics of one layer: `english[i]` and `foreign[i]` (`[n, d]`) are translations."""
    n = english.shape[0]
    en, xx = normalize(english), normalize(foreign)
    parallel = (en.double() * xx.double()).sum(dim=1)
    cos_parallel = float(parallel.mean())
    total = float(en.double().sum(dim=0) @ xx.double().sum(dim=0))
    cos_random = (total - float(parallel.sum())) / (n * (n - 1)) if n > 1 else float("nan")
    english_to_foreign, foreign_to_english = best_matches(en, xx, "cosine")
    return {
        "cos_parallel": cos_parallel,
        "cos_random": cos_random,
        "cos_gap": cos_parallel - cos_random,
        "p_at_1": accuracy_at_1(english_to_foreign),
        "p_at_1_reverse": accuracy_at_1(foreign_to_english),
        "cka": linear_cka(english, foreign),
    }


def mean_finite(values: Sequence[float]) -> float:
    """The mean of the values that are not NaN (NaN if none is)."""
    finite = [value for value in values if not math.isnan(value)]
    return sum(finite) / len(finite) if finite else float("nan")
