import logging
from typing import Dict, FrozenSet, Iterator, List, Optional, Union

from allennlp.data.dataset_readers.dataset_reader import DatasetReader, PathOrStr
from allennlp.data.fields import MetadataField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import (
    PretrainedTransformerTokenizer,
    Token,
    Tokenizer,
    WhitespaceTokenizer,
)

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.common.languages import is_known_language
from allennlp_robust_xlt.data.parallel_files import ParallelRow, Text, parallel_files
from allennlp_robust_xlt.pair_classification.dataset_readers.xtreme_pair_reader import (
    truncate_pair,
)

logger = logging.getLogger(__name__)

NAME = "parallel_sentences"
SOURCE_FIELD = "parallel_source"
TARGET_FIELD = "parallel_target"


@DatasetReader.register(NAME)
class ParallelSentencesReader(DatasetReader):
    """
    Registered as a `DatasetReader` with name "parallel_sentences".

    Reads parallel text, English sentences and their translations, for fine-tuning with
    parallel data (the `parallel_objectives` model): Moses-style line-aligned files, TSV pairs,
    XNLI's 15-way file and XTREME's five-column translate-train files, from a file or every file
    of a directory (`allennlp_robust_xlt/data/parallel_files.py` has the layouts and their
    errors: two files of different lengths stop reading with one line naming both and the line
    where one ends).

    Each instance has `parallel_source` (the English text) and `parallel_target` (its
    translation), each tokenized and given the tokenizer's special tokens as the task readers do
    (a sentence pair of a translate-train file is joined as a pair, truncated longest-first to
    `max_length`), and `metadata`: `language` (of the translation), `english`, `translation`,
    `pair` (whether the texts are sentence pairs, which the consistency objective needs), `id`
    (`path:line`). Reading is lazy and sharded (AllenNLP's `shard_iterable`), so data-loader
    workers and distributed workers read each line once.

    # Parameters

    tokenizer : `Tokenizer`, optional (default = `WhitespaceTokenizer()`)
        Use the task's `pretrained_transformer` tokenizer with `"add_special_tokens": false`;
        the reader adds them after truncation.
    token_indexers : `Dict[str, TokenIndexer]`, optional (default = `{"tokens": SingleIdTokenIndexer()}`)
        The task's `pretrained_transformer` indexer, under the key `tokens`.
    max_length : `int`, optional (default = `128`)
        The longest text in wordpieces, special tokens included (transformer tokenizers only).
    languages : `List[str]`, optional (default = `None`, every language)
        Only read translations into these languages.
    **kwargs
        `max_instances` and the other `DatasetReader` parameters.
    """

    def __init__(
        self,
        tokenizer: Optional[Tokenizer] = None,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        max_length: int = 128,
        languages: Optional[List[str]] = None,
        **kwargs,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        self._tokenizer = tokenizer or WhitespaceTokenizer()
        self._token_indexers = token_indexers or {"tokens": SingleIdTokenIndexer()}
        self._transformer: Optional[PretrainedTransformerTokenizer] = None
        if isinstance(self._tokenizer, PretrainedTransformerTokenizer):
            if self._tokenizer._add_special_tokens:
                raise ParameterError(
                    NAME,
                    "tokenizer.add_special_tokens",
                    "must be false: the reader adds the special tokens after truncating",
                )
            self._transformer = self._tokenizer
            single = (
                max_length
                - len(self._tokenizer.single_sequence_start_tokens)
                - len(self._tokenizer.single_sequence_end_tokens)
            )
            pair = max_length - self._tokenizer.num_special_tokens_for_pair()
            if min(single, pair) < 2:
                raise ParameterError(
                    NAME, "max_length", f"must leave room for two wordpieces, got {max_length}"
                )
            self._single_budget, self._pair_budget = single, pair
        self._languages: Optional[FrozenSet[str]] = None
        if languages is not None:
            if isinstance(languages, str) or not languages:
                raise ParameterError(
                    NAME, "languages", f"must be a non-empty list of codes, got {languages!r}"
                )
            unknown = [code for code in languages if not is_known_language(code)]
            if unknown:
                raise ParameterError(
                    NAME, "languages", f"has the unknown language code {unknown[0]!r}"
                )
            self._languages = frozenset(languages)

    def _read(self, file_path: Union[PathOrStr, List[PathOrStr]]) -> Iterator[Instance]:
        paths = file_path if isinstance(file_path, (list, tuple)) else [file_path]
        for path in paths:
            for source in parallel_files(str(path)):
                if self._languages is not None and source.language is not None:
                    if source.language not in self._languages:
                        continue
                skipped = 0
                for unit in self.shard_iterable(source.units()):
                    rows = source.parse(unit)
                    if not rows:
                        skipped += 1
                    for row in rows:
                        if self._languages is None or row.language in self._languages:
                            yield self.row_to_instance(row)
                if skipped:
                    logger.info("%s: skipped %d line(s) with an empty side", source.path, skipped)

    def row_to_instance(self, row: ParallelRow) -> Instance:
        return self.text_to_instance(
            row.english, row.translation, row.language, example_id=f"{row.path}:{row.line}"
        )

    def text_to_instance(  # type: ignore[override]
        self,
        english: Text,
        translation: Text,
        language: Optional[str] = None,
        example_id: Optional[str] = None,
    ) -> Instance:
        """One English text and its translation: sentences, or sentence pairs (tuples)."""
        return Instance(
            {
                SOURCE_FIELD: TextField(self._tokens(english)),
                TARGET_FIELD: TextField(self._tokens(translation)),
                "metadata": MetadataField(
                    {
                        "language": language,
                        "english": english,
                        "translation": translation,
                        "pair": isinstance(english, tuple),
                        "id": example_id,
                    }
                ),
            }
        )

    def _tokens(self, text: Text) -> List[Token]:
        tokenizer = self._transformer
        if isinstance(text, tuple):
            first, second = (self._tokenizer.tokenize(part) for part in text)
            if tokenizer is None:
                return first + second
            first, second = truncate_pair(first, second, self._pair_budget)
            return tokenizer.add_special_tokens(first, second)
        tokens = self._tokenizer.tokenize(text)
        if tokenizer is None:
            return tokens
        return tokenizer.add_special_tokens(tokens[: self._single_budget])

    def apply_token_indexers(self, instance: Instance) -> None:
        for name in (SOURCE_FIELD, TARGET_FIELD):
            instance.fields[name].token_indexers = self._token_indexers  # type: ignore[attr-defined]
