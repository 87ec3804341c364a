"""
The class a classifier's output decides, taken as its metric takes it.

AllenNLP's `CategoricalAccuracy` (and the plugin's per-example results) choose the index of the
largest logit with `torch.max` (on an exact tie, the first). Predictors choose the same way,
from the logits: the softmax probabilities of two near-tied logits can round to an exact tie
in float32 (XCOPA's `"probs": [0.5, 0.5]`), where an argmax of the probabilities would pick
the first choice while the metric picks the larger logit.
"""

from typing import Any

import torch


def decision(logits: Any) -> int:
    """The index of the largest of one example's `logits` (a tensor, array or list of numbers),
    the first one on an exact tie, as `CategoricalAccuracy` decides."""
    return int(torch.as_tensor(logits).max(dim=-1)[1])
