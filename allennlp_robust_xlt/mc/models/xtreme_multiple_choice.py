from typing import Any, Dict, List, Optional

import torch
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules import FeedForward, Seq2VecEncoder, TextFieldEmbedder
from allennlp.nn import InitializerApplicator, util
from allennlp.training.metrics import CategoricalAccuracy

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.consistency import Distributions, from_logits
from allennlp_robust_xlt.nn.intermediate_archive import ArchiveIndependentLoading, check_transformer

NAME = "xtreme_multiple_choice"


@Model.register(NAME)
class XtremeMultipleChoice(ArchiveIndependentLoading, Model):
    """
    Registered as a `Model` with name "xtreme_multiple_choice".

    Multiple choice as XTREME's baseline (`AutoModelForMultipleChoice` in `run_xcopa.py`) and
    allennlp-models' `transformer_mc`: every (first sequence, choice) pair of an example is
    encoded, its first token pooled (`seq2vec_encoder`) and scored (`scorer`, ending in one
    unit); a softmax over the example's choices gives its prediction. Loss: cross-entropy over
    the choices; metric: `accuracy`. The word-embedding layer sees `batch * choices` rows, so
    the robust callbacks' perturbation ball is per example and choice.

    Unlike `transformer_mc`, which builds its embedder and `BertPooler` from a model name, the
    parts are constructor arguments: a config can load the encoder and the head from an
    intermediate archive with AllenNLP's `_pretrained` (see
    `allennlp_robust_xlt/nn/intermediate_archive.py`), load the transformer without its pooler
    (`add_pooling_layer: false`: nothing unused, as DDP needs), and `metadata` (id, language)
    comes with each example for `per_example_results`. Loading an archive of this model never
    loads the archive its training started from. `output_distributions` gives the consistency
    objectives each example's distribution over its real choices (`nn/consistency.py`).

    # Parameters

    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        Embeds the `alternatives` (a `pretrained_transformer` token embedder).
    seq2vec_encoder : `Seq2VecEncoder`
        Pools each pair, e.g. `{"type": "cls_pooler", "embedding_dim": ...}`.
    scorer : `FeedForward`
        Maps each pooled pair to its score; its output dimension must be 1. XTREME's head is
        BERT's pooler (dense + tanh), dropout 0.1 and a linear layer:
        `{"input_dim": d, "num_layers": 2, "hidden_dims": [d, 1], "activations": ["tanh",
        "linear"], "dropout": [0.1, 0.0]}` (its dense layer starts fresh here, not from the
        Hugging Face pooler's weights).
    transformer_model : `str`, optional (default = `None`)
        The transformer the readers tokenize for (`XLT_TRANSFORMER` in our configs). When given,
        the embedder's transformer must be the same one: this catches an intermediate archive
        trained with another encoder, with one clear error.
    initializer : `InitializerApplicator`, optional (default = `InitializerApplicator()`)
    """

    default_predictor = NAME

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        seq2vec_encoder: Seq2VecEncoder,
        scorer: FeedForward,
        transformer_model: Optional[str] = None,
        initializer: InitializerApplicator = InitializerApplicator(),
        **kwargs: Any,
    ) -> None:
        super().__init__(vocab, **kwargs)
        if scorer.get_output_dim() != 1:
            raise ParameterError(
                NAME, "scorer", f"must end in one unit (a score), not {scorer.get_output_dim()}"
            )
        if scorer.get_input_dim() != seq2vec_encoder.get_output_dim():
            raise ParameterError(
                NAME,
                "scorer.input_dim",
                f"is {scorer.get_input_dim()}, but the seq2vec encoder gives"
                f" {seq2vec_encoder.get_output_dim()}",
            )
        check_transformer(text_field_embedder, transformer_model, NAME)
        self._text_field_embedder = text_field_embedder
        self._seq2vec_encoder = seq2vec_encoder
        self._scorer = scorer
        self._accuracy = CategoricalAccuracy()
        initializer(self)

    def forward(  # type: ignore[override]
        self,
        alternatives: TextFieldTensors,
        correct_alternative: Optional[torch.LongTensor] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
    ) -> Dict[str, torch.Tensor]:
        """
        `alternatives`: `[batch, choices, length]` tensors of the pairs; `correct_alternative`:
        `[batch, 1]` the index of the right choice. Returns `logits` and `probs` (`[batch,
        choices]`), and `loss` when the right choices are given.
        """
        embedded = self._text_field_embedder(alternatives, num_wrapping_dims=1)
        mask = util.get_text_field_mask(alternatives, num_wrapping_dims=1)
        batch_size, choices, length, dim = embedded.shape
        pooled = self._seq2vec_encoder(
            embedded.reshape(batch_size * choices, length, dim),
            mask=mask.reshape(batch_size * choices, length),
        )
        scores = self._scorer(pooled).view(batch_size, choices)
        # Padding choices (an example with fewer choices than others in its batch) never win.
        real_choices = mask.any(dim=-1)
        logits = scores.masked_fill(~real_choices, util.min_value_of_dtype(scores.dtype))
        output: Dict[str, torch.Tensor] = {
            "logits": logits,
            "probs": torch.softmax(logits, dim=-1),
        }
        if correct_alternative is not None:
            gold = correct_alternative.view(-1).long()
            output["loss"] = torch.nn.functional.cross_entropy(logits, gold)
            self._accuracy(logits, gold)
        return output

    def make_output_human_readable(
        self, output_dict: Dict[str, torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        output_dict["best_alternative"] = output_dict["logits"].max(dim=-1)[1]
        return output_dict

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return {"accuracy": self._accuracy.get_metric(reset)}

    def output_distributions(self, output_dict: Dict[str, torch.Tensor]) -> List[Distributions]:
        """Each example's distribution over its real choices (`nn/consistency.py`)."""
        logits = output_dict["logits"]
        return [from_logits(logits, logits != util.min_value_of_dtype(logits.dtype))]

    def per_example_results(
        self, batch: Dict[str, Any], output_dict: Dict[str, torch.Tensor]
    ) -> List[Dict[str, Any]]:
        """
        One result per example of an evaluated batch (`evaluation/per_example.py`): its `id`,
        `language`, `prediction` (the index of the chosen choice) and, when labelled, `label`
        and whether it is `correct`.
        """
        # As `CategoricalAccuracy` picks (probabilities of near-tied logits can round to a tie).
        predicted = output_dict["logits"].max(dim=-1)[1].tolist()
        labels = batch.get("correct_alternative")
        gold = labels.view(-1).tolist() if labels is not None else [None] * len(predicted)
        metadata = batch.get("metadata") or [{}] * len(predicted)
        results = []
        for index, (prediction, label, meta) in enumerate(zip(predicted, gold, metadata)):
            result: Dict[str, Any] = {
                "id": meta.get("id", index),
                "language": meta.get("language"),
                "prediction": prediction,
            }
            if label is not None:
                result["label"] = label
                result["correct"] = int(prediction == label)
            results.append(result)
        return results
