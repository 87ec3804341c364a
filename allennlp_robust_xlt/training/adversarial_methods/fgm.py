from typing import Any, Optional

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.training.adversarial_methods.base import COMPONENT, AdversarialMethod
from allennlp_robust_xlt.training.adversarial_methods.pgd import pgd_step
from allennlp_robust_xlt.training.adversarial_methods.step import AdversarialStep


@AdversarialMethod.register("fgm")
class Fgm(AdversarialMethod):
    """
    Registered as an `AdversarialMethod` with name "fgm": the fast gradient method (Miyato et
    al., ICLR 2017; for `linf`, Goodfellow et al.'s FGSM).

    One step of length `epsilon` from the clean embeddings: `delta = epsilon * g / ||g||_2`
    (`l2`) or `epsilon * sign(g)` (`linf`), with `g` the gradient of the clean loss (from the
    trainer's clean pass, at no extra cost), then `loss = (1 - w) * L(0) + w * L(delta)`.

    # Parameters

    The base's (`norm`, `epsilon`, `adversarial_weight` default `0.5`: Miyato et al. add the
    clean and the adversarial loss, here halved; `share_dropout_masks`, `relative_to`), and:

    steps : `int`, optional (default = `1`)
        Must be 1 (use `pgd` for several steps).
    random_init : `bool`, optional (default = `false`)
        Must be false (FGM starts from the clean embeddings; use `pgd` with `steps` 1 or `fast`).

    `alpha` is not used: the single step has length `epsilon`.
    """

    default_random_init = False
    default_adversarial_weight = 0.5
    unused_parameter_notes = {"alpha": "its single step has length epsilon"}

    def __init__(
        self, steps: Optional[int] = None, random_init: Optional[bool] = None, **kwargs: Any
    ) -> None:
        if steps is not None and steps != 1:
            raise ParameterError(
                COMPONENT,
                "steps",
                f"must be 1 for method 'fgm', got {steps!r}; use method 'pgd' for several steps",
            )
        if random_init:
            raise ParameterError(
                COMPONENT,
                "random_init",
                "must be false for method 'fgm' (it starts from the clean embeddings); use"
                " method 'pgd' with steps 1",
            )
        super().__init__(random_init=False, **kwargs)
        self.steps = 1

    @property
    def ascent_size(self) -> float:
        return self.radius

    def step(self, step: AdversarialStep) -> None:
        pgd_step(self, step)
