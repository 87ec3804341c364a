"""
Exact resumption: the global random generators in AllenNLP's checkpoints.

AllenNLP 2.10's checkpoints hold the model, optimizer, schedulers, metric tracker and each
callback's `state_dict()`, but not the global generators of Python's `random` (the `bucket`
batch sampler shuffles with it), numpy, and torch (dropout, the random start of
`adversarial_training`). After `allennlp train --recover`, `prepare_environment` reseeds them
from the config, and the trainer replays the finished epochs by drawing (not training on) their
batches, so the resumed epochs shuffle and drop out differently from an uninterrupted run.
"""

import logging
import random
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional

import numpy
import torch
from allennlp.data import DataLoader, TensorDict
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.training.data_loader_proxy import DataLoaderProxy

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

logger = logging.getLogger(__name__)

NAME = "rng_state"
STATE_VERSION = 1

RngStates = Dict[str, Any]


def capture_rng_states() -> RngStates:
    """The states of Python's, numpy's and torch's global generators (every CUDA device too)."""
    states: RngStates = {
        "python": random.getstate(),
        "numpy": numpy.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: RngStates) -> None:
    random.setstate(states["python"])
    numpy.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    cuda = states.get("cuda")
    if cuda is not None and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


@TrainerCallback.register(NAME)
class RngStateCallback(TrainerCallback):
    """
    Registered as a `TrainerCallback` with name "rng_state". It has no parameters.

    Saves the global random generators (Python `random`, numpy, torch CPU and CUDA) in every
    AllenNLP checkpoint through `state_dict`, and on `allennlp train --recover` puts them back at
    the point where the checkpoint was taken: just before the resumed epoch draws its first batch
    (after the trainer has replayed the finished epochs' batches, which draws from the
    generators too), or, for a checkpoint taken inside an epoch (`save_every_num_batches`), the
    epoch's starting state before it shuffles and the checkpoint's state before the first batch
    that is trained again. A resumed run then trains on the same batches with the same dropout
    as an uninterrupted run with the same seeds, and ends with the same weights and metrics.

    The shared configs (`training_configs/xtreme.libsonnet`) list it as the last callback:
    `"trainer": {"callbacks": [..., "rng_state"]}`. Keep the callback list the same when
    resuming (AllenNLP's `--recover` requires the same config anyway).

    It watches the trainer's data loader through a transparent proxy (installed in `on_start`,
    removed in `on_end`). In distributed training the checkpoints hold the primary worker's
    generators only (AllenNLP saves the primary's trainer state), so every worker resumes from
    those: training resumes correctly, but not bit-for-bit like an uninterrupted run.
    """

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self._epoch_start: Optional[RngStates] = None
        self._loaded: Optional[Dict[str, Any]] = None
        self._proxy: Optional[DataLoaderProxy] = None
        self._epochs_drawn = 0

    # -- checkpoints ---------------------------------------------------------------------------

    def state_dict(self) -> Dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "epoch_start": self._epoch_start,
            "checkpoint": capture_rng_states(),
        }

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        if not isinstance(state_dict, dict) or state_dict.get("version") != STATE_VERSION:
            logger.warning(
                "%s: the checkpoint holds no random generator states of this callback; resuming"
                " with fresh ones",
                NAME,
            )
            self._loaded = None
            return
        self._loaded = state_dict

    # -- trainer events ------------------------------------------------------------------------

    def on_start(
        self, trainer: "GradientDescentTrainer", is_primary: bool = True, **kwargs: Any
    ) -> None:
        super().on_start(trainer, is_primary=is_primary, **kwargs)
        self._remove_proxy()
        self._epochs_drawn = 0
        self._proxy = DataLoaderProxy.install(trainer, self._epoch_batches)

    def on_end(
        self,
        trainer: "GradientDescentTrainer",
        metrics: Optional[Dict[str, Any]] = None,
        epoch: Optional[int] = None,
        is_primary: bool = True,
        **kwargs: Any,
    ) -> None:
        self._remove_proxy()

    def _remove_proxy(self) -> None:
        if self._proxy is not None:
            self._proxy.remove()
            self._proxy = None

    # -- the epoch's draws ---------------------------------------------------------------------

    def _resume_point(self) -> Optional[Dict[str, int]]:
        """Where the loaded checkpoint stands: epoch index and batches (not groups) already trained."""
        if self._loaded is None or self.trainer is None:
            return None
        epoch = int(getattr(self.trainer, "_start_after_epochs_completed", 0))
        groups = int(getattr(self.trainer, "_start_after_batches_in_epoch_completed", 0))
        accumulation = max(int(getattr(self.trainer, "_num_gradient_accumulation_steps", 1)), 1)
        return {"epoch": epoch, "batches": groups * accumulation}

    def _epoch_batches(self, inner: DataLoader) -> Iterator[TensorDict]:
        epoch = self._epochs_drawn
        self._epochs_drawn += 1
        point = self._resume_point()
        restore_at: Optional[int] = None
        if point is not None and epoch == point["epoch"]:
            loaded = self._loaded
            assert loaded is not None
            if point["batches"] == 0:
                restore_rng_states(loaded["checkpoint"])
            elif loaded.get("epoch_start") is not None:
                restore_rng_states(loaded["epoch_start"])
                restore_at = point["batches"]
            self._loaded = None
        self._epoch_start = capture_rng_states()
        iterator = iter(inner)
        drawn = 0
        while True:
            if restore_at is not None and drawn == restore_at:
                restore_rng_states(loaded["checkpoint"])  # type: ignore[index]
            try:
                batch = next(iterator)
            except StopIteration:
                return
            drawn += 1
            yield batch
