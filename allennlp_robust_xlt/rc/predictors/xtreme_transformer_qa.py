from typing import Any, Dict, List, Optional

from allennlp.common.util import JsonDict, sanitize
from allennlp.data import Instance
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.rc.dataset_readers.xtreme_qa_reader import PREDICTION_INPUT

NAME = "xtreme_transformer_qa"


def question_call_arguments(json_dict: JsonDict) -> Dict[str, Any]:
    """
    The `text_to_instance` arguments of one input line `{"id", "question", "context"}` (optional
    `question_language`, `context_language`, or `language` for both), checked: a missing or
    empty question or context is an `InputFileError` naming the question id.
    """
    question_id = json_dict.get("id")
    shown = "(no id)" if question_id is None else question_id
    for name in ("question", "context"):
        text = json_dict.get(name)
        if not isinstance(text, str):
            raise InputFileError(PREDICTION_INPUT, None, f"question {shown}: no '{name}' text")
        if not text.strip():
            raise InputFileError(PREDICTION_INPUT, None, f"question {shown}: empty {name}")
    language = json_dict.get("language")
    return {
        "question": json_dict["question"],
        "context": json_dict["context"],
        "question_id": None if question_id is None else str(question_id),
        "question_language": json_dict.get("question_language", language),
        "context_language": json_dict.get("context_language", language),
        "source": PREDICTION_INPUT,
    }


@Predictor.register(NAME)
class XtremeTransformerQAPredictor(Predictor):
    """
    Registered as a `Predictor` with name "xtreme_transformer_qa"; the default predictor of the
    `xtreme_transformer_qa` model.

    Input: JSON lines `{"id": ..., "question": ..., "context": ...}` (optional
    `question_language`, `context_language` or `language`). Output per line: `{"id", "answer",
    "answer_start"}`, the answer an exact substring of the context at character offset
    `answer_start` (`""` and -1 when no span is valid); `id` when the input has one. With
    `--use-dataset-reader` it reads SQuAD-layout files and echoes each question's id. No
    parameters beyond the `Predictor` ones (`model`, `dataset_reader`, `frozen`).
    """

    def predict(self, question: str, context: str) -> JsonDict:
        return self.predict_json({"question": question, "context": context})

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        return self._dataset_reader.text_to_instance(**question_call_arguments(json_dict))

    def predict_json(self, inputs: JsonDict) -> JsonDict:
        return self.predict_batch_json([inputs])[0]

    def predict_instance(self, instance: Instance) -> JsonDict:
        return self.predict_batch_instance([instance])[0]

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        for instance in instances:
            self._dataset_reader.apply_token_indexers(instance)
        outputs = self._model.forward_on_instances(instances)
        return [
            answer_json(output.get("question_id"), output["answer"], output["answer_start"])
            for output in outputs
        ]


def answer_json(question_id: Optional[str], answer: str, answer_start: Any) -> JsonDict:
    result: Dict[str, Any] = {} if question_id is None else {"id": question_id}
    result["answer"] = answer
    result["answer_start"] = int(answer_start)
    return sanitize(result)
