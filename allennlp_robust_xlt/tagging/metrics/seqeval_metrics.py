"""
XTREME's tagging metrics (UD-POS, PAN-X), from the seqeval package (v1.2.2) itself.

XTREME's `evaluate.py` scores a file with `seqeval.metrics.f1_score / precision_score /
recall_score(labels, predictions)`: micro averages over the entities that seqeval's default
(non-strict) mode finds with `get_entities`, on the raw tags. For UD-POS the tags are UPOS, not
BIO: seqeval reads a tag's first letter as the chunk prefix and the rest as the type, so a run of
one tag is one "entity" (gold `NOUN NOUN VERB PUNCT` against `NOUN ADJ VERB PUNCT` scores F1
0.571, not the token accuracy 0.75). That quirk is part of the benchmark's numbers and is kept.

Micro precision and recall are ratios of counts summed over entity types, and seqeval separates
the sentences of a file by an `O`, so no entity spans two sentences: the counts of a file are the
sums of its sentences' counts. `sentence_counts` computes one sentence's counts with seqeval's
`get_entities` (exactly as seqeval's `extract_tp_actual_correct` does), `SeqevalMetrics` sums
them over batches, and the scores are then computed as seqeval computes them from its sums (the
same floating-point operations, undefined ratios set to 0 as its `zero_division="warn"` does,
without the warning). Tests check the values against `seqeval.metrics` on hand-made and random
files. Summing makes the metric usable batch by batch (the progress bar asks for it after every
batch) and across distributed workers.
"""

import warnings
from dataclasses import dataclass
from typing import Dict, List, Sequence, Set, Tuple

import torch
from allennlp.nn.util import dist_reduce_sum
from allennlp.training.metrics.metric import Metric
from seqeval.metrics.sequence_labeling import get_entities

Entity = Tuple[str, int, int]


@dataclass(frozen=True)
class SentenceCounts:
    """One sentence's contribution to seqeval's micro scores and to the token accuracy."""

    true_positives: int
    predicted: int
    gold: int
    correct_tokens: int
    tokens: int

    @property
    def false_positives(self) -> int:
        return self.predicted - self.true_positives

    @property
    def false_negatives(self) -> int:
        return self.gold - self.true_positives


def _entities(tags: Sequence[str]) -> Set[Entity]:
    with warnings.catch_warnings():
        # "NOUN seems not to be NE tag": the UPOS quirk above, expected for UD-POS.
        warnings.simplefilter("ignore")
        return set(get_entities(list(tags)))


def sentence_counts(gold: Sequence[str], predicted: Sequence[str]) -> SentenceCounts:
    """The counts of one sentence (gold and predicted tags of the same words)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold tags but {len(predicted)} predicted tags")
    gold_entities = _entities(gold)
    predicted_entities = _entities(predicted)
    return SentenceCounts(
        true_positives=len(gold_entities & predicted_entities),
        predicted=len(predicted_entities),
        gold=len(gold_entities),
        correct_tokens=sum(g == p for g, p in zip(gold, predicted)),
        tokens=len(gold),
    )


def _ratio(numerator: int, denominator: int) -> float:
    # seqeval's _prf_divide: 0.0 where the denominator is 0 (zero_division "warn").
    return numerator / denominator if denominator != 0 else 0.0


def seqeval_scores(
    true_positives: int, predicted: int, gold: int, correct_tokens: int, tokens: int
) -> Dict[str, float]:
    """
    `precision`, `recall`, `f1` (micro, as `seqeval.metrics.*_score`) and `accuracy`
    (as `seqeval.metrics.accuracy_score`) from summed counts.
    """
    precision = _ratio(true_positives, predicted)
    recall = _ratio(true_positives, gold)
    beta2 = 1.0
    denominator = beta2 * precision + recall
    f1 = (1 + beta2) * precision * recall / (denominator if denominator != 0.0 else 1.0)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": _ratio(correct_tokens, tokens),
    }


@Metric.register("xtreme_seqeval")
class SeqevalMetrics(Metric):
    """
    Registered as a `Metric` with name "xtreme_seqeval".

    XTREME's tagging scores over the sentences seen since the last reset: seqeval's micro
    `f1`, `precision` and `recall` on the raw tags, and the token `accuracy` (see the module
    docstring). Called with the gold and predicted tag strings of each sentence of a batch;
    in distributed training the counts are summed over the workers. No parameters.
    """

    supports_distributed = True

    def __init__(self) -> None:
        self._counts = [0, 0, 0, 0, 0]

    def __call__(  # type: ignore[override]
        self, gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
    ) -> List[SentenceCounts]:
        """Adds the sentences' counts; returns them (one per sentence)."""
        sentences = [sentence_counts(g, p) for g, p in zip(gold, predicted)]
        batch = torch.tensor(
            [
                sum(counts.true_positives for counts in sentences),
                sum(counts.predicted for counts in sentences),
                sum(counts.gold for counts in sentences),
                sum(counts.correct_tokens for counts in sentences),
                sum(counts.tokens for counts in sentences),
            ],
            dtype=torch.long,
        )
        batch = dist_reduce_sum(batch)
        self._counts = [total + int(value) for total, value in zip(self._counts, batch.tolist())]
        return sentences

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        scores = seqeval_scores(*self._counts)
        if reset:
            self.reset()
        return scores

    def reset(self) -> None:
        self._counts = [0, 0, 0, 0, 0]
