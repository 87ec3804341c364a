"""
What the multiple-choice readers (`xtreme_xcopa`, `xtreme_siqa`) share: lazy, sharded reading of
JSON lines with errors naming the file and line, and the instances of the
`xtreme_multiple_choice` model. Not registered; each task's reader says which fields a line has
and how they become the first sequence and the choices.
"""

import json
import logging
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from allennlp.data.dataset_readers.dataset_reader import DatasetReader, PathOrStr
from allennlp.data.fields import Field, IndexField, ListField, MetadataField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer, Tokenizer, WhitespaceTokenizer

from allennlp_robust_xlt.data.token_types import drop_unused_type_ids
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.files import local_input
from allennlp_robust_xlt.common.languages import is_known_language
from allennlp_robust_xlt.common.line_reading import decode_line, numbered_lines
from allennlp_robust_xlt.data.batched_tokenization import (
    CHUNK_SIZE,
    BatchedTokenizer,
    chunks,
    truncate_pair,
)
from allennlp_robust_xlt.data.reader_calls import is_recording
from allennlp_robust_xlt.tasks import TASKS, Task

logger = logging.getLogger(__name__)

# `{split}-{lang}.jsonl` (XTREME's layout) or `{split}.{lang}.jsonl` (the XCOPA release).
_LANGUAGE_IN_FILE_NAME = re.compile(r"^[A-Za-z_0-9]+[-.](?P<lang>[a-z]{2,3})\.jsonl?$")


def language_from_file_name(path: str) -> Optional[str]:
    """`val-et.jsonl` or `val.et.jsonl` -> `et`; None when the name holds no known language."""
    match = _LANGUAGE_IN_FILE_NAME.match(Path(path).name)
    code = match.group("lang") if match else None
    return code if code is not None and is_known_language(code) else None


def json_record(raw: bytes, path: str, line: int) -> Dict[str, Any]:
    """The JSON object on one line, or an `InputFileError` naming the file and line."""
    text = decode_line(raw, path, line)
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            path, line, f"invalid JSON: {error.msg} at column {error.colno}"
        ) from None
    if not isinstance(record, dict):
        raise InputFileError(path, line, f"expected a JSON object, found {type(record).__name__}")
    return record


def text_field(record: Dict[str, Any], key: str, path: str, line: Optional[int]) -> str:
    """The non-empty string `record[key]`, or an error naming the file, line and field."""
    if key not in record:
        raise InputFileError(path, line, f"missing the field '{key}' (found: {sorted(record)})")
    value = record[key]
    if not isinstance(value, str):
        raise InputFileError(
            path, line, f"the field '{key}' must be a string, found {type(value).__name__}"
        )
    if not value.strip():
        raise InputFileError(path, line, f"the field '{key}' is empty")
    return value


class XtremeMultipleChoiceReader(DatasetReader):
    """
    Reads a multiple-choice task's JSON lines (one example per line) and turns each example into
    what the `xtreme_multiple_choice` model consumes:

    * `alternatives`: a `ListField` of one `TextField` per choice, the pair (first sequence,
      choice) joined by the tokenizer's special tokens and truncated longest-first to
      `max_length` wordpieces, as XTREME's `run_xcopa.py` tokenizes it;
    * `correct_alternative`: an `IndexField`, the index of the right choice (when labelled);
    * `metadata`: `id` (the line's `idx`, else its line number), `language` (from the file
      name), `start` (the first sequence) and `choices`.

    Reading is lazy and sharded (across data-loader workers and distributed ranks) line by line,
    before parsing. With a fast `pretrained_transformer` tokenizer, each shard's lines are
    tokenized in chunks, all the (first sequence, choice) pairs of a chunk in one call of the
    tokenizer (`data/batched_tokenization.py`), into exactly the tokens that AllenNLP's tokenizer
    gives one text at a time. A line that is not a JSON object, lacks a field, or has a label out
    of range is an error naming the file and line, raised after the examples before it.
    XTREME's preparation sets every test label to 0: a file whose labels are all 0 is read, with
    a warning that its accuracy is meaningless.

    Subclasses set `task_key`, `TEXT_ARGUMENTS` (the text parameters of their
    `text_to_instance`, which randomized smoothing perturbs) and implement `arguments_from_json`,
    `sequences` and `text_to_instance`.

    # Parameters

    tokenizer : `Tokenizer`, optional (default = `WhitespaceTokenizer()`)
        Use `{"type": "pretrained_transformer", "model_name": ..., "add_special_tokens": false}`:
        the reader adds the special tokens itself, after truncation.
    token_indexers : `Dict[str, TokenIndexer]`, optional (default = `{"tokens": SingleIdTokenIndexer()}`)
    max_length : `int`, optional (default = `128`)
        Maximum length of each (first sequence, choice) pair in wordpieces, special tokens
        included (XTREME's `max_seq_length`). Only applies to `pretrained_transformer` tokenizers.
    **kwargs
        `max_instances` and the other `DatasetReader` parameters.
    """

    task_key: str = ""
    TEXT_ARGUMENTS: Tuple[str, ...] = ()

    @property
    def task(self) -> Task:
        return TASKS[self.task_key]

    def __init__(
        self,
        tokenizer: Optional[Tokenizer] = None,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        max_length: int = 128,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        self._tokenizer = tokenizer or WhitespaceTokenizer()
        drop_unused_type_ids(self._tokenizer)
        self._token_indexers = token_indexers or {"tokens": SingleIdTokenIndexer()}
        self._budget: Optional[int] = None
        if isinstance(self._tokenizer, PretrainedTransformerTokenizer):
            if self._tokenizer._add_special_tokens:
                raise ParameterError(
                    type(self).__name__,
                    "tokenizer.add_special_tokens",
                    "must be false: the reader adds the special tokens after truncating each pair",
                )
            self._budget = max_length - self._tokenizer.num_special_tokens_for_pair()
            if self._budget < 2:
                raise ParameterError(
                    type(self).__name__,
                    "max_length",
                    f"must leave room for two wordpieces, got {max_length}",
                )
        self.batched_tokenizer: Optional[BatchedTokenizer] = (
            BatchedTokenizer.for_tokenizer(self._tokenizer) if self._budget is not None else None
        )
        """Tokenizes in batches (`None`: one text at a time, for other tokenizers)."""

    # -- reading ---------------------------------------------------------------------------

    def _read(self, file_path: Union[PathOrStr, List[PathOrStr]]) -> Iterator[Instance]:
        if isinstance(file_path, dict):
            raise ParameterError(
                type(self).__name__, "data path", "must be a path or a list of paths"
            )
        paths = file_path if isinstance(file_path, (list, tuple)) else [file_path]
        for path in paths:
            yield from self._read_file(str(path))

    def _read_file(self, path: str) -> Iterator[Instance]:
        local = local_input(path)
        language = self.file_language(path)
        labels = zeros = 0
        # Shard the raw lines, then parse and tokenize each chunk of the shard at once. A bad
        # line's error keeps its place, so it is raised after the examples before it.
        lines = self.shard_iterable(numbered_lines(local, display_path=path))
        for units in chunks(lines, CHUNK_SIZE):
            examples: List[Union[Dict[str, Any], InputFileError]] = []
            for line, raw in units:
                try:
                    examples.append(
                        self.arguments_from_json(json_record(raw, path, line), path, line)
                    )
                except InputFileError as error:
                    examples.append(error)
            if not is_recording(self):  # (recorded calls build nothing)
                self.prefetch_examples(
                    [example for example in examples if not isinstance(example, InputFileError)]
                )
            for arguments in examples:
                if isinstance(arguments, InputFileError):
                    raise arguments
                label = arguments.get("label")
                if label is not None:
                    labels += 1
                    zeros += label == 0
                yield self.text_to_instance(**arguments, language=language)
        if self.batched_tokenizer is not None:
            self.batched_tokenizer.clear()
        if labels and zeros == labels:
            logger.warning(
                "%s: all %d labels are 0, as in XTREME's prepared test files, whose labels were"
                " removed: its accuracy is not a score of the model",
                path,
                labels,
            )

    def prefetch_examples(self, examples: Sequence[Dict[str, Any]]) -> None:
        """
        Tokenizes the (first sequence, choice) pairs of `examples` (`text_to_instance` keyword
        arguments) in one call into the batched tokenizer's pool, where `build_instance` finds
        them; nothing without a batched tokenizer. Randomized smoothing calls it with the
        perturbed examples of a chunk.
        """
        if self.batched_tokenizer is None:
            return
        self.batched_tokenizer.prefetch_pairs(
            (start, choice)
            for start, choices in map(self.sequences, examples)
            for choice in choices
        )

    def file_language(self, path: str) -> Optional[str]:
        """The language of a file's examples: from its name, or the task's only language."""
        if len(self.task.languages) == 1:
            return self.task.languages[0]
        return language_from_file_name(path)

    def arguments_from_json(
        self, record: Dict[str, Any], path: str, line: Optional[int]
    ) -> Dict[str, Any]:
        """The `text_to_instance` keyword arguments of one JSON line (checked)."""
        raise NotImplementedError

    def example_id(self, record: Dict[str, Any], line: Optional[int]) -> Optional[str]:
        """The example's `idx` when it has one, else its line number."""
        if record.get("idx") is not None:
            return str(record["idx"])
        return None if line is None else str(line)

    # -- instances ---------------------------------------------------------------------------

    def sequences(self, arguments: Dict[str, Any]) -> Tuple[str, List[str]]:
        """
        `(first sequence, choices)` of an example, from its `text_to_instance` arguments (by
        name): each choice is paired with the first sequence.
        """
        raise NotImplementedError

    def build_instance(
        self,
        start: str,
        choices: Sequence[str],
        label: Optional[int],
        language: Optional[str],
        example_id: Optional[str],
    ) -> Instance:
        """The instance of one example: one (start, choice) pair per choice."""
        pairs = []
        batched = self.batched_tokenizer
        if batched is not None:
            for choice in choices:
                pairs.append(TextField(batched.tokenize_pair(start, choice, self._budget)))
        else:
            start_tokens = self._tokenizer.tokenize(start)
            for choice in choices:
                first, second = start_tokens, self._tokenizer.tokenize(choice)
                if self._budget is not None:
                    first, second = truncate_pair(first, second, self._budget)
                pairs.append(TextField(self._tokenizer.add_special_tokens(first, second)))
        alternatives = ListField(pairs)  # type: ignore[arg-type]
        fields: Dict[str, Field] = {"alternatives": alternatives}
        if label is not None:
            if not 0 <= label < len(choices):
                raise ValueError(f"label {label} is not the index of one of {len(choices)} choices")
            fields["correct_alternative"] = IndexField(label, alternatives)
        fields["metadata"] = MetadataField(
            {"id": example_id, "language": language, "start": start, "choices": list(choices)}
        )
        return Instance(fields)

    def apply_token_indexers(self, instance: Instance) -> None:
        for pair in instance.fields["alternatives"].field_list:  # type: ignore[attr-defined]
            pair.token_indexers = self._token_indexers
