"""
Multi-source transfer (`training_configs/{xnli,pawsx}_multisource_*.jsonnet`): several source
languages, English and machine-translated training sets, through AllenNLP's multitask loader.
"""

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from allennlp.common.testing import AllenNlpTestCase

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import XTREME_DATA
from tests.reliability.helpers import train as train_config

ONE_SMALL_EPOCH = {"trainer.num_epochs": 1, "data_loader.scheduler.batch_size": 8}


def train(config: str, directory: Path, **overrides) -> None:
    train_config(config, directory, json.dumps({**ONE_SMALL_EPOCH, **overrides}))


class TestMultiSource(AllenNlpTestCase):
    def test_two_source_languages_train_select_and_report(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("XLT_SOURCE_LANGUAGES", "en, de")
        run = self.TEST_DIR / "run"
        callbacks = [{"type": "adversarial_training"}, {"type": "test_batch_log"}]
        train("xnli_multisource_adv", run, **{"trainer.callbacks": callbacks})
        config = json.loads((run / "config.json").read_text())
        assert config["train_data_path"] == {
            "en": f"{XTREME_DATA}/xnli/train-en.tsv",
            "de": f"{XTREME_DATA}/xnli/translate-train/train-de.tsv",
        }
        assert config["validation_data_path"] == [
            f"{XTREME_DATA}/xnli/dev-en.tsv",
            f"{XTREME_DATA}/xnli/dev-de.tsv",
        ]
        # Every training instance carries its language: 48 English pairs, 12 translated ones
        # (XTREME's five-column layout, `contradictory` read as `contradiction`).
        batches = [json.loads(line) for line in (run / "batches_w0.jsonl").read_text().splitlines()]
        seen = Counter(example["language"] for batch in batches for example in batch["metadata"])
        assert seen == {"en": 48, "de": 12}

        report = self.TEST_DIR / "report"
        run_allennlp(
            "xtreme-report",
            str(run / "model.tar.gz"),
            str(XTREME_DATA),
            "--output-dir",
            str(report),
        )
        metrics = json.loads((report / "metrics.json").read_text())
        assert sorted(metrics["source_languages"]) == ["de", "en"]
        languages = metrics["languages"]
        targets = [code for code in languages if code not in ("en", "de")]
        assert targets == ["ar", "fr", "zh"]
        assert metrics["summary"]["avg_without_en_de"] == pytest.approx(
            sum(languages[code]["accuracy"] for code in targets) / 3
        )
        assert "Indo-European" in {key.split(":")[1] for key in metrics["summary"] if ":" in key}
        assert "| de | German (source) |" in (report / "report.md").read_text()

    def test_the_three_column_layout_and_pawsx(self, monkeypatch: pytest.MonkeyPatch):
        data = self.TEST_DIR / "data"
        shutil.copytree(XTREME_DATA / "pawsx", data / "pawsx")
        shutil.copy(data / "pawsx" / "test-de.tsv", data / "pawsx" / "dev-de.tsv")
        monkeypatch.setenv("XLT_DATA_DIR", str(data))
        monkeypatch.setenv("XLT_SOURCE_LANGUAGES", "en,de")
        train("pawsx_multisource_baseline", self.TEST_DIR / "pawsx")
        assert (self.TEST_DIR / "pawsx" / "model.tar.gz").exists()
        (data / "pawsx" / "dev-de.tsv").unlink()  # a source language needs its dev set
        with pytest.raises(InputFileError, match=r"pawsx/dev-de\.tsv: file not found"):
            train("pawsx_multisource_baseline", self.TEST_DIR / "no-dev")

    def test_bad_source_languages(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("XLT_SOURCE_LANGUAGES", "en,xx")
        with pytest.raises(ParameterError, match="'languages' has the unknown language code 'xx'"):
            train("xnli_multisource_baseline", self.TEST_DIR / "unknown")
        monkeypatch.setenv("XLT_SOURCE_LANGUAGES", "en,es")  # an XNLI language without a file
        with pytest.raises(
            InputFileError, match=r"xnli/translate-train/train-es\.tsv: file not found"
        ):
            train("xnli_multisource_baseline", self.TEST_DIR / "missing")
