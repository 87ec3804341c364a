from typing import Any, Dict, List

from allennlp.common.util import JsonDict, sanitize
from allennlp.data import Instance
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.common.errors import InputFileError

INPUT = "prediction input"


def words_of(json_dict: JsonDict) -> List[str]:
    """The words of a prediction input: `words` (a list of strings), or `sentence` split on whitespace."""
    if "words" in json_dict:
        words = json_dict["words"]
        if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
            raise InputFileError(INPUT, None, f"'words' must be a list of strings in {json_dict}")
    elif "sentence" in json_dict:
        if not isinstance(json_dict["sentence"], str):
            raise InputFileError(INPUT, None, f"'sentence' must be a string in {json_dict}")
        words = json_dict["sentence"].split()
    else:
        raise InputFileError(
            INPUT,
            None,
            f"expected the key 'words' (a list) or 'sentence', found {sorted(json_dict)}",
        )
    if not words:
        raise InputFileError(INPUT, None, f"no words in {json_dict}")
    return words


@Predictor.register("xtreme_tagging")
class XtremeTaggingPredictor(Predictor):
    """
    Registered as a `Predictor` with name "xtreme_tagging"; the default predictor of the
    `xtreme_tagger` model.

    Input: JSON lines with `words` (a list of words) or `sentence` (split on whitespace), and
    optionally `language` and `id`. Output per line: `words` and `tags`, one tag per word, and
    the input's `id` when given. With `allennlp predict --use-dataset-reader` it tags the
    sentences of a data file instead (XTREME's test files without tags too), one output line per
    sentence with its `id` (the line of its first word) and `language`. No parameters beyond
    the `Predictor` ones (`model`, `dataset_reader`, `frozen`).
    """

    def predict(self, sentence: str) -> JsonDict:
        return self.predict_json({"sentence": sentence})

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        identifier = json_dict.get("id")
        return self._dataset_reader.text_to_instance(
            words_of(json_dict),
            language=json_dict.get("language"),
            example_id=None if identifier is None else str(identifier),
        )

    def predict_json(self, inputs: JsonDict) -> JsonDict:
        return self.predict_batch_json([inputs])[0]

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        outputs = self.predict_batch_instance([self._json_to_instance(line) for line in inputs])
        for json_dict, output in zip(inputs, outputs):
            output.pop("language", None)
            output.pop("id", None)
            if "id" in json_dict:
                output["id"] = json_dict["id"]
        return outputs

    def predict_instance(self, instance: Instance) -> JsonDict:
        return self.predict_batch_instance([instance])[0]

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        for instance in instances:
            self._dataset_reader.apply_token_indexers(instance)
        outputs = self._model.forward_on_instances(instances)
        results = []
        for instance, output in zip(instances, outputs):
            metadata: Dict[str, Any] = instance.fields["metadata"].metadata  # type: ignore[attr-defined]
            result: Dict[str, Any] = {"words": metadata["words"], "tags": output["tags"]}
            if metadata.get("id") is not None:
                result["id"] = metadata["id"]
            if metadata.get("language") is not None:
                result["language"] = metadata["language"]
            results.append(result)
        return sanitize(results)
