"""
The consistency term of a label-free objective on unlabelled target-language text, as an
AllenNLP `TrainerCallback` (the reading and batching: `data/unlabeled_inputs.py`; the configs'
helper: `xtreme.unlabeled` in `training_configs/xtreme.libsonnet`; the user's guide:
`docs/unlabeled-text-and-averaging.md`).

The interface between this callback and the objective. The label-free objectives (R3F, SMART,
VAT: symmetric or one-sided KL divergences between the model's output distributions on clean and
perturbed inputs) need no label, so they can be computed on inputs of the target languages. The
objective lives in another callback of the same training (the `adversarial_training` callback
with a label-free method); it declares that it can take unlabelled batches by having a method

    unlabeled_consistency(trainer, batch) -> Optional[torch.Tensor]

(and, when it has one, an `accepts_unlabeled` property that is true), which returns its
consistency term on `batch` (a batch in the trainer's format, without labels, on the model's
device) as a differentiable scalar, without calling backward, leaving any state of its own (a
perturbation hook's record of calls) as it found it; or `None`: nothing to add at this step
(e.g. a clean warm-up step). The `adversarial_training` callback implements it for its KL
methods (`r3f`, `smart`, `vat`) with their `consistency_loss` (`kl_weight` times the term;
`training/adversarial_methods/kl_method.py`).
This callback runs in `on_backward`, after the callbacks before it (the objective's callback
comes first in the configs):

    loss_u = weight * unlabeled_consistency(trainer, next unlabelled batch) / accumulation steps

is backpropagated (through the trainer's AMP scaler when it uses one), adding its gradients to
those of the labelled batch before the optimizer step. No supervised loss is ever computed on
these batches (they have no label field; files with labels are refused), the labelled batches
are trained exactly as without this callback, and model selection stays on the English dev set
of the config. One unlabelled batch goes with each labelled batch. The training metric
`unlabeled_consistency` is the mean term over the epoch's batches.

Giving unlabelled data to a training whose objective needs labels (`adversarial_training` with
`pgd`, `fgm`, `freelb`, `free` or `fast`, `random_perturbation`, or none) stops before the
first batch with one line.

The unlabelled stream (its order) restarts with `allennlp train --recover`; nothing of it is
saved in the checkpoints.
"""

import logging
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Dict, List, Optional

import torch
from allennlp.common import Registrable
from allennlp.common.util import is_distributed
from allennlp.data import DatasetReader
from allennlp.training.callbacks.callback import TrainerCallback
from torch.cuda import amp

from allennlp_robust_xlt.common.errors import ParameterError, RobustXltError
from allennlp_robust_xlt.data.unlabeled_inputs import (
    UnlabeledBatches,
    read_unlabeled,
    unlabeled_files,
)
from allennlp_robust_xlt.training.perturbation_metrics import PerturbationMetrics

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

logger = logging.getLogger(__name__)

NAME = "unlabeled_consistency"
METRIC = "unlabeled_consistency"
HOOK = "unlabeled_consistency"
LABEL_FREE = "r3f, smart or vat"

Consistency = Callable[[Any, Dict[str, Any]], Optional[torch.Tensor]]


def _number(parameter: str, value: Any, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ParameterError(NAME, parameter, f"must be a number >= {minimum}, got {value!r}")
    return float(value)


def _describe(callback: TrainerCallback) -> str:
    method = getattr(callback, "method", None)
    name = getattr(method, "name", method)
    kind = type(callback).__name__
    for registered, (subclass, _) in Registrable._registry[TrainerCallback].items():
        if subclass is type(callback):
            kind = registered
    return f"{kind} method {name!r}" if name is not None else kind


@TrainerCallback.register(NAME)
class UnlabeledConsistencyCallback(TrainerCallback):
    """
    Registered as a `TrainerCallback` with name "unlabeled_consistency".

    Adds a label-free objective's consistency term on unlabelled target-language inputs to
    every training step (see the module docstring). In the configs:
    `xtreme.unlabeled(xtreme.adversarial('xnli', 'smart'), 'xnli')`.

    # Parameters

    reader : `DatasetReader`
        The task's reader (the configs give the task's own), which reads the unlabelled files.
    directory : `str`
        The directory of `{lang}{extension}` files (the configs' `XLT_UNLABELED_DATA`).
    languages : `str` or `List[str]`, optional (default = `""`: every file of the directory)
        The languages to read, a comma list (the configs' `XLT_UNLABELED_LANGUAGES`).
    extension : `str`, optional (default = `".tsv"`)
        The files' extension (the configs give the task's).
    batch_size : `int`, optional (default = `32`)
        Unlabelled instances per step (the configs give the task's batch size).
    weight : `float`, optional (default = `1.0`)
        The weight of the unlabelled term (>= 0; 0 reads the data but adds nothing).
    max_instances_per_language : `int`, optional (default = `None`, all)
        Read at most this many instances of each file.
    seed : `int`, optional (default = `0`)
        Seed of the unlabelled batches' own shuffling generator (plus the worker's rank in
        distributed training).
    """

    def __init__(
        self,
        serialization_dir: str,
        reader: DatasetReader,
        directory: str,
        languages: Any = "",
        extension: str = ".tsv",
        batch_size: int = 32,
        weight: float = 1.0,
        max_instances_per_language: Optional[int] = None,
        seed: int = 0,
    ) -> None:
        super().__init__(serialization_dir)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ParameterError(NAME, "batch_size", f"must be an integer >= 1, got {batch_size!r}")
        if max_instances_per_language is not None and (
            isinstance(max_instances_per_language, bool)
            or not isinstance(max_instances_per_language, int)
            or max_instances_per_language < 1
        ):
            raise ParameterError(
                NAME,
                "max_instances_per_language",
                f"must be an integer >= 1, got {max_instances_per_language!r}",
            )
        self.weight = _number("weight", weight, 0.0)
        self.reader = reader
        self.batch_size = batch_size
        self.max_instances_per_language = max_instances_per_language
        self.seed = seed
        # The files are checked now, so that a bad directory stops the command before training.
        self.files = unlabeled_files(directory, extension, languages, component=NAME)
        self.batches: Optional[UnlabeledBatches] = None
        self._consistency: Optional[Consistency] = None
        self.metrics = PerturbationMetrics([METRIC])

    @property
    def languages(self) -> List[str]:
        return list(self.files)

    def on_start(
        self, trainer: "GradientDescentTrainer", is_primary: bool = True, **kwargs: Any
    ) -> None:
        super().on_start(trainer, is_primary=is_primary, **kwargs)
        self._consistency = self._find_objective(trainer)
        instances = read_unlabeled(self.reader, self.files, self.max_instances_per_language)
        device = next(trainer.model.parameters()).device
        # Each worker of distributed training draws its own order (seed plus its rank).
        rank = torch.distributed.get_rank() if is_distributed() else 0
        self.batches = UnlabeledBatches(
            instances,
            trainer.model.vocab,
            self.batch_size,
            seed=self.seed + rank,
            cuda_device=device,
        )
        self.metrics.install(trainer.model)
        if is_primary:
            logger.info(
                "%s: %d unlabelled instance(s) in %s, weight %g",
                NAME,
                len(instances),
                ", ".join(self.files),
                self.weight,
            )

    def _find_objective(self, trainer: "GradientDescentTrainer") -> Consistency:
        callbacks = [c for c in getattr(trainer, "_callbacks", []) if c is not self]
        for callback in callbacks:
            consistency = getattr(callback, HOOK, None)
            if callable(consistency) and getattr(callback, "accepts_unlabeled", True):
                return consistency
        others = [
            _describe(c)
            for c in callbacks
            if getattr(c, "method", None) is not None or hasattr(c, "distribution")
        ]
        trained = f" ({', '.join(others)} needs labels)" if others else ""
        raise ParameterError(
            NAME,
            "directory",
            f"gives unlabelled data, but this training has no label-free objective to use it"
            f"{trained}: use the adversarial_training methods {LABEL_FREE}",
        )

    def on_backward(
        self,
        trainer: "GradientDescentTrainer",
        batch_outputs: Dict[str, torch.Tensor],
        backward_called: bool,
        **kwargs: Any,
    ) -> bool:
        if self.batches is None or self._consistency is None:
            raise RobustXltError(f"{NAME}: on_backward before on_start")
        batch = next(self.batches)
        with _autocast(trainer):
            term = self._consistency(trainer, batch)
        if term is None:
            return False
        self.metrics.add(METRIC, float(term.detach()))
        if self.weight > 0:
            loss = self.weight * term / max(int(trainer._num_gradient_accumulation_steps), 1)
            scaler = getattr(trainer, "_scaler", None)
            (scaler.scale(loss) if scaler is not None else loss).backward()
        return False  # the labelled batch's backward is not this callback's

    def on_end(
        self,
        trainer: "GradientDescentTrainer",
        metrics: Optional[Dict[str, Any]] = None,
        epoch: Optional[int] = None,
        is_primary: bool = True,
        **kwargs: Any,
    ) -> None:
        self.metrics.uninstall()
        self.batches = None
        self._consistency = None


def _autocast(trainer: "GradientDescentTrainer") -> ContextManager[Any]:
    use_amp = bool(getattr(trainer, "_use_amp", False))
    return amp.autocast(use_amp) if use_amp else nullcontext()
