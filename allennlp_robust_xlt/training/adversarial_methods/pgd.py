from typing import Any, Optional

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.training.adversarial_methods.base import (
    COMPONENT,
    DEFAULT_L2_ALPHA,
    DEFAULT_STEPS,
    AdversarialMethod,
    check_positive,
    check_steps,
)
from allennlp_robust_xlt.training.adversarial_methods.step import AdversarialStep


@AdversarialMethod.register("pgd")
class Pgd(AdversarialMethod):
    """
    Registered as an `AdversarialMethod` with name "pgd": projected gradient descent on the
    word embeddings (Madry et al., ICLR 2018).

    `loss = (1 - w) * L(0) + w * L(delta_K)`: `delta_0` is 0 or a random start in the ball,
    then `K = steps` times `delta <- project(delta + alpha * direction(grad L(delta)))`, with
    direction `g / ||g||_2` per example for `l2` and `sign(g)` for `linf`. The ascent passes
    only differentiate w.r.t. `delta` (parameters frozen); the trainer's own pass is the first
    ascent pass whenever it can be (clean when starting at zero, at the random start when `w` is
    1). Cost: `steps` ascent passes plus one training pass (the trainer's pass included).

    # Parameters

    The base's (`norm`, `epsilon`, `random_init` default `true`, `adversarial_weight` default
    `1.0`, `share_dropout_masks`, `relative_to`; see `base.AdversarialMethod`), and:

    alpha : `float`, optional (default = `0.2` for `l2`; required for `linf`)
        Step size of each ascent step (FreeLB's `--adv-lr 0.2` for QQP).
    steps : `int`, optional (default = `3`)
        `K`, the number of ascent steps.
    """

    default_random_init = True
    default_adversarial_weight = 1.0

    def __init__(
        self, alpha: Optional[float] = None, steps: Optional[int] = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.alpha = check_positive("alpha", self._default_alpha() if alpha is None else alpha)
        self.steps = check_steps(DEFAULT_STEPS if steps is None else steps)

    def _default_alpha(self) -> float:
        if self.norm != "l2":
            raise ParameterError(
                COMPONENT, "alpha", f"has no default for norm {self.norm!r}: give the step size"
            )
        return DEFAULT_L2_ALPHA

    def step(self, step: AdversarialStep) -> None:
        pgd_step(self, step)


def pgd_step(method: AdversarialMethod, step: AdversarialStep) -> None:
    """
    The step of `pgd`, `fgm` and `fast`: `method.steps` ascent steps on `delta` alone, then one
    training pass at the final `delta`.
    """
    weight = method.adversarial_weight
    clean_weight = 1.0 - weight  # 0 whenever the trainer's pass is at the random start
    steps = method.steps
    first = step.trainer_pass(clean_weight)
    if first is not None:
        delta = step.ascend(*first)
        steps -= 1
    else:
        if clean_weight > 0:
            step.backward(step.trainer_loss, clean_weight)
        delta = step.start()
    for _ in range(steps):
        delta = delta.detach().requires_grad_()
        loss = step.forward(delta, synchronize=False, ascent_only=True)
        delta = step.ascend(delta, step.gradient(loss, delta))
    loss = step.forward(delta.detach(), synchronize=True)
    step.backward(loss, weight)
    step.record([loss], delta)
