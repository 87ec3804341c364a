"""
Checkpoint averaging (`average-checkpoints`, `training/checkpoint_averaging.py`) end to end on
the tiny model: the averaged weights are the mean of the checkpoints, and the archive
evaluates, predicts and reports like any other. Also AllenNLP's `moving_average` in the shared
configs (XLT_MOVING_AVERAGE).
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from allennlp.common import Params
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.testing.cli import run_allennlp
from allennlp_robust_xlt.training.checkpoint_averaging import average_checkpoints, run_checkpoints
from tests import CONFIGS_ROOT, PROJECT_ROOT, XTREME_DATA
from tests.reliability.helpers import train
from tests.training_configs.intermediate_test import config_error, evaluate_predict_report


def overrides(seed: int = 7, epochs: int = 3, **more: object) -> str:
    return json.dumps(
        {
            "trainer.num_epochs": epochs,
            "data_loader.batch_sampler.batch_size": 8,
            "trainer.num_gradient_accumulation_steps": 1,
            "trainer.optimizer.lr": 1e-3,
            "trainer.checkpointer.keep_most_recent_by_count": None,
            "random_seed": seed,
            "numpy_seed": seed,
            "pytorch_seed": seed,
            **more,
        }
    )


@pytest.fixture(scope="module")
def runs(tiny_xlmr: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """Two seeds of PAWS-X's baseline (every checkpoint kept) and a run with another learning rate."""
    root = tmp_path_factory.mktemp("averaging")
    made = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
        patch.setenv("XLT_TRANSFORMER_DIM", "32")
        patch.setenv("XLT_DATA_DIR", str(XTREME_DATA))
        for name, options in {
            "seed1": overrides(1),
            "seed2": overrides(2),
            "other_lr": overrides(3, **{"trainer.optimizer.lr": 1e-4}),
        }.items():
            train("pawsx_baseline", root / name, options)
            made[name] = root / name
    return made


def state(path: Path) -> Dict[str, torch.Tensor]:
    return torch.load(str(path), map_location="cpu")


def archived_weights(archive: Path, directory: Path) -> Dict[str, torch.Tensor]:
    with tarfile.open(archive) as opened:
        opened.extract("weights.th", directory)
    return state(directory / "weights.th")


def assert_mean(averaged: Dict[str, torch.Tensor], paths: List[Path]) -> None:
    states = [state(path) for path in paths]
    assert set(averaged) == set(states[0])
    floats = 0
    for key, tensor in averaged.items():
        if tensor.is_floating_point():
            floats += 1
            mean = torch.stack([s[key].double() for s in states]).mean(0)
            assert torch.allclose(tensor.double(), mean, atol=1e-6, rtol=0), key
        else:
            assert torch.equal(tensor, states[0][key])
    assert floats > 10
    # The checkpoints differ, so the average is none of them.
    assert any(not torch.equal(states[0][k], states[-1][k]) for k in averaged)


def test_last_k_checkpoints_of_a_run_average_to_the_mean_and_the_archive_works(
    runs: Dict[str, Path], tmp_path: Path
):
    run = runs["seed1"]
    checkpoints = run_checkpoints(run)
    assert [path.name for path in checkpoints] == [
        "model_state_e1_b0.th", "model_state_e2_b0.th", "model_state_e3_b0.th",
    ]  # fmt: skip
    output = tmp_path / "last2.tar.gz"
    run_allennlp("average-checkpoints", str(run), "--last", "2", "--output", str(output))
    assert_mean(archived_weights(output, tmp_path / "extracted"), checkpoints[-2:])
    # The archive loads, predicts, evaluates and reports as any other.
    predictor = Predictor.from_archive(load_archive(str(output)))
    prediction = predictor.predict_json({"premise": "Das ist gut.", "hypothesis": "Gut ist das."})
    assert prediction["label"] in ("0", "1")
    evaluate_predict_report(output, tmp_path)
    # An existing output is not replaced unless asked.
    with pytest.raises(ParameterError, match="exists; pass --force"):
        average_checkpoints([str(run)], str(output), last=2)
    before = output.stat().st_mtime_ns
    average_checkpoints([str(run)], str(output), last=3, force=True)
    assert output.stat().st_mtime_ns != before


def test_runs_of_one_config_average_their_selected_models(runs: Dict[str, Path], tmp_path: Path):
    output = tmp_path / "seeds.tar.gz"
    shown = average_checkpoints(
        [str(runs["seed1"]), str(runs["seed2"] / "model.tar.gz")], str(output)
    )
    assert shown == [
        str(runs["seed1"] / "best.th"), f"{runs['seed2'] / 'model.tar.gz'} (weights.th)",
    ]  # fmt: skip
    assert_mean(
        archived_weights(output, tmp_path / "extracted"),
        [runs["seed1"] / "best.th", runs["seed2"] / "best.th"],
    )
    assert Predictor.from_archive(load_archive(str(output))) is not None


def test_the_last_checkpoints_of_several_runs(runs: Dict[str, Path], tmp_path: Path):
    output = tmp_path / "both.tar.gz"
    shown = average_checkpoints([str(runs["seed1"]), str(runs["seed2"])], str(output), last=2)
    paths = run_checkpoints(runs["seed1"])[-2:] + run_checkpoints(runs["seed2"])[-2:]
    assert shown == [str(path) for path in paths]
    assert_mean(archived_weights(output, tmp_path / "extracted"), paths)


def test_bad_input_is_one_line(runs: Dict[str, Path], tmp_path: Path):
    output = str(tmp_path / "out.tar.gz")
    with pytest.raises(InputFileError) as caught:
        average_checkpoints([str(runs["seed1"]), str(runs["other_lr"])], output)
    assert str(caught.value) == (
        f"{runs['other_lr']}: its config differs from {runs['seed1']}'s at "
        "'trainer.optimizer.lr' (0.0001 vs 0.001): only runs of one config that differ in their "
        "seeds are averaged"
    )
    with pytest.raises(
        InputFileError, match="has 3 model_state checkpoint\\(s\\), --last asks for 4"
    ):
        average_checkpoints([str(runs["seed2"])], output, last=4)
    with pytest.raises(ParameterError, match="names one run: pass --last K"):
        average_checkpoints([str(runs["seed1"])], output)
    with pytest.raises(ParameterError, match="'--last' needs serialization directories"):
        average_checkpoints([str(runs["seed1"] / "model.tar.gz")], output, last=1)
    with pytest.raises(InputFileError, match="not found"):
        average_checkpoints([str(tmp_path / "nothing"), str(runs["seed1"])], output)
    odd = tmp_path / "odd"
    shutil.copytree(runs["seed2"], odd)
    labels = odd / "vocabulary" / "labels.txt"
    labels.write_text("".join(reversed(labels.read_text().splitlines(True))))
    with pytest.raises(InputFileError, match="its vocabulary differs"):
        average_checkpoints([str(runs["seed1"]), str(odd)], output)
    assert not Path(output).exists()


def test_moving_average_from_the_environment_builds_and_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    config = CONFIGS_ROOT / "pawsx_adv.jsonnet"
    monkeypatch.setenv("XLT_MOVING_AVERAGE", "0.9")
    params = Params.from_file(str(config)).as_dict()
    assert params["trainer"]["moving_average"] == {"type": "exponential", "decay": 0.9}
    run = tmp_path / "ema"
    train("pawsx_adv", run, json.dumps({"trainer.num_epochs": 1}))
    assert (
        json.loads((run / "config.json").read_text())["trainer"]["moving_average"]["decay"] == 0.9
    )
    assert (run / "model.tar.gz").is_file()
    monkeypatch.setenv("XLT_MOVING_AVERAGE", "")
    assert "moving_average" not in Params.from_file(str(config)).as_dict()["trainer"]
    monkeypatch.setenv("XLT_MOVING_AVERAGE", "1.5")
    assert "XLT_MOVING_AVERAGE: the decay must be a number in (0, 1), got 1.5" in config_error(
        config
    )


@pytest.mark.parametrize("entry", ["python -m allennlp_robust_xlt", "allennlp"])
def test_the_command_is_found_by_both_entry_points(entry: str):
    """`allennlp` finds it through the repository's `.allennlp_plugins` (run from its root)."""
    program = (
        [sys.executable, "-m", "allennlp_robust_xlt"]
        if entry != "allennlp"
        else [str(Path(sys.executable).parent / "allennlp")]
    )
    completed = subprocess.run(
        [*program, "average-checkpoints", "--help"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "--last" in completed.stdout
