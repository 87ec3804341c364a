"""
The output distributions that a consistency objective compares (R3F, SMART, VAT: see
`docs/consistency-objectives.md`), and the (symmetric) KL divergence between two sets of them.
Nothing here is registered.

Every task model of the plugin exposes its distributions through one method,

    model.output_distributions(output_dict) -> List[Distributions]

which reads the output dictionary of one of its forward passes and returns one `Distributions`
per *group* the task's loss averages over: a group is a `[rows, classes]` tensor of
log-probabilities (computed from the logits by `log_softmax` in float32, so numerically stable)
with an optional `[rows, classes]` boolean mask of the classes that exist (padding classes
contribute nothing). `output_distributions(model, output_dict)` below calls it (through a DDP
wrapper too) and names the model when it has none. The groups of each family:

| family (model) | groups | rows | classes |
|---|---|---|---|
| pair / sentence classification (`xtreme_pair_classifier`, `basic_classifier`) | 1 | examples | labels |
| tagging (`xtreme_tagger`) | 1 | the words under the mask | tags |
| QA (`xtreme_transformer_qa`) | 2: start, end | the real windows | the window's real positions |
| multiple choice (`xtreme_multiple_choice`) | 1 | examples | the example's real choices |
| retrieval (`xtreme_dual_encoder`) | 1 | queries | the batch's candidates (in-batch softmax) |

A term over the groups is averaged as the task's loss averages: the mean over the rows of each
group (tokens under the mask, windows, examples), then the mean over the groups (start and end).
The outputs need no labels: a batch without them gives the same distributions.
"""

from typing import Any, Dict, List, NamedTuple, Optional, Sequence

import torch

from allennlp_robust_xlt.common.errors import ParameterError


class Distributions(NamedTuple):
    """
    `log_probs`: `[rows, classes]` log-probabilities, one distribution per row. `class_mask`:
    `None` (every class is real) or a `[rows, classes]` boolean tensor, `False` on padding
    classes (their probability is 0 and they contribute nothing to a divergence).
    """

    log_probs: torch.Tensor
    class_mask: Optional[torch.Tensor] = None


def from_logits(logits: torch.Tensor, class_mask: Optional[torch.Tensor] = None) -> Distributions:
    """
    The distributions of `[rows, classes]` logits: `log_softmax` in float32 over the classes of
    `class_mask` (the other classes get probability 0).
    """
    logits = logits.float()
    if class_mask is not None:
        class_mask = class_mask.bool()
        logits = logits.masked_fill(~class_mask, torch.finfo(torch.float32).min)
    return Distributions(torch.log_softmax(logits, dim=-1), class_mask)


def output_distributions(
    model: torch.nn.Module, output_dict: Dict[str, Any]
) -> List[Distributions]:
    """
    The distributions a consistency term compares, from the output of `model`'s forward pass
    (`model` may be wrapped by DDP). A `ParameterError` naming the model when it exposes none.
    """
    inner = getattr(model, "module", model)
    method = getattr(inner, "output_distributions", None)
    if method is None:
        from allennlp.models.basic_classifier import BasicClassifier

        if isinstance(inner, BasicClassifier):
            return [from_logits(output_dict["logits"])]
        raise ParameterError(
            type(inner).__name__,
            "output_distributions",
            "is missing: this model exposes no output distributions, so a consistency objective"
            " (r3f, smart, vat) cannot train it",
        )
    return method(output_dict)


def _check_pairs(first: Sequence[Distributions], second: Sequence[Distributions]) -> None:
    if len(first) != len(second) or not first:
        raise ValueError(f"cannot compare {len(first)} groups of distributions with {len(second)}")
    for one, other in zip(first, second):
        if one.log_probs.shape != other.log_probs.shape:
            raise ValueError(
                f"distributions of shapes {tuple(one.log_probs.shape)} and"
                f" {tuple(other.log_probs.shape)} cannot be compared"
            )


def _average(per_row: List[torch.Tensor]) -> torch.Tensor:
    """The mean over each group's rows, then over the groups (a group without rows counts 0)."""
    means = [row.sum() / max(row.numel(), 1) for row in per_row]
    return torch.stack(means).mean()


def _masked(terms: torch.Tensor, one: Distributions, other: Distributions) -> torch.Tensor:
    """`terms` with padding classes (either side's) set to 0, summed over the classes."""
    for mask in (one.class_mask, other.class_mask):
        if mask is not None:
            terms = terms.masked_fill(~mask, 0.0)
    return terms.sum(dim=-1)


def row_kl(first: Distributions, second: Distributions) -> torch.Tensor:
    """`KL(P || Q)` of each row, `[rows]`."""
    p = first.log_probs.exp()
    return _masked(p * (first.log_probs - second.log_probs), first, second)


def row_symmetric_kl(first: Distributions, second: Distributions) -> torch.Tensor:
    """`KL(P || Q) + KL(Q || P) = sum_c (p_c - q_c)(log p_c - log q_c)` of each row, `[rows]`."""
    difference = first.log_probs.exp() - second.log_probs.exp()
    return _masked(difference * (first.log_probs - second.log_probs), first, second)


def kl_divergence(first: Sequence[Distributions], second: Sequence[Distributions]) -> torch.Tensor:
    """`KL(P || Q)` (`P` the first), averaged as the task's loss averages (see the module doc)."""
    _check_pairs(first, second)
    return _average([row_kl(one, other) for one, other in zip(first, second)])


def symmetric_kl(first: Sequence[Distributions], second: Sequence[Distributions]) -> torch.Tensor:
    """`KL_S(P, Q) = KL(P || Q) + KL(Q || P)`, averaged as the task's loss averages."""
    _check_pairs(first, second)
    return _average([row_symmetric_kl(one, other) for one, other in zip(first, second)])


def detached(distributions: Sequence[Distributions]) -> List[Distributions]:
    """The same distributions without gradient (a fixed target, e.g. VAT's clean side)."""
    return [Distributions(d.log_probs.detach(), d.class_mask) for d in distributions]
