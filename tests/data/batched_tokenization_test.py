"""
`data/batched_tokenization.py` gives exactly what AllenNLP's `PretrainedTransformerTokenizer`
(and `transformers`' own calls) give one text at a time, for both tiny tokenizer styles
(XLM-R sentencepiece, BERT WordPiece), on every text of the pair fixtures and on edge cases.
"""

import itertools
import pickle
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest
from allennlp.data.tokenizers import PretrainedTransformerTokenizer, Token, WhitespaceTokenizer

from allennlp_robust_xlt.data.batched_tokenization import (
    BatchedTokenizer,
    chunks,
    encode_batch,
    prefetch_texts,
    truncate_pair,
    truncated_pair_lengths,
)
from tests import DATA_ROOT

PAIR_FIXTURES = sorted(
    path
    for pattern in (
        "xtreme/xnli/**/*.tsv",
        "xtreme/pawsx/**/*.tsv",
        "original/XNLI-*/**/*.tsv",
        "original/x-final/**/*.tsv",
        "reading/*.tsv",
    )
    for path in DATA_ROOT.glob(pattern)
)


def fixture_texts() -> List[str]:
    """Every tab-separated column of every pair fixture (sentences, but also labels and ids)."""
    texts: List[str] = []
    for path in PAIR_FIXTURES:
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            texts.extend(line.split("\t"))
    return texts


TEXTS = fixture_texts()


def described(tokens: List[Token]) -> List[Tuple]:
    """Every attribute of every token."""
    return [tuple(getattr(token, name) for name in Token.__slots__) for token in tokens]


def allennlp(model: Path, **kwargs: Any) -> PretrainedTransformerTokenizer:
    return PretrainedTransformerTokenizer(str(model), **kwargs)


def test_the_fixtures_hold_the_edge_cases() -> None:
    assert len(PAIR_FIXTURES) >= 30 and len(TEXTS) > 2000
    for script in ("ผู้ชาย", "남자가", "आदमी", "Мужчина", "האיש", "الرجل", "男人", "😀", "\u200b"):
        assert any(script in text for text in TEXTS), script


@pytest.mark.parametrize(
    "settings",
    [
        {"add_special_tokens": False},
        {"add_special_tokens": False, "max_length": 5},
        {"add_special_tokens": True},
        {"add_special_tokens": True, "max_length": 6},
    ],
)
def test_tokenize_batch_and_tokenize_equal_allennlp(tiny_transformer: Path, settings) -> None:
    tokenizer = allennlp(tiny_transformer, **settings)
    batched = BatchedTokenizer(tokenizer)
    expected = [described(tokenizer.tokenize(text)) for text in TEXTS]
    assert [described(tokens) for tokens in batched.tokenize_batch(TEXTS)] == expected
    # One at a time (a predictor's path), then from a prefetched pool.
    assert [described(batched.tokenize(text)) for text in TEXTS[:300]] == expected[:300]
    batched.prefetch(TEXTS)
    assert [described(batched.tokenize(text)) for text in TEXTS] == expected
    # Some texts have no wordpieces at all (BERT drops zero-width characters), some unknown ones.
    if not settings["add_special_tokens"]:
        assert any(not tokens for tokens in expected) == (tiny_transformer.name == "bert")
    unknown = tokenizer.tokenizer.unk_token
    assert any(token[0] == unknown for tokens in expected for token in tokens)


def test_tokens_are_new_objects(tiny_xlmr: Path) -> None:
    batched = BatchedTokenizer(allennlp(tiny_xlmr, add_special_tokens=False))
    batched.prefetch(["The cat sat."])
    first, second = batched.tokenize("The cat sat."), batched.tokenize("The cat sat.")
    assert described(first) == described(second)
    assert all(a is not b for a, b in zip(first, second))
    first[0].type_id = 7  # a reader may set type ids in place
    assert batched.tokenize("The cat sat.")[0].type_id == 0


def test_tokenize_pair_equals_allennlp_truncated_and_joined(tiny_transformer: Path) -> None:
    tokenizer = allennlp(tiny_transformer, add_special_tokens=False)
    batched = BatchedTokenizer(tokenizer)
    pairs = [
        tuple(line.split("\t")[:2])
        for path in PAIR_FIXTURES
        if "xtreme" in path.parts or "reading" in path.parts
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    tokenized = {text: tokenizer.tokenize(text) for pair in pairs for text in pair}
    batched.prefetch(text for pair in pairs for text in pair)
    for budget in (2, 3, 8, 24, 125, None):
        truncated = 0
        for first, second in pairs:
            first_tokens, second_tokens = tokenized[first], tokenized[second]
            if budget is not None:
                truncated += len(first_tokens) + len(second_tokens) > budget
                first_tokens, second_tokens = truncate_pair(first_tokens, second_tokens, budget)
            # AllenNLP's own joining (it copies the tokens it gives type ids).
            expected = tokenizer.add_special_tokens(first_tokens, second_tokens)
            assert described(batched.tokenize_pair(first, second, budget)) == described(expected)
        if budget == 125:  # the long pairs are cut at the reference's 128 wordpieces
            assert 5 <= truncated <= 10
        elif budget is not None:
            assert truncated > 100


def test_intra_word_tokenize_batch_equals_allennlp(tiny_transformer: Path) -> None:
    tokenizer = allennlp(tiny_transformer)
    sentences = [text.split(" ") for text in TEXTS[:1500]] + [[], ["\u200b"], ["a", "", "b"]]
    expected = [tokenizer.intra_word_tokenize(words) for words in sentences]
    got = BatchedTokenizer(tokenizer).intra_word_tokenize_batch(sentences)
    assert [(described(tokens), offsets) for tokens, offsets in got] == [
        (described(tokens), offsets) for tokens, offsets in expected
    ]
    assert any(None in offsets for _, offsets in expected)


def test_encode_batch_equals_the_transformers_call(tiny_transformer: Path) -> None:
    """The encodings a reader would get from `hf_tokenizer(...)`, e.g. for QA's questions and contexts."""
    hf_tokenizer = allennlp(tiny_transformer).tokenizer

    def fields(encoding: Any) -> Tuple:
        return (
            encoding.ids,
            encoding.type_ids,
            encoding.offsets,
            encoding.special_tokens_mask,
            encoding.word_ids,
        )

    texts = TEXTS[:400]
    for max_length in (None, 4, 64):
        expected = hf_tokenizer(
            texts,
            add_special_tokens=False,
            truncation=max_length is not None,
            max_length=max_length,
        ).encodings
        got = encode_batch(hf_tokenizer, texts, add_special_tokens=False, max_length=max_length)
        assert list(map(fields, got)) == list(map(fields, expected))
    words = [text.split() for text in texts if text.split()]
    expected = hf_tokenizer(
        words, is_split_into_words=True, add_special_tokens=False, return_offsets_mapping=True
    ).encodings
    got = encode_batch(hf_tokenizer, words, add_special_tokens=False, is_split_into_words=True)
    assert list(map(fields, got)) == list(map(fields, expected))
    assert any(max(filter(None.__ne__, e.word_ids), default=0) > 3 for e in got)
    # The shared backend is left as `transformers` would leave it: no truncation.
    encode_batch(hf_tokenizer, texts, max_length=8)
    hf_tokenizer("a b c")
    assert hf_tokenizer._tokenizer.truncation is None


def test_truncated_pair_lengths_equal_transformers_longest_first(tiny_bert: Path) -> None:
    """The reference is `transformers`' Python truncation (one token at a time)."""
    hf_tokenizer = allennlp(tiny_bert).tokenizer
    for first, second, budget in itertools.product(range(9), range(9), range(12)):
        expected = (first, second)
        if first + second > budget:
            ids, pair_ids, _ = hf_tokenizer.truncate_sequences(
                list(range(first)),
                list(range(second)),
                num_tokens_to_remove=first + second - budget,
                truncation_strategy="longest_first",
            )
            expected = (len(ids), len(pair_ids))
        assert truncated_pair_lengths(first, second, budget) == expected, (first, second, budget)


class FakeEncoding:
    """An encoding whose special tokens are not only around the text."""

    ids = [0, 11, 2, 12, 13, 2]
    type_ids = [0, 0, 0, 1, 1, 1]
    offsets = [(0, 0), (0, 3), (0, 0), (4, 6), (6, 6), (0, 0)]
    special_tokens_mask = [1, 0, 1, 0, 0, 1]


def test_pieces_of_an_encoding_with_special_tokens_inside(tiny_xlmr: Path) -> None:
    batched = BatchedTokenizer(allennlp(tiny_xlmr, add_special_tokens=False))
    assert batched.pieces(FakeEncoding()) == ([11, 12, 13], [(0, 3), (4, 6), (6, 6)], [0, 1, 1])
    tokens = batched.tokens(*batched.pieces(FakeEncoding()))  # type: ignore[arg-type]
    texts = allennlp(tiny_xlmr).tokenizer.convert_ids_to_tokens([11, 12, 13])
    assert described(tokens) == [
        (texts[0], 0, 3, None, None, None, None, None, 11, 0),
        (texts[1], 4, 6, None, None, None, None, None, 12, 1),
        (texts[2], None, None, None, None, None, None, None, 13, 1),  # an empty span
    ]


class FakePairEncoding:
    """A pair's encoding: `mask` marks its special tokens; `first_sequence` is that of its first text."""

    def __init__(self, mask: List[int], first_sequence: int = 0) -> None:
        self.special_tokens_mask = mask
        self.ids = list(range(100, 100 + len(mask)))
        self.offsets = [(0, 1)] * len(mask)
        self.first_sequence = first_sequence

    def token_to_sequence(self, position: int) -> int:
        return self.first_sequence


def test_pairs_from_their_pool_or_else_from_their_texts(tiny_transformer: Path) -> None:
    tokenizer = allennlp(tiny_transformer, add_special_tokens=False)
    batched = BatchedTokenizer(tokenizer)
    pairs = [("The cat sat.", "A dog barked twice."), ("\u200b", "Zero width.")]
    batched.prefetch_pairs(pairs)
    assert batched._pair_pieces(*pairs[0]) is not None  # from the pair's own encoding
    expected = [
        described(
            tokenizer.add_special_tokens(tokenizer.tokenize(first), tokenizer.tokenize(second))
        )
        for first, second in pairs
    ]
    assert [described(batched.tokenize_pair(*pair, None)) for pair in pairs] == expected
    # The template's shape: start, first text, mid, second text, end.
    shape = [len(tokenizer.sequence_pair_start_tokens), len(tokenizer.sequence_pair_mid_tokens)]
    shape.append(len(tokenizer.sequence_pair_end_tokens))
    usual = [1] * shape[0] + [0, 0] + [1] * shape[1] + [0] + [1] * shape[2]
    batched._pair_pool[pairs[0]] = FakePairEncoding(usual)
    assert batched._pair_pieces(*pairs[0]) == (
        [100 + shape[0], 101 + shape[0]],
        [(0, 1)] * 2,
        [102 + sum(shape[:2])],
        [(0, 1)],
    )
    # Other shapes (a special token missing, or the second text first) are not split: the
    # texts are then encoded on their own.
    for odd in (FakePairEncoding(usual[:-1] + [0]), FakePairEncoding(usual, first_sequence=1)):
        batched._pair_pool[pairs[0]] = odd
        assert batched._pair_pieces(*pairs[0]) is None
        assert described(batched.tokenize_pair(*pairs[0], None)) == expected[0]
    batched.clear()
    assert batched._pair_pieces(*pairs[0]) is None


def test_only_fast_transformer_tokenizers_are_batched(tiny_bert: Path) -> None:
    assert BatchedTokenizer.for_tokenizer(WhitespaceTokenizer()) is None
    assert BatchedTokenizer.for_tokenizer(None) is None
    slow = allennlp(tiny_bert, tokenizer_kwargs={"use_fast": False})
    assert BatchedTokenizer.for_tokenizer(slow) is None
    with pytest.raises(ValueError, match="not a fast tokenizer"):
        BatchedTokenizer(slow)
    assert isinstance(BatchedTokenizer.for_tokenizer(allennlp(tiny_bert)), BatchedTokenizer)


def test_prefetch_texts_and_pickling(tiny_xlmr: Path) -> None:
    class Reader:
        batched_tokenizer = BatchedTokenizer(allennlp(tiny_xlmr))

    reader = Reader()
    prefetch_texts(reader, ["a b", None, ["a", "list"], "a b", "c"])
    assert sorted(reader.batched_tokenizer._pool) == ["a b", "c"]
    prefetch_texts(object(), ["ignored"])  # readers without a batched tokenizer: nothing
    copy = pickle.loads(pickle.dumps(reader.batched_tokenizer))
    assert copy._pool == {}
    assert described(copy.tokenize("a b")) == described(reader.batched_tokenizer.tokenize("a b"))


def test_chunks_are_lazy_and_errors_come_after_the_items_before_them() -> None:
    assert list(chunks(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunks(range(6), 3)) == [[0, 1, 2], [3, 4, 5]]
    assert list(chunks([], 3)) == []
    pulled: List[int] = []

    def items() -> Iterator[int]:
        for item in range(100):
            pulled.append(item)
            if item == 4:
                raise RuntimeError("bad item 4")
            yield item

    iterator = chunks(items(), 3)
    assert next(iterator) == [0, 1, 2] and pulled == [0, 1, 2]  # no item read ahead
    assert next(iterator) == [3]
    with pytest.raises(RuntimeError, match="bad item 4"):
        next(iterator)
    with pytest.raises(ValueError, match="at least 1"):
        next(chunks([1], 0))


@pytest.mark.parametrize(
    "first, second, budget, expected",
    [
        (10, 3, 8, (5, 3)),
        (3, 10, 8, (3, 5)),
        (5, 5, 9, (5, 4)),
        (5, 5, 8, (4, 4)),
        (6, 5, 7, (4, 3)),
        (2, 2, 10, (2, 2)),
    ],
)
def test_truncate_pair_matches_longest_first(first, second, budget, expected):
    a, b = [Token(str(i)) for i in range(first)], [Token(str(i)) for i in range(second)]
    # The loop transformers runs, one token at a time.
    la, lb = first, second
    while la + lb > budget:
        if la > lb:
            la -= 1
        else:
            lb -= 1
    assert (la, lb) == expected
    ta, tb = truncate_pair(a, b, budget)
    assert (len(ta), len(tb)) == expected
