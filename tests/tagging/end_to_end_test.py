"""
`allennlp train`, `evaluate`, `predict` and `xtreme-report` for UD-POS and PAN-X, for real, on the
tiny transformer and the fixture data; the report's per-language F1 is seqeval's on the tags that
`allennlp predict` writes for the same files.
"""

import csv
import json
import warnings
from pathlib import Path
from typing import Dict, List
from unittest import mock

import pytest
from seqeval.metrics import accuracy_score, f1_score

from allennlp_robust_xlt.evaluation import xtreme_report as report_module
from allennlp_robust_xlt.tasks import TASKS
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, FIXTURES_ROOT, XTREME_DATA
from tests.tagging.conftest import SMALL

LANGUAGES = ["en", "de", "fr"]  # the fixtures' test files


def gold_tags(path: Path) -> List[List[str]]:
    blocks = [b for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    return [[line.split("\t")[1] for line in block.strip().split("\n")] for block in blocks]


def seqeval(gold: List[List[str]], predicted: List[List[str]]) -> Dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"f1": f1_score(gold, predicted), "accuracy": accuracy_score(gold, predicted)}


@pytest.mark.parametrize("task", ["udpos", "panx"])
def test_train_evaluate_predict_report(task: str, tagging_archives, tmp_path: Path):
    archive = tagging_archives[task]
    metrics = json.loads((archive.parent / "metrics.json").read_text())
    assert {"validation_f1", "validation_precision", "validation_recall"} <= set(metrics)

    # allennlp evaluate: the task's metrics as fractions.
    output = tmp_path / "test-de.json"
    run_allennlp(
        "evaluate",
        str(archive),
        str(XTREME_DATA / task / "test-de.tsv"),
        "--output-file",
        str(output),
    )
    scores = json.loads(output.read_text())
    assert set(TASKS[task].metrics) <= set(scores) and scores["loss"] > 0
    assert all(0.0 <= scores[name] <= 1.0 for name in TASKS[task].metrics)

    # allennlp predict (the archive's default predictor) on JSON lines and on the data files.
    lines = tmp_path / "input.jsonl"
    lines.write_text(
        '{"words": ["Angela", "Merkel", "visited", "Paris"]}\n{"sentence": "Hello world", "id": 3}\n'
    )
    run_allennlp(
        "predict", str(archive), str(lines), "--output-file", str(tmp_path / "p.jsonl"), "--silent"
    )
    predicted = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [len(p["tags"]) for p in predicted] == [4, 2] and predicted[1]["id"] == 3
    predicted_tags = {}
    for language in LANGUAGES:
        out = tmp_path / f"predicted-{language}.jsonl"
        run_allennlp(
            "predict", str(archive), str(XTREME_DATA / task / f"test-{language}.tsv"),
            "--use-dataset-reader", "--output-file", str(out), "--silent", "--batch-size", "2",
        )  # fmt: skip
        predicted_tags[language] = [
            json.loads(line)["tags"] for line in out.read_text().splitlines()
        ]

    # xtreme-report: one model load for all languages, one column per metric of the table.
    loads = []
    real_load = report_module.load_archive

    def counting_load(*args, **kwargs):
        loads.append(args)
        return real_load(*args, **kwargs)

    with mock.patch.object(report_module, "load_archive", counting_load):
        run_allennlp(
            "xtreme-report", str(archive), str(XTREME_DATA), "--task", task, "--output-dir",
            str(tmp_path / "report"),
        )  # fmt: skip
    assert len(loads) == 1
    with open(tmp_path / "report" / "report.csv", encoding="utf-8") as table:
        rows = list(csv.DictReader(table))
    assert list(rows[0])[6:] == list(TASKS[task].metrics)
    by_key = {row["key"]: row for row in rows}
    assert {"en", "de", "fr", "avg", "avg_without_en", "family:Indo-European"} <= set(by_key)
    for language in LANGUAGES:
        expected = seqeval(
            gold_tags(XTREME_DATA / task / f"test-{language}.tsv"), predicted_tags[language]
        )
        assert float(by_key[language]["f1"]) == pytest.approx(expected["f1"], abs=1e-12)
        if "accuracy" in TASKS[task].metrics:
            assert float(by_key[language]["accuracy"]) == pytest.approx(
                expected["accuracy"], abs=1e-12
            )
        examples = [
            json.loads(line)
            for line in (tmp_path / "report" / "per_example" / f"{language}.jsonl")
            .read_text()
            .splitlines()
        ]
        assert sum(e["tokens"] for e in examples) == sum(map(len, predicted_tags[language]))
    targets = [float(by_key[code]["f1"]) for code in ("de", "fr")]
    assert float(by_key["avg_without_en"]["f1"]) == pytest.approx(sum(targets) / 2)


@pytest.mark.parametrize(
    "config",
    [
        "panx_adv",
        "udpos_rs_rp",
        "udpos_rs_da",
        pytest.param("udpos_adv", marks=pytest.mark.slow),
        pytest.param("panx_rs_rp", marks=pytest.mark.slow),
        pytest.param("panx_rs_da", marks=pytest.mark.slow),
    ],
)
def test_the_robust_configs_train(config: str, tmp_path: Path):
    """The adversarial, RS-RP and RS-DA configs run (the baselines: the fixture above)."""
    overrides = dict(SMALL)
    if config.endswith("rs_da"):
        overrides["dataset_reader.neighbors"] = str(
            FIXTURES_ROOT / "neighbors" / "english_neighbors.json"
        )
        overrides["dataset_reader.copies"] = 2
    run_allennlp(
        "train", str(CONFIGS_ROOT / f"{config}.jsonnet"), "-s", str(tmp_path / "run"), "-o",
        json.dumps(overrides),
    )  # fmt: skip
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert "validation_f1" in metrics and (tmp_path / "run" / "model.tar.gz").exists()
