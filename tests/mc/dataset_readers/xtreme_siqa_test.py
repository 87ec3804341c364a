"""The `xtreme_siqa` reader on socialIQa_v1.4's files and bad lines."""

import json
from pathlib import Path

import pytest

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.mc.dataset_readers import XtremeSiqaReader
from allennlp_robust_xlt.tasks import TASKS
from tests import XTREME_DATA

SIQA = XTREME_DATA / "siqa"


def test_examples_of_the_release():
    path = TASKS["siqa"].file_path(XTREME_DATA, "train", "en")
    assert path == SIQA / "socialIQa_v1.4_trn.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    instances = list(XtremeSiqaReader().read(path))
    assert len(instances) == len(records) == 6
    for number, (instance, record) in enumerate(zip(instances, records), start=1):
        metadata = instance["metadata"].metadata
        # As XTREME's run_xcopa.py builds SIQA's first sequence: "{context} {question}".
        assert metadata["start"] == f"{record['context']} {record['question']}"
        assert metadata["choices"] == [record["answerA"], record["answerB"], record["answerC"]]
        assert metadata["id"] == str(number) and metadata["language"] == "en"
        assert instance["correct_alternative"].sequence_index == "ABC".index(record["correct"])
        assert len(instance["alternatives"]) == 3


GOOD = {
    "context": "Kim ate.",
    "question": "Why?",
    "answerA": "hungry",
    "answerB": "bored",
    "answerC": "tired",
    "correct": "A",
}


@pytest.mark.parametrize(
    "line, problem",
    [
        ({**GOOD, "correct": "D"}, "'correct' is out of range: 'D' is not one of A, B, C"),
        ({**GOOD, "correct": 1}, "'correct' is out of range: 1 is not one of A, B, C"),
        (
            {k: v for k, v in GOOD.items() if k != "answerC"},
            "missing the field 'answerC' (found: ['answerA', 'answerB', 'context', 'correct', 'question'])",
        ),
    ],
)
def test_a_bad_line_is_one_error_naming_file_and_line(tmp_path: Path, line, problem: str):
    path = tmp_path / "socialIQa_v1.4_dev.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        list(XtremeSiqaReader().read(path))
    assert str(error.value) == f"{path}:2: {problem}"
