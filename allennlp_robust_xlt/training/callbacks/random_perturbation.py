from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Dict, Optional

import torch
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.embedding_perturbation import (
    NOISE_DISTRIBUTIONS,
    WordEmbeddingCall,
    WordEmbeddingPerturbation,
    example_norms,
    sample_embedding_noise,
)
from allennlp_robust_xlt.nn.embedding_scale import (
    RELATIVE_TO,
    embedding_unit,
    perturbation_ratio,
)
from allennlp_robust_xlt.training.perturbation_metrics import PerturbationMetrics

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

NAME = "random_perturbation"


@TrainerCallback.register(NAME)
class RandomPerturbationCallback(TrainerCallback):
    """
    Registered as a `TrainerCallback` with name "random_perturbation".

    Randomized smoothing by random perturbation (RS-RP, Huang et al. 2021): during training
    only, every forward pass of the model gets fresh random noise added to the transformer's
    word embeddings (on real tokens, before position and type embeddings are added), so the
    classifier learns to tolerate noise in the embedding space. Validation, `allennlp evaluate`
    and `allennlp predict` see clean embeddings. It uses the same word-embedding mechanism as
    `adversarial_training` (`embedding_perturbation.WordEmbeddingPerturbation`): a forward hook
    that lives from `on_start` to `on_end` and is never stored on the model, so the saved
    archive loads and predicts without this callback.

    The backward pass is the trainer's own (this callback does not implement `on_backward`), so
    gradient accumulation, AMP and distributed training work exactly as for the baseline, and
    the cost per step is the baseline's plus one draw of noise. The mean per-example L2 norm of
    the noise is a training metric, `perturbation_norm`, and so is its ratio to the L2 norm of
    the example's clean word embeddings (over its real tokens), `perturbation_ratio` (see
    `training/perturbation_metrics.py`); the training loss is the loss at the noise.

    ```json
    "trainer": {"callbacks": [{"type": "random_perturbation", "distribution": "gaussian", "scale": 0.01}]}
    ```

    # Parameters

    distribution : `str`, optional (default = `"gaussian"`)
        `"gaussian"`: independent N(0, scale^2) on every coordinate of every real token.
        `"uniform_ball"`: uniform in the L2 ball of radius `scale` over all real-token
        coordinates of each example (the example-level ball of the adversarial callback's
        `norm = "l2"`, so `scale` is comparable to its `epsilon`).
    scale : `float`, optional (default = `0.01`)
        The standard deviation (`gaussian`) or the radius (`uniform_ball`); non-negative. `0`
        trains exactly like the baseline. The paper does not publish its value: tune it on the
        English dev set (the demo's benchmark shows the effect of the scale relative to the
        misalignment).
    seed : `int`, optional (default = `0`)
        Seed of the noise generator (plus the worker's rank in distributed training). Its state
        is saved in AllenNLP's checkpoints, so a run resumed with `--recover` draws the same
        noise as an uninterrupted one.
    relative_to : `str`, optional (default = `"absolute"`)
        `"absolute"`: `scale` is a length in the embedding space. `"embedding_norm"`: `scale` is
        a multiple of the encoder's embedding unit (`nn/embedding_scale.py`): the mean L2 norm of
        its vocabulary's word-embedding rows for `uniform_ball`'s radius, that divided by the
        square root of the hidden size for `gaussian`'s per-coordinate standard deviation.
        Measured when training starts and kept in the checkpoints.
    """

    def __init__(
        self,
        serialization_dir: str,
        distribution: str = "gaussian",
        scale: float = 0.01,
        seed: int = 0,
        relative_to: str = "absolute",
    ) -> None:
        super().__init__(serialization_dir)
        if distribution not in NOISE_DISTRIBUTIONS:
            raise ParameterError(
                NAME,
                "distribution",
                f"must be one of {', '.join(map(repr, NOISE_DISTRIBUTIONS))}, got {distribution!r}",
            )
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale >= 0:
            raise ParameterError(NAME, "scale", f"must be a non-negative number, got {scale!r}")
        if relative_to not in RELATIVE_TO:
            raise ParameterError(
                NAME, "relative_to", f"must be one of {list(RELATIVE_TO)}, got {relative_to!r}"
            )
        self.distribution = distribution
        self.scale = float(scale)
        self.relative_to = relative_to
        self.unit = 1.0  # the embedding unit of a relative scale, measured in on_start
        self._calibrated = False
        self.seed = seed
        # Distributed workers draw different noise for their different batches.
        rank = (
            torch.distributed.get_rank()
            if torch.distributed.is_available() and torch.distributed.is_initialized()
            else 0
        )
        self.generator = torch.Generator().manual_seed(seed + rank)
        self._active = ExitStack()
        self.metrics = PerturbationMetrics(["perturbation_norm", "perturbation_ratio"])

    def _noise(self, call: WordEmbeddingCall) -> Optional[torch.Tensor]:
        if not call.training or not torch.is_grad_enabled() or self.scale == 0:
            return None
        mask = call.mask.cpu()
        noise = sample_embedding_noise(
            call.embeddings.shape, mask, self.distribution, self.scale * self.unit, self.generator
        )
        rows = mask.any(dim=1)
        if bool(rows.any()):
            self.metrics.add("perturbation_norm", float(example_norms(noise, "l2")[rows].mean()))
            ratio = perturbation_ratio(noise, call.embeddings.detach().cpu(), mask)
            if ratio is not None:
                self.metrics.add("perturbation_ratio", ratio)
        return noise.to(device=call.embeddings.device, dtype=call.embeddings.dtype)

    def on_start(
        self, trainer: "GradientDescentTrainer", is_primary: bool = True, **kwargs: Any
    ) -> None:
        super().on_start(trainer, is_primary=is_primary, **kwargs)
        self._active.close()
        if self.relative_to != "absolute" and not self._calibrated:
            self.unit = embedding_unit(
                trainer.model, self.relative_to, self.distribution == "gaussian", NAME
            )
            self._calibrated = True
        perturbation = WordEmbeddingPerturbation(trainer._pytorch_model, component=NAME)
        self._active.enter_context(perturbation)
        self._active.enter_context(perturbation.adding(self._noise))
        if self.scale > 0:
            self.metrics.install(trainer.model)

    def on_end(
        self,
        trainer: "GradientDescentTrainer",
        metrics: Optional[Dict[str, Any]] = None,
        epoch: Optional[int] = None,
        is_primary: bool = True,
        **kwargs: Any,
    ) -> None:
        self._active.close()
        self.metrics.uninstall()

    def state_dict(self) -> Dict[str, Any]:
        state: Dict[str, Any] = {"generator": self.generator.get_state()}
        if self.relative_to != "absolute":
            state["embedding_unit"] = self.unit
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        self.generator.set_state(state_dict["generator"])
        if self.relative_to != "absolute" and "embedding_unit" in state_dict:
            # A resumed run keeps the unit measured on the encoder it started from.
            self.unit = float(state_dict["embedding_unit"])
            self._calibrated = True
