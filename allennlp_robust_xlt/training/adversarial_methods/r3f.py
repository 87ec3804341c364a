from typing import Any, ClassVar, Dict, List, Optional, Tuple

import torch

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.consistency import symmetric_kl
from allennlp_robust_xlt.nn.spectral_head import SpectralHead
from allennlp_robust_xlt.training.adversarial_methods.base import AdversarialMethod, COMPONENT
from allennlp_robust_xlt.training.adversarial_methods.kl_method import (
    KlMethod,
    check_non_negative,
)

NOISE_TYPES = ("uniform", "normal")
# fairseq examples/rxf (`sentence_prediction_r3f.py`): --eps 1e-5, --r3f-lambda 1.0,
# --noise-type uniform.
DEFAULT_EPSILON = 1e-5
DEFAULT_NOISE_TYPE = "uniform"


@AdversarialMethod.register("r3f")
class R3f(KlMethod):
    """
    Registered as an `AdversarialMethod` with name "r3f": R3F (Aghajanyan et al., "Better
    Fine-Tuning by Reducing Representational Collapse", ICLR 2021).

    `loss = L(f(x), y) + kl_weight * KL_S(f(x), f(x + z))`: `z` is random noise on the real
    tokens' word embeddings, every coordinate uniform in `[-epsilon, epsilon]` or normal with
    standard deviation `epsilon`; `KL_S` is the symmetric KL between the clean and the noisy
    output distributions (`nn/consistency.py`), averaged as the task's loss averages. No ascent
    step: the gradient flows through both passes. Cost: one more forward pass, and the backward
    of both (about 2x a baseline step). Use it in the `adversarial_training` callback:
    `{"type": "adversarial_training", "method": "r3f", "epsilon": 1e-5, "kl_weight": 1.0}`.

    # Parameters

    epsilon : `float`, optional (default = `1e-5`)
        The noise scale (fairseq's `--eps`; with `relative_to = "embedding_norm"`, a multiple
        of the per-coordinate embedding unit, as for an L-inf ball). Must be >= 0; `0` turns
        the method off. The training metric `perturbation_norm` is the noise's L-inf norm.
    noise_type : `str`, optional (default = `"uniform"`)
        `"uniform"` (in `[-epsilon, epsilon]`) or `"normal"` (standard deviation `epsilon`), as
        fairseq's `--noise-type`.
    kl_weight : `float`, optional (default = `1.0`)
        `lambda`, fairseq's `--r3f-lambda`. Must be >= 0; `0` turns the method off.
    r4f : `bool`, optional (default = `false`)
        R4F: spectral normalisation of the model's head, every linear layer outside its
        transformer (fairseq's `--spectral-norm-classification-head`). Applied when training
        starts, in a form whose checkpoints and archive hold the normalised weights under their
        usual names, so the archive loads and predicts with the plain model
        (`allennlp_robust_xlt/nn/spectral_head.py`). A model without such a layer (the dual
        encoder) is refused.
    share_dropout_masks : `bool`, optional (default = `false`)
        The noisy pass uses the clean pass's dropout masks.
    relative_to : `str`, optional (default = `"absolute"`)
        See `base.AdversarialMethod`.
    """

    unused_parameter_notes: ClassVar[Dict[str, str]] = {
        **KlMethod.unused_parameter_notes,
        "norm": "r3f draws noise per coordinate (L-inf): its scale is epsilon",
    }

    def __init__(
        self,
        epsilon: Optional[float] = None,
        noise_type: str = DEFAULT_NOISE_TYPE,
        r4f: bool = False,
        **kwargs: Any,
    ) -> None:
        epsilon = DEFAULT_EPSILON if epsilon is None else epsilon
        check_non_negative("epsilon", epsilon)
        super().__init__(epsilon=epsilon, norm="linf", **kwargs)
        if noise_type not in NOISE_TYPES:
            raise ParameterError(
                COMPONENT, "noise_type", f"must be one of {list(NOISE_TYPES)}, got {noise_type!r}"
            )
        self.noise_type = noise_type
        if not isinstance(r4f, bool):
            raise ParameterError(COMPONENT, "r4f", f"must be true or false, got {r4f!r}")
        self.r4f = r4f
        self.spectral_head = SpectralHead()

    def settings(self) -> List[Tuple[str, Any]]:
        settings = [
            ("epsilon", self.epsilon),
            ("noise_type", self.noise_type),
            ("kl_weight", self.kl_weight),
        ]
        return settings + ([("r4f", True)] if self.r4f else [])

    def calibrate(self, model: torch.nn.Module) -> None:
        """When training starts: also hooks the head's spectral normalisation (`r4f`)."""
        super().calibrate(model)
        if self.r4f and not self.spectral_head.attach(model):
            raise ParameterError(
                COMPONENT,
                "r4f",
                f"needs a linear head outside the transformer; {type(model).__name__} has none",
            )

    def state_dict(self) -> Dict[str, Any]:
        state = super().state_dict()
        if self.r4f:
            state["r4f_vectors"] = self.spectral_head.state_dict()
        return state

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        super().load_state_dict(state)
        if self.r4f and "r4f_vectors" in state:
            self.spectral_head.load_state_dict(state["r4f_vectors"])

    def noise(self, embeddings: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """`z`: float32 noise of the embeddings' shape, zero on padding."""
        noise = torch.empty(embeddings.shape, dtype=torch.float, device=embeddings.device)
        if self.noise_type == "uniform":
            noise.uniform_(-self.radius, self.radius)
        else:
            noise.normal_(0.0, self.radius)
        return noise.masked_fill(~mask.unsqueeze(-1), 0.0)

    def consistency_term(self, step: Any) -> Tuple[torch.Tensor, torch.Tensor]:
        clean = self.distributions(step, step.trainer_outputs)
        noise = self.noise(step.clean.embeddings, step.mask)
        noisy = self.distributions(step, step.forward_outputs(noise, synchronize=False))
        return symmetric_kl(clean, noisy), noise
