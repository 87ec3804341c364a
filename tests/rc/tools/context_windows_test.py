import random
from pathlib import Path
from typing import List

import numpy as np
import pytest
from allennlp_models.rc.dataset_readers import TransformerSquadReader
from transformers import BertTokenizer, XLMRobertaTokenizer
from transformers.data.processors import squad as transformers_squad

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.rc.tools.context_windows import (
    max_context_masks,
    window_spans,
    window_starts,
)


@pytest.mark.parametrize(
    "context_length, max_context_tokens, doc_stride, starts",
    [
        (50, 16, 7, [0, 7, 14, 21, 28, 35]),
        (16, 16, 7, [0]),
        (17, 16, 7, [0, 7]),
        (23, 16, 7, [0, 7]),
        (24, 16, 7, [0, 7, 14]),
        (5, 16, 7, [0]),
        (0, 16, 7, []),
        (10, 4, 4, [0, 4, 8]),
        # XTREME's defaults: 384 sub-words, doc_stride 128, a 10-sub-word question with BERT.
        (1000, 384 - 10 - 3, 128, [0, 128, 256, 384, 512, 640]),
        (371, 371, 128, [0]),
        (372, 371, 128, [0, 128]),
    ],
)
def test_window_starts(
    context_length: int, max_context_tokens: int, doc_stride: int, starts: List[int]
) -> None:
    """
    Expected values computed by hand from the rule of `squad_convert_example_to_features`:
    window k starts at k * doc_stride and the windows end with the first one that reaches the
    context's end (the (50, 16, 7) case is also what transformers 4.20.1 gives, see below).
    """
    assert window_starts(context_length, max_context_tokens, doc_stride) == starts
    spans = window_spans(context_length, max_context_tokens, doc_stride)
    assert [length for _, length in spans] == [
        min(max_context_tokens, context_length - start) for start in starts
    ]


def test_max_context_masks_by_hand() -> None:
    """
    Windows (0, 4) and (2, 4) over 6 sub-words (L = 4, doc_stride = 2). Position 2: window 0
    scores min(2, 1) + 0.04 = 1.04, window 1 min(0, 3) + 0.04 = 0.04 -> window 0. Position 3:
    min(3, 0) + 0.04 vs min(1, 2) + 0.04 -> window 1.
    """
    masks = max_context_masks(6, 4, 2)
    assert [m.tolist() for m in masks] == [[True, True, True, False], [False, True, True, True]]
    # The length counts: windows (0, 4) and (2, 3) over 5 sub-words. Position 3 scores
    # min(3, 0) + 0.04 = 0.04 in window 0 and min(1, 1) + 0.03 = 1.03 in window 1; position 2
    # min(2, 1) + 0.04 = 1.04 and min(0, 2) + 0.03 = 0.03.
    masks = max_context_masks(5, 4, 2)
    assert [m.tolist() for m in masks] == [[True, True, True, False], [False, True, True]]
    # Equal scores: the earlier window wins. Windows (0, 2), (1, 2), (2, 2) over 4 sub-words:
    # position 1 scores 0.02 in windows 0 and 1, position 2 0.02 in windows 1 and 2.
    masks = max_context_masks(4, 2, 1)
    assert [m.tolist() for m in masks] == [[True, True], [False, True], [False, True]]
    # Each sub-word is max-context in exactly one window.
    for n, length, stride in [(50, 16, 7), (1000, 317, 128), (7, 7, 3), (33, 10, 10)]:
        masks = max_context_masks(n, length, stride)
        counts = np.zeros(n, dtype=int)
        for (start, size), mask in zip(window_spans(n, length, stride), masks):
            assert mask.shape == (size,)
            counts[start : start + size] += mask
        assert (counts == 1).all()
    assert max_context_masks(0, 4, 2) == []


@pytest.mark.parametrize("style", ["bert", "xlmr"])
@pytest.mark.parametrize(
    "words, max_seq_length, doc_stride", [(50, 24, 7), (40, 30, 11), (13, 24, 14), (60, 20, 3)]
)
def test_windows_and_max_context_equal_transformers(
    tiny_models: dict, style: str, words: int, max_seq_length: int, doc_stride: int
) -> None:
    """
    Expected values: transformers 4.20.1's `squad_convert_example_to_features` (XTREME's copy
    has the same window loop and max-context rule) run here on the tiny tokenizers, with a
    context of one-sub-word words, so that the word index of a window's first context token is
    the window's start in sub-words.
    """
    tokenizer_class = BertTokenizer if style == "bert" else XLMRobertaTokenizer
    tokenizer = tokenizer_class.from_pretrained(str(tiny_models[style]))
    single = [w for w in "abcdefghijklmnopqrstuvwxyz" if len(tokenizer.tokenize(w)) == 1]
    assert len(single) >= 5
    rng = random.Random(words)
    context = " ".join(rng.choice(single) for _ in range(words))
    question = "what is it"
    transformers_squad.squad_convert_example_to_features_init(tokenizer)
    example = transformers_squad.SquadExample(
        "q", question, context, None, None, "t", answers=[], is_impossible=False
    )
    features = transformers_squad.squad_convert_example_to_features(
        example, max_seq_length, doc_stride, 64, "max_length", is_training=False
    )
    added = 3 if style == "bert" else 4
    max_context_tokens = max_seq_length - len(tokenizer.tokenize(question)) - added
    spans = window_spans(words, max_context_tokens, doc_stride)
    masks = max_context_masks(words, max_context_tokens, doc_stride)

    assert len(spans) == len(features) > 0
    for (start, length), mask, feature in zip(spans, masks, features):
        first = min(feature.token_to_orig_map)
        assert feature.token_to_orig_map[first] == start
        assert feature.paragraph_len == length
        expected = [feature.token_is_max_context[first + j] for j in range(length)]
        assert mask.tolist() == expected


def test_allennlp_stride_is_the_overlap(tiny_bert: Path) -> None:
    """
    AllenNLP's `transformer_squad` reader, run here: its `stride` is the overlap, so its
    windows equal XTREME's for `stride = L - doc_stride`, and not for `stride = doc_stride`.
    """
    context = " ".join(["a"] * 100)  # one word-piece per word, word i at character 2 i
    question = "what is it"
    length_limit, doc_stride = 30, 7
    reader = TransformerSquadReader(str(tiny_bert), length_limit=length_limit)
    max_context_tokens = length_limit - len(reader._tokenizer.tokenize(question)) - 3

    def allennlp_starts(stride: int) -> List[int]:
        reader.stride = stride
        instances = reader.make_instances("q", question, [], context, None)
        return [instance["metadata"]["context_tokens"][0].idx // 2 for instance in instances]

    xtreme = window_starts(100, max_context_tokens, doc_stride)
    assert allennlp_starts(max_context_tokens - doc_stride) == xtreme
    assert allennlp_starts(doc_stride) != xtreme


@pytest.mark.parametrize(
    "arguments, parameter",
    [
        ((10, 4, 5), "doc_stride"),
        ((10, 0, 1), "max_context_tokens"),
        ((-1, 4, 2), "context_length"),
    ],
)
def test_bad_parameters(arguments: tuple, parameter: str) -> None:
    with pytest.raises(ParameterError, match=parameter):
        window_starts(*arguments)
