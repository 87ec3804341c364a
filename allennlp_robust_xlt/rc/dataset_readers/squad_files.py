"""
Reading SQuAD v1.1 JSON files (SQuAD, XQuAD, MLQA, TyDiQA-GoldP, in XTREME's layout or as
released) into checked questions, with errors that name the file and the question id.

`{"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question", "answers":
[{"answer_start", "text"}]}]}]}]}`. A file is either *labelled* (every question has an answer
text) or *unlabelled*: XTREME's preparation strips test files to `"answers": [{"answer_start": 0,
"text": ""}]` (`remove_qa_test_annotations`), and a file may have no `answers` at all. Unlabelled
questions are read with `answers = None`: they can be predicted, never scored. A file that mixes
the two is refused (it is neither a release nor an XTREME test file).

Checked, each an `InputFileError` naming the file and the question id: a missing or empty
`context` or `question`, a missing or repeated `id`, an `answer_start` that does not point at
its answer text (`context[answer_start:answer_start + len(text)] != text`, the check XTREME's
preparation asserts).
"""

from dataclasses import dataclass
from typing import Any, List, Mapping, NamedTuple, Optional

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.line_reading import read_json_file


class Answer(NamedTuple):
    """A gold answer: its text and the character offset of the text in the context."""

    text: str
    start: int


@dataclass(frozen=True)
class QaExample:
    question_id: str
    question: str
    context: str
    answers: Optional[List[Answer]]
    """Every non-empty gold answer, in file order; None for an unlabelled question."""


def _is_placeholder(answer: Any) -> bool:
    return isinstance(answer, Mapping) and answer.get("text") == ""


def check_answers(
    source: str, question_id: str, context: str, answers: Any
) -> Optional[List[Answer]]:
    """
    The question's gold answers, checked against the context; None when it has none (no
    `answers`, an empty list, or only XTREME's empty placeholders).
    """
    if answers is None:
        return None
    if not isinstance(answers, list):
        raise InputFileError(source, None, f"question {question_id}: 'answers' is not a list")
    checked: List[Answer] = []
    for answer in answers:
        if _is_placeholder(answer):
            continue
        text = answer.get("text") if isinstance(answer, Mapping) else None
        start = answer.get("answer_start") if isinstance(answer, Mapping) else None
        if not isinstance(text, str) or isinstance(start, bool) or not isinstance(start, int):
            raise InputFileError(
                source,
                None,
                f"question {question_id}: an answer needs a string 'text' and an integer"
                f" 'answer_start', got {answer!r:.100}",
            )
        found = context[start : start + len(text)] if start >= 0 else None
        if found != text:
            raise InputFileError(
                source,
                None,
                f"question {question_id}: answer_start {start} does not point at the answer"
                f" {text!r} (the context has {found!r} there)",
            )
        if not text.strip():
            raise InputFileError(
                source, None, f"question {question_id}: the answer {text!r} is only whitespace"
            )
        checked.append(Answer(text, start))
    return checked or None


def read_squad_file(path: str, display_path: Optional[str] = None) -> List[QaExample]:
    """Every question of a SQuAD-layout file, checked (see the module docstring)."""
    return squad_examples(read_json_file(path, display_path), display_path or path)


def squad_examples(document: Any, source: str) -> List[QaExample]:
    """Every question of a SQuAD-layout JSON document, checked; `source` names it in errors."""
    articles = document.get("data") if isinstance(document, Mapping) else None
    if not isinstance(articles, list):
        raise InputFileError(source, None, "is not in SQuAD format (no 'data' list of articles)")
    examples: List[QaExample] = []
    seen = set()
    for article_number, article in enumerate(articles, start=1):
        paragraphs = article.get("paragraphs") if isinstance(article, Mapping) else None
        if not isinstance(paragraphs, list):
            raise InputFileError(
                source, None, f"article {article_number} has no 'paragraphs' list (not SQuAD)"
            )
        for paragraph_number, paragraph in enumerate(paragraphs, start=1):
            where = f"paragraph {paragraph_number} of article {article_number}"
            qas = paragraph.get("qas") if isinstance(paragraph, Mapping) else None
            if not isinstance(qas, list):
                raise InputFileError(source, None, f"{where} has no 'qas' list (not SQuAD)")
            context = paragraph.get("context")
            for qa in qas:
                question_id = qa.get("id") if isinstance(qa, Mapping) else None
                if not isinstance(question_id, str) or not question_id:
                    raise InputFileError(
                        source, None, f"a question of {where} has no string 'id': {qa!r:.80}"
                    )
                if question_id in seen:
                    raise InputFileError(
                        source, None, f"question {question_id}: the id appears twice"
                    )
                seen.add(question_id)
                if not isinstance(context, str):
                    raise InputFileError(
                        source, None, f"question {question_id}: its {where} has no 'context' text"
                    )
                if not context.strip():
                    raise InputFileError(source, None, f"question {question_id}: empty context")
                question = qa.get("question")
                if not isinstance(question, str) or not question.strip():
                    raise InputFileError(
                        source, None, f"question {question_id}: missing or empty 'question'"
                    )
                answers = check_answers(source, question_id, context, qa.get("answers"))
                examples.append(QaExample(question_id, question, context, answers))
    if not examples:
        raise InputFileError(source, None, "has no questions")
    labelled = [example.answers is not None for example in examples]
    if any(labelled) and not all(labelled):
        unlabelled = examples[labelled.index(False)].question_id
        raise InputFileError(
            source,
            None,
            f"question {unlabelled}: no answer text, while other questions of the file have"
            " answers (a file is either labelled or stripped of all its answers, as XTREME's"
            " test files)",
        )
    return examples
