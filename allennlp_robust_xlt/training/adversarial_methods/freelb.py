from typing import List

import torch

from allennlp_robust_xlt.training.adversarial_methods.base import AdversarialMethod
from allennlp_robust_xlt.training.adversarial_methods.pgd import Pgd
from allennlp_robust_xlt.training.adversarial_methods.step import AdversarialStep


@AdversarialMethod.register("freelb")
class FreeLb(Pgd):
    """
    Registered as an `AdversarialMethod` with name "freelb": FreeLB (Zhu et al., ICLR 2020).

    `loss = (1 - w) * L(0) + w * (1/K) * sum_{t=0}^{K-1} L(delta_t)`: each of the `K` steps'
    backward accumulates the parameter gradients ("free" large batch), and
    `delta_{t+1} = project(delta_t + alpha * direction)` with `g / ||g||_2` (`l2`) or
    `g / ||g||_inf` (`linf`), as in the public FreeLB code. Unlike that code, each pass draws
    its own dropout masks unless `share_dropout_masks` is set, and the bound is always enforced
    (FreeLB's `adv_max_norm = 0` meant unbounded; use a large `epsilon` for that). The trainer's
    pass, when at `delta_0` (the random start, or 0), is the first step. Cost: `K` forward and
    full backward passes.

    # Parameters

    As `pgd` (`alpha` default `0.2` for `l2`, `steps` default `3`, `random_init` default
    `true`, `adversarial_weight` default `1.0`).
    """

    @property
    def ascent_kind(self) -> str:
        return self.norm

    def step(self, step: AdversarialStep) -> None:
        """Every step's pass is also a training pass, weighted `adversarial_weight / K`."""
        weight = self.adversarial_weight
        clean_weight = 1.0 - weight
        steps = self.steps
        per_step = weight / steps
        losses: List[torch.Tensor] = []
        first = step.trainer_pass(clean_weight + per_step)
        if first is not None:
            losses.append(step.trainer_loss)
            delta = first[0]
            if steps == 1:
                step.record(losses, delta)
                return
            delta = step.ascend(*first)
            begin = 1
        else:
            if clean_weight > 0:
                step.backward(step.trainer_loss, clean_weight)
            delta = step.start()
            begin = 0
        for index in range(begin, steps):
            last = index == steps - 1
            delta = delta.detach().requires_grad_()
            loss = step.forward(delta, synchronize=last)
            losses.append(loss)
            step.backward(loss, per_step)
            if last:
                break
            delta = step.ascend(delta, delta.grad)
        step.record(losses, delta)
