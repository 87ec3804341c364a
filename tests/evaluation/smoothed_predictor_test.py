import pytest
from allennlp.data import Instance
from allennlp.predictors import Predictor

import allennlp_robust_xlt  # noqa: F401
from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.evaluation.smoothed_predictor import SmoothedPredictor

SMOOTHED = {
    "smoothed_pair_classification": "text",
    "smoothed_tagging": "words",
    "smoothed_transformer_qa": "text",
}


@pytest.mark.parametrize("name", sorted(SMOOTHED))
def test_the_smoothed_predictors_share_the_base(name: str):
    predictor_class = Predictor.by_name(name)
    assert issubclass(predictor_class, SmoothedPredictor)
    assert predictor_class.NAME == name
    # The base's JSON-only input comes first in the method resolution order.
    assert predictor_class.predict_batch_instance is SmoothedPredictor.predict_batch_instance


@pytest.mark.parametrize("name", sorted(SMOOTHED))
def test_instances_are_refused_with_one_line_naming_the_predictor(name: str):
    predictor = object.__new__(Predictor.by_name(name))  # no model needed to refuse
    expected = f"{name}: parameter 'input' votes over perturbed copies of the raw {SMOOTHED[name]}"
    for call in (predictor.predict_instance, lambda i: predictor.predict_batch_instance([i])):
        with pytest.raises(ParameterError, match=expected + ", so it reads JSON lines"):
            call(Instance({}))


def test_with_id_copies_the_inputs_id_only_when_given():
    assert SmoothedPredictor._with_id({"id": 7}, {"label": "x"}) == {"label": "x", "id": 7}
    assert SmoothedPredictor._with_id({}, {"label": "x"}) == {"label": "x"}
