"""
`KlMethod`: the shared base of the consistency (KL) methods of the `adversarial_training`
callback, `r3f`, `smart` (and its `alum` preset) and `vat` (not registered itself); and
`UnlabeledStep`, the passes of a batch *without labels*, for their consistency term alone.
See `docs/consistency-objectives.md`.

A KL method compares the model's output distributions (`nn/consistency.py`: class
probabilities, tag distributions under the mask, QA start/end, choices, the dual encoder's
in-batch softmax) at the clean word embeddings and at perturbed ones. Its objective on a
labelled batch is

    loss = task loss (the trainer's clean pass) + kl_weight * consistency term (+ extras)

backpropagated once, through the clean and the perturbed passes. The consistency term needs no
label: `consistency_loss(trainer, perturbation, batch)` computes it on a batch without labels
(e.g. unlabelled target-language text) and returns it, for the caller to weight and
backpropagate; no supervised loss is computed on that batch.

A subclass implements `consistency_term(step) -> (term, delta)`: the term (a scalar tensor,
differentiable w.r.t. the parameters through both passes) from `step.trainer_outputs` (the clean
pass) and its own passes (`step.forward_outputs`), and the final perturbation (for the metrics).
It works on an `AdversarialStep` or an `UnlabeledStep` alike: it uses `trainer_outputs`,
`forward_outputs`, `gradient`, `mask`, `clean` and `trainer` only.

Distributed training (DDP): the method's own passes run on the unwrapped model
(`trainer.model`), never through the DDP wrapper. DDP broadcasts the model's buffers in place in
every forward it runs (the position and token-type id buffers of the transformer's embeddings),
which would invalidate the graph of the trainer's clean pass that the single backward still
needs. The gradients of all the passes meet in that one backward, whose all-reduce (prepared by
the trainer's synchronized forward) carries their sum. An unlabelled batch's passes all run
unwrapped: backpropagate its `consistency_loss` before the labelled batch's backward of the same
step, so that the all-reduce of that backward carries it too.
"""

import math
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Dict, Iterator, List, Optional, Tuple

import torch

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.consistency import Distributions, output_distributions
from allennlp_robust_xlt.nn.embedding_perturbation import (
    WordEmbeddingPerturbation,
    example_norms,
    frozen_parameters,
)
from allennlp_robust_xlt.nn.embedding_scale import perturbation_ratio
from allennlp_robust_xlt.nn.model_metrics import preserved_metrics
from allennlp_robust_xlt.training.adversarial_methods.base import (
    COMPONENT,
    AdversarialMethod,
    is_number,
)
from allennlp_robust_xlt.training.adversarial_methods.step import autocast

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

KL_METRICS = ["clean_loss", "consistency_kl", "perturbation_norm", "perturbation_ratio"]

# The labels of each family's reader: never given to the model in an unlabelled pass.
LABEL_FIELDS = ("label", "tags", "answer_spans", "correct_alternative")


def check_non_negative(parameter: str, value: Any) -> float:
    """A finite number >= 0, else a `ParameterError` naming `parameter`."""
    if not is_number(value) or not math.isfinite(value) or value < 0:
        raise ParameterError(COMPONENT, parameter, f"must be a finite number >= 0, got {value!r}")
    return float(value)


class KlMethod(AdversarialMethod):
    """
    The base of the KL methods (see the module docstring). Parameters shared by all of them:

    kl_weight : `float`, optional (default = `1.0`)
        `lambda`, the weight of the consistency term (fairseq's `--r3f-lambda`, SMART's
        `lambda_s`, VAT's `alpha`). `0` turns the method off (the baseline).

    They take the base's `epsilon` (the noise scale or the ball's radius, see each method),
    `share_dropout_masks` and `relative_to`; `adversarial_weight` and `random_init` are not
    theirs (the task loss always has weight 1, the term `kl_weight`; each method starts as its
    paper does).
    """

    default_random_init = False
    default_adversarial_weight = 1.0
    metric_names: ClassVar[List[str]] = KL_METRICS
    unused_parameter_notes: ClassVar[Dict[str, str]] = {
        "adversarial_weight": "the consistency term's weight is kl_weight; the task loss has 1",
        "random_init": "the method starts as its paper does",
    }

    def __init__(self, kl_weight: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kl_weight = check_non_negative("kl_weight", kl_weight)

    @property
    def active(self) -> bool:
        return self.epsilon > 0 and self.kl_weight > 0

    @property
    def starts_in_trainer_pass(self) -> bool:
        return False  # the trainer's pass is always the clean one the term compares with

    def settings(self) -> List[Tuple[str, Any]]:
        return [("norm", self.norm), ("epsilon", self.epsilon), ("kl_weight", self.kl_weight)]

    # -- the term ----------------------------------------------------------------------------

    def consistency_term(self, step: Any) -> Tuple[torch.Tensor, torch.Tensor]:
        """The consistency term of the batch of `step` and the final perturbation."""
        raise NotImplementedError

    def extra_loss(self, step: Any) -> Optional[torch.Tensor]:
        """A further term of a labelled batch's loss (SMART's proximal term), or None."""
        return None

    def step(self, step: Any) -> None:
        with unwrapped(step.trainer):
            term, delta = self.consistency_term(step)
            loss = step.trainer_loss + self.kl_weight * term
            extra = self.extra_loss(step)
        if extra is not None:
            loss = loss + extra
        step.backward(loss, 1.0)
        step.metrics.add("clean_loss", float(step.trainer_loss))
        self.record(step, term, delta)

    def record(self, step: Any, term: torch.Tensor, delta: torch.Tensor) -> None:
        """
        The training metrics of the term: its value, the perturbation's mean norm (in `norm`)
        and its mean size relative to the embeddings (`perturbation_ratio`, as the adversaries').
        """
        step.metrics.add("consistency_kl", float(term.detach()))
        rows = step.mask.any(dim=1)
        if bool(rows.any()):
            norms = example_norms(delta.detach(), self.norm)[rows]
            step.metrics.add("perturbation_norm", float(norms.mean()))
            ratio = perturbation_ratio(delta, step.clean.embeddings, step.mask)
            if ratio is not None:
                step.metrics.add("perturbation_ratio", ratio)

    # -- helpers for the subclasses ----------------------------------------------------------

    @staticmethod
    def distributions(step: Any, outputs: Dict[str, Any]) -> List[Distributions]:
        return output_distributions(step.trainer.model, outputs)

    # -- unlabelled batches ------------------------------------------------------------------

    def consistency_loss(
        self,
        trainer: "GradientDescentTrainer",
        perturbation: WordEmbeddingPerturbation,
        batch: Dict[str, Any],
    ) -> torch.Tensor:
        """
        `kl_weight` times the consistency term on `batch` (its labels, if any, are dropped: no
        supervised loss is computed), with gradient through its passes; the caller
        backpropagates it (divided by its accumulation group's size, as the trainer does).
        `perturbation` must be attached to the trainer's model (the callback's). The model's
        metrics are left as they were.
        """
        with preserved_metrics(trainer.model):
            step = UnlabeledStep(trainer, perturbation, batch)
            term, delta = self.consistency_term(step)
        return self.kl_weight * term


@contextmanager
def unwrapped(trainer: "GradientDescentTrainer") -> Iterator[None]:
    """
    The trainer's passes (`batch_outputs`, through its `_pytorch_model`) run on its unwrapped
    model inside the block: AllenNLP's trainer reaches the DDP wrapper through
    `_ddp_wrapped_model`, which is set aside meanwhile.
    """
    wrapped = getattr(trainer, "_ddp_wrapped_model", None)
    if wrapped is None:
        yield
        return
    trainer._ddp_wrapped_model = None
    try:
        yield
    finally:
        trainer._ddp_wrapped_model = wrapped


class UnlabeledStep:
    """
    The passes of a batch without labels, with what `KlMethod.consistency_term` uses of an
    `AdversarialStep`: it runs the clean pass itself (`trainer_outputs`), and
    `forward_outputs(delta, synchronize, ascent_only)` / `gradient(loss, wrt)` as there (under
    AMP's autocast, on the unwrapped model; `synchronize` is ignored). The batch's labels and its
    `metadata` are not given to the model (a tagger refuses training sentences without tags
    when it sees their file names).
    """

    def __init__(
        self,
        trainer: "GradientDescentTrainer",
        perturbation: WordEmbeddingPerturbation,
        batch: Dict[str, Any],
    ) -> None:
        self.trainer = trainer
        self.perturbation = perturbation
        self.batch = {
            key: value
            for key, value in batch.items()
            if key not in LABEL_FIELDS and key != "metadata"
        }
        self.scaler = getattr(trainer, "_scaler", None)
        perturbation.take_calls()
        self.trainer_outputs = self._run(None, synchronize=False, ascent_only=False)
        calls = perturbation.take_calls()
        if len(calls) != 1:
            raise RuntimeError(
                f"{COMPONENT}: the model called its word-embedding layer {len(calls)} times in"
                " one forward pass of an unlabelled batch"
            )
        self.clean = calls[0]
        self.mask = self.clean.mask

    def _run(
        self, delta: Optional[torch.Tensor], synchronize: bool, ascent_only: bool
    ) -> Dict[str, Any]:
        model = self.trainer.model  # never the DDP wrapper (see the module docstring)
        with ExitStack() as stack:
            if ascent_only:
                stack.enter_context(frozen_parameters(self.trainer.model))
            stack.enter_context(autocast(self.trainer))
            if delta is not None:
                stack.enter_context(self.perturbation.adding(delta))
            return model(**self.batch)

    def forward_outputs(
        self, delta: torch.Tensor, synchronize: bool, ascent_only: bool = False
    ) -> Dict[str, Any]:
        outputs = self._run(delta, synchronize, ascent_only)
        self.perturbation.take_calls()
        return outputs

    def gradient(self, loss: torch.Tensor, wrt: torch.Tensor) -> torch.Tensor:
        scaled = self.scaler.scale(loss) if self.scaler is not None else loss
        (grad,) = torch.autograd.grad(scaled, wrt)
        return grad
