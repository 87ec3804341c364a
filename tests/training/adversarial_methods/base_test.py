"""
The registry of adversarial methods: building a method from the callback's flat parameters or
from a dict, one-line errors, and a new method added as one class (a symmetric-KL consistency
method written here, as a KL objective would be) trained through the unchanged callback, against
a hand-written reference.
"""

import copy
from pathlib import Path
from typing import Any, Dict, Optional

import pytest
import torch
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.embedding_perturbation import uniform_start
from allennlp_robust_xlt.training.adversarial_methods import (
    AdversarialMethod,
    AdversarialStep,
    build_method,
)
from allennlp_robust_xlt.training.adversarial_methods.base import (
    BASE_METRICS,
    accepted_parameters,
    method_names,
)
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests.training.callbacks.adversarial_training_test import batch_mask, gradients
from tests.training.callbacks.helpers import (
    GradientRecorder,
    build_model,
    first_batch,
    make_trainer,
    vocabulary,
    word_embeddings,
    xnli_instances,
)


def symmetric_kl(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    p, q = p_logits.log_softmax(-1), q_logits.log_softmax(-1)
    return ((p.exp() * (p - q)).sum(-1) + (q.exp() * (q - p)).sum(-1)).mean()


@AdversarialMethod.register("_test_noise_kl")
class NoiseKl(AdversarialMethod):
    """
    Registered as an `AdversarialMethod` with name "_test_noise_kl" (tests only): the clean loss
    plus `weight * symmetric KL` between the clean outputs and those at random noise in the
    ball, with the gradient through both passes (an R3F-like objective).

    # Parameters

    weight : `float`, optional (default = `1.0`)
    seed : `int`, optional (default = `0`)
    """

    default_random_init = False
    metric_names = BASE_METRICS + ["symmetric_kl"]
    unused_parameter_notes = {"random_init": "its noise is always random"}

    def __init__(self, weight: float = 1.0, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.weight = weight
        self.generator = torch.Generator().manual_seed(seed)

    def step(self, step: AdversarialStep) -> None:
        noise = uniform_start(
            step.clean.embeddings, step.mask, self.norm, self.radius, generator=self.generator
        )
        noisy = step.forward_outputs(noise, synchronize=True)
        kl = symmetric_kl(step.trainer_outputs["logits"], noisy["logits"])
        step.backward(step.trainer_loss + self.weight * kl, 1.0)
        step.metrics.add("symmetric_kl", float(kl))
        step.record([noisy["loss"]], noise)


class TestRegistry:
    def test_the_methods_are_registered(self):
        assert {"pgd", "fgm", "freelb", "free", "fast"} <= set(method_names())

    def test_accepted_parameters_follow_the_constructors(self):
        assert accepted_parameters(AdversarialMethod.by_name("fgm")) == [
            "steps",
            "random_init",
            "norm",
            "epsilon",
            "adversarial_weight",
            "share_dropout_masks",
            "relative_to",
        ]
        assert "random_init" not in accepted_parameters(AdversarialMethod.by_name("fast"))
        assert "replays" in accepted_parameters(AdversarialMethod.by_name("free"))

    def test_an_unknown_method_lists_the_known_ones(self):
        with pytest.raises(ParameterError) as error:
            build_method("pdg", {})
        message = str(error.value)
        assert error.value.parameter == "method" and "\n" not in message
        assert "'pgd'" in message and "'fast'" in message and "'pdg'" in message

    @pytest.mark.parametrize(
        "method, parameters, parameter",
        [
            ("fgm", {"alpha": 0.1}, "alpha"),
            ("free", {"steps": 2}, "steps"),
            ("pgd", {"replays": 2}, "replays"),
            ("pgd", {"lambda": 1.0}, "lambda"),
            ("pgd", {"relative_to": "vocabulary"}, "relative_to"),
            ("pgd", {"epsilon": -1.0}, "epsilon"),
            ("pgd", {"alpha": -0.1}, "alpha"),
        ],
    )
    def test_bad_parameters_name_the_parameter(self, method, parameters, parameter):
        with pytest.raises(ParameterError) as error:
            build_method(method, parameters)
        assert error.value.parameter == parameter
        assert str(error.value).startswith(f"adversarial_training: parameter '{parameter}' ")

    def test_method_as_a_dict_equals_flat_parameters(self, tmp_path: Path):
        flat = AdversarialTrainingCallback(str(tmp_path), method="pgd", epsilon=0.3, steps=2)
        nested = TrainerCallback.from_params(
            Params(
                {
                    "type": "adversarial_training",
                    "method": {"type": "pgd", "epsilon": 0.3, "steps": 2},
                    "warmup_steps": 1,
                }
            ),
            serialization_dir=str(tmp_path),
        )
        assert isinstance(nested, AdversarialTrainingCallback)
        assert repr(flat) == repr(nested).replace(", warmup_steps=1", "")
        assert nested.warmup_steps == 1 and isinstance(
            nested.adversarial_method, AdversarialMethod.by_name("pgd")
        )

    def test_a_method_object_built_in_code(self, tmp_path: Path):
        method = build_method("fast", {"epsilon": 0.2})
        callback = AdversarialTrainingCallback(str(tmp_path), method=method)
        assert callback.adversarial_method is method and callback.method == "fast"
        with pytest.raises(ParameterError) as error:
            AdversarialTrainingCallback(str(tmp_path), method=method, steps=2)
        assert error.value.parameter == "steps"

    @pytest.mark.parametrize(
        "settings, parameter",
        [
            ({"method": {"type": "pgd"}, "epsilon": 0.3}, "epsilon"),
            ({"method": {"epsilon": 0.3}}, "method"),
            ({"method": {"type": "nope"}}, "method"),
        ],
    )
    def test_method_dict_errors(self, tmp_path: Path, settings: Dict[str, Any], parameter: str):
        with pytest.raises(ParameterError) as error:
            AdversarialTrainingCallback(str(tmp_path), **settings)
        assert error.value.parameter == parameter


class TestANewMethodIsOneClass(AllenNlpTestCase):
    def test_a_consistency_method_matches_its_reference(self, tiny_transformer: Path):
        instances = xnli_instances(tiny_transformer, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_transformer, vocab)
        reference = copy.deepcopy(model)
        recorder = GradientRecorder(str(self.TEST_DIR))
        callback = AdversarialTrainingCallback(
            str(self.TEST_DIR), method={"type": "_test_noise_kl", "epsilon": 0.5, "weight": 2.0}
        )
        trainer = make_trainer(model, instances, vocab, [callback, recorder], batch_size=8)
        metrics = trainer.train()
        assert metrics["training_symmetric_kl"] > 0
        assert 0 < metrics["training_perturbation_ratio"] < 1

        batch = first_batch(instances, vocab)
        mask = batch_mask(batch)
        noise = uniform_start(
            torch.zeros(*mask.shape[:2], word_embeddings(reference).embedding_dim),
            mask.squeeze(-1).bool(),
            "l2",
            0.5,
            generator=torch.Generator().manual_seed(0),
        )
        reference.zero_grad()
        clean = reference(**batch)
        noisy = _outputs_at(reference, batch, noise)
        (clean["loss"] + 2.0 * symmetric_kl(clean["logits"], noisy["logits"])).backward()
        expected = gradients(reference)
        (actual,) = recorder.gradients
        assert actual.keys() == expected.keys()
        for name in expected:
            torch.testing.assert_close(actual[name], expected[name], atol=1e-5, rtol=0)


def _outputs_at(model, batch, delta: Optional[torch.Tensor]) -> Dict[str, torch.Tensor]:
    layer = word_embeddings(model)
    handle = layer.register_forward_hook(lambda module, inputs, output: output + delta)
    try:
        return model(**batch)
    finally:
        handle.remove()


def test_a_config_overrides_the_method_with_a_dict(tmp_path: Path):
    from tests import CONFIGS_ROOT

    overrides = '{"trainer.callbacks.0.method": {"type": "fast", "epsilon": 0.3}}'
    params = Params.from_file(str(CONFIGS_ROOT / "xnli_adv.jsonnet"), params_overrides=overrides)
    callback = TrainerCallback.from_params(
        params["trainer"]["callbacks"][0], serialization_dir=str(tmp_path)
    )
    assert isinstance(callback, AdversarialTrainingCallback)
    assert (callback.method, callback.epsilon, callback.alpha) == ("fast", 0.3, 0.375)
