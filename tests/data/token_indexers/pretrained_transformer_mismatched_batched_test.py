"""
The `pretrained_transformer_mismatched_batched` indexer gives exactly what AllenNLP's
`pretrained_transformer_mismatched` indexer gives (every output, with and without `max_length`
segments), whatever its cache holds, for words with several, one or no wordpieces.
"""

import pickle
from pathlib import Path
from typing import List

import pytest
from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.data.token_indexers import PretrainedTransformerMismatchedIndexer, TokenIndexer
from allennlp.data.tokenizers import Token

from allennlp_robust_xlt.data.token_indexers import PretrainedTransformerMismatchedBatchedIndexer

SENTENCES = [
    ["The", "old", "man", "reads", "a", "book", "."],
    ["Unbelievably", "überraschende", "Ergebnisse", "!"],
    ["男人在街上弹吉他", "。", "\u200b", "", "a\u200bb", "ÉCOLE", "l'école"],
    ["Mann", "Mann", "Mann"] * 20,
]


def tokens(words: List[str]) -> List[Token]:
    return [Token(word) for word in words]


@pytest.mark.parametrize("max_length", [None, 9])
def test_same_output_as_allennlps_indexer(tiny_transformer: Path, max_length) -> None:
    batched = PretrainedTransformerMismatchedBatchedIndexer(
        str(tiny_transformer), max_length=max_length
    )
    stock = PretrainedTransformerMismatchedIndexer(str(tiny_transformer), max_length=max_length)
    vocabulary = Vocabulary()
    for prefetch in (False, True):
        if prefetch:
            batched.prefetch_words(word for words in SENTENCES for word in words)
            assert batched._wordpieces
        for words in SENTENCES:
            new = batched.tokens_to_indices(tokens(words), vocabulary)
            old = stock.tokens_to_indices(tokens(words), vocabulary)
            assert new == old, words
    # Words without wordpieces (zero-width space, empty word) get (-1, -1), as with AllenNLP.
    offsets = batched.tokens_to_indices(tokens(SENTENCES[2]), vocabulary)["offsets"]
    assert (-1, -1) in offsets


def test_a_full_cache_starts_afresh(tiny_xlmr: Path) -> None:
    batched = PretrainedTransformerMismatchedBatchedIndexer(str(tiny_xlmr), cache_size=5)
    stock = PretrainedTransformerMismatchedIndexer(str(tiny_xlmr))
    vocabulary = Vocabulary()
    batched.prefetch_words(["a", "b", "c", "d"])
    for words in SENTENCES:
        assert batched.tokens_to_indices(tokens(words), vocabulary) == stock.tokens_to_indices(
            tokens(words), vocabulary
        )
        assert len(batched._wordpieces) <= max(5, len(set(words)))


def test_from_params_and_pickle(tiny_xlmr: Path) -> None:
    indexer = TokenIndexer.from_params(
        Params({"type": "pretrained_transformer_mismatched_batched", "model_name": str(tiny_xlmr)})
    )
    assert isinstance(indexer, PretrainedTransformerMismatchedBatchedIndexer)
    indexer.prefetch_words(["The", "man"])
    copy = pickle.loads(pickle.dumps(indexer))
    assert copy._wordpieces == {} and indexer._wordpieces
    vocabulary = Vocabulary()
    words = tokens(SENTENCES[0])
    assert copy.tokens_to_indices(words, vocabulary) == indexer.tokens_to_indices(words, vocabulary)
