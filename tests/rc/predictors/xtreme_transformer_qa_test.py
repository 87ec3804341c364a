"""`allennlp predict` with the `xtreme_transformer_qa` predictor (the model's default)."""

import json
from pathlib import Path

import pytest
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import XTREME_DATA

QUESTIONS = [
    {
        "id": "q1",
        "question": "When was the Eiffel Tower built?",
        "context": "The Eiffel Tower was built in 1889 for the World Fair in Paris.",
    },
    {
        "id": 7,
        "question": "Wo steht das Tor?",
        "context": "In Berlin steht das Tor.",
        "language": "de",
    },
    {"question": "Who won?", "context": "Marie Curie won the Nobel Prize in 1903."},
]


def write_lines(path: Path, lines) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    return path


def test_predict_writes_an_exact_span_of_the_context(squad_run: Path, tmp_path: Path):
    inputs = write_lines(tmp_path / "questions.jsonl", QUESTIONS)
    output = tmp_path / "answers.jsonl"
    run_allennlp(
        "predict", str(squad_run / "model.tar.gz"), str(inputs), "--output-file", str(output),
        "--silent", "--batch-size", "2",
    )  # fmt: skip
    answers = [json.loads(line) for line in output.read_text().splitlines()]
    assert [answer.get("id") for answer in answers] == ["q1", "7", None]
    for question, answer in zip(QUESTIONS, answers):
        assert set(answer) <= {"id", "answer", "answer_start"}
        start = answer["answer_start"]
        assert question["context"][start : start + len(answer["answer"])] == answer["answer"]
        assert answer["answer"]  # the tiny model always finds a span in these contexts


def test_predict_reads_squad_files_with_the_dataset_reader(squad_run: Path, tmp_path: Path):
    output = tmp_path / "answers.jsonl"
    run_allennlp(
        "predict", str(squad_run / "model.tar.gz"),
        str(XTREME_DATA / "mlqa" / "MLQA_V1" / "test" / "test-context-zh-question-zh.json"),
        "--use-dataset-reader", "--output-file", str(output), "--silent",
    )  # fmt: skip
    answers = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(answers) == 3 and len({answer["id"] for answer in answers}) == 3


BAD_LINES = [
    ({"id": "q9", "question": "Who?"}, "question q9: no 'context' text"),
    ({"id": "q9", "question": "Who?", "context": " "}, "question q9: empty context"),
    ({"id": "q9", "context": "Text."}, "question q9: no 'question' text"),
    ({"question": "", "context": "Text."}, "question (no id): empty question"),
]


def test_bad_lines_name_the_question(squad_run: Path, tmp_path: Path):
    inputs = write_lines(tmp_path / "questions.jsonl", [QUESTIONS[0], BAD_LINES[0][0]])
    with pytest.raises(InputFileError) as error:  # one line on the command line
        run_allennlp(
            "predict", str(squad_run / "model.tar.gz"), str(inputs), "--output-file",
            str(tmp_path / "answers.jsonl"), "--silent",
        )  # fmt: skip
    assert str(error.value) == f"prediction input: {BAD_LINES[0][1]}"
    predictor = Predictor.from_archive(load_archive(str(squad_run / "model.tar.gz")))
    for line, problem in BAD_LINES:
        with pytest.raises(InputFileError) as error:
            predictor.predict_batch_json([QUESTIONS[0], line])
        assert str(error.value) == f"prediction input: {problem}"
