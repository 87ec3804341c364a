"""`training_configs/squad_{baseline,adv,rs_rp,rs_da}.jsonnet` end to end on the tiny model."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allennlp.common import Params

from allennlp_robust_xlt.tasks import TASKS
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, FIXTURES_ROOT, PROJECT_ROOT, XTREME_DATA
from tests.rc.conftest import small_qa_overrides


def test_the_baseline_trains_and_selects_on_squad_dev_f1(squad_run: Path):
    metrics = json.loads((squad_run / "metrics.json").read_text())
    assert metrics["epoch"] == 1
    assert 0.0 <= metrics["best_validation_f1"] <= 1.0
    assert 0.0 <= metrics["best_validation_exact_match"] <= metrics["best_validation_f1"]
    config = json.loads((squad_run / "config.json").read_text())
    assert config["train_data_path"].endswith("squad/train-v1.1.json")
    assert config["validation_data_path"].endswith("squad/dev-v1.1.json")
    assert config["trainer"]["validation_metric"] == "+f1"


def test_configs_have_xtremes_qa_settings():
    params = Params.from_file(str(CONFIGS_ROOT / "squad_baseline.jsonnet")).as_dict()
    training = TASKS["squad"].training
    assert params["dataset_reader"] == {
        "type": "xtreme_squad",
        "transformer_model_name": params["model"]["text_field_embedder"]["token_embedders"][
            "tokens"
        ]["model_name"],
        "max_length": 384,
        "doc_stride": 128,
        "max_query_length": 64,
    }
    trainer = params["trainer"]
    assert trainer["optimizer"]["lr"] == training["learning_rate"] == 3e-5
    assert trainer["optimizer"]["weight_decay"] == 1e-4
    assert trainer["optimizer"]["parameter_groups"] == [
        [["bias", "LayerNorm\\.weight"], {"weight_decay": 0.0}]
    ]
    assert trainer["learning_rate_scheduler"]["warmup_steps"] == 500
    assert trainer["num_epochs"] == 3
    assert params["data_loader"]["batch_sampler"]["batch_size"] == 4
    assert trainer["num_gradient_accumulation_steps"] == 8


@pytest.mark.parametrize(
    "config, callback",
    [("adv", "adversarial_training"), ("rs_rp", "random_perturbation"), ("rs_da", None)],
)
def test_robust_configs_train_end_to_end(tmp_path: Path, config: str, callback: str):
    overrides = small_qa_overrides()
    if config == "rs_da":
        overrides = small_qa_overrides(
            "dataset_reader.base_reader",
            **{
                "dataset_reader.neighbors": str(
                    FIXTURES_ROOT / "neighbors" / "english_neighbors.json"
                ),
                "dataset_reader.copies": 2,
            },
        )
        for key, value in small_qa_overrides("validation_dataset_reader").items():
            overrides.setdefault(key, value)
    run_allennlp(
        "train", str(CONFIGS_ROOT / f"squad_{config}.jsonnet"), "-s", str(tmp_path / "run"),
        "-o", json.dumps(overrides),
    )  # fmt: skip
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert 0.0 <= metrics["validation_f1"] <= 1.0
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    callbacks = [entry["type"] for entry in saved["trainer"]["callbacks"]]
    assert callbacks == ([callback] if callback else []) + ["tensorboard", "rng_state"]
    if config == "rs_da":
        assert saved["dataset_reader"]["type"] == "randomized_smoothing"
        assert saved["validation_dataset_reader"]["type"] == "xtreme_squad"


@pytest.mark.slow
def test_a_bad_training_file_ends_training_in_one_line(tmp_path: Path):
    """Through the real command line: one line naming the file and question, no run left."""
    document = json.loads((XTREME_DATA / "squad" / "train-v1.1.json").read_text())
    document["data"][0]["paragraphs"][0]["qas"][1]["answers"][0]["answer_start"] = 0
    bad = tmp_path / "train-v1.1.json"
    bad.write_text(json.dumps(document))
    run = tmp_path / "run"
    completed = subprocess.run(
        [
            sys.executable, "-m", "allennlp_robust_xlt", "train",
            str(CONFIGS_ROOT / "squad_baseline.jsonnet"), "-s", str(run),
            "-o", json.dumps(small_qa_overrides(train_data_path=str(bad))),
        ],
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert completed.returncode != 0
    assert (
        completed.stderr.strip()
        .splitlines()[-1]
        .endswith(
            f"error: {bad}: question sq-t2: answer_start 0 does not point at the answer '1870' (the"
            " context has 'The ' there)"
        )
    )
    assert "Traceback" not in completed.stderr and not run.exists()
