from typing import Any, Dict, List, Optional

import torch
from allennlp.data import TextFieldTensors
from allennlp.models.basic_classifier import BasicClassifier
from allennlp.models.model import Model


@Model.register("xtreme_pair_classifier")
class XtremePairClassifier(BasicClassifier):
    """
    Registered as a `Model` with name "xtreme_pair_classifier".

    AllenNLP's `basic_classifier`, unchanged, except for `per_example_results` (for
    `xtreme-report`'s per-example files), a `task` argument of `forward` that it ignores (the
    name of the dataset that AllenNLP's `multitask` data loader adds to each batch: one per
    source language in multi-source training), and its default predictor,
    `xtreme_pair_classification`, so `allennlp predict model.tar.gz pairs.jsonl` reads
    premise/hypothesis pairs without a `--predictor` flag. Its parameters are those of
    `basic_classifier`: `text_field_embedder`, `seq2vec_encoder`, `seq2seq_encoder`,
    `feedforward`, `dropout`, `num_labels`, `label_namespace`, `namespace` (set it to `"tags"`
    with a `pretrained_transformer` indexer), and `initializer`.
    """

    default_predictor = "xtreme_pair_classification"

    def forward(  # type: ignore[override]
        self,
        tokens: TextFieldTensors,
        label: Optional[torch.IntTensor] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
        task: Optional[List[str]] = None,
    ) -> Dict[str, torch.Tensor]:
        return super().forward(tokens, label, metadata)

    def per_example_results(
        self, batch: Dict[str, Any], output_dict: Dict[str, torch.Tensor]
    ) -> List[Dict[str, Any]]:
        """
        One result per example of an evaluated batch (`evaluation/per_example.py`): its `id`,
        `language`, gold `label`, `prediction` and whether it is `correct`.
        """
        predicted = output_dict["probs"].argmax(dim=-1).tolist()
        labels = batch.get("label")
        gold = labels.tolist() if labels is not None else [None] * len(predicted)
        metadata = batch.get("metadata") or [{}] * len(predicted)
        vocabulary = self.vocab.get_index_to_token_vocabulary(self._label_namespace)
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
