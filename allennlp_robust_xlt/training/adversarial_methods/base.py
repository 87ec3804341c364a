"""
`AdversarialMethod`: the registrable base of the methods of the `adversarial_training` callback
(`training/callbacks/adversarial_training.py`). One subclass per method, one file each
(`pgd.py`, `fgm.py`, `freelb.py`, `free.py`, `fast.py`), registered under the method's name.

The split of work:

* The callback owns the plumbing: the forward hook on the word embeddings, the batch recorder
  (and `free`'s replays), AMP / DDP / gradient accumulation, the warm-up, the training metrics
  and the state saved for `--recover`. It calls the method's hooks.
* A method owns its parameters, their defaults and validation, and its step: what the passes of
  one training batch are and what is backpropagated. It works through an `AdversarialStep`
  (`step.py`), which gives it the batch's pieces (the trainer's forward pass and its outputs, the
  clean word embeddings and their mask) and the operations (`forward`, `forward_outputs`,
  `backward`, `gradient`, `ascend`, `trainer_pass`, `record`) with the plumbing done.

The interface a method implements or may override (see `AdversarialMethod`):

* `__init__(**parameters)`: every config parameter with its default, validated with a
  `ParameterError` naming the parameter (`COMPONENT` is the callback's name). The base takes the
  parameters of every ball-bounded method: `norm`, `epsilon`, `random_init`,
  `adversarial_weight`, `share_dropout_masks`, `relative_to`. A method that has no use for one of
  them refuses it in its constructor. Parameters a subclass's constructor does not name are
  refused by `build_method` with one line ("is not used by method ...", plus
  `unused_parameter_notes`).
* `step(step)`: the batch's passes and backward(s). Called in `on_backward` after the trainer's
  forward pass, unless the callback is inactive, in its warm-up, or the batch has nothing to
  perturb (then the trainer's own backward runs).
* `trainer_pass_delta(call, position)`: the perturbation the trainer's own forward pass runs at
  (None: clean). The base puts the random start there when `starts_in_trainer_pass`; `free`
  puts its kept perturbation.
* `ascent_kind` / `ascent_size`: the direction (`"l2"`, `"linf"` or `"sign"`, see
  `nn/embedding_perturbation.ascent_direction`) and length of `AdversarialStep.ascend`.
* `metric_names`: the training metrics the method reports (through `step.metrics.add`); a new
  method adds its own names (e.g. a KL term) to the base's.
* `replays`: how many times the batch recorder deals each group of batches (`free`'s `m`).
* `state_dict` / `load_state_dict`: state kept across batches, saved in AllenNLP's checkpoints.

A method whose objective compares the clean and perturbed output distributions (a symmetric KL
as in R3F, SMART or VAT) reads the clean outputs from `step.trainer_outputs` (the trainer's pass
runs clean unless `trainer_pass_delta` says otherwise), runs its perturbed passes with
`step.forward_outputs(delta, ...)` (the model's whole output dict), and backpropagates its loss
with `step.backward(loss, weight)`: the trainer's pass has not been backpropagated yet, so the
gradient flows through both passes.

Strength relative to the encoder (`relative_to = "embedding_norm"`): `epsilon` and `alpha` are
then multiples of the encoder's embedding unit (`nn/embedding_scale.py`), measured when training
starts (`calibrate`). `radius` and `step_length` are the absolute values the steps use.
"""

import inspect
import math
from typing import Any, ClassVar, Dict, List, Optional, Tuple

import torch
from allennlp.common import Registrable

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.embedding_perturbation import (
    NORMS,
    WordEmbeddingCall,
    ascent_direction,
    project_to_ball,
    uniform_start,
)
from allennlp_robust_xlt.nn.embedding_scale import RELATIVE_TO, embedding_unit

COMPONENT = "adversarial_training"
"""The component named in parameter errors: the callback the methods are configured in."""

# Defaults for the L2 ball: FreeLB's published setting with a finite bound (QQP in
# huggingface-transformers/launch/run_glue.sh of zhuchen03/FreeLB: --adv-max-norm 7e-1,
# --adv-lr 2e-1, --adv-steps 3), for per-example perturbations of the word embeddings.
DEFAULT_L2_EPSILON = 0.7
DEFAULT_L2_ALPHA = 0.2
DEFAULT_STEPS = 3

BASE_METRICS = ["adversarial_loss", "clean_loss", "perturbation_norm", "perturbation_ratio"]


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_positive(parameter: str, value: Any) -> float:
    """A finite number > 0, else a `ParameterError` naming `parameter`."""
    if not is_number(value) or not math.isfinite(value) or value <= 0:
        raise ParameterError(COMPONENT, parameter, f"must be a finite number > 0, got {value!r}")
    return float(value)


def check_steps(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParameterError(COMPONENT, "steps", f"must be an integer >= 1, got {value!r}")
    return value


class AdversarialMethod(Registrable):
    """
    The base of the `adversarial_training` callback's methods (see the module docstring). Not
    registered itself.

    # Parameters (shared by every method; see each method for its defaults)

    norm : `str`, optional (default = `"l2"`)
        `"l2"`: per-example ball over all real tokens' embedding dimensions. `"linf"`: per
        coordinate.
    epsilon : `float`, optional (default = `0.7` for `l2`; required for `linf`)
        Radius of the ball (a multiple of the embedding unit with `relative_to =
        "embedding_norm"`). `0` turns the callback off (exactly the baseline training).
    random_init : `bool`, optional (default = the method's `default_random_init`)
        Start from a random point in the ball instead of the clean embeddings.
    adversarial_weight : `float`, optional (default = the method's `default_adversarial_weight`)
        `w` in `(1 - w) * clean loss + w * adversarial loss`, in `[0, 1]`; `0` turns it off.
    share_dropout_masks : `bool`, optional (default = `false`)
        Every forward pass of a batch uses the dropout masks of the trainer's pass.
    relative_to : `str`, optional (default = `"absolute"`)
        `"absolute"`: `epsilon` and `alpha` are lengths in the embedding space. `"embedding_norm"`:
        they are multiples of the encoder's embedding unit (`nn/embedding_scale.py`: the mean
        L2 norm of the vocabulary's word-embedding rows for `l2`, that divided by the square
        root of the hidden size for `linf`), measured when training starts.
    """

    default_implementation = None
    default_random_init: ClassVar[bool] = True
    default_adversarial_weight: ClassVar[float] = 1.0
    metric_names: ClassVar[List[str]] = BASE_METRICS
    unused_parameter_notes: ClassVar[Dict[str, str]] = {}
    """Why a parameter the method does not take is not used (for the error message)."""

    def __init__(
        self,
        norm: str = "l2",
        epsilon: Optional[float] = None,
        random_init: Optional[bool] = None,
        adversarial_weight: Optional[float] = None,
        share_dropout_masks: bool = False,
        relative_to: str = "absolute",
    ) -> None:
        if norm not in NORMS:
            raise ParameterError(COMPONENT, "norm", f"must be one of {list(NORMS)}, got {norm!r}")
        self.norm = norm
        if epsilon is None:
            if norm != "l2":
                raise ParameterError(
                    COMPONENT,
                    "epsilon",
                    f"has no default for norm {norm!r}: give the radius of the ball",
                )
            epsilon = DEFAULT_L2_EPSILON
        if not is_number(epsilon) or not math.isfinite(epsilon) or epsilon < 0:
            raise ParameterError(
                COMPONENT, "epsilon", f"must be a finite number >= 0, got {epsilon!r}"
            )
        self.epsilon = float(epsilon)
        if relative_to not in RELATIVE_TO:
            raise ParameterError(
                COMPONENT, "relative_to", f"must be one of {list(RELATIVE_TO)}, got {relative_to!r}"
            )
        self.relative_to = relative_to
        self.unit = 1.0  # the embedding unit, set by `calibrate` when relative
        self.random_init = self.default_random_init if random_init is None else bool(random_init)
        if adversarial_weight is None:
            adversarial_weight = self.default_adversarial_weight
        if not is_number(adversarial_weight) or not 0.0 <= adversarial_weight <= 1.0:
            raise ParameterError(
                COMPONENT, "adversarial_weight", f"must be in [0, 1], got {adversarial_weight!r}"
            )
        self.adversarial_weight = float(adversarial_weight)
        if not isinstance(share_dropout_masks, bool):
            raise ParameterError(
                COMPONENT,
                "share_dropout_masks",
                f"must be true or false, got {share_dropout_masks!r}",
            )
        self.share_dropout_masks = share_dropout_masks
        self.alpha: Optional[float] = None
        self.steps = 1
        self.replays = 1

    # -- identity and settings ---------------------------------------------------------------

    @classmethod
    def registered_name(cls) -> str:
        for name, (subclass, _) in Registrable._registry[AdversarialMethod].items():
            if subclass is cls:
                return name
        return cls.__name__

    @property
    def name(self) -> str:
        return self.registered_name()

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
    def keeps_perturbation(self) -> bool:
        """Whether the trainer's pass runs at a perturbation kept from earlier batches (`free`)."""
        return False

    @property
    def trainer_pass_perturbed(self) -> bool:
        """Whether `trainer_pass_delta` puts a perturbation into the trainer's forward pass."""
        return self.starts_in_trainer_pass or self.keeps_perturbation

    @property
    def reports_clean_loss(self) -> bool:
        """
        Whether the trainer's pass is clean in the adversarial steps, so that `clean_loss` is
        measured in every step (warm-up included). Otherwise it is not reported at all: AllenNLP
        keeps the last value of a training metric that disappears in its epoch metrics.
        """
        return not self.trainer_pass_perturbed

    def settings(self) -> List[Tuple[str, Any]]:
        """The (name, value) pairs shown in the callback's `repr`, in order."""
        settings: List[Tuple[str, Any]] = [("norm", self.norm), ("epsilon", self.epsilon)]
        if self.alpha is not None:
            settings.append(("alpha", self.alpha))
        settings += [
            ("steps", self.steps),
            ("random_init", self.random_init),
            ("adversarial_weight", self.adversarial_weight),
        ]
        if self.relative_to != "absolute":
            settings.append(("relative_to", self.relative_to))
        return settings

    # -- strength ----------------------------------------------------------------------------

    def calibrate(self, model: torch.nn.Module) -> None:
        """When training starts: measures the embedding unit of a relative strength (once)."""
        if self.relative_to != "absolute" and not self._calibrated:
            self.unit = embedding_unit(model, self.relative_to, self.norm == "linf", COMPONENT)
        self._calibrated = True

    _calibrated = False  # set by `calibrate` or by a checkpoint's state

    @property
    def radius(self) -> float:
        """The ball's radius in the embedding space (`epsilon` times the embedding unit)."""
        return self.epsilon * self.unit

    @property
    def step_length(self) -> float:
        """The ascent step's length in the embedding space (`alpha` times the embedding unit)."""
        assert self.alpha is not None
        return self.alpha * self.unit

    # -- pieces of a step --------------------------------------------------------------------

    @property
    def ascent_kind(self) -> str:
        """The direction of an ascent step: `g / ||g||_2` for `l2`, `sign(g)` for `linf`."""
        return "l2" if self.norm == "l2" else "sign"

    @property
    def ascent_size(self) -> float:
        return self.step_length

    def ascend(self, delta: torch.Tensor, grad: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """One ascent step from `delta` along `grad`, projected onto the ball."""
        with torch.no_grad():
            direction = ascent_direction(grad, mask, self.ascent_kind)
            return project_to_ball(
                delta.detach() + self.ascent_size * direction, mask, self.norm, self.radius
            )

    def start(self, embeddings: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The attack's first perturbation: a random start in the ball, or zero."""
        if self.random_init:
            return uniform_start(embeddings, mask, self.norm, self.radius)
        return torch.zeros(embeddings.shape, dtype=torch.float, device=embeddings.device)

    def trainer_pass_delta(self, call: WordEmbeddingCall, position: int) -> Optional[torch.Tensor]:
        """
        The perturbation the trainer's own training pass runs at, or None for a clean pass.
        Called only when `trainer_pass_perturbed`; `position` is the batch's index in its
        accumulation group when the method `keeps_perturbation` (else 0). The base: the random
        start when `starts_in_trainer_pass`.
        """
        if self.starts_in_trainer_pass:
            return uniform_start(call.embeddings, call.mask, self.norm, self.radius)
        return None

    def step(self, step: Any) -> None:
        """The passes and backward(s) of one batch (`step`: an `AdversarialStep`)."""
        raise NotImplementedError

    # -- state across batches ----------------------------------------------------------------

    def state_dict(self) -> Dict[str, Any]:
        if self.relative_to != "absolute":
            return {"embedding_unit": self.unit}
        return {}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        if self.relative_to != "absolute" and "embedding_unit" in state:
            # A resumed run keeps the unit measured on the encoder it started from.
            self.unit = float(state["embedding_unit"])
            self._calibrated = True


def accepted_parameters(cls: type) -> List[str]:
    """
    The config parameters of method class `cls`: its constructor's, and through `**kwargs` those
    of the next constructor up its MRO (as AllenNLP's `from_params` reads them), less the ones
    in `unused_parameter_notes`.
    """
    names: List[str] = []
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        signature = inspect.signature(vars(klass)["__init__"])
        keyword = False
        for name, parameter in signature.parameters.items():
            if parameter.kind == inspect.Parameter.VAR_KEYWORD:
                keyword = True
            elif name != "self" and name not in names:
                names.append(name)
        if not keyword or klass is AdversarialMethod:
            break
    notes = getattr(cls, "unused_parameter_notes", {})
    return [name for name in names if name not in notes]


def method_names() -> List[str]:
    """The registered methods' names, in registration order."""
    return list(AdversarialMethod.list_available())


def build_method(name: Any, parameters: Dict[str, Any]) -> AdversarialMethod:
    """
    The method registered as `name`, built from `parameters` (those given: no None values). An
    unknown name, or a parameter the method does not take, is a `ParameterError` naming it.
    """
    if not isinstance(name, str) or name not in method_names():
        raise ParameterError(COMPONENT, "method", f"must be one of {method_names()}, got {name!r}")
    cls = AdversarialMethod.by_name(name)
    accepted = accepted_parameters(cls)
    for parameter in parameters:
        if parameter not in accepted:
            note = getattr(cls, "unused_parameter_notes", {}).get(parameter)
            raise ParameterError(
                COMPONENT,
                parameter,
                f"is not used by method {name!r}"
                + (f" ({note})" if note else f"; it takes {accepted}"),
            )
    return cls(**parameters)
