"""
The answer to one question from its windows' start and end logits, chosen as XTREME's
`run_squad.py` chooses it for SQuAD v1.1 (transformers' `compute_predictions_logits` with
`version_2_with_negative=False`; the same code in XTREME's pinned transformers and in 4.20.1):

1. in each window, the `n_best_size` (20) positions with the highest start logits and the
   `n_best_size` with the highest end logits, over *all* positions of the window's input
   (question, special and padding positions included, as the model scored them); equal logits
   rank by position;
2. every (start, end) pair of those is a candidate unless: start or end is not a context token,
   the start token is not in its max-context window (`context_windows.max_context_masks`; the
   end token needs not be), end < start, or the span is longer than `max_answer_length` (30)
   sub-words;
3. the candidate with the highest start logit + end logit over all windows wins; on equal
   scores the first in the order window, start rank, end rank (a stable sort in transformers).

The null answer (the CLS position) is never a candidate, since CLS is not a context token.
Scores are summed in float64, as transformers sums the Python floats of the logits.

Where this deviates from XTREME, and why:

* the answer text is the context's characters from the start sub-word's first character to the
  end sub-word's last, by the tokenizer's offsets, stripped of surrounding whitespace: an exact
  substring of the context, with its character offset. transformers instead joins the
  whitespace-split words under the span with single spaces and cuts them down to the predicted
  sub-words with BERT's `BasicTokenizer` (`get_final_text`); when that alignment fails it returns
  the whole words. It fails, for example, for XLM-R on Chinese: the sentencepiece text "北京" is
  not found in the basic tokenizer's "北 京", so the answer becomes the whole whitespace-free
  run of text around it. The two agree otherwise up to whitespace inside the answer (which the
  metrics ignore) and punctuation glued to a word;
* with no valid candidate (no windows, or all candidates invalid) the answer is `""` at offset
  -1 with score -inf; transformers answers the placeholder text "empty".
"""

import math
from typing import List, NamedTuple, Sequence, Union

import numpy as np
import torch

from allennlp_robust_xlt.common.errors import check_int

ArrayLike = Union[np.ndarray, torch.Tensor, Sequence[float]]

N_BEST_SIZE = 20
"""XTREME's `run_squad.py --n_best_size` default."""
MAX_ANSWER_LENGTH = 30
"""XTREME's `run_squad.py --max_answer_length` default, in sub-words."""


class SelectedAnswer(NamedTuple):
    text: str
    """The answer, a substring of the context ("" if there is no valid span)."""
    start: int
    """Character offset of `text` in the context (-1 if there is no valid span)."""
    score: float
    """Start logit + end logit of the chosen span (-inf if there is no valid span)."""


NO_ANSWER = SelectedAnswer("", -1, -math.inf)


def _numpy(values: ArrayLike, dtype: type) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=dtype)


def _top(logits: np.ndarray, n_best_size: int) -> np.ndarray:
    """Positions of the `n_best_size` highest logits, highest first, equal ones by position."""
    return np.argsort(-logits, kind="stable")[:n_best_size]


def select_answer(
    context: str,
    start_logits: Sequence[ArrayLike],
    end_logits: Sequence[ArrayLike],
    offsets: Sequence[ArrayLike],
    token_is_max_context: Sequence[ArrayLike],
    n_best_size: int = N_BEST_SIZE,
    max_answer_length: int = MAX_ANSWER_LENGTH,
) -> SelectedAnswer:
    """
    The best answer over the windows of one question (see the module docstring). Each argument
    but `context` has one entry per window, in window order, over the window's positions:

    * `start_logits`, `end_logits`: shape `[positions]`, every position of the model's input;
    * `offsets`: shape `[positions, 2]`, the character span `[begin, end)` in `context` of each
      context sub-word, and `(-1, -1)` at positions that are not context sub-words;
    * `token_is_max_context`: shape `[positions]`, True where a context sub-word is in its
      max-context window.

    Windows may have different numbers of positions. Tensors are read on the CPU.
    """
    check_int("answer selection", "n_best_size", n_best_size)
    check_int("answer selection", "max_answer_length", max_answer_length)
    if not len(start_logits) == len(end_logits) == len(offsets) == len(token_is_max_context):
        raise ValueError("start_logits, end_logits, offsets, token_is_max_context: one per window")

    scores: List[np.ndarray] = []
    spans: List[np.ndarray] = []  # rows (begin character, end character)
    for window in range(len(start_logits)):
        starts = _numpy(start_logits[window], np.float64)
        ends = _numpy(end_logits[window], np.float64)
        window_offsets = _numpy(offsets[window], np.int64).reshape(-1, 2)
        max_context = _numpy(token_is_max_context[window], bool)
        if not starts.shape == ends.shape == max_context.shape == (len(window_offsets),):
            raise ValueError(f"window {window}: the arrays do not all have one entry per position")
        if np.isnan(starts).any() or np.isnan(ends).any():
            raise ValueError(f"window {window}: the logits contain NaN")
        in_context = window_offsets[:, 0] >= 0
        if (window_offsets[in_context, 1] > len(context)).any() or (
            window_offsets[in_context, 0] > window_offsets[in_context, 1]
        ).any():
            raise ValueError(f"window {window}: an offset lies outside the context")

        # Candidates in transformers' order: start rank (rows), then end rank (columns).
        start_index = _top(starts, n_best_size)[:, None]
        end_index = _top(ends, n_best_size)[None, :]
        valid = (
            in_context[start_index]
            & in_context[end_index]
            & max_context[start_index]
            & (end_index >= start_index)
            & (end_index - start_index + 1 <= max_answer_length)
        )
        rows, columns = np.nonzero(valid)  # row-major: the candidates' order
        scores.append(starts[start_index[rows, 0]] + ends[end_index[0, columns]])
        spans.append(
            np.stack(
                [window_offsets[start_index[rows, 0], 0], window_offsets[end_index[0, columns], 1]],
                axis=1,
            )
        )

    all_scores = np.concatenate(scores) if scores else np.empty(0)
    if all_scores.size == 0:
        return NO_ANSWER
    best = int(np.argmax(all_scores))  # the first of equal maxima, as a stable sort keeps it
    begin, end = np.concatenate(spans)[best]
    text = context[begin:end]
    stripped = text.lstrip()
    begin += len(text) - len(stripped)
    return SelectedAnswer(stripped.rstrip(), int(begin), float(all_scores[best]))
