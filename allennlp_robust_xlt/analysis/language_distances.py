"""
Distances between languages: lang2vec's URIEL feature vectors, and tables users give.

**lang2vec-feature cosine distance.** lang2vec 1.1.2 (the PyPI release; its data ship in the
wheel and work offline) has no `distance()`, so the distance of languages a and b under a
feature set is `1 - cos(v_a, v_b)` over the vectors `lang2vec.get_features` returns. The
feature sets (`LANG2VEC_FEATURE_SETS`, distance name -> lang2vec set):

| name | lang2vec set | dims | what |
|---|---|---:|---|
| syntactic | syntax_knn | 103 | WALS/SSWL/Ethnologue word-order and syntax features |
| phonological | phonology_knn | 28 | phonological features |
| inventory | inventory_knn | 158 | phoneme inventory features |
| geographic | geo | 299 | closeness to fixed points on the globe (`GC_lat_lon`) |
| genetic | fam | 3718 | membership in the nodes of the Glottolog family tree |

The `*_knn` sets fill URIEL's gaps by lang2vec's k-nearest-neighbour prediction (from
typologically, genetically and geographically close languages), so they have no gaps for the
50 XTREME-R languages, at the price of partly imputed values; the raw sets (`syntax_wals`, ...)
have gaps for every one of them. Where a vector is all zero (`fam` of eus, an isolate, and of
ekk) or has missing values (`--`), the distance is not computed: `DistanceValue.value` is None
and its `note` says why. Nothing is filled in.

**Codes.** lang2vec maps two-letter codes to macrolanguages (zh -> zho, ar -> ara, ...), whose
data differ from the individual languages'. We pass the individual-language ISO 639-3 code of
`allennlp_robust_xlt.common.languages` (`Language.iso639_3`: zh cmn, ar arb, et ekk, fa pes,
ms zsm, sw swh, az azj, qu quy); `macrolanguage_codes` lists where lang2vec's own mapping
differs, for sensitivity checks. A language lang2vec does not have is an error naming it.

**User tables** (`read_distance_table`): CSV with the header `language,distance_name,value`
(further columns, such as `note`, are allowed), one distance of a language from the source
language per row; an empty value is a missing one. Used by `xtreme-compare --distances FILE`,
for instance for the synthetic languages' known misalignment.
"""

import csv
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy

from allennlp_robust_xlt.common.errors import InputFileError, RobustXltError
from allennlp_robust_xlt.common.languages import (
    XTREME_LANGUAGES,
    XTREME_R_ADDED_LANGUAGES,
    get_language,
)

MEASURE = "lang2vec-feature cosine distance"

LANG2VEC_FEATURE_SETS: Dict[str, str] = {
    "syntactic": "syntax_knn",
    "phonological": "phonology_knn",
    "inventory": "inventory_knn",
    "geographic": "geo",
    "genetic": "fam",
}
"""Distance name -> the lang2vec feature set its vectors come from."""

DISTANCE_TABLE_COLUMNS = ("language", "distance_name", "value")


@dataclass(frozen=True)
class DistanceValue:
    """The distance `name` between `language` and `other` (None when undefined; `note` says why)."""

    language: str
    other: str
    name: str
    value: Optional[float]
    note: str = ""
    source: str = ""


def iso639_3(code: str) -> str:
    """The ISO 639-3 code lang2vec is asked for, for a language code of the language tables."""
    language = get_language(code)
    if language is None or not language.iso639_3:
        raise RobustXltError(
            f"language {code!r} has no ISO 639-3 code in allennlp_robust_xlt.common.languages,"
            " so lang2vec has no distances for it; leave lang2vec out (--lang2vec none) and give"
            " its distances with --distances FILE"
        )
    return language.iso639_3


def _lang2vec() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lang2vec imports the deprecated pkg_resources
        import lang2vec.lang2vec as l2v
    return l2v


def macrolanguage_codes() -> Dict[str, Tuple[str, str]]:
    """Code -> (our ISO 639-3 code, lang2vec's own mapping) for the XTREME-R codes where they differ."""
    letter_codes = _lang2vec().LETTER_CODES
    return {
        code: (language.iso639_3, letter_codes[code])
        for code, language in {**XTREME_LANGUAGES, **XTREME_R_ADDED_LANGUAGES}.items()
        if code in letter_codes and letter_codes[code] != language.iso639_3
    }


_KNOWN: Dict[str, frozenset] = {}
_VECTORS: Dict[Tuple[str, str], numpy.ndarray] = {}


def _lang2vec_languages(feature_set: str) -> frozenset:
    """The ISO codes in the data file of a lang2vec feature set (read once; only its `langs`)."""
    if feature_set not in _KNOWN:
        l2v = _lang2vec()
        filename = l2v.FEATURE_SETS_DICT[feature_set][0]
        path = os.path.join(os.path.dirname(l2v.__file__), "data", filename)
        with numpy.load(path) as data:
            _KNOWN[feature_set] = frozenset(str(code) for code in data["langs"])
    return _KNOWN[feature_set]


def check_lang2vec_languages(codes: Iterable[str], names: Sequence[str]) -> None:
    """An error (one line) for the first language that a requested lang2vec set does not have."""
    for name in names:
        feature_set = LANG2VEC_FEATURE_SETS[name]
        known = _lang2vec_languages(feature_set)
        for code in codes:
            iso = iso639_3(code)
            if iso not in known:
                raise RobustXltError(
                    f"language {code} (ISO 639-3 {iso}) is not in lang2vec's URIEL data"
                    f" ({feature_set}); leave lang2vec out (--lang2vec none) and give its"
                    " distances with --distances FILE"
                )


def lang2vec_vectors(codes: Sequence[str], name: str) -> Dict[str, numpy.ndarray]:
    """
    Code -> the lang2vec vector of the feature set behind distance `name` (NaN where lang2vec
    has `--`). Each feature set is read once per process, for all XTREME-R languages at once
    (lang2vec reads its whole data file on every call).
    """
    feature_set = LANG2VEC_FEATURE_SETS[name]
    check_lang2vec_languages(codes, [name])
    wanted = {iso639_3(code) for code in codes}
    missing = sorted(iso for iso in wanted if (feature_set, iso) not in _VECTORS)
    if missing:
        known = _lang2vec_languages(feature_set)
        extra = {
            language.iso639_3
            for language in {**XTREME_LANGUAGES, **XTREME_R_ADDED_LANGUAGES}.values()
            if language.iso639_3 in known and (feature_set, language.iso639_3) not in _VECTORS
        }
        batch = sorted(set(missing) | extra)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            features = _lang2vec().get_features(batch, feature_set)
        for iso in batch:
            _VECTORS[(feature_set, iso)] = numpy.array(
                [math.nan if value == "--" else float(value) for value in features[iso]]
            )
    return {code: _VECTORS[(feature_set, iso639_3(code))] for code in codes}


def cosine_distance(
    first: numpy.ndarray,
    second: numpy.ndarray,
    labels: Tuple[str, str] = ("a", "b"),
    what: str = "",
) -> Tuple[Optional[float], str]:
    """`1 - cos(first, second)`, or None and why (a missing value, an all-zero vector)."""
    problems = []
    for label, vector in zip(labels, (first, second)):
        gaps = int(numpy.isnan(vector).sum())
        if gaps:
            problems.append(f"{what}vector of {label} has {gaps} of {len(vector)} values missing")
        elif not numpy.any(vector):
            problems.append(f"{what}vector of {label} is all zero")
    if problems:
        return None, "; ".join(problems) + ": distance undefined"
    cosine = float(
        numpy.dot(first, second) / (numpy.linalg.norm(first) * numpy.linalg.norm(second))
    )
    return max(0.0, 1.0 - cosine), ""


def lang2vec_distance(first: str, second: str, name: str) -> DistanceValue:
    """The lang2vec-feature cosine distance `name` between two benchmark languages."""
    vectors = lang2vec_vectors([first, second], name)
    feature_set = LANG2VEC_FEATURE_SETS[name]
    value, note = cosine_distance(
        vectors[first],
        vectors[second],
        (iso639_3(first), iso639_3(second)),
        f"lang2vec's {feature_set} ",
    )
    return DistanceValue(first, second, name, value, note, f"lang2vec {feature_set}")


def lang2vec_distances(
    languages: Sequence[str], names: Sequence[str], reference: str = "en"
) -> List[DistanceValue]:
    """The distance of every language from `reference` under every named feature set."""
    check_lang2vec_languages([reference, *languages], names)
    return [lang2vec_distance(code, reference, name) for name in names for code in languages]


# -- user tables --------------------------------------------------------------------------------


def read_distance_table(path: Union[str, Path]) -> Dict[str, Dict[str, DistanceValue]]:
    """
    A CSV distance table (`language,distance_name,value[,note,...]`, see the module docstring)
    as distance name -> language -> value; errors name the file and line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(path, None, "file not found") from None
    except (UnicodeDecodeError, IsADirectoryError) as error:
        raise InputFileError(path, None, f"not a UTF-8 CSV file ({error})") from None
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    columns = [column.strip() for column in header] if header else []
    if tuple(columns[:3]) != DISTANCE_TABLE_COLUMNS:
        raise InputFileError(
            path,
            1,
            f"expected the header {','.join(DISTANCE_TABLE_COLUMNS)} (further columns allowed),"
            f" got {','.join(columns)!r}",
        )
    note_column = columns.index("note") if "note" in columns else None
    table: Dict[str, Dict[str, DistanceValue]] = {}
    first_line: Dict[Tuple[str, str], int] = {}
    for line_number, row in enumerate(rows, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise InputFileError(
                path, line_number, f"expected {len(columns)} columns, got {len(row)}"
            )
        language, name, raw = (cell.strip() for cell in row[:3])
        if not language or not name or any(space in language + name for space in " \t"):
            raise InputFileError(
                path, line_number, "language and distance_name must be non-empty, without spaces"
            )
        note = row[note_column].strip() if note_column is not None else ""
        value: Optional[float] = None
        if raw:
            try:
                value = float(raw)
            except ValueError:
                raise InputFileError(path, line_number, f"value {raw!r} is not a number") from None
            if not math.isfinite(value):
                raise InputFileError(path, line_number, f"value {raw!r} is not a finite number")
        elif not note:
            note = f"no value in {path.name}"
        key = (name, language)
        if key in first_line:
            raise InputFileError(
                path,
                line_number,
                f"a second {name} value for {language} (the first is on line {first_line[key]})",
            )
        first_line[key] = line_number
        table.setdefault(name, {})[language] = DistanceValue(
            language, "", name, value, note, str(path)
        )
    if not table:
        raise InputFileError(path, None, "has no distance rows after the header")
    return table


def write_distance_rows(path: Union[str, Path], rows: Iterable[Dict[str, Any]]) -> None:
    """Rows with at least the table columns (and any others, the same in every row) as CSV."""
    rows = list(rows)
    extra: List[str] = []
    for row in rows:
        extra += [key for key in row if key not in DISTANCE_TABLE_COLUMNS and key not in extra]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=[*DISTANCE_TABLE_COLUMNS, *extra])
        writer.writeheader()
        for row in rows:
            writer.writerow({key: ("" if value is None else value) for key, value in row.items()})
