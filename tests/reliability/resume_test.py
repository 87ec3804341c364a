"""
`allennlp train --recover` after an interruption ends exactly like an uninterrupted run, for the
baseline and each robust method, thanks to the `rng_state` callback of the shared configs.
"""

import json
from pathlib import Path

import pytest
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import AllenNlpTestCase

from tests.reliability.helpers import (
    max_weight_difference,
    small_overrides,
    train,
    training_metrics,
    weights,
)

METHODS = ["xnli_adv", "xnli_rs_rp", "xnli_rs_da", "pawsx_baseline", "xnli_smart", "pawsx_r3f"]
TOLERANCE = 1e-6


def assert_same_run(first: Path, second: Path) -> None:
    assert training_metrics(first) == pytest.approx(training_metrics(second), abs=TOLERANCE)
    for epoch in (0, 1):
        name = f"metrics_epoch_{epoch}.json"
        assert training_metrics(first, name) == pytest.approx(
            training_metrics(second, name), abs=TOLERANCE
        )
    # The last checkpoint (after epoch 2) and the best model.
    for file_name in ("model_state_e2_b0.th", "best.th"):
        assert (
            max_weight_difference(weights(first / file_name), weights(second / file_name))
            <= TOLERANCE
        ), file_name


@pytest.mark.slow
class TestResume(AllenNlpTestCase):
    @pytest.mark.parametrize("config", METHODS)
    def test_interrupted_and_recovered_equals_uninterrupted(self, config: str):
        overrides = small_overrides(config, extra_callbacks=["test_interrupt"])
        full, part = self.TEST_DIR / "full", self.TEST_DIR / "part"
        train(config, full, overrides)

        # Ctrl-C in the second epoch: the checkpoint of the first epoch is there, not the second's.
        with pytest.raises(KeyboardInterrupt):
            train(config, part, overrides, interrupt_at_epoch=1)
        assert (part / "model_state_e1_b0.th").exists() and not (
            part / "model_state_e2_b0.th"
        ).exists()
        assert not (part / "metrics.json").exists()

        # Without --recover AllenNLP refuses to touch the directory.
        with pytest.raises(ConfigurationError, match="already exists and is not empty"):
            train(config, part, overrides)

        train(config, part, overrides, "--recover")
        assert_same_run(full, part)
        assert json.loads((part / "metrics.json").read_text())["epoch"] == 1

    def test_without_the_generator_states_a_resumed_run_differs(self):
        """The reason for `rng_state`: without it, dropout and shuffling differ after a resume."""
        config = "xnli_baseline"
        overrides = json.loads(small_overrides(config, extra_callbacks=["test_interrupt"]))
        overrides["trainer.callbacks"] = [
            c for c in overrides["trainer.callbacks"] if c != {"type": "rng_state"}
        ]
        assert {"type": "rng_state"} not in overrides["trainer.callbacks"]
        overrides = json.dumps(overrides)
        full, part = self.TEST_DIR / "full", self.TEST_DIR / "part"
        train(config, full, overrides)
        with pytest.raises(KeyboardInterrupt):
            train(config, part, overrides, interrupt_at_epoch=1)
        train(config, part, overrides, "--recover")
        difference = max_weight_difference(
            weights(full / "model_state_e2_b0.th"), weights(part / "model_state_e2_b0.th")
        )
        assert difference > 1e-6

    def test_mid_epoch_checkpoint(self):
        """Checkpoints every 2 batches (`save_every_num_batches`), interrupted after batch 3 of epoch 2 of 6.

        The weights and validation metrics match; the training loss and accuracy of the resumed
        epoch do not, because AllenNLP averages them over the batches trained after the resume.
        With 6 steps per epoch and a warm-up of 7 clean steps, the adversarial objective starts
        one step before the checkpoint (after 8 steps): the resumed run must continue counting
        from the checkpoint, not start its warm-up again.
        """
        config = "xnli_adv"
        overrides = json.loads(small_overrides(config, extra_callbacks=["test_interrupt"]))
        assert overrides["trainer.callbacks"][0]["type"] == "adversarial_training"
        overrides["trainer.callbacks"][0]["warmup_steps"] = 7
        overrides["trainer.checkpointer"] = {
            "save_every_num_batches": 2,
            "keep_most_recent_by_count": 1,
        }
        overrides = json.dumps(overrides)
        full, part = self.TEST_DIR / "full", self.TEST_DIR / "part"
        train(config, full, overrides)
        with pytest.raises(KeyboardInterrupt):
            train(config, part, overrides, interrupt_at_epoch="1:3")
        assert (part / "model_state_e1_b2.th").exists()
        train(config, part, overrides, "--recover")
        assert (
            max_weight_difference(
                weights(full / "model_state_e2_b0.th"), weights(part / "model_state_e2_b0.th")
            )
            <= TOLERANCE
        )
        validation = {
            key: value for key, value in training_metrics(full).items() if "validation" in key
        }
        assert validation == pytest.approx(
            {key: training_metrics(part)[key] for key in validation}, abs=TOLERANCE
        )

    def test_multisource_recovered_equals_uninterrupted(self, monkeypatch: pytest.MonkeyPatch):
        """Multi-source training (AllenNLP's multitask data loader) resumes exactly too."""
        monkeypatch.setenv("XLT_SOURCE_LANGUAGES", "en,de")
        config = "xnli_multisource_adv"
        overrides = small_overrides(config, extra_callbacks=["test_interrupt"])
        full, part = self.TEST_DIR / "full", self.TEST_DIR / "part"
        train(config, full, overrides)
        with pytest.raises(KeyboardInterrupt):
            train(config, part, overrides, interrupt_at_epoch=1)
        train(config, part, overrides, "--recover")
        assert_same_run(full, part)


@pytest.mark.slow
class TestResumeFree(AllenNlpTestCase):
    @pytest.mark.parametrize("interrupt_at, replays", [("3", 2), ("3:3", 2), ("3:3", 4)])
    def test_free_resumes_in_the_second_half_of_a_pass(self, interrupt_at: str, replays: int):
        """
        `free` with 2 replays, 4 epochs of 6 steps: epochs 2 and 3 share the second pass over
        the (shuffled) data. Interrupted in epoch 3, at its start (checkpoint after epoch 2) or
        after its 3rd step (checkpoints every 2 batches: the one after step 2), the resumed run
        must deal the same batches, with the same kept perturbations, as an uninterrupted one.
        With 4 replays (6 batches: not a multiple), a batch's replays straddle epochs 2 and 3.
        """
        config = "xnli_adv"
        overrides = json.loads(small_overrides(config, extra_callbacks=["test_interrupt"]))
        overrides["trainer.callbacks"][0].update(
            {"method": "free", "replays": replays, "epsilon": 0.3}
        )
        overrides["trainer.num_epochs"] = 4
        overrides["trainer.checkpointer"] = {
            "save_every_num_batches": 2,
            "keep_most_recent_by_count": 1,
        }
        overrides = json.dumps(overrides)
        full, part = self.TEST_DIR / "full", self.TEST_DIR / "part"
        train(config, full, overrides)
        with pytest.raises(KeyboardInterrupt):
            train(config, part, overrides, interrupt_at_epoch=interrupt_at)
        train(config, part, overrides, "--recover")
        assert (
            max_weight_difference(
                weights(full / "model_state_e4_b0.th"), weights(part / "model_state_e4_b0.th")
            )
            <= TOLERANCE
        )
        validation = {
            key: value for key, value in training_metrics(full).items() if "validation" in key
        }
        assert validation == pytest.approx(
            {key: training_metrics(part)[key] for key in validation}, abs=TOLERANCE
        )
