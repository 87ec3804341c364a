"""
`examples/demo/tune_demo.py`: its grids lie inside the project's search spaces, its studies are
the project's tuning configs with the demo's settings, and it chooses the best English dev.
"""

import importlib.util
import json
import sys

import optuna
import pytest
from allennlp.common import Params

from tests import PROJECT_ROOT

PATH = PROJECT_ROOT / "examples" / "demo" / "tune_demo.py"


def load_tuner():
    spec = importlib.util.spec_from_file_location("tune_demo", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["tune_demo"] = module
    spec.loader.exec_module(module)
    return module


tuner = load_tuner()
demo = tuner.run_demo


def test_points_enumerate_the_grid_weakest_first():
    assert tuner.points({"epsilon": [1, 2], "kl_weight": [3, 4]}) == [
        {"epsilon": 1, "kl_weight": 3},
        {"epsilon": 1, "kl_weight": 4},
        {"epsilon": 2, "kl_weight": 3},
        {"epsilon": 2, "kl_weight": 4},
    ]


@pytest.mark.parametrize("study", list(tuner.GRIDS))
def test_every_grid_point_lies_in_the_projects_search_space(study):
    space = json.loads((tuner.TUNING / f"{study}.json").read_text())
    bounds = {item["attributes"]["name"]: item["attributes"] for item in space}
    assert set(tuner.GRIDS[study]) == set(bounds)
    for name, values in tuner.GRIDS[study].items():
        assert all(bounds[name]["low"] <= v <= bounds[name]["high"] for v in values), name
        assert values == sorted(values)


@pytest.mark.parametrize("task", list(demo.SIZES))
def test_a_study_trains_the_tuning_config_with_the_demos_settings(task, tmp_path, monkeypatch):
    command, environment, directory = tuner.study_job(
        task, "smart", tuner.GRIDS["smart"], tmp_path, 12, 1000
    )
    assert command[:3] == [
        "tune",
        str(tuner.TUNING / "smart.jsonnet"),
        str(tuner.TUNING / "smart.json"),
    ]
    assert command[command.index("--n-trials") + 1] == "4"
    metric = "best_validation_accuracy" if task == "pawsx" else "best_validation_f1"
    assert command[command.index("--metrics") + 1] == metric
    sampler = json.loads((directory / "grid.json").read_text())["sampler"]
    assert sampler == {"type": "GridSampler", "attributes": tuner.GRIDS["smart"]}
    # The config a trial trains: the task's SMART config, the point, the demo's overrides.
    for name, value in {**environment, "epsilon": "0.02", "kl_weight": "3.0"}.items():
        monkeypatch.setenv(name, value)
    params = Params.from_file(str(tuner.TUNING / "smart.jsonnet")).as_dict()
    callback = params["trainer"]["callbacks"][0]
    assert (callback["method"], callback["epsilon"], callback["alpha"]) == ("smart", 0.02, 0.02)
    assert callback["kl_weight"] == 3.0
    assert callback["warmup_steps"] == demo.warmup_steps(task, 1000, 12)
    assert params["trainer"]["num_epochs"] == 12
    assert params["trainer"]["optimizer"]["lr"] == demo.LEARNING_RATE
    assert params["random_seed"] == 0
    assert params["dataset_reader"]["type"].startswith("xtreme_")


def test_the_best_english_dev_is_chosen_and_a_tie_goes_to_the_weakest(tmp_path):
    grid = {"epsilon": [0.05, 0.1, 0.2], "alpha_fraction": [0.5]}
    (tmp_path / "grid.json").write_text(json.dumps({"sampler": {"attributes": grid}}))
    study = optuna.create_study(
        study_name="demo-pawsx-pgd", storage=f"sqlite:///{tmp_path / 'study.db'}"
    )
    distributions = {
        "epsilon": optuna.distributions.LogUniformDistribution(0.01, 1.0),
        "alpha_fraction": optuna.distributions.UniformDistribution(0.25, 1.0),
    }
    for epsilon, dev in ((0.2, 0.8), (0.05, 0.7), (0.1, 0.8)):
        study.add_trial(
            optuna.trial.create_trial(
                params={"epsilon": epsilon, "alpha_fraction": 0.5},
                distributions=distributions,
                value=dev,
            )
        )
    result = tuner.read_study(tmp_path, "pawsx", "pgd")
    assert result["chosen"] == {"epsilon": 0.1, "alpha_fraction": 0.5}
    assert [t["params"]["epsilon"] for t in result["trials"]] == [0.05, 0.1, 0.2]
