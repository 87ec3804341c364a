import hashlib
from contextlib import contextmanager
from typing import Iterator, List, Optional, Sequence

import torch
from allennlp.models import Model

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.evaluation.smoothed_voting import VoteNoise
from allennlp_robust_xlt.nn.embedding_perturbation import (
    NOISE_DISTRIBUTIONS,
    WordEmbeddingCall,
    WordEmbeddingPerturbation,
    sample_embedding_noise,
)

NAME = "word_embedding_noise"


def _generator(seed: int, key: str) -> torch.Generator:
    digest = hashlib.sha256(f"robust-xlt:vote-noise:{seed}:{key}".encode("utf-8")).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & ((1 << 63) - 1))


@VoteNoise.register(NAME)
class WordEmbeddingNoise(VoteNoise):
    """
    Registered as a `VoteNoise` with name "word_embedding_noise".

    Random noise added to the transformer's word embeddings (real tokens only, before position
    and type embeddings; the mechanism of `allennlp_robust_xlt/nn/embedding_perturbation.py`)
    in every forward pass that scores a copy: voting by embedding noise, the prediction-time
    counterpart of random-perturbation training (RS-RP). Each copy's noise is drawn from a
    generator seeded by `(seed, the copy's key)`, so it does not depend on the batch.

    Use it as the `noise` of the `smoothed_pair_classification` predictor or the `smoothed_vote`
    evaluator, e.g. `{"type": "word_embedding_noise", "distribution": "gaussian", "scale": 0.01}`
    (without `neighbors` to vote by noise alone, with them to combine both).

    # Parameters

    scale : `float`
        Standard deviation of each coordinate (`gaussian`), or radius of the ball (`uniform_ball`). Positive.
    distribution : `str`, optional (default = `"gaussian"`)
        `"gaussian"`: independent N(0, scale^2) on every coordinate of every real token.
        `"uniform_ball"`: uniform in the L2 ball of radius `scale` over all real-token
        coordinates of the example.
    seed : `int`, optional (default = `0`)
    """

    def __init__(self, scale: float, distribution: str = "gaussian", seed: int = 0) -> None:
        if distribution not in NOISE_DISTRIBUTIONS:
            raise ParameterError(
                NAME,
                "distribution",
                f"must be one of {', '.join(map(repr, NOISE_DISTRIBUTIONS))}, got {distribution!r}",
            )
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not scale > 0:
            raise ParameterError(NAME, "scale", f"must be a positive number, got {scale!r}")
        self.scale = float(scale)
        self.distribution = distribution
        self.seed = seed

    def noise_for(self, call: WordEmbeddingCall, instance_keys: Sequence[str]) -> torch.Tensor:
        rows, _, dim = call.embeddings.shape
        if rows == len(instance_keys):
            generators: List[Optional[torch.Generator]] = [
                _generator(self.seed, key) for key in instance_keys
            ]
        else:  # long inputs folded into several segments: one stream for the batch
            shared = _generator(self.seed, "|".join(instance_keys))
            generators = [shared] * rows
        delta = torch.zeros(call.embeddings.shape, dtype=torch.float)
        mask = call.mask.cpu()
        for row, generator in enumerate(generators):
            real = int(mask[row].sum())
            if real:
                noise = sample_embedding_noise(
                    (1, real, dim),
                    torch.ones(1, real, dtype=torch.bool),
                    self.distribution,
                    self.scale,
                    generator,
                )
                delta[row][mask[row]] = noise[0]
        return delta.to(call.embeddings.device)

    @contextmanager
    def applied(self, model: Model, instance_keys: Sequence[str]) -> Iterator[None]:
        perturbation = WordEmbeddingPerturbation(model, component=NAME)
        with perturbation, perturbation.adding(lambda call: self.noise_for(call, instance_keys)):
            yield
