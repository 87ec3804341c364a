"""
Test-only trainer callbacks (registered when this module is imported, also in the worker
processes of distributed training through `--include-package tests.reliability.callbacks`).
"""

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional

import torch
from allennlp.training.callbacks.callback import TrainerCallback

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

INTERRUPT_ENV = "XLT_TEST_INTERRUPT_AT_EPOCH"


@TrainerCallback.register("test_interrupt")
class InterruptCallback(TrainerCallback):
    """
    Registered as "test_interrupt": when the environment variable XLT_TEST_INTERRUPT_AT_EPOCH is
    set to `e` (or `e:b`), raises KeyboardInterrupt (as Ctrl-C would) after the first (the `b`-th)
    training batch of epoch `e`, i.e. after the checkpoint of epoch `e - 1` was written and before
    the one of epoch `e`.
    Without the variable it does nothing, so the interrupted and the resumed run share one config
    (which `allennlp train --recover` requires).
    """

    def on_batch(
        self,
        trainer: "GradientDescentTrainer",
        batch_inputs: List[Any],
        batch_outputs: List[Any],
        batch_metrics: Dict[str, Any],
        epoch: int,
        batch_number: int,
        is_training: bool,
        is_primary: bool = True,
        batch_grad_norm: Optional[float] = None,
        **kwargs: Any,
    ) -> None:
        at = os.environ.get(INTERRUPT_ENV)
        if at is None or not is_training:
            return
        at_epoch, _, at_batch = at.partition(":")
        if epoch == int(at_epoch) and batch_number >= int(at_batch or 1):
            raise KeyboardInterrupt(f"test interrupt in epoch {epoch}")


@TrainerCallback.register("test_batch_log")
class BatchLogCallback(TrainerCallback):
    """
    Registered as "test_batch_log": appends, for every training batch, one JSON line with the
    epoch, the worker's rank and the metadata of each instance in the batch to
    `<serialization_dir>/batches_w<rank>.jsonl`.
    """

    def on_batch(
        self,
        trainer: "GradientDescentTrainer",
        batch_inputs: List[Any],
        batch_outputs: List[Any],
        batch_metrics: Dict[str, Any],
        epoch: int,
        batch_number: int,
        is_training: bool,
        is_primary: bool = True,
        batch_grad_norm: Optional[float] = None,
        **kwargs: Any,
    ) -> None:
        if not is_training:
            return
        rank = (
            torch.distributed.get_rank()
            if torch.distributed.is_available() and torch.distributed.is_initialized()
            else 0
        )
        path = Path(self.serialization_dir) / f"batches_w{rank}.jsonl"
        with path.open("a", encoding="utf-8") as log:
            for batch in batch_inputs:
                metadata = [_plain(item) for item in batch.get("metadata", [])]
                log.write(json.dumps({"epoch": epoch, "rank": rank, "metadata": metadata}) + "\n")


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
