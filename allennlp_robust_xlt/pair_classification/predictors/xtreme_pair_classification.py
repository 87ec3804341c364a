from typing import Any, Dict, List

from allennlp.common.util import JsonDict, sanitize
from allennlp.data import Instance
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.common.decisions import decision
from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.pair_classification.dataset_readers.pair_layouts import JsonLinesLayout


@Predictor.register("xtreme_pair_classification")
class XtremePairClassificationPredictor(Predictor):
    """
    Registered as a `Predictor` with name "xtreme_pair_classification"; the default predictor
    of the `xtreme_pair_classifier` model.

    Input: JSON lines with `premise` and `hypothesis` (or `sentence1` and `sentence2`; optional
    `premise_language`, `hypothesis_language` or `language`; any `id` is echoed). Output per
    line: `label`, the class probabilities as `probs` (label -> probability), and the input's
    `id` when given; the label is the argmax of the logits, as the model's `accuracy` takes it
    (not of the rounded probabilities, which can tie). `allennlp predict --batch-size N` runs
    the model on N lines at a time. No parameters beyond the `Predictor` ones (`model`,
    `dataset_reader`, `frozen`).
    """

    def predict(self, premise: str, hypothesis: str) -> JsonDict:
        return self.predict_json({"premise": premise, "hypothesis": hypothesis})

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        row = JsonLinesLayout.row_from_json(json_dict, "prediction input", None)
        for name, text in (("first sentence", row.first), ("second sentence", row.second)):
            if not text.strip():
                raise InputFileError("prediction input", None, f"empty {name} in {json_dict}")
        return self._dataset_reader.text_to_instance(
            row.first,
            row.second,
            premise_language=row.first_language,
            hypothesis_language=row.second_language,
            example_id=None if json_dict.get("id") is None else str(json_dict["id"]),
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
        probs = [float(p) for p in output["probs"]]
        result: Dict[str, Any] = {
            "label": labels[decision(output["logits"])],
            "probs": {labels[index]: prob for index, prob in enumerate(probs)},
        }
        if "id" in inputs:
            result["id"] = inputs["id"]
        return sanitize(result)
