import json
import math
import random
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np
import pytest
import torch
from transformers import BertTokenizer
from transformers.data.metrics.squad_metrics import compute_predictions_logits
from transformers.data.processors import squad as transformers_squad

from allennlp_robust_xlt.rc.tools.answer_selection import NO_ANSWER, SelectedAnswer, select_answer
from allennlp_robust_xlt.rc.tools.context_windows import max_context_masks, window_spans

# Hand-made windows: a context of words "w0 w1 ... w9" (word i at character 3 i), one sub-word
# per word, windows laid out as [CLS] q q [SEP] context [SEP] (4 non-context positions).
CONTEXT = " ".join(f"w{i}" for i in range(10))
QUESTION_POSITIONS = 3  # [CLS] q q [SEP]


def window(
    start: int, length: int, max_context: Sequence[bool], padding: int = 0
) -> Tuple[np.ndarray, np.ndarray]:
    """Offsets and max-context flags of a window over context words start..start+length-1."""
    positions = QUESTION_POSITIONS + 1 + length + 1 + padding
    offsets = np.full((positions, 2), -1)
    flags = np.zeros(positions, dtype=bool)
    for j in range(length):
        word = start + j
        offsets[QUESTION_POSITIONS + 1 + j] = (3 * word, 3 * word + 2)
        flags[QUESTION_POSITIONS + 1 + j] = max_context[j]
    return offsets, flags


def logits(
    size: int, high: Optional[dict] = None, base: float = -5.0, positions_of_words: int = 0
) -> np.ndarray:
    """`base` everywhere, `high[word]` at the position of context word `word` of the window."""
    values = np.full(size, base)
    for word, value in (high or {}).items():
        values[QUESTION_POSITIONS + 1 + word - positions_of_words] = value
    return values


def test_best_span_within_one_window() -> None:
    offsets, flags = window(0, 10, [True] * 10)
    size = len(flags)
    answer = select_answer(
        CONTEXT,
        [logits(size, {2: 3.0, 5: 1.0})],
        [logits(size, {4: 2.0, 1: 4.0})],
        [offsets],
        [flags],
    )
    # (2, 1) would score 7 but ends before it starts; (2, 4) scores 5.
    assert answer == SelectedAnswer("w2 w3 w4", 6, 5.0)
    assert CONTEXT[answer.start : answer.start + len(answer.text)] == answer.text


def test_cross_window_choice_and_max_context_rule() -> None:
    """
    Windows over words 0-5 and 3-8 (w3-w5 in both; w3, w4 max-context in window 0, w5 in
    window 1). The highest-scoring span starts at w5 in window 0, where w5 is not max-context:
    it is discarded, and the same span from window 1 (lower logits) competes instead.
    """
    offsets0, flags0 = window(0, 6, [True] * 5 + [False])
    offsets1, flags1 = window(3, 6, [False, False] + [True] * 4)
    start0 = logits(len(flags0), {5: 9.0})
    end0 = logits(len(flags0), {5: 9.0})  # (w5, w5) 18 is discarded, (w0..w4, w5) score 4
    start1 = logits(len(flags1), {5: 4.0}, positions_of_words=3)
    end1 = logits(len(flags1), {6: 4.5}, positions_of_words=3)
    answer = select_answer(
        CONTEXT, [start0, start1], [end0, end1], [offsets0, offsets1], [flags0, flags1]
    )
    assert answer == SelectedAnswer("w5 w6", 15, 8.5)

    # Ending in a non-max-context token is allowed: w4-w5 in window 0.
    end0 = logits(len(flags0), {5: 9.0})
    start0 = logits(len(flags0), {4: 9.0})
    answer = select_answer(
        CONTEXT, [start0, start1], [end0, end1], [offsets0, offsets1], [flags0, flags1]
    )
    assert answer == SelectedAnswer("w4 w5", 12, 18.0)


def test_max_answer_length_in_sub_words() -> None:
    offsets, flags = window(0, 10, [True] * 10)
    size = len(flags)
    start, end = logits(size, {0: 5.0, 6: 1.0}), logits(size, {9: 5.0, 7: 1.0})
    assert select_answer(CONTEXT, [start], [end], [offsets], [flags]).text == CONTEXT  # 10 words
    answer = select_answer(CONTEXT, [start], [end], [offsets], [flags], max_answer_length=9)
    # (0, 7) is 8 sub-words and scores 6 = (6, 9); it is ranked first (start rank 0).
    assert answer == SelectedAnswer("w0 w1 w2 w3 w4 w5 w6 w7", 0, 6.0)
    # One sub-word: w0 (5 - 5) and w9 (-5 + 5) tie at 0; w0's start ranks first.
    answer = select_answer(CONTEXT, [start], [end], [offsets], [flags], max_answer_length=1)
    assert answer == SelectedAnswer("w0", 0, 0.0)


def test_the_cls_and_question_positions_are_never_answers() -> None:
    offsets, flags = window(0, 10, [True] * 10)
    size = len(flags)
    start, end = logits(size, {3: 1.0}), logits(size, {3: 1.0})
    start[: QUESTION_POSITIONS + 1] = 50.0  # CLS, question and SEP
    end[: QUESTION_POSITIONS + 1] = 50.0
    answer = select_answer(CONTEXT, [start], [end], [offsets], [flags])
    assert answer == SelectedAnswer("w3", 9, 2.0)


def test_the_n_best_lists_include_non_context_positions() -> None:
    """
    As in transformers, the top-n start/end positions are taken over all positions: when the
    question and padding positions fill the n-best lists, no context span is left.
    """
    offsets, flags = window(0, 10, [True] * 10, padding=3)
    size = len(flags)
    start, end = logits(size, {3: 1.0}), logits(size, {3: 1.0})
    start[1:3] = end[1:3] = 7.0  # question
    start[-3:] = end[-3:] = 6.0  # padding
    assert select_answer(CONTEXT, [start], [end], [offsets], [flags], n_best_size=5) == NO_ANSWER
    answer = select_answer(CONTEXT, [start], [end], [offsets], [flags], n_best_size=6)
    assert answer == SelectedAnswer("w3", 9, 2.0)


def test_ties() -> None:
    """Equal scores: the earlier window, then the start ranked first (lower position on equal
    start logits), then the end ranked first."""
    offsets0, flags0 = window(0, 5, [True] * 5)
    offsets1, flags1 = window(5, 5, [True] * 5)
    size = len(flags0)
    start0, end0 = logits(size, {1: 2.0}), logits(size, {1: 2.0})
    start1, end1 = logits(size, {6: 2.0}, positions_of_words=5), logits(
        size, {6: 2.0}, positions_of_words=5
    )
    both = select_answer(
        CONTEXT, [start0, start1], [end0, end1], [offsets0, offsets1], [flags0, flags1]
    )
    assert both == SelectedAnswer("w1", 3, 4.0)
    swapped = select_answer(
        CONTEXT, [start1, start0], [end1, end0], [offsets1, offsets0], [flags1, flags0]
    )
    assert swapped == SelectedAnswer("w6", 18, 4.0)

    # One window: starts w1 and w3 tie (w1 ranks first), ends w3 and w4 tie (w3 first).
    offsets, flags = window(0, 10, [True] * 10)
    size = len(flags)
    start, end = logits(size, {1: 1.0, 3: 1.0}), logits(size, {3: 1.0, 4: 1.0})
    assert select_answer(CONTEXT, [start], [end], [offsets], [flags]).text == "w1 w2 w3"


def test_answer_text_is_an_exact_substring_without_surrounding_whitespace() -> None:
    context = "Ein  Haus\u00a0am See,\n  sagte   sie."
    # Sub-word offsets as a fast tokenizer gives them; one position holds just the spaces "  ".
    spans = [(0, 3), (3, 5), (5, 9), (10, 12), (13, 16), (16, 17), (18, 20), (20, 25)]
    offsets = np.array([(-1, -1)] + spans + [(-1, -1)])
    flags = np.array([False] + [True] * len(spans) + [False])
    start = np.full(len(flags), -1.0)
    end = np.full(len(flags), -1.0)
    start[2], end[6] = 3.0, 3.0  # from the spaces before "Haus" to ","
    answer = select_answer(context, [start], [end], [offsets], [flags])
    assert answer == SelectedAnswer("Haus\u00a0am See,", 5, 6.0)
    assert context[answer.start : answer.start + len(answer.text)] == answer.text
    end[7] = 3.5  # to the spaces after the line break
    answer = select_answer(context, [start], [end], [offsets], [flags])
    assert answer == SelectedAnswer("Haus\u00a0am See,", 5, 6.5)


def test_tensors_windows_of_different_lengths_and_no_windows() -> None:
    offsets0, flags0 = window(0, 4, [True] * 4)
    offsets1, flags1 = window(4, 6, [True] * 6, padding=2)
    start0 = torch.tensor(logits(len(flags0), {2: 1.5}), dtype=torch.float32)
    start1 = torch.tensor(logits(len(flags1), {7: 1.0}, positions_of_words=4), dtype=torch.float32)
    end0, end1 = start0.clone(), start1.clone()
    answer = select_answer(
        CONTEXT,
        [start0, start1],
        [end0, end1],
        [torch.tensor(offsets0), offsets1],
        [torch.tensor(flags0), flags1],
    )
    assert answer == SelectedAnswer("w2", 6, 3.0)
    assert select_answer(CONTEXT, [], [], [], []) == NO_ANSWER
    assert NO_ANSWER.score == -math.inf


def test_bad_arguments() -> None:
    offsets, flags = window(0, 10, [True] * 10)
    size = len(flags)
    good = logits(size)
    with pytest.raises(ValueError, match="one per window"):
        select_answer(CONTEXT, [good], [good, good], [offsets], [flags])
    with pytest.raises(ValueError, match="one entry per position"):
        select_answer(CONTEXT, [good[:-1]], [good], [offsets], [flags])
    with pytest.raises(ValueError, match="NaN"):
        select_answer(CONTEXT, [np.full(size, np.nan)], [good], [offsets], [flags])
    with pytest.raises(ValueError, match="outside the context"):
        select_answer("w0", [good], [good], [offsets], [flags])
    with pytest.raises(Exception, match="n_best_size"):
        select_answer(CONTEXT, [good], [good], [offsets], [flags], n_best_size=0)


def _single_piece_words(tokenizer: BertTokenizer) -> List[str]:
    return sorted(w for w in tokenizer.vocab if w.isalpha() and tokenizer.tokenize(w) == [w])


def test_equals_transformers_compute_predictions_logits(tiny_bert: Path, tmp_path: Path) -> None:
    """
    Expected values: transformers 4.20.1's `compute_predictions_logits` (SQuAD v1.1 mode, the
    function XTREME's `run_squad.py` calls) run here on 300 random questions, with the features
    of its `squad_convert_example_to_features` and the tiny BERT tokenizer. Contexts are distinct
    one-sub-word words, so that its `get_final_text` returns exactly the words under the span
    and the texts can be compared; logits are random floats or small integers (many ties);
    n_best_size, max_answer_length and the window sizes vary. The answer text and the score
    (start + end logit of its best n-best entry) must be equal.
    """
    tokenizer = BertTokenizer.from_pretrained(str(tiny_bert))
    vocabulary = _single_piece_words(tokenizer)
    transformers_squad.squad_convert_example_to_features_init(tokenizer)
    rng = random.Random(14)
    no_answer = 0
    for trial in range(300):
        words = rng.sample(vocabulary, rng.randint(1, 60))
        context = " ".join(words)
        character_starts = np.cumsum([0] + [len(w) + 1 for w in words[:-1]])
        max_seq_length = rng.randint(14, 40)
        question = "what is it"
        max_context_tokens = max_seq_length - len(tokenizer.tokenize(question)) - 3
        doc_stride = rng.randint(1, max_context_tokens)
        n_best_size, max_answer_length = rng.randint(1, 20), rng.randint(1, 30)
        example = transformers_squad.SquadExample(
            f"q{trial}", question, context, None, None, "t", answers=[], is_impossible=False
        )
        features = transformers_squad.squad_convert_example_to_features(
            example, max_seq_length, doc_stride, 64, "max_length", is_training=False
        )
        results, starts, ends, offsets, flags = [], [], [], [], []
        integers = rng.random() < 0.5
        for unique_id, feature in enumerate(features):
            feature.example_index, feature.unique_id = 0, unique_id
            draw = [
                float(rng.randint(-3, 3)) if integers else float(np.float32(rng.gauss(0, 2)))
                for _ in range(2 * max_seq_length)
            ]
            start, end = draw[:max_seq_length], draw[max_seq_length:]
            results.append(transformers_squad.SquadResult(unique_id, start, end))
            window_offsets = np.full((max_seq_length, 2), -1)
            for position, word in feature.token_to_orig_map.items():
                begin = character_starts[word]
                window_offsets[position] = (begin, begin + len(words[word]))
            window_flags = np.zeros(max_seq_length, dtype=bool)
            for position, is_max in feature.token_is_max_context.items():
                window_flags[position] = is_max
            starts.append(start)
            ends.append(end)
            offsets.append(window_offsets)
            flags.append(window_flags)

        nbest_file = tmp_path / "nbest.json"
        predictions = compute_predictions_logits(
            [example], features, results, n_best_size, max_answer_length, False,
            None, str(nbest_file), None, False, False, 0.0, tokenizer,
        )  # fmt: skip
        best = json.loads(nbest_file.read_text())[example.qas_id][0]
        ours = select_answer(context, starts, ends, offsets, flags, n_best_size, max_answer_length)
        if predictions[example.qas_id] == "empty" and best["start_logit"] == 0.0:
            assert ours == NO_ANSWER
            no_answer += 1
            continue
        assert ours.text == predictions[example.qas_id], trial
        assert ours.score == best["start_logit"] + best["end_logit"], trial
        assert context[ours.start : ours.start + len(ours.text)] == ours.text

        # The windows and flags transformers made are those of context_windows.
        spans = window_spans(len(words), max_context_tokens, doc_stride)
        masks = max_context_masks(len(words), max_context_tokens, doc_stride)
        assert len(spans) == len(features)
        for (_, length), mask, window_flags, window_offsets in zip(spans, masks, flags, offsets):
            assert mask.tolist() == window_flags[window_offsets[:, 0] >= 0].tolist()
    assert 0 < no_answer < 60
