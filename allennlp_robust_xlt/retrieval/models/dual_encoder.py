from typing import Any, Dict, List, Optional

import torch
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules import TextFieldEmbedder
from allennlp.nn import util
from allennlp.training.metrics import Average, CategoricalAccuracy

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.consistency import Distributions, from_logits
from allennlp_robust_xlt.nn.embedding_perturbation import find_word_embedding_layer
from allennlp_robust_xlt.retrieval.sentence_encoder import POOLINGS

NAME = "xtreme_dual_encoder"

# The fields the `pretrained_transformer` indexer gives, and what pads each of them.
_PADDED_KEYS = ("token_ids", "mask", "type_ids")


@Model.register(NAME)
class XtremeDualEncoder(Model):
    """
    Registered as a `Model` with name "xtreme_dual_encoder".

    The dual encoder of XTREME-R's LAReQA and Mewsli-X baselines (`BertForRetrieval` in
    google-research/xtreme `third_party/bert.py`): one transformer (a shared tower) embeds the
    queries and the candidates of a batch; each text is pooled (`"cls"`: the first state;
    `"mean"`: the mean over its sub-words, special tokens included, as
    `retrieval/sentence_encoder.py` pools, so that `xtreme-retrieval` embeds a trained model's
    texts as the model does) and L2-normalised; the logits are the cosine similarities times a
    learned scale (`logit_scale`), and the loss is the in-batch softmax cross-entropy: each
    query's own candidate against the batch's other candidates. Metric: `accuracy`, the fraction
    of queries whose own candidate scores highest in the batch, and `logit_scale`.

    Queries and candidates go through the transformer in one call (`[2 * batch, length]`, the
    shorter side padded), so the robust callbacks (`adversarial_training`,
    `random_perturbation`) see one word-embedding call per forward pass, its rows the queries
    then the candidates; the perturbation ball is per text. `output_distributions` gives the
    consistency objectives each query's in-batch softmax over the candidates
    (`nn/consistency.py`).

    Differences from XTREME's baseline: `"cls"` pools the first hidden state, not BERT's
    pooler output (dense + tanh, which XLM-R lacks); XTREME's LAReQA scale is a fixed 100.

    # Parameters

    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        A `pretrained_transformer` token embedder under the key `tokens`.
    pooling : `str`, optional (default = `"cls"`)
        `"cls"` or `"mean"`.
    logit_scale : `float`, optional (default = `100.0`)
        The scale's initial value (XTREME's).
    train_logit_scale : `bool`, optional (default = `True`)
        Whether the scale is learned.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        pooling: str = "cls",
        logit_scale: float = 100.0,
        train_logit_scale: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(vocab, **kwargs)
        if pooling not in POOLINGS:
            raise ParameterError(NAME, "pooling", f"must be one of {POOLINGS}, got {pooling!r}")
        if not logit_scale > 0:
            raise ParameterError(NAME, "logit_scale", f"must be positive, got {logit_scale}")
        self._text_field_embedder = text_field_embedder
        self._pooling = pooling
        self.logit_scale = torch.nn.Parameter(
            torch.tensor(float(logit_scale)), requires_grad=train_logit_scale
        )
        self._padding_id = int(find_word_embedding_layer(self, NAME).padding_idx or 0)
        self._accuracy = CategoricalAccuracy()
        self._scale = Average()

    def forward(  # type: ignore[override]
        self,
        query: TextFieldTensors,
        candidate: TextFieldTensors,
        metadata: Optional[List[Dict[str, Any]]] = None,
    ) -> Dict[str, torch.Tensor]:
        """
        `query_embedding`, `candidate_embedding` (`[batch, dim]`, unit norm), `logits`
        (`[batch, batch]`, query x candidate) and `loss`.
        """
        batch = util.get_text_field_mask(query).shape[0]
        both = self._concatenate(query, candidate)
        embedded = self._text_field_embedder(both)
        mask = util.get_text_field_mask(both)
        if self._pooling == "cls":
            pooled = embedded[:, 0]
        else:
            pooled = util.masked_mean(embedded, mask.unsqueeze(-1), dim=1)
        pooled = torch.nn.functional.normalize(pooled, p=2, dim=-1)
        queries, candidates = pooled[:batch], pooled[batch:]
        logits = self.logit_scale * queries @ candidates.t()
        labels = torch.arange(batch, device=logits.device)
        loss = torch.nn.functional.cross_entropy(logits, labels)
        self._accuracy(logits, labels)
        self._scale(float(self.logit_scale.detach()))
        output = {
            "query_embedding": queries,
            "candidate_embedding": candidates,
            "logits": logits,
            "loss": loss,
        }
        if metadata is not None:
            output["metadata"] = metadata  # type: ignore[assignment]
        return output

    def _concatenate(self, first: TextFieldTensors, second: TextFieldTensors) -> TextFieldTensors:
        """The two fields' rows in one batch, padded to the longer length."""
        if set(first) != {"tokens"} or set(first["tokens"]) - set(_PADDED_KEYS):
            raise ParameterError(
                NAME,
                "text_field_embedder",
                "needs the `pretrained_transformer` indexer's token_ids, mask and type_ids under"
                f" `tokens`, found {({k: sorted(v) for k, v in first.items()})}",
            )
        length = max(first["tokens"]["token_ids"].shape[1], second["tokens"]["token_ids"].shape[1])
        joined = {}
        for key, tensor in first["tokens"].items():
            value = self._padding_id if key == "token_ids" else 0
            parts = [
                torch.nn.functional.pad(part, (0, length - part.shape[1]), value=value)
                for part in (tensor, second["tokens"][key])
            ]
            joined[key] = torch.cat(parts)
        return {"tokens": joined}

    def output_distributions(self, output_dict: Dict[str, torch.Tensor]) -> List[Distributions]:
        """Each query's in-batch softmax over the batch's candidates (`nn/consistency.py`)."""
        return [from_logits(output_dict["logits"])]

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return {
            "accuracy": self._accuracy.get_metric(reset),
            "logit_scale": float(self._scale.get_metric(reset)),
        }
