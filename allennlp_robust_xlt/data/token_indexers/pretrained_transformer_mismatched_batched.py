"""
AllenNLP's `pretrained_transformer_mismatched` indexer with the words split into wordpieces by the
fast tokenizer in batches (`data/batched_tokenization.py`), for the word-level readers (tagging).
"""

from collections import ChainMap
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from allennlp.data.token_indexers import PretrainedTransformerMismatchedIndexer, TokenIndexer
from allennlp.data.token_indexers.token_indexer import IndexedTokenList
from allennlp.data.tokenizers import Token
from allennlp.data.vocabulary import Vocabulary

from allennlp_robust_xlt.common.errors import check_int
from allennlp_robust_xlt.data.batched_tokenization import encode_batch

NAME = "pretrained_transformer_mismatched_batched"


@TokenIndexer.register(NAME)
class PretrainedTransformerMismatchedBatchedIndexer(PretrainedTransformerMismatchedIndexer):
    """
    Registered as a `TokenIndexer` with name "pretrained_transformer_mismatched_batched".

    AllenNLP's `pretrained_transformer_mismatched` indexer (use it with the
    `pretrained_transformer_mismatched` embedder), with exactly its output (`token_ids`, `mask`,
    `type_ids`, `offsets`, `wordpiece_mask`, and the segments of `max_length`), but faster:
    AllenNLP's indexer encodes every word of every sentence on its own
    (`intra_word_tokenize`, one call of the tokenizer per word). This one keeps the wordpiece ids
    of the words it has seen, and encodes the words it has not seen in one call of the fast
    tokenizer: those of a sentence when it indexes one, or those of many sentences at once when
    a reader hands them over first (`prefetch_words`; the XTREME tagging readers do so for each
    chunk of sentences they read). A word's wordpieces do not depend on the other words, so
    the result never depends on what the cache holds. With a tokenizer that has no fast version,
    it indexes as AllenNLP's indexer does.

    # Parameters

    model_name : `str`
        The `transformers` model (a Hugging Face name or a local directory).
    namespace : `str`, optional (default = `"tags"`)
        As for `pretrained_transformer_mismatched`.
    max_length : `int`, optional (default = `None`)
        As for `pretrained_transformer_mismatched`: sentences longer than this many wordpieces
        (special tokens included) are folded into segments; give the embedder the same value.
    tokenizer_kwargs : `Dict[str, Any]`, optional (default = `None`)
        Passed to `AutoTokenizer.from_pretrained`.
    cache_size : `int`, optional (default = `100000`)
        How many words' wordpieces are kept; when more are added, the cache starts afresh (memory
        stays bounded, about 25 MB at the default).
    """

    def __init__(
        self,
        model_name: str,
        namespace: str = "tags",
        max_length: Optional[int] = None,
        tokenizer_kwargs: Optional[Dict[str, Any]] = None,
        cache_size: int = 100_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            model_name,
            namespace=namespace,
            max_length=max_length,
            tokenizer_kwargs=tokenizer_kwargs,
            **kwargs,
        )
        self._cache_size = check_int(NAME, "cache_size", cache_size)
        self._batched = bool(getattr(self._tokenizer, "is_fast", False))
        tokenizer = self._allennlp_tokenizer
        start, end = tokenizer.single_sequence_start_tokens, tokenizer.single_sequence_end_tokens
        self._start_ids = [token.text_id for token in start]
        self._start_type_ids = [token.type_id for token in start]
        self._end_ids = [token.text_id for token in end]
        self._end_type_ids = [token.type_id for token in end]
        self._type_id = tokenizer.single_sequence_token_type_id
        self._wordpieces: Dict[str, List[int]] = {}

    def __getstate__(self) -> Dict[str, Any]:
        # Readers (and their indexers) are pickled for spawned data-loader workers.
        state = dict(self.__dict__)
        state["_wordpieces"] = {}
        return state

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PretrainedTransformerMismatchedBatchedIndexer):
            return NotImplemented
        # As AllenNLP's indexer: the `transformers` tokenizer is not compared; nor is the cache.
        return all(
            value == other.__dict__.get(key)
            for key, value in self.__dict__.items()
            if key not in ("_tokenizer", "_wordpieces")
        )

    def prefetch_words(self, words: Iterable[str]) -> None:
        """Encodes, in one call, those of `words` whose wordpieces are not in the cache."""
        if not self._batched:
            return
        cache = self._wordpieces
        missing = [word for word in dict.fromkeys(words) if word not in cache]
        if missing:
            self._encode(missing)

    def _encode(self, words: Sequence[str]) -> Dict[str, List[int]]:
        """The wordpiece ids of `words` (distinct), encoded in one call and added to the cache."""
        encodings = encode_batch(self._tokenizer, words, add_special_tokens=False)
        encoded = {word: encoding.ids for word, encoding in zip(words, encodings)}
        if len(self._wordpieces) + len(encoded) > self._cache_size:
            self._wordpieces = {}
        self._wordpieces.update(encoded)
        return encoded

    def tokens_to_indices(self, tokens: List[Token], vocabulary: Vocabulary) -> IndexedTokenList:
        if not self._batched:
            return super().tokens_to_indices(tokens, vocabulary)
        self._matched_indexer._add_encoding_to_vocabulary_if_needed(vocabulary)
        words = [token.ensure_text() for token in tokens]
        cache: Mapping[str, List[int]] = self._wordpieces
        missing = [word for word in dict.fromkeys(words) if word not in cache]
        if missing:
            encoded = self._encode(missing)
            if self._wordpieces is not cache:  # the cache started afresh
                cache = ChainMap(encoded, cache)
        # What `intra_word_tokenize` gives: the wordpieces of each word between the special
        # tokens, the inclusive range of each word's wordpieces, (-1, -1) for none.
        token_ids = list(self._start_ids)
        offsets = []
        for word in words:
            ids = cache[word]
            if ids:
                count = len(token_ids)
                offsets.append((count, count + len(ids) - 1))
                token_ids.extend(ids)
            else:
                offsets.append((-1, -1))
        type_ids = (
            self._start_type_ids
            + [self._type_id] * (len(token_ids) - len(self._start_ids))
            + self._end_type_ids
        )
        token_ids.extend(self._end_ids)
        output: IndexedTokenList = {
            "token_ids": token_ids,
            "mask": [True] * len(tokens),
            "type_ids": type_ids,
            "offsets": offsets,
            "wordpiece_mask": [True] * len(token_ids),
        }
        return self._matched_indexer._postprocess_output(output)
