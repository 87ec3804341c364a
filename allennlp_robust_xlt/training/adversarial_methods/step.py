"""
`AdversarialStep`: what an `AdversarialMethod` works with in one training batch (not registered).

The `adversarial_training` callback builds one per batch in `on_backward`, after the trainer's
forward pass, and hands it to the method's `step`. It holds the batch's pieces and gives the
operations a method composes, with the plumbing done (see the callback's module docstring):

* `trainer_loss`, `trainer_outputs`: the trainer's own forward pass (not backpropagated yet);
  `trainer_delta`: the perturbation it ran at (None: clean); `clean`: the word-embedding call
  of that pass (its `embeddings`, before any perturbation, and `mask`, true on real tokens).
* `forward(delta, synchronize, ascent_only)` / `forward_outputs(...)`: a pass of the model on
  the same batch with `delta` added to the word embeddings (its loss / its whole output dict),
  under AMP's autocast and, unless `synchronize`, DDP's `no_sync()`; `ascent_only` passes run
  with the parameters frozen (differentiate them w.r.t. `delta` only).
* `backward(loss, weight)`: parameter gradients of `weight * loss`, divided by the accumulation
  group's size and scaled by AMP's scaler, as the trainer's own backward would be.
* `gradient(loss, wrt)`: the gradient of `loss` w.r.t. `wrt` only (no parameter gradients).
* `start()`, `ascend(delta, grad)`: the method's start and ascent step on this batch's mask.
* `trainer_pass(weight)`: uses the trainer's pass as the attack's first pass (see there).
* `position`: the batch's index in its accumulation group (for state kept per position).
* `record(losses, delta)`: the base training metrics; `metrics.add(name, value)` for others.
"""

from contextlib import ExitStack, nullcontext
from typing import TYPE_CHECKING, Any, ContextManager, Dict, List, Optional, Tuple

import torch
from torch.cuda import amp

from allennlp_robust_xlt.nn.embedding_perturbation import (
    WordEmbeddingCall,
    WordEmbeddingPerturbation,
    example_norms,
    frozen_parameters,
)
from allennlp_robust_xlt.nn.embedding_scale import perturbation_ratio
from allennlp_robust_xlt.training.adversarial_methods.base import COMPONENT, AdversarialMethod
from allennlp_robust_xlt.training.perturbation_metrics import PerturbationMetrics

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer


class GeneratorStates:
    """The states of the generators dropout draws from: torch's CPU one and `device`'s CUDA one."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.cpu = torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None

    def restore(self) -> None:
        torch.set_rng_state(self.cpu)
        if self.cuda is not None:
            torch.cuda.set_rng_state(self.cuda, self.device)


class AdversarialStep:
    """The passes of one batch; see the module docstring."""

    def __init__(
        self,
        method: AdversarialMethod,
        perturbation: WordEmbeddingPerturbation,
        metrics: PerturbationMetrics,
        trainer: "GradientDescentTrainer",
        batch: Dict[str, Any],
        group_size: int,
        trainer_outputs: Dict[str, Any],
        clean: WordEmbeddingCall,
        trainer_delta: Optional[torch.Tensor],
        dropout_state: Optional[GeneratorStates] = None,
        position: int = 0,
    ) -> None:
        self.method = method
        self.perturbation = perturbation
        self.metrics = metrics
        self.trainer = trainer
        self.batch = batch
        self.group_size = group_size
        self.trainer_outputs = trainer_outputs
        self.trainer_loss: torch.Tensor = trainer_outputs["loss"]
        self.clean = clean
        self.trainer_delta = trainer_delta
        self.dropout_state = dropout_state
        self.position = position
        """The batch's index in its gradient-accumulation group."""
        self.mask = clean.mask
        self.scaler = getattr(trainer, "_scaler", None)

    # -- gradients ---------------------------------------------------------------------------

    def _scaled(self, loss: torch.Tensor) -> torch.Tensor:
        return self.scaler.scale(loss) if self.scaler is not None else loss

    def backward(self, loss: torch.Tensor, weight: float) -> None:
        """Parameter gradients of `weight * loss`, divided like the trainer divides its losses."""
        self._scaled(loss * (weight / self.group_size)).backward()

    def gradient(self, loss: torch.Tensor, wrt: torch.Tensor) -> torch.Tensor:
        """Gradient of `loss` w.r.t. `wrt` only: no parameter gradients, no DDP all-reduce."""
        (grad,) = torch.autograd.grad(self._scaled(loss), wrt)
        return grad

    # -- passes ------------------------------------------------------------------------------

    def forward(
        self, delta: torch.Tensor, synchronize: bool, ascent_only: bool = False
    ) -> torch.Tensor:
        """The training loss with `delta` added to the word embeddings (see `forward_outputs`)."""
        loss = self.forward_outputs(delta, synchronize, ascent_only)["loss"]
        if torch.isnan(loss):
            raise ValueError(f"{COMPONENT}: nan loss encountered at the perturbed word embeddings")
        return loss

    def forward_outputs(
        self, delta: torch.Tensor, synchronize: bool, ascent_only: bool = False
    ) -> Dict[str, Any]:
        """
        The model's outputs (`trainer.batch_outputs`: the loss includes the regularization
        penalty) with `delta` added to the word embeddings. An `ascent_only` pass is only
        differentiated w.r.t. `delta`: it runs with the parameters frozen, so that its graph
        (and backward) has no parameter-gradient work, and outside DDP synchronization. With
        shared dropout masks, the pass draws the random numbers of the trainer's pass, and the
        generators are then put back where they were.
        """
        model = self.trainer._pytorch_model
        no_sync = getattr(model, "no_sync", None)
        shared = self.dropout_state

        def with_shared_masks(call: WordEmbeddingCall) -> torch.Tensor:
            shared.restore()  # type: ignore[union-attr]
            return delta

        perturbation: Any = delta if shared is None else with_shared_masks

        before = GeneratorStates(self.clean.embeddings.device) if shared is not None else None
        with ExitStack() as stack:
            if not synchronize and callable(no_sync):
                stack.enter_context(no_sync())
            if ascent_only:
                stack.enter_context(frozen_parameters(self.trainer.model))
            stack.enter_context(autocast(self.trainer))
            stack.enter_context(self.perturbation.adding(perturbation))
            try:
                outputs = self.trainer.batch_outputs(self.batch, for_training=True)
            finally:
                if before is not None:
                    before.restore()
        calls = self.perturbation.take_calls()
        if len(calls) != 1 or not torch.equal(calls[0].input_ids, self.clean.input_ids):
            raise RuntimeError(
                f"{COMPONENT}: the replayed batch is not the batch of the clean forward pass"
            )
        return outputs

    # -- the attack --------------------------------------------------------------------------

    def start(self) -> torch.Tensor:
        return self.method.start(self.clean.embeddings, self.mask)

    def ascend(self, delta: torch.Tensor, grad: Optional[torch.Tensor]) -> torch.Tensor:
        if grad is None:  # the loss does not depend on the word embeddings
            grad = torch.zeros_like(delta)
        return self.method.ascend(delta, grad, self.mask)

    def trainer_pass(self, weight: float) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
        """
        Uses the trainer's forward pass as the attack's first pass, when it is one: run at the
        random start (`starts_in_trainer_pass`), or clean while the attack starts at zero.
        Backpropagates `weight` x its loss (if positive) and returns the `delta` of that pass and
        the gradient of its loss w.r.t. `delta` (up to a positive factor). `None` when the attack
        needs a pass of its own: a random start with a clean term, or frozen word embeddings
        (nothing tracks their gradient in the clean pass).
        """
        if self.trainer_delta is not None:
            anchor = self.trainer_delta
            delta = self.trainer_delta.detach()
        elif not self.method.random_init and self.clean.embeddings.requires_grad:
            anchor = self.clean.embeddings
            delta = self.start()
        else:
            return None
        if weight > 0:
            if anchor.grad_fn is not None:
                anchor.retain_grad()
            self.backward(self.trainer_loss, weight)
            return delta, anchor.grad  # type: ignore[return-value]
        return delta, self.gradient(self.trainer_loss, anchor)

    def record(self, adversarial_losses: List[torch.Tensor], delta: torch.Tensor) -> None:
        """The batch's base training metrics (`base.BASE_METRICS`)."""
        if self.trainer_delta is None:  # the trainer's pass was clean
            self.metrics.add("clean_loss", float(self.trainer_loss))
        losses = [float(loss) for loss in adversarial_losses]
        self.metrics.add("adversarial_loss", sum(losses) / len(losses))
        rows = self.mask.any(dim=1)
        if bool(rows.any()):
            norms = example_norms(delta.detach(), self.method.norm)[rows]
            self.metrics.add("perturbation_norm", float(norms.mean()))
            ratio = perturbation_ratio(delta, self.clean.embeddings, self.mask)
            if ratio is not None:
                self.metrics.add("perturbation_ratio", ratio)


def autocast(trainer: "GradientDescentTrainer") -> ContextManager[Any]:
    use_amp = bool(getattr(trainer, "_use_amp", False))
    return amp.autocast(use_amp) if use_amp else nullcontext()
