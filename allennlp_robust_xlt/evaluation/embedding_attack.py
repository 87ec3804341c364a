import hashlib
import logging
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import torch
from allennlp.common.util import int_to_device
from allennlp.data import DataLoader
from allennlp.evaluation.evaluator import Evaluator
from allennlp.evaluation.serializers.serializers import Serializer
from allennlp.models import Model
from allennlp.nn import util as nn_util

from allennlp_robust_xlt.common.errors import ParameterError, check_int
from allennlp_robust_xlt.evaluation.attack_evaluation import (
    AttackEvaluator,
    AttackOutcome,
    check_number,
)
from allennlp_robust_xlt.nn.embedding_perturbation import (
    NORMS,
    WordEmbeddingCall,
    WordEmbeddingPerturbation,
    ascent_direction,
    example_norms,
    frozen_parameters,
    project_to_ball,
    uniform_start,
)
from allennlp_robust_xlt.nn.model_metrics import preserved_metrics

logger = logging.getLogger(__name__)

NAME = "embedding_attack"
DEFAULT_STEPS = 10


@Evaluator.register(NAME)
class EmbeddingAttackEvaluator(AttackEvaluator):
    """
    Registered as an `Evaluator` with name "embedding_attack".

    Robust accuracy under an attack on the word embeddings: projected gradient descent (Madry et
    al. 2018) against each test instance, on the transformer's input word embeddings (real
    tokens only, before position and type embeddings, one ball per example: the perturbation
    mechanism and geometry the `adversarial_training` callback trains with,
    `nn/embedding_perturbation.py`). For every batch, with the model in eval mode (no dropout)
    and its parameters frozen:

        delta_0 = 0 (or a random start); delta_{k+1} = project(delta_k + alpha * direction(grad))

    maximizing the model's own loss, with direction `g / ||g||_2` per example (`l2`) or
    `sign(g)` (`linf`), `steps` times; the model is then evaluated at the final `delta_K`. The
    clean pass is also the first ascent pass, so an attack costs `steps` forward-backward passes
    (w.r.t. the perturbation only) and one forward pass per batch. The loss of a batch is the
    mean over its examples, whose perturbations do not interact (eval mode), and each example's
    step is normalized, so every example's own loss is maximized in its own ball. (When a
    `pretrained_transformer` embedder folds long inputs into segments, the ball is per segment;
    for multiple choice, per (question, choice) row.)

    ```bash
    allennlp evaluate model.tar.gz data/xtreme/xnli/test-de.tsv --include-package allennlp_robust_xlt \\
        -o '{"evaluation": {"type": "embedding_attack", "norm": "l2", "epsilon": 0.5, "steps": 10}}'
    ```

    Metrics (see `evaluation/attack_evaluation.py`): the model's metrics and `loss` on the clean
    data, the same prefixed `attacked_` under attack (`attacked_accuracy`, ...), and
    `perturbation_norm` (the mean norm, in `norm`, of the final perturbations, per example) and
    `embedding_norm` (the mean norm of the examples' clean word embeddings, to read epsilon
    against). With `epsilon` 0 every attacked metric equals the clean one exactly. Deterministic:
    the random start, if any, of each example is drawn from a generator seeded by `seed` and the
    example's token ids, so it depends neither on the batch nor on the order.

    # Parameters

    epsilon : `float`
        Radius of the per-example ball (`l2`: over all real tokens' embedding coordinates;
        `linf`: per coordinate). No standard value exists for text: report a grid, and compare it
        with `embedding_norm`.
    norm : `str`, optional (default = `"l2"`)
    alpha : `float`, optional (default = `2.5 * epsilon / steps`)
        The step size; the default is Madry et al.'s rule (`epsilon / 4` at 10 steps).
    steps : `int`, optional (default = `10`)
        The number of ascent steps `K` (0: evaluate at the start).
    random_init : `bool`, optional (default = `False`)
        Start from a random point of the ball (as `adversarial_training`'s random start) instead
        of the clean embeddings.
    seed : `int`, optional (default = `0`)
        Seeds the random starts.
    batch_serializer, cuda_device, postprocessor_fn_name
        As for AllenNLP's `simple` evaluator (`cuda_device` is set by `allennlp evaluate`).
    """

    component = NAME

    def __init__(
        self,
        epsilon: float,
        norm: str = "l2",
        alpha: Optional[float] = None,
        steps: int = DEFAULT_STEPS,
        random_init: bool = False,
        seed: int = 0,
        batch_serializer: Optional[Serializer] = None,
        cuda_device: Union[int, torch.device] = -1,
        postprocessor_fn_name: str = "make_output_human_readable",
    ) -> None:
        super().__init__(batch_serializer, cuda_device, postprocessor_fn_name)
        if norm not in NORMS:
            raise ParameterError(NAME, "norm", f"must be one of {list(NORMS)}, got {norm!r}")
        self.norm = norm
        self.epsilon = check_number(NAME, "epsilon", epsilon)
        self.steps = check_int(NAME, "steps", steps, minimum=0)
        if alpha is None:
            alpha = 2.5 * self.epsilon / max(self.steps, 1)
        self.alpha = check_number(NAME, "alpha", alpha)
        if not isinstance(random_init, bool):
            raise ParameterError(NAME, "random_init", f"must be true or false, got {random_init!r}")
        self.random_init = random_init
        self.seed = check_int(NAME, "seed", seed, minimum=-(2**63))
        self._perturbation: Optional[WordEmbeddingPerturbation] = None

    def items(self, model: Model, data_loader: DataLoader) -> Iterator[Dict[str, Any]]:
        data_loader.set_target_device(int_to_device(self.cuda_device))
        self._perturbation = WordEmbeddingPerturbation(model, component=NAME)
        for batch in data_loader:
            yield nn_util.move_to_device(batch, self.cuda_device)

    def attack(self, model: Model, batch: Dict[str, Any]) -> AttackOutcome:
        perturbation = self._perturbation
        assert perturbation is not None and self.attacked_metrics is not None
        calls: List[WordEmbeddingCall] = []
        zeros: List[torch.Tensor] = []
        ascend = self.steps > 0 and self.epsilon > 0
        # Without a random start, the clean pass is the first ascent pass (at delta = 0).
        first_from_clean = ascend and not self.random_init

        def clean(call: WordEmbeddingCall) -> Optional[torch.Tensor]:
            calls.append(call)
            if not first_from_clean:
                return None
            zero = torch.zeros(call.embeddings.shape, dtype=torch.float)
            zeros.append(zero.to(call.embeddings.device).requires_grad_())
            return zeros[-1]

        with perturbation, frozen_parameters(model):
            with torch.set_grad_enabled(first_from_clean), perturbation.adding(clean):
                clean_output = model(**batch)  # counted in the clean metrics
            if not calls:
                raise ParameterError(
                    NAME, "model", "the model did not call its word-embedding layer"
                )
            masks = [call.mask for call in calls]
            current = [self.start_perturbation(call) for call in calls]
            with preserved_metrics(model):
                for step in range(self.steps if ascend else 0):
                    if step == 0 and first_from_clean:
                        grads = torch.autograd.grad(clean_output["loss"], zeros)
                    else:
                        grads = self._gradients(model, batch, perturbation, current)
                    current = [
                        self.ascent_step(delta, grad, mask)
                        for delta, grad, mask in zip(current, grads, masks)
                    ]
            with torch.no_grad(), self.attacked_metrics.counting():
                with perturbation.adding(_sequence(current)):
                    attacked_output = model(**batch)
        clean_output = {
            key: value.detach() if isinstance(value, torch.Tensor) else value
            for key, value in clean_output.items()
        }
        statistics = {
            "perturbation_norm": _mean_norm(current, masks, self.norm),
            "embedding_norm": _mean_norm([call.embeddings for call in calls], masks, self.norm),
        }
        return AttackOutcome(batch, clean_output, batch, attacked_output, statistics)

    # -- pieces (also used by xtreme-alignment's attack) -----------------------------------

    def start_perturbation(self, call: WordEmbeddingCall) -> torch.Tensor:
        """The attack's starting point for a word-embedding call: zero, or a seeded random start."""
        embeddings = call.embeddings
        if not self.random_init:
            return torch.zeros(embeddings.shape, dtype=torch.float, device=embeddings.device)
        rows = [
            uniform_start(
                embeddings[row : row + 1].cpu(),
                call.mask[row : row + 1].cpu(),
                self.norm,
                self.epsilon,
                generator=_row_generator(self.seed, call.input_ids[row][call.mask[row]]),
            )
            for row in range(embeddings.size(0))
        ]
        return torch.cat(rows).to(embeddings.device)

    def _gradients(
        self,
        model: Model,
        batch: Dict[str, Any],
        perturbation: WordEmbeddingPerturbation,
        deltas: List[torch.Tensor],
    ) -> Tuple[torch.Tensor, ...]:
        leaves = [delta.detach().requires_grad_() for delta in deltas]
        with torch.enable_grad(), perturbation.adding(_sequence(leaves)):
            loss = model(**batch)["loss"]
        return torch.autograd.grad(loss, leaves)

    def ascent_step(
        self, delta: torch.Tensor, grad: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """One PGD step: `project(delta + alpha * direction(grad))`, per row, in the ball."""
        kind = "l2" if self.norm == "l2" else "sign"
        direction = ascent_direction(grad, mask, kind)
        return project_to_ball(delta + self.alpha * direction, mask, self.norm, self.epsilon)


def _sequence(deltas: List[Optional[torch.Tensor]]) -> Any:
    """A perturbation function giving the i-th word-embedding call of a forward pass `deltas[i]`."""
    position = [0]

    def perturb(call: WordEmbeddingCall) -> Optional[torch.Tensor]:
        index = position[0]
        position[0] += 1
        if index >= len(deltas):
            raise RuntimeError(f"{NAME}: the model called its word-embedding layer more often")
        return deltas[index]

    return perturb


def _row_generator(seed: int, token_ids: torch.Tensor) -> torch.Generator:
    digest = hashlib.sha256(f"robust-xlt:{NAME}:{seed}:".encode("utf-8"))
    digest.update(token_ids.detach().cpu().to(torch.int64).numpy().tobytes())
    return torch.Generator().manual_seed(int.from_bytes(digest.digest()[:8], "little") >> 1)


def _mean_norm(
    tensors: List[torch.Tensor], masks: List[torch.Tensor], norm: str
) -> Tuple[float, int]:
    """`(sum, count)` of the per-row norms over the real tokens, over rows with real tokens."""
    total, count = 0.0, 0
    for tensor, mask in zip(tensors, masks):
        rows = mask.any(dim=1)
        masked = tensor.detach().float().masked_fill(~mask.unsqueeze(-1), 0.0)
        total += float(example_norms(masked, norm)[rows].sum())
        count += int(rows.sum())
    return total, count
