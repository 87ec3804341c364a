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
    assert TASKS["xnli"].file_name("dev", "de") == "dev-de.tsv"


def test_unknown_task_lists_the_known_ones():
    with pytest.raises(ParameterError, match="unknown task 'xnl'; known: ") as error:
        get_task("xnl", "xtreme-report")
    assert str(error.value).endswith("known: " + " ".join(TASKS))


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


def test_file_patterns_name_every_tasks_files(tmp_path: Path):
    """The optional `files` patterns: QA file names, a pair (question, context) for MLQA."""
    mlqa, xquad, tydiqa, squad = (TASKS[key] for key in ("mlqa", "xquad", "tydiqa", "squad"))
    assert mlqa.file_name("test", "de") == "MLQA_V1/test/test-context-de-question-de.json"
    (tmp_path / "mlqa").mkdir()
    assert mlqa.file_path(tmp_path, "dev", "de-zh") == (
        tmp_path / "mlqa" / "MLQA_V1" / "dev" / "dev-context-zh-question-de.json"
    )
    assert xquad.file_name("test", "el") == "xquad.el.json"
    assert tydiqa.file_name("test", "fi") == "tydiqa-goldp-v1.1-dev/tydiqa.goldp.fi.dev.json"
    assert tydiqa.file_name("train", "en") == "tydiqa-goldp-v1.1-train/tydiqa.goldp.en.train.json"
    assert squad.file_name("dev", "en") == "dev-v1.1.json"
    assert TASKS["xnli"].file_name("test", "de") == "test-de.tsv"  # the default pattern
    with pytest.raises(ParameterError, match="'dev', but XQuAD has files for test only"):
        xquad.file_name("dev", "de")


def test_files_are_recognised_by_name():
    mlqa = TASKS["mlqa"]
    assert mlqa.match_file("d/mlqa/MLQA_V1/test/test-context-zh-question-de.json") == (
        "test",
        "de",
        "zh",
    )
    assert mlqa.match_file("dev-context-ar-question-ar.json") == ("dev", "ar", "ar")
    assert mlqa.match_file("xquad.de.json") is None
    assert TASKS["xquad"].match_file("/data/xquad.th.json") == ("test", "th", "th")
    assert TASKS["tydiqa"].match_file("tydiqa.goldp.sw.dev.json") == ("test", "sw", "sw")
    assert TASKS["squad"].match_file("squad/train-v1.1.json") == ("train", "en", "en")
    assert TASKS["xnli"].match_file("test-de-fr.tsv") == ("test", "de", "fr")


def test_bad_file_patterns_are_refused(tmp_path: Path):
    rows = json.loads(_jsonnet.evaluate_file(str(TABLE)))
    bad = tmp_path / "tasks.libsonnet"
    rows["xquad"]["files"] = {"test": "xquad.{language}.json"}
    bad.write_text(json.dumps(rows))
    with pytest.raises(ParameterError, match=r"unknown placeholders \['\{language\}'\]"):
        load_tasks(bad)
    rows["xquad"]["files"] = {"valid": "xquad.{lang}.json"}
    bad.write_text(json.dumps(rows))
    with pytest.raises(ParameterError, match="must map one of"):
        load_tasks(bad)
