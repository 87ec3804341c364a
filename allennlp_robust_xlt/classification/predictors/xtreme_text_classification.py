from allennlp.common.util import JsonDict
from allennlp.data import Instance
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.pair_classification.predictors.xtreme_pair_classification import (
    XtremePairClassificationPredictor,
)


@Predictor.register("xtreme_text_classification")
class XtremeTextClassificationPredictor(XtremePairClassificationPredictor):
    """
    Registered as a `Predictor` with name "xtreme_text_classification"; the default predictor
    of the `xtreme_text_classifier` model.

    Input: JSON lines with `text` (optional `language`; any `id` is echoed). Output per line:
    `label`, the class with the highest logit (as the model's accuracy decides, so near-tied
    probabilities cannot change it), the class probabilities as `probs` (label -> probability),
    and the input's `id` when given. `allennlp predict --batch-size N` runs the model on N lines
    at a time. No parameters beyond the `Predictor` ones (`model`, `dataset_reader`, `frozen`).
    Batching and the output are the pair predictor's; only the input differs.
    """

    def predict(self, text: str) -> JsonDict:
        return self.predict_json({"text": text})

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        text = json_dict.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InputFileError(
                "prediction input", None, f'expected a non-empty "text" in {json_dict}'
            )
        example_id = json_dict.get("id")
        return self._dataset_reader.text_to_instance(
            text,
            language=json_dict.get("language"),
            example_id=None if example_id is None else str(example_id),
        )
