from typing import Any, Dict, List

from allennlp.common.util import JsonDict, sanitize
from allennlp.data import Instance
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.common.decisions import decision
from allennlp_robust_xlt.mc.dataset_readers.xtreme_multiple_choice_reader import (
    XtremeMultipleChoiceReader,
)

INPUT = "prediction input"


@Predictor.register("xtreme_multiple_choice")
class XtremeMultipleChoicePredictor(Predictor):
    """
    Registered as a `Predictor` with name "xtreme_multiple_choice"; the default predictor of
    the `xtreme_multiple_choice` model.

    Input: JSON lines in the format of the archive's reader (XCOPA: `premise`, `choice1`,
    `choice2`, `question`; SIQA: `context`, `question`, `answerA`, `answerB`, `answerC`); a
    label in the input is ignored, any `id` (else `idx`) is echoed. Output per line: `label`,
    the index of the chosen choice (XTREME's XCOPA prediction format `{"label": int}`), `probs`
    (one probability per choice) and `id` when given. The choice is the argmax of the logits,
    as the model's `accuracy` takes it (not of the rounded probabilities, which can tie). A
    line lacking a field is an error naming the field. `allennlp predict --batch-size N` runs
    the model on N lines at a time. No parameters beyond the `Predictor` ones (`model`,
    `dataset_reader`, `frozen`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(self._dataset_reader, XtremeMultipleChoiceReader):
            raise ParameterError(
                "xtreme_multiple_choice",
                "dataset_reader",
                f"must be a multiple-choice reader (xtreme_xcopa, xtreme_siqa), not"
                f" {type(self._dataset_reader).__name__}",
            )

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        reader: XtremeMultipleChoiceReader = self._dataset_reader  # type: ignore[assignment]
        arguments = reader.arguments_from_json(json_dict, INPUT, None)
        arguments["label"] = None
        identifier = json_dict.get("id", json_dict.get("idx"))
        arguments["example_id"] = None if identifier is None else str(identifier)
        return reader.text_to_instance(**arguments, language=json_dict.get("language"))

    def predict_json(self, inputs: JsonDict) -> JsonDict:
        return self.predict_batch_json([inputs])[0]

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        instances = [self._json_to_instance(json_dict) for json_dict in inputs]
        outputs = self.predict_batch_instance(instances)
        return [self._readable(json_dict, output) for json_dict, output in zip(inputs, outputs)]

    def _readable(self, inputs: JsonDict, output: Dict[str, Any]) -> JsonDict:
        result: Dict[str, Any] = {
            "label": decision(output["logits"]),
            "probs": [float(p) for p in output["probs"]],
        }
        identifier = inputs.get("id", inputs.get("idx"))
        if identifier is not None:
            result["id"] = identifier
        return sanitize(result)
