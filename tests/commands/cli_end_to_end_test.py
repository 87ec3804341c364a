"""The three commands of the README, for real, on the tiny model and the fixture data."""

import json
import os
import subprocess
import sys
from pathlib import Path

from allennlp.common.testing import AllenNlpTestCase

from allennlp_robust_xlt.testing.cli import comma_list, run_allennlp
from tests import CONFIGS_ROOT, DATA_ROOT, PROJECT_ROOT, XTREME_DATA

SMALL = json.dumps({"trainer.num_epochs": 2, "data_loader.batch_sampler.batch_size": 8})
XNLI_LANGUAGES = ["en", "de", "fr", "zh", "ar"]


class TestCommandLine(AllenNlpTestCase):
    def test_train_evaluate_predict(self):
        serialization_dir = self.TEST_DIR / "xnli"
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "xnli_baseline.jsonnet"),
            "-s",
            str(serialization_dir),
            "-o",
            SMALL,
        )
        archive = serialization_dir / "model.tar.gz"
        assert archive.exists()
        metrics = json.loads((serialization_dir / "metrics.json").read_text())
        assert metrics["epoch"] == 1  # 0-based: two epochs ran

        # Several language files in one `allennlp evaluate` call: one accuracy per language.
        inputs = [XTREME_DATA / "xnli" / f"test-{lang}.tsv" for lang in XNLI_LANGUAGES]
        outputs = [self.TEST_DIR / f"metrics-{lang}.json" for lang in XNLI_LANGUAGES]
        run_allennlp(
            "evaluate", str(archive), comma_list(inputs), "--output-file", comma_list(outputs)
        )
        for output in outputs:
            scores = json.loads(output.read_text())
            assert 0.0 <= scores["accuracy"] <= 1.0
            assert scores["loss"] > 0

        # Batch prediction without --predictor: the archive's model defaults to ours.
        predictions = self.TEST_DIR / "predictions.jsonl"
        run_allennlp(
            "predict",
            str(archive),
            str(DATA_ROOT / "pairs.jsonl"),
            "--output-file",
            str(predictions),
            "--batch-size",
            "3",
            "--silent",
        )
        lines = [json.loads(line) for line in predictions.read_text().splitlines()]
        inputs_count = len((DATA_ROOT / "pairs.jsonl").read_text().splitlines())
        assert len(lines) == inputs_count == 8
        for line in lines:
            assert set(line["probs"]) == {"entailment", "neutral", "contradiction"}
            assert abs(sum(line["probs"].values()) - 1.0) < 1e-5
            assert line["label"] == max(line["probs"], key=line["probs"].get)

    def test_allennlp_command_line_with_include_package(self, tiny_xlmr: Path):
        """The installed `allennlp` entry point, in a fresh process, as a user types it."""
        serialization_dir = self.TEST_DIR / "pawsx"
        allennlp = Path(sys.executable).parent / "allennlp"
        completed = subprocess.run(
            [
                str(allennlp),
                "train",
                str(CONFIGS_ROOT / "pawsx_baseline.jsonnet"),
                "-s",
                str(serialization_dir),
                "-o",
                json.dumps({"trainer.num_epochs": 1}),
                "--include-package",
                "allennlp_robust_xlt",
            ],
            cwd=self.TEST_DIR,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
        assert (serialization_dir / "model.tar.gz").exists()
        assert "nltk_data" not in completed.stderr  # no attempt to download NLTK data
        config = json.loads((serialization_dir / "config.json").read_text())
        assert config["dataset_reader"]["type"] == "xtreme_pawsx"
        assert config["model"]["text_field_embedder"]["token_embedders"]["tokens"][
            "model_name"
        ] == str(tiny_xlmr)


def test_plugin_subcommands_from_any_directory(tmp_path: Path):
    """`python -m allennlp_robust_xlt` finds the plugin's subcommands without a .allennlp_plugins file."""
    completed = subprocess.run(
        [sys.executable, "-m", "allennlp_robust_xlt", "xtreme-report", "--help"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "--generalized" in completed.stdout
