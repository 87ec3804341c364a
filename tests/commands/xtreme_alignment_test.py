"""`xtreme-alignment` through AllenNLP's command line (the analysis: tests/analysis/alignment_test.py)."""

import csv
import json
from pathlib import Path

import pytest

import allennlp_robust_xlt.commands.xtreme_alignment  # noqa: F401  (registers the subcommand)
from allennlp_robust_xlt.analysis.alignment.inputs import METRICS
from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import XTREME_DATA
from tests.evaluation.embedding_attack_test import archive  # noqa: F401  (module fixture)


def test_two_models_dev_split_and_an_attack(tmp_path: Path, tiny_xlmr: Path, tiny_bert: Path):
    output = tmp_path / "out"
    run_allennlp(
        "xtreme-alignment",
        f"xlmr={tiny_xlmr}",
        f"bert={tiny_bert}",
        str(XTREME_DATA / "xnli"),
        "--output-dir",
        str(output),
        "--split",
        "dev",
        "--pooling",
        "cls",
        "--layer",
        "2",
        "--attack",
        json.dumps({"type": "embedding_attack", "norm": "linf", "epsilon": 0.01, "steps": 2}),
    )
    with open(output / "alignment.csv", encoding="utf-8") as csv_file:
        rows = list(csv.DictReader(csv_file))
    assert list(rows[0]) == ["model", "language", "layer", *METRICS] + [
        "attacked_" + name for name in METRICS
    ]
    # The dev split's files: English and German.
    assert [(row["model"], row["language"], row["layer"]) for row in rows] == [
        (model, "de", str(layer)) for model in ("xlmr", "bert") for layer in range(3)
    ]
    settings = json.loads((output / "alignment.json").read_text())
    assert settings["summary_layer"] == 2 and settings["pooling"] == "cls"
    assert settings["split"] == "dev" and settings["attack"]["norm"] == "linf"
    markdown = (output / "alignment.md").read_text()
    assert "## xlmr — layer 2 of 2 (given)" in markdown and "## bert" in markdown


def test_tatoeba_without_parallel_lines(tmp_path: Path, tiny_xlmr: Path):
    data = tmp_path / "tatoeba"
    data.mkdir()
    for name in ("tatoeba.deu-eng.deu", "tatoeba.deu-eng.eng"):
        lines = (XTREME_DATA / "tatoeba" / name).read_text(encoding="utf-8").splitlines()
        kept = lines if name.endswith("eng") else lines[:-1]
        (data / name).write_text("\n".join(kept) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="tatoeba.deu-eng"):
        run_allennlp(
            "xtreme-alignment",
            str(tiny_xlmr),
            str(data),
            "--task",
            "tatoeba",
            "--output-dir",
            str(tmp_path / "out"),
        )


def test_a_pretrained_model_and_a_fine_tuned_archive_in_one_table(
    tmp_path: Path, tiny_xlmr: Path, archive: Path  # noqa: F811
):
    """The archive's fine-tuned transformer is measured, beside the encoder it started from."""
    output = tmp_path / "out"
    run_allennlp(
        "xtreme-alignment",
        f"pretrained={tiny_xlmr}",
        f"baseline#0={archive}",
        str(XTREME_DATA),
        "--output-dir",
        str(output),
        "--languages",
        "de",
        "fr",
    )
    with open(output / "alignment.csv", encoding="utf-8") as csv_file:
        rows = list(csv.DictReader(csv_file))
    by_model = {
        model: [row for row in rows if row["model"] == model]
        for model in ("pretrained", "baseline#0")
    }
    assert [len(model_rows) for model_rows in by_model.values()] == [6, 6]
    # The archive's fine-tuned transformer is embedded, not the pretrained one it started from.
    assert [r["cos_parallel"] for r in by_model["pretrained"]] != [
        r["cos_parallel"] for r in by_model["baseline#0"]
    ]
    settings = json.loads((output / "alignment.json").read_text())
    assert settings["models"] == {"pretrained": str(tiny_xlmr), "baseline#0": str(archive)}
