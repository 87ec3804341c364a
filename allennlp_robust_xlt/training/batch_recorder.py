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
"""

from collections import deque
from typing import TYPE_CHECKING, Deque, Iterator, Optional, Tuple

from allennlp.data.data_loaders.data_loader import DataLoader, TensorDict

from allennlp_robust_xlt.common.errors import RobustXltError
from allennlp_robust_xlt.training.data_loader_proxy import DataLoaderProxy

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer


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
    """

    def __init__(self) -> None:
        self._pending: Deque[TensorDict] = deque()
        self._group_size = 0
        self._group_remaining = 0
        self._trainer: Optional["GradientDescentTrainer"] = None
        self._proxy: Optional[DataLoaderProxy] = None

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
        self._trainer = trainer
        self._proxy = DataLoaderProxy.install(trainer, self._record)
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
        for batch in inner:
            self._pending.append(batch)
            yield batch

    def _start_epoch(self) -> None:
        self._pending.clear()
        self._group_size = 0
        self._group_remaining = 0

    def next_batch(self) -> Tuple[TensorDict, int]:
        """The batch of the current `on_backward` and the size of its accumulation group."""
        if self._trainer is None:
            raise RuntimeError("TrainingBatchRecorder.next_batch() before install()")
        if self._group_remaining == 0:
            drawn = len(self._pending)
            if drawn == 0:
                raise RuntimeError(
                    "no recorded training batch for this backward pass: the trainer's data loader "
                    "was replaced or iterated outside the recorder"
                )
            accumulation = max(int(self._trainer._num_gradient_accumulation_steps), 1)
            self._group_size = (drawn - 1) % accumulation + 1
            for _ in range(drawn - self._group_size):  # groups skipped when resuming
                self._pending.popleft()
            self._group_remaining = self._group_size
        self._group_remaining -= 1
        return self._pending.popleft(), self._group_size

    @property
    def group_complete(self) -> bool:
        """After `next_batch()`: whether that batch is the last of its group (an optimizer step follows)."""
        return self._group_remaining == 0
