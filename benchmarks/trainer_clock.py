"""
`benchmark_batch_clock`: a trainer callback that times every training step of AllenNLP's
trainer and can run other work between two steps, timed apart, so that two things can be
compared step by step under the same machine load (benchmarks only; registered on import).
"""

from typing import Any, Callable, List, Optional, Tuple

from allennlp.training.callbacks.callback import TrainerCallback

from benchmarks.common import now

Times = Tuple[float, float]


def duration(before: Times, after: Times) -> Times:
    return after[0] - before[0], after[1] - before[1]


@TrainerCallback.register("benchmark_batch_clock")
class BatchClock(TrainerCallback):
    """
    Registered as a `TrainerCallback` with name "benchmark_batch_clock" (benchmarks only).

    Records `(process CPU seconds, wall seconds)` of every training step: from the end of the
    previous step's `on_batch` (or `on_start`) to this step's `on_batch`, so everything the
    trainer does for a batch is counted (loading, forward, backward, optimizer, metrics,
    progress bar, other callbacks). If the class attribute `between` is set, it is called in
    `on_batch` after the step's time is taken, and its own duration goes to `between_steps`
    instead. Results are class attributes (`allennlp train` builds the callback from a config,
    out of reach): `steps`, `between_steps`. No parameters.
    """

    between: Optional[Callable[[], None]] = None
    steps: List[Times] = []
    between_steps: List[Times] = []

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self._started: Times = now()

    @classmethod
    def reset(cls, between: Optional[Callable[[], None]] = None) -> None:
        cls.between = between
        cls.steps = []
        cls.between_steps = []

    def on_start(self, trainer: Any, is_primary: bool = True, **kwargs: Any) -> None:
        super().on_start(trainer, is_primary=is_primary, **kwargs)
        self._started = now()

    def on_batch(
        self,
        trainer: Any,
        batch_inputs: Any,
        batch_outputs: Any,
        batch_metrics: Any,
        epoch: int,
        batch_number: int,
        is_training: bool,
        **kwargs: Any,
    ) -> None:
        if not is_training:
            return
        ended = now()
        BatchClock.steps.append(duration(self._started, ended))
        if BatchClock.between is not None:
            before = now()
            BatchClock.between()
            BatchClock.between_steps.append(duration(before, now()))
        self._started = now()
