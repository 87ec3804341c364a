"""
BUCC 2018 bitext mining (Zweigenbaum et al., 2018; XTREME's `bucc2018`): find the translation
pairs between a non-English and an English corpus, of which only a few sentences are
translations of each other.

Files, in the task directory or in its `{lg}-en/` subdirectory (the original archives' layout):
`{lg}-en.{split}.{lg}` and `{lg}-en.{split}.en`, lines `id<TAB>sentence`, and
`{lg}-en.{split}.gold`, lines `{lg}_id<TAB>en_id`. The splits have XTREME's names (`dev`,
`test`) or the release's (`sample`, `training`; XTREME renamed sample -> dev and training ->
test, and deleted the test gold): see `BUCC_SPLIT_NAMES`.

Mining follows XTREME (`scripts/run_bucc2018.sh` -> `third_party/utils_retrieve.py`):
identical sentences are embedded once, `mine_bitext(mode="mine", retrieval="max",
margin="ratio", neighborhood=4)` proposes candidate pairs, sentences that occur more than once
(under several ids) are dropped from the candidates (`read_sent2id`), the threshold is the one
that maximises F1 against the gold (`bucc_optimize`), and the pairs scoring at least the
threshold are extracted (`bucc_extract`). Unlike XTREME's scripts (issues #60, #69), the
threshold can be chosen on the dev (sample) split and applied to the test split.
"""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.retrieval.search import mine_bitext, normalize
from allennlp_robust_xlt.retrieval.sentence_encoder import SentenceEncoder
from allennlp_robust_xlt.retrieval.tatoeba import read_lines
from allennlp_robust_xlt.tasks import TASKS

logger = logging.getLogger(__name__)

BUCC_LANGUAGES: Tuple[str, ...] = TASKS["bucc2018"].languages
"""BUCC 2018's languages (each paired with English), from the task table."""

BUCC_SPLIT_NAMES: Dict[str, Tuple[str, ...]] = {
    split: tuple(names) for split, names in TASKS["bucc2018"].retrieval["split_names"].items()
}
"""The file names of each split, XTREME's first, then the original release's (task table)."""

Pair = Tuple[str, str]


@dataclass
class BuccSide:
    path: Path
    ids: List[str]
    sentences: List[str]


@dataclass
class BuccSplit:
    language: str
    split: str
    source: BuccSide
    """The non-English side."""
    english: BuccSide
    gold: Optional[Set[Pair]]
    gold_path: Optional[Path]


def find_bucc_prefix(directory: Path, language: str, split: str) -> Optional[Path]:
    """`.../{lg}-en.{name}` whose two sentence files exist, for the split's names, or None."""
    for folder in (directory, directory / f"{language}-en"):
        for name in BUCC_SPLIT_NAMES[split]:
            prefix = folder / f"{language}-en.{name}"
            source, english = Path(f"{prefix}.{language}"), Path(f"{prefix}.en")
            if source.is_file() and english.is_file():
                return prefix
            if source.is_file() or english.is_file():
                present, missing = (source, english) if source.is_file() else (english, source)
                raise InputFileError(missing, None, f"not found (needed with {present.name})")
    return None


def read_bucc_split(directory: Path, language: str, split: str) -> BuccSplit:
    prefix = find_bucc_prefix(directory, language, split)
    if prefix is None:
        names = " or ".join(
            f"{language}-en.{name}.{{{language},en}}" for name in BUCC_SPLIT_NAMES[split]
        )
        raise InputFileError(directory, None, f"has no BUCC {split} files for {language} ({names})")
    source = read_bucc_side(Path(f"{prefix}.{language}"))
    english = read_bucc_side(Path(f"{prefix}.en"))
    gold_path = Path(f"{prefix}.gold")
    gold = read_bucc_gold(gold_path, source, english) if gold_path.is_file() else None
    return BuccSplit(
        language, split, source, english, gold, gold_path if gold is not None else None
    )


def read_bucc_side(path: Path) -> BuccSide:
    ids: List[str] = []
    sentences: List[str] = []
    seen: Dict[str, int] = {}
    for number, line in enumerate(read_lines(path), start=1):
        fields = line.split("\t")
        if len(fields) < 2 or not fields[0].strip():
            raise InputFileError(path, number, "expected `id<TAB>sentence`")
        sentence_id = fields[0].strip()
        if sentence_id in seen:
            raise InputFileError(
                path, number, f"repeats the id {sentence_id} of line {seen[sentence_id]}"
            )
        seen[sentence_id] = number
        ids.append(sentence_id)
        sentences.append(fields[1].strip())  # `cut -f2`, as run_bucc2018.sh
    if not ids:
        raise InputFileError(path, None, "is empty")
    return BuccSide(path, ids, sentences)


def read_bucc_gold(path: Path, source: BuccSide, english: BuccSide) -> Set[Pair]:
    source_ids, english_ids = set(source.ids), set(english.ids)
    gold: Set[Pair] = set()
    for number, line in enumerate(read_lines(path), start=1):
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise InputFileError(path, number, "expected `source_id<TAB>english_id`")
        source_id, english_id = fields[0].strip(), fields[1].strip()
        if source_id not in source_ids:
            raise InputFileError(
                path, number, f"names the id {source_id}, which is not in {source.path}"
            )
        if english_id not in english_ids:
            raise InputFileError(
                path, number, f"names the id {english_id}, which is not in {english.path}"
            )
        gold.add((source_id, english_id))
    if not gold:
        raise InputFileError(path, None, "has no gold pairs")
    return gold


def unique_sentences(side: BuccSide) -> Tuple[List[str], Dict[str, str]]:
    """
    The distinct sentences in order of first occurrence (`text_load_unify`), and the id of each
    sentence that occurs once (`read_sent2id` drops the others).
    """
    counts: Dict[str, int] = {}
    first_id: Dict[str, str] = {}
    for sentence_id, sentence in zip(side.ids, side.sentences):
        counts[sentence] = counts.get(sentence, 0) + 1
        first_id.setdefault(sentence, sentence_id)
    ids = {sentence: first_id[sentence] for sentence, count in counts.items() if count == 1}
    return list(counts), ids


def mine_candidates(
    encoder: SentenceEncoder,
    split: BuccSplit,
    layer: int,
    pooling: str,
    scoring: str,
    batch_size: int,
    max_length: int,
) -> Dict[Pair, float]:
    """The candidate pairs of ids and their scores (XTREME's `candidate2score`), best first."""
    source_sentences, source_ids = unique_sentences(split.source)
    english_sentences, english_ids = unique_sentences(split.english)
    embeddings = encoder.embed(
        source_sentences + english_sentences,
        layers=[layer],
        pooling=pooling,
        batch_size=batch_size,
        max_length=max_length,
        role="query",  # bitext mining is symmetric: both sides are queries (e5's advice)
    )[0]
    # In place: at BUCC's sizes a copy of the embeddings would double the memory.
    x = normalize(embeddings[: len(source_sentences)], inplace=True)
    y = normalize(embeddings[len(source_sentences) :], inplace=True)
    candidates: Dict[Pair, float] = {}
    for score, i, j in mine_bitext(x, y, scoring=scoring):
        source_sentence, english_sentence = source_sentences[i], english_sentences[j]
        if source_sentence in source_ids and english_sentence in english_ids:
            pair = (source_ids[source_sentence], english_ids[english_sentence])
            candidates[pair] = max(score, candidates.get(pair, score))
    return candidates


def optimize_threshold(candidates: Dict[Pair, float], gold: Set[Pair]) -> float:
    """
    XTREME's `bucc_optimize`: going down the candidates by score, the midpoint between the
    score where F1 against `gold` is best and the next one (0 when no candidate is correct).
    When the best is the last candidate (where XTREME's script fails), its own score.
    """
    items = sorted(candidates.items(), key=lambda item: -item[1])
    extracted = correct = 0
    threshold = 0.0
    best_f1 = 0.0
    for index, (pair, score) in enumerate(items):
        extracted += 1
        if pair in gold:
            correct += 1
        if correct > 0:
            precision, recall = correct / extracted, correct / len(gold)
            f1 = 2 * precision * recall / (precision + recall)
            if f1 > best_f1:
                best_f1 = f1
                following = items[index + 1][1] if index + 1 < len(items) else score
                threshold = (score + following) / 2
    return threshold


def extract_pairs(candidates: Dict[Pair, float], threshold: float) -> List[Pair]:
    """XTREME's `bucc_extract`: the candidates scoring at least `threshold`."""
    return [pair for pair, score in candidates.items() if score >= threshold]


def bucc_scores(extracted: List[Pair], gold: Set[Pair]) -> Dict[str, float]:
    """Precision, recall and F1 (fractions) of the extracted pairs (XTREME's `bucc_eval`)."""
    correct = len(gold.intersection(extracted))
    if correct == 0:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    precision, recall = correct / len(extracted), correct / len(gold)
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall),
    }


@dataclass
class BuccResult:
    metrics: Dict[str, Optional[float]]
    """precision, recall, f1 (None without gold) and threshold."""
    pairs: List[Pair]
    """The extracted `(source_id, english_id)` pairs (XTREME's prediction format)."""
    size: int
    """Sentences in the evaluated split (both sides)."""


def evaluate_bucc(
    encoder: SentenceEncoder,
    evaluated: BuccSplit,
    tuning: BuccSplit,
    layer: int,
    pooling: str,
    scoring: str,
    batch_size: int,
    max_length: int,
) -> BuccResult:
    """
    The threshold is chosen on `tuning`'s gold and applied to `evaluated` (the same split for
    `--split dev`, as XTREME's figures); P/R/F1 when `evaluated` has gold.
    """
    settings = (layer, pooling, scoring, batch_size, max_length)
    assert tuning.gold is not None
    tuning_candidates = mine_candidates(encoder, tuning, *settings)
    threshold = optimize_threshold(tuning_candidates, tuning.gold)
    if evaluated is tuning:
        candidates = tuning_candidates
    else:
        candidates = mine_candidates(encoder, evaluated, *settings)
    pairs = extract_pairs(candidates, threshold)
    metrics: Dict[str, Optional[float]] = {"precision": None, "recall": None, "f1": None}
    if evaluated.gold is not None:
        metrics.update(bucc_scores(pairs, evaluated.gold))
    metrics["threshold"] = threshold
    size = len(evaluated.source.ids) + len(evaluated.english.ids)
    return BuccResult(metrics, pairs, size)
