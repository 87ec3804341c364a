"""The xtreme_tagging predictor: JSON lines in, one tag per word out."""

import re

import pytest
import torch

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.tagging.predictors import XtremeTaggingPredictor
from tests import XTREME_DATA
from tests.tagging.helpers import reader_and_model


@pytest.fixture(scope="module")
def predictor(tiny_xlmr) -> XtremeTaggingPredictor:
    reader, model, _ = reader_and_model("udpos", transformer=tiny_xlmr)
    return XtremeTaggingPredictor(model.eval(), reader)


def test_words_or_a_sentence(predictor: XtremeTaggingPredictor):
    outputs = predictor.predict_batch_json(
        [{"words": ["The", "cat", "sleeps", "."], "id": "a"}, {"sentence": " A  dog\tbarks "}]
    )
    assert outputs[0]["words"] == ["The", "cat", "sleeps", "."] and outputs[0]["id"] == "a"
    assert outputs[1] == {"words": ["A", "dog", "barks"], "tags": outputs[1]["tags"]}
    assert [len(output["tags"]) for output in outputs] == [4, 3]
    labels = set(predictor._model.vocab.get_token_to_index_vocabulary("labels"))
    assert all(set(output["tags"]) <= labels for output in outputs)
    # The same words alone or in a batch: the same tags.
    assert predictor.predict("A dog barks")["tags"] == outputs[1]["tags"]


def test_a_data_file_with_use_dataset_reader(predictor: XtremeTaggingPredictor):
    instances = list(predictor._dataset_reader.read(XTREME_DATA / "udpos" / "test-fr.tsv"))
    outputs = predictor.predict_batch_instance(instances)
    assert [output["id"] for output in outputs] == [i["metadata"]["id"] for i in instances]
    assert all(output["language"] == "fr" for output in outputs)
    assert [len(o["tags"]) for o in outputs] == [len(i["metadata"]["words"]) for i in instances]


@pytest.mark.parametrize(
    "line, problem",
    [
        ({"text": "a b"}, "expected the key 'words' (a list) or 'sentence'"),
        ({"words": "a b"}, "'words' must be a list of strings"),
        ({"sentence": "   "}, "no words in"),
        ({"words": []}, "no words in"),
    ],
)
def test_bad_input_lines(predictor: XtremeTaggingPredictor, line, problem):
    with pytest.raises(InputFileError, match=re.escape(f"prediction input: {problem}")):
        predictor.predict_json(line)


def test_ties_and_rounded_ties_are_tagged_as_the_metrics_tag_them(tiny_xlmr):
    """Per word, the tag of the largest logit: a near tie whose probabilities round to an exact
    tie goes to the larger logit, an exact tie to the first tag, as the metrics' argmax."""
    reader, model, _ = reader_and_model("udpos", transformer=tiny_xlmr)
    model.eval()
    forward = model.forward

    def fixed(*args, **kwargs):
        output = forward(*args, **kwargs)
        logits = torch.full_like(output["logits"], -5.0)
        logits[..., 0], logits[..., 1] = 0.0, 1e-8  # every word: a rounded tie of tags 0 and 1
        logits[:, 1, :3] = 0.25  # the second word: an exact tie of tags 0, 1 and 2
        output["logits"] = logits
        output["class_probabilities"] = torch.softmax(logits, dim=-1)
        return output

    model.forward = fixed
    predictor = XtremeTaggingPredictor(model, reader)
    tags = predictor.predict_json({"words": ["The", "cat", "sleeps"]})["tags"]
    vocabulary = model.vocab.get_index_to_token_vocabulary(model.label_namespace)
    assert tags == [vocabulary[1], vocabulary[0], vocabulary[1]]
    # The metrics' own choice on the same logits (`_tag_strings`, what seqeval scores).
    instance = reader.text_to_instance(["The", "cat", "sleeps"])
    reader.apply_token_indexers(instance)
    output = model.forward_on_instance(instance)
    probabilities = output["class_probabilities"]
    assert probabilities[0][0] == probabilities[0][1]
    logits = torch.as_tensor(output["logits"]).unsqueeze(0)
    mask = torch.ones(1, 3, dtype=torch.bool)
    _, predicted = model._tag_strings(logits, torch.zeros(1, 3, dtype=torch.long), mask)
    assert predicted == [tags]
