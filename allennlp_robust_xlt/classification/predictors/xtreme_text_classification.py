from typing import Any, Dict, List

from allennlp.common.util import JsonDict, sanitize
from allennlp.data import Instance
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.common.errors import InputFileError


@Predictor.register("xtreme_text_classification")
class XtremeTextClassificationPredictor(Predictor):
    """
    Registered as a `Predictor` with name "xtreme_text_classification"; the default predictor
    of the `xtreme_text_classifier` model.

    Input: JSON lines with `text` (optional `language`; any `id` is echoed). Output per line:
    `label`, the class with the highest logit (as the model's accuracy decides, so near-tied
    probabilities cannot change it), the class probabilities as `probs` (label -> probability),
    and the input's `id` when given. `allennlp predict --batch-size N` runs the model on N lines
    at a time. No parameters beyond the `Predictor` ones (`model`, `dataset_reader`, `frozen`).
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

    def predict_json(self, inputs: JsonDict) -> JsonDict:
        return self.predict_batch_json([inputs])[0]

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        instances = [self._json_to_instance(json_dict) for json_dict in inputs]
        outputs = self.predict_batch_instance(instances)
        return [self._readable(json_dict, output) for json_dict, output in zip(inputs, outputs)]

    def _readable(self, inputs: JsonDict, output: Dict[str, Any]) -> JsonDict:
        namespace = getattr(self._model, "_label_namespace", "labels")
        labels = self._model.vocab.get_index_to_token_vocabulary(namespace)
        logits = [float(value) for value in output["logits"]]
        result: Dict[str, Any] = {
            "label": labels[max(range(len(logits)), key=logits.__getitem__)],
            "probs": {labels[index]: float(prob) for index, prob in enumerate(output["probs"])},
        }
        if "id" in inputs:
            result["id"] = inputs["id"]
        return sanitize(result)
