"""
The windows over a long context, and which window is each token's "max context", as XTREME's
`run_squad.py` makes them (`third_party/processors/squad.py:squad_convert_example_to_features`,
the same in transformers 4.20.1's `data/processors/squad.py`).

A question with `N` context sub-words gets windows of at most `L` context sub-words, where
`L = max_seq_length - len(truncated question) - special tokens of a pair` (3 for BERT's
`[CLS] q [SEP] c [SEP]`, 4 for XLM-R's `<s> q </s></s> c </s>`), so `L` depends on the question:

* window `k` starts at `k * doc_stride`: **`doc_stride` (128 in XTREME) is the step between
  window starts**, not an overlap. The windows overlap by `L - doc_stride` sub-words;
* window `k` holds `min(L, N - k * doc_stride)` sub-words: the last window is shorter, it is
  *not* moved back to end at the context's end;
* after the first window that reaches the end (`k * doc_stride + L >= N`) there is none; a
  context that fits in `L` has one window, an empty one none.

AllenNLP's `transformer_squad` reader ends its windows the same way but its `stride` is the
overlap (each window starts `L - stride` after the previous), so its `stride=128` is XTREME's
`doc_stride = L - 128` (189 sub-words for `L = 317`): an AllenNLP reader reproduces XTREME only
with `stride = L - doc_stride`, which changes with the question's length.

A token in several windows is scored only in its max-context window (`_new_check_is_max_context`):
the window where `min(left context, right context) + 0.01 * window length` is largest, the
earliest one on a tie. `answer_selection` starts answers only at such tokens.
"""

from typing import List, Tuple

import numpy as np

from allennlp_robust_xlt.common.errors import ParameterError, check_int

_COMPONENT = "context windows"


def _check(context_length: int, max_context_tokens: int, doc_stride: int) -> None:
    check_int(_COMPONENT, "context_length", context_length, minimum=0)
    check_int(_COMPONENT, "max_context_tokens", max_context_tokens)
    check_int(_COMPONENT, "doc_stride", doc_stride)
    if doc_stride > max_context_tokens:
        raise ParameterError(
            _COMPONENT,
            "doc_stride",
            f"is {doc_stride}, more than the {max_context_tokens} context tokens of a window: "
            "the tokens between two windows would never be read",
        )


def window_starts(context_length: int, max_context_tokens: int, doc_stride: int) -> List[int]:
    """
    The first context sub-word of each window: `0, doc_stride, 2 * doc_stride, ...` up to the
    first window that reaches the end (see the module docstring). `[]` for an empty context.
    """
    return [start for start, _ in window_spans(context_length, max_context_tokens, doc_stride)]


def window_spans(
    context_length: int, max_context_tokens: int, doc_stride: int
) -> List[Tuple[int, int]]:
    """`(start, length)` of each window, in context sub-words."""
    _check(context_length, max_context_tokens, doc_stride)
    spans: List[Tuple[int, int]] = []
    start = 0
    while start < context_length:
        spans.append((start, min(max_context_tokens, context_length - start)))
        if start + max_context_tokens >= context_length:
            break
        start += doc_stride
    return spans


def max_context_masks(
    context_length: int, max_context_tokens: int, doc_stride: int
) -> List[np.ndarray]:
    """
    For each window, a boolean array over its context sub-words: True where the window is the
    sub-word's max-context window. Every sub-word is True in exactly one window.
    """
    spans = window_spans(context_length, max_context_tokens, doc_stride)
    if not spans:
        return []
    starts = np.array([start for start, _ in spans])[:, None]
    lengths = np.array([length for _, length in spans])[:, None]
    positions = np.arange(context_length)[None, :]
    ends = starts + lengths - 1
    inside = (positions >= starts) & (positions <= ends)
    score = np.minimum(positions - starts, ends - positions) + 0.01 * lengths
    best_window = np.argmax(np.where(inside, score, -np.inf), axis=0)  # the first on a tie
    return [
        best_window[start : start + length] == window
        for window, (start, length) in enumerate(spans)
    ]
