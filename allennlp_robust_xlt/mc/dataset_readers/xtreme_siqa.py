from typing import Any, Dict, List, Optional, Tuple

from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.mc.dataset_readers.xtreme_multiple_choice_reader import (
    XtremeMultipleChoiceReader,
    text_field,
)

# Social IQa's answer fields and the letters its `correct` field names them by.
ANSWER_FIELDS = ("answerA", "answerB", "answerC")
LETTERS = ("A", "B", "C")


@DatasetReader.register("xtreme_siqa")
class XtremeSiqaReader(XtremeMultipleChoiceReader):
    """
    Registered as a `DatasetReader` with name "xtreme_siqa".

    Reads Social IQa (`siqa` in the task table), XTREME-R's intermediate task for XCOPA, as
    released in `socialIQa_v1.4.tgz` (`socialIQa_v1.4_{trn,dev,tst}.jsonl`): JSON lines with
    `context`, `question`, `answerA`, `answerB`, `answerC` and `correct` (the letter of the right
    answer, `A`, `B` or `C`; may be absent for unlabelled data). The language is English.

    Each answer is paired with `"{context} {question}"`, as XTREME's `run_xcopa.py` does for
    SIQA (for XCOPA it asks "What was the ...?" instead, see `xtreme_xcopa`). Randomized
    smoothing (RS-DA) perturbs the context and the answers (`TEXT_ARGUMENTS`).

    Parameters are those of `XtremeMultipleChoiceReader`: `tokenizer`, `token_indexers`,
    `max_length` (default 128) and the usual `DatasetReader` ones such as `max_instances`.
    """

    task_key = "siqa"
    TEXT_ARGUMENTS = ("context",) + ANSWER_FIELDS

    def arguments_from_json(
        self, record: Dict[str, Any], path: str, line: Optional[int]
    ) -> Dict[str, Any]:
        arguments: Dict[str, Any] = {
            key: text_field(record, key, path, line)
            for key in ("context", "question") + ANSWER_FIELDS
        }
        correct = record.get("correct")
        label = None
        if correct is not None:
            if correct not in LETTERS:
                raise InputFileError(
                    path,
                    line,
                    f"'correct' is out of range: {correct!r} is not one of {', '.join(LETTERS)}",
                )
            label = LETTERS.index(correct)
        arguments["label"] = label
        arguments["example_id"] = self.example_id(record, line)
        return arguments

    def text_to_instance(  # type: ignore[override]
        self,
        context: str,
        question: str,
        answerA: str,
        answerB: str,
        answerC: str,
        label: Optional[int] = None,
        language: Optional[str] = None,
        example_id: Optional[str] = None,
    ) -> Instance:
        """One SIQA example; `label` is the index (0, 1, 2) of the right answer."""
        start, choices = self.sequences(
            {
                "context": context,
                "question": question,
                "answerA": answerA,
                "answerB": answerB,
                "answerC": answerC,
            }
        )
        return self.build_instance(start, choices, label, language, example_id)

    def sequences(self, arguments: Dict[str, Any]) -> Tuple[str, List[str]]:
        """`"{context} {question}"` and the three answers."""
        return f"{arguments['context']} {arguments['question']}", [
            arguments[key] for key in ANSWER_FIELDS
        ]
