"""Per-example results: the metric recipes against seqeval and plain means, the file format, errors."""

import json
from pathlib import Path

import numpy
import pytest
from seqeval.metrics import accuracy_score, f1_score, precision_score, recall_score
from seqeval.metrics.sequence_labeling import get_entities

from allennlp_robust_xlt.analysis.per_example import (
    EXAMPLE_FIELDS,
    check_reproduces,
    read_per_example,
    recipe_for,
    recompute,
    write_per_example,
)
from allennlp_robust_xlt.common.errors import InputFileError

# Hand-made tagging cases: a missed entity, a wrong type, a split entity, an empty sentence.
GOLD = [
    ["B-PER", "I-PER", "O", "B-LOC"],
    ["O", "B-ORG", "I-ORG", "I-ORG"],
    ["O", "O"],
    ["B-LOC", "O", "B-PER"],
]
PREDICTED = [
    ["B-PER", "I-PER", "O", "O"],
    ["O", "B-ORG", "O", "B-ORG"],
    ["O", "O"],
    ["B-PER", "O", "B-PER"],
]


def tagging_example(index: int, gold, predicted):
    gold_entities, predicted_entities = set(get_entities(gold)), set(get_entities(predicted))
    return {
        "id": index,
        "tp": len(gold_entities & predicted_entities),
        "fp": len(predicted_entities - gold_entities),
        "fn": len(gold_entities - predicted_entities),
        "correct_tokens": sum(g == p for g, p in zip(gold, predicted)),
        "tokens": len(gold),
    }


def test_tagging_metrics_from_summed_counts_equal_seqeval():
    examples = [tagging_example(i, g, p) for i, (g, p) in enumerate(zip(GOLD, PREDICTED))]
    assert set(examples[0]) - {"id"} == set(EXAMPLE_FIELDS["tagging"])
    assert recompute(examples, "f1") == pytest.approx(f1_score(GOLD, PREDICTED))
    assert recompute(examples, "precision") == pytest.approx(precision_score(GOLD, PREDICTED))
    assert recompute(examples, "recall") == pytest.approx(recall_score(GOLD, PREDICTED))
    assert recompute(examples, "accuracy") == pytest.approx(accuracy_score(GOLD, PREDICTED))
    # No entity at all: seqeval's F1 is 0 (it warns), so is ours.
    none = [tagging_example(0, ["O"], ["O"])]
    assert recompute(none, "f1") == 0.0


def test_accuracy_and_qa_metrics_are_means():
    correct = [1, 0, 1, 1, 0]
    assert recompute([{"id": i, "correct": c} for i, c in enumerate(correct)], "accuracy") == 0.6
    qa = [{"id": "q1", "exact_match": 1, "f1": 1.0}, {"id": "q2", "exact_match": 0, "f1": 0.5}]
    assert recompute(qa, "f1") == 0.75 and recompute(qa, "exact_match") == 0.5
    assert recipe_for("f1", ["exact_match", "f1"]).fields == ("f1",)
    assert recipe_for("f1", ["tp", "fp", "fn"]).fields == ("tp", "fp", "fn")
    assert recipe_for("accuracy", ["f1"]) is None
    attacked = [
        {"id": 0, "correct": 1, "attacked_correct": 0},
        {"id": 1, "correct": 1, "attacked_correct": 1},
    ]
    assert recompute(attacked, "attacked_accuracy") == 0.5


@pytest.mark.filterwarnings("ignore:F-score is ill-defined")  # seqeval, on the entity-less draw
def test_replicates_equal_the_metric_of_resampled_examples(tmp_path: Path):
    examples = [tagging_example(i, g, p) for i, (g, p) in enumerate(zip(GOLD, PREDICTED))]
    path = tmp_path / "per_example" / "de.jsonl"
    write_per_example(path, examples)
    loaded = read_per_example(path)
    assert loaded.ids == [0, 1, 2, 3] and len(loaded) == 4
    draws = [[0, 0, 3, 1], [2, 2, 2, 2], [1, 3, 3, 0]]
    counts = numpy.array([numpy.bincount(d, minlength=4) for d in draws], dtype=float)
    replicates = loaded.replicates("f1", counts)
    for draw, value in zip(draws, replicates):
        gold = [GOLD[i] for i in draw]
        predicted = [PREDICTED[i] for i in draw]
        assert value == pytest.approx(f1_score(gold, predicted))


def test_check_reproduces(tmp_path: Path):
    path = tmp_path / "fr.jsonl"
    write_per_example(path, [{"id": i, "correct": c} for i, c in enumerate([1, 1, 0, 1])])
    examples = read_per_example(path)
    check_reproduces(examples, "accuracy", 0.75, "metrics.json")
    with pytest.raises(InputFileError) as error:
        check_reproduces(examples, "accuracy", 0.7, "run/metrics.json")
    assert str(error.value) == (
        f"{path}: gives accuracy = 0.750000 over its 4 examples, but run/metrics.json reports 0.700000"
    )
    with pytest.raises(InputFileError, match="cannot recompute f1 from the fields correct"):
        examples.metric("f1")


@pytest.mark.parametrize(
    "lines, location, problem",
    [
        (['{"id": 1, "correct": 1}', "{oops"], ":2:", "invalid JSON"),
        (
            ['{"id": 1, "correct": 1}', '{"id": 2, "right": 1}'],
            ":2:",
            "the first example has correct",
        ),
        (['{"id": 1, "correct": "yes"}'], ":1:", "correct is 'yes', not a finite number"),
        (['{"correct": 1}'], ":1:", 'an example without an "id"'),
        (['{"id": 1}'], ":1:", "an example without result fields"),
        (["[1, 2]"], ":1:", "expected a JSON object per line"),
        ([], "", "has no examples"),
    ],
)
def test_read_errors_name_file_and_line(tmp_path: Path, lines, location, problem):
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        read_per_example(path)
    assert str(error.value).startswith(f"{path}{location}") and problem in str(error.value)


def test_writer_refuses_what_the_reader_would(tmp_path: Path):
    with pytest.raises(InputFileError, match="not a finite number"):
        write_per_example(tmp_path / "x.jsonl", [{"id": 0, "correct": float("nan")}])
    assert not (tmp_path / "x.jsonl").exists()
    write_per_example(tmp_path / "y.jsonl", [{"id": "a", "exact_match": 1, "f1": 0.5}])
    assert json.loads((tmp_path / "y.jsonl").read_text()) == {
        "id": "a",
        "exact_match": 1,
        "f1": 0.5,
    }
