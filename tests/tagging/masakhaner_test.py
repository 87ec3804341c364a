"""
MasakhaNER 2.0 zero-shot from PAN-X English: the four configs (PAN-X's files and settings, the
`masakhaner` reader), `xtreme-report --task masakhaner` with its DATE note, and the download
recipe on an archive laid out as masakhane-io/masakhane-ner's GitHub archive.
"""

import json
import re
import warnings
import zipfile
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from allennlp.common import Params
from seqeval.metrics import f1_score

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.tasks import TASKS
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, XTREME_DATA
from tests.tagging.conftest import SMALL

MASAKHANER = XTREME_DATA / "masakhaner"


@pytest.mark.parametrize("method", ["baseline", "adv", "rs_rp", "rs_da"])
def test_configs_train_on_pan_x_english_with_the_masakhaner_reader(method: str):
    params = Params.from_file(str(CONFIGS_ROOT / f"masakhaner_{method}.jsonnet")).as_dict()
    assert params["train_data_path"].endswith("/panx/train-en.tsv")
    assert params["validation_data_path"].endswith("/panx/dev-en.tsv")
    reader = params["dataset_reader"]
    reader = reader.get("base_reader", reader)
    assert reader["type"] == "masakhaner"
    assert params["trainer"]["optimizer"]["lr"] == TASKS["panx"].training["learning_rate"]


def gold(path: Path) -> List[List[str]]:
    blocks = [b for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    tags = [[line.split()[1] for line in block.strip().split("\n")] for block in blocks]
    return [["O" if tag.endswith("-DATE") else tag for tag in sentence] for sentence in tags]


def test_report_scores_without_date_and_says_so(tmp_path: Path, tiny_xlmr: Path):
    run = tmp_path / "run"
    run_allennlp("train", str(CONFIGS_ROOT / "masakhaner_baseline.jsonnet"), "-s", str(run),
                 "-o", json.dumps(SMALL))  # fmt: skip
    archive = run / "model.tar.gz"
    report = tmp_path / "report"
    run_allennlp("xtreme-report", str(archive), str(XTREME_DATA), "--task", "masakhaner",
                 "--output-dir", str(report))  # fmt: skip
    data = json.loads((report / "metrics.json").read_text())
    assert list(data["languages"]) == ["hau", "yor"] and "DATE" in data["note"]
    assert "Scoring: zero-shot from PAN-X English" in (report / "report.md").read_text()
    # The report's F1 is seqeval's over the gold tags with DATE as O.
    predicted = tmp_path / "yor.jsonl"
    run_allennlp("predict", str(archive), str(MASAKHANER / "yor" / "test.txt"),
                 "--use-dataset-reader", "--output-file", str(predicted), "--silent")  # fmt: skip
    tags = [json.loads(line)["tags"] for line in predicted.read_text().splitlines()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = f1_score(gold(MASAKHANER / "yor" / "test.txt"), tags)
    assert data["languages"]["yor"]["f1"] == pytest.approx(expected)


def release(root: Path, leave_out: str = "", replace: Optional[Dict[str, str]] = None) -> Path:
    path = root / "main.zip"
    text = (MASAKHANER / "yor" / "test.txt").read_text(encoding="utf-8")
    with zipfile.ZipFile(path, "w") as archive:
        for language in TASKS["masakhaner"].languages:
            for split in ("train", "dev", "test"):
                member = f"MasakhaNER2.0/data/{language}/{split}.txt"
                if member != leave_out:
                    body = (replace or {}).get(member, text)
                    archive.writestr(f"masakhane-ner-main/{member}", body)
    return path


def download(output: Path, archive: Path) -> None:
    run_allennlp("download-xtreme", str(output), "--tasks", "masakhaner", "--masakhaner-url",
                 str(archive), "--cache-dir", str(output.parent / "cache"))  # fmt: skip


def test_download_writes_dev_and_test_unchanged(tmp_path: Path):
    output = tmp_path / "xtreme"
    download(output, release(tmp_path))
    written = output / "masakhaner"
    assert sorted(p.name for p in written.iterdir()) == sorted(TASKS["masakhaner"].languages)
    assert sorted(p.name for p in (written / "zul").iterdir()) == ["dev.txt", "test.txt"]
    original = (MASAKHANER / "yor" / "test.txt").read_text(encoding="utf-8")
    assert (written / "bam" / "test.txt").read_text(encoding="utf-8") == original


def test_download_bad_input_is_one_line_and_writes_nothing(tmp_path: Path):
    output = tmp_path / "xtreme"
    with pytest.raises(InputFileError) as raised:
        download(output, release(tmp_path, leave_out="MasakhaNER2.0/data/wol/test.txt"))
    assert str(raised.value).endswith("the archive has no member MasakhaNER2.0/data/wol/test.txt")
    member = "MasakhaNER2.0/data/ewe/dev.txt"
    with pytest.raises(InputFileError) as raised:
        download(output, release(tmp_path, replace={member: "Kofi B-PER\nyi\tO x\n"}))
    assert re.search(re.escape(f"{member}:2: expected `word TAG`"), str(raised.value))
    with pytest.raises(InputFileError) as raised:
        download(output, release(tmp_path, replace={member: "Kofi B-PERSON\n"}))
    assert re.search(re.escape(f"{member}:1: unknown tag 'B-PERSON'"), str(raised.value))
    assert not output.exists() or not list(output.rglob("*.txt"))


def test_a_pan_x_model_is_evaluated_with_the_masakhaner_reader(tagging_archives, tmp_path: Path):
    """A panx_baseline archive (same family and labels) needs no override for --task masakhaner."""
    report = tmp_path / "report"
    run_allennlp("xtreme-report", str(tagging_archives["panx"]), str(XTREME_DATA), "--task",
                 "masakhaner", "--output-dir", str(report))  # fmt: skip
    data = json.loads((report / "metrics.json").read_text())
    assert data["task"] == "masakhaner" and list(data["languages"]) == ["hau", "yor"]
    assert data["source_languages"] == ["en"]
