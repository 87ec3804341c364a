"""
Adversarial training on the input word embeddings as an AllenNLP `TrainerCallback`: PGD (Madry
et al. 2018), FGM (Miyato et al. 2017), FreeLB (Zhu et al. 2020) and "free" adversarial training
(Shafahi et al. 2019), as used for robust cross-lingual transfer by Huang et al. (2021).

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
  own dropout masks unless `share_dropout_masks` is set (the public FreeLB code reuses the first
  pass's masks across the K steps), and the bound is always enforced (FreeLB's
  `adv_max_norm = 0` meant unbounded; use a large `epsilon` for that).
* `free`: each accumulation group of batches is trained `m = replays` times in a row; each
  replay is one pass at the current `delta` whose single backward gives both the parameter
  gradients (the trainer's optimizer step) and the ascent step
  `delta <- project(delta + alpha * direction)` (`g / ||g||_2` for `l2`, `sign(g)` for `linf`,
  Shafahi et al.'s FGSM step). `delta` is kept across replays and across batches: row `i` of a
  new batch starts from row `i` of the previous batch at the same position in its group, cut or
  padded with zeros to the new length, zeroed on padding and projected (Shafahi et al. keep one
  perturbation tensor for the whole of training). It costs one forward and backward per step,
  like the baseline.

How `free` fits AllenNLP's trainer: the replays are real trainer steps. The batch recorder's
data-loader proxy (`training/batch_recorder.py`) gives the trainer each group `m` times, and
each trainer epoch the baseline's number of optimizer steps, dealt from passes over the data
that go on across epochs (about the next `1/m` of a pass), so `num_epochs`, the learning-rate
schedule and validation stay as configured and the data is seen about `num_epochs / m` times
("training runs 1/m of the epochs"). The clean warm-up steps (`warmup_steps`) are not replayed:
they see the baseline's data. Gradient
clipping, the scheduler, the AMP scaler, accumulation, DDP's all-reduce (the trainer's pass is
a plain synchronized forward with one backward), checkpoints and `--recover` are AllenNLP's own;
the perturbations and the random generators of the pass over the data in progress are saved in
the checkpoints through `state_dict`. The trainer's forward pass runs at the current `delta` (a
forward hook adds it), so the training loss and metrics shown are those at the perturbation.

`share_dropout_masks` (pgd, fgm, freelb): every pass of a batch sees the dropout masks of the
trainer's pass, as the public FreeLB code does by passing its first pass's masks to the
others. Instead of changing the model, the callback forks the random generators dropout draws
from (torch's CPU generator and the model device's CUDA generator): it saves their state in the
trainer's pass right after the word-embedding layer (after the random start is drawn, before
any dropout), puts it back at the same point of each of its own passes, and after each of its
passes restores the state the generators had before it, so later draws (the next batch's random
start and masks) are as if the extra passes had drawn nothing.

Training metrics (shown on the progress bar, logged by the `console_logger`, `tensorboard` and
`wandb` callbacks as `batch_<name>` and in `metrics.json` as `training_<name>`, see
`training/perturbation_metrics.py`), each the mean over the epoch's batches so far:
`adversarial_loss` (the loss at the final perturbation: PGD's and FGM's training pass, the mean
of FreeLB's K passes, the free pass), `clean_loss` (the unperturbed loss, when the trainer's
pass is clean: the attack starts at zero or the objective keeps a clean term; then also in the
warm-up steps) and
`perturbation_norm` (the mean per-example norm, in the chosen `norm`, of the final
perturbation). An adversary that is too strong shows as an adversarial loss that stays far
above the clean loss, with a clean loss that stops falling or rises.

Norms are per example over all its real tokens and embedding dimensions (L2), or per coordinate
(L-inf); padding is never perturbed, nor rows a model declares references (`reference_rows` in
`nn/embedding_perturbation.py`; a batch with nothing to perturb trains on its clean loss). With
a `pretrained_transformer` embedder that folds long inputs (`max_length` on the embedder), the
ball is per folded segment instead of per example.
"""

import logging
import math
from contextlib import ExitStack, nullcontext
from typing import TYPE_CHECKING, Any, ContextManager, Dict, List, Optional, Tuple

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
    example_norms,
    frozen_parameters,
    project_to_ball,
    uniform_start,
)
from allennlp_robust_xlt.nn.model_metrics import preserved_metrics
from allennlp_robust_xlt.training.batch_recorder import BatchTag, TrainingBatchRecorder
from allennlp_robust_xlt.training.perturbation_metrics import PerturbationMetrics

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

logger = logging.getLogger(__name__)

NAME = "adversarial_training"
METHODS = ("pgd", "fgm", "freelb", "free")
METRICS = ["adversarial_loss", "clean_loss", "perturbation_norm"]

# Defaults for the L2 ball: FreeLB's published setting with a finite bound (QQP in
# huggingface-transformers/launch/run_glue.sh of zhuchen03/FreeLB: --adv-max-norm 7e-1,
# --adv-lr 2e-1, --adv-steps 3), for per-example perturbations of the word embeddings.
DEFAULT_L2_EPSILON = 0.7
DEFAULT_L2_ALPHA = 0.2
DEFAULT_STEPS = 3
DEFAULT_REPLAYS = 3
DEFAULT_RANDOM_INIT = {"pgd": True, "fgm": False, "freelb": True, "free": False}
DEFAULT_ADVERSARIAL_WEIGHT = {"pgd": 1.0, "fgm": 0.5, "freelb": 1.0, "free": 1.0}


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
        `"pgd"` (Madry et al. 2018), `"fgm"` (Miyato et al. 2017), `"freelb"` (Zhu et al. 2020)
        or `"free"` (Shafahi et al. 2019, "Adversarial Training for Free!"; see `replays`).
    norm : `str`, optional (default = `"l2"`)
        `"l2"`: per-example ball over all real tokens' embedding dimensions (as Miyato et al.
        and FreeLB perturb text). `"linf"`: per coordinate.
    epsilon : `float`, optional (default = `0.7` for `l2`; required for `linf`)
        Radius of the ball. `0` turns the callback off (exactly the baseline training).
        The L2 default is FreeLB's published finite bound (QQP, `--adv-max-norm 0.7`).
    alpha : `float`, optional (default = `0.2` for `l2`, `epsilon` for `free`; else required)
        (Not used by `fgm`.)
        Step size of each ascent step (FreeLB's `--adv-lr 0.2` in the same setting). FGM's single
        step has length `epsilon`; `free` steps by `epsilon` by default, as Shafahi et al. do.
    steps : `int`, optional (default = `3`; `fgm` takes exactly one step; not used by `free`)
        `K`, the number of ascent steps of PGD, or of FreeLB's loop (FreeLB's `--adv-steps 3`).
    replays : `int`, optional (default = `3`; `free` only)
        `m`, how many times `free` trains on each batch (each time one optimizer step and one
        ascent step). Training covers `num_epochs / m` passes over the data in the baseline's
        number of optimizer steps (see the module docstring).
    random_init : `bool`, optional (default = `true` for `pgd` and `freelb`, `false` for `fgm` and `free`)
        Start from a random point in the ball instead of the clean embeddings: L-inf uniform in
        `[-epsilon, epsilon]` per coordinate (Madry et al.'s random start); L2 uniform in
        `[-1, 1]` per coordinate times `epsilon / sqrt(real tokens * hidden size)` (FreeLB's
        init with its `adv_init_mag` equal to `epsilon`). `fgm` always starts from zero; `free`
        starts its (kept) perturbation at zero, or at random with `true`.
        Without a random start, the clean pass provides the first ascent direction at no cost;
        with one and `adversarial_weight` 1, the trainer's own pass runs at the random start
        (and the training loss and metrics shown are those at the random start).
    adversarial_weight : `float`, optional (default = `1.0` for `pgd`, `freelb` and `free`, `0.5` for `fgm`)
        `w` in `(1 - w) * clean loss + w * adversarial loss`, in `[0, 1]`. Madry et al. train on
        the adversarial loss only, FreeLB on the average over its steps; Miyato et al. add the
        clean and the adversarial loss (here halved). `0` turns the callback off. `free` has no
        clean pass: its weight is 1 (or 0, off).
    warmup_steps : `int`, optional (default = `0`)
        Number of optimizer steps trained on the clean loss alone (exactly the baseline's steps,
        at the baseline's cost) before the adversarial objective starts. An adversary is
        strongest against a model that has not learnt anything yet: fine-tuning a pretrained
        encoder does not need a warm-up, but an encoder trained from scratch (such as the demo's
        synthetic one) can stay at chance when the worst-case perturbation cancels its weak
        early signal. The count of steps taken is saved in AllenNLP's checkpoints, so a run
        resumed with `--recover` switches at the same step as an uninterrupted one. (With
        `free`, the warm-up steps are not replayed: they see as much data as the baseline's.)
    share_dropout_masks : `bool`, optional (default = `false`; `pgd`, `fgm`, `freelb`)
        Every forward pass of a batch uses the dropout masks of the trainer's pass, as the public
        FreeLB code does (see the module docstring for how). With dropout 0 it changes nothing.
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
        replays: Optional[int] = None,
        share_dropout_masks: bool = False,
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
                if method == "free":
                    alpha = self.epsilon if self.epsilon > 0 else DEFAULT_L2_ALPHA
                elif norm != "l2":
                    raise ParameterError(
                        NAME, "alpha", f"has no default for norm {norm!r}: give the step size"
                    )
                else:
                    alpha = DEFAULT_L2_ALPHA
            if not _is_number(alpha) or not math.isfinite(alpha) or alpha <= 0:
                raise ParameterError(NAME, "alpha", f"must be a finite number > 0, got {alpha!r}")
            self.alpha = float(alpha)
            if method == "free":
                if steps is not None:
                    raise ParameterError(
                        NAME,
                        "steps",
                        "is not used by method 'free' (one ascent step per replay); set replays",
                    )
                steps = 1
            elif steps is None:
                steps = DEFAULT_STEPS
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                raise ParameterError(NAME, "steps", f"must be an integer >= 1, got {steps!r}")
            self.steps = steps
            self.random_init = (
                DEFAULT_RANDOM_INIT[method] if random_init is None else bool(random_init)
            )
        if method == "free":
            self.replays = check_int(
                NAME, "replays", DEFAULT_REPLAYS if replays is None else replays
            )
        elif replays is not None:
            raise ParameterError(NAME, "replays", f"is used by method 'free' only, not {method!r}")
        else:
            self.replays = 1
        if not isinstance(share_dropout_masks, bool):
            raise ParameterError(
                NAME, "share_dropout_masks", f"must be true or false, got {share_dropout_masks!r}"
            )
        if share_dropout_masks and method == "free":
            raise ParameterError(
                NAME,
                "share_dropout_masks",
                "does not apply to method 'free' (each replay is a single pass)",
            )
        self.share_dropout_masks = share_dropout_masks

        if adversarial_weight is None:
            adversarial_weight = DEFAULT_ADVERSARIAL_WEIGHT[method]
        if not _is_number(adversarial_weight) or not 0.0 <= adversarial_weight <= 1.0:
            raise ParameterError(
                NAME, "adversarial_weight", f"must be in [0, 1], got {adversarial_weight!r}"
            )
        if method == "free" and adversarial_weight not in (0.0, 1.0):
            raise ParameterError(
                NAME,
                "adversarial_weight",
                "must be 1 for method 'free' (it has no clean pass), or 0 to turn it off;"
                f" got {adversarial_weight!r}",
            )
        self.adversarial_weight = float(adversarial_weight)
        self.warmup_steps = check_int(NAME, "warmup_steps", warmup_steps, minimum=0)
        self._optimizer_steps = 0  # optimizer steps completed, for the warm-up

        self._perturbation: Optional[WordEmbeddingPerturbation] = None
        self._recorder = TrainingBatchRecorder(
            self.replays if self.active else 1, clean_steps=self.warmup_steps
        )
        self._trainer_pass = ExitStack()
        self._start: Optional[Tuple[torch.Tensor, torch.Tensor]] = None
        self._dropout_state: Optional[_GeneratorStates] = None
        self.metrics = PerturbationMetrics(METRICS)
        # `free`: the perturbation kept for each position in an accumulation group.
        self._free_deltas: Dict[int, torch.Tensor] = {}

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
    def reports_clean_loss(self) -> bool:
        """
        Whether the trainer's pass is clean in the adversarial steps, so that `clean_loss` is
        measured in every step (warm-up included). Otherwise it is not reported at all, not even
        in the warm-up: AllenNLP keeps the last value of a training metric that disappears in
        its epoch metrics, which would show a stale clean loss for every later epoch.
        """
        return not (self.starts_in_trainer_pass or self.method == "free")

    @property
    def warming_up(self) -> bool:
        """Whether the current optimizer step is one of the clean warm-up steps."""
        return self._optimizer_steps < self.warmup_steps

    def _trainer_pass_delta(self, call: WordEmbeddingCall) -> Optional[torch.Tensor]:
        """
        The forward hook's function in the trainer's own training passes: adds the random start
        (`starts_in_trainer_pass`) or `free`'s kept perturbation, and saves the random
        generators for `share_dropout_masks`.
        """
        if not (call.training and torch.is_grad_enabled()) or self.warming_up:
            return None  # validation, prediction, warm-up
        start: Optional[torch.Tensor] = None
        if self.method == "free":
            start = self._free_delta(call).requires_grad_()
        elif self.starts_in_trainer_pass:
            start = uniform_start(call.embeddings, call.mask, self.norm, self.epsilon)
            start.requires_grad_()
        if start is not None:
            self._start = (call.embeddings, start)
        if self.share_dropout_masks:
            self._dropout_state = _GeneratorStates(call.embeddings.device)
        return start

    def _free_delta(self, call: WordEmbeddingCall) -> torch.Tensor:
        """The kept perturbation for the batch of this pass, fitted to its shape (see `free`)."""
        tag: Optional[BatchTag] = self._recorder.upcoming_tag()
        position = tag.position if tag is not None else 0
        kept = self._free_deltas.get(position)
        embeddings = call.embeddings
        if kept is None:
            if self.random_init:
                return uniform_start(embeddings, call.mask, self.norm, self.epsilon)
            return torch.zeros(embeddings.shape, dtype=torch.float, device=embeddings.device)
        kept = kept.to(embeddings.device)
        fitted = torch.zeros(embeddings.shape, dtype=torch.float, device=embeddings.device)
        rows, length = min(kept.size(0), fitted.size(0)), min(kept.size(1), fitted.size(1))
        fitted[:rows, :length] = kept[:rows, :length]
        return project_to_ball(fitted, call.mask, self.norm, self.epsilon)

    def __repr__(self) -> str:
        settings = f"method={self.method!r}, norm={self.norm!r}, epsilon={self.epsilon}"
        if self.alpha is not None:
            settings += f", alpha={self.alpha}"
        settings += (
            f", steps={self.steps}, random_init={self.random_init},"
            f" adversarial_weight={self.adversarial_weight}"
        )
        if self.method == "free":
            settings += f", replays={self.replays}"
        if self.share_dropout_masks:
            settings += ", share_dropout_masks=True"
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
        if self.active:
            self._trainer_pass.enter_context(self._perturbation.adding(self._trainer_pass_delta))
            self.metrics.install(trainer.model)
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
        self._dropout_state = None
        self.metrics.uninstall()
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
        if not self.active:
            return False  # the trainer's own backward: the baseline
        if warming_up:
            if self.reports_clean_loss:
                self.metrics.add("clean_loss", float(batch_outputs["loss"]))
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
        if self.starts_in_trainer_pass or self.method == "free":
            start, self._start = self._start, None
            if start is None or start[0] is not calls[0].embeddings:
                raise RuntimeError(
                    f"{NAME}: the trainer's forward pass did not run at the perturbation"
                )
            trainer_delta = start[1]
        dropout_state, self._dropout_state = self._dropout_state, None
        step = _AdversarialStep(
            self,
            trainer,
            batch,
            group_size,
            batch_outputs["loss"],
            calls[0],
            trainer_delta,
            dropout_state,
        )
        if self.method == "free":
            assert self._recorder.tag is not None and trainer_delta is not None
            self._free_deltas[self._recorder.tag.position] = step.free()
            return True
        with preserved_metrics(trainer.model):
            if self.method == "freelb":
                step.freelb()
            else:
                step.pgd()
        return True

    def state_dict(self) -> Dict[str, Any]:
        state: Dict[str, Any] = {"optimizer_steps": self._optimizer_steps}
        if self.method == "free":
            state["free_deltas"] = {
                position: delta.detach().cpu() for position, delta in self._free_deltas.items()
            }
            state["replay"] = self._recorder.state_dict()
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        self._optimizer_steps = int(state_dict.get("optimizer_steps", 0))
        if self.method == "free":
            self._free_deltas = dict(state_dict.get("free_deltas", {}))
            self._recorder.load_state_dict(state_dict.get("replay", {}))


class _GeneratorStates:
    """The states of the generators dropout draws from: torch's CPU one and `device`'s CUDA one."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.cpu = torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None

    def restore(self) -> None:
        torch.set_rng_state(self.cpu)
        if self.cuda is not None:
            torch.cuda.set_rng_state(self.cuda, self.device)


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
        dropout_state: Optional[_GeneratorStates] = None,
    ) -> None:
        self.config = callback
        self.perturbation: WordEmbeddingPerturbation = callback._perturbation  # type: ignore[assignment]
        self.trainer = trainer
        self.batch = batch
        self.group_size = group_size
        self.trainer_loss = trainer_loss
        self.clean = clean
        self.trainer_delta = trainer_delta
        self.dropout_state = dropout_state
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
        With shared dropout masks, the pass draws the random numbers of the trainer's pass, and
        the generators are then put back where they were.
        """
        model = self.trainer._pytorch_model
        no_sync = getattr(model, "no_sync", None)
        shared = self.dropout_state

        def with_shared_masks(call: WordEmbeddingCall) -> torch.Tensor:
            shared.restore()  # type: ignore[union-attr]
            return delta

        perturbation: Any = delta if shared is None else with_shared_masks

        before = _GeneratorStates(self.clean.embeddings.device) if shared is not None else None
        with ExitStack() as stack:
            if not synchronize and callable(no_sync):
                stack.enter_context(no_sync())
            if ascent_only:
                stack.enter_context(frozen_parameters(self.trainer.model))
            stack.enter_context(_autocast(self.trainer))
            stack.enter_context(self.perturbation.adding(perturbation))
            try:
                outputs = self.trainer.batch_outputs(self.batch, for_training=True)
            finally:
                if before is not None:
                    before.restore()
        calls = self.perturbation.take_calls()
        if len(calls) != 1 or not torch.equal(calls[0].input_ids, self.clean.input_ids):
            raise RuntimeError(
                f"{NAME}: the replayed batch is not the batch of the clean forward pass"
            )
        loss = outputs["loss"]
        if torch.isnan(loss):
            raise ValueError(f"{NAME}: nan loss encountered at the perturbed word embeddings")
        return loss

    def ascend(self, delta: torch.Tensor, grad: Optional[torch.Tensor]) -> torch.Tensor:
        config = self.config
        if grad is None:  # the loss does not depend on the word embeddings
            grad = torch.zeros_like(delta)
        with torch.no_grad():
            if config.method == "fgm":
                kind, size = ("l2" if config.norm == "l2" else "sign"), config.epsilon
            elif config.method in ("pgd", "free"):
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

    def record(self, adversarial_losses: List[torch.Tensor], delta: torch.Tensor) -> None:
        """The batch's training metrics (`METRICS`)."""
        metrics = self.config.metrics
        if self.trainer_delta is None:  # the trainer's pass was clean
            metrics.add("clean_loss", float(self.trainer_loss))
        losses = [float(loss) for loss in adversarial_losses]
        metrics.add("adversarial_loss", sum(losses) / len(losses))
        rows = self.mask.any(dim=1)
        if bool(rows.any()):
            norms = example_norms(delta.detach(), self.config.norm)[rows]
            metrics.add("perturbation_norm", float(norms.mean()))

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
        self.record([loss], delta)

    def freelb(self) -> None:
        """FreeLB: every step's pass is also a training pass, weighted `adversarial_weight / K`."""
        weight = self.config.adversarial_weight
        clean_weight = 1.0 - weight
        steps = self.config.steps
        per_step = weight / steps
        losses: List[torch.Tensor] = []
        # The trainer's pass, if at FreeLB's delta_0 (the random start, or 0), is its first step.
        first = self.trainer_pass(clean_weight + per_step)
        if first is not None:
            losses.append(self.trainer_loss)
            delta = first[0]
            if steps == 1:
                self.record(losses, delta)
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
            losses.append(loss)
            self.backward(loss, per_step)
            if last:
                break
            delta = self.ascend(delta, delta.grad)
        self.record(losses, delta)

    def free(self) -> torch.Tensor:
        """
        `free`: the trainer's pass ran at the kept `delta`; its one backward gives the parameter
        gradients and the ascent step. Returns the next `delta` to keep.
        """
        assert self.trainer_delta is not None
        delta = self.trainer_delta
        self.backward(self.trainer_loss, 1.0)
        self.record([self.trainer_loss], delta)
        return self.ascend(delta, delta.grad).detach()


def _autocast(trainer: "GradientDescentTrainer") -> ContextManager[Any]:
    use_amp = bool(getattr(trainer, "_use_amp", False))
    return amp.autocast(use_amp) if use_amp else nullcontext()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
