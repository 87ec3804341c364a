"""
The configs of `allennlp tune` (allennlp-optuna) in `training_configs/tuning/`: each method's
searched parameters reach its callback, and the fixed settings and overrides apply.
"""

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest
from allennlp.common import Params
from allennlp.training.callbacks.callback import TrainerCallback

from tests import CONFIGS_ROOT

TUNING = CONFIGS_ROOT / "tuning"
METHODS = [
    "pgd",
    "fgm",
    "freelb",
    "free",
    "fast",
    "rs_rp",
    "pgd_relative",
    "rs_rp_relative",
    "r3f",
    "smart",
]
# A value inside each search space's range, for every name a space defines.
SAMPLES = {
    "epsilon": 0.2,
    "alpha_fraction": 0.5,
    "steps": 2,
    "replays": 3,
    "scale": 0.01,
    "kl_weight": 2.0,
}
# Where a method's range needs another value.
METHOD_SAMPLES = {"smart": {"epsilon": 0.05}}


def sample(method: str, name: str) -> float:
    return METHOD_SAMPLES.get(method, {}).get(name, SAMPLES[name])


def search_space(method: str) -> Dict[str, Dict[str, Any]]:
    space = json.loads((TUNING / f"{method}.json").read_text())
    return {entry["attributes"]["name"]: entry for entry in space}


def tuned_params(method: str, monkeypatch: pytest.MonkeyPatch, **environment: str) -> Params:
    """The config as Optuna's executor evaluates it: the trial's values as external variables."""
    for name in search_space(method):
        monkeypatch.setenv(name, str(sample(method, name)))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Params.from_file(str(TUNING / f"{method}.jsonnet"))


@pytest.mark.parametrize("method", METHODS)
def test_each_trial_sets_the_methods_callback(method: str, monkeypatch, tmp_path: Path):
    space = search_space(method)
    for entry in space.values():
        low, high = entry["attributes"]["low"], entry["attributes"]["high"]
        assert low <= sample(method, entry["attributes"]["name"]) <= high
    params = tuned_params(
        method,
        monkeypatch,
        XLT_TASK="pawsx",
        XLT_TUNE_OVERRIDES=json.dumps(
            {"trainer.num_epochs": 2, "data_loader.batch_sampler.batch_size": 8}
        ),
    )
    config = params.as_dict()
    assert "pawsx" in config["train_data_path"] and config["trainer"]["num_epochs"] == 2
    assert config["data_loader"]["batch_sampler"] == {
        "type": "bucket",
        "batch_size": 8,
        "sorting_keys": ["tokens"],
    }
    callbacks = config["trainer"]["callbacks"]
    assert [c["type"] for c in callbacks[1:]] == ["tensorboard", "rng_state"]
    callback = TrainerCallback.from_params(Params(callbacks[0]), serialization_dir=str(tmp_path))
    relative = method.endswith("_relative")
    assert callback.relative_to == ("embedding_norm" if relative else "absolute")
    method = method[: -len("_relative")] if relative else method
    if method == "rs_rp":
        assert callback.scale == SAMPLES["scale"]
        return
    assert callback.method == method and callback.epsilon == sample(method, "epsilon")
    if method == "fast":
        assert callback.alpha == pytest.approx(1.25 * SAMPLES["epsilon"])
    if "alpha_fraction" in space:
        assert callback.alpha == pytest.approx(SAMPLES["epsilon"] * SAMPLES["alpha_fraction"])
    if "steps" in space:
        assert callback.steps == SAMPLES["steps"]
    if "replays" in space:
        assert callback.replays == SAMPLES["replays"]
    if "kl_weight" in space:
        assert callback.adversarial_method.kl_weight == SAMPLES["kl_weight"]
    if method == "smart":  # one step to the L-inf boundary
        assert callback.alpha == callback.epsilon


def test_fixed_callback_settings_and_the_default_task(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("XLT_TASK", raising=False)
    import allennlp_robust_xlt.common.config_env as config_env

    config_env.apply_config_env_defaults()
    params = tuned_params(
        "pgd", monkeypatch, XLT_TUNE_CALLBACK=json.dumps({"warmup_steps": 5, "steps": 1})
    )
    config = params.as_dict()
    assert "xnli" in config["train_data_path"]
    callback = config["trainer"]["callbacks"][0]
    assert callback["warmup_steps"] == 5 and callback["steps"] == 1
    assert os.environ["XLT_TUNE_OVERRIDES"] == "{}"
