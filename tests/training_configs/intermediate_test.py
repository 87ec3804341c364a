"""
Intermediate-task training through the real commands on the tiny model and the fixtures:
sequential (`pawsx_intermediate_sequential_*`: English MNLI's archive, then PAWS-X from its
encoder) and joint (`pawsx_intermediate_joint_*`: one multitask model), each archive then
evaluated, predicted with and reported on PAWS-X.
"""

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Dict

import pytest
import torch
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.models.archival import load_archive

from allennlp_robust_xlt.common.errors import RobustXltError, translate_known_error
from allennlp_robust_xlt.tasks import TASKS
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, DATA_ROOT, FIXTURES_ROOT, PROJECT_ROOT, XTREME_DATA
from tests.reliability.helpers import train as train_config

ENCODER = "_text_field_embedder."
SMALL = {"trainer.num_epochs": 1, "trainer.num_gradient_accumulation_steps": 1}
NEIGHBORS = FIXTURES_ROOT / "neighbors" / "english_neighbors.json"


def train(config: str, directory: Path, **overrides) -> None:
    train_config(config, directory, json.dumps({**SMALL, **overrides}))


def encoder_weights(model: torch.nn.Module, prefix: str = ENCODER) -> Dict[str, torch.Tensor]:
    return {
        name[len(prefix) :]: value.detach().clone()
        for name, value in model.state_dict().items()
        if name.startswith(prefix)
    }


def config_error(config: Path) -> str:
    """The one line a config's jsonnet error ends a command with."""
    with pytest.raises(RuntimeError) as caught:
        Params.from_file(str(config))
    return str(translate_known_error(caught.value))


def evaluate_predict_report(archive: Path, directory: Path) -> Dict[str, object]:
    """`allennlp evaluate`, `predict` and `xtreme-report` on PAWS-X with the archive."""
    scores = directory / "test-de.json"
    run_allennlp(
        "evaluate", str(archive), str(XTREME_DATA / "pawsx" / "test-de.tsv"),
        "--output-file", str(scores),
    )  # fmt: skip
    assert 0.0 <= json.loads(scores.read_text())["accuracy"] <= 1.0
    predictions = directory / "predictions.jsonl"
    run_allennlp(
        "predict", str(archive), str(DATA_ROOT / "pawsx_pairs.jsonl"),
        "--output-file", str(predictions), "--silent",
    )  # fmt: skip
    lines = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert lines and all(
        line["label"] in ("0", "1") and set(line["probs"]) == {"0", "1"} for line in lines
    )
    report = directory / "report"
    run_allennlp("xtreme-report", str(archive), str(XTREME_DATA), "--output-dir", str(report))
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["task"] == "pawsx" and metrics["source_languages"] == ["en"]
    assert sorted(metrics["languages"]) == ["de", "en", "fr", "ja", "zh"]
    assert sorted(path.name for path in (report / "per_example").iterdir()) == [
        "de.jsonl", "en.jsonl", "fr.jsonl", "ja.jsonl", "zh.jsonl",
    ]  # fmt: skip
    return metrics


@pytest.fixture(scope="module")
def mnli_archive(tiny_xlmr: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The intermediate task, English MNLI (XNLI's train-en), trained once for this module."""
    serialization_dir = tmp_path_factory.mktemp("mnli") / "run"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
        env.setenv("XLT_TRANSFORMER_DIM", "32")
        env.setenv("XLT_DATA_DIR", str(XTREME_DATA))
        run_allennlp(
            "train", str(CONFIGS_ROOT / "xnli_baseline.jsonnet"), "-s", str(serialization_dir),
            "-o", json.dumps({**SMALL, "data_loader.batch_sampler.batch_size": 8}),
        )  # fmt: skip
    return serialization_dir / "model.tar.gz"


class TestSequential(AllenNlpTestCase):
    def test_pawsx_from_the_encoder_of_the_mnli_archive(
        self, monkeypatch: pytest.MonkeyPatch, mnli_archive: Path
    ):
        archive = Path(shutil.copy(mnli_archive, self.TEST_DIR / "mnli.tar.gz"))
        stage_one = encoder_weights(load_archive(str(archive)).model)
        monkeypatch.setenv("XLT_INTERMEDIATE_ARCHIVE", str(archive))
        params = Params.from_file(str(CONFIGS_ROOT / "pawsx_intermediate_sequential_adv.jsonnet"))
        start = Model.from_params(vocab=Vocabulary(), params=params.pop("model"))
        assert encoder_weights(start).keys() == stage_one.keys()
        assert all(
            torch.equal(value, stage_one[name]) for name, value in encoder_weights(start).items()
        )
        assert all(parameter.requires_grad for parameter in start.parameters())

        # With a zero learning rate the encoder stays MNLI's; the head is PAWS-X's own.
        run = self.TEST_DIR / "pawsx"
        train(
            "pawsx_intermediate_sequential_adv", run,
            **{"data_loader.batch_sampler.batch_size": 8, "trainer.optimizer.lr": 0.0},
        )  # fmt: skip
        config = json.loads((run / "config.json").read_text())
        assert config["model"]["text_field_embedder"]["_pretrained"]["archive_file"] == str(archive)
        assert config["trainer"]["callbacks"][0]["type"] == "adversarial_training"
        shutil.move(str(archive), str(self.TEST_DIR / "elsewhere.tar.gz"))  # not needed any more
        model = load_archive(str(run / "model.tar.gz")).model
        assert all(
            torch.equal(value, stage_one[name]) for name, value in encoder_weights(model).items()
        )
        assert model._classification_layer.out_features == 2
        evaluate_predict_report(run / "model.tar.gz", self.TEST_DIR)

    def test_bad_settings_are_one_line(
        self, monkeypatch: pytest.MonkeyPatch, tiny_bert: Path, mnli_archive: Path
    ):
        config = CONFIGS_ROOT / "pawsx_intermediate_sequential_baseline.jsonnet"
        monkeypatch.setenv("XLT_INTERMEDIATE_ARCHIVE", "")
        assert config_error(config) == (
            f"{config}:7: XLT_INTERMEDIATE_ARCHIVE must name the model.tar.gz of the intermediate"
            " task (e.g. of xnli_baseline.jsonnet): the sequential configs start from its encoder"
        )
        # An archive of another encoder than the one the readers tokenize for.
        monkeypatch.setenv("XLT_INTERMEDIATE_ARCHIVE", str(mnli_archive))
        monkeypatch.setenv("XLT_TRANSFORMER", str(tiny_bert))
        with pytest.raises(
            RobustXltError, match="xtreme_pair_classifier: the encoder is the transformer"
        ):
            train("pawsx_intermediate_sequential_baseline", self.TEST_DIR / "mismatch")


def test_a_config_error_ends_train_in_one_line_and_leaves_no_run(tmp_path: Path):
    """In a real process: the sequential config without XLT_INTERMEDIATE_ARCHIVE."""
    config = CONFIGS_ROOT / "pawsx_intermediate_sequential_baseline.jsonnet"
    completed = subprocess.run(
        [sys.executable, "-m", "allennlp_robust_xlt", "train", str(config), "-s", str(tmp_path / "run")],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "XLT_INTERMEDIATE_ARCHIVE": ""},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert completed.returncode != 0
    last = [line for line in completed.stderr.splitlines() if line.strip()][-1]
    assert last == (
        f"error: {config}:7: XLT_INTERMEDIATE_ARCHIVE must name the model.tar.gz of the"
        " intermediate task (e.g. of xnli_baseline.jsonnet): the sequential configs start from its"
        " encoder"
    ), completed.stderr[-2000:]
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "run").exists()


def pair_texts(task: str) -> Counter:
    rows = (XTREME_DATA / task / "train-en.tsv").read_text(encoding="utf-8").splitlines()
    return Counter(tuple(row.split("\t")[:2]) for row in rows)


class TestJoint(AllenNlpTestCase):
    def test_pawsx_with_mnli_and_its_archive_serves_pawsx(self):
        run = self.TEST_DIR / "joint"
        callbacks = [
            {"type": "adversarial_training"},
            {"type": "test_batch_log"},
            {"type": "rng_state"},
        ]
        train(
            "pawsx_intermediate_joint_adv", run,
            **{"data_loader.scheduler.batch_size": 8, "trainer.callbacks": callbacks},
        )  # fmt: skip
        config = json.loads((run / "config.json").read_text())
        assert config["train_data_path"] == {
            "pawsx": f"{XTREME_DATA}/pawsx/train-en.tsv",
            "xnli": f"{XTREME_DATA}/xnli/train-en.tsv",
        }
        assert config["validation_data_path"] == f"{XTREME_DATA}/pawsx/dev-en.tsv"
        # Every training pair of both tasks, once; the batches mix the two.
        batches = [json.loads(line) for line in (run / "batches_w0.jsonl").read_text().splitlines()]
        seen = Counter((m["premise"], m["hypothesis"]) for b in batches for m in b["metadata"])
        assert seen == pair_texts("pawsx") + pair_texts("xnli")
        xnli = set(pair_texts("xnli"))
        first = [(m["premise"], m["hypothesis"]) in xnli for m in batches[0]["metadata"]]
        assert first == [False, True] * 4
        metrics = json.loads((run / "metrics.json").read_text())
        assert {"training_accuracy", "training_xnli_accuracy", "validation_accuracy"} <= set(
            metrics
        )
        assert "validation_xnli_accuracy" not in metrics  # selection on PAWS-X English dev alone
        vocab = load_archive(str(run / "model.tar.gz")).model.vocab
        assert vocab.get_token_to_index_vocabulary("pawsx_labels").keys() == {"0", "1"}
        assert vocab.get_token_to_index_vocabulary("xnli_labels").keys() == {
            "entailment", "neutral", "contradiction",
        }  # fmt: skip
        evaluate_predict_report(run / "model.tar.gz", self.TEST_DIR)

    def test_rs_da_wraps_both_tasks_readers(self, monkeypatch: pytest.MonkeyPatch):
        config = self.TEST_DIR / "joint_rs_da.jsonnet"
        config.write_text(
            f"local xtreme = import '{CONFIGS_ROOT}/xtreme.libsonnet';\n"
            "xtreme.joint(xtreme.rs_da('pawsx'), 'pawsx')\n"
        )
        readers = Params.from_file(str(config)).as_dict()["dataset_reader"]["readers"]
        assert {
            key: (r["type"], r["base_reader"]["type"], r["copies"]) for key, r in readers.items()
        } == {
            "pawsx": ("randomized_smoothing", "xtreme_pawsx", 10),
            "xnli": ("randomized_smoothing", "xtreme_xnli", 3),
        }
        run = self.TEST_DIR / "run"
        overrides = {
            **SMALL,
            "data_loader.scheduler.batch_size": 16,
            "dataset_reader.readers.pawsx.neighbors": str(NEIGHBORS),
            "dataset_reader.readers.pawsx.copies": 2,
            "dataset_reader.readers.xnli.neighbors": str(NEIGHBORS),
            "dataset_reader.readers.xnli.copies": 2,
        }
        run_allennlp("train", str(config), "-s", str(run), "-o", json.dumps(overrides))
        assert (run / "model.tar.gz").exists()

    @pytest.mark.parametrize(
        "task, message",
        [
            ("nli", f"XLT_INTERMEDIATE_TASK: unknown task nli; known: {' '.join(sorted(TASKS))}"),
            ("pawsx", "the intermediate task must differ from the target task pawsx"),
            (
                "siqa",
                "siqa is a mc task, which has no multitask head yet; joint training takes a"
                " task of the families classification pair_classification",
            ),
        ],
    )
    def test_bad_intermediate_tasks_are_one_line(
        self, monkeypatch: pytest.MonkeyPatch, task, message
    ):
        monkeypatch.setenv("XLT_INTERMEDIATE_TASK", task)
        config = CONFIGS_ROOT / "pawsx_intermediate_joint_baseline.jsonnet"
        assert config_error(config).endswith(message)
