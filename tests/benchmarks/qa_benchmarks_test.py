"""The QA benchmark scripts: their data (no timing here) and their command lines."""

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import qa_report, qa_throughput
from benchmarks.common import PROJECT_ROOT
from allennlp_robust_xlt.rc.dataset_readers.squad_files import read_squad_file


def test_throughput_questions_all_have_the_same_windows(tiny_xlmr: Path, tmp_path: Path):
    data = qa_throughput.squad_file(tmp_path / "train-v1.1.json", tiny_xlmr, 6)
    assert len(read_squad_file(str(data))) == 6  # valid: every answer at its offset
    questions = qa_throughput.question_tensors(tiny_xlmr, data)
    shapes = {tuple(question["input_ids"].shape) for question in questions}
    assert shapes == {(3, qa_throughput.MAX_LENGTH)}
    for question in questions:
        assert (question["start"] <= question["end"]).all()


def test_report_files_are_mlqas_49_with_repeated_questions(tmp_path: Path):
    files = qa_report.mlqa_files(tmp_path / "mlqa", copies=2)
    assert len(files) == 49
    examples = read_squad_file(str(files[("de", "zh")]))
    assert len(examples) == 6 and len({example.question_id for example in examples}) == 6
    assert files[("de", "zh")].name == "dev-context-zh-question-de.json"


@pytest.mark.slow
def test_scripts_run_as_modules():
    for name in ("qa_throughput", "qa_report"):
        completed = subprocess.run(
            [sys.executable, "-m", f"benchmarks.{name}", "--help"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        )
        assert completed.returncode == 0, completed.stderr[-2000:]
        assert "--json" in completed.stdout
