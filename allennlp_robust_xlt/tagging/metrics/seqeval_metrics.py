"""
XTREME's tagging metrics (UD-POS, PAN-X), from the seqeval package (v1.2.2) itself.

XTREME's `evaluate.py` scores a file with `seqeval.metrics.f1_score / precision_score /
recall_score(labels, predictions)`: micro averages over the entities that seqeval's default
(non-strict) mode finds with `get_entities` in the file's sentences, flattened with an `O`
after each one, on the raw tags. For UD-POS the tags are UPOS, not BIO: seqeval reads a tag's
first letter as the chunk prefix and the rest as the type, so a run of one tag is one "entity"
(gold `NOUN NOUN VERB PUNCT` against `NOUN ADJ VERB PUNCT` scores F1 0.571, not the token
accuracy 0.75), and `X` (no type) continues an "entity" begun before it, in an earlier
sentence too. That quirk is part of the benchmark's numbers and is kept.

`SeqevalMetrics` keeps the gold and predicted tags of every sentence since the last reset and,
on `get_metric(reset=True)` (the end of an epoch or evaluation), calls seqeval's
`precision_recall_fscore_support(average="micro")` and `accuracy_score` on them in file order
(by file and line), so the final values are exactly XTREME's. Between resets (the progress bar
asks after every batch) it reports the same scores from counts summed sentence by sentence
(`sentence_counts`, seqeval's `get_entities` on each sentence), which equal the file's for
PAN-X and differ for UD-POS only where a sentence after the first begins with `X`. Per-example
results (`per_example_results` of the tagger) are these sentence counts.
"""

import warnings
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import torch
import torch.distributed as dist
from allennlp.common.util import is_distributed
from allennlp.nn.util import dist_reduce_sum
from allennlp.training.metrics.metric import Metric
from seqeval.metrics.sequence_labeling import (
    accuracy_score,
    get_entities,
    precision_recall_fscore_support,
)

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
    docstring). Called with the gold and predicted tag strings of each sentence of a batch, and
    optionally where each sentence comes from (`(file, line)`: the order XTREME scores them
    in); in distributed runs the sentences of all workers are scored together. No parameters.
    """

    supports_distributed = True

    def __init__(self) -> None:
        self.reset()

    def __call__(  # type: ignore[override]
        self,
        gold: Sequence[Sequence[str]],
        predicted: Sequence[Sequence[str]],
        order: Optional[Sequence[Tuple[str, int]]] = None,
    ) -> List[SentenceCounts]:
        """Adds the sentences; returns their counts (one per sentence)."""
        sentences = [sentence_counts(g, p) for g, p in zip(gold, predicted)]
        for index, (gold_tags, predicted_tags) in enumerate(zip(gold, predicted)):
            key = order[index] if order is not None else ("", len(self._sentences))
            self._sentences.append((key, list(gold_tags), list(predicted_tags)))
        for counts in sentences:
            for position, value in enumerate(
                (
                    counts.true_positives,
                    counts.predicted,
                    counts.gold,
                    counts.correct_tokens,
                    counts.tokens,
                )
            ):
                self._counts[position] += value
        return sentences

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        if not reset:
            counts = dist_reduce_sum(torch.tensor(self._counts, dtype=torch.long)).tolist()
            return seqeval_scores(*counts)
        sentences = self._sentences
        if is_distributed():
            gathered: List[Any] = [None] * dist.get_world_size()
            dist.all_gather_object(gathered, sentences)
            sentences = [sentence for part in gathered for sentence in part]
        self.reset()
        return file_scores(
            [gold for _, gold, _ in sorted(sentences, key=lambda s: s[0])],
            [predicted for _, _, predicted in sorted(sentences, key=lambda s: s[0])],
        )

    def reset(self) -> None:
        self._counts = [0, 0, 0, 0, 0]
        self._sentences: List[Tuple[Tuple[str, int], List[str], List[str]]] = []


def file_scores(gold: List[List[str]], predicted: List[List[str]]) -> Dict[str, float]:
    """seqeval's micro `precision`, `recall`, `f1` and `accuracy_score` on whole files."""
    if not gold:
        return seqeval_scores(0, 0, 0, 0, 0)
    with warnings.catch_warnings():
        # The UPOS quirk ("NOUN seems not to be NE tag") and undefined ratios (set to 0).
        warnings.simplefilter("ignore")
        precision, recall, f1, _ = precision_recall_fscore_support(
            gold, predicted, average="micro", warn_for=("f-score",), beta=1
        )
        accuracy = accuracy_score(gold, predicted)
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "accuracy": float(accuracy),
    }
