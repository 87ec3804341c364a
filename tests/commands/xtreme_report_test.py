"""`allennlp xtreme-report` and `allennlp evaluate` on generalized paths, with a tiny trained model."""

import csv
import json
from pathlib import Path
from typing import Dict, List
from unittest import mock

import pytest
from allennlp.models.archival import load_archive

from allennlp_robust_xlt.evaluation import xtreme_report
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, XTREME_DATA
from tests.conftest import TINY_DIM

XNLI = XTREME_DATA / "xnli"
LANGUAGES = ["en", "de", "zh"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, tiny_xlmr: Path) -> Path:
    """The XNLI baseline trained for one epoch, on two source files (multi-source, from the config)."""
    serialization_dir = tmp_path_factory.mktemp("report") / "run"
    overrides = {
        "trainer.num_epochs": 1,
        "data_loader.batch_sampler.batch_size": 8,
        "train_data_path": [str(XNLI / "train-en.tsv"), str(XNLI / "dev-de.tsv")],
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
        patch.setenv("XLT_TRANSFORMER_DIM", str(TINY_DIM))
        patch.setenv("XLT_DATA_DIR", str(XTREME_DATA))
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "xnli_baseline.jsonnet"),
            "-s",
            str(serialization_dir),
            "-o",
            json.dumps(overrides),
        )
    config = json.loads((serialization_dir / "config.json").read_text())
    assert config["train_data_path"] == overrides["train_data_path"]
    return serialization_dir / "model.tar.gz"


def read_csv(path: Path) -> List[List[str]]:
    with open(path, encoding="utf-8", newline="") as data:
        return list(csv.reader(data))


def report_values(output_dir: Path, metric: str = "accuracy") -> Dict[str, float]:
    rows = read_csv(output_dir / "report.csv")
    assert rows[0][:6] == ["kind", "key", "name", "family", "script", "languages"]
    column = rows[0].index(metric)
    return {row[1]: float(row[column]) for row in rows[1:]}


def test_generalized_report_for_three_languages(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture
):
    output_dir = tmp_path / "report"
    with mock.patch.object(xtreme_report, "load_archive", wraps=load_archive) as loads:
        run_allennlp(
            "xtreme-report", str(archive), str(XTREME_DATA), "--output-dir", str(output_dir),
            "--languages", *LANGUAGES, "--generalized", "--batch-size", "12",
            "--source-languages", "en",
            "-o", json.dumps({"validation_data_loader.batch_sampler.padding_noise": 0.0}),
        )  # fmt: skip
    assert loads.call_count == 1  # the model is loaded once for the 3 + 9 evaluations

    values = report_values(output_dir)
    for code in LANGUAGES:
        assert 0.0 <= values[code] <= 1.0
    assert values["avg_without_en"] == pytest.approx((values["de"] + values["zh"]) / 2)
    assert values["avg"] == pytest.approx(sum(values[c] for c in LANGUAGES) / 3)
    assert values["family:Indo-European"] == values["de"]
    assert values["family:Sino-Tibetan"] == values["zh"]

    matrix = read_csv(output_dir / "generalized.csv")
    assert matrix[0] == ["l1\\l2", *LANGUAGES]
    assert [row[0] for row in matrix[1:]] == LANGUAGES
    assert all(len(row) == 4 for row in matrix[1:])  # 3 x 3
    scores = {
        (row[0], second): float(value)
        for row in matrix[1:]
        for second, value in zip(LANGUAGES, row[1:])
    }
    assert len(scores) == 9
    for code in LANGUAGES:  # l1 = l2 reads the same pairs as the language's own file
        assert scores[(code, code)] == values[code]

    # The tiny model predicts one class after a short training (accuracy 1/3 everywhere on the
    # balanced fixtures), so the losses show that each cell is its own evaluation: with one
    # batch per file in a fixed order, l1 = l2 gives exactly the language's loss, and the
    # other pairs other losses.
    metrics = json.loads((output_dir / "metrics.json").read_text())
    losses = {tuple(pair.split("-")): value["loss"] for pair, value in metrics["pairs"].items()}
    for code in LANGUAGES:
        assert losses[(code, code)] == metrics["languages"][code]["loss"]
    assert len(set(losses.values())) == 9

    # Per-example results, one line per test pair with its line number as id, whose mean
    # correctness is the reported accuracy (for intervals over test examples).
    for key, accuracy in [("de", values["de"]), ("de-zh", scores[("de", "zh")])]:
        lines = (output_dir / "per_example" / f"{key}.jsonl").read_text().splitlines()
        examples = [json.loads(line) for line in lines]
        assert [int(example["id"]) for example in examples] == list(range(1, 13))
        assert sum(example["correct"] for example in examples) / 12 == pytest.approx(accuracy)
        assert all(set(example) == {"id", "correct"} for example in examples)
    assert not list(tmp_path.glob(".report.*"))  # the scratch directory is gone

    png = (output_dir / "generalized.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000
    assert metrics["task"] == "xnli" and sorted(metrics["pairs"]) == sorted(
        f"{a}-{b}" for a in LANGUAGES for b in LANGUAGES
    )
    assert metrics["pairs"]["de-zh"]["accuracy"] == scores[("de", "zh")]
    markdown = (output_dir / "report.md").read_text()
    assert "| de | German | Indo-European | Latin |" in markdown
    assert "| **average without en** | de zh |" in markdown
    printed = capsys.readouterr().out
    assert "| zh | Chinese | Sino-Tibetan | Chinese characters |" in printed
    assert "| **de** |" in printed  # the matrix is printed too

    # `allennlp evaluate` (unchanged) on a generalized virtual path and on a language file gives the same numbers.
    assert not (XNLI / "test-de-zh.tsv").exists()
    outputs = [
        tmp_path / "test-de-zh.json",
        tmp_path / "test-de.json",
        tmp_path / "test-zh.json",
        tmp_path / "test-en.json",
    ]
    inputs = [
        XNLI / "test-de-zh.tsv",
        XNLI / "test-de.tsv",
        XNLI / "test-zh.tsv",
        XNLI / "test-en.tsv",
    ]
    run_allennlp(
        "evaluate",
        str(archive),
        ",".join(map(str, inputs)),
        "--output-file",
        ",".join(map(str, outputs)),
    )
    evaluated = [json.loads(output.read_text()) for output in outputs]
    assert [e["accuracy"] for e in evaluated] == [
        scores[("de", "zh")],
        values["de"],
        values["zh"],
        values["en"],
    ]
    expected_losses = [losses[("de", "zh")]] + [
        metrics["languages"][code]["loss"] for code in ("de", "zh", "en")
    ]
    assert [e["loss"] for e in evaluated] == pytest.approx(expected_losses, rel=1e-6)

    # The same table from those `allennlp evaluate` outputs; the pair file fills one matrix cell.
    from_metrics = tmp_path / "from-metrics"
    run_allennlp(
        "xtreme-report",
        "--from-metrics",
        *map(str, outputs),
        "--task",
        "xnli",
        "--output-dir",
        str(from_metrics),
    )
    assert report_values(from_metrics) == values
    cells = read_csv(from_metrics / "generalized.csv")
    assert cells == [["l1\\l2", "zh"], ["de", repr(scores[("de", "zh")])]]
    by_loss = tmp_path / "by-loss"
    run_allennlp(
        "xtreme-report",
        "--from-metrics",
        *map(str, outputs),
        "--task",
        "xnli",
        "--metric",
        "loss",
        "--output-dir",
        str(by_loss),
    )
    assert report_values(by_loss, "loss")["zh"] == evaluated[2]["loss"]


def test_evaluate_on_a_generalized_path(archive: Path, tmp_path: Path):
    output = tmp_path / "metrics.json"
    run_allennlp(
        "evaluate", str(archive), str(XNLI / "test-zh-ar.tsv"), "--output-file", str(output)
    )
    metrics = json.loads(output.read_text())
    assert 0.0 <= metrics["accuracy"] <= 1.0 and metrics["loss"] > 0


def test_default_languages_task_and_split(archive: Path, tmp_path: Path):
    """Without --languages: every XNLI language with a file (the fixtures have five); task from the archive."""
    output_dir = tmp_path / "dev"
    report = xtreme_report.xtreme_report(str(output_dir), str(archive), str(XNLI), split="dev")
    assert report.task == "xnli"
    # The archive was trained on train-en.tsv and dev-de.tsv: both are source languages.
    assert report.source_languages == ("en", "de") and report.target_languages == []
    assert report.languages == ["en", "de"]  # dev-en.tsv and dev-de.tsv
    assert not (output_dir / "generalized.csv").exists()


def test_output_dir_is_not_overwritten_without_force(tmp_path: Path):
    metric_file = tmp_path / "test-fr.json"
    metric_file.write_text(json.dumps({"accuracy": 0.5, "loss": 1.0}))
    output_dir = tmp_path / "out"
    output_dir.mkdir()
    (output_dir / "notes.txt").write_text("mine")
    with pytest.raises(
        ParameterError, match=r"'--output-dir' .*exists and is not empty; pass --force"
    ):
        run_allennlp(
            "xtreme-report", "--from-metrics", str(metric_file), "--output-dir", str(output_dir)
        )
    assert sorted(p.name for p in output_dir.iterdir()) == ["notes.txt"]
    with pytest.raises(
        ParameterError,
        match=(r"'--task' is needed: the languages fr are the languages of pawsx xnli"),
    ):
        run_allennlp(
            "xtreme-report",
            "--from-metrics",
            str(metric_file),
            "--output-dir",
            str(output_dir),
            "--force",
        )
    run_allennlp(
        "xtreme-report",
        "--from-metrics",
        str(metric_file),
        "--output-dir",
        str(output_dir),
        "--force",
        "--task",
        "pawsx",
    )
    assert report_values(output_dir)["fr"] == 0.5
    assert (output_dir / "notes.txt").read_text() == "mine"


def test_an_error_half_way_leaves_no_output_directory(archive: Path, tmp_path: Path):
    data = tmp_path / "xnli"
    data.mkdir()
    for code in ("en", "de"):
        (data / f"test-{code}.tsv").write_bytes((XNLI / f"test-{code}.tsv").read_bytes())
    (data / "test-de.tsv").write_text("only one column\n")  # English is fine, German is not
    output_dir = tmp_path / "out"
    with pytest.raises(InputFileError, match=r"test-de.tsv:1: expected 3 tab-separated columns"):
        run_allennlp("xtreme-report", str(archive), str(data), "--output-dir", str(output_dir))
    assert not output_dir.exists()
    assert not list(tmp_path.glob(".out.*"))


def test_bad_arguments(archive: Path, tmp_path: Path):
    out = str(tmp_path / "out")
    with pytest.raises(
        ParameterError,
        match=r"'--languages' has the unknown language code 'ja'; known codes: en ar bg",
    ):
        run_allennlp(
            "xtreme-report",
            str(archive),
            str(XTREME_DATA),
            "--languages",
            "de",
            "ja",
            "--output-dir",
            out,
        )
    with pytest.raises(InputFileError, match=r"test-bg.tsv: file not found"):
        run_allennlp(
            "xtreme-report",
            str(archive),
            str(XTREME_DATA),
            "--languages",
            "bg",
            "--output-dir",
            out,
        )
    with pytest.raises(ParameterError, match="ARCHIVE DATA_DIR"):
        run_allennlp("xtreme-report", str(archive), "--output-dir", out)
    unnamed = tmp_path / "scores.json"
    unnamed.write_text(json.dumps({"accuracy": 0.5}))
    with pytest.raises(ParameterError, match="no language code at the end of the file name"):
        run_allennlp("xtreme-report", "--from-metrics", str(unnamed), "--output-dir", out)
    run_allennlp(
        "xtreme-report", "--from-metrics", f"ar={unnamed}", "--output-dir", out
    )  # named explicitly
    assert report_values(Path(out))["ar"] == 0.5  # and ar is only in XNLI: no --task needed
    with pytest.raises(ParameterError, match=r"'--metric' names 'f1'"):
        run_allennlp(
            "xtreme-report",
            "--from-metrics",
            f"ar={unnamed}",
            "--metric",
            "f1",
            "--output-dir",
            out,
            "--force",
        )


def test_attack_adds_the_attacked_columns(archive: Path, tmp_path: Path):
    """`--attack`: each language clean and under the embedding attack, side by side."""
    reports = {}
    for epsilon in (0.0, 1.0):
        output = tmp_path / f"eps{epsilon}"
        attack = {"type": "embedding_attack", "norm": "l2", "epsilon": epsilon, "steps": 3}
        run_allennlp(
            "xtreme-report",
            str(archive),
            str(XTREME_DATA),
            "--languages",
            "en",
            "de",
            "--output-dir",
            str(output),
            "--attack",
            json.dumps(attack),
        )
        rows = read_csv(output / "report.csv")
        assert rows[0][6:] == ["accuracy", "attacked_accuracy"]
        reports[epsilon] = json.loads((output / "metrics.json").read_text())
        assert reports[epsilon]["metrics"] == ["accuracy", "attacked_accuracy"]
        assert "attack" in reports[epsilon]["source"]
        lines = [
            json.loads(line)
            for line in (output / "per_example" / "de.jsonl").read_text().splitlines()
        ]
        assert {"correct", "attacked_correct"} <= set(lines[0])
    for code in ("en", "de"):
        clean, attacked = reports[0.0]["languages"][code], reports[1.0]["languages"][code]
        assert clean["attacked_accuracy"] == clean["accuracy"] == attacked["accuracy"]
        assert attacked["attacked_loss"] > attacked["loss"]
        assert attacked["attacked_accuracy"] <= attacked["accuracy"]


@pytest.mark.parametrize(
    "attack, problem",
    [
        ("{epsilon: 1}", "not valid JSON"),
        ('{"epsilon": 1}', "JSON object with the evaluator's"),
        ('{"type": "simple"}', "not an attack evaluator"),
    ],
)
def test_bad_attack_arguments(archive: Path, tmp_path: Path, attack: str, problem: str):
    with pytest.raises(ParameterError, match=problem) as error:
        xtreme_report.xtreme_report(
            str(tmp_path / "out"), str(archive), str(XTREME_DATA), attack=attack
        )
    assert error.value.parameter == "--attack"
    assert not (tmp_path / "out").exists()
