"""The adversarial-training configs, and through `allennlp train / evaluate / predict`."""

import json
import struct
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.testing.cli import comma_list, run_allennlp
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests import CONFIGS_ROOT, DATA_ROOT, XTREME_DATA
from tests.training.callbacks.helpers import hooks_left


def tensorboard_scalars(directory: Path) -> Dict[str, List[Tuple[int, float]]]:
    """
    The scalars of the TensorBoard event files in `directory`: TFRecord framing (length, its
    CRC, the serialized `Event`, its CRC) read by hand, the `Event` protobuf by tensorboardX.
    """
    from tensorboardX.proto.event_pb2 import Event

    scalars: Dict[str, List[Tuple[int, float]]] = {}
    for path in sorted(directory.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset : offset + 8])
            event = Event.FromString(data[offset + 12 : offset + 12 + length])
            offset += 12 + length + 4
            for value in event.summary.value:
                scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
    return scalars


class TestAdversarialConfigs(AllenNlpTestCase):
    @pytest.mark.parametrize("task", ["xnli", "pawsx"])
    def test_configs_extend_the_baseline_with_the_callback(self, task: str):
        adversarial = Params.from_file(str(CONFIGS_ROOT / f"{task}_adv.jsonnet")).as_dict()
        baseline = Params.from_file(str(CONFIGS_ROOT / f"{task}_baseline.jsonnet")).as_dict()
        callbacks = adversarial["trainer"].pop("callbacks")
        baseline_callbacks = baseline["trainer"].pop("callbacks")
        assert adversarial == baseline  # nothing else changes
        assert callbacks == [{"type": "adversarial_training", "method": "pgd"}] + baseline_callbacks
        callback = TrainerCallback.from_params(
            Params(callbacks[0]), serialization_dir=str(self.TEST_DIR)
        )
        assert isinstance(callback, AdversarialTrainingCallback) and callback.method == "pgd"

    def test_method_and_settings_are_overridable(self):
        overrides = json.dumps(
            {"trainer.callbacks.0.method": "freelb", "trainer.callbacks.0.steps": 2}
        )
        params = Params.from_file(
            str(CONFIGS_ROOT / "xnli_adv.jsonnet"), params_overrides=overrides
        )
        callback = TrainerCallback.from_params(
            params["trainer"]["callbacks"][0], serialization_dir=str(self.TEST_DIR)
        )
        assert (callback.method, callback.steps, callback.random_init) == ("freelb", 2, True)


class TestAdversarialCommandLine(AllenNlpTestCase):
    def test_train_evaluate_predict(self):
        serialization_dir = self.TEST_DIR / "xnli_adv"
        small = json.dumps(
            {
                "trainer.num_epochs": 1,
                "data_loader.batch_sampler.batch_size": 8,
                "trainer.callbacks.1.summary_interval": 2,  # TensorBoard: every 2nd batch
            }
        )
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "xnli_adv.jsonnet"),
            "-s",
            str(serialization_dir),
            "-o",
            small,
        )
        archive = serialization_dir / "model.tar.gz"
        config = json.loads((serialization_dir / "config.json").read_text())
        assert config["trainer"]["callbacks"] == [
            {"type": "adversarial_training", "method": "pgd"},
            {"type": "tensorboard", "summary_interval": 2},
            {"type": "rng_state"},
        ]

        inputs = [XTREME_DATA / "xnli" / f"test-{lang}.tsv" for lang in ("en", "de")]
        outputs = [self.TEST_DIR / f"metrics-{lang}.json" for lang in ("en", "de")]
        run_allennlp(
            "evaluate", str(archive), comma_list(inputs), "--output-file", comma_list(outputs)
        )
        for output in outputs:
            assert 0.0 <= json.loads(output.read_text())["accuracy"] <= 1.0

        # The adversary's training metrics, in metrics.json and in TensorBoard (the shared
        # configs' `tensorboard` callback): per epoch, and per batch.
        metrics = json.loads((serialization_dir / "metrics.json").read_text())
        assert metrics["training_adversarial_loss"] > 0
        assert 0 < metrics["training_perturbation_norm"] <= 0.7 * (1 + 1e-5)
        assert "validation_adversarial_loss" not in metrics
        train_log = tensorboard_scalars(serialization_dir / "log" / "train")
        for name in ("adversarial_loss", "perturbation_norm"):
            ((step, value),) = train_log[f"train/{name}"]
            assert step == 1 and value == pytest.approx(metrics[f"training_{name}"], rel=1e-6)
            assert [step for step, _ in train_log[f"train/batch_{name}"]] == [3, 5, 7]
        validation_log = tensorboard_scalars(serialization_dir / "log" / "validation")
        assert "validation/accuracy" in validation_log
        assert not any("adversarial" in tag for tag in validation_log)

        predictions = self.TEST_DIR / "predictions.jsonl"
        run_allennlp(
            "predict",
            str(archive),
            str(DATA_ROOT / "pairs.jsonl"),
            "--output-file",
            str(predictions),
            "--silent",
        )
        lines = [json.loads(line) for line in predictions.read_text().splitlines()]
        assert len(lines) == 8 and all(
            set(line["probs"]) == {"entailment", "neutral", "contradiction"} for line in lines
        )

        # The archive is a plain model: no hook of the callback, and it predicts on its own.
        loaded = load_archive(str(archive))
        assert hooks_left(loaded.model) == []
        predictor = Predictor.from_archive(loaded)
        assert (
            predictor.predict_json({"premise": "A man sleeps.", "hypothesis": "A person rests."})[
                "label"
            ]
            in lines[0]["probs"]
        )

    def test_pawsx_freelb_with_gradient_accumulation(self):
        """The PAWS-X config accumulates 4 batches (the reference's 8 x 4); 40 pairs make groups of 4 and 1."""
        serialization_dir = self.TEST_DIR / "pawsx_adv"
        overrides = json.dumps({"trainer.num_epochs": 1, "trainer.callbacks.0.method": "freelb"})
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "pawsx_adv.jsonnet"),
            "-s",
            str(serialization_dir),
            "-o",
            overrides,
        )
        config = json.loads((serialization_dir / "config.json").read_text())
        assert config["trainer"]["num_gradient_accumulation_steps"] == 4
        metrics = json.loads((serialization_dir / "metrics.json").read_text())
        assert metrics["training_loss"] > 0
        assert hooks_left(load_archive(str(serialization_dir / "model.tar.gz")).model) == []
