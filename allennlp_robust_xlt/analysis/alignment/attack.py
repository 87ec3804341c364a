"""`xtreme-alignment --attack`: the English side perturbed against its translations."""

import json
from copy import deepcopy
from typing import Any, Dict, Sequence, Tuple

import torch

from allennlp_robust_xlt.analysis.alignment.inputs import COMMAND
from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.retrieval.search import normalize
from allennlp_robust_xlt.retrieval.sentence_encoder import DEFAULT_MAX_LENGTH, SentenceEncoder, pool


class AlignmentAttack:
    """
    The `--attack` of `xtreme-alignment`: PGD on the English sentences' word embeddings that
    minimises their cosine to their translations' embeddings at one layer (see the module
    docstring), with the parameters, start and step of the `embedding_attack` evaluator.
    """

    def __init__(self, params: Dict[str, Any]) -> None:
        from allennlp.common import Params
        from allennlp.common.checks import ConfigurationError
        from allennlp.evaluation.evaluator import Evaluator

        from allennlp_robust_xlt.evaluation.embedding_attack import (
            NAME,
            EmbeddingAttackEvaluator,
        )

        if not isinstance(params, dict) or params.get("type") != NAME:
            raise ParameterError(
                COMMAND,
                "--attack",
                f'must be an {NAME} JSON object (e.g. \'{{"type": "{NAME}", "epsilon": 0.5,'
                f' "steps": 10}}\'), got {json.dumps(params)}',
            )
        try:
            evaluator = Evaluator.from_params(Params(deepcopy(params)))
        except ConfigurationError as error:
            raise ParameterError(COMMAND, "--attack", str(error).strip().splitlines()[0]) from None
        assert isinstance(evaluator, EmbeddingAttackEvaluator)
        self.params = dict(params)
        self.evaluator = evaluator

    def embed(
        self,
        encoder: SentenceEncoder,
        sentences: Sequence[str],
        targets: torch.Tensor,
        layer: int,
        pooling: str,
        batch_size: int,
        max_length: int = DEFAULT_MAX_LENGTH,
    ) -> Tuple[torch.Tensor, float]:
        """
        The embeddings `[L + 1, n, hidden]` of `sentences` at every layer after the attack
        against `targets` (`[n, hidden]`, the translations' clean embeddings at `layer`), in the
        batches of `encoder.embed`, and the mean norm of the perturbations.
        """
        from allennlp_robust_xlt.nn.embedding_perturbation import (
            WordEmbeddingCall,
            WordEmbeddingPerturbation,
            example_norms,
            frozen_parameters,
        )

        attack = self.evaluator
        transformer = encoder.transformer
        layers = list(range(encoder.num_layers + 1))
        output = torch.zeros(len(layers), len(sentences), encoder.hidden_size)
        perturbation = WordEmbeddingPerturbation(transformer, component=f"{COMMAND} --attack")
        ascend = attack.steps > 0 and attack.epsilon > 0
        norms = 0.0
        with perturbation, frozen_parameters(transformer):
            for batch, input_ids, mask in encoder.batches(sentences, batch_size, max_length):
                target = normalize(targets[batch]).to(input_ids.device)
                real = perturbation.real_token_mask(input_ids)
                with torch.no_grad():
                    call = WordEmbeddingCall(input_ids, real, perturbation.layer(input_ids), False)
                delta = attack.start_perturbation(call)
                for _ in range(attack.steps if ascend else 0):
                    leaf = delta.detach().requires_grad_()
                    with torch.enable_grad(), perturbation.adding(leaf):
                        pooled = pool(
                            encoder.hidden_states(input_ids, mask), mask, [layer], pooling
                        )
                        loss = -torch.nn.functional.cosine_similarity(
                            pooled[0].float(), target, dim=-1
                        ).sum()
                    (grad,) = torch.autograd.grad(loss, leaf)
                    delta = attack.ascent_step(delta.detach(), grad, real)
                with torch.no_grad(), perturbation.adding(delta):
                    states = encoder.hidden_states(input_ids, mask)
                    output[:, batch] = pool(states, mask, layers, pooling).float().cpu()
                norms += float(example_norms(delta.detach().float(), attack.norm).sum())
        return output, norms / max(len(sentences), 1)
