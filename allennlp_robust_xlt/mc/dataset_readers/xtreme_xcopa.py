from typing import Any, Dict, List, Optional, Tuple

from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.mc.dataset_readers.xtreme_multiple_choice_reader import (
    XtremeMultipleChoiceReader,
    text_field,
)

# COPA's two relations and the first sequence XTREME's run_xcopa.py builds from the premise.
QUESTIONS = ("cause", "effect")
CHOICE_FIELDS = ("choice1", "choice2")


def copa_start(premise: str, question: str) -> str:
    """`"{premise} What was the {question}?"`, as XTREME's `third_party/run_xcopa.py`."""
    return f"{premise} What was the {question}?"


def integer_label(value: Any, choices: int, path: str, line: Optional[int]) -> int:
    """A label given as an integer (or its digits) in `range(choices)`, else an error."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputFileError(path, line, f"the label must be an integer, found {value!r}")
    if not 0 <= value < choices:
        raise InputFileError(
            path,
            line,
            f"label {value} is out of range: there are {choices} choices (labels 0 to"
            f" {choices - 1})",
        )
    return value


@DatasetReader.register("xtreme_xcopa")
class XtremeXcopaReader(XtremeMultipleChoiceReader):
    """
    Registered as a `DatasetReader` with name "xtreme_xcopa".

    Reads XCOPA and English COPA (`xcopa` in the task table): JSON lines with `premise`,
    `choice1`, `choice2`, `question` (`cause` or `effect`), `label` (0 or 1, the index of the
    right choice; absent from SuperGLUE's unlabelled COPA test file) and `idx` (the example's
    id; other fields such as XCOPA's `changed` are ignored). Files: XTREME's
    `xcopa/{train,val,test}-{lang}.jsonl` (the language comes from the name), XCOPA's release
    `{val,test}.{lang}.jsonl`, or any JSON lines file.

    Each choice is paired with `"{premise} What was the {question}?"`, as XTREME's
    `run_xcopa.py` does. Randomized smoothing (RS-DA) perturbs the premise and the choices
    (`TEXT_ARGUMENTS`), never the relation.

    Parameters are those of `XtremeMultipleChoiceReader`: `tokenizer`, `token_indexers`,
    `max_length` (default 128) and the usual `DatasetReader` ones such as `max_instances`.
    """

    task_key = "xcopa"
    TEXT_ARGUMENTS = ("premise", "choice1", "choice2")

    def arguments_from_json(
        self, record: Dict[str, Any], path: str, line: Optional[int]
    ) -> Dict[str, Any]:
        arguments: Dict[str, Any] = {
            key: text_field(record, key, path, line) for key in ("premise",) + CHOICE_FIELDS
        }
        question = text_field(record, "question", path, line)
        if question not in QUESTIONS:
            raise InputFileError(
                path, line, f"the question must be 'cause' or 'effect', found {question!r}"
            )
        arguments["question"] = question
        label = record.get("label")
        arguments["label"] = (
            None if label is None else integer_label(label, len(CHOICE_FIELDS), path, line)
        )
        arguments["example_id"] = self.example_id(record, line)
        return arguments

    def text_to_instance(  # type: ignore[override]
        self,
        premise: str,
        choice1: str,
        choice2: str,
        question: str,
        label: Optional[int] = None,
        language: Optional[str] = None,
        example_id: Optional[str] = None,
    ) -> Instance:
        """One COPA example; `question` is `cause` or `effect`, `label` 0 or 1."""
        start, choices = self.sequences(
            {"premise": premise, "choice1": choice1, "choice2": choice2, "question": question}
        )
        return self.build_instance(start, choices, label, language, example_id)

    def sequences(self, arguments: Dict[str, Any]) -> Tuple[str, List[str]]:
        """`"{premise} What was the {question}?"` and the two choices."""
        return copa_start(arguments["premise"], arguments["question"]), [
            arguments[key] for key in CHOICE_FIELDS
        ]
