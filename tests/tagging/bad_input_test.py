"""
Bad input to the tagging tasks, through the real commands: one line naming the file and line,
nothing left behind; a file without tags is tagged but never scored.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, PROJECT_ROOT, XTREME_DATA
from tests.tagging.conftest import SMALL


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


CASES = [
    ("udpos", "wrong column count", "a\tDET\nb\tNOUN\tx\n", 2, "expected 2 tab-separated columns"),
    ("udpos", "a word with an empty tag", "a\tDET\nb\t\n", 2, "empty tag for the word 'b'"),
    ("udpos", "an unknown tag", "a\tNOUNS\n", 1, "unknown UD-POS tag 'NOUNS'"),
    ("panx", "a tag that is not BIO", "Paris\tLOC\n", 1, "'LOC' is not a BIO tag"),
    ("panx", "invalid UTF-8", "Paris\tB-LOC\nM\xfcnchen\tB-LOC\n", 2, "invalid UTF-8"),
]


@pytest.mark.parametrize("task, name, content, line, problem", CASES, ids=[c[1] for c in CASES])
def test_evaluate_names_file_and_line(
    tagging_archives, tmp_path, task, name, content, line, problem
):
    data = tmp_path / "test-de.tsv"
    data.write_bytes(content.encode("latin-1" if "invalid" in name else "utf-8"))
    output = tmp_path / "out.json"
    with pytest.raises(InputFileError) as raised:
        run_allennlp(
            "evaluate", str(tagging_archives[task]), str(data), "--output-file", str(output)
        )
    assert str(raised.value).startswith(f"{data}:{line}: {problem}")
    assert "\n" not in str(raised.value) and not output.exists()


def test_a_file_without_tags_is_tagged_but_never_scored(tagging_archives, tmp_path: Path):
    """XTREME strips the tags of its test files: predict works, evaluate and xtreme-report refuse."""
    data_dir = tmp_path / "data"
    for language in ("en", "de"):
        tagged = (XTREME_DATA / "panx" / f"test-{language}.tsv").read_text(encoding="utf-8")
        stripped = "\n".join(line.split("\t")[0] for line in tagged.split("\n"))
        write(data_dir / "panx" / f"test-{language}.tsv", stripped)
    archive = str(tagging_archives["panx"])
    predictions = tmp_path / "predictions.jsonl"
    run_allennlp(
        "predict", archive, str(data_dir / "panx" / "test-de.tsv"), "--use-dataset-reader",
        "--output-file", str(predictions), "--silent",
    )  # fmt: skip
    assert len(predictions.read_text().splitlines()) == 3
    unscorable = re.escape(f"{data_dir / 'panx' / 'test-en.tsv'}: has words without tags")
    with pytest.raises(InputFileError, match=unscorable):
        run_allennlp("evaluate", archive, str(data_dir / "panx" / "test-en.tsv"))
    with pytest.raises(InputFileError, match=unscorable):
        run_allennlp(
            "xtreme-report", archive, str(data_dir), "--output-dir", str(tmp_path / "report")
        )
    assert not (tmp_path / "report").exists()


@pytest.mark.slow
def test_a_tag_the_model_never_saw(tmp_path: Path):
    """Trained without INTJ, a test file with INTJ is an error on its line, not a KeyError."""
    train = write(
        tmp_path / "train-en.tsv",
        "\n".join(
            line
            for line in (XTREME_DATA / "udpos" / "train-en.tsv").read_text().split("\n\n")
            if "INTJ" not in line
        ),
    )
    overrides = {**SMALL, "train_data_path": str(train), "validation_data_path": None,
                 "trainer.validation_metric": "-loss"}  # fmt: skip
    run_allennlp(
        "train", str(CONFIGS_ROOT / "udpos_baseline.jsonnet"), "-s", str(tmp_path / "run"),
        "-o", json.dumps(overrides),
    )  # fmt: skip
    test = write(tmp_path / "test-en.tsv", "Oh\tINTJ\n!\tPUNCT\n")
    with pytest.raises(InputFileError, match=re.escape(f"{test}:1: the tag 'INTJ' was never seen")):
        run_allennlp("evaluate", str(tmp_path / "run" / "model.tar.gz"), str(test))


@pytest.mark.slow
def test_a_failed_train_is_one_line_and_leaves_no_run(tmp_path: Path, tiny_xlmr: Path):
    """In a real process: the last line of stderr names the file and line; no run directory."""
    train = write(tmp_path / "train-en.tsv", "Paris\tB-LOC\nis\tO\tO\n")
    overrides = {**SMALL, "train_data_path": str(train)}
    completed = subprocess.run(
        [sys.executable, "-m", "allennlp_robust_xlt", "train", str(CONFIGS_ROOT / "panx_baseline.jsonnet"),
         "-s", str(tmp_path / "run"), "-o", json.dumps(overrides)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert completed.returncode != 0
    last = [line for line in completed.stderr.splitlines() if line.strip()][-1]
    assert f"{train}:2: expected 2 tab-separated columns" in last, completed.stderr[-2000:]
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "run").exists()
