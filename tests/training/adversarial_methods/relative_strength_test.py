"""
Strengths relative to the encoder's embedding scale (`relative_to = "embedding_norm"`): the same
setting gives the same perturbation ratio on encoders whose embeddings differ in scale, for the
adversarial methods and for RS-RP's noise.
"""

import math
from pathlib import Path
from typing import Any, Dict

import pytest
import torch
from allennlp.common.testing import AllenNlpTestCase

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.embedding_scale import mean_word_embedding_norm
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from allennlp_robust_xlt.training.callbacks.random_perturbation import RandomPerturbationCallback
from tests.training.callbacks.helpers import (
    build_model,
    make_trainer,
    vocabulary,
    word_embeddings,
    xnli_instances,
)


def run(model_path: Path, tmp: Path, callback: Any, embedding_factor: float) -> Dict[str, Any]:
    """One epoch with the word embeddings scaled by `embedding_factor` (another encoder's scale)."""
    instances = xnli_instances(model_path, 16)
    vocab = vocabulary(instances)
    model = build_model(model_path, vocab)
    with torch.no_grad():
        word_embeddings(model).weight.mul_(embedding_factor)
    metrics = make_trainer(model, instances, vocab, [callback], lr=0.0).train()
    metrics["mean_norm"] = mean_word_embedding_norm(word_embeddings(model))
    metrics["dim"] = word_embeddings(model).embedding_dim
    return metrics


class TestRelativeStrength(AllenNlpTestCase):
    def test_an_l2_radius_scales_with_the_embeddings(self, tiny_xlmr: Path):
        ratios, norms = [], []
        for factor in (1.0, 5.0):
            callback = AdversarialTrainingCallback(
                str(self.TEST_DIR), method="fgm", epsilon=0.5, relative_to="embedding_norm"
            )
            metrics = run(tiny_xlmr, self.TEST_DIR, callback, factor)
            unit = callback.adversarial_method.unit
            assert unit == pytest.approx(metrics["mean_norm"], rel=1e-5)
            # FGM's step has length epsilon: the perturbation norm is epsilon units.
            assert metrics["training_perturbation_norm"] == pytest.approx(0.5 * unit, rel=1e-4)
            ratios.append(metrics["training_perturbation_ratio"])
            norms.append(metrics["training_perturbation_norm"])
        assert norms[1] == pytest.approx(5 * norms[0], rel=1e-4)
        assert ratios[1] == pytest.approx(ratios[0], rel=1e-4)

    def test_an_absolute_radius_does_not(self, tiny_xlmr: Path):
        ratios = [
            run(
                tiny_xlmr,
                self.TEST_DIR,
                AdversarialTrainingCallback(str(self.TEST_DIR), method="fgm", epsilon=0.5),
                factor,
            )["training_perturbation_ratio"]
            for factor in (1.0, 5.0)
        ]
        assert ratios[1] == pytest.approx(ratios[0] / 5, rel=1e-4)

    def test_linf_and_the_step_are_per_coordinate_units(self, tiny_xlmr: Path):
        callback = AdversarialTrainingCallback(
            str(self.TEST_DIR),
            method="fast",
            norm="linf",
            epsilon=0.1,
            relative_to="embedding_norm",
        )
        metrics = run(tiny_xlmr, self.TEST_DIR, callback, 3.0)
        method = callback.adversarial_method
        unit = metrics["mean_norm"] / math.sqrt(metrics["dim"])
        assert method.unit == pytest.approx(unit, rel=1e-5)
        assert method.radius == pytest.approx(0.1 * method.unit)
        assert method.step_length == pytest.approx(0.125 * method.unit)
        assert metrics["training_perturbation_norm"] <= method.radius * (1 + 1e-5)

    def test_the_unit_is_kept_in_the_checkpoint_state(self, tiny_xlmr: Path):
        callback = AdversarialTrainingCallback(
            str(self.TEST_DIR), method="pgd", epsilon=0.5, relative_to="embedding_norm"
        )
        run(tiny_xlmr, self.TEST_DIR, callback, 2.0)
        state = callback.state_dict()
        again = AdversarialTrainingCallback(
            str(self.TEST_DIR), method="pgd", epsilon=0.5, relative_to="embedding_norm"
        )
        again.load_state_dict(state)
        # Resumed on an encoder whose embeddings have changed since: the unit stays.
        run(tiny_xlmr, self.TEST_DIR, again, 7.0)
        assert again.adversarial_method.unit == callback.adversarial_method.unit

    @pytest.mark.parametrize("distribution", ["gaussian", "uniform_ball"])
    def test_rs_rp_noise_scales_with_the_embeddings(self, tiny_xlmr: Path, distribution: str):
        ratios = []
        for factor in (1.0, 4.0):
            callback = RandomPerturbationCallback(
                str(self.TEST_DIR),
                distribution=distribution,
                scale=0.2,
                relative_to="embedding_norm",
            )
            metrics = run(tiny_xlmr, self.TEST_DIR, callback, factor)
            per_coordinate = distribution == "gaussian"
            expected_unit = metrics["mean_norm"] / (
                math.sqrt(metrics["dim"]) if per_coordinate else 1.0
            )
            assert callback.unit == pytest.approx(expected_unit, rel=1e-5)
            assert "embedding_unit" in callback.state_dict()
            ratios.append(metrics["training_perturbation_ratio"])
        # The same seed draws the same noise, scaled with the embeddings: the same ratio.
        assert ratios[1] == pytest.approx(ratios[0], rel=1e-4)

    @pytest.mark.parametrize(
        "component, settings",
        [
            (AdversarialTrainingCallback, {"relative_to": "vocabulary"}),
            (RandomPerturbationCallback, {"relative_to": "tokens"}),
            (RandomPerturbationCallback, {"scale": -1.0, "relative_to": "embedding_norm"}),
        ],
    )
    def test_bad_settings_name_the_parameter(self, component, settings: Dict[str, Any]):
        with pytest.raises(ParameterError) as error:
            component(str(self.TEST_DIR), **settings)
        assert error.value.parameter in settings and "\n" not in str(error.value)
