import torch
from allennlp.data import Batch

from allennlp_robust_xlt.classification.models import XtremeTextClassifier
from tests.classification.helpers import reader_and_model


def test_one_text_in_seven_topics_out_with_per_example_results():
    reader, model, instances = reader_and_model()
    assert isinstance(model, XtremeTextClassifier)
    assert model.default_predictor == "xtreme_text_classification"
    for instance in instances:
        reader.apply_token_indexers(instance)
    batch = Batch(instances[:4])
    batch.index_instances(model.vocab)
    tensors = batch.as_tensor_dict()
    with torch.no_grad():
        output = model(**tensors)
    assert output["logits"].shape == (4, 7) and output["loss"].item() > 0
    results = model.per_example_results(tensors, output)
    predicted = output["logits"].argmax(-1).tolist()
    vocabulary = model.vocab.get_index_to_token_vocabulary("labels")
    for result, instance, index in zip(results, instances, predicted):
        assert result["language"] == "eng_Latn" and result["id"] == instance["metadata"]["id"]
        assert result["label"] == instance["label"].label
        assert result["prediction"] == vocabulary[index]
        assert result["correct"] == int(vocabulary[index] == instance["label"].label)
