"""
Adversarial training on the input word embeddings as an AllenNLP `TrainerCallback`: PGD (Madry
et al. 2018), FGM (Miyato et al. 2017) and FreeLB (Zhu et al. 2020), as used for robust
cross-lingual transfer by Huang et al. (2021).

How it plugs into `GradientDescentTrainer` (allennlp 2.10.1):

* The trainer runs its forward pass, then calls `on_backward(batch_outputs)`; this callback
  performs the whole backward computation for the batch there and returns `True`, so the
  trainer does not call `loss.backward()` itself.
* The extra forward passes need the batch, which `on_backward` does not receive (and torch
  1.12's forward pre-hooks do not see the keyword arguments `model(**batch)` is called with). A
  `TrainingBatchRecorder` (see `training/batch_recorder.py`) proxies `trainer.data_loader` during
  training and hands over the batch of the current backward and the size of its
  gradient-accumulation group. The passes run through `trainer.batch_outputs(batch)` (that is,
  `trainer._pytorch_model(**batch)` plus the regularization penalty, as for the trainer's pass),
  under `amp.autocast` when the trainer uses AMP. They do not count in the training metrics.
* The perturbation is added to the word-embedding output by a forward hook
  (`WordEmbeddingPerturbation`), before position and token-type embeddings, on real tokens only.
  The hook and the data-loader proxy are installed in `on_start` and removed in `on_end` (which
  the trainer runs even when training fails); neither is stored on the model, so `model.tar.gz`
  loads and predicts without this plugin's callback.
* The trainer's own pass is the attack's first pass whenever possible, so no forward pass is
  wasted: when the attack starts at zero, it is the clean pass and its gradient w.r.t. the word
  embeddings gives the first ascent direction; when the attack starts at random and the
  objective has no clean term (`adversarial_weight = 1`, the PGD and FreeLB defaults), the hook
  puts the random start into the trainer's pass itself. In that case the training loss and
  metrics that AllenNLP reports are those at the random start (FreeLB's code also reports the
  loss of its perturbed passes only); otherwise they are the clean ones.
* Passes that only serve an ascent step (PGD's) run with the parameters frozen and are
  differentiated w.r.t. the perturbation only (`torch.autograd.grad`), so they cost a forward
  pass and an input-gradient backward, with no weight-gradient work.
* Gradient accumulation: every loss this callback backpropagates is divided by the size of the
  batch's accumulation group, as the trainer does for its own backward.
* AMP: every backward (and every gradient w.r.t. the perturbation) goes through
  `trainer._scaler.scale(...)`. Ascent directions are normalized, so the scale does not matter;
  a non-finite gradient gives a zero step for that example (the scaler then skips the update).
* Distributed (torch DDP): DDP all-reduces parameter gradients in every backward of a forward
  run outside `no_sync()`, and the all-reduce averages the accumulated `.grad`, so gradients
  stay correct however many backwards a batch has. To spend no communication where none is
  needed, PGD's ascent-only passes and FreeLB's intermediate steps (which accumulate parameter
  gradients locally) run under `no_sync()`; only the backward of the trainer's pass (its
  forward ran synchronized, in the trainer) and the last backward of the batch all-reduce.
  Every worker runs the same number of passes. (Every parameter must take part in the loss, as
  DDP requires: our configs load the transformer without its unused pooler,
  `transformer_kwargs: {add_pooling_layer: false}`.)

The objective, for the batch's clean loss `L(0)` and perturbation `delta` on the word embeddings:

    loss = (1 - adversarial_weight) * L(0) + adversarial_weight * L_adv

* `pgd`: `L_adv = L(delta_K)`. `delta_0` is 0 or a random start in the ball; then `K = steps`
  times `delta <- project(delta + alpha * direction(grad L(delta)))`, with direction
  `g / ||g||_2` per example for `l2` and `sign(g)` for `linf` (Madry et al.'s L-inf PGD).
* `fgm`: one step of length `epsilon` from the clean embeddings: `delta = epsilon * g / ||g||_2`
  (Miyato et al.'s L2 FGM) or `epsilon * sign(g)` (L-inf: Goodfellow et al.'s FGSM).
* `freelb`: `L_adv = (1/K) * sum_{t=0}^{K-1} L(delta_t)`, the average over the ascent steps;
  each step's backward accumulates the parameter gradients ("free" large batch), and
  `delta_{t+1} = project(delta_t + alpha * direction)` with `g / ||g||_2` (`l2`) or
  `g / ||g||_inf` (`linf`), as in the public FreeLB code. Unlike that code, each pass draws its
  own dropout masks (FreeLB reuses one mask across the K steps), and the bound is always enforced
  (FreeLB's `adv_max_norm = 0` meant unbounded; use a large `epsilon` for that).

Norms are per example over all its real tokens and embedding dimensions (L2), or per coordinate
(L-inf); padding is never perturbed, nor rows a model declares references (`reference_rows` in
`nn/embedding_perturbation.py`; a batch with nothing to perturb trains on its clean loss). With
a `pretrained_transformer` embedder that folds long inputs (`max_length` on the embedder), the
ball is per folded segment instead of per example.
"""

import logging
import math
from contextlib import ExitStack, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, ContextManager, Dict, Iterator, Optional, Tuple

import torch
from allennlp.training.callbacks.backward import OnBackwardException
from allennlp.training.callbacks.callback import TrainerCallback
from torch.cuda import amp

from allennlp_robust_xlt.common.errors import ParameterError, RobustXltError, check_int
from allennlp_robust_xlt.nn.embedding_perturbation import (
    NORMS,
    WordEmbeddingCall,
    WordEmbeddingPerturbation,
    ascent_direction,
    project_to_ball,
    uniform_start,
)
from allennlp_robust_xlt.nn.model_metrics import preserved_metrics
from allennlp_robust_xlt.training.batch_recorder import TrainingBatchRecorder

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

logger = logging.getLogger(__name__)

NAME = "adversarial_training"
METHODS = ("pgd", "fgm", "freelb")

# Defaults for the L2 ball: FreeLB's published setting with a finite bound (QQP in
# huggingface-transformers/launch/run_glue.sh of zhuchen03/FreeLB: --adv-max-norm 7e-1,
# --adv-lr 2e-1, --adv-steps 3), for per-example perturbations of the word embeddings.
DEFAULT_L2_EPSILON = 0.7
DEFAULT_L2_ALPHA = 0.2
DEFAULT_STEPS = 3
DEFAULT_RANDOM_INIT = {"pgd": True, "fgm": False, "freelb": True}
DEFAULT_ADVERSARIAL_WEIGHT = {"pgd": 1.0, "fgm": 0.5, "freelb": 1.0}


@TrainerCallback.register(NAME)
class AdversarialTrainingCallback(TrainerCallback):
    """
    Registered as a `TrainerCallback` with name "adversarial_training".

    Adversarial training on the input word embeddings of a model with a `pretrained_transformer`
    token embedder (e.g. `basic_classifier`, `xtreme_pair_classifier`). Enable it with
    `"trainer": {"callbacks": [{"type": "adversarial_training", "method": "pgd"}]}`. It performs
    the backward pass of every training batch, so it must be the only callback that does.

    # Parameters

    method : `str`, optional (default = `"pgd"`)
        `"pgd"` (Madry et al. 2018), `"fgm"` (Miyato et al. 2017) or `"freelb"` (Zhu et al. 2020).
    norm : `str`, optional (default = `"l2"`)
        `"l2"`: per-example ball over all real tokens' embedding dimensions (as Miyato et al.
        and FreeLB perturb text). `"linf"`: per coordinate.
    epsilon : `float`, optional (default = `0.7` for `l2`; required for `linf`)
        Radius of the ball. `0` turns the callback off (exactly the baseline training).
        The L2 default is FreeLB's published finite bound (QQP, `--adv-max-norm 0.7`).
    alpha : `float`, optional (default = `0.2` for `l2`; required for `linf`; not used by `fgm`)
        Step size of each ascent step (FreeLB's `--adv-lr 0.2` in the same setting). FGM's single
        step has length `epsilon`.
    steps : `int`, optional (default = `3`; `fgm` takes exactly one step)
        `K`, the number of ascent steps of PGD, or of FreeLB's loop (FreeLB's `--adv-steps 3`).
    random_init : `bool`, optional (default = `true` for `pgd` and `freelb`, `false` for `fgm`)
        Start from a random point in the ball instead of the clean embeddings: L-inf uniform in
        `[-epsilon, epsilon]` per coordinate (Madry et al.'s random start); L2 uniform in
        `[-1, 1]` per coordinate times `epsilon / sqrt(real tokens * hidden size)` (FreeLB's
        init with its `adv_init_mag` equal to `epsilon`). `fgm` always starts from zero.
        Without a random start, the clean pass provides the first ascent direction at no cost;
        with one and `adversarial_weight` 1, the trainer's own pass runs at the random start
        (and the training loss and metrics shown are those at the random start).
    adversarial_weight : `float`, optional (default = `1.0` for `pgd` and `freelb`, `0.5` for `fgm`)
        `w` in `(1 - w) * clean loss + w * adversarial loss`, in `[0, 1]`. Madry et al. train on
        the adversarial loss only, FreeLB on the average over its steps; Miyato et al. add the
        clean and the adversarial loss (here halved). `0` turns the callback off.
    warmup_steps : `int`, optional (default = `0`)
        Number of optimizer steps trained on the clean loss alone (exactly the baseline's steps,
        at the baseline's cost) before the adversarial objective starts. An adversary is
        strongest against a model that has not learnt anything yet: fine-tuning a pretrained
        encoder does not need a warm-up, but an encoder trained from scratch (such as the demo's
        synthetic one) can stay at chance when the worst-case perturbation cancels its weak
        early signal. The count of steps taken is saved in AllenNLP's checkpoints, so a run
        resumed with `--recover` switches at the same step as an uninterrupted one.
    """

    def __init__(
        self,
        serialization_dir: str,
        method: str = "pgd",
        norm: str = "l2",
        epsilon: Optional[float] = None,
        alpha: Optional[float] = None,
        steps: Optional[int] = None,
        random_init: Optional[bool] = None,
        adversarial_weight: Optional[float] = None,
        warmup_steps: int = 0,
    ) -> None:
        super().__init__(serialization_dir)
        if method not in METHODS:
            raise ParameterError(NAME, "method", f"must be one of {list(METHODS)}, got {method!r}")
        if norm not in NORMS:
            raise ParameterError(NAME, "norm", f"must be one of {list(NORMS)}, got {norm!r}")
        self.method = method
        self.norm = norm

        if epsilon is None:
            if norm != "l2":
                raise ParameterError(
                    NAME,
                    "epsilon",
                    f"has no default for norm {norm!r}: give the radius of the ball",
                )
            epsilon = DEFAULT_L2_EPSILON
        if not _is_number(epsilon) or not math.isfinite(epsilon) or epsilon < 0:
            raise ParameterError(NAME, "epsilon", f"must be a finite number >= 0, got {epsilon!r}")
        self.epsilon = float(epsilon)

        if method == "fgm":
            if alpha is not None:
                raise ParameterError(
                    NAME,
                    "alpha",
                    "is not used by method 'fgm' (its single step has length epsilon)",
                )
            if steps is not None and steps != 1:
                raise ParameterError(
                    NAME,
                    "steps",
                    f"must be 1 for method 'fgm', got {steps!r}; use method 'pgd' for several"
                    " steps",
                )
            if random_init:
                raise ParameterError(
                    NAME,
                    "random_init",
                    "must be false for method 'fgm' (it starts from the clean embeddings); use"
                    " method 'pgd' with steps 1",
                )
            self.alpha: Optional[float] = None
            self.steps = 1
            self.random_init = False
        else:
            if alpha is None:
                if norm != "l2":
                    raise ParameterError(
                        NAME, "alpha", f"has no default for norm {norm!r}: give the step size"
                    )
                alpha = DEFAULT_L2_ALPHA
            if not _is_number(alpha) or not math.isfinite(alpha) or alpha <= 0:
                raise ParameterError(NAME, "alpha", f"must be a finite number > 0, got {alpha!r}")
            self.alpha = float(alpha)
            if steps is None:
                steps = DEFAULT_STEPS
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                raise ParameterError(NAME, "steps", f"must be an integer >= 1, got {steps!r}")
            self.steps = steps
            self.random_init = (
                DEFAULT_RANDOM_INIT[method] if random_init is None else bool(random_init)
            )

        if adversarial_weight is None:
            adversarial_weight = DEFAULT_ADVERSARIAL_WEIGHT[method]
        if not _is_number(adversarial_weight) or not 0.0 <= adversarial_weight <= 1.0:
            raise ParameterError(
                NAME, "adversarial_weight", f"must be in [0, 1], got {adversarial_weight!r}"
            )
        self.adversarial_weight = float(adversarial_weight)
        self.warmup_steps = check_int(NAME, "warmup_steps", warmup_steps, minimum=0)
        self._optimizer_steps = 0  # optimizer steps completed, for the warm-up

        self._perturbation: Optional[WordEmbeddingPerturbation] = None
        self._recorder = TrainingBatchRecorder()
        self._trainer_pass = ExitStack()
        self._start: Optional[Tuple[torch.Tensor, torch.Tensor]] = None

    @property
    def active(self) -> bool:
        """False when the settings make the objective the clean loss (`epsilon` or the weight is 0)."""
        return self.epsilon > 0 and self.adversarial_weight > 0

    @property
    def starts_in_trainer_pass(self) -> bool:
        """
        With a random start and no clean term in the objective, the trainer's own forward pass
        runs at the random start and is the attack's first pass (saving a forward pass).
        """
        return self.active and self.random_init and self.adversarial_weight == 1.0

    @property
    def warming_up(self) -> bool:
        """Whether the current optimizer step is one of the clean warm-up steps."""
        return self._optimizer_steps < self.warmup_steps

    def _random_start(self, call: WordEmbeddingCall) -> Optional[torch.Tensor]:
        if not (call.training and torch.is_grad_enabled()) or self.warming_up:
            return None  # validation, prediction, warm-up
        start = uniform_start(call.embeddings, call.mask, self.norm, self.epsilon).requires_grad_()
        self._start = (call.embeddings, start)
        return start

    def __repr__(self) -> str:
        settings = f"method={self.method!r}, norm={self.norm!r}, epsilon={self.epsilon}"
        if self.alpha is not None:
            settings += f", alpha={self.alpha}"
        settings += (
            f", steps={self.steps}, random_init={self.random_init},"
            f" adversarial_weight={self.adversarial_weight}"
        )
        if self.warmup_steps:
            settings += f", warmup_steps={self.warmup_steps}"
        return f"{type(self).__name__}({settings})"

    # -- trainer events ----------------------------------------------------------------------

    def on_start(
        self, trainer: "GradientDescentTrainer", is_primary: bool = True, **kwargs: Any
    ) -> None:
        super().on_start(trainer, is_primary=is_primary, **kwargs)
        if not hasattr(trainer, "batch_outputs"):
            raise RobustXltError(
                f"{NAME}: needs AllenNLP's GradientDescentTrainer, got {type(trainer).__name__}"
            )
        self._release()
        self._perturbation = WordEmbeddingPerturbation(
            trainer.model, record_calls=True, component=NAME
        )
        self._perturbation.attach()
        if self.starts_in_trainer_pass:
            self._trainer_pass.enter_context(self._perturbation.adding(self._random_start))
        self._recorder.install(trainer)
        if is_primary:
            state = (
                ""
                if self.active
                else " (inactive: epsilon or adversarial_weight is 0, training is the baseline)"
            )
            logger.info("%r%s", self, state)

    def on_end(
        self,
        trainer: "GradientDescentTrainer",
        metrics: Optional[Dict[str, Any]] = None,
        epoch: Optional[int] = None,
        is_primary: bool = True,
        **kwargs: Any,
    ) -> None:
        self._release()

    def _release(self) -> None:
        self._trainer_pass.close()
        self._start = None
        if self._perturbation is not None:
            self._perturbation.detach()
            self._perturbation = None
        self._recorder.uninstall()

    def on_backward(
        self,
        trainer: "GradientDescentTrainer",
        batch_outputs: Dict[str, torch.Tensor],
        backward_called: bool,
        **kwargs: Any,
    ) -> bool:
        if backward_called:
            raise OnBackwardException(
                f"The '{NAME}' callback performs the backward pass itself; remove the other"
                " backward callback."
            )
        if self._perturbation is None:
            raise RuntimeError(f"{NAME}: on_backward before on_start")
        batch, group_size = self._recorder.next_batch()
        calls = self._perturbation.take_calls()
        warming_up = self.warming_up
        if self._recorder.group_complete:
            self._optimizer_steps += 1
        if not self.active or warming_up:
            return False  # the trainer's own backward of the clean loss
        if len(calls) != 1:
            raise RobustXltError(
                f"{NAME}: the model called its word-embedding layer {len(calls)} times in one"
                " forward pass; only models that embed one text field with one transformer are"
                " supported (use the readers' combined 'tokens' field)"
            )
        if not bool(calls[0].mask.any()):
            # Nothing to perturb (every row a reference, `reference_rows`): the trainer's own
            # backward of the batch's loss, which is its clean loss.
            self._start = None
            return False
        trainer_delta = None
        if self.starts_in_trainer_pass:
            start, self._start = self._start, None
            if start is None or start[0] is not calls[0].embeddings:
                raise RuntimeError(
                    f"{NAME}: the trainer's forward pass did not run at the random start"
                )
            trainer_delta = start[1]
        step = _AdversarialStep(
            self, trainer, batch, group_size, batch_outputs["loss"], calls[0], trainer_delta
        )
        with preserved_metrics(trainer.model):
            if self.method == "freelb":
                step.freelb()
            else:
                step.pgd()
        return True

    def state_dict(self) -> Dict[str, Any]:
        return {"optimizer_steps": self._optimizer_steps}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        self._optimizer_steps = int(state_dict.get("optimizer_steps", 0))


class _AdversarialStep:
    """The passes of one batch; see the module docstring for the algorithms."""

    def __init__(
        self,
        callback: AdversarialTrainingCallback,
        trainer: "GradientDescentTrainer",
        batch: Dict[str, Any],
        group_size: int,
        trainer_loss: torch.Tensor,
        clean: WordEmbeddingCall,
        trainer_delta: Optional[torch.Tensor],
    ) -> None:
        self.config = callback
        self.perturbation: WordEmbeddingPerturbation = callback._perturbation  # type: ignore[assignment]
        self.trainer = trainer
        self.batch = batch
        self.group_size = group_size
        self.trainer_loss = trainer_loss
        self.clean = clean
        self.trainer_delta = trainer_delta
        self.mask = clean.mask
        self.scaler = getattr(trainer, "_scaler", None)

    # -- pieces ------------------------------------------------------------------------------

    def _scaled(self, loss: torch.Tensor) -> torch.Tensor:
        return self.scaler.scale(loss) if self.scaler is not None else loss

    def backward(self, loss: torch.Tensor, weight: float) -> None:
        """Parameter gradients of `weight * loss`, divided like the trainer divides its losses."""
        self._scaled(loss * (weight / self.group_size)).backward()

    def gradient(self, loss: torch.Tensor, wrt: torch.Tensor) -> torch.Tensor:
        """Gradient of `loss` w.r.t. `wrt` only: no parameter gradients, no DDP all-reduce."""
        (grad,) = torch.autograd.grad(self._scaled(loss), wrt)
        return grad

    def forward(
        self, delta: torch.Tensor, synchronize: bool, ascent_only: bool = False
    ) -> torch.Tensor:
        """
        The training loss with `delta` added to the word embeddings. An `ascent_only` pass is
        only differentiated w.r.t. `delta`: it runs with the parameters frozen, so that its
        graph (and backward) has no parameter-gradient work, and outside DDP synchronization.
        """
        model = self.trainer._pytorch_model
        no_sync = getattr(model, "no_sync", None)
        with ExitStack() as stack:
            if not synchronize and callable(no_sync):
                stack.enter_context(no_sync())
            if ascent_only:
                stack.enter_context(_frozen(self.trainer.model))
            stack.enter_context(_autocast(self.trainer))
            stack.enter_context(self.perturbation.adding(delta))
            outputs = self.trainer.batch_outputs(self.batch, for_training=True)
        calls = self.perturbation.take_calls()
        if len(calls) != 1 or not torch.equal(calls[0].input_ids, self.clean.input_ids):
            raise RuntimeError(
                f"{NAME}: the replayed batch is not the batch of the clean forward pass"
            )
        loss = outputs["loss"]
        if torch.isnan(loss):
            raise ValueError(f"{NAME}: nan loss encountered at the perturbed word embeddings")
        return loss

    def ascend(self, delta: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        config = self.config
        with torch.no_grad():
            if config.method == "fgm":
                kind, size = ("l2" if config.norm == "l2" else "sign"), config.epsilon
            elif config.method == "pgd":
                kind, size = ("l2" if config.norm == "l2" else "sign"), config.alpha
            else:
                kind, size = config.norm, config.alpha
            direction = ascent_direction(grad, self.mask, kind)
            return project_to_ball(
                delta.detach() + size * direction, self.mask, config.norm, config.epsilon
            )

    def start(self) -> torch.Tensor:
        embeddings = self.clean.embeddings
        if self.config.random_init:
            return uniform_start(embeddings, self.mask, self.config.norm, self.config.epsilon)
        return torch.zeros(embeddings.shape, dtype=torch.float, device=embeddings.device)

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
        elif not self.config.random_init and self.clean.embeddings.requires_grad:
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

    # -- methods -----------------------------------------------------------------------------

    def pgd(self) -> None:
        """PGD and FGM: ascent steps on `delta` alone, then one training pass at the final `delta`."""
        weight = self.config.adversarial_weight
        clean_weight = 1.0 - weight  # 0 whenever the trainer's pass is at the random start
        steps = self.config.steps
        first = self.trainer_pass(clean_weight)
        if first is not None:
            delta = self.ascend(*first)
            steps -= 1
        else:
            if clean_weight > 0:
                self.backward(self.trainer_loss, clean_weight)
            delta = self.start()
        for _ in range(steps):
            delta = delta.detach().requires_grad_()
            loss = self.forward(delta, synchronize=False, ascent_only=True)
            delta = self.ascend(delta, self.gradient(loss, delta))
        loss = self.forward(delta.detach(), synchronize=True)
        self.backward(loss, weight)

    def freelb(self) -> None:
        """FreeLB: every step's pass is also a training pass, weighted `adversarial_weight / K`."""
        weight = self.config.adversarial_weight
        clean_weight = 1.0 - weight
        steps = self.config.steps
        per_step = weight / steps
        # The trainer's pass, if at FreeLB's delta_0 (the random start, or 0), is its first step.
        first = self.trainer_pass(clean_weight + per_step)
        if first is not None:
            if steps == 1:
                return
            delta = self.ascend(*first)
            begin = 1
        else:
            if clean_weight > 0:
                self.backward(self.trainer_loss, clean_weight)
            delta = self.start()
            begin = 0
        for step in range(begin, steps):
            last = step == steps - 1
            delta = delta.detach().requires_grad_()
            loss = self.forward(delta, synchronize=last)
            self.backward(loss, per_step)
            if last:
                break
            delta = self.ascend(delta, delta.grad)  # type: ignore[arg-type]


@contextmanager
def _frozen(model: torch.nn.Module) -> Iterator[None]:
    """
    Parameters do not require gradients inside the block. (In torch 1.12, `autograd.grad`
    w.r.t. an input still computes the weight gradients of every matrix product on the way.)
    """
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    for parameter in trainable:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter in trainable:
            parameter.requires_grad_(True)


def _autocast(trainer: "GradientDescentTrainer") -> ContextManager[Any]:
    use_amp = bool(getattr(trainer, "_use_amp", False))
    return amp.autocast(use_amp) if use_amp else nullcontext()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
