from typing import Any, Dict, List, Optional

import torch
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.basic_classifier import BasicClassifier
from allennlp.models.model import Model
from allennlp.modules import FeedForward, Seq2SeqEncoder, Seq2VecEncoder, TextFieldEmbedder
from allennlp.nn import InitializerApplicator

from allennlp_robust_xlt.nn.consistency import Distributions, from_logits
from allennlp_robust_xlt.nn.intermediate_archive import ArchiveIndependentLoading, check_transformer

NAME = "xtreme_pair_classifier"


@Model.register(NAME)
class XtremePairClassifier(ArchiveIndependentLoading, BasicClassifier):
    """
    Registered as a `Model` with name "xtreme_pair_classifier".

    AllenNLP's `basic_classifier`, unchanged, except for the `label` of
    `make_output_human_readable` (the argmax of the logits, as the `accuracy` metric takes it,
    not of the rounded probabilities), `per_example_results` (for
    `xtreme-report`'s per-example files), a `task` argument of `forward` that it ignores (the
    name of the dataset that AllenNLP's `multitask` data loader adds to each batch: one per
    source language in multi-source training), its default predictor,
    `xtreme_pair_classification`, so `allennlp predict model.tar.gz pairs.jsonl` reads
    premise/hypothesis pairs without a `--predictor` flag, and what intermediate-task training
    needs (`allennlp_robust_xlt/nn/intermediate_archive.py`): its encoder may come from an
    intermediate archive through AllenNLP's `_pretrained`, and its own archive then loads without
    that one. `output_distributions` gives each example's class distribution to the consistency
    objectives (`nn/consistency.py`). Its parameters are those of `basic_classifier`: `text_field_embedder`,
    `seq2vec_encoder`, `seq2seq_encoder`, `feedforward`, `dropout`, `num_labels`,
    `label_namespace`, `namespace` (set it to `"tags"` with a `pretrained_transformer` indexer),
    and `initializer`; and

    transformer_model : `str`, optional (default = `None`)
        The transformer the readers tokenize for (`XLT_TRANSFORMER` in our configs). When given,
        the embedder's transformer must be the same one: this catches an intermediate archive
        trained with another encoder, with one clear error.
    """

    default_predictor = "xtreme_pair_classification"

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        seq2vec_encoder: Seq2VecEncoder,
        seq2seq_encoder: Optional[Seq2SeqEncoder] = None,
        feedforward: Optional[FeedForward] = None,
        dropout: Optional[float] = None,
        num_labels: Optional[int] = None,
        label_namespace: str = "labels",
        namespace: str = "tokens",
        initializer: InitializerApplicator = InitializerApplicator(),
        transformer_model: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        check_transformer(text_field_embedder, transformer_model, NAME)
        super().__init__(
            vocab,
            text_field_embedder,
            seq2vec_encoder,
            seq2seq_encoder=seq2seq_encoder,
            feedforward=feedforward,
            dropout=dropout,
            num_labels=num_labels,
            label_namespace=label_namespace,
            namespace=namespace,
            initializer=initializer,
            **kwargs,
        )

    def forward(  # type: ignore[override]
        self,
        tokens: TextFieldTensors,
        label: Optional[torch.IntTensor] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
        task: Optional[List[str]] = None,
    ) -> Dict[str, torch.Tensor]:
        return super().forward(tokens, label, metadata)

    def make_output_human_readable(
        self, output_dict: Dict[str, torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """`basic_classifier`'s, with each `label` the argmax of the logits (as `accuracy` takes
        it), not of the probabilities, which can round two near-tied logits to a tie."""
        output_dict = super().make_output_human_readable(output_dict)
        logits = output_dict["logits"]
        rows = logits if logits.dim() == 2 else logits.unsqueeze(0)
        vocabulary = self.vocab.get_index_to_token_vocabulary(self._label_namespace)
        output_dict["label"] = [  # type: ignore[assignment]
            vocabulary.get(index, str(index)) for index in rows.max(dim=-1)[1].tolist()
        ]
        return output_dict

    def output_distributions(self, output_dict: Dict[str, torch.Tensor]) -> List[Distributions]:
        """The class distribution of each example (`nn/consistency.py`)."""
        return [from_logits(output_dict["logits"])]

    def per_example_results(
        self, batch: Dict[str, Any], output_dict: Dict[str, torch.Tensor]
    ) -> List[Dict[str, Any]]:
        return classification_results(batch, output_dict, self.vocab, self._label_namespace)


def classification_results(
    batch: Dict[str, Any],
    output_dict: Dict[str, torch.Tensor],
    vocab: Vocabulary,
    label_namespace: str,
) -> List[Dict[str, Any]]:
    """
    One result per example of an evaluated classification batch (`evaluation/per_example.py`):
    its `id`, `language`, gold `label`, `prediction` and whether it is `correct`, from the
    batch's `label` and `metadata` and the output's `logits`.
    """
    # As `CategoricalAccuracy` picks (probabilities of near-tied logits can round to a tie).
    predicted = output_dict["logits"].max(dim=-1)[1].tolist()
    labels = batch.get("label")
    gold = labels.tolist() if labels is not None else [None] * len(predicted)
    metadata = batch.get("metadata") or [{}] * len(predicted)
    vocabulary = vocab.get_index_to_token_vocabulary(label_namespace)
    results = []
    for index, (prediction, label, meta) in enumerate(zip(predicted, gold, metadata)):
        result: Dict[str, Any] = {
            "id": meta.get("id", index),
            "language": meta.get("language"),
            "prediction": vocabulary[prediction],
        }
        if label is not None:
            result["label"] = vocabulary[label]
            result["correct"] = int(prediction == label)
        results.append(result)
    return results
