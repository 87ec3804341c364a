"""The `random_perturbation` (RS-RP) callback: noise on the word embeddings, training only."""

import json
from pathlib import Path

import pytest
import torch
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.models.archival import load_archive
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.testing.cli import run_allennlp
from allennlp_robust_xlt.training.callbacks.random_perturbation import RandomPerturbationCallback
from tests import CONFIGS_ROOT, DATA_ROOT, XTREME_DATA
from tests.training.callbacks.helpers import (
    EmbeddingProbe,
    build_model,
    hooks_left,
    make_trainer,
    parameters,
    vocabulary,
    xnli_instances,
)


def train(model_path: Path, tmp: Path, callbacks, seed: int = 0, epochs: int = 1):
    instances = xnli_instances(model_path, 16)
    vocab = vocabulary(instances)
    model = build_model(model_path, vocab, seed=seed)
    probe = EmbeddingProbe(str(tmp))
    trainer = make_trainer(model, instances, vocab, list(callbacks) + [probe], num_epochs=epochs)
    torch.manual_seed(seed)
    trainer.train()
    return model, probe


class TestRandomPerturbation(AllenNlpTestCase):
    @pytest.mark.parametrize("distribution", ["gaussian", "uniform_ball"])
    def test_noise_on_real_tokens_of_training_passes_only(
        self, tiny_transformer: Path, distribution: str
    ):
        scale = 0.5
        callback = RandomPerturbationCallback(
            str(self.TEST_DIR), distribution=distribution, scale=scale
        )
        model, probe = train(tiny_transformer, self.TEST_DIR, [callback])
        assert (
            len(probe.passes) == 2
        )  # two training batches; validation would be unperturbed anyway
        for training_pass in probe.passes:
            padding = training_pass["ids"] == word_padding_id(model)
            assert padding.any()  # the batches have padding
            assert training_pass["delta"][padding].abs().max() == 0
            real = training_pass["delta"][~padding]
            assert real.abs().min() > 0  # every coordinate of every real token is perturbed
            if distribution == "gaussian":
                assert abs(real.std().item() - scale) < 0.05 * scale
            else:
                per_example = training_pass["delta"].flatten(1).norm(dim=1)
                assert (per_example <= scale + 1e-5).all() and (per_example > 0.5 * scale).all()
        # Nothing is left on the model once training ends.
        assert hooks_left(model) == []

    def test_no_noise_in_evaluation_mode(self, tiny_xlmr: Path):
        callback = RandomPerturbationCallback(str(self.TEST_DIR), scale=1.0)
        instances = xnli_instances(tiny_xlmr, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)
        trainer = make_trainer(model, instances, vocab, [callback])
        callback.on_start(trainer)
        try:
            from allennlp.data.data_loaders import SimpleDataLoader

            batch = next(iter(SimpleDataLoader(list(instances), 8, vocab=vocab)))
            model.eval()
            with torch.no_grad():
                first = model(**batch)["logits"]
                second = model(**batch)["logits"]
            assert torch.equal(first, second)
            model.train()
            noisy_a = model(**batch)["logits"]
            noisy_b = model(**batch)["logits"]
            assert not torch.allclose(noisy_a, noisy_b)
        finally:
            callback.on_end(trainer)
        assert hooks_left(model) == []

    def test_the_mean_noise_norm_is_a_training_metric(self, tiny_xlmr: Path):
        instances = xnli_instances(tiny_xlmr, 16)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)
        callback = RandomPerturbationCallback(
            str(self.TEST_DIR), distribution="uniform_ball", scale=0.3
        )
        metrics = make_trainer(model, instances, vocab, [callback]).train()
        # Uniform in a ball of hundreds of dimensions: the norm is close to the radius.
        assert 0.28 < metrics["training_perturbation_norm"] <= 0.3
        assert "get_metrics" not in vars(model)

    def test_zero_scale_is_exactly_the_baseline(self, tiny_xlmr: Path):
        baseline, _ = train(tiny_xlmr, self.TEST_DIR, [])
        smoothed, _ = train(
            tiny_xlmr, self.TEST_DIR, [RandomPerturbationCallback(str(self.TEST_DIR), scale=0.0)]
        )
        for name, value in parameters(baseline).items():
            assert torch.equal(value, parameters(smoothed)[name]), name

    def test_noise_changes_training_and_seed_and_state_make_it_reproducible(self, tiny_xlmr: Path):
        baseline, _ = train(tiny_xlmr, self.TEST_DIR, [])
        first, _ = train(
            tiny_xlmr,
            self.TEST_DIR,
            [RandomPerturbationCallback(str(self.TEST_DIR), scale=0.1, seed=3)],
        )
        again, _ = train(
            tiny_xlmr,
            self.TEST_DIR,
            [RandomPerturbationCallback(str(self.TEST_DIR), scale=0.1, seed=3)],
        )
        other, _ = train(
            tiny_xlmr,
            self.TEST_DIR,
            [RandomPerturbationCallback(str(self.TEST_DIR), scale=0.1, seed=4)],
        )
        name = "_classification_layer.weight"
        assert torch.equal(parameters(first)[name], parameters(again)[name])
        assert not torch.equal(parameters(first)[name], parameters(other)[name])
        assert not torch.equal(parameters(first)[name], parameters(baseline)[name])
        # The generator's state round-trips through state_dict (AllenNLP's checkpoints).
        callback = RandomPerturbationCallback(str(self.TEST_DIR), scale=0.1, seed=3)
        torch.randn(5, generator=callback.generator)
        state = callback.state_dict()
        expected = torch.randn(5, generator=callback.generator)
        restored = RandomPerturbationCallback(str(self.TEST_DIR), scale=0.1, seed=99)
        restored.load_state_dict(state)
        assert torch.equal(torch.randn(5, generator=restored.generator), expected)

    @pytest.mark.parametrize(
        "params, parameter",
        [
            ({"scale": -0.1}, "scale"),
            ({"scale": float("nan")}, "scale"),
            ({"distribution": "laplace"}, "distribution"),
        ],
    )
    def test_bad_parameters(self, params, parameter):
        with pytest.raises(ParameterError, match=f"random_perturbation: parameter '{parameter}'"):
            TrainerCallback.from_params(
                Params({"type": "random_perturbation", **params}),
                serialization_dir=str(self.TEST_DIR),
            )


class TestRandomPerturbationCommandLine(AllenNlpTestCase):
    @pytest.mark.parametrize("task", ["xnli", "pawsx"])
    def test_configs_extend_the_baseline_with_the_callback(self, task: str):
        rs_rp = Params.from_file(str(CONFIGS_ROOT / f"{task}_rs_rp.jsonnet")).as_dict()
        baseline = Params.from_file(str(CONFIGS_ROOT / f"{task}_baseline.jsonnet")).as_dict()
        baseline_callbacks = baseline["trainer"].pop("callbacks")
        assert (
            rs_rp["trainer"].pop("callbacks")
            == [{"type": "random_perturbation", "distribution": "gaussian"}] + baseline_callbacks
        )
        assert rs_rp == baseline

    def test_train_evaluate_predict(self):
        serialization_dir = self.TEST_DIR / "xnli_rs_rp"
        small = json.dumps(
            {
                "trainer.num_epochs": 1,
                "data_loader.batch_sampler.batch_size": 8,
                "trainer.callbacks.0.scale": 0.05,
            }
        )
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "xnli_rs_rp.jsonnet"),
            "-s",
            str(serialization_dir),
            "-o",
            small,
        )
        archive = serialization_dir / "model.tar.gz"
        output = self.TEST_DIR / "metrics.json"
        run_allennlp(
            "evaluate",
            str(archive),
            str(XTREME_DATA / "xnli" / "test-de.tsv"),
            "--output-file",
            str(output),
        )
        assert 0.0 <= json.loads(output.read_text())["accuracy"] <= 1.0
        predictions = self.TEST_DIR / "predictions.jsonl"
        run_allennlp(
            "predict",
            str(archive),
            str(DATA_ROOT / "pairs.jsonl"),
            "--output-file",
            str(predictions),
            "--silent",
        )
        assert len(predictions.read_text().splitlines()) == 8
        assert hooks_left(load_archive(str(archive)).model) == []


def word_padding_id(model) -> int:
    return int(
        model._text_field_embedder._token_embedders[
            "tokens"
        ].transformer_model.embeddings.word_embeddings.padding_idx
    )
