"""The `xtreme_xcopa` reader on XTREME's layout, XCOPA's release names and bad lines."""

import json
import logging
from collections import Counter
from pathlib import Path
from typing import List

import pytest
from allennlp.data import Vocabulary
from allennlp.data.dataset_readers.dataset_reader import WorkerInfo
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from transformers import AutoTokenizer

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.data.dataset_readers.randomized_smoothing import (
    RandomizedSmoothingReader,
)
from allennlp_robust_xlt.mc.dataset_readers import XtremeXcopaReader
from tests import FIXTURES_ROOT, XTREME_DATA

XCOPA = XTREME_DATA / "xcopa"
TABLE = FIXTURES_ROOT / "neighbors" / "english_neighbors.json"


def transformer_reader(model: Path, **kwargs) -> XtremeXcopaReader:
    return XtremeXcopaReader(
        tokenizer=PretrainedTransformerTokenizer(str(model), add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(str(model))},
        **kwargs,
    )


def records(path: Path) -> List[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_examples_of_xtremes_files():
    instances = list(XtremeXcopaReader().read(XCOPA / "val-et.jsonl"))
    expected = records(XCOPA / "val-et.jsonl")
    assert len(instances) == len(expected) == 4
    for instance, record in zip(instances, expected):
        metadata = instance["metadata"].metadata
        assert metadata["id"] == str(record["idx"]) and metadata["language"] == "et"
        assert metadata["start"] == f"{record['premise']} What was the {record['question']}?"
        assert metadata["choices"] == [record["choice1"], record["choice2"]]
        assert instance["correct_alternative"].sequence_index == record["label"]
        assert len(instance["alternatives"]) == 2
    # English COPA: the language from the name; SuperGLUE's test file has no labels.
    assert {
        i["metadata"].metadata["language"]
        for i in XtremeXcopaReader().read(XCOPA / "train-en.jsonl")
    } == {"en"}
    unlabelled = list(XtremeXcopaReader().read(XCOPA / "test-en.jsonl"))
    assert unlabelled and all("correct_alternative" not in i.fields for i in unlabelled)


def test_release_file_names_give_the_language(tmp_path: Path):
    (tmp_path / "test.qu.jsonl").write_bytes((XCOPA / "val-et.jsonl").read_bytes())
    (tmp_path / "copa.jsonl").write_bytes((XCOPA / "val-et.jsonl").read_bytes())
    reader = XtremeXcopaReader()
    assert {
        i["metadata"].metadata["language"] for i in reader.read(tmp_path / "test.qu.jsonl")
    } == {"qu"}
    assert {i["metadata"].metadata["language"] for i in reader.read(tmp_path / "copa.jsonl")} == {
        None
    }


def test_pairs_are_xtremes_input_ids(tiny_transformer: Path):
    """
    Each choice is paired with "{premise} What was the {question}?" and truncated longest-first
    to max_length, as `run_xcopa.py` tokenizes: `tokenizer(first, second, truncation=True,
    max_length=...)` of Hugging Face's tokenizer (run here on the tiny model's tokenizer).
    """
    hf_tokenizer = AutoTokenizer.from_pretrained(str(tiny_transformer))
    for max_length in (128, 12):
        reader = transformer_reader(tiny_transformer, max_length=max_length)
        for instance, record in zip(
            reader.read(XCOPA / "val-it.jsonl"), records(XCOPA / "val-it.jsonl")
        ):
            first = f"{record['premise']} What was the {record['question']}?"
            for pair, choice in zip(instance["alternatives"].field_list, ("choice1", "choice2")):
                expected = hf_tokenizer(
                    first, record[choice], truncation=True, max_length=max_length
                )
                pair.index(Vocabulary())
                ids = pair.as_tensor(pair.get_padding_lengths())["tokens"]["token_ids"].tolist()
                assert ids == expected["input_ids"]
                assert len(ids) <= max_length


def test_all_zero_labels_are_read_with_a_warning(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        instances = list(XtremeXcopaReader().read(XCOPA / "test-et.jsonl"))
    assert len(instances) == 4
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"{XCOPA / 'test-et.jsonl'}: all 4 labels are 0, as in XTREME's prepared test files, whose"
        " labels were removed: its accuracy is not a score of the model"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        list(XtremeXcopaReader().read(XCOPA / "val-et.jsonl"))
        list(XtremeXcopaReader().read(XCOPA / "test-en.jsonl"))  # no labels at all
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


GOOD = {
    "premise": "The road was wet.",
    "choice1": "It rained.",
    "choice2": "It was sunny.",
    "question": "cause",
    "label": 0,
    "idx": 7,
}


@pytest.mark.parametrize(
    "line, problem",
    [
        ({**GOOD, "label": 2}, "label 2 is out of range: there are 2 choices (labels 0 to 1)"),
        ({**GOOD, "label": -1}, "label -1 is out of range: there are 2 choices (labels 0 to 1)"),
        ({**GOOD, "label": "one"}, "the label must be an integer, found 'one'"),
        (
            {k: v for k, v in GOOD.items() if k != "choice2"},
            "missing the field 'choice2' (found: ['choice1', 'idx', 'label', 'premise', 'question'])",
        ),
        (
            {**GOOD, "question": "reason"},
            "the question must be 'cause' or 'effect', found 'reason'",
        ),
        ({**GOOD, "premise": 3}, "the field 'premise' must be a string, found int"),
        ({**GOOD, "choice1": " "}, "the field 'choice1' is empty"),
        ("[1, 2]", "expected a JSON object, found list"),
        (
            '{"premise": "x",',
            "invalid JSON: Expecting property name enclosed in double quotes at column 17",
        ),
    ],
)
def test_a_bad_line_is_one_error_naming_file_and_line(tmp_path: Path, line, problem: str):
    path = tmp_path / "val-et.jsonl"
    text = line if isinstance(line, str) else json.dumps(line)
    path.write_text(json.dumps(GOOD) + "\n\n" + text + "\n", encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        list(XtremeXcopaReader().read(path))
    assert str(error.value) == f"{path}:3: {problem}"


def test_label_as_digits_is_read(tmp_path: Path):
    path = tmp_path / "val-et.jsonl"
    path.write_text(json.dumps({**GOOD, "label": "1"}) + "\n", encoding="utf-8")
    (instance,) = XtremeXcopaReader().read(path)
    assert instance["correct_alternative"].sequence_index == 1


def test_reading_is_lazy_and_sharded_by_line():
    reader = XtremeXcopaReader()
    full = [i["metadata"].metadata["id"] for i in reader.read(XCOPA / "train-en.jsonl")]
    shards = []
    for worker in range(3):
        reader._set_worker_info(WorkerInfo(3, worker))
        shards.append([i["metadata"].metadata["id"] for i in reader.read(XCOPA / "train-en.jsonl")])
    reader._set_worker_info(None)
    assert all(shards) and Counter(sum(shards, [])) == Counter(full) and len(full) == 8
    assert shards[1] == full[1::3]
    assert not isinstance(reader.read(XCOPA / "train-en.jsonl"), list)  # lazy


def test_add_special_tokens_must_be_off(tiny_xlmr: Path):
    with pytest.raises(ParameterError, match="add_special_tokens' must be false"):
        XtremeXcopaReader(tokenizer=PretrainedTransformerTokenizer(str(tiny_xlmr)))


def test_rs_da_perturbs_the_premise_and_choices_never_the_relation(tmp_path: Path):
    """Randomized smoothing takes the reader's text arguments: premise, choice1, choice2."""
    path = tmp_path / "train-en.jsonl"
    record = {
        "premise": "the man was old",
        "choice1": "the car was new",
        "choice2": "the city was small",
        "question": "effect",
        "label": 1,
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    reader = RandomizedSmoothingReader(
        base_reader=XtremeXcopaReader(), neighbors=str(TABLE), copies=20, seed=3
    )
    assert reader.text_arguments.names == ["premise", "choice1", "choice2"]
    instances = list(reader.read(path))
    assert len(instances) == 20
    starts = {i["metadata"].metadata["start"] for i in instances}
    choices = {tuple(i["metadata"].metadata["choices"]) for i in instances}
    assert len(starts) > 1 and len(choices) > 1
    assert all(start.endswith(" What was the effect?") for start in starts)
    assert all(i["correct_alternative"].sequence_index == 1 for i in instances)
