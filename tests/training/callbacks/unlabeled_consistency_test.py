"""
The `unlabeled_consistency` callback through `allennlp train` on the tiny model: unlabelled
target-language batches (tests/fixtures/data/unlabeled: the fixture test files without their
labels, which is fine for a test and transductive in a real experiment) go to a label-free
objective's `unlabeled_consistency`, never to a supervised loss; the term is backpropagated;
model selection stays on English dev; bad input is one line.

The objective here is a test-only stand-in (`test_label_free`, below): the symmetric KL between
two dropout passes of the unlabelled batch, with the interface a label-free method implements.
"""

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
import torch
from allennlp.common import Params
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, DATA_ROOT, XTREME_DATA
from tests.training_configs.intermediate_test import config_error

UNLABELED = DATA_ROOT / "unlabeled"
SEEN: List[Dict[str, Any]] = []


@TrainerCallback.register("test_label_free")
class LabelFreeStandIn(TrainerCallback):
    """Registered as "test_label_free": a label-free objective's interface, for these tests."""

    def unlabeled_consistency(self, trainer: Any, batch: Dict[str, Any]) -> torch.Tensor:
        SEEN.append(
            {
                "keys": sorted(batch),
                "languages": [m["language"] for m in batch["metadata"]],
                "rows": len(batch["metadata"]),
            }
        )
        model = trainer._pytorch_model
        first, second = model(**batch), model(**batch)
        assert "loss" not in first  # no label, no supervised loss
        p = torch.log_softmax(first["logits"].float(), dim=-1)
        q = torch.log_softmax(second["logits"].float(), dim=-1)
        return ((p.exp() - q.exp()) * (p - q)).sum(-1).mean()


def write_config(directory: Path, task: str, method: str = "{type: 'test_label_free'}") -> Path:
    config = directory / f"{task}_unlabeled.jsonnet"
    config.write_text(
        f"local xtreme = import '{CONFIGS_ROOT}/xtreme.libsonnet';\n"
        f"local base = xtreme.baseline('{task}');\n"
        f"xtreme.unlabeled(base + {{ trainer+: {{ callbacks: [{method}] + super.callbacks }} }},"
        f" '{task}')\n"
    )
    return config


def train(config: Path, run: Path, **overrides: Any) -> Dict[str, Any]:
    SEEN.clear()
    options = {
        "trainer.num_epochs": 1,
        "trainer.num_gradient_accumulation_steps": 1,
        "data_loader.batch_sampler.batch_size": 8,
        "trainer.callbacks.1.batch_size": 4,
        **overrides,
    }
    run_allennlp("train", str(config), "-s", str(run), "-o", json.dumps(options))
    return json.loads((run / "metrics.json").read_text())


@pytest.mark.parametrize("task", ["xnli", "udpos"])
def test_unlabelled_batches_reach_the_objective_only(
    task: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    family = "pairs" if task == "xnli" else "tagging"
    monkeypatch.setenv("XLT_UNLABELED_DATA", str(UNLABELED / family))
    config = write_config(tmp_path, task)
    params = Params.from_file(str(config)).as_dict()
    callback = params["trainer"]["callbacks"][1]
    assert callback["type"] == "unlabeled_consistency"
    assert callback["directory"] == str(UNLABELED / family)
    assert callback["reader"] == params["dataset_reader"]  # the task's own reader
    # Model selection stays on English dev.
    assert params["validation_data_path"] == f"{XTREME_DATA}/{task}/dev-en.tsv"
    metrics = train(config, tmp_path / "run")
    steps = 6 if task == "xnli" else 1  # 48 XNLI pairs / 8; UD-POS's English sentences fit one
    assert len(SEEN) >= steps
    languages = {"de", "fr", "zh"} if task == "xnli" else {"de", "fr"}
    assert {language for batch in SEEN for language in batch["languages"]} <= languages
    assert all("label" not in batch["keys"] and "tags" not in batch["keys"] for batch in SEEN)
    assert all(batch["rows"] <= 4 for batch in SEEN)
    assert metrics["training_unlabeled_consistency"] >= 0.0
    assert not any("unlabeled" in key for key in metrics if key.startswith("validation"))


def test_languages_are_chosen_and_the_term_is_backpropagated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XLT_UNLABELED_DATA", str(UNLABELED / "pairs"))
    monkeypatch.setenv("XLT_UNLABELED_LANGUAGES", "zh, de")
    config = write_config(tmp_path, "xnli")
    weights = {}
    for weight in (0.0, 10.0):
        run = tmp_path / f"weight{weight}"
        train(config, run, **{"trainer.callbacks.1.weight": weight})
        assert {language for batch in SEEN for language in batch["languages"]} == {"de", "zh"}
        weights[weight] = torch.load(str(run / "best.th"))
    # The same draws in both runs: only the unlabelled term's gradients tell them apart.
    assert any(not torch.equal(weights[0.0][k], weights[10.0][k]) for k in weights[0.0])


def test_bad_unlabelled_input_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    config = write_config(tmp_path, "xnli")
    monkeypatch.setenv("XLT_UNLABELED_DATA", "")
    assert config_error(config) == (
        f"{config}:3: XLT_UNLABELED_DATA must name a directory of unlabelled target-language"
        " files {lang}.tsv (the task's stripped-test layout)"
    )
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("XLT_UNLABELED_DATA", str(missing))
    with pytest.raises(InputFileError) as caught:
        train(config, tmp_path / "missing")
    assert str(caught.value) == f"{missing}: unlabelled-data directory not found"
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("XLT_UNLABELED_DATA", str(empty))
    with pytest.raises(InputFileError, match="holds no \\{lang\\}.tsv file"):
        train(config, tmp_path / "empty_run")
    monkeypatch.setenv("XLT_UNLABELED_DATA", str(UNLABELED / "pairs"))
    monkeypatch.setenv("XLT_UNLABELED_LANGUAGES", "de,sw")
    with pytest.raises(InputFileError) as caught:
        train(config, tmp_path / "sw")
    assert str(caught.value).startswith(
        f"{UNLABELED / 'pairs' / 'sw.tsv'}: file not found: language 'sw' is listed"
    )
    monkeypatch.setenv("XLT_UNLABELED_LANGUAGES", "")
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    (labelled / "de.tsv").write_bytes((XTREME_DATA / "xnli" / "test-de.tsv").read_bytes())
    monkeypatch.setenv("XLT_UNLABELED_DATA", str(labelled))
    with pytest.raises(InputFileError, match=f"^{labelled / 'de.tsv'}:1: has labels \\(label\\)"):
        train(config, tmp_path / "labelled_run")
    # A method that needs labels cannot use unlabelled data.
    monkeypatch.setenv("XLT_UNLABELED_DATA", str(UNLABELED / "pairs"))
    pgd = write_config(tmp_path, "xnli", "{type: 'adversarial_training', method: 'pgd'}")
    with pytest.raises(ParameterError) as caught:
        train(pgd, tmp_path / "pgd")
    assert str(caught.value) == (
        "unlabeled_consistency: parameter 'directory' gives unlabelled data, but this training"
        " has no label-free objective to use it (adversarial_training method 'pgd' needs"
        " labels): use the adversarial_training methods r3f, smart or vat"
    )
    squad = write_config(tmp_path, "squad")
    assert config_error(squad) == (
        f"{squad}:3: unlabelled inputs: squad is a rc task; they are read for the families"
        " pair_classification tagging"
    )


@pytest.mark.parametrize("task", ["xnli", "pawsx", "udpos", "panx"])
def test_smart_unlabeled_configs_train_smart_on_the_unlabelled_text(
    task: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    family = "pairs" if task in ("xnli", "pawsx") else "tagging"
    monkeypatch.setenv("XLT_UNLABELED_DATA", str(UNLABELED / family))
    config = CONFIGS_ROOT / f"{task}_smart_unlabeled.jsonnet"
    params = Params.from_file(str(config)).as_dict()
    first, second = params["trainer"]["callbacks"][:2]
    assert (first["type"], first["method"]) == ("adversarial_training", "smart")
    assert (
        second["type"] == "unlabeled_consistency" and second["reader"]["type"] == f"xtreme_{task}"
    )
    assert params["validation_data_path"] == f"{XTREME_DATA}/{task}/dev-en.tsv"
    overrides = {} if family == "pairs" else {"data_loader.batch_sampler.batch_size": 4}
    metrics = train(config, tmp_path / "run", **overrides)
    assert metrics["training_unlabeled_consistency"] > 0.0
    assert not any("unlabeled" in key for key in metrics if key.startswith("validation"))


def test_nothing_is_added_in_the_clean_warm_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XLT_UNLABELED_DATA", str(UNLABELED / "pairs"))
    config = CONFIGS_ROOT / "xnli_smart_unlabeled.jsonnet"
    metrics = train(config, tmp_path / "warm", **{"trainer.callbacks.0.warmup_steps": 100})
    assert "training_unlabeled_consistency" not in metrics
    assert "training_loss" in metrics
