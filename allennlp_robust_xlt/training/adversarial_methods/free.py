from typing import Any, Dict, List, Optional, Tuple

import torch

from allennlp_robust_xlt.common.errors import ParameterError, check_int
from allennlp_robust_xlt.nn.embedding_perturbation import WordEmbeddingCall, project_to_ball
from allennlp_robust_xlt.training.adversarial_methods.base import (
    COMPONENT,
    DEFAULT_L2_ALPHA,
    AdversarialMethod,
    check_positive,
)
from allennlp_robust_xlt.training.adversarial_methods.step import AdversarialStep

DEFAULT_REPLAYS = 3


@AdversarialMethod.register("free")
class Free(AdversarialMethod):
    """
    Registered as an `AdversarialMethod` with name "free": "Adversarial Training for Free!"
    (Shafahi et al., NeurIPS 2019).

    Each accumulation group of batches is trained `m = replays` times in a row; each replay is
    one pass at the current `delta` whose single backward gives both the parameter gradients
    (the trainer's optimizer step) and the ascent step `delta <- project(delta + alpha *
    direction)` (`g / ||g||_2` for `l2`, `sign(g)` for `linf`: Shafahi et al.'s FGSM step).
    `delta` is kept across replays and batches: row `i` of a new batch starts from row `i` of
    the previous batch at the same position in its group, cut or padded with zeros to the new
    length, zeroed on padding and projected (Shafahi et al. keep one perturbation tensor for the
    whole of training). One forward and backward per optimizer step, like the baseline; each
    trainer epoch has exactly the baseline's number of optimizer steps and covers about `1/m` of
    a pass over the data (`training/batch_recorder.py`), so a pass over the data costs about `m`
    baseline epochs.

    # Parameters

    The base's `norm`, `epsilon`, `random_init` (default `false`: the kept perturbation starts
    at zero) and `relative_to`, and:

    alpha : `float`, optional (default = `epsilon`)
        Step size of the ascent step of each replay (Shafahi et al. step by `epsilon`).
    replays : `int`, optional (default = `3`)
        `m`, how many times each batch is trained (each time one optimizer step and one ascent
        step).
    adversarial_weight : `float`, optional (default = `1.0`)
        1, or 0 to turn the method off: `free` has no clean pass.
    share_dropout_masks : `bool`, optional (default = `false`)
        Must be false: each replay is a single pass.

    `steps` is not used: one ascent step per replay.
    """

    default_random_init = False
    default_adversarial_weight = 1.0
    unused_parameter_notes = {"steps": "one ascent step per replay; set replays"}

    def __init__(
        self,
        alpha: Optional[float] = None,
        replays: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if alpha is None:
            alpha = self.epsilon if self.epsilon > 0 else DEFAULT_L2_ALPHA
        self.alpha = check_positive("alpha", alpha)
        self.replays = check_int(
            COMPONENT, "replays", DEFAULT_REPLAYS if replays is None else replays
        )
        if self.share_dropout_masks:
            raise ParameterError(
                COMPONENT,
                "share_dropout_masks",
                "does not apply to method 'free' (each replay is a single pass)",
            )
        if self.adversarial_weight not in (0.0, 1.0):
            raise ParameterError(
                COMPONENT,
                "adversarial_weight",
                "must be 1 for method 'free' (it has no clean pass), or 0 to turn it off;"
                f" got {self.adversarial_weight!r}",
            )
        # The perturbation kept for each position in an accumulation group.
        self.kept: Dict[int, torch.Tensor] = {}

    @property
    def keeps_perturbation(self) -> bool:
        return True

    def settings(self) -> List[Tuple[str, Any]]:
        return super().settings() + [("replays", self.replays)]

    def trainer_pass_delta(self, call: WordEmbeddingCall, position: int) -> Optional[torch.Tensor]:
        """The kept perturbation for the batch of this pass, fitted to its shape."""
        kept = self.kept.get(position)
        embeddings = call.embeddings
        if kept is None:
            return self.start(embeddings, call.mask)
        kept = kept.to(embeddings.device)
        fitted = torch.zeros(embeddings.shape, dtype=torch.float, device=embeddings.device)
        rows, length = min(kept.size(0), fitted.size(0)), min(kept.size(1), fitted.size(1))
        fitted[:rows, :length] = kept[:rows, :length]
        return project_to_ball(fitted, call.mask, self.norm, self.radius)

    def step(self, step: AdversarialStep) -> None:
        """
        The trainer's pass ran at the kept `delta`; its one backward gives the parameter
        gradients and the ascent step, whose result is kept for the next batch at this position.
        """
        delta = step.trainer_delta
        if delta is None:
            raise RuntimeError(f"{COMPONENT}: free's trainer pass ran without its perturbation")
        step.backward(step.trainer_loss, 1.0)
        step.record([step.trainer_loss], delta)
        self.kept[step.position] = step.ascend(delta, delta.grad).detach()

    def state_dict(self) -> Dict[str, Any]:
        state = super().state_dict()
        state["free_deltas"] = {
            position: delta.detach().cpu() for position, delta in self.kept.items()
        }
        return state

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.kept = dict(state.get("free_deltas", {}))
