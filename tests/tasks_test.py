"""The task table: one row per task, read by readers, commands and configs."""

import json
from pathlib import Path

import _jsonnet
import pytest

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.tasks import TABLE, TASKS, get_task, load_tasks, task_for_reader
from tests import CONFIGS_ROOT, XTREME_DATA


def test_rows_hold_xtremes_facts():
    xnli = TASKS["xnli"]
    assert xnli.languages == tuple("en ar bg de el es fr hi ru sw th tr ur vi zh".split())
    assert xnli.canonical_label("contradictory") == "contradiction"
    assert xnli.canonical_label("maybe") is None
    assert TASKS["pawsx"].languages == tuple("en de es fr ja ko zh".split())
    assert TASKS["pawsx"].target_languages == tuple("de es fr ja ko zh".split())
    assert task_for_reader("xtreme_pawsx") is TASKS["pawsx"]
    assert task_for_reader("snli") is None


def test_files_in_xtremes_layout(tmp_path: Path):
    xnli = TASKS["xnli"]
    assert xnli.file_path(tmp_path, "test", "de") == tmp_path / "test-de.tsv"
    (tmp_path / "xnli").mkdir()
    assert xnli.file_path(tmp_path, "test", "de-fr") == tmp_path / "xnli" / "test-de-fr.tsv"


def test_release_split_names_and_file_patterns(tmp_path: Path):
    """XCOPA's dev files are `val-{lang}.jsonl`; SIQA keeps its release's names."""
    xcopa = TASKS["xcopa"]
    assert xcopa.file_name("dev", "et") == "val-et.jsonl"
    assert xcopa.file_name("test", "et") == "test-et.jsonl"
    assert xcopa.file_name("train", "en") == "train-en.jsonl"
    assert "en" not in xcopa.languages and xcopa.train_languages == ("en",)
    siqa = TASKS["siqa"]
    assert [siqa.file_name(split, "en") for split in ("train", "dev", "test")] == [
        "socialIQa_v1.4_trn.jsonl",
        "socialIQa_v1.4_dev.jsonl",
        "socialIQa_v1.4_tst.jsonl",
    ]
    assert TASKS["xnli"].split_names == {} and TASKS["xnli"].file_name("dev", "de") == "dev-de.tsv"


def test_unknown_task_lists_the_known_ones():
    with pytest.raises(ParameterError, match=f"unknown task 'xnl'; known: {' '.join(TASKS)}$"):
        get_task("xnl", "xtreme-report")


def test_a_bad_row_is_refused(tmp_path: Path):
    rows = json.loads(_jsonnet.evaluate_file(str(TABLE)))
    rows["xnli"]["metric"] = "f1"
    bad = tmp_path / "tasks.libsonnet"
    bad.write_text(json.dumps(rows))
    with pytest.raises(ParameterError, match="default metric 'f1' is not one of its metrics"):
        load_tasks(bad)
    rows["xnli"]["metric"] = "accuracy"
    rows["xnli"]["languages"].append("xx")
    bad.write_text(json.dumps(rows))
    with pytest.raises(ParameterError, match=r"languages has unknown language codes \['xx'\]"):
        load_tasks(bad)
    rows["xnli"]["languages"].pop()
    rows["xnli"]["split_names"] = {"validation": "val"}
    bad.write_text(json.dumps(rows))
    with pytest.raises(ParameterError, match="split_names .* must rename splits among"):
        load_tasks(bad)
    rows["xnli"]["split_names"] = {}
    rows["xnli"]["file_pattern"] = "data{extension}"
    bad.write_text(json.dumps(rows))
    with pytest.raises(ParameterError, match="file_pattern 'data{extension}' must contain {split}"):
        load_tasks(bad)


def test_configs_read_the_table(monkeypatch: pytest.MonkeyPatch):
    from allennlp.common import Params

    for key, task in TASKS.items():
        if task.family not in ("pair_classification", "mc"):
            continue
        params = Params.from_file(str(CONFIGS_ROOT / f"{key}_baseline.jsonnet")).as_dict()
        assert params["dataset_reader"]["type"] == task.reader
        assert params["trainer"]["optimizer"]["lr"] == task.training["learning_rate"]
        assert params["trainer"]["num_epochs"] == task.training["epochs"]
        assert params["dataset_reader"]["max_length"] == task.training["max_length"]
        # The configs' file names are the table's (`Task.file_name`).
        for split, path in (("train", "train_data_path"), ("dev", "validation_data_path")):
            assert Path(params[path]) == task.file_path(XTREME_DATA, split, "en")


def test_download_rows_name_manual_sources_among_their_sources(tmp_path: Path):
    assert TASKS["panx"].download.manual and TASKS["panx"].download.sources == {"panx": ""}
    assert not TASKS["udpos"].download.by_default and TASKS["xnli"].download.by_default
    rows = json.loads(_jsonnet.evaluate_file(str(TABLE)))
    rows["panx"]["download"]["manual"] = {"elsewhere": "somewhere"}
    bad = tmp_path / "tasks.libsonnet"
    bad.write_text(json.dumps(rows))
    with pytest.raises(ParameterError, match="manual sources that are not among its sources"):
        load_tasks(bad)
