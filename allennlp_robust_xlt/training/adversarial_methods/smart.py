import copy
from collections import OrderedDict
from typing import Any, ClassVar, Dict, List, Optional, Tuple

import torch

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.common.errors import check_int
from allennlp_robust_xlt.nn.consistency import detached, symmetric_kl
from allennlp_robust_xlt.training.adversarial_methods.base import (
    COMPONENT,
    AdversarialMethod,
    check_positive,
)
from allennlp_robust_xlt.training.adversarial_methods.kl_method import (
    KL_METRICS,
    LABEL_FIELDS,
    KlMethod,
    check_non_negative,
)
from allennlp_robust_xlt.training.adversarial_methods.step import autocast

# SMART's public code (namisan/mt-dnn, `mt_dnn/perturbation.py` and `train.py`) and paper
# (Jiang et al., ACL 2020): perturbation size 1e-5, step size 1e-3, initial noise 1e-5, one
# ascent step, lambda_s 1, L-inf; proximal point mu 1, momentum beta 0.99.
DEFAULT_EPSILON = 1e-5
DEFAULT_ALPHA = 1e-3
DEFAULT_NOISE_STD = 1e-5
DEFAULT_STEPS = 1
DEFAULT_MOMENTUM = 0.99


@AdversarialMethod.register("smart")
class Smart(KlMethod):
    """
    Registered as an `AdversarialMethod` with name "smart": SMART's smoothness-inducing
    adversarial regulariser and, optionally, its Bregman proximal point term (Jiang et al.,
    "SMART: Robust and Efficient Fine-Tuning for Pre-trained Natural Language Models through
    Principled Regularized Optimization", ACL 2020).

    `loss = L(f(x), y) + kl_weight * KL_S(f(x), f(x + delta))
    + proximal_weight * KL_S(f(x; theta), f(x; theta~))`:

    * `delta` approximately maximises `KL_S(f(x + delta), f(x))` in the ball of radius
      `epsilon` (`norm`): it starts at Gaussian noise of standard deviation `noise_std` on the
      real tokens, then `steps` times `delta <- project(delta + alpha * g / ||g||)` with `g` the
      gradient of that KL (clean side held fixed) w.r.t. `delta` (`||g||_inf` for `linf`, as
      SMART's code normalises, `||g||_2` for `l2`), per example. These ascent passes run with the
      parameters frozen.
    * The final term's gradient flows through the clean and the perturbed pass.
    * `theta~` is a moving-average copy of the model (the teacher, run in eval mode without
      gradient), updated after each optimizer step as `theta~ <- (1 - beta) theta + beta theta~`
      with `beta = teacher_momentum`. It is made only when `proximal_weight > 0`, and saved in
      the checkpoints (`--recover` resumes with it).

    Cost per step: `steps` ascent passes (forward and input-gradient backward) plus one more
    forward pass and the backward of both (about `2 + steps` baseline steps), plus a forward of
    the teacher with the proximal term. ALUM's fine-tuning objective (Liu et al. 2020) is this
    adversarial term with `proximal_weight = 0`.

    # Parameters

    norm : `str`, optional (default = `"linf"`)
        The ball's norm: `"linf"` (per coordinate, as SMART) or `"l2"` (per example).
    epsilon : `float`, optional (default = `1e-5`)
        The ball's radius (SMART's perturbation size). Must be >= 0; `0` turns it off.
    alpha : `float`, optional (default = `1e-3`)
        Ascent step size (SMART's `--adv_step_size` in `perturbation.py`).
    steps : `int`, optional (default = `1`)
        `K`, the number of ascent steps (SMART's `--adv_k`).
    noise_std : `float`, optional (default = `1e-5`)
        Standard deviation of the random start (SMART's `--adv_noise_var`, used as a scale).
    kl_weight : `float`, optional (default = `1.0`)
        `lambda_s` (SMART's `--adv_alpha`). Must be >= 0; `0` turns the method off.
    proximal_weight : `float`, optional (default = `0.0`)
        `mu`, the weight of the Bregman proximal term (SMART uses 1); `0`: no teacher.
    teacher_momentum : `float`, optional (default = `0.99`)
        `beta` of the moving-average teacher, in `[0, 1)`.
    share_dropout_masks : `bool`, optional (default = `false`)
    relative_to : `str`, optional (default = `"absolute"`)
        See `base.AdversarialMethod`.
    """

    metric_names: ClassVar[List[str]] = KL_METRICS + ["proximal_kl"]

    def __init__(
        self,
        norm: str = "linf",
        epsilon: Optional[float] = None,
        alpha: Optional[float] = None,
        steps: int = DEFAULT_STEPS,
        noise_std: float = DEFAULT_NOISE_STD,
        proximal_weight: float = 0.0,
        teacher_momentum: float = DEFAULT_MOMENTUM,
        **kwargs: Any,
    ) -> None:
        epsilon = DEFAULT_EPSILON if epsilon is None else epsilon
        check_non_negative("epsilon", epsilon)
        super().__init__(norm=norm, epsilon=epsilon, **kwargs)
        self.alpha = check_positive("alpha", DEFAULT_ALPHA if alpha is None else alpha)
        self.steps = check_int(COMPONENT, "steps", steps)
        self.noise_std = check_non_negative("noise_std", noise_std)
        self.proximal_weight = check_non_negative("proximal_weight", proximal_weight)
        if not isinstance(teacher_momentum, (int, float)) or not 0 <= teacher_momentum < 1:
            raise ParameterError(
                COMPONENT, "teacher_momentum", f"must be in [0, 1), got {teacher_momentum!r}"
            )
        self.teacher_momentum = float(teacher_momentum)
        self._teacher: Optional[torch.nn.Module] = None
        self._teacher_state: Optional[Dict[str, torch.Tensor]] = None
        self._versions: Optional[int] = None

    def settings(self) -> List[Tuple[str, Any]]:
        settings = [
            ("norm", self.norm),
            ("epsilon", self.epsilon),
            ("alpha", self.alpha),
            ("steps", self.steps),
            ("noise_std", self.noise_std),
            ("kl_weight", self.kl_weight),
        ]
        if self.proximal_weight > 0:
            settings += [
                ("proximal_weight", self.proximal_weight),
                ("teacher_momentum", self.teacher_momentum),
            ]
        return settings

    @property
    def ascent_kind(self) -> str:
        return "l2" if self.norm == "l2" else "linf"

    # -- the adversarial term ----------------------------------------------------------------

    def random_start(self, embeddings: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        noise = torch.randn(embeddings.shape, dtype=torch.float, device=embeddings.device)
        return (noise * self.noise_std).masked_fill(~mask.unsqueeze(-1), 0.0)

    def consistency_term(self, step: Any) -> Tuple[torch.Tensor, torch.Tensor]:
        clean = self.distributions(step, step.trainer_outputs)
        target = detached(clean)
        delta = self.random_start(step.clean.embeddings, step.mask)
        for _ in range(self.steps):
            delta = delta.detach().requires_grad_()
            outputs = step.forward_outputs(delta, synchronize=False, ascent_only=True)
            ascent = symmetric_kl(self.distributions(step, outputs), target)
            delta = self.ascend(delta, step.gradient(ascent, delta), step.mask)
        delta = delta.detach()
        perturbed = self.distributions(step, step.forward_outputs(delta, synchronize=False))
        return symmetric_kl(clean, perturbed), delta

    # -- the proximal term -------------------------------------------------------------------

    def extra_loss(self, step: Any) -> Optional[torch.Tensor]:
        if self.proximal_weight == 0:
            return None
        teacher = self.teacher(step.trainer.model)
        batch = {
            key: value
            for key, value in step.batch.items()
            if key not in LABEL_FIELDS and key != "metadata"
        }
        with torch.no_grad(), autocast(step.trainer):
            outputs = teacher(**batch)
        clean = self.distributions(step, step.trainer_outputs)
        proximal = symmetric_kl(clean, detached(self.distributions(step, outputs)))
        step.metrics.add("proximal_kl", float(proximal.detach()))
        return self.proximal_weight * proximal

    def teacher(self, model: torch.nn.Module) -> torch.nn.Module:
        """The moving-average copy, made on first use, moved once per optimizer step."""
        versions = sum(parameter._version for parameter in model.parameters())
        if self._teacher is None:
            self._teacher = _copy_without_hooks(model)
            if self._teacher_state is not None:
                self._teacher.load_state_dict(self._teacher_state)
                self._teacher_state = None
        elif versions != self._versions:  # the optimizer stepped since the last batch
            beta = self.teacher_momentum
            with torch.no_grad():
                taught = dict(self._teacher.named_parameters())
                for name, parameter in model.named_parameters():
                    taught[name].mul_(beta).add_(parameter.detach(), alpha=1.0 - beta)
                taught_buffers = dict(self._teacher.named_buffers())
                for name, buffer in model.named_buffers():
                    taught_buffers[name].copy_(buffer)
        self._versions = versions
        self._teacher.eval()
        return self._teacher

    def state_dict(self) -> Dict[str, Any]:
        state = super().state_dict()
        if self._teacher is not None:
            state["teacher"] = {
                name: tensor.detach().cpu() for name, tensor in self._teacher.state_dict().items()
            }
        return state

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        super().load_state_dict(state)
        if "teacher" in state:
            self._teacher_state = state["teacher"]
            if self._teacher is not None:
                self._teacher.load_state_dict(self._teacher_state)
                self._teacher_state = None


def _copy_without_hooks(model: torch.nn.Module) -> torch.nn.Module:
    """A deep copy of `model` without its hooks (the perturbation's), frozen."""
    kinds = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks")
    saved = [
        (module, {kind: getattr(module, kind) for kind in kinds}) for module in model.modules()
    ]
    try:
        for module, _ in saved:
            for kind in kinds:
                setattr(module, kind, OrderedDict())
        copied = copy.deepcopy(model)
    finally:
        for module, hooks in saved:
            for kind, value in hooks.items():
                setattr(module, kind, value)
    for parameter in copied.parameters():
        parameter.requires_grad_(False)
    return copied
