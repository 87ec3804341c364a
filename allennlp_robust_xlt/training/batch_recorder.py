"""
`TrainingBatchRecorder`: gives a `TrainerCallback` the batch the trainer is training on.

A callback's `on_backward` receives the model's outputs, not its inputs, but a callback that runs
extra forward passes on the same batch needs the inputs. In torch 1.12 forward pre-hooks see
positional arguments only and AllenNLP calls the model as `model(**batch)`, so no model hook can
capture the batch. The recorder instead puts a transparent proxy (`data_loader_proxy.py`) in
front of `trainer.data_loader` for the duration of training (installed in `on_start`, removed in
`on_end`): every batch the trainer draws is remembered until its `on_backward`, and
`next_batch()` hands it over together with the size of its gradient-accumulation group (the
trainer divides each batch's loss by that size; a callback that calls `backward` itself must do
the same). The model is not touched at all.

With `replays = m > 1` (the `free` method of `adversarial_training`, Shafahi et al. 2019), the
proxy also replays the data: each gradient-accumulation group of batches is given to the trainer
`m` times in a row, so that each replay is a real trainer step (clipping, learning-rate
schedule, AMP scaler, accumulation, checkpoints and `--recover` are AllenNLP's own). Each of the
trainer's epochs has exactly the baseline's number of optimizer steps (the number of groups in a
pass over the data, whatever the number of batches and `m`), dealt from the continuing passes
over the data, so `num_epochs`, the learning-rate schedule (built by AllenNLP from the data
loader's length before any callback starts) and the validation schedule stay those of the
config, and the data is seen about `num_epochs / m` times: each epoch covers the next `1/m` of a
pass. A group whose `m` replays do not all fit in an epoch goes on with its remaining replays at
the start of the next epoch (the perturbation kept for it is not touched in between). The first
`clean_steps` steps (a clean warm-up) are dealt one group each, as without replays. The trainer
groups each epoch's batches itself (`lazy_groups_of`), so a smaller group (the last of a pass,
when the number of batches is not a multiple of the accumulation) can only end an epoch: it is
trained once, as the last step of the epoch it is drawn in (the epoch's other steps come from the
groups after it, in the next pass). The data loader's length must be known (it is, unless
AllenNLP's multi-process loader reads lazily without `batches_per_epoch`). Each batch is tagged
with its position in its group and its replay index (`tag`, `upcoming_tag()`). For an exact
`--recover`, the global random generators at the start of the pass over the data in progress
(when the data loader shuffles), and of the pass a waiting smaller group came from, are part of
`state_dict()`: the trainer replays the finished epochs by drawing their batches, so the recorder
deals them again in the same way, and the passes that a checkpoint falls in are shuffled again
from the same state.
"""

import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Deque, Dict, Iterator, List, Optional, Tuple

from allennlp.data.data_loaders.data_loader import DataLoader, TensorDict

from allennlp_robust_xlt.common.errors import RobustXltError
from allennlp_robust_xlt.training.callbacks.rng_state import (
    capture_rng_states,
    restore_rng_states,
)
from allennlp_robust_xlt.training.data_loader_proxy import DataLoaderProxy

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer


@dataclass(frozen=True)
class BatchTag:
    """Where a batch the trainer draws stands in the replayed data (see the module docstring)."""

    position: int
    """Index of the batch in its gradient-accumulation group."""
    replay: int
    """0 for the first time the group is trained, then 1, 2, ..."""
    replays: int
    """How many times this group is trained (`m`, or 1 for the last, smaller group of a pass)."""


class TrainingBatchRecorder:
    """
    Gives a `TrainerCallback` the batch the trainer is training on, in `on_backward`.

    `install(trainer)` (in `on_start`) puts a proxy in front of `trainer.data_loader` that
    remembers every batch the trainer draws; `uninstall()` (in `on_end`) puts the original back.
    In each `on_backward`, `next_batch()` returns the batch whose forward pass produced the
    outputs, and the number of batches in its gradient-accumulation group (what the trainer
    divides the loss by).

    This follows `GradientDescentTrainer._train_epoch`, which draws each group of
    `num_gradient_accumulation_steps` batches at once (`lazy_groups_of`; only the last group of
    an epoch may be smaller, and groups skipped when resuming from a mid-epoch checkpoint are
    full) and then runs forward and `on_backward` for each batch in order. So when a group
    starts, the batches drawn but not used yet are the skipped groups followed by the new group.

    # Parameters

    replays : `int`, optional (default = `1`)
        How many times the trainer trains on each group of batches (see the module docstring).
    clean_steps : `int`, optional (default = `0`)
        With replays: the first `clean_steps` optimizer steps are dealt one group each, without
        replays (a clean warm-up that sees as much data as the baseline's).
    """

    def __init__(self, replays: int = 1, clean_steps: int = 0) -> None:
        self.replays = replays
        self.tag: Optional[BatchTag] = None
        self._pending: Deque[Tuple[TensorDict, Optional[BatchTag]]] = deque()
        self._group_size = 0
        self._group_remaining = 0
        self._trainer: Optional["GradientDescentTrainer"] = None
        self._proxy: Optional[DataLoaderProxy] = None
        self.clean_steps = clean_steps
        # Replays, counted since install(): the passes over the data started, the one in
        # progress (its iterator, groups dealt and generators at its start), the steps dealt.
        self._passes = 0
        self._pass_index = 0
        self._data: Optional[Iterator[TensorDict]] = None
        self._pass_groups = 0
        self._pass_rng: Optional[Dict[str, Any]] = None
        self._steps_dealt = 0
        self._loaded: Optional[Dict[str, Any]] = None
        # A group whose replays go on in the next epoch: (batches, next replay, its replays);
        # a pass's smaller group waiting for the epoch's last step, and its pass (index, rng).
        self._carry: Optional[Tuple[List[TensorDict], int, int]] = None
        self._tail: Optional[List[TensorDict]] = None
        self._tail_pass: Optional[Tuple[int, Dict[str, Any]]] = None

    def install(self, trainer: "GradientDescentTrainer") -> None:
        if self._trainer is not None:
            self.uninstall()
        if not hasattr(trainer, "data_loader") or not hasattr(
            trainer, "_num_gradient_accumulation_steps"
        ):
            raise RobustXltError(
                "embedding perturbation callbacks need AllenNLP's GradientDescentTrainer, got"
                f" {type(trainer).__name__}"
            )
        if self.replays > 1:
            try:
                len(trainer.data_loader)
            except TypeError:
                raise RobustXltError(
                    "replaying batches needs a training data loader whose length is known: with"
                    " AllenNLP's multiprocess loader, set data_loader.batches_per_epoch or leave"
                    " max_instances_in_memory unset"
                ) from None
        self._trainer = trainer
        self._passes = self._steps_dealt = 0
        self._data = None
        self._carry = self._tail = self._tail_pass = None
        self._proxy = DataLoaderProxy.install(
            trainer, self._record if self.replays == 1 else self._replay
        )
        self._start_epoch()

    def uninstall(self) -> None:
        if self._proxy is not None:
            self._proxy.remove()
        self._trainer = None
        self._proxy = None
        self._start_epoch()

    def _record(self, inner: DataLoader) -> Iterator[TensorDict]:
        """One epoch of the trainer's batches, each remembered until its `on_backward`."""
        self._start_epoch()
        assert self._trainer is not None
        accumulation = max(int(self._trainer._num_gradient_accumulation_steps), 1)
        for index, batch in enumerate(inner):
            self._pending.append((batch, BatchTag(index % accumulation, 0, 1)))
            yield batch

    def _replay(self, inner: DataLoader) -> Iterator[TensorDict]:
        """
        One trainer epoch: exactly the baseline's number of optimizer steps (the groups of one
        pass), dealt from the continuing passes over the data, each group `m` times (once while
        the first `clean_steps` steps last, and for the last, smaller group of a pass). A group
        whose replays do not fit in the epoch goes on at the start of the next one; a smaller
        group (which must end the trainer's epoch: the trainer groups the epoch's batches
        itself) waits for the epoch's last step.
        """
        self._start_epoch()
        assert self._trainer is not None
        accumulation = max(int(self._trainer._num_gradient_accumulation_steps), 1)
        steps = math.ceil(len(inner) / accumulation)
        dealt = 0
        while dealt < steps:
            room = steps - dealt - (1 if self._tail is not None else 0)
            if room == 0:
                assert self._tail is not None
                group, self._tail = self._tail, None
                for position, batch in enumerate(group):
                    self._pending.append((batch, BatchTag(position, 0, 1)))
                    yield batch
                self._steps_dealt += 1
                return
            if self._carry is not None:
                group, first, replays = self._carry
                self._carry = None
            else:
                if self._data is None:
                    self._start_pass(inner)
                assert self._data is not None
                group = [batch for _, batch in zip(range(accumulation), self._data)]
                if not group:
                    self._data = None
                    if self._pass_groups == 0:
                        return  # an empty pass: nothing to train on
                    continue
                self._pass_groups += 1
                if len(group) < accumulation:
                    # The pass's smaller group: trained once, as the epoch's last step.
                    self._tail = group
                    self._tail_pass = (self._pass_index, self._pass_rng)
                    continue
                clean = self._steps_dealt < self.clean_steps
                first, replays = 0, (1 if clean else self.replays)
            last = min(replays, first + room)
            for replay in range(first, last):
                for position, batch in enumerate(group):
                    self._pending.append((batch, BatchTag(position, replay, replays)))
                    yield batch
            dealt += last - first
            self._steps_dealt += last - first
            if last < replays:
                self._carry = (group, last, replays)

    def _start_pass(self, inner: DataLoader) -> None:
        loaded = self._loaded
        if loaded is not None and loaded.get("tail_pass") == self._passes:
            restore_rng_states(loaded["tail_pass_rng"])  # the pass a waiting group came from
        elif loaded is not None and loaded.get("pass") == self._passes:
            restore_rng_states(loaded["pass_rng"])  # the pass a checkpoint was taken in
            self._loaded = None
        self._pass_index = self._passes
        self._passes += 1
        self._pass_rng = capture_rng_states()
        self._pass_groups = 0
        self._data = iter(inner)

    def state_dict(self) -> Dict[str, Any]:
        """
        With replays: which pass over the data is in progress, and its generators at its start
        (and those of the pass a smaller group waiting for the epoch's end came from).
        """
        if self.replays == 1 or self._pass_rng is None:
            return {}
        state = {"pass": self._pass_index, "pass_rng": self._pass_rng}
        if self._tail is not None and self._tail_pass is not None:
            state["tail_pass"], state["tail_pass_rng"] = self._tail_pass
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        self._loaded = dict(state_dict) if state_dict else None

    def _start_epoch(self) -> None:
        self._pending.clear()
        self._group_size = 0
        self._group_remaining = 0
        self.tag = None

    def next_batch(self) -> Tuple[TensorDict, int]:
        """
        The batch of the current `on_backward` and the size of its accumulation group; its tag
        (with replays) is then `self.tag`.
        """
        if self._trainer is None:
            raise RuntimeError("TrainingBatchRecorder.next_batch() before install()")
        if self._group_remaining == 0:
            skipped, self._group_size = self._next_group()
            for _ in range(skipped):  # groups skipped when resuming
                self._pending.popleft()
            self._group_remaining = self._group_size
        self._group_remaining -= 1
        batch, self.tag = self._pending.popleft()
        return batch, self._group_size

    def upcoming_tag(self) -> Optional[BatchTag]:
        """
        The tag of the batch whose forward pass the trainer is running (the next `next_batch()`),
        e.g. for a forward hook.
        """
        if self._trainer is None:
            raise RuntimeError("TrainingBatchRecorder.upcoming_tag() before install()")
        skipped = self._next_group()[0] if self._group_remaining == 0 else 0
        return self._pending[skipped][1]

    def _next_group(self) -> Tuple[int, int]:
        """When a group starts: how many drawn batches were skipped (resuming), and its size."""
        assert self._trainer is not None
        drawn = len(self._pending)
        if drawn == 0:
            raise RuntimeError(
                "no recorded training batch for this backward pass: the trainer's data loader "
                "was replaced or iterated outside the recorder"
            )
        accumulation = max(int(self._trainer._num_gradient_accumulation_steps), 1)
        size = (drawn - 1) % accumulation + 1
        return drawn - size, size

    @property
    def group_complete(self) -> bool:
        """After `next_batch()`: whether that batch is the last of its group (an optimizer step follows)."""
        return self._group_remaining == 0
