"""The xtreme_tagging predictor: JSON lines in, one tag per word out."""

import re

import pytest

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
