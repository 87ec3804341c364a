import pytest

from allennlp_robust_xlt.classification.predictors import XtremeTextClassificationPredictor
from allennlp_robust_xlt.common.errors import InputFileError
from tests.classification.helpers import reader_and_model


def test_text_in_label_of_the_highest_logit_out():
    reader, model, _ = reader_and_model()
    predictor = XtremeTextClassificationPredictor(model, reader)
    inputs = [{"text": "The team won the final.", "id": "a"}, {"text": "Rain in the valley."}]
    outputs = predictor.predict_batch_json(inputs)
    vocabulary = model.vocab.get_index_to_token_vocabulary("labels")
    for json_dict, output in zip(inputs, outputs):
        instance = predictor._json_to_instance(json_dict)
        reader.apply_token_indexers(instance)
        raw = model.forward_on_instance(instance)
        assert output["label"] == vocabulary[int(raw["logits"].argmax())]
        assert output["probs"][output["label"]] == pytest.approx(float(raw["probs"].max()))
    assert outputs[0]["id"] == "a" and "id" not in outputs[1]
    assert predictor.predict("A short text.")["label"] in vocabulary.values()


@pytest.mark.parametrize("bad", [{}, {"text": "  "}, {"text": 3}])
def test_a_line_without_text_is_one_clear_error(bad):
    reader, model, _ = reader_and_model()
    with pytest.raises(InputFileError, match='expected a non-empty "text"'):
        XtremeTextClassificationPredictor(model, reader).predict_json(bad)
