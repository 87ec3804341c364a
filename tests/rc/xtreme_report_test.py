"""`xtreme-report` and `allennlp predict` on QA: per-language EM/F1, MLQA's 7 x 7 G-XLT matrix,
and the equality with the official scores of the answers `allennlp predict` writes."""

import csv
import json
from pathlib import Path
from typing import Dict, List
from unittest import mock

import pytest
from allennlp.models.archival import load_archive

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.evaluation import xtreme_report
from allennlp_robust_xlt.rc.dataset_readers.squad_files import read_squad_file
from allennlp_robust_xlt.rc.tools import mlqa_evaluation, squad_evaluation
from allennlp_robust_xlt.tasks import TASKS
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import XTREME_DATA

MLQA = TASKS["mlqa"]
MLQA_LANGUAGES = ["en", "es", "de", "ar", "hi", "vi", "zh"]


def read_csv(path: Path) -> List[List[str]]:
    with open(path, encoding="utf-8", newline="") as data:
        return list(csv.reader(data))


def report_values(output_dir: Path, metric: str) -> Dict[str, float]:
    rows = read_csv(output_dir / "report.csv")
    column = rows[0].index(metric)
    return {row[1]: float(row[column]) for row in rows[1:]}


def predict(archive: Path, squad_file: Path, output: Path) -> Dict[str, str]:
    """`allennlp predict` on JSON lines made from a SQuAD file: `{id: answer}`."""
    inputs = output.with_suffix(".input.jsonl")
    with open(inputs, "w", encoding="utf-8") as lines:
        for example in read_squad_file(str(squad_file)):
            line = {"id": example.question_id, "question": example.question}
            lines.write(json.dumps({**line, "context": example.context}, ensure_ascii=False) + "\n")
    run_allennlp(
        "predict", str(archive), str(inputs), "--output-file", str(output), "--silent",
        "--batch-size", "3",
    )  # fmt: skip
    predictions = {}
    for line in output.read_text(encoding="utf-8").splitlines():
        answer = json.loads(line)
        example = next(e for e in read_squad_file(str(squad_file)) if e.question_id == answer["id"])
        start = answer["answer_start"]
        assert example.context[start : start + len(answer["answer"])] == answer["answer"]
        predictions[answer["id"]] = answer["answer"]
    return predictions


def test_mlqa_generalized_matrix_is_question_by_context_f1(squad_run: Path, tmp_path: Path):
    archive = squad_run / "model.tar.gz"
    output = tmp_path / "mlqa"
    with mock.patch.object(xtreme_report, "load_archive", wraps=load_archive) as loads:
        run_allennlp(
            "xtreme-report", str(archive), str(XTREME_DATA), "--task", "mlqa", "--split", "dev",
            "--generalized", "--output-dir", str(output),
        )  # fmt: skip
    assert loads.call_count == 1

    matrix = read_csv(output / "generalized.csv")
    assert matrix[0] == ["l1\\l2", *MLQA_LANGUAGES]
    assert [row[0] for row in matrix[1:]] == MLQA_LANGUAGES
    f1 = report_values(output, "f1")
    for row in matrix[1:]:
        question = row[0]
        for context, value in zip(MLQA_LANGUAGES, row[1:]):
            path = MLQA.file_path(XTREME_DATA, "dev", f"{question}-{context}")
            assert path.name == f"dev-context-{context}-question-{question}.json"
            predictions = squad_evaluation.read_predictions_file(
                output / "predictions" / f"{question}-{context}.json"
            )
            expected = mlqa_evaluation.evaluate_predictions(str(path), predictions, context)
            assert float(value) == pytest.approx(expected["f1"], abs=1e-12)
            assert 0.0 <= float(value) <= 1.0
        assert float(row[1 + MLQA_LANGUAGES.index(question)]) == f1[question]
    assert (
        "question in l1 (rows), context in l2 (columns), f1"
        in (output / "generalized.md").read_text()
    )
    assert (output / "generalized.png").read_bytes().startswith(b"\x89PNG")
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["metric"] == "f1" and metrics["metrics"] == ["f1", "exact_match"]
    assert len(metrics["pairs"]) == 49

    # Per question: id, exact match and F1, whose mean is the reported score.
    results = [
        json.loads(line)
        for line in (output / "per_example" / "de-zh.jsonl").read_text().splitlines()
    ]
    assert len(results) == 3
    assert all(set(r) == {"id", "exact_match", "f1"} for r in results)
    assert sum(r["f1"] for r in results) / 3 == pytest.approx(
        float(matrix[1 + MLQA_LANGUAGES.index("de")][1 + MLQA_LANGUAGES.index("zh")])
    )


@pytest.mark.parametrize("task, languages", [("xquad", ["en", "de", "zh"]), ("mlqa", ["ar", "zh"])])
def test_report_equals_the_official_scores_of_allennlp_predict(
    squad_run: Path, tmp_path: Path, task: str, languages: List[str]
):
    """
    Done-when of issue 14: the per-language EM and F1 of `xtreme-report` are what the official
    SQuAD v1.1 (XQuAD) or MLQA evaluation (context language) gives on the answers that
    `allennlp predict` writes for the same files (`rc/tools` reproduces the official scripts,
    tested against them there).
    """
    archive = squad_run / "model.tar.gz"
    output = tmp_path / task
    run_allennlp(
        "xtreme-report", str(archive), str(XTREME_DATA), "--task", task, "--split",
        "dev" if task == "mlqa" else "test", "--output-dir", str(output), "--languages", *languages,
    )  # fmt: skip
    f1, exact_match = report_values(output, "f1"), report_values(output, "exact_match")
    assert [code for code in f1 if len(code) == 2] == languages
    for code in languages:
        path = TASKS[task].file_path(XTREME_DATA, "dev" if task == "mlqa" else "test", code)
        predictions = predict(archive, path, tmp_path / f"{task}-{code}.jsonl")
        assert predictions == squad_evaluation.read_predictions_file(
            output / "predictions" / f"{code}.json"
        )
        if task == "mlqa":
            official = mlqa_evaluation.evaluate_predictions(str(path), predictions, code)
        else:
            official = squad_evaluation.evaluate_predictions(str(path), predictions)
        assert f1[code] == pytest.approx(official["f1"], abs=1e-12)
        assert exact_match[code] == pytest.approx(official["exact_match"], abs=1e-12)


def test_tydiqa_reads_the_gold_passage_dev_files(squad_run: Path, tmp_path: Path):
    output = tmp_path / "tydiqa"
    run_allennlp(
        "xtreme-report", str(squad_run / "model.tar.gz"), str(XTREME_DATA), "--task", "tydiqa",
        "--output-dir", str(output),
    )  # fmt: skip
    assert [key for key in report_values(output, "f1") if len(key) == 2] == ["en", "fi", "sw"]


def test_stripped_test_files_are_refused_and_nothing_is_left(squad_run: Path, tmp_path: Path):
    output = tmp_path / "mlqa-test"
    with pytest.raises(InputFileError) as error:
        run_allennlp(
            "xtreme-report", str(squad_run / "model.tar.gz"), str(XTREME_DATA), "--task", "mlqa",
            "--output-dir", str(output),
        )  # fmt: skip
    assert "test-context-en-question-en.json: has no gold answers" in str(error.value)
    assert not output.exists() and not list(tmp_path.glob(".mlqa-test.*"))


def test_a_split_without_files_is_refused(squad_run: Path, tmp_path: Path):
    with pytest.raises(ParameterError, match="'--split' is dev, but XQuAD has only test files"):
        run_allennlp(
            "xtreme-report", str(squad_run / "model.tar.gz"), str(XTREME_DATA), "--task",
            "xquad", "--split", "dev", "--output-dir", str(tmp_path / "x"),
        )  # fmt: skip
