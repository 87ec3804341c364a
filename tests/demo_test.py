"""The demo's method table, tuning command and tables (the full demo is `make demo`; the
benchmark's own test, which trains, is in tests/data/synthetic_xlt_test.py)."""

import json
import math

import pytest
from allennlp.common import Params
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt import demo
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from allennlp_robust_xlt.training.callbacks.random_perturbation import RandomPerturbationCallback


def config_with_overrides(method: str, size=None) -> Params:
    return Params.from_file(
        str(demo.CONFIGS / demo.METHODS[method].config),
        json.dumps(demo._overrides(method, 3, size)),
    )


class TestMethods:
    def test_every_method_config_takes_the_demo_size_and_seed(self):
        for method in demo.METHODS:
            params = config_with_overrides(method).as_flat_dict()
            assert params["random_seed"] == params["numpy_seed"] == params["pytorch_seed"] == 3
            assert params["trainer.num_epochs"] == (5 if method == "RS-DA" else 20)
            assert params["data_loader.batch_sampler.batch_size"] == 32

    def test_adversarial_size_is_epsilon_with_half_steps_after_a_warm_up(self, tmp_path):
        params = config_with_overrides("adversarial (PGD)", size=0.2)
        callback = TrainerCallback.from_params(
            params["trainer"]["callbacks"][0], serialization_dir=str(tmp_path)
        )
        assert isinstance(callback, AdversarialTrainingCallback)
        assert (callback.method, callback.epsilon, callback.alpha, callback.warmup_steps) == (
            "pgd",
            0.2,
            0.1,
            demo.WARMUP_STEPS,
        )
        default = config_with_overrides("adversarial (PGD)")["trainer"]["callbacks"][0]
        assert default["epsilon"] == demo.METHODS["adversarial (PGD)"].size

    def test_rs_rp_size_is_the_noise_norm_per_word(self, tmp_path):
        params = config_with_overrides("RS-RP", size=1.0)
        callback = TrainerCallback.from_params(
            params["trainer"]["callbacks"][0], serialization_dir=str(tmp_path)
        )
        assert isinstance(callback, RandomPerturbationCallback)
        assert callback.scale * math.sqrt(demo.EMBEDDING_DIM) == pytest.approx(1.0)


class TestTables:
    def test_results_table_averages_target_languages_per_seed(self):
        misalignment = {"en": 0.0, "qaa": 0.0, "qab": 1.0}
        scores = {
            "baseline": {"en": [0.9, 0.8], "qaa": [0.9, 0.8], "qab": [0.5, 0.6]},
            "RS-RP": {"en": [0.8, 0.8], "qaa": [0.8, 0.8], "qab": [0.7, 0.7]},
        }
        table = demo.results_table(scores, misalignment, 2)
        assert "| **target average** | | **70.0 ± 0.0** | **75.0 ± 0.0** |" in table
        assert "| difference from baseline | | 0.0 ± 0.0 | 5.0 ± 0.0 |" in table
