from typing import Any, Optional

from allennlp_robust_xlt.training.adversarial_methods.base import AdversarialMethod, check_positive
from allennlp_robust_xlt.training.adversarial_methods.pgd import pgd_step
from allennlp_robust_xlt.training.adversarial_methods.step import AdversarialStep

ALPHA_FRACTION = 1.25
"""Wong et al.'s step: 1.25 epsilon (larger steps led to catastrophic overfitting)."""


@AdversarialMethod.register("fast")
class Fast(AdversarialMethod):
    """
    Registered as an `AdversarialMethod` with name "fast": "Fast is better than free" (Wong,
    Rice and Kolter, ICLR 2020), a preset of `pgd`.

    One ascent step from a random start, then the training pass there: `delta_0` uniform in the
    ball (L-inf: every real coordinate in `[-epsilon, epsilon]`, Wong et al.'s start; L2: the
    random start of `pgd`, inside the ball), `delta = project(delta_0 + alpha * direction(grad
    L(delta_0)))` with `sign(g)` (`linf`, their FGSM step) or `g / ||g||_2` (`l2`), and `loss =
    (1 - w) * L(0) + w * L(delta)`. The trainer's own pass runs at the random start (when `w`
    is 1), so the cost is FGM's: one forward with an input-gradient backward, one forward with
    a full backward.

    # Parameters

    The base's `norm`, `epsilon`, `adversarial_weight` (default `1.0`), `share_dropout_masks`
    and `relative_to`, and:

    alpha : `float`, optional (default = `1.25 * epsilon`)
        The step size. Wong et al. report that much larger steps make robustness collapse within
        an epoch ("catastrophic overfitting").

    `steps` (always 1) and `random_init` (always true) are not parameters of this preset: use
    `pgd` to change them.
    """

    default_random_init = True
    default_adversarial_weight = 1.0
    unused_parameter_notes = {
        "steps": "it takes one step; use method 'pgd' for several",
        "random_init": "it always starts at random; use method 'pgd' or 'fgm' for a clean start",
    }

    def __init__(self, alpha: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(random_init=True, **kwargs)
        if alpha is None:
            alpha = ALPHA_FRACTION * self.epsilon if self.epsilon > 0 else 1.0
        self.alpha = check_positive("alpha", alpha)
        self.steps = 1

    def step(self, step: AdversarialStep) -> None:
        pgd_step(self, step)
