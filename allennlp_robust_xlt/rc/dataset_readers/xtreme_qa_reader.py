"""
The shared base of the extractive QA readers (`xtreme_squad`, `xtreme_xquad`, `xtreme_mlqa`,
`xtreme_tydiqa`; not registered itself). They differ only in the task they default to: any of
them reads the files of every QA task, so a model trained with `xtreme_squad` is evaluated on
XQuAD, MLQA or TyDiQA-GoldP files with its own reader.
"""

import inspect
import logging
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from allennlp.data.dataset_readers.dataset_reader import DatasetReader, PathOrStr
from allennlp.data.fields import Field, ListField, MetadataField, TensorField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer, Token

from allennlp_robust_xlt.data.token_types import drop_unused_type_ids
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError, check_int
from allennlp_robust_xlt.common.files import local_input
from allennlp_robust_xlt.common.languages import describe_known_codes, is_known_language
from allennlp_robust_xlt.data.batched_tokenization import (
    CHUNK_SIZE,
    BatchedTokenizer,
    chunks,
    encode_batch,
)
from allennlp_robust_xlt.data.reader_calls import TextToInstanceCall, is_recording
from allennlp_robust_xlt.rc.dataset_readers.squad_files import Answer, read_squad_file
from allennlp_robust_xlt.rc.tools.answer_preserving_substitution import (
    PerturbWords,
    substitute_context,
)
from allennlp_robust_xlt.rc.tools.context_windows import max_context_masks, window_spans
from allennlp_robust_xlt.tasks import TASKS, Task

logger = logging.getLogger(__name__)

PREDICTION_INPUT = "prediction input"

# XTREME's `run_squad.py` splits a context into words on these characters only
# (`processors/squad.py:_is_whitespace`), then tokenizes each word on its own.
XTREME_WHITESPACE = frozenset(" \t\r\n\u202f")


def xtreme_words(context: str) -> List[Tuple[int, int]]:
    """`(start, end)` character spans of the context's words, split as XTREME splits them."""
    spans: List[Tuple[int, int]] = []
    start: Optional[int] = None
    for position, character in enumerate(context):
        if character in XTREME_WHITESPACE:
            if start is not None:
                spans.append((start, position))
                start = None
        elif start is None:
            start = position
    if start is not None:
        spans.append((start, len(context)))
    return spans


class XtremeQaReader(DatasetReader):
    """
    Reads SQuAD v1.1 JSON files (`rc/dataset_readers/squad_files.py`) and makes one instance per
    question, holding every window of its context as XTREME's `run_squad.py` cuts it:

    * the question is cut to `max_query_length` sub-words (XTREME: 64);
    * the context is split into words on whitespace and each word into sub-words (as XTREME);
    * windows of `max_length` (384) sub-words `[CLS] question [SEP] context-part [SEP]` (XLM-R:
      `<s> q </s></s> c </s>`) whose context parts start `doc_stride` (128) sub-words apart: the
      step between window starts, not AllenNLP's `transformer_squad` overlap
      (`rc/tools/context_windows.py`);
    * when the question has answers, each window's gold start and end position: the sub-words
      that cover the first answer's characters, or the first token (`[CLS]`, `<s>`) in a window
      that does not hold the whole answer, which is kept (XTREME keeps such windows too).

    No window is ever dropped, when training or not (AllenNLP's `transformer_squad` drops
    evaluation windows with `skip_impossible_questions`), and questions without answers
    (XTREME's stripped test files) are read for prediction; scoring them is an error of the
    model's metric.

    Fields: `windows` (a `ListField` of `TextField`s), `answer_spans` (`[windows, 2]` gold
    positions, only for labelled questions) and `metadata`: `id`, `question`, `context`,
    `answers` (every gold text, or None), `question_language`, `context_language`, `language`
    (the context's, or `q-c` when they differ), `scoring` (`squad` or `mlqa`), `source` (the
    file), and per window the character span of each position in the context (`offsets`, -1
    outside the context) and its max-context mask (`max_context`).

    Languages and scoring come from the file name, matched against the task table's file names
    (`mlqa/MLQA_V1/test/test-context-de-question-zh.json` has German contexts, Chinese
    questions and MLQA's scoring); other files have `language` and the reader's task's scoring.

    Reading is lazy per file and sharded (`manual_distributed_sharding`,
    `manual_multiprocess_sharding`). A file path may be a list of paths. Each shard's questions
    are tokenized in chunks: the chunk's distinct questions in one call of the fast tokenizer,
    its distinct contexts in another (a context shared by several questions is split once),
    with the same sub-words, offsets and windows as one question at a time.

    # Parameters

    transformer_model_name : `str`
        The transformer (a Hugging Face name or a local directory); it must have a fast tokenizer.
    max_length : `int`, optional (default = `384`)
        Sub-words per window, special tokens included (XTREME's `max_seq_length`).
    doc_stride : `int`, optional (default = `128`)
        Sub-words between the starts of two windows of one context (XTREME's `doc_stride`).
    max_query_length : `int`, optional (default = `64`)
        Questions are cut to this many sub-words.
    tokenizer_kwargs : `Dict[str, Any]`, optional
        Passed to the tokenizer (as for AllenNLP's `pretrained_transformer` tokenizer).
    language : `str`, optional
        The language of files whose name does not tell it (questions and contexts).
    **kwargs
        `max_instances` and the other `DatasetReader` parameters.
    """

    task_key: str = ""
    """Set by subclasses: the task whose scoring applies to files the table does not name."""

    @property
    def task(self) -> Task:
        return TASKS[self.task_key]

    def __init__(
        self,
        transformer_model_name: str,
        max_length: int = 384,
        doc_stride: int = 128,
        max_query_length: int = 64,
        tokenizer_kwargs: Optional[Dict[str, Any]] = None,
        language: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        name = type(self).__name__
        self._max_length = check_int(name, "max_length", max_length)
        self._doc_stride = check_int(name, "doc_stride", doc_stride)
        self._max_query_length = check_int(name, "max_query_length", max_query_length)
        self._tokenizer = PretrainedTransformerTokenizer(
            transformer_model_name, add_special_tokens=False, tokenizer_kwargs=tokenizer_kwargs
        )
        drop_unused_type_ids(self._tokenizer)
        self._hf_tokenizer = self._tokenizer.tokenizer
        if not getattr(self._hf_tokenizer, "is_fast", False):
            raise ParameterError(
                name,
                "transformer_model_name",
                f"{transformer_model_name} has no fast tokenizer, which the windows need for"
                " the character offsets of sub-words",
            )
        self._token_indexers = {
            "tokens": PretrainedTransformerIndexer(
                transformer_model_name, tokenizer_kwargs=tokenizer_kwargs
            )
        }
        tokenizer = self._tokenizer
        self._start_tokens = tokenizer.sequence_pair_start_tokens
        self._mid_tokens = tokenizer.sequence_pair_mid_tokens
        self._end_tokens = tokenizer.sequence_pair_end_tokens
        self._num_special = len(self._start_tokens + self._mid_tokens + self._end_tokens)
        if self._max_length <= self._num_special + 1:
            raise ParameterError(
                name,
                "max_length",
                f"must leave room for a question and a context, got {max_length}",
            )
        self._first_type_id = tokenizer.sequence_pair_first_token_type_id or 0
        self._second_type_id = tokenizer.sequence_pair_second_token_type_id or 0
        if language is not None and not is_known_language(language):
            raise ParameterError(
                name, "language", f"has the unknown code {language!r}; {describe_known_codes()}"
            )
        self._language = language
        self._batched = BatchedTokenizer(self._tokenizer)
        # The sub-words of the questions and contexts of the chunk being read
        # (`prefetch_examples`); `text_to_instance` tokenizes what is not there.
        self._question_pool: Dict[str, List[int]] = {}
        self._context_pool: Dict[str, Tuple[List[int], np.ndarray]] = {}
        # The tokens of the pool's contexts, built for the first of their questions and shared
        # by the others (as the windows of one question share tokens; nothing changes them).
        self._context_tokens: Dict[str, List[Token]] = {}

    def __getstate__(self) -> Dict[str, Any]:
        # Readers are pickled for spawned data-loader workers: leave the pools behind.
        state = dict(self.__dict__)
        state["_question_pool"] = {}
        state["_context_pool"] = {}
        state["_context_tokens"] = {}
        return state

    # -- reading ---------------------------------------------------------------------------

    def _read(self, file_path: Union[PathOrStr, List[PathOrStr]]) -> Iterator[Instance]:
        paths = file_path if isinstance(file_path, (list, tuple)) else [file_path]
        for path in paths:
            yield from self._read_file(str(path))

    def _read_file(self, path: str) -> Iterator[Instance]:
        local = local_input(path, expected="a SQuAD-format JSON file")
        examples = read_squad_file(local, display_path=path)
        question_language, context_language, scoring = self.file_facts(path)
        for chunk in chunks(self.shard_iterable(examples), CHUNK_SIZE):
            if not is_recording(self):  # (recorded calls build nothing)
                self.prefetch_examples(
                    [{"question": e.question, "context": e.context} for e in chunk]
                )
            for example in chunk:
                yield self.text_to_instance(
                    example.question,
                    example.context,
                    example.answers,
                    question_id=example.question_id,
                    question_language=question_language,
                    context_language=context_language,
                    scoring=scoring,
                    source=path,
                )
        self._question_pool, self._context_pool, self._context_tokens = {}, {}, {}

    def prefetch_examples(self, examples: Sequence[Dict[str, Any]]) -> None:
        """
        Tokenizes the questions and contexts of `examples` (`text_to_instance` keyword
        arguments), each distinct text once, the questions in one call of the fast tokenizer and
        the contexts in another, into the pools where `text_to_instance` finds them (replacing
        what they held). Randomized smoothing calls it with the perturbed examples of a chunk.
        """
        questions = list(dict.fromkeys(example["question"] for example in examples))
        self._question_pool = dict(zip(questions, self._question_subwords_batch(questions)))
        contexts = list(dict.fromkeys(example["context"] for example in examples))
        self._context_pool = dict(zip(contexts, self._context_subwords_batch(contexts)))
        self._context_tokens = {}

    def file_facts(self, path: str) -> Tuple[Optional[str], Optional[str], str]:
        """`(question language, context language, scoring)` of a file, from its name."""
        for task in TASKS.values():
            if task.family != "rc":
                continue
            found = task.match_file(path)
            if found is not None and all(is_known_language(code) for code in found[1:]):
                return found[1], found[2], task.scoring or "squad"
        return self._language, self._language, self.task.scoring or "squad"

    # -- instances ---------------------------------------------------------------------------

    def text_to_instance(  # type: ignore[override]
        self,
        question: str,
        context: str,
        answers: Optional[Sequence[Answer]] = None,
        question_id: Optional[str] = None,
        question_language: Optional[str] = None,
        context_language: Optional[str] = None,
        scoring: Optional[str] = None,
        source: Optional[str] = None,
    ) -> Instance:
        """
        One question and its context. `answers` are `(text, character offset)` pairs (checked
        by the file reader); the first one gives the training positions, all of them the gold
        texts. `source` names the file in errors.
        """
        source = source or PREDICTION_INPUT
        shown_id = question_id if question_id is not None else "(no id)"
        if not context.strip():
            raise InputFileError(source, None, f"question {shown_id}: empty context")
        if not question.strip():
            raise InputFileError(source, None, f"question {shown_id}: empty question")
        answers = [Answer(*answer) for answer in answers] if answers else None

        question_ids = self._question_pool.get(question)
        if question_ids is None:
            question_ids = self._question_subwords_batch([question])[0]
        found = self._context_pool.get(context)
        context_ids, offsets = found if found is not None else self._context_subwords(context)
        if not context_ids:
            raise InputFileError(source, None, f"question {shown_id}: the context has no sub-words")
        room = self._max_length - len(question_ids) - self._num_special
        if room < self._doc_stride:
            raise InputFileError(
                source,
                None,
                f"question {shown_id}: its {len(question_ids)} sub-words (cut at max_query_length"
                f" {self._max_query_length}) leave {max(room, 0)} context sub-words per window of"
                f" max_length {self._max_length}, fewer than doc_stride {self._doc_stride}: the"
                " question is longer than the window allows",
            )
        spans = window_spans(len(context_ids), room, self._doc_stride)
        masks = max_context_masks(len(context_ids), room, self._doc_stride)

        question_tokens = self._batched.id_tokens(question_ids, self._first_type_id)
        context_tokens = self._context_tokens.get(context) if found is not None else None
        if context_tokens is None:
            context_tokens = self._batched.id_tokens(context_ids, self._second_type_id)
            if found is not None:
                self._context_tokens[context] = context_tokens
        prefix = self._start_tokens + question_tokens + self._mid_tokens
        gold = self._gold_subwords(offsets, answers[0], source, shown_id) if answers else None

        windows: List[TextField] = []
        window_offsets: List[np.ndarray] = []
        window_max_context: List[np.ndarray] = []
        answer_spans: List[Tuple[int, int]] = []
        for (start, length), mask in zip(spans, masks):
            tokens = prefix + context_tokens[start : start + length] + self._end_tokens
            windows.append(TextField(tokens))
            positions = np.full((len(tokens), 2), -1, dtype=np.int64)
            positions[len(prefix) : len(prefix) + length] = offsets[start : start + length]
            window_offsets.append(positions)
            max_context = np.zeros(len(tokens), dtype=bool)
            max_context[len(prefix) : len(prefix) + length] = mask
            window_max_context.append(max_context)
            if gold is not None:
                first, last = gold
                inside = start <= first and last < start + length
                answer_spans.append(
                    (len(prefix) + first - start, len(prefix) + last - start)
                    if inside
                    else (0, 0)  # the first token: no answer in this window
                )

        language = context_language
        if question_language != context_language:
            language = f"{question_language}-{context_language}"
        fields: Dict[str, Field] = {"windows": ListField(windows)}
        if answers:
            fields["answer_spans"] = TensorField(
                torch.tensor(answer_spans, dtype=torch.long), padding_value=-1
            )
        fields["metadata"] = MetadataField(
            {
                "id": question_id,
                "question": question,
                "context": context,
                "answers": [answer.text for answer in answers] if answers else None,
                "question_language": question_language,
                "context_language": context_language,
                "language": language,
                "scoring": scoring or self.task.scoring or "squad",
                "source": source,
                "offsets": window_offsets,
                "max_context": window_max_context,
            }
        )
        return Instance(fields)

    def _question_subwords_batch(self, questions: Sequence[str]) -> List[List[int]]:
        """
        Each question's sub-word ids, cut at `max_query_length`: what `tokenizer(question,
        add_special_tokens=False, truncation=True, max_length=max_query_length)` gives (as
        XTREME), for all the questions in one call.
        """
        if not questions:
            return []
        encodings = encode_batch(
            self._hf_tokenizer,
            questions,
            add_special_tokens=False,
            max_length=self._max_query_length,
        )
        return [encoding.ids for encoding in encodings]

    def _context_subwords(self, context: str) -> Tuple[List[int], np.ndarray]:
        """The context's sub-word ids and their character spans `[begin, end)` in the context."""
        return self._context_subwords_batch([context])[0]

    def _context_subwords_batch(
        self, contexts: Sequence[str]
    ) -> List[Tuple[List[int], np.ndarray]]:
        """
        `_context_subwords` of each context, all in one call of the tokenizer: the context split
        into words as XTREME splits it, each word into sub-words (`tokenizer(words,
        add_special_tokens=False, is_split_into_words=True)`), the sub-words' character spans
        moved from their word to the context.
        """
        spans = [xtreme_words(context) for context in contexts]
        inputs = [
            [context[start:end] for start, end in words]
            for context, words in zip(contexts, spans)
            if words
        ]
        encodings = iter(
            encode_batch(
                self._hf_tokenizer, inputs, add_special_tokens=False, is_split_into_words=True
            )
            if inputs
            else []
        )
        results: List[Tuple[List[int], np.ndarray]] = []
        for words in spans:
            if not words:
                results.append(([], np.zeros((0, 2), dtype=np.int64)))
                continue
            encoding = next(encodings)
            word_starts = np.array([start for start, _ in words], dtype=np.int64)
            word_ids = np.array(encoding.word_ids, dtype=np.int64)
            offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)
            results.append((encoding.ids, offsets + word_starts[word_ids][:, None]))
        return results

    @staticmethod
    def _gold_subwords(
        offsets: np.ndarray, answer: Answer, source: str, question_id: str
    ) -> Tuple[int, int]:
        """The first and last sub-word that cover the answer's characters."""
        begin, end = answer.start, answer.start + len(answer.text)
        covering = np.nonzero((offsets[:, 0] < end) & (offsets[:, 1] > begin))[0]
        if covering.size == 0:
            raise InputFileError(
                source,
                None,
                f"question {question_id}: no sub-word of the context covers the answer"
                f" {answer.text!r}",
            )
        return int(covering[0]), int(covering[-1])

    def apply_token_indexers(self, instance: Instance) -> None:
        for window in instance.fields["windows"]:  # type: ignore[attr-defined]
            window.token_indexers = self._token_indexers

    # -- randomized smoothing (RS-DA) ----------------------------------------------------------

    def rewrite_text_arguments(
        self, call: TextToInstanceCall, perturb_words: PerturbWords
    ) -> TextToInstanceCall:
        """
        A `text_to_instance` call with its question's words and its context's words outside
        every answer span drawn from the substitution law (`perturb_words`), and each answer's
        offset moved to where its text now is (`rc/tools/answer_preserving_substitution.py`);
        `randomized_smoothing` and the smoothed vote use it instead of perturbing each text on
        its own.
        """
        bound = inspect.signature(type(self).text_to_instance).bind(self, *call.args, **call.kwargs)
        arguments = dict(bound.arguments)
        arguments.pop("self")
        arguments["question"] = " ".join(perturb_words(arguments["question"].split(" ")))
        answers = [Answer(*answer) for answer in arguments.get("answers") or ()]
        spans = [(answer.start, answer.start + len(answer.text)) for answer in answers]
        perturbed = substitute_context(arguments["context"], spans, perturb_words)
        arguments["context"] = perturbed.text
        if answers:
            arguments["answers"] = [
                Answer(answer.text, perturbed.move(answer.start)) for answer in answers
            ]
        return TextToInstanceCall((), arguments)
