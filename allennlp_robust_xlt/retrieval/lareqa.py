"""
LAReQA (XTREME-R): answer-sentence retrieval across languages, from SQuAD-format files.

* Training pairs (`lareqa_pairs`, read by the `xtreme_lareqa` reader): each question of SQuAD
  v1.1 with the sentence of its context that holds its (first) answer, as XTREME's
  `third_party/processors/lareqa.py` builds them. The sentences are the paragraph's
  `sentence_breaks` (XQuAD-R's files have them) or else cut by `sentence_breaks.py` (XTREME's
  breaker for SQuAD).
* Evaluation (`read_xquad_r`, `evaluate_lareqa`): XQuAD-R's 11 files
  `lareqa/xquad-r/{lang}.json`. Every sentence of every paragraph (with a question that is
  not skipped) of every language is a candidate; a question's relevant candidates are its
  answer sentence in every language (the sentences holding the answer of the questions with its
  id, XTREME's `xling_id`), so a question must retrieve the answer in all 11 languages, as
  `third_party/utils_lareqa.py` scores it (mAP@20, `ranking.py`). The figure of a language is
  the mean over its questions.
* A candidate is encoded as `candidate_text(sentence, context)`, XTREME's evaluation input
  (`(sentence + context).replace("\\n", "")`), in training too (XTREME trains on the pair
  `(sentence, context)` but evaluates this string).

A question whose answer starts outside every sentence (a sentence-breaking error) is skipped
with a warning, as XTREME skips it; every other defect is an error naming the file and the
question id (`rc/dataset_readers/squad_files.py` checks the SQuAD fields).
"""

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import torch

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.line_reading import read_json_file
from allennlp_robust_xlt.rc.dataset_readers.squad_files import squad_examples
from allennlp_robust_xlt.retrieval.ranking import mean_average_precision_at_k
from allennlp_robust_xlt.retrieval.sentence_breaks import infer_sentence_breaks
from allennlp_robust_xlt.retrieval.sentence_encoder import SentenceEncoder
from allennlp_robust_xlt.tasks import TASKS

logger = logging.getLogger(__name__)


def candidate_text(sentence: str, context: str) -> str:
    """A candidate answer as XTREME encodes it: the sentence, then its paragraph, no newlines."""
    return (sentence + context).replace("\n", "")


@dataclass(frozen=True)
class LareqaPair:
    question_id: str
    question: str
    sentence: str
    """The sentence of `context` that holds the answer."""
    context: str


@dataclass
class Paragraph:
    number: int
    """Its position among the file's paragraphs, from 1 (XTREME's `num_paragraphs`)."""
    context: str
    sentences: List[Tuple[int, int]]
    """`(start, end)` character offsets of its sentences."""
    questions: List[Tuple[str, str, Optional[int]]] = field(default_factory=list)
    """`(question id, question, index of the answer sentence)`."""


def sentence_spans(paragraph: Mapping[str, Any], source: str, where: str) -> List[Tuple[int, int]]:
    """The paragraph's `sentence_breaks` (checked), else the breaks XTREME's breaker infers."""
    context = paragraph["context"]
    breaks = paragraph.get("sentence_breaks")
    if breaks is None:
        try:
            return infer_sentence_breaks(context)
        except ValueError:
            raise InputFileError(source, None, f"{where}: cannot cut its context into sentences")
    spans = []
    for span in breaks if isinstance(breaks, list) else [breaks]:
        valid = (
            isinstance(span, (list, tuple))
            and len(span) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in span)
            and 0 <= span[0] < span[1] <= len(context)
        )
        if not valid:
            raise InputFileError(
                source,
                None,
                f"{where}: 'sentence_breaks' must be [start, end] character offsets within its"
                f" context ({len(context)} characters), found {span!r:.60}",
            )
        spans.append((span[0], span[1]))
    return spans


def read_paragraphs(path: str, display_path: Optional[str] = None) -> List[Paragraph]:
    """The paragraphs of a SQuAD-format file with their sentences and labelled questions."""
    source = display_path or path
    document = read_json_file(path, display_path)
    examples = iter(squad_examples(document, source))
    paragraphs = []
    number = 0
    for article_number, article in enumerate(document["data"], start=1):
        for paragraph_number, raw in enumerate(article["paragraphs"], start=1):
            number += 1
            where = f"paragraph {paragraph_number} of article {article_number}"
            if not raw["qas"]:
                continue
            paragraph = Paragraph(number, raw["context"], sentence_spans(raw, source, where))
            for _ in raw["qas"]:
                example = next(examples)
                if example.answers is None:
                    raise InputFileError(
                        source,
                        None,
                        f"question {example.question_id}: no answer (LAReQA needs the answer to"
                        " find its sentence; XTREME's stripped test files cannot be used)",
                    )
                start = example.answers[0].start
                found = next(
                    (i for i, (s, e) in enumerate(paragraph.sentences) if s <= start < e), None
                )
                paragraph.questions.append((example.question_id, example.question, found))
            paragraphs.append(paragraph)
    skipped = sum(q[2] is None for p in paragraphs for q in p.questions)
    if skipped:
        logger.warning(
            "%s: %d question(s) skipped: their answer starts outside every sentence (a"
            " sentence-breaking error; XTREME skips them too)",
            source,
            skipped,
        )
    return paragraphs


def lareqa_pairs(path: str, display_path: Optional[str] = None) -> Iterator[LareqaPair]:
    """Each question of the file with its answer sentence and context (the training pairs)."""
    for paragraph in read_paragraphs(path, display_path):
        for question_id, question, index in paragraph.questions:
            if index is not None:
                start, end = paragraph.sentences[index]
                yield LareqaPair(
                    question_id, question, paragraph.context[start:end], paragraph.context
                )


@dataclass
class XquadR:
    """XQuAD-R's questions and candidate sentences, every language pooled."""

    questions: List[str] = field(default_factory=list)
    question_ids: List[str] = field(default_factory=list)
    question_languages: List[str] = field(default_factory=list)
    candidates: List[str] = field(default_factory=list)
    """`candidate_text` of every sentence of every paragraph with a (kept) question."""
    candidate_languages: List[str] = field(default_factory=list)
    candidate_ids: List[str] = field(default_factory=list)
    """XTREME's candidate uids, `{lang}_{paragraph number}_{sentence position}`."""
    answers: Dict[str, List[int]] = field(default_factory=dict)
    """Question id (XTREME's `xling_id`) -> its answer candidates, one per language."""

    def targets(self) -> List[List[int]]:
        return [self.answers[question_id] for question_id in self.question_ids]

    def size(self, language: str) -> int:
        return self.question_languages.count(language)


def read_xquad_r(files: Mapping[str, str]) -> XquadR:
    """XQuAD-R's files by language, pooled (`utils_lareqa.load_data`)."""
    data = XquadR()
    for language, path in files.items():
        for paragraph in read_paragraphs(path):
            # XTREME takes a paragraph's sentences as candidates along with its questions.
            if all(index is None for _, _, index in paragraph.questions):
                continue
            first = len(data.candidates)
            for position, (start, end) in enumerate(paragraph.sentences):
                data.candidate_ids.append(f"{language}_{paragraph.number}_{position}")
                data.candidates.append(
                    candidate_text(paragraph.context[start:end], paragraph.context)
                )
                data.candidate_languages.append(language)
            for question_id, question, index in paragraph.questions:
                if index is None:
                    continue
                data.questions.append(question)
                data.question_ids.append(question_id)
                data.question_languages.append(language)
                data.answers.setdefault(question_id, []).append(first + index)
    return data


@dataclass
class LareqaResult:
    metrics: Dict[str, Dict[str, float]]
    """Language -> {"map_at_20": ...}: the mean AP of its questions."""
    sizes: Dict[str, int]
    ranked: List[List[int]]


def score_lareqa(
    data: XquadR,
    questions: torch.Tensor,
    candidates: torch.Tensor,
    languages: Sequence[str],
    k: int,
) -> LareqaResult:
    """Per-language mAP@k from the embeddings of `data.questions` and `data.candidates`."""
    _, scores, ranked = mean_average_precision_at_k(questions, candidates, data.targets(), k)
    metrics, sizes = {}, {}
    for language in languages:
        own = [s for s, lang in zip(scores, data.question_languages) if lang == language]
        metrics[language] = {f"map_at_{k}": sum(own) / len(own) if own else float("nan")}
        sizes[language] = len(own)
    return LareqaResult(metrics, sizes, ranked)


def evaluate_lareqa(
    encoder: SentenceEncoder,
    data: XquadR,
    languages: Sequence[str],
    layer: int,
    pooling: str,
    batch_size: int,
) -> LareqaResult:
    """Embeds the questions and candidates (the task table's lengths) and scores them."""
    settings = TASKS["lareqa"].retrieval
    questions = encoder.embed(
        data.questions, [layer], pooling, batch_size, int(settings["max_query_length"]), "query"
    )[0]
    candidates = encoder.embed(
        data.candidates,
        [layer],
        pooling,
        batch_size,
        int(settings["max_candidate_length"]),
        "passage",
    )[0]
    return score_lareqa(data, questions, candidates, languages, int(settings["k"]))
