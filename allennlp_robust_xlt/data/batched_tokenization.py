"""
Tokenizing many texts in one call of a fast (Rust) tokenizer, with exactly the tokens that
AllenNLP's `PretrainedTransformerTokenizer` gives one text at a time.

Readers spend most of their time tokenizing (`benchmarks/README.md`, figure 3). AllenNLP's
tokenizer encodes one text per call, through `transformers`' `encode_plus`, which wraps the text
in a batch of one, converts every output to Python lists and back, and builds each token with a
second call into the tokenizer for its text. Here a chunk of texts is encoded by one call of the
Rust tokenizer with the settings `encode_plus` would set (`encode_batch`), and tokens are built
straight from the encodings. The result is the same, attribute for attribute (`text`, `text_id`,
`type_id`, `idx`, `idx_end`; special tokens dropped or kept as the tokenizer's
`add_special_tokens` says; the tokenizer's own `max_length` applied), as the tests check on
every fixture for the XLM-R-style and the BERT-style tokenizer.

How a reader uses it (as the pair readers do):

1. Shard the raw units first (lines, sentence blocks, JSON records), as today, so that each
   data-loader worker and distributed rank sees the same units as before.
2. Group the shard's units lazily with `chunks(units, CHUNK_SIZE)`: memory holds one chunk, and
   an error raised while reading the units surfaces after the units before it, as it did one
   unit at a time.
3. Parse and validate the chunk's units, `BatchedTokenizer.prefetch` their texts (or
   `prefetch_pairs` their pairs of texts: one encoding per pair), one call of the tokenizer per
   chunk, then build each instance with `text_to_instance`, whose `BatchedTokenizer.tokenize`
   (or `tokenize_pair`) finds the encodings in the prefetched pool, and encodes a text on its
   own when it is not there (e.g. for a predictor). Within `reader_calls.recording_calls`
   (randomized smoothing reading the calls), nothing is built, so nothing should be
   prefetched: see `reader_calls.is_recording`.

Wrappers that build a base reader's instances from its `text_to_instance` calls (randomized
smoothing) prefetch the texts of a chunk of calls with `prefetch_texts(reader, texts)`.

Also here: `encode_batch` (the encodings `tokenizer(inputs, ...)` would give, e.g. of lists of
pre-split words with `is_split_into_words`, with offsets and word ids), `BatchedTokenizer.
intra_word_tokenize_batch` (AllenNLP's `intra_word_tokenize`, used by the
`pretrained_transformer_mismatched` indexer, for many sentences at once), and the longest-first
truncation of pairs (`truncate_pair`, `truncated_pair_lengths`).
"""

import itertools
from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

from allennlp.data.tokenizers import PretrainedTransformerTokenizer, Token, Tokenizer
from transformers.tokenization_utils_base import TruncationStrategy
from transformers.utils import PaddingStrategy

_T = TypeVar("_T")

CHUNK_SIZE = 1024
"""Units per chunk: one call of the tokenizer per thousand texts or pairs (smaller chunks were a
few percent slower, `benchmarks/reader_throughput.py`), whose encodings take a few megabytes."""

Offsets = List[Optional[Tuple[int, int]]]

# `BatchedTokenizer.tokens` sets these slots of `Token` directly (AllenNLP 2.10's `Token`); with
# any other `Token`, it calls the constructor.
_TOKEN_SLOTS = (
    "text", "idx", "idx_end", "lemma_", "pos_", "tag_", "dep_", "ent_type_", "text_id", "type_id",
)  # fmt: skip
_TOKEN_SLOTS_KNOWN = tuple(getattr(Token, "__slots__", ())) == _TOKEN_SLOTS


def chunks(items: Iterable[_T], size: int = CHUNK_SIZE) -> Iterator[List[_T]]:
    """
    Lists of up to `size` consecutive items of `items`, read lazily. If reading `items` raises,
    the items read before the error are yielded first, then the error is raised: a consumer
    sees the same items before the error as when reading one item at a time.
    """
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    iterator = iter(items)
    while True:
        chunk: List[_T] = []
        try:
            for item in iterator:
                chunk.append(item)
                if len(chunk) == size:
                    break
        except Exception:
            if chunk:
                yield chunk
            raise
        if not chunk:
            return
        yield chunk
        if len(chunk) < size:
            return


def encode_batch(
    hf_tokenizer: Any,
    inputs: Sequence[Union[str, Sequence[str]]],
    add_special_tokens: bool = True,
    is_split_into_words: bool = False,
    max_length: Optional[int] = None,
) -> List[Any]:
    """
    The encodings (`tokenizers.Encoding`: `ids`, `type_ids`, `offsets`, `special_tokens_mask`,
    `word_ids`, ...) that `hf_tokenizer(list(inputs), add_special_tokens=...,
    is_split_into_words=..., truncation=max_length is not None, max_length=max_length)` computes
    (its `.encodings`), without converting them to Python lists. `hf_tokenizer` must be a fast
    `transformers` tokenizer. Truncation is `transformers`' `longest_first` on each input.
    """
    # The backend's truncation and padding are shared state: set them exactly as
    # `transformers` does before each of its calls.
    hf_tokenizer.set_truncation_and_padding(
        padding_strategy=PaddingStrategy.DO_NOT_PAD,
        truncation_strategy=(
            TruncationStrategy.DO_NOT_TRUNCATE
            if max_length is None
            else TruncationStrategy.LONGEST_FIRST
        ),
        max_length=max_length,  # type: ignore[arg-type]
        stride=0,
        pad_to_multiple_of=None,
    )
    return hf_tokenizer._tokenizer.encode_batch(
        list(inputs), add_special_tokens=add_special_tokens, is_pretokenized=is_split_into_words
    )


# -- pairs -----------------------------------------------------------------------------------


def truncated_pair_lengths(first: int, second: int, budget: int) -> Tuple[int, int]:
    """
    The lengths that longest-first truncation of sequences of `first` and `second` tokens to
    at most `budget` tokens in all keeps, as `transformers`' Python tokenizers (and so XTREME's
    reference scripts) do it: one token at a time from the end of the longer sequence, from
    the second one on ties. In closed form.
    """
    excess = first + second - budget
    if excess <= 0:
        return first, second
    cut = min(excess, abs(first - second))
    if first > second:
        first -= cut
    else:
        second -= cut
    excess -= cut
    second -= (excess + 1) // 2
    first -= excess // 2
    return max(first, 0), max(second, 0)


def truncate_pair(
    first: List[Token], second: List[Token], budget: int
) -> Tuple[List[Token], List[Token]]:
    """`first` and `second` cut longest-first to at most `budget` tokens in all."""
    first_length, second_length = truncated_pair_lengths(len(first), len(second), budget)
    if first_length == len(first) and second_length == len(second):
        return first, second
    return first[:first_length], second[:second_length]


def join_with_special_tokens(
    tokenizer: PretrainedTransformerTokenizer, first: List[Token], second: List[Token]
) -> List[Token]:
    """
    `first` and `second` between the tokenizer's pair special tokens, for tokens whose type ids
    are already those of their position in the pair (`tokenizer.add_special_tokens(first,
    second)` without its copies).
    """
    return (
        tokenizer.sequence_pair_start_tokens
        + first
        + tokenizer.sequence_pair_mid_tokens
        + second
        + tokenizer.sequence_pair_end_tokens
    )


# -- the tokenizer ---------------------------------------------------------------------------


class _TokenTexts(dict):
    """Token id -> token text, as `convert_ids_to_tokens` gives it, filled on first use."""

    def __init__(self, backend: Any) -> None:
        super().__init__()
        self._backend = backend

    def __missing__(self, token_id: int) -> str:
        text = self._backend.id_to_token(token_id)
        self[token_id] = text
        return text


class BatchedTokenizer:
    """
    Encodes texts in batches with the fast tokenizer of an AllenNLP
    `PretrainedTransformerTokenizer` and builds the tokens its `tokenize` would build.

    Use `BatchedTokenizer.for_tokenizer(tokenizer)`, which gives `None` for tokenizers it cannot
    batch (not a `PretrainedTransformerTokenizer`, or one without a fast tokenizer); readers
    then tokenize one text at a time as before.

    A pool holds the encodings of the last `prefetch`ed texts; `encoding(text)` (and so
    `tokenize`) takes a text's encoding from there, or encodes the text on its own. The pool is
    an optimisation only: results never depend on what it holds.
    """

    def __init__(self, tokenizer: PretrainedTransformerTokenizer) -> None:
        hf_tokenizer = tokenizer.tokenizer
        if not getattr(hf_tokenizer, "is_fast", False):
            raise ValueError(f"{type(hf_tokenizer).__name__} is not a fast tokenizer")
        self.tokenizer = tokenizer
        self.hf_tokenizer = hf_tokenizer
        self._texts = _TokenTexts(hf_tokenizer._tokenizer)
        self._keep_special_tokens = bool(tokenizer._add_special_tokens)
        # `PretrainedTransformerTokenizer.tokenize`: its max_length counts the special tokens
        # only when it adds them.
        self._max_length = tokenizer._max_length
        if self._max_length is not None and not self._keep_special_tokens:
            self._max_length += tokenizer.num_special_tokens_for_sequence()
        self._leading = len(tokenizer.single_sequence_start_tokens)
        self._trailing = len(tokenizer.single_sequence_end_tokens)
        self._leading_mask = [1] * self._leading
        self._trailing_mask = [1] * self._trailing
        self._specials = self._leading + self._trailing
        pair_lengths = (
            tokenizer.sequence_pair_start_tokens,
            tokenizer.sequence_pair_mid_tokens,
            tokenizer.sequence_pair_end_tokens,
        )
        self._pair_start, self._pair_mid, self._pair_end = map(len, pair_lengths)
        self._pool: Dict[str, Any] = {}
        self._pair_pool: Dict[Tuple[str, str], Any] = {}

    @classmethod
    def for_tokenizer(cls, tokenizer: Optional[Tokenizer]) -> Optional["BatchedTokenizer"]:
        """A `BatchedTokenizer` for `tokenizer`, or `None` where batching does not apply."""
        if not isinstance(tokenizer, PretrainedTransformerTokenizer):
            return None
        if not getattr(tokenizer.tokenizer, "is_fast", False):
            return None
        return cls(tokenizer)

    def __getstate__(self) -> Dict[str, Any]:
        # Readers are pickled for spawned data-loader workers: leave the pool behind.
        state = dict(self.__dict__)
        state["_pool"] = {}
        state["_pair_pool"] = {}
        return state

    # -- encodings -------------------------------------------------------------------------

    def encode(self, texts: Sequence[str]) -> List[Any]:
        """The encodings of `texts`, with the settings of `PretrainedTransformerTokenizer.tokenize`."""
        return encode_batch(
            self.hf_tokenizer, texts, add_special_tokens=True, max_length=self._max_length
        )

    def prefetch(self, texts: Iterable[Any]) -> None:
        """
        Encodes the strings among `texts` (each distinct text once, in one call) into the pool,
        replacing what it held. Other values (`None`, lists of words) are left out.
        """
        distinct = list(dict.fromkeys(text for text in texts if isinstance(text, str)))
        self._pool = dict(zip(distinct, self.encode(distinct))) if distinct else {}

    def prefetch_pairs(self, pairs: Iterable[Tuple[str, str]]) -> None:
        """
        Encodes `pairs` of texts as pairs (one encoding per pair, in one call) into the pool of
        pairs that `tokenize_pair` looks in first, replacing what it held. (A pair's encoding
        holds the same tokens as its two texts' own encodings, in a third fewer objects.)
        """
        distinct = list(dict.fromkeys(pairs))
        self._pair_pool = (
            dict(zip(distinct, self.encode(distinct))) if distinct else {}  # type: ignore[arg-type]
        )

    def clear(self) -> None:
        """Empties the pools."""
        self._pool = {}
        self._pair_pool = {}

    def encoding(self, text: str) -> Any:
        """The encoding of `text`, from the pool, or else encoded now."""
        found = self._pool.get(text)
        if found is None:
            found = self.encode([text])[0]
        return found

    def pieces(
        self, encoding: Any, with_type_ids: bool = True
    ) -> Tuple[List[int], List[Tuple[int, int]], Optional[List[int]]]:
        """
        `(ids, offsets, type ids)` of the tokens `tokenize` keeps from `encoding`: all of them if
        the tokenizer adds special tokens, else those that are not special tokens. The type ids
        are `None` unless `with_type_ids`.
        """
        ids = encoding.ids
        type_ids = encoding.type_ids if with_type_ids else None
        if self._keep_special_tokens:
            return ids, encoding.offsets, type_ids
        mask = encoding.special_tokens_mask
        start, stop = self._leading, len(ids) - self._trailing
        if (
            mask[:start] == self._leading_mask
            and mask[stop:] == self._trailing_mask
            and mask.count(1) == self._specials
        ):
            # The usual shape: the template's special tokens around the text's tokens.
            return (
                ids[start:stop],
                encoding.offsets[start:stop],
                None if type_ids is None else type_ids[start:stop],
            )
        keep = [position for position, special in enumerate(mask) if not special]
        offsets = encoding.offsets
        return (
            [ids[position] for position in keep],
            [offsets[position] for position in keep],
            None if type_ids is None else [type_ids[position] for position in keep],
        )

    def tokens(
        self,
        ids: Sequence[int],
        offsets: Sequence[Tuple[int, int]],
        type_ids: Union[Optional[int], Sequence[int]],
    ) -> List[Token]:
        """
        New tokens as `PretrainedTransformerTokenizer.tokenize` builds them: text from the
        vocabulary, `text_id`, `type_id` (one for all, or one per token), and the character
        offsets `idx`/`idx_end`, `None` where the span is empty.
        """
        if isinstance(type_ids, (list, tuple)):
            if type_ids and type_ids.count(type_ids[0]) == len(type_ids):
                type_ids = type_ids[0]  # one type id for all (as for a text on its own)
            elif not type_ids:
                return []
        if isinstance(type_ids, (list, tuple)):
            return [
                (
                    Token(text, start, end, None, None, None, None, None, text_id, type_id)
                    if start < end
                    else Token(text, None, None, None, None, None, None, None, text_id, type_id)
                )
                for text, text_id, (start, end), type_id in zip(
                    map(self._texts.__getitem__, ids), ids, offsets, type_ids
                )
            ]
        tokens: List[Token] = []
        self._append_tokens(tokens, ids, offsets, type_ids)
        return tokens

    def _append_tokens(
        self,
        tokens: List[Token],
        ids: Sequence[int],
        offsets: Sequence[Tuple[int, int]],
        type_id: Optional[int],
    ) -> None:
        """Appends to `tokens` the tokens of `ids` and `offsets`, all with type id `type_id`."""
        texts = map(self._texts.__getitem__, ids)
        append = tokens.append
        if not _TOKEN_SLOTS_KNOWN:
            for text, text_id, (start, end) in zip(texts, ids, offsets):
                if start < end:
                    append(Token(text, start, end, None, None, None, None, None, text_id, type_id))
                else:
                    append(Token(text, None, None, None, None, None, None, None, text_id, type_id))
            return
        # What the constructor does, without the cost of calling it (a third of the time of
        # building tokens): every slot is set.
        new = Token.__new__
        for text, text_id, (start, end) in zip(texts, ids, offsets):
            token = new(Token)
            token.text = text
            if start < end:
                token.idx = start
                token.idx_end = end
            else:
                token.idx = token.idx_end = None
            token.lemma_ = token.pos_ = token.tag_ = token.dep_ = token.ent_type_ = None
            token.text_id = text_id
            token.type_id = type_id
            append(token)

    def id_tokens(self, ids: Sequence[int], type_id: Optional[int]) -> List[Token]:
        """
        New tokens of the wordpiece `ids`, without character offsets, as `Token(text,
        text_id=id, type_id=type_id)` builds them (the text from the vocabulary, as
        `convert_ids_to_tokens` gives it).
        """
        tokens: List[Token] = []
        self._append_tokens(tokens, ids, itertools.repeat((0, 0), len(ids)), type_id)
        return tokens

    # -- AllenNLP's tokenizer, batched -------------------------------------------------------

    def tokenize(self, text: str, type_id: Optional[int] = None) -> List[Token]:
        """
        `tokenizer.tokenize(text)`; with `type_id`, every token gets that type id (as
        `add_special_tokens` gives the sentences of a pair).
        """
        ids, offsets, type_ids = self.pieces(self.encoding(text), with_type_ids=type_id is None)
        return self.tokens(ids, offsets, type_ids if type_id is None else type_id)

    def tokenize_batch(self, texts: Sequence[str]) -> List[List[Token]]:
        """`[tokenizer.tokenize(text) for text in texts]`, in one call of the tokenizer."""
        return [self.tokens(*self.pieces(encoding)) for encoding in self.encode(texts)]  # type: ignore[arg-type]

    def tokenize_pair(self, first: str, second: str, budget: Optional[int]) -> List[Token]:
        """
        `tokenizer.add_special_tokens(*truncate_pair(tokenizer.tokenize(first),
        tokenizer.tokenize(second), budget))`; no truncation if `budget` is `None`. Only the
        tokens kept are built.
        """
        tokenizer = self.tokenizer
        sides = self._pair_pieces(first, second)
        if sides is None:
            first_ids, first_offsets, _ = self.pieces(self.encoding(first), with_type_ids=False)
            second_ids, second_offsets, _ = self.pieces(self.encoding(second), with_type_ids=False)
        else:
            first_ids, first_offsets, second_ids, second_offsets = sides
        if budget is not None:
            first_length, second_length = truncated_pair_lengths(
                len(first_ids), len(second_ids), budget
            )
            if first_length < len(first_ids):
                first_ids, first_offsets = first_ids[:first_length], first_offsets[:first_length]
            if second_length < len(second_ids):
                second_ids = second_ids[:second_length]
                second_offsets = second_offsets[:second_length]
        tokens = list(tokenizer.sequence_pair_start_tokens)
        self._append_tokens(
            tokens, first_ids, first_offsets, tokenizer.sequence_pair_first_token_type_id
        )
        tokens.extend(tokenizer.sequence_pair_mid_tokens)
        self._append_tokens(
            tokens, second_ids, second_offsets, tokenizer.sequence_pair_second_token_type_id
        )
        tokens.extend(tokenizer.sequence_pair_end_tokens)
        return tokens

    def _pair_pieces(self, first: str, second: str) -> Optional[Tuple[List, List, List, List]]:
        """
        `(first ids, first offsets, second ids, second offsets)` of the texts' tokens from the
        pool of pairs; `None` if the pair is not there, or its encoding does not have the usual
        shape (the template's special tokens before, between and after the two texts).
        """
        encoding = self._pair_pool.get((first, second))
        if encoding is None or self._keep_special_tokens:
            return None
        ids = encoding.ids
        mask = encoding.special_tokens_mask
        start, mid, end, length = self._pair_start, self._pair_mid, self._pair_end, len(ids)
        if mask.count(1) != start + mid + end or mask[:start] != [1] * start:
            return None
        try:
            first_stop = mask.index(1, start) if mid else length - end
        except ValueError:
            return None
        second_start = first_stop + mid
        if mask[first_stop:second_start] != [1] * mid or mask[length - end :] != [1] * end:
            return None
        # The first text's tokens come first (its sequence id is 0), as in every template.
        if first_stop > start and encoding.token_to_sequence(start) != 0:
            return None
        offsets = encoding.offsets
        second_stop = length - end
        return (
            ids[start:first_stop],
            offsets[start:first_stop],
            ids[second_start:second_stop],
            offsets[second_start:second_stop],
        )

    def intra_word_tokenize_batch(
        self, sentences: Sequence[Sequence[str]]
    ) -> List[Tuple[List[Token], Offsets]]:
        """
        `[tokenizer.intra_word_tokenize(words) for words in sentences]`: each word's wordpieces
        (each distinct word encoded once, all in one call), the single-sequence special tokens
        around them, and for each word the inclusive range of its wordpieces (`None` for a word
        without wordpieces).
        """
        tokenizer = self.tokenizer
        distinct = list(dict.fromkeys(word for words in sentences for word in words))
        word_ids = {
            word: encoding.ids
            for word, encoding in zip(
                distinct, encode_batch(self.hf_tokenizer, distinct, add_special_tokens=False)
            )
        }
        start, end = tokenizer.single_sequence_start_tokens, tokenizer.single_sequence_end_tokens
        type_id = tokenizer.single_sequence_token_type_id
        texts = self._texts
        results: List[Tuple[List[Token], Offsets]] = []
        for words in sentences:
            tokens: List[Token] = list(start)
            offsets: Offsets = []
            for word in words:
                ids = word_ids[word]
                if ids:
                    offsets.append((len(tokens), len(tokens) + len(ids) - 1))
                    tokens.extend(Token(text=texts[i], text_id=i, type_id=type_id) for i in ids)
                else:
                    offsets.append(None)
            tokens.extend(end)
            results.append((tokens, offsets))
        return results


def prefetch_texts(reader: Any, texts: Iterable[Any]) -> None:
    """
    Prefetches `texts` into the pool of `reader.batched_tokenizer`, if the reader has one (the
    readers that use this module); does nothing for other readers.
    """
    batched = getattr(reader, "batched_tokenizer", None)
    if isinstance(batched, BatchedTokenizer):
        batched.prefetch(texts)
