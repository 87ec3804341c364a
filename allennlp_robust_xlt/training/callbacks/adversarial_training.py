"""
Adversarial training on the input word embeddings as an AllenNLP `TrainerCallback`, with one
registered `AdversarialMethod` per method (`training/adversarial_methods/`): `pgd` (Madry et al.
2018), `fgm` (Miyato et al. 2017), `freelb` (Zhu et al. 2020), `free` (Shafahi et al. 2019) and
`fast` (Wong et al. 2020), as used for robust cross-lingual transfer by Huang et al. (2021),
and the consistency (KL) objectives `r3f`, `smart` and `vat` (`docs/consistency-objectives.md`).
Each method's file holds its parameters, defaults, validation and step (the algorithm); this
callback holds the hooks, the batch recorder, the AMP / DDP / gradient-accumulation plumbing, the
warm-up, the training metrics and the state saved for `--recover`.

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

where each method defines `L_adv` and its passes (see each method's docstring).

How `free` fits AllenNLP's trainer: the replays are real trainer steps. The batch recorder's
data-loader proxy (`training/batch_recorder.py`) gives the trainer each group `m` times, and
each trainer epoch exactly the baseline's number of optimizer steps, dealt from passes over the
data that go on across epochs (about the next `1/m` of a pass; a group's replays may straddle
two epochs), so `num_epochs`, the learning-rate schedule and validation stay as configured and
the data is seen about `num_epochs / m` times ("training runs 1/m of the epochs"): `free` costs
about the baseline's per epoch, and about `m` times the baseline's per pass over the data. The
clean warm-up steps (`warmup_steps`) are not replayed: they see the baseline's data. Gradient
clipping, the scheduler, the AMP scaler, accumulation, DDP's all-reduce (the trainer's pass is
a plain synchronized forward with one backward), checkpoints and `--recover` are AllenNLP's own;
the perturbations and the random generators of the pass over the data in progress are saved in
the checkpoints through `state_dict`. The trainer's forward pass runs at the current `delta` (a
forward hook adds it), so the training loss and metrics shown are those at the perturbation.

`share_dropout_masks` (every method but `free`): every pass of a batch sees the dropout masks of the
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
warm-up steps),
`perturbation_norm` (the mean per-example norm, in the chosen `norm`, of the final
perturbation) and `perturbation_ratio` (the mean per-example ratio of the L2 norms of the final
perturbation and of the clean word embeddings, over the real tokens: the perturbation's size
relative to the encoder's own embedding scale, see `nn/embedding_scale.py`); a method may add
its own (`AdversarialMethod.metric_names`). An adversary that is too strong shows as an
adversarial loss that stays far above the clean loss, with a clean loss that stops falling or rises.

Norms are per example over all its real tokens and embedding dimensions (L2), or per coordinate
(L-inf); padding is never perturbed, nor rows a model declares references (`reference_rows` in
`nn/embedding_perturbation.py`; a batch with nothing to perturb trains on its clean loss). With
a `pretrained_transformer` embedder that folds long inputs (`max_length` on the embedder), the
ball is per folded segment instead of per example.
"""

import logging
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple, Union

import torch
from allennlp.training.callbacks.backward import OnBackwardException
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.common.errors import ParameterError, RobustXltError, check_int
from allennlp_robust_xlt.nn.embedding_perturbation import (
    WordEmbeddingCall,
    WordEmbeddingPerturbation,
)
from allennlp_robust_xlt.nn.model_metrics import preserved_metrics
from allennlp_robust_xlt.training.adversarial_methods import (
    AdversarialMethod,
    AdversarialStep,
    build_method,
)
from allennlp_robust_xlt.training.adversarial_methods.base import method_names
from allennlp_robust_xlt.training.adversarial_methods.kl_method import KlMethod
from allennlp_robust_xlt.training.adversarial_methods.step import GeneratorStates
from allennlp_robust_xlt.training.batch_recorder import TrainingBatchRecorder
from allennlp_robust_xlt.training.perturbation_metrics import PerturbationMetrics

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

logger = logging.getLogger(__name__)

NAME = "adversarial_training"
METRICS = ["adversarial_loss", "clean_loss", "perturbation_norm", "perturbation_ratio"]


@TrainerCallback.register(NAME)
class AdversarialTrainingCallback(TrainerCallback):
    """
    Registered as a `TrainerCallback` with name "adversarial_training".

    Adversarial training on the input word embeddings of a model with a `pretrained_transformer`
    token embedder (e.g. `basic_classifier`, `xtreme_pair_classifier`). Enable it with
    `"trainer": {"callbacks": [{"type": "adversarial_training", "method": "pgd"}]}`. It performs
    the backward pass of every training batch, so it must be the only callback that does.

    The method's parameters are given either flat, beside `method` (as every config so far
    does), or inside `method` as a dict with its `type`:
    `{"type": "adversarial_training", "method": {"type": "pgd", "epsilon": 0.5}}`. Each
    method's parameters, defaults and sources are in its file in
    `training/adversarial_methods/` (and `docs/adversarial-methods.md`); a parameter a method
    does not use is refused.

    # Parameters

    method : `str` or `dict`, optional (default = `"pgd"`)
        A registered `AdversarialMethod`: `"pgd"` (Madry et al. 2018), `"fgm"` (Miyato et al.
        2017), `"freelb"` (Zhu et al. 2020), `"free"` (Shafahi et al. 2019; see `replays`),
        `"fast"` (Wong et al. 2020), or any other registered one; or a dict `{"type": name,
        ...its parameters}` (then no method parameter may be given flat).
    norm : `str`, optional (default = `"l2"`)
        `"l2"`: per-example ball over all real tokens' embedding dimensions (as Miyato et al.
        and FreeLB perturb text). `"linf"`: per coordinate.
    epsilon : `float`, optional (default = `0.7` for `l2`; required for `linf`)
        Radius of the ball. `0` turns the callback off (exactly the baseline training).
        The L2 default is FreeLB's published finite bound (QQP, `--adv-max-norm 0.7`).
    alpha : `float`, optional (default = `0.2` for `l2`, `epsilon` for `free`, `1.25 epsilon` for `fast`)
        (Required for `linf` with `pgd` and `freelb`.)
        (Not used by `fgm`.)
        Step size of each ascent step (FreeLB's `--adv-lr 0.2` in the same setting). FGM's single
        step has length `epsilon`; `free` steps by `epsilon` by default, as Shafahi et al. do.
    steps : `int`, optional (default = `3`; `fgm` takes exactly one step; not used by `free`, `fast`)
        `K`, the number of ascent steps of PGD, or of FreeLB's loop (FreeLB's `--adv-steps 3`).
    replays : `int`, optional (default = `3`; `free` only)
        `m`, how many times `free` trains on each batch (each time one optimizer step and one
        ascent step). Each epoch has the baseline's number of optimizer steps and covers about
        `1/m` of a pass over the data (see the module docstring).
    random_init : `bool`, optional (default = `true` for `pgd`, `freelb` and `fast`, `false` for `fgm` and `free`)
        Start from a random point in the ball instead of the clean embeddings: L-inf uniform in
        `[-epsilon, epsilon]` per coordinate (Madry et al.'s random start); L2 uniform in
        `[-1, 1]` per coordinate times `epsilon / sqrt(real tokens * hidden size)` (FreeLB's
        init with its `adv_init_mag` equal to `epsilon`). `fgm` always starts from zero, `fast`
        always at random; `free` starts its (kept) perturbation at zero, or at random with `true`.
        Without a random start, the clean pass provides the first ascent direction at no cost;
        with one and `adversarial_weight` 1, the trainer's own pass runs at the random start
        (and the training loss and metrics shown are those at the random start).
    adversarial_weight : `float`, optional (default = `1.0`; `0.5` for `fgm`)
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
    share_dropout_masks : `bool`, optional (default = `false`; not `free`)
        Every forward pass of a batch uses the dropout masks of the trainer's pass, as the public
        FreeLB code does (see the module docstring for how). With dropout 0 it changes nothing.
    relative_to : `str`, optional (default = `"absolute"`)
        `"absolute"`: `epsilon` and `alpha` are lengths in the embedding space.
        `"embedding_norm"`: they are multiples of the encoder's embedding unit, the mean L2 norm
        of its vocabulary's word-embedding rows (divided by the square root of the hidden size
        for `linf`), measured when training starts and kept in the checkpoints
        (`nn/embedding_scale.py`), so that one setting means the same strength for encoders
        whose embeddings have different scales.
    kl_weight, noise_type, r4f, noise_std, proximal_weight, teacher_momentum, xi, power_iterations
        The consistency (KL) methods' own parameters, `r3f`, `smart` and `vat` (see their files
        and `docs/consistency-objectives.md`): `kl_weight` (all three, default `1.0`), R3F's
        `noise_type` (`"uniform"`) and `r4f` (`false`), SMART's `noise_std` (`1e-5`), `proximal_weight` (`0`) and
        `teacher_momentum` (`0.99`), VAT's `xi` (`0.1`) and `power_iterations` (`1`).
    """

    def __init__(
        self,
        serialization_dir: str,
        method: Union[str, Dict[str, Any]] = "pgd",
        norm: Optional[str] = None,
        epsilon: Optional[float] = None,
        alpha: Optional[float] = None,
        steps: Optional[int] = None,
        random_init: Optional[bool] = None,
        adversarial_weight: Optional[float] = None,
        warmup_steps: int = 0,
        replays: Optional[int] = None,
        share_dropout_masks: Optional[bool] = None,
        relative_to: Optional[str] = None,
        kl_weight: Optional[float] = None,
        noise_type: Optional[str] = None,
        noise_std: Optional[float] = None,
        proximal_weight: Optional[float] = None,
        teacher_momentum: Optional[float] = None,
        xi: Optional[float] = None,
        power_iterations: Optional[int] = None,
        r4f: Optional[bool] = None,
    ) -> None:
        super().__init__(serialization_dir)
        flat = {
            "norm": norm,
            "epsilon": epsilon,
            "alpha": alpha,
            "steps": steps,
            "random_init": random_init,
            "adversarial_weight": adversarial_weight,
            "replays": replays,
            "share_dropout_masks": share_dropout_masks,
            "relative_to": relative_to,
            "kl_weight": kl_weight,
            "noise_type": noise_type,
            "noise_std": noise_std,
            "proximal_weight": proximal_weight,
            "teacher_momentum": teacher_momentum,
            "xi": xi,
            "power_iterations": power_iterations,
            "r4f": r4f,
        }
        given = {name: value for name, value in flat.items() if value is not None}
        if isinstance(method, AdversarialMethod):  # built in code: its parameters are set
            if given:
                raise ParameterError(
                    NAME,
                    next(iter(given)),
                    "must be set on the method object when 'method' is one, not beside it",
                )
            name = method.name
        elif isinstance(method, dict) or hasattr(method, "as_dict"):
            parameters = dict(method.as_dict() if hasattr(method, "as_dict") else method)
            name = parameters.pop("type", None)
            if name is None:
                raise ParameterError(
                    NAME, "method", f"as a dict must name its 'type', one of {method_names()}"
                )
            if given:
                raise ParameterError(
                    NAME,
                    next(iter(given)),
                    "must be given inside 'method' when 'method' is a dict, not beside it",
                )
            given = {key: value for key, value in parameters.items() if value is not None}
        else:
            name = method
        self.adversarial_method: AdversarialMethod = (
            method if isinstance(method, AdversarialMethod) else build_method(name, given)
        )
        self.warmup_steps = check_int(NAME, "warmup_steps", warmup_steps, minimum=0)
        self._optimizer_steps = 0  # optimizer steps completed, for the warm-up

        self._perturbation: Optional[WordEmbeddingPerturbation] = None
        self._recorder = TrainingBatchRecorder(
            self.replays if self.active else 1, clean_steps=self.warmup_steps
        )
        self._trainer_pass = ExitStack()
        self._start: Optional[Tuple[torch.Tensor, torch.Tensor]] = None
        self._dropout_state: Optional[GeneratorStates] = None
        self.metrics = PerturbationMetrics(self.adversarial_method.metric_names)
        self._batch_warming_up = False

    # -- the method's settings (read-only views) ---------------------------------------------

    @property
    def method(self) -> str:
        """The registered name of the method."""
        return self.adversarial_method.name

    @property
    def norm(self) -> str:
        return self.adversarial_method.norm

    @property
    def epsilon(self) -> float:
        return self.adversarial_method.epsilon

    @property
    def alpha(self) -> Optional[float]:
        return self.adversarial_method.alpha

    @property
    def steps(self) -> int:
        return self.adversarial_method.steps

    @property
    def replays(self) -> int:
        return self.adversarial_method.replays

    @property
    def random_init(self) -> bool:
        return self.adversarial_method.random_init

    @property
    def adversarial_weight(self) -> float:
        return self.adversarial_method.adversarial_weight

    @property
    def share_dropout_masks(self) -> bool:
        return self.adversarial_method.share_dropout_masks

    @property
    def relative_to(self) -> str:
        return self.adversarial_method.relative_to

    @property
    def active(self) -> bool:
        """False when the settings make the objective the clean loss (`epsilon` or the weight is 0)."""
        return self.adversarial_method.active

    @property
    def starts_in_trainer_pass(self) -> bool:
        return self.adversarial_method.starts_in_trainer_pass

    @property
    def reports_clean_loss(self) -> bool:
        return self.adversarial_method.reports_clean_loss

    @property
    def warming_up(self) -> bool:
        """Whether the current optimizer step is one of the clean warm-up steps."""
        return self._optimizer_steps < self.warmup_steps

    def _trainer_pass_delta(self, call: WordEmbeddingCall) -> Optional[torch.Tensor]:
        """
        The forward hook's function in the trainer's own training passes: adds the method's
        perturbation for that pass (a random start, `free`'s kept perturbation), and saves the
        random generators for `share_dropout_masks`.
        """
        if not (call.training and torch.is_grad_enabled()) or self.warming_up:
            return None  # validation, prediction, warm-up
        start: Optional[torch.Tensor] = None
        method = self.adversarial_method
        if method.trainer_pass_perturbed:
            # The batch's position in its accumulation group, for a perturbation kept per position.
            tag = self._recorder.upcoming_tag() if method.keeps_perturbation else None
            position = tag.position if tag is not None else 0
            start = method.trainer_pass_delta(call, position)
            if start is not None:
                start = start.requires_grad_()
                self._start = (call.embeddings, start)
        if self.share_dropout_masks:
            self._dropout_state = GeneratorStates(call.embeddings.device)
        return start

    # -- unlabelled batches (the `unlabeled_consistency` callback) -----------------------------

    @property
    def accepts_unlabeled(self) -> bool:
        """Whether the method's objective needs no labels (a KL method: r3f, smart, vat)."""
        return isinstance(self.adversarial_method, KlMethod)

    def unlabeled_consistency(
        self, trainer: "GradientDescentTrainer", batch: Dict[str, Any]
    ) -> Optional[torch.Tensor]:
        """
        The method's consistency term (`kl_weight` times it) on an unlabelled batch, for the
        `unlabeled_consistency` callback (`training/callbacks/unlabeled_consistency.py`), which
        backpropagates it after this callback's step of the labelled batch; `None` (nothing to
        add) while the callback is inactive or the labelled batch was a clean warm-up step.
        """
        if not isinstance(self.adversarial_method, KlMethod):
            raise ParameterError(
                NAME, "method", f"{self.method!r} needs labels: it has no unlabelled term"
            )
        if self._perturbation is None:
            raise RuntimeError(f"{NAME}: unlabeled_consistency before on_start")
        if not self.active or self._batch_warming_up:
            return None
        return self.adversarial_method.consistency_loss(trainer, self._perturbation, batch)

    def __repr__(self) -> str:
        settings = f"method={self.method!r}, " + ", ".join(
            f"{name}={value!r}" for name, value in self.adversarial_method.settings()
        )
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
            self.adversarial_method.calibrate(trainer.model)
            self._trainer_pass.enter_context(self._perturbation.adding(self._trainer_pass_delta))
            self.metrics.install(trainer.model)
        self._recorder.install(trainer)
        if is_primary:
            state = (
                ""
                if self.active
                else " (inactive: epsilon or adversarial_weight is 0, training is the baseline)"
            )
            unit = self.adversarial_method.unit
            if self.active and self.relative_to != "absolute":
                state += (
                    f" (embedding unit {unit:.6g}: radius {self.adversarial_method.radius:.6g})"
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
        warming_up = self._batch_warming_up = self.warming_up
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
        if self.adversarial_method.trainer_pass_perturbed:
            start, self._start = self._start, None
            if start is None or start[0] is not calls[0].embeddings:
                raise RuntimeError(
                    f"{NAME}: the trainer's forward pass did not run at the perturbation"
                )
            trainer_delta = start[1]
        dropout_state, self._dropout_state = self._dropout_state, None
        tag = self._recorder.tag
        step = AdversarialStep(
            self.adversarial_method,
            self._perturbation,
            self.metrics,
            trainer,
            batch,
            group_size,
            batch_outputs,
            calls[0],
            trainer_delta,
            dropout_state,
            position=tag.position if tag is not None else 0,
        )
        with preserved_metrics(trainer.model):
            self.adversarial_method.step(step)
        return True

    def state_dict(self) -> Dict[str, Any]:
        state: Dict[str, Any] = {"optimizer_steps": self._optimizer_steps}
        state.update(self.adversarial_method.state_dict())
        if self.replays > 1:
            state["replay"] = self._recorder.state_dict()
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        self._optimizer_steps = int(state_dict.get("optimizer_steps", 0))
        self.adversarial_method.load_state_dict(state_dict)
        if self.replays > 1:
            self._recorder.load_state_dict(state_dict.get("replay", {}))
