"""
The shared base of the XTREME tagging readers (`xtreme_udpos`, `xtreme_panx`).

Not registered itself: the registered subclasses name their task's row in the task table
(labels, languages, file layout).
"""

import glob
import logging
import os
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from allennlp.data.dataset_readers.dataset_reader import DatasetReader, PathOrStr
from allennlp.data.fields import Field, MetadataField, SequenceLabelField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import Token
from allennlp.data.vocabulary import Vocabulary

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.files import local_input
from allennlp_robust_xlt.data.batched_tokenization import CHUNK_SIZE, chunks
from allennlp_robust_xlt.data.reader_calls import is_recording
from allennlp_robust_xlt.tagging.dataset_readers.tagged_files import (
    TaggedFileSource,
    TaggedSentence,
)
from allennlp_robust_xlt.tasks import TASKS, Task

logger = logging.getLogger(__name__)

BIO_TAG = re.compile(r"^(?:O|[BI]-.+)$")


def is_bio_label_set(labels: Sequence[str]) -> bool:
    """Whether a task's labels are BIO tags (`O`, `B-TYPE`, `I-TYPE`), as PAN-X's are."""
    return bool(labels) and all(BIO_TAG.match(label) for label in labels)


class TagsField(SequenceLabelField):
    """
    A `SequenceLabelField` that knows where its tags come from: a tag that the model's
    vocabulary lacks (a tag never seen in training) is an error naming the file and line,
    not a `KeyError` from deep inside the data loader.
    """

    def __init__(
        self,
        labels: List[str],
        sequence_field: TextField,
        label_namespace: str = "labels",
        path: Optional[str] = None,
        lines: Optional[List[int]] = None,
    ) -> None:
        super().__init__(labels, sequence_field, label_namespace)
        self.path = path
        self.lines = lines

    def index(self, vocab: Vocabulary) -> None:
        known = vocab.get_token_to_index_vocabulary(self._label_namespace)
        for position, label in enumerate(self.labels):
            if label not in known:
                line = self.lines[position] if self.lines else None
                raise InputFileError(
                    self.path or "input",
                    line,
                    f"the tag {label!r} was never seen in training, so the model cannot score it"
                    f" (its tags: {' '.join(sorted(known))})",
                )
        super().index(vocab)


class XtremeTaggingReader(DatasetReader):
    """
    Reads the tagged sentences of an XTREME tagging task (see `tagged_files.py` beside this
    module for the file layouts: XTREME's `{split}-{lang}.tsv`, the WikiANN release's
    `lang:token<TAB>TAG`, UD's CoNLL-U) and turns each into a `tokens` field of its words (use
    AllenNLP's `pretrained_transformer_mismatched` indexer: it splits each word into sub-words,
    and its embedder gives one vector per word; its `pretrained_transformer_mismatched_batched`
    version gives the same and is faster), a `tags` field (when the file has tags) and a
    `metadata` field with the `words`, the `language`, an `id` (the line of the sentence's first
    word; `name:line` when several files are read together) and the `path`.

    Each tag must be one of the task's labels (the task table), and for a task whose labels are
    BIO tags (PAN-X) a BIO tag; a file without tags (XTREME strips the tags of its test files)
    is read for prediction, and the `xtreme_tagger` model refuses to score it. A tag the
    trained model has never seen is an error naming the file and line when the instance is
    indexed.

    A file path may be a list of paths or a glob pattern (`ud/UD_English-*/en_*-ud-train.conllu`):
    the files are read one after the other in the order of their names, as XTREME concatenates
    the treebanks of a language. Reading is lazy, and sharded by AllenNLP's `shard_iterable`
    (`manual_distributed_sharding` and `manual_multiprocess_sharding` are on), so data-loader
    workers and distributed workers see each sentence exactly once. Each shard's sentences are
    read in chunks; an indexer with a `prefetch_words` method (the
    `pretrained_transformer_mismatched_batched` indexer) is handed the words of each chunk
    first, so that it splits them into wordpieces in one call of the tokenizer.

    # Parameters

    token_indexers : `Dict[str, TokenIndexer]`, optional (default = `{"tokens": SingleIdTokenIndexer()}`)
        E.g. `{"tokens": {"type": "pretrained_transformer_mismatched_batched", "model_name": ...,
        "max_length": 128}}`.
    label_namespace : `str`, optional (default = `"labels"`)
    **kwargs
        `max_instances` and the other `DatasetReader` parameters.
    """

    task_key: str = ""
    """Set by subclasses: the task's row in the task table."""

    @property
    def task(self) -> Task:
        return TASKS[self.task_key]

    def __init__(
        self,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        label_namespace: str = "labels",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        self._token_indexers = token_indexers or {"tokens": SingleIdTokenIndexer()}
        self._label_namespace = label_namespace
        self._bio = is_bio_label_set(self.task.labels)

    # -- reading ---------------------------------------------------------------------------

    def _read(self, file_path: Union[PathOrStr, List[PathOrStr]]) -> Iterator[Instance]:
        paths = self._paths(file_path)
        for path in paths:
            prefix = f"{Path(path).name}:" if len(paths) > 1 else ""
            source = self._open(path)
            # Shard the raw sentences, then parse each chunk of the shard and hand its words to
            # the indexers at once. A bad sentence's error keeps its place, so it is raised after
            # the sentences before it, as when reading one sentence at a time.
            for blocks in chunks(self.shard_iterable(source.units()), CHUNK_SIZE):
                sentences: List[Union[TaggedSentence, InputFileError]] = []
                for block in blocks:
                    try:
                        sentence = source.parse(block)
                    except InputFileError as error:
                        sentences.append(error)
                        continue
                    if sentence is not None:
                        sentences.append(sentence)
                # Not while the calls are recorded (they build nothing), nor in a data-loader
                # worker (AllenNLP's workers only read; the main process indexes).
                if not is_recording(self) and self._worker_info is None:
                    self.prefetch_examples(
                        [
                            {"words": sentence.words}
                            for sentence in sentences
                            if not isinstance(sentence, InputFileError)
                        ]
                    )
                for sentence in sentences:
                    if isinstance(sentence, InputFileError):
                        raise sentence
                    yield self._sentence_to_instance(sentence, f"{prefix}{sentence.lines[0]}")

    def prefetch_examples(self, examples: Sequence[Dict[str, Any]]) -> None:
        """
        Hands the words of `examples` (`text_to_instance` keyword arguments) to each token
        indexer that has a `prefetch_words` method, which splits them into wordpieces in one
        call. Randomized smoothing calls it with the perturbed examples of a chunk.
        """
        for indexer in self._token_indexers.values():
            prefetch_words = getattr(indexer, "prefetch_words", None)
            if prefetch_words is not None:
                prefetch_words(word for example in examples for word in example["words"])

    def _paths(self, file_path: Union[PathOrStr, List[PathOrStr]]) -> List[str]:
        if isinstance(file_path, dict):
            raise ParameterError(
                type(self).__name__,
                "data path",
                "must be a path or a list of paths, not a dictionary",
            )
        given = file_path if isinstance(file_path, (list, tuple)) else [file_path]
        paths: List[str] = []
        for path in map(str, given):
            if "://" not in path and glob.has_magic(path):
                matches = sorted(glob.glob(os.path.expanduser(path)), key=lambda p: Path(p).name)
                if not matches:
                    raise InputFileError(path, None, "no file matches this pattern")
                paths.extend(matches)
            else:
                paths.append(path)
        return paths

    def _open(self, path: str) -> TaggedFileSource:
        local = local_input(path) if "://" in path else os.path.expanduser(path)
        return TaggedFileSource(path, self.task, local_path=local)

    def _sentence_to_instance(self, sentence: TaggedSentence, example_id: str) -> Instance:
        if sentence.tags is not None:
            for tag, line in zip(sentence.tags, sentence.lines):
                self._check_tag(tag, sentence.path, line)
            tags: Optional[List[str]] = [
                self.task.canonical_label(tag) or tag for tag in sentence.tags
            ]
        else:
            tags = None
        return self.text_to_instance(
            sentence.words,
            tags,
            language=sentence.language,
            example_id=example_id,
            path=sentence.path,
            lines=sentence.lines,
        )

    def _check_tag(self, tag: str, path: str, line: int) -> None:
        if self.task.canonical_label(tag) is not None:
            return
        if self._bio and not BIO_TAG.match(tag):
            raise InputFileError(
                path,
                line,
                f"{tag!r} is not a BIO tag: {self.task.name} needs O, B-TYPE or I-TYPE"
                f" ({' '.join(self.task.labels)})",
            )
        raise InputFileError(
            path,
            line,
            f"unknown {self.task.name} tag {tag!r}; expected one of {' '.join(self.task.labels)}",
        )

    # -- instances ---------------------------------------------------------------------------

    def text_to_instance(  # type: ignore[override]
        self,
        words: List[str],
        tags: Optional[List[str]] = None,
        language: Optional[str] = None,
        example_id: Optional[str] = None,
        path: Optional[str] = None,
        lines: Optional[List[int]] = None,
    ) -> Instance:
        """
        One sentence as an instance: `words` (one tag per word), their `tags` if known, and for
        the metadata its `language`, `example_id` and the `path` and `lines` it was read from
        (for errors).
        """
        if not words:
            raise InputFileError(path or "input", lines[0] if lines else None, "empty sentence")
        if tags is not None and len(tags) != len(words):
            raise InputFileError(
                path or "input",
                lines[0] if lines else None,
                f"{len(words)} words but {len(tags)} tags",
            )
        tokens = TextField([Token(word) for word in words])
        fields: Dict[str, Field] = {"tokens": tokens}
        if tags is not None:
            fields["tags"] = TagsField(tags, tokens, self._label_namespace, path, lines)
        fields["metadata"] = MetadataField(
            {
                "words": list(words),
                "language": language,
                "id": example_id,
                "path": path,
                "line": lines[0] if lines else None,
                "has_tags": tags is not None,
            }
        )
        return Instance(fields)

    def apply_token_indexers(self, instance: Instance) -> None:
        instance.fields["tokens"].token_indexers = self._token_indexers  # type: ignore[attr-defined]
