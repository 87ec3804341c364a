from typing import Any, ClassVar, Dict, List, Optional, Tuple

import torch

from allennlp_robust_xlt.common.errors import check_int
from allennlp_robust_xlt.nn.consistency import detached, kl_divergence
from allennlp_robust_xlt.nn.embedding_perturbation import ascent_direction
from allennlp_robust_xlt.training.adversarial_methods.base import (
    COMPONENT,
    DEFAULT_L2_EPSILON,
    AdversarialMethod,
    check_positive,
)
from allennlp_robust_xlt.training.adversarial_methods.kl_method import (
    KlMethod,
    check_non_negative,
)

# Miyato et al.'s text code (tensorflow/models `adversarial_text`): one power iteration,
# `small_constant_for_finite_diff` 0.1, `adv_reg_coeff` 1.0 (its `perturb_norm_length` 5.0 is for
# their normalised embeddings: the radius here is the adversaries' default instead).
DEFAULT_XI = 0.1
DEFAULT_POWER_ITERATIONS = 1


@AdversarialMethod.register("vat")
class Vat(KlMethod):
    """
    Registered as an `AdversarialMethod` with name "vat": virtual adversarial training (Miyato
    et al., TPAMI 2018; on word embeddings, Miyato, Dai and Goodfellow, ICLR 2017).

    `loss = L(f(x), y) + kl_weight * KL(f(x) || f(x + r))` with `f(x)` held fixed (no gradient
    through the clean side) and `r = epsilon * g / ||g||_2` per example: `g` is the gradient of
    `KL(f(x) || f(x + xi d))` w.r.t. the perturbation at `xi d`, `d` a random unit direction over
    the example's real tokens (one power iteration; `power_iterations` repeat it from the last
    `g`). The term needs no label: it is VAT's semi-supervised use on unlabelled inputs. Cost:
    `power_iterations` passes (forward and input-gradient backward, parameters frozen) plus one
    more forward pass and the backward of both.

    # Parameters

    epsilon : `float`, optional (default = `0.7`)
        The L2 norm of `r` per example (the adversaries' default radius, FreeLB's bound; a
        multiple of the embedding unit with `relative_to = "embedding_norm"`). Must be >= 0;
        `0` turns it off.
    xi : `float`, optional (default = `0.1`)
        The length of the probing perturbation `xi d` (Miyato et al.'s `xi`; their text code's
        `small_constant_for_finite_diff`).
    power_iterations : `int`, optional (default = `1`)
    kl_weight : `float`, optional (default = `1.0`)
        The weight of the VAT term (Miyato et al.'s `alpha`). Must be >= 0; `0` turns it off.
    share_dropout_masks : `bool`, optional (default = `false`)
    relative_to : `str`, optional (default = `"absolute"`)
        See `base.AdversarialMethod`.
    """

    unused_parameter_notes: ClassVar[Dict[str, str]] = {
        **KlMethod.unused_parameter_notes,
        "norm": "vat's perturbation is per-example L2",
    }

    def __init__(
        self,
        epsilon: Optional[float] = None,
        xi: float = DEFAULT_XI,
        power_iterations: int = DEFAULT_POWER_ITERATIONS,
        **kwargs: Any,
    ) -> None:
        epsilon = DEFAULT_L2_EPSILON if epsilon is None else epsilon
        check_non_negative("epsilon", epsilon)
        super().__init__(norm="l2", epsilon=epsilon, **kwargs)
        self.xi = check_positive("xi", xi)
        self.steps = check_int(COMPONENT, "power_iterations", power_iterations)

    def settings(self) -> List[Tuple[str, Any]]:
        return [
            ("epsilon", self.epsilon),
            ("xi", self.xi),
            ("power_iterations", self.steps),
            ("kl_weight", self.kl_weight),
        ]

    def consistency_term(self, step: Any) -> Tuple[torch.Tensor, torch.Tensor]:
        target = detached(self.distributions(step, step.trainer_outputs))
        embeddings, mask = step.clean.embeddings, step.mask
        direction = torch.randn(embeddings.shape, dtype=torch.float, device=embeddings.device)
        direction = ascent_direction(direction, mask, "l2")
        for _ in range(self.steps):
            probe = (self.xi * direction).requires_grad_()
            outputs = step.forward_outputs(probe, synchronize=False, ascent_only=True)
            divergence = kl_divergence(target, self.distributions(step, outputs))
            direction = ascent_direction(step.gradient(divergence, probe), mask, "l2")
        delta = self.radius * direction
        perturbed = self.distributions(step, step.forward_outputs(delta, synchronize=False))
        return kl_divergence(target, perturbed), delta
