"""The tagging metrics against the seqeval package (v1.2.2) itself, as XTREME's evaluate.py calls it."""

import random
import warnings
from typing import List

import pytest
from seqeval.metrics import accuracy_score, f1_score, precision_score, recall_score

from allennlp_robust_xlt.tagging.metrics.seqeval_metrics import (
    SeqevalMetrics,
    sentence_counts,
    seqeval_scores,
)
from allennlp_robust_xlt.tasks import TASKS

UPOS = list(TASKS["udpos"].labels)
BIO = list(TASKS["panx"].labels)


def seqeval(gold: List[List[str]], predicted: List[List[str]]) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "f1": f1_score(gold, predicted),
            "precision": precision_score(gold, predicted),
            "recall": recall_score(gold, predicted),
            "accuracy": accuracy_score(gold, predicted),
        }


def ours(
    gold: List[List[str]], predicted: List[List[str]], batch_size: int = 3, shuffle: bool = False
) -> dict:
    """The metric fed batch by batch (in a shuffled order, as a bucket sampler does, if asked)."""
    order = [("file.tsv", line) for line in range(len(gold))]
    indices = list(range(len(gold)))
    if shuffle:
        random.Random(len(gold)).shuffle(indices)
    metric = SeqevalMetrics()
    for start in range(0, len(gold), batch_size):
        batch = indices[start : start + batch_size]
        metric([gold[i] for i in batch], [predicted[i] for i in batch], [order[i] for i in batch])
    return metric.get_metric(reset=True)


def running(gold: List[List[str]], predicted: List[List[str]]) -> dict:
    metric = SeqevalMetrics()
    metric(gold, predicted)
    return metric.get_metric(reset=False)


def test_the_upos_quirk_of_the_reference_note():
    """seqeval reads the first letter of a UPOS tag as a chunk prefix: F1 0.571, not 0.75."""
    gold, predicted = [["NOUN", "NOUN", "VERB", "PUNCT"]], [["NOUN", "ADJ", "VERB", "PUNCT"]]
    scores = ours(gold, predicted)
    assert scores["f1"] == pytest.approx(0.5714285714, abs=1e-9)
    assert scores["accuracy"] == 0.75
    assert scores == seqeval(gold, predicted)


def test_bio_cases_by_hand():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "O"], ["B-ORG", "I-ORG", "I-ORG"]]
    predicted = [["B-PER", "I-PER", "O", "B-ORG"], ["O", "I-LOC"], ["B-ORG", "I-ORG", "O"]]
    counts = [sentence_counts(g, p) for g, p in zip(gold, predicted)]
    # Sentence 1: PER found, LOC missed, ORG spurious; 2: a spurious LOC from a stray I- tag
    # (seqeval's default mode starts an entity there); 3: the ORG span is cut short.
    assert [(c.true_positives, c.false_positives, c.false_negatives) for c in counts] == [
        (1, 1, 1),
        (0, 1, 0),
        (0, 1, 1),
    ]
    scores = ours(gold, predicted)
    assert scores["precision"] == 0.25 and scores["recall"] == pytest.approx(1 / 3)
    assert scores == seqeval(gold, predicted)


def test_no_entities_at_all_scores_zero_as_seqeval():
    gold = predicted = [["O", "O"], ["O"]]
    assert ours(gold, predicted) == seqeval(gold, predicted)
    assert ours(gold, predicted)["f1"] == 0.0


def random_file(rng: random.Random, labels: List[str]):
    gold, predicted = [], []
    for _ in range(rng.randint(1, 25)):
        sentence = [rng.choice(labels) for _ in range(rng.randint(1, 12))]
        gold.append(sentence)
        predicted.append([tag if rng.random() < 0.6 else rng.choice(labels) for tag in sentence])
    return gold, predicted


@pytest.mark.parametrize("labels", [UPOS, BIO], ids=["upos", "bio"])
def test_random_files_equal_seqeval(labels: List[str]):
    """The final scores are seqeval's on the whole file, whatever the batches and their order."""
    rng = random.Random(13)
    for _ in range(40):
        gold, predicted = random_file(rng, labels)
        expected = seqeval(gold, predicted)
        assert ours(gold, predicted, rng.randint(1, 7), shuffle=True) == expected
        if labels is BIO:  # no cross-sentence quirk: the running sums are exact too
            assert running(gold, predicted) == expected


def test_upos_x_continues_an_entity_across_sentences():
    """
    seqeval (on a file) lets a sentence-initial X continue the "entity" begun before it, so a
    file's score is not the sum of its sentences': the metric scores the file in its order.
    """
    gold = [["NOUN", "VERB"], ["X", "NOUN"]]
    predicted = [["NOUN", "NOUN"], ["X", "NOUN"]]
    file_level = seqeval(gold, predicted)
    assert file_level != running(gold, predicted)
    assert ours(gold, predicted, batch_size=1, shuffle=True) == file_level


def test_scores_from_counts_handle_zero_denominators():
    assert seqeval_scores(0, 0, 0, 0, 0) == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "accuracy": 0.0,
    }
    assert seqeval_scores(0, 3, 0, 1, 2)["precision"] == 0.0


def test_reset_and_mismatched_lengths():
    metric = SeqevalMetrics()
    metric([["B-PER"]], [["B-PER"]])
    assert metric.get_metric()["f1"] == 1.0
    assert metric.get_metric(reset=True)["f1"] == 1.0
    assert metric.get_metric(reset=True) == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "accuracy": 0.0,
    }
    with pytest.raises(ValueError, match="2 gold tags but 1 predicted"):
        metric([["O", "O"]], [["O"]])
