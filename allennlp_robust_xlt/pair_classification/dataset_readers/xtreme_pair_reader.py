"""
The shared base of the XTREME sentence-pair readers (`xtreme_xnli`, `xtreme_pawsx`).

Not registered itself: the registered subclasses fix the task's labels and file layouts.
"""

import logging
from typing import Dict, FrozenSet, Iterator, List, Optional, Tuple, Union

from allennlp.data.dataset_readers.dataset_reader import DatasetReader, PathOrStr
from allennlp.data.fields import Field, LabelField, MetadataField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import (
    PretrainedTransformerTokenizer,
    Token,
    Tokenizer,
    WhitespaceTokenizer,
)

from allennlp_robust_xlt.data.token_types import drop_unused_type_ids
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.data.batched_tokenization import (
    CHUNK_SIZE,
    BatchedTokenizer,
    chunks,
    join_with_special_tokens,
    truncate_pair,
)
from allennlp_robust_xlt.data.reader_calls import is_recording
from allennlp_robust_xlt.common.languages import check_language_codes
from allennlp_robust_xlt.tasks import TASKS, Task
from allennlp_robust_xlt.pair_classification.dataset_readers.pair_files import (
    NotParallelError,
    PairSource,
    open_source,
)
from allennlp_robust_xlt.pair_classification.dataset_readers.pair_layouts import PairRow

logger = logging.getLogger(__name__)

__all__ = ["XtremePairReader"]


class XtremePairReader(DatasetReader):
    """
    Reads sentence-pair classification files of the XTREME benchmark and turns each pair into
    what AllenNLP's `basic_classifier` consumes: with a `pretrained_transformer` tokenizer, one
    `tokens` field holding both sentences joined by the tokenizer's special tokens (truncated
    longest-first to `max_length` wordpieces), a `label` field (when the file has labels) and a
    `metadata` field with the languages of the two sentences and their raw texts.

    File layouts (detected from the header and the file name, see `pair_layouts.py` beside this
    module): XTREME's `{split}-{lang}.tsv`, XNLI-1.0's all-language `xnli.{dev,test}.tsv`,
    XNLI-MT-1.0's `multinli.train.{lang}.tsv`, PAWS-X's `x-final/{lang}/{train,dev_2k,test_2k}.tsv`,
    and JSON lines.

    The generalized cross-lingual setting: a path `{split}-{l1}-{l2}.tsv` that is not a file,
    next to the parallel files `{split}-{l1}.tsv` and `{split}-{l2}.tsv`, yields their pairs with
    the first sentence in `l1` and the second in `l2` (the files must have the same length and
    the same labels line by line, or reading stops with an error naming the file and line).

    Reading is lazy, and sharded by AllenNLP's `shard_iterable` (`manual_distributed_sharding`
    and `manual_multiprocess_sharding` are on), so multi-process loading and distributed
    training see each line exactly once. A file path may also be a list of paths (several
    source languages in one training set). With a fast `pretrained_transformer` tokenizer, each
    shard's lines are tokenized in chunks, one call of the tokenizer per chunk
    (`allennlp_robust_xlt/data/batched_tokenization.py`), into exactly the tokens that
    AllenNLP's tokenizer gives one sentence at a time.

    # Parameters

    tokenizer : `Tokenizer`, optional (default = `WhitespaceTokenizer()`)
        Use `{"type": "pretrained_transformer", "model_name": ..., "add_special_tokens": false}`:
        the reader adds the special tokens itself, after truncation.
    token_indexers : `Dict[str, TokenIndexer]`, optional (default = `{"tokens": SingleIdTokenIndexer()}`)
    max_length : `int`, optional (default = `128`)
        Maximum length of the pair in wordpieces, special tokens included (the reference's
        `max_seq_length`). Only applies to `pretrained_transformer` tokenizers.
    combine_input_fields : `bool`, optional (default = `True` for `pretrained_transformer` tokenizers)
        If false, the two sentences go into separate `premise` and `hypothesis` fields.
    skip_invalid_lines : `bool`, optional (default = `False`)
        By default a bad line (wrong column count, unknown label, empty sentence, invalid UTF-8)
        stops reading with an error naming the file and line. If true, such lines are skipped
        and their number is logged per file. Files that are not parallel in the generalized
        setting are always an error.
    languages : `List[str]`, optional (default = `None`, every language)
        Only read the pairs in these languages (codes of the task's languages, e.g. `["de",
        "fr"]`): selects languages from XNLI-1.0's all-language files; a pair whose language is
        known (from a column, the file name or its directory) and not listed is left out.
    label_namespace : `str`, optional (default = `"labels"`)
        The vocabulary namespace of the labels. Several tasks trained by one model (AllenNLP's
        `multitask` model, one head per task) each need their own, e.g. `"pawsx_labels"`.
    **kwargs
        `max_instances` and the other `DatasetReader` parameters.
    """

    task_key: str = ""
    """Set by subclasses: the task's row in the task table (labels, languages, name)."""

    @property
    def task(self) -> Task:
        return TASKS[self.task_key]

    def __init__(
        self,
        tokenizer: Optional[Tokenizer] = None,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        max_length: int = 128,
        combine_input_fields: Optional[bool] = None,
        skip_invalid_lines: bool = False,
        languages: Optional[List[str]] = None,
        label_namespace: str = "labels",
        **kwargs,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        self._tokenizer = tokenizer or WhitespaceTokenizer()
        drop_unused_type_ids(self._tokenizer)
        self._token_indexers = token_indexers or {"tokens": SingleIdTokenIndexer()}
        is_transformer = isinstance(self._tokenizer, PretrainedTransformerTokenizer)
        if is_transformer and self._tokenizer._add_special_tokens:
            raise ParameterError(
                type(self).__name__,
                "tokenizer.add_special_tokens",
                "must be false: the reader adds the special tokens after truncating the pair",
            )
        self._combine_input_fields = (
            is_transformer if combine_input_fields is None else combine_input_fields
        )
        self._budget: Optional[int] = None
        if is_transformer:
            self._budget = max_length - self._tokenizer.num_special_tokens_for_pair()
            if self._budget < 2:
                raise ParameterError(
                    type(self).__name__,
                    "max_length",
                    f"must leave room for two wordpieces, got {max_length}",
                )
        self.batched_tokenizer: Optional[BatchedTokenizer] = (
            BatchedTokenizer.for_tokenizer(self._tokenizer) if is_transformer else None
        )
        """Tokenizes in batches (`None`: one sentence at a time, for other tokenizers)."""
        self._skip_invalid_lines = skip_invalid_lines
        self._label_namespace = label_namespace
        self._languages: Optional[FrozenSet[str]] = None
        if languages is not None:
            if isinstance(languages, str) or not languages:
                raise ParameterError(
                    type(self).__name__,
                    "languages",
                    f"must be a non-empty list of language codes, got {languages!r}",
                )
            self._languages = frozenset(
                check_language_codes(
                    languages, self.task.all_languages, type(self).__name__, "languages"
                )
            )

    # -- reading ---------------------------------------------------------------------------

    def _read(self, file_path: Union[PathOrStr, List[PathOrStr]]) -> Iterator[Instance]:
        if isinstance(file_path, dict):
            raise ParameterError(
                type(self).__name__,
                "data path",
                "must be a path or a list of paths, not a dictionary",
            )
        paths = file_path if isinstance(file_path, (list, tuple)) else [file_path]
        for path in paths:
            yield from self._read_file(str(path))

    def _read_file(self, path: str) -> Iterator[Instance]:
        source = self._open(path)
        skipped = 0
        # Shard the raw lines, then parse and tokenize each chunk of the shard at once. A bad
        # line's error is kept in its place, so that it is raised (or skipped) after the pairs
        # before it, as when reading line by line.
        for units in chunks(self.shard_iterable(source.units()), CHUNK_SIZE):
            rows: List[Union[Tuple[PairRow, Optional[str]], InputFileError]] = []
            for unit in units:
                try:
                    row = source.parse(unit)
                    if self._keeps(row):
                        rows.append((row, self._checked_label(row)))
                except InputFileError as error:
                    rows.append(error)
            if self.batched_tokenizer is not None and not is_recording(self):
                pairs = [
                    (item[0].first, item[0].second)
                    for item in rows
                    if not isinstance(item, InputFileError)
                ]
                if self._combine_input_fields:
                    self.batched_tokenizer.prefetch_pairs(pairs)
                else:
                    self.batched_tokenizer.prefetch(text for pair in pairs for text in pair)
            for item in rows:
                if isinstance(item, InputFileError):
                    if isinstance(item, NotParallelError) or not self._skip_invalid_lines:
                        raise item
                    skipped += 1
                    logger.debug("skipping %s", item)
                    continue
                row, label = item
                yield self.text_to_instance(
                    row.first,
                    row.second,
                    label,
                    premise_language=row.first_language,
                    hypothesis_language=row.second_language,
                    example_id=str(row.line),
                )
        if self.batched_tokenizer is not None and not is_recording(self):
            self.batched_tokenizer.clear()
        if skipped:
            logger.warning(
                "%s: skipped %d invalid line(s) (skip_invalid_lines is on)", path, skipped
            )

    def _open(self, path: str) -> PairSource:
        """The source of `path`: one file, or two parallel files for a generalized pair."""
        return open_source(path, self.task)

    def _keeps(self, row: PairRow) -> bool:
        """False for a pair in a language that the `languages` parameter leaves out."""
        if self._languages is None:
            return True
        return all(
            language is None or language in self._languages
            for language in (row.first_language, row.second_language)
        )

    # -- instances ---------------------------------------------------------------------------

    def _checked_label(self, row: PairRow) -> Optional[str]:
        """The row's label in the task's spelling; an error for an empty sentence or unknown label."""
        for name, text in (("first sentence", row.first), ("second sentence", row.second)):
            if not text.strip():
                raise InputFileError(row.path, row.line, f"empty {name}")
        if row.label is None:
            return None
        label = self.task.canonical_label(row.label)
        if label is None:
            raise InputFileError(
                row.path,
                row.line,
                f"unknown {self.task.name} label {row.label!r}; expected one of"
                f" {list(self.task.labels)}",
            )
        return label

    def text_to_instance(  # type: ignore[override]
        self,
        premise: str,
        hypothesis: str,
        label: Optional[str] = None,
        premise_language: Optional[str] = None,
        hypothesis_language: Optional[str] = None,
        example_id: Optional[str] = None,
    ) -> Instance:
        """
        One pair as an instance. For PAWS-X, `premise` and `hypothesis` are `sentence1` and
        `sentence2`. `example_id` (read from files: the line number) goes into the metadata.
        """
        fields: Dict[str, Field] = {}
        batched = self.batched_tokenizer
        if self._combine_input_fields and batched is not None:
            fields["tokens"] = TextField(batched.tokenize_pair(premise, hypothesis, self._budget))
        elif self._combine_input_fields:
            premise_tokens = self._tokenizer.tokenize(premise)
            hypothesis_tokens = self._tokenizer.tokenize(hypothesis)
            if self._budget is not None:
                premise_tokens, hypothesis_tokens = truncate_pair(
                    premise_tokens, hypothesis_tokens, self._budget
                )
            fields["tokens"] = TextField(self.join_pair(premise_tokens, hypothesis_tokens))
        else:
            tokenize = self._tokenizer.tokenize if batched is None else batched.tokenize
            fields["premise"] = TextField(tokenize(premise))
            fields["hypothesis"] = TextField(tokenize(hypothesis))
        if label is not None:
            fields["label"] = LabelField(label, label_namespace=self._label_namespace)
        if premise_language == hypothesis_language:
            language = premise_language
        else:
            language = f"{premise_language}-{hypothesis_language}"
        fields["metadata"] = MetadataField(
            {
                "language": language,
                "premise_language": premise_language,
                "hypothesis_language": hypothesis_language,
                "premise": premise,
                "hypothesis": hypothesis,
                "id": example_id,
            }
        )
        return Instance(fields)

    def join_pair(self, first: List[Token], second: List[Token]) -> List[Token]:
        """
        `tokenizer.add_special_tokens(first, second)`: the pair with its special tokens and token
        type ids. For a `pretrained_transformer` tokenizer, built here without AllenNLP's deep copy
        of `second` and per-token `dataclasses.replace`, which took over half of the reader's
        time (benchmarks/README.md, figure 3): `first` and `second` are fresh tokens of
        `text_to_instance`, so their type ids are set in place.
        """
        tokenizer = self._tokenizer
        if not isinstance(tokenizer, PretrainedTransformerTokenizer):
            return tokenizer.add_special_tokens(first, second)
        for tokens, type_id in (
            (first, tokenizer.sequence_pair_first_token_type_id),
            (second, tokenizer.sequence_pair_second_token_type_id),
        ):
            for token in tokens:
                token.type_id = type_id
        return join_with_special_tokens(tokenizer, first, second)

    def apply_token_indexers(self, instance: Instance) -> None:
        for name in ("tokens", "premise", "hypothesis"):
            if name in instance.fields:
                instance.fields[name].token_indexers = self._token_indexers  # type: ignore[attr-defined]
