"""The `sib200` reader: SIB-200's topic classification of single sentences."""

import logging
import os
from typing import Dict, Iterator, List, Optional, Union

from allennlp.data.dataset_readers.dataset_reader import DatasetReader, PathOrStr
from allennlp.data.fields import Field, LabelField, MetadataField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer, Tokenizer, WhitespaceTokenizer

from allennlp_robust_xlt.classification.dataset_readers.text_files import (
    TextRow,
    file_language,
    text_rows,
)
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.files import local_input
from allennlp_robust_xlt.common.languages import check_language_codes
from allennlp_robust_xlt.common.line_reading import raw_lines
from allennlp_robust_xlt.data.batched_tokenization import CHUNK_SIZE, BatchedTokenizer, chunks
from allennlp_robust_xlt.data.reader_calls import is_recording
from allennlp_robust_xlt.tasks import TASKS, Task

logger = logging.getLogger(__name__)


@DatasetReader.register("sib200")
class Sib200Reader(DatasetReader):
    """
    Registered as a `DatasetReader` with name "sib200".

    Reads SIB-200's sentences with their topic (`sib200` in `allennlp_robust_xlt/tasks.libsonnet`:
    7 categories) from the release's `{lang}/{train,dev,test}.tsv` files (header
    `index_id<TAB>category<TAB>text`, see `text_files.py` beside this module), and turns each
    into what the `xtreme_text_classifier` model consumes: a `tokens` field (with a
    `pretrained_transformer` tokenizer: the text's wordpieces, truncated to `max_length` with the
    special tokens), a `label` field (when the file has labels) and a `metadata` field with the
    `language` (the file's directory), the `text` and an `id` (the row's `index_id`, the same
    Flores sentence in every language). A bad header or line, an unknown label or an unknown
    language directory is an error naming the file and line.

    Reading is lazy and sharded by AllenNLP's `shard_iterable`; with a fast transformer
    tokenizer, each chunk of texts is tokenized in one call
    (`allennlp_robust_xlt/data/batched_tokenization.py`). `text_to_instance(text, label, ...)`
    takes one text, so RS-DA's `randomized_smoothing` reader perturbs its `text` argument.

    # Parameters

    tokenizer : `Tokenizer`, optional (default = `WhitespaceTokenizer()`)
        Use `{"type": "pretrained_transformer", "model_name": ..., "add_special_tokens": false}`:
        the reader adds the special tokens itself, after truncation.
    token_indexers : `Dict[str, TokenIndexer]`, optional (default = `{"tokens": SingleIdTokenIndexer()}`)
    max_length : `int`, optional (default = `128`)
        Maximum length in wordpieces, special tokens included (`pretrained_transformer` only).
    languages : `List[str]`, optional (default = `None`, every language)
        Only read files of these languages (codes of the task's languages); a listed code that
        the task lacks is an error.
    label_namespace : `str`, optional (default = `"labels"`)
    **kwargs
        `max_instances` and the other `DatasetReader` parameters.
    """

    task_key = "sib200"

    @property
    def task(self) -> Task:
        return TASKS[self.task_key]

    def __init__(
        self,
        tokenizer: Optional[Tokenizer] = None,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        max_length: int = 128,
        languages: Optional[List[str]] = None,
        label_namespace: str = "labels",
        **kwargs,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        name = type(self).__name__
        self._tokenizer = tokenizer or WhitespaceTokenizer()
        self._token_indexers = token_indexers or {"tokens": SingleIdTokenIndexer()}
        self._budget: Optional[int] = None
        self.batched_tokenizer: Optional[BatchedTokenizer] = None
        if isinstance(self._tokenizer, PretrainedTransformerTokenizer):
            if self._tokenizer._add_special_tokens:
                raise ParameterError(
                    name,
                    "tokenizer.add_special_tokens",
                    "must be false: the reader adds the special tokens after truncating the text",
                )
            self._budget = max_length - self._tokenizer.num_special_tokens_for_sequence()
            if self._budget < 1:
                raise ParameterError(
                    name, "max_length", f"must leave room for a wordpiece, got {max_length}"
                )
            self.batched_tokenizer = BatchedTokenizer.for_tokenizer(self._tokenizer)
        self._languages = None
        if languages is not None:
            if isinstance(languages, str) or not languages:
                raise ParameterError(
                    name, "languages", f"must be a non-empty list of codes, got {languages!r}"
                )
            self._languages = frozenset(
                check_language_codes(languages, self.task.all_languages, name, "languages")
            )
        self._label_namespace = label_namespace

    def _read(self, file_path: Union[PathOrStr, List[PathOrStr]]) -> Iterator[Instance]:
        if isinstance(file_path, dict):
            raise ParameterError(
                type(self).__name__, "data path", "must be a path or a list of paths"
            )
        paths = file_path if isinstance(file_path, (list, tuple)) else [file_path]
        for path in map(str, paths):
            language = file_language(path)
            if self._languages is not None and language not in self._languages:
                continue
            local = local_input(path) if "://" in path else os.path.expanduser(path)
            rows = text_rows(raw_lines(local, path), path)
            for chunk in chunks(self.shard_iterable(rows), CHUNK_SIZE):
                if self.batched_tokenizer is not None and not is_recording(self):
                    self.batched_tokenizer.prefetch(row.text for row in chunk)
                for row in chunk:
                    yield self.text_to_instance(
                        row.text, self._checked_label(row), language, row.example_id
                    )
            if self.batched_tokenizer is not None and not is_recording(self):
                self.batched_tokenizer.clear()

    def _checked_label(self, row: TextRow) -> Optional[str]:
        if row.label is None:
            return None
        label = self.task.canonical_label(row.label.strip())
        if label is None:
            raise InputFileError(
                row.path,
                row.line,
                f"unknown {self.task.name} category {row.label!r}; expected one of"
                f" {', '.join(self.task.labels)}",
            )
        return label

    def text_to_instance(  # type: ignore[override]
        self,
        text: str,
        label: Optional[str] = None,
        language: Optional[str] = None,
        example_id: Optional[str] = None,
    ) -> Instance:
        """One text (and its label, if known) as an instance."""
        if self.batched_tokenizer is not None:
            tokens = self.batched_tokenizer.tokenize(text)
        else:
            tokens = self._tokenizer.tokenize(text)
        if self._budget is not None:
            tokens = self._tokenizer.add_special_tokens(tokens[: self._budget])
        fields: Dict[str, Field] = {"tokens": TextField(tokens)}
        if label is not None:
            fields["label"] = LabelField(label, label_namespace=self._label_namespace)
        fields["metadata"] = MetadataField({"language": language, "text": text, "id": example_id})
        return Instance(fields)

    def apply_token_indexers(self, instance: Instance) -> None:
        instance.fields["tokens"].token_indexers = self._token_indexers  # type: ignore[attr-defined]
