"""
The R3F and SMART configs (`training_configs/{xnli,pawsx,udpos,panx}_{r3f,smart}.jsonnet`): the
`adversarial_training` callback with the consistency method and its paper's settings, over the
task's baseline; two of them train end to end on the tiny model and their archives evaluate.
"""

import io
import json
import tarfile
from pathlib import Path

import pytest
import torch
from allennlp.common import Params
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, XTREME_DATA

TASKS = ["xnli", "pawsx", "udpos", "panx"]


def params(name: str) -> dict:
    return Params.from_file(str(CONFIGS_ROOT / f"{name}.jsonnet")).as_dict()


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("method", ["r3f", "smart"])
def test_the_configs_are_the_baseline_plus_the_method(task: str, method: str, tmp_path: Path):
    config = params(f"{task}_{method}")
    baseline = params(f"{task}_baseline")
    callbacks = config["trainer"].pop("callbacks")
    assert callbacks[1:] == baseline["trainer"].pop("callbacks")
    assert config == baseline
    callback = TrainerCallback.from_params(Params(callbacks[0]), serialization_dir=str(tmp_path))
    method_object = callback.adversarial_method
    assert callback.method == method and method_object.kl_weight == 1.0
    if method == "r3f":
        assert (callback.epsilon, method_object.noise_type) == (1e-5, "uniform")
    else:
        assert (callback.norm, callback.epsilon, callback.alpha, callback.steps) == (
            "linf",
            1e-5,
            1e-3,
            1,
        )
        assert (method_object.proximal_weight, method_object.teacher_momentum) == (1.0, 0.99)


@pytest.mark.parametrize(
    "config, metric, settings",
    [
        ("xnli_r3f", "accuracy", {}),
        ("udpos_smart", "f1", {}),
        ("pawsx_r3f", "accuracy", {"r4f": True}),
    ],
    ids=["xnli_r3f", "udpos_smart", "pawsx_r4f"],
)
def test_the_configs_train_and_the_archive_evaluates(
    config: str, metric: str, settings: dict, tmp_path: Path
):
    task = config.split("_")[0]
    run = tmp_path / "run"
    overrides = {
        "trainer.num_epochs": 1,
        "data_loader.batch_sampler.batch_size": 4,
        "trainer.callbacks.0.epsilon": 0.01,
        **{f"trainer.callbacks.0.{name}": value for name, value in settings.items()},
    }
    run_allennlp(
        "train", str(CONFIGS_ROOT / f"{config}.jsonnet"), "-s", str(run), "-o",
        json.dumps(overrides),
    )  # fmt: skip
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["training_consistency_kl"] > 0 and f"validation_{metric}" in metrics
    if config.endswith("smart"):
        assert "training_proximal_kl" in metrics
    output = tmp_path / "evaluation.json"
    run_allennlp(
        "evaluate", str(run / "model.tar.gz"), str(XTREME_DATA / task / "dev-en.tsv"),
        "--output-file", str(output),
    )  # fmt: skip
    assert json.loads(output.read_text())[metric] == pytest.approx(metrics[f"validation_{metric}"])
    if settings.get("r4f"):  # the archive holds the normalised head: spectral norm 1
        with tarfile.open(run / "model.tar.gz") as tar:
            weights = torch.load(io.BytesIO(tar.extractfile("weights.th").read()))
        for name in ("_classification_layer.weight", "_feedforward._linear_layers.0.weight"):
            norm = torch.linalg.matrix_norm(weights[name].float(), ord=2)
            assert float(norm) == pytest.approx(1.0, abs=0.05), name
