"""The `xtreme_pair_classification` predictor decides from the logits, as the `accuracy` metric."""

from pathlib import Path
from typing import Any, Dict

import torch
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.training.metrics import CategoricalAccuracy

from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader
from allennlp_robust_xlt.pair_classification.predictors import XtremePairClassificationPredictor
from tests.training.callbacks.helpers import build_model, vocabulary, xnli_instances

# Row 0: logits whose float32 softmax rounds to a tie of the first two labels (the second
# logit is larger); row 1: an exact tie of the three logits.
LOGITS = torch.tensor([[0.0, 1e-8, -3.0], [0.5, 0.5, 0.5]])
PAIRS = [
    {"premise": "The cat sat.", "hypothesis": "A cat sat.", "id": "a"},
    {"premise": "It rained.", "hypothesis": "It was sunny."},
]


def with_logits(model, logits: torch.Tensor):
    """The model, its `forward` giving `logits` (and their softmax) for a batch of that size."""
    forward = model.forward

    def fixed(*args: Any, **kwargs: Any) -> Dict[str, torch.Tensor]:
        output = forward(*args, **kwargs)
        output["logits"] = logits[: output["logits"].size(0)].clone()
        output["probs"] = torch.softmax(output["logits"], dim=-1)
        return output

    model.forward = fixed
    return model


def test_ties_and_rounded_ties_are_decided_as_the_metric_decides(tiny_xlmr: Path):
    instances = xnli_instances(tiny_xlmr)
    vocab = vocabulary(instances)
    model = with_logits(build_model(tiny_xlmr, vocab).eval(), LOGITS)
    reader = XtremeXnliReader(
        tokenizer=PretrainedTransformerTokenizer(str(tiny_xlmr), add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(str(tiny_xlmr))},
    )
    predictor = XtremePairClassificationPredictor(model, reader)
    labels = vocab.get_index_to_token_vocabulary("labels")
    outputs = predictor.predict_batch_json(PAIRS)
    first = outputs[0]["probs"]
    assert first[labels[0]] == first[labels[1]]  # the rounded probabilities tie
    assert [output["label"] for output in outputs] == [labels[1], labels[0]]
    assert outputs[0]["id"] == "a" and "id" not in outputs[1]
    metric = CategoricalAccuracy()
    metric(LOGITS, torch.tensor([1, 0]))
    assert metric.get_metric() == 1.0
    # `allennlp predict --use-dataset-reader` takes the model's own readable label: the same.
    instance = predictor._json_to_instance(PAIRS[0])
    assert predictor.predict_instance(instance)["label"] == labels[1]
