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


class ShufflingLoader:
    """A data loader that shuffles its batches with Python's global generator at each epoch."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __iter__(self):
        import random

        order = list(range(self.count))
        random.shuffle(order)
        return iter([{"id": i} for i in order])


class TestReplays:
    def run_epoch(self, trainer: FakeTrainer, recorder: TrainingBatchRecorder, skip_groups=0):
        seen = []
        for index, group in enumerate(
            lazy_groups_of(iter(trainer.data_loader), trainer._num_gradient_accumulation_steps)
        ):
            if index < skip_groups:
                continue
            for batch in group:
                upcoming = recorder.upcoming_tag()
                replayed, size = recorder.next_batch()
                assert replayed is batch and recorder.tag == upcoming
                tag = recorder.tag
                seen.append((batch["id"], size, tag.position, tag.replay, tag.replays))
        return seen

    def test_each_group_is_replayed_and_epochs_share_a_pass(self):
        """
        5 batches, accumulation 2, 2 replays: groups A (0 1), B (2 3), C (4). Every epoch has
        the baseline's 3 steps; each full group is trained twice, C (smaller) once and always as
        an epoch's last step.
        """
        trainer = FakeTrainer([{"id": i} for i in range(5)], accumulation=2)
        recorder = TrainingBatchRecorder(replays=2)
        recorder.install(trainer)  # type: ignore[arg-type]
        # A twice, then B's first replay: B's second goes on in the next epoch.
        assert self.run_epoch(trainer, recorder) == [
            (0, 2, 0, 0, 2),
            (1, 2, 1, 0, 2),
            (0, 2, 0, 1, 2),
            (1, 2, 1, 1, 2),
            (2, 2, 0, 0, 2),
            (3, 2, 1, 0, 2),
        ]
        # B's second replay, then the next pass's A once, and C (of the first pass) last: a
        # smaller group must end the trainer's epoch (it groups the epoch's batches itself).
        assert self.run_epoch(trainer, recorder) == [
            (2, 2, 0, 1, 2),
            (3, 2, 1, 1, 2),
            (0, 2, 0, 0, 2),
            (1, 2, 1, 0, 2),
            (4, 1, 0, 0, 1),
        ]
        # A's second replay and B twice; resuming mid-epoch skips drawn groups.
        assert [entry[0::3] for entry in self.run_epoch(trainer, recorder, skip_groups=1)] == [
            (2, 0),
            (3, 0),
            (2, 1),
            (3, 1),
        ]
        recorder.uninstall()
        assert isinstance(trainer.data_loader, list)

    @pytest.mark.parametrize("batches, replays", [(6, 4), (7, 3), (5, 2), (1, 3), (4, 4)])
    def test_every_epoch_has_the_baselines_steps(self, batches: int, replays: int):
        """
        Any number of batches and replays: each epoch the baseline's number of steps, and over
        the epochs every batch of a pass is trained `replays` times in a row.
        """
        trainer = FakeTrainer([{"id": i} for i in range(batches)], accumulation=1)
        recorder = TrainingBatchRecorder(replays=replays)
        recorder.install(trainer)  # type: ignore[arg-type]
        dealt: List[int] = []
        for _ in range(2 * replays):
            epoch = [entry[0] for entry in self.run_epoch(trainer, recorder)]
            assert len(epoch) == batches
            dealt += epoch
        # 2 * replays epochs = 2 passes, each batch `replays` times in a row.
        assert dealt == [i for _ in range(2) for i in range(batches) for _ in range(replays)]

    def test_accumulation_with_a_smaller_group_keeps_the_baselines_steps(self):
        trainer = FakeTrainer([{"id": i} for i in range(7)], accumulation=2)
        recorder = TrainingBatchRecorder(replays=3)
        recorder.install(trainer)  # type: ignore[arg-type]
        steps = []
        for _ in range(6):
            epoch = self.run_epoch(trainer, recorder)
            steps.append(sum(1 for entry in epoch if entry[2] == entry[1] - 1))
            assert epoch[-1][1] == 2 or epoch[-1][0] == 6  # a smaller group only at the end
        assert steps == [4] * 6

    def test_three_replays_without_accumulation(self):
        trainer = FakeTrainer([{"id": i} for i in range(4)], accumulation=1)
        recorder = TrainingBatchRecorder(replays=3)
        recorder.install(trainer)  # type: ignore[arg-type]
        epochs = [[entry[0] for entry in self.run_epoch(trainer, recorder)] for _ in range(3)]
        # 4 steps an epoch, each batch 3 times; replays and passes continue across epochs.
        assert epochs == [[0, 0, 0, 1], [1, 1, 2, 2], [2, 3, 3, 3]]

    def test_clean_steps_are_dealt_once(self):
        """A clean warm-up of 3 steps sees 3 batches, as without replays; then each batch twice."""
        trainer = FakeTrainer([{"id": i} for i in range(4)], accumulation=1)
        recorder = TrainingBatchRecorder(replays=2, clean_steps=3)
        recorder.install(trainer)  # type: ignore[arg-type]
        first = self.run_epoch(trainer, recorder)
        assert [(entry[0], entry[3], entry[4]) for entry in first] == [
            (0, 0, 1),
            (1, 0, 1),
            (2, 0, 1),
            (3, 0, 2),
        ]
        assert [entry[0] for entry in self.run_epoch(trainer, recorder)] == [3, 0, 0, 1]

    def test_a_resumed_pass_is_shuffled_as_before(self):
        """
        The state saved in a checkpoint taken in the second epoch of a pass makes a fresh
        recorder (a resumed run, whose generators were used differently before) deal the same
        batches in that epoch.
        """
        import random

        random.seed(1)
        trainer = FakeTrainer(ShufflingLoader(6), accumulation=1)  # type: ignore[arg-type]
        recorder = TrainingBatchRecorder(replays=2)
        recorder.install(trainer)  # type: ignore[arg-type]
        self.run_epoch(trainer, recorder)
        state = recorder.state_dict()  # a checkpoint after epoch 0
        random.random()  # other uses of the generator (dropout, ...) before epoch 1
        expected = self.run_epoch(trainer, recorder)

        random.seed(2)  # a resumed run: the same config, but the generators are elsewhere
        resumed_trainer = FakeTrainer(ShufflingLoader(6), accumulation=1)  # type: ignore[arg-type]
        resumed = TrainingBatchRecorder(replays=2)
        resumed.load_state_dict(state)
        resumed.install(resumed_trainer)  # type: ignore[arg-type]
        self.run_epoch(resumed_trainer, resumed, skip_groups=6)  # epoch 0 is drawn, not trained
        assert self.run_epoch(resumed_trainer, resumed) == expected

    def test_a_waiting_smaller_group_is_the_same_after_resuming(self):
        """
        5 shuffled batches, accumulation 2, 2 replays: in epoch 1 the first pass's smaller group
        waits for the epoch's end while the second pass starts. A checkpoint taken in between
        makes a resumed run train the same smaller group.
        """
        import random

        random.seed(1)
        trainer = FakeTrainer(ShufflingLoader(5), accumulation=2)  # type: ignore[arg-type]
        recorder = TrainingBatchRecorder(replays=2)
        recorder.install(trainer)  # type: ignore[arg-type]
        self.run_epoch(trainer, recorder)
        groups = []
        state: Dict[str, Any] = {}
        for index, group in enumerate(lazy_groups_of(iter(trainer.data_loader), 2)):
            for _ in group:
                recorder.next_batch()
            groups.append([batch["id"] for batch in group])
            if index == 1:
                state = recorder.state_dict()  # a checkpoint after the epoch's second step
                random.random()  # other uses of the generator before the next step
        assert len(groups[-1]) == 1 and "tail_pass" in state

        random.seed(2)
        resumed_trainer = FakeTrainer(ShufflingLoader(5), accumulation=2)  # type: ignore[arg-type]
        resumed = TrainingBatchRecorder(replays=2)
        resumed.load_state_dict(state)
        resumed.install(resumed_trainer)  # type: ignore[arg-type]
        self.run_epoch(resumed_trainer, resumed, skip_groups=3)  # epoch 0 is drawn, not trained
        last = self.run_epoch(resumed_trainer, resumed, skip_groups=2)
        assert [entry[0] for entry in last] == groups[-1]

    def test_the_data_loader_length_must_be_known(self):
        from allennlp_robust_xlt.common.errors import RobustXltError

        trainer = FakeTrainer(iter([{"id": 0}]), accumulation=1)  # type: ignore[arg-type]
        with pytest.raises(RobustXltError, match="length is known"):
            TrainingBatchRecorder(replays=2).install(trainer)  # type: ignore[arg-type]
