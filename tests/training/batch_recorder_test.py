"""The recorder that hands the trainer's batch to a callback's `on_backward`."""

from typing import Any, Dict, List

import pytest
from allennlp.common.util import lazy_groups_of

from allennlp_robust_xlt.training.batch_recorder import TrainingBatchRecorder


class FakeTrainer:
    """The trainer's batch loop: groups drawn with lazy_groups_of, then one backward per batch."""

    def __init__(self, batches: List[Dict[str, Any]], accumulation: int) -> None:
        self.data_loader = batches
        self._num_gradient_accumulation_steps = accumulation

    def epoch(self, recorder: TrainingBatchRecorder, skip_groups: int = 0) -> List[Any]:
        seen = []
        for index, group in enumerate(
            lazy_groups_of(iter(self.data_loader), self._num_gradient_accumulation_steps)
        ):
            if index < skip_groups:
                continue
            for batch in group:
                replayed, size = recorder.next_batch()
                assert replayed is batch
                seen.append((batch["id"], size))
        return seen


class TestTrainingBatchRecorder:
    def test_replays_batches_with_their_group_sizes(self):
        batches = [{"id": i} for i in range(5)]
        trainer = FakeTrainer(batches, accumulation=2)
        recorder = TrainingBatchRecorder()
        recorder.install(trainer)  # type: ignore[arg-type]
        assert len(trainer.data_loader) == 5
        assert trainer.epoch(recorder) == [(0, 2), (1, 2), (2, 2), (3, 2), (4, 1)]
        assert trainer.epoch(recorder, skip_groups=1) == [
            (2, 2),
            (3, 2),
            (4, 1),
        ]  # resumed mid-epoch
        trainer._num_gradient_accumulation_steps = 1
        assert trainer.epoch(recorder) == [(i, 1) for i in range(5)]
        recorder.uninstall()
        assert trainer.data_loader is batches

    def test_without_a_recorded_batch_it_says_so(self):
        recorder = TrainingBatchRecorder()
        recorder.install(FakeTrainer([], 1))  # type: ignore[arg-type]
        with pytest.raises(RuntimeError, match="no recorded training batch"):
            recorder.next_batch()
