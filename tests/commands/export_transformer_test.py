"""`export-transformer` on the command line: its output, and bad input as one line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from transformers import AutoModelForSequenceClassification

from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, PROJECT_ROOT


def test_exports_a_trained_pair_classifier(tmp_path: Path, capsys: pytest.CaptureFixture):
    run_allennlp(
        "train",
        str(CONFIGS_ROOT / "pawsx_baseline.jsonnet"),
        "-s",
        str(tmp_path / "run"),
        "-o",
        json.dumps({"trainer.num_epochs": 1}),
    )
    capsys.readouterr()
    run_allennlp("export-transformer", str(tmp_path / "run" / "model.tar.gz"), str(tmp_path / "hf"))
    printed = capsys.readouterr().out
    assert "the task model of the xtreme_pair_classifier archive as" in printed
    assert "XLMRobertaForSequenceClassification with 2 labels" in printed
    model = AutoModelForSequenceClassification.from_pretrained(str(tmp_path / "hf"))
    assert sorted(model.config.label2id) == ["0", "1"]


def run_command(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "allennlp_robust_xlt", "export-transformer", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_bad_input_is_one_line(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x", encoding="utf-8")
    completed = run_command("missing.tar.gz", str(out), cwd=tmp_path)
    assert completed.returncode != 0
    errors = [line for line in completed.stderr.splitlines() if line.strip()]
    assert errors[-1].endswith(
        f"export-transformer: parameter 'OUT_DIR' {out} is not empty: give an empty or new"
        " directory, or --force to replace it"
    )
    assert "Traceback" not in completed.stderr
    completed = run_command("missing.tar.gz", str(tmp_path / "new"), cwd=tmp_path)
    assert (
        completed.stderr.strip()
        .splitlines()[-1]
        .endswith("missing.tar.gz: not found (expected a model.tar.gz)")
    )
