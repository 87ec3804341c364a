"""
The scale of an encoder's word embeddings, for perturbation strengths that carry across encoders.

A radius such as `epsilon = 0.7` means little by itself: the word-embedding rows of one encoder
may have norms around 1, another's around 10. With `relative_to = "embedding_norm"` (in the
`adversarial_training` methods and the `random_perturbation` callback) a strength is a multiple
of the encoder's *embedding unit*:

* for a radius of an L2 ball (`norm = "l2"`, RS-RP's `uniform_ball`): the mean L2 norm of the
  rows of the vocabulary's word-embedding matrix (the padding row left out);
* for a per-coordinate size (`norm = "linf"`, RS-RP's `gaussian` standard deviation): that mean
  norm divided by the square root of the hidden size, the typical size of one coordinate.

Why the vocabulary's rows rather than the tokens of each batch: the unit is then one number per
encoder, measured once when training starts (and kept in the checkpoints, so `--recover` goes
on with the same radius), so the ball is the same for every batch, as an absolute radius is; it
does not depend on the batch's sentences, their lengths or the languages in it, and it costs
nothing per step. The per-batch ratio is logged instead, as a training metric
(`perturbation_ratio`, see `perturbation_ratio` below), to check what a strength means on the
data actually trained on.
"""

import math
from typing import Optional

import torch

from allennlp_robust_xlt.common.errors import RobustXltError
from allennlp_robust_xlt.nn.embedding_perturbation import example_norms, find_word_embedding_layer

RELATIVE_TO = ("absolute", "embedding_norm")


def mean_word_embedding_norm(layer: torch.nn.Embedding) -> float:
    """The mean L2 norm of the rows of `layer`'s weight, its padding row left out."""
    with torch.no_grad():
        weight = layer.weight.detach().float()
        norms = weight.norm(p=2, dim=1)
        if layer.padding_idx is not None and weight.size(0) > 1:
            keep = torch.ones(weight.size(0), dtype=torch.bool, device=weight.device)
            keep[layer.padding_idx] = False
            norms = norms[keep]
        return float(norms.mean()) if norms.numel() else 0.0


def embedding_unit(
    model: torch.nn.Module, relative_to: str, per_coordinate: bool, component: str
) -> float:
    """
    The unit strengths are given in: 1 for `"absolute"`; for `"embedding_norm"` the mean
    word-embedding norm of `model`'s transformer (divided by the square root of the hidden size
    when `per_coordinate`).
    """
    if relative_to == "absolute":
        return 1.0
    if relative_to != "embedding_norm":
        raise ValueError(f"unknown relative_to {relative_to!r}; expected one of {RELATIVE_TO}")
    layer = find_word_embedding_layer(model, component)
    unit = mean_word_embedding_norm(layer)
    if not math.isfinite(unit) or unit <= 0:
        raise RobustXltError(
            f"{component}: relative_to 'embedding_norm' needs word embeddings with a positive"
            f" finite mean norm, got {unit}"
        )
    if per_coordinate:
        unit /= math.sqrt(layer.embedding_dim)
    return unit


def perturbation_ratio(
    delta: torch.Tensor, embeddings: torch.Tensor, mask: torch.Tensor
) -> Optional[float]:
    """
    The mean over the examples with real tokens of `||delta|| / ||embeddings||`, both L2 norms
    over the example's real tokens and dimensions (None without any real token).
    """
    rows = mask.any(dim=1)
    if not bool(rows.any()):
        return None
    real = mask.unsqueeze(-1)
    delta_norms = example_norms(delta.detach().float().masked_fill(~real, 0.0), "l2")
    embedding_norms = example_norms(embeddings.detach().float().masked_fill(~real, 0.0), "l2")
    ratios = delta_norms[rows] / embedding_norms[rows].clamp_min(torch.finfo(torch.float).tiny)
    return float(ratios.mean())
