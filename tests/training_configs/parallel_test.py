"""
Fine-tuning with parallel data (`training_configs/{xnli,pawsx}_parallel_*.jsonnet`) through the
real commands on the tiny model: the task's batches and the parallel batches of
XLT_PARALLEL_DATA, every instance of both once per epoch, the objectives' metrics, and the
archive serving the task.
"""

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from allennlp.common.testing import AllenNlpTestCase

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.data.parallel_files import parallel_rows
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, DATA_ROOT, XTREME_DATA
from tests.reliability.helpers import train as train_config
from tests.training_configs.intermediate_test import config_error, evaluate_predict_report

SENTENCES = DATA_ROOT / "parallel" / "sentences"
PAWSX_TRANSLATIONS = DATA_ROOT / "parallel" / "pawsx"
SMALL = {"trainer.num_epochs": 1, "trainer.num_gradient_accumulation_steps": 1}


def train(config: str, directory: Path, **overrides) -> None:
    train_config(config, directory, json.dumps({**SMALL, **overrides}))


def logged(run: Path):
    batches = [json.loads(line) for line in (run / "batches_w0.jsonl").read_text().splitlines()]
    return [batch["metadata"] for batch in batches]


class TestParallel(AllenNlpTestCase):
    def test_xnli_with_parallel_sentences_and_adversarial_training(
        self, monkeypatch: pytest.MonkeyPatch
    ):
        monkeypatch.setenv("XLT_PARALLEL_DATA", str(SENTENCES))
        run = self.TEST_DIR / "xnli"
        callbacks = [
            {"type": "adversarial_training"},
            {"type": "test_batch_log"},
            {"type": "rng_state"},
        ]
        train(
            "xnli_parallel_adv", run,
            **{"data_loader.scheduler.batch_size": 8, "trainer.callbacks": callbacks},
        )  # fmt: skip
        config = json.loads((run / "config.json").read_text())
        assert config["train_data_path"] == {
            "xnli": f"{XTREME_DATA}/xnli/train-en.tsv",
            "parallel": str(SENTENCES),
        }
        # Batches of one kind each, alternating; every pair and every parallel row once.
        batches = logged(run)
        kinds = ["parallel" if "english" in batch[0] else "xnli" for batch in batches]
        assert kinds[:6] == ["parallel", "xnli"] * 3  # (jsonnet sorts the datasets)
        parallel = Counter(m["id"] for batch in batches for m in batch if "english" in m)
        assert parallel == Counter(f"{row.path}:{row.line}" for row in parallel_rows(SENTENCES))
        assert sum(len(batch) for batch, kind in zip(batches, kinds) if kind == "xnli") == 48
        metrics = json.loads((run / "metrics.json").read_text())
        assert {"training_alignment_loss", "training_alignment_cosine"} <= set(metrics)
        assert not any("alignment" in key for key in metrics if key.startswith("validation"))
        scores = self.TEST_DIR / "de.json"
        run_allennlp(
            "evaluate", str(run / "model.tar.gz"), str(XTREME_DATA / "xnli" / "test-de.tsv"),
            "--output-file", str(scores),
        )  # fmt: skip
        assert set(json.loads(scores.read_text())) == {"accuracy", "loss"}

    def test_pawsx_with_xtremes_translations_and_consistency(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("XLT_PARALLEL_DATA", str(PAWSX_TRANSLATIONS))
        run = self.TEST_DIR / "pawsx"
        train(
            "pawsx_parallel_baseline", run,
            **{"data_loader.scheduler.batch_size": 8, "model.consistency_weight": 5.0,
               "model.alignment_loss": "mse"},
        )  # fmt: skip
        metrics = json.loads((run / "metrics.json").read_text())
        assert {"training_alignment_loss", "training_consistency_loss"} <= set(metrics)
        evaluate_predict_report(run / "model.tar.gz", self.TEST_DIR)

    def test_udpos_tagging_with_parallel_sentences(self, monkeypatch: pytest.MonkeyPatch):
        """The same helper over the tagging family (no config file: the issue names XNLI and PAWS-X)."""
        monkeypatch.setenv("XLT_PARALLEL_DATA", str(SENTENCES))
        config = self.TEST_DIR / "udpos_parallel_adv.jsonnet"
        config.write_text(
            f"local xtreme = import '{CONFIGS_ROOT}/xtreme.libsonnet';\n"
            "xtreme.parallel(xtreme.adversarial('udpos'), 'udpos')\n"
        )
        run = self.TEST_DIR / "udpos"
        overrides = {**SMALL, "data_loader.scheduler.batch_size": 8}
        run_allennlp("train", str(config), "-s", str(run), "-o", json.dumps(overrides))
        metrics = json.loads((run / "metrics.json").read_text())
        assert {"training_alignment_loss", "training_f1", "validation_f1"} <= set(metrics)
        scores = self.TEST_DIR / "de.json"
        run_allennlp(
            "evaluate", str(run / "model.tar.gz"), str(XTREME_DATA / "udpos" / "test-de.tsv"),
            "--output-file", str(scores),
        )  # fmt: skip
        assert {"f1", "accuracy"} <= set(json.loads(scores.read_text()))

    def test_bad_parallel_data_is_one_line(self, monkeypatch: pytest.MonkeyPatch):
        config = CONFIGS_ROOT / "xnli_parallel_baseline.jsonnet"
        monkeypatch.setenv("XLT_PARALLEL_DATA", "")
        assert config_error(config) == (
            f"{config}:7: XLT_PARALLEL_DATA must name a directory of parallel sentences (Moses"
            " files, TSV pairs, xnli.15way.orig.tsv or five-column translate-train files)"
        )
        data = self.TEST_DIR / "parallel"
        shutil.copytree(SENTENCES, data)
        (data / "de-en.de").write_text("Nur eine Zeile.\n", encoding="utf-8")
        monkeypatch.setenv("XLT_PARALLEL_DATA", str(data))
        with pytest.raises(InputFileError) as caught:
            train("xnli_parallel_baseline", self.TEST_DIR / "short")
        assert str(caught.value) == (
            f"{data / 'de-en.en'}:2: the parallel files differ in length: {data / 'de-en.de'} ends"
            f" after line 1, {data / 'de-en.en'} goes on at line 2"
        )
        # Our three-column translate-train files have no English side.
        monkeypatch.setenv("XLT_PARALLEL_DATA", str(XTREME_DATA / "xnli" / "translate-train"))
        with pytest.raises(InputFileError, match=r"train-fr\.tsv:1: not a parallel file"):
            train("xnli_parallel_baseline", self.TEST_DIR / "three-columns")
