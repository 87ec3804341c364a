"""
Tatoeba (Artetxe and Schwenk, 2019; XTREME's `tatoeba`): up to 1,000 English sentences and their
translations per language, line-aligned. Each side's sentences are searched among the other
side's; the gold match of line i is line i.

Files, in the task directory (the first layout found is used, per language):

* LASER's release (`data/tatoeba/v1`): `tatoeba.{xxx}-eng.{xxx}` and `tatoeba.{xxx}-eng.eng`,
  with LASER's three-letter codes (`TATOEBA_LASER_CODES`);
* the names XTREME's `evaluate_retrieval.py` opens: `tatoeba.{xx}-eng.{xx}` / `tatoeba.{xx}-eng.eng`;
* XTREME's renamed copy: `{xx}-en.{xx}` / `{xx}-en.en`. XTREME's `utils_preprocess.py`
  (`tatoeba_preprocess`) sorted that English side alphabetically, which loses the alignment
  (google-research/xtreme issues #21, #61): an English side in sorted order is refused.

Metrics (XTREME's `scripts/run_tatoeba.sh`, `utils_retrieve.similarity_search`):
`accuracy_at_1`, English sentences as queries retrieving the other language's sentences,
and `accuracy_at_1_reverse`, the other direction.
"""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.retrieval.search import accuracy_at_1, best_matches, normalize
from allennlp_robust_xlt.retrieval.sentence_encoder import SentenceEncoder
from allennlp_robust_xlt.tasks import TASKS

logger = logging.getLogger(__name__)

TATOEBA_LANGUAGES: Tuple[str, ...] = TASKS["tatoeba"].all_languages
"""Tatoeba's test languages (the task table's): XTREME's 36, then the 5 that XTREME-R adds."""

TATOEBA_LASER_CODES: Dict[str, str] = dict(TASKS["tatoeba"].retrieval["laser_codes"])
"""LASER's three-letter codes of those languages (XTREME's `tatoeba_preprocess`)."""

SORTED_ENGLISH = (
    "is in alphabetical order: XTREME's preprocessing (tatoeba_preprocess) sorts the English"
    " side, which loses the gold alignment (google-research/xtreme issues #21, #61), so no score"
    " would be meaningful; use LASER's original files tatoeba.{xxx}-eng.{xxx} and"
    " tatoeba.{xxx}-eng.eng (LASER's data/tatoeba/v1)"
)


@dataclass
class TatoebaPair:
    """One language's parallel sentences (line i of each side are translations)."""

    language: str
    foreign: List[str]
    english: List[str]
    foreign_path: Path
    english_path: Path


def tatoeba_file_names(language: str) -> List[Tuple[str, str]]:
    """The (foreign, English) file names of the layouts, in order of preference."""
    names = []
    laser = TATOEBA_LASER_CODES.get(language)
    if laser is not None:
        names.append((f"tatoeba.{laser}-eng.{laser}", f"tatoeba.{laser}-eng.eng"))
    names.append((f"tatoeba.{language}-eng.{language}", f"tatoeba.{language}-eng.eng"))
    names.append((f"{language}-en.{language}", f"{language}-en.en"))
    return names


def find_tatoeba_files(directory: Path, language: str) -> Optional[Tuple[Path, Path]]:
    """The language's two files in `directory`, or None; one file without the other is an error."""
    for foreign_name, english_name in tatoeba_file_names(language):
        foreign, english = directory / foreign_name, directory / english_name
        if foreign.is_file() and english.is_file():
            return foreign, english
        if foreign.is_file() or english.is_file():
            present, missing = (foreign, english) if foreign.is_file() else (english, foreign)
            raise InputFileError(missing, None, f"not found (needed with {present.name})")
    return None


def read_lines(path: Path) -> List[str]:
    """The stripped lines of a UTF-8 file (split as Python's text files split them)."""
    lines = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            lines.append(raw.decode("utf-8").strip())
        except UnicodeDecodeError:
            raise InputFileError(path, number, "is not valid UTF-8") from None
    return lines


def read_tatoeba(directory: Path, language: str) -> TatoebaPair:
    """
    The language's sentence pairs. Files of different lengths, an empty file, and an English
    side in alphabetical order (XTREME's preprocessed copy) are `InputFileError`s.
    """
    files = find_tatoeba_files(directory, language)
    if files is None:
        names = " or ".join(f"{a} + {b}" for a, b in tatoeba_file_names(language))
        raise InputFileError(directory, None, f"has no Tatoeba files for {language} ({names})")
    foreign_path, english_path = files
    foreign, english = read_lines(foreign_path), read_lines(english_path)
    if len(foreign) != len(english):
        (longer, long_lines), (shorter, short_lines) = sorted(
            [(foreign_path, foreign), (english_path, english)], key=lambda side: -len(side[1])
        )
        raise InputFileError(
            longer,
            len(short_lines) + 1,
            f"has no parallel line in {shorter}, which ends after line {len(short_lines)}"
            f" (the files must be line-aligned translations)",
        )
    if not foreign:
        raise InputFileError(foreign_path, None, "is empty")
    if is_sorted_english(english):
        raise InputFileError(english_path, None, SORTED_ENGLISH)
    return TatoebaPair(language, foreign, english, foreign_path, english_path)


def is_sorted_english(lines: Sequence[str]) -> bool:
    """In alphabetical order, as `sorted` leaves it, with at least 3 distinct lines."""
    return len(set(lines)) >= 3 and all(a <= b for a, b in zip(lines, lines[1:]))


def available_tatoeba_languages(directory: Path) -> List[str]:
    """The table's languages that have files in `directory`, in the table's order."""
    return [code for code in TATOEBA_LANGUAGES if find_tatoeba_files(directory, code) is not None]


@dataclass
class TatoebaResult:
    metrics: Dict[str, float]
    predictions: List[int]
    """For each English line, the 0-based index of the retrieved foreign line (XTREME's format)."""
    size: int


def evaluate_tatoeba(
    encoder: SentenceEncoder,
    pair: TatoebaPair,
    layer: int,
    pooling: str,
    scoring: str,
    batch_size: int,
    max_length: int,
) -> TatoebaResult:
    embeddings = encoder.embed(
        pair.foreign + pair.english,
        layers=[layer],
        pooling=pooling,
        batch_size=batch_size,
        max_length=max_length,
        role="query",  # bitext mining is symmetric: both sides are queries (e5's advice)
    )[0]
    foreign = normalize(embeddings[: len(pair.foreign)])
    english = normalize(embeddings[len(pair.foreign) :])
    english_to_foreign, foreign_to_english = best_matches(english, foreign, scoring)
    metrics = {
        "accuracy_at_1": accuracy_at_1(english_to_foreign),
        "accuracy_at_1_reverse": accuracy_at_1(foreign_to_english),
    }
    return TatoebaResult(metrics, english_to_foreign.tolist(), len(pair.english))
