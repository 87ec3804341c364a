"""
The correlation tests of `xtreme-compare`: each method's per-language (and per-pair) gain, or
score, against the language distances and the change of alignment, with Holm's adjustment.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy

from allennlp_robust_xlt.analysis import statistics
from allennlp_robust_xlt.analysis.compare.inputs import ALIGNMENT_PREDICTORS, Alignment
from allennlp_robust_xlt.analysis.compare.results import Cell, CorrelationRow
from allennlp_robust_xlt.analysis.language_distances import (
    MEASURE,
    check_lang2vec_languages,
    iso639_3,
    lang2vec_distance,
    read_distance_table,
)
from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.languages import SOURCE_LANGUAGE

TIE_DECIMALS = 12
"""Values are rounded to this many decimals before ranking (see `correlations`)."""


@dataclass
class Predictors:
    """Predictor name -> key -> value (None where undefined), per unit, and the distances.csv rows."""

    languages: Dict[str, Dict[str, Optional[float]]] = field(default_factory=dict)
    pairs: Dict[str, Dict[str, Optional[float]]] = field(default_factory=dict)
    rows: List[Dict[str, Any]] = field(default_factory=list)


def distance_predictors(
    targets: Sequence[str],
    pairs: Sequence[str],
    sources: Sequence[str],
    *,
    lang2vec: Sequence[str],
    distance_files: Sequence[str],
    notes: List[str],
) -> Predictors:
    """The lang2vec and user distances from English, per target language and per pair."""
    predictors = Predictors()
    pair_languages = {part for key in pairs for part in key.split("-")}
    lang2vec_languages = sorted(set(targets) | pair_languages | {SOURCE_LANGUAGE})
    if lang2vec:
        check_lang2vec_languages(lang2vec_languages, lang2vec)
    for name in lang2vec:
        from_english = {
            code: lang2vec_distance(code, SOURCE_LANGUAGE, name) for code in lang2vec_languages
        }
        predictor = f"lang2vec:{name}"
        predictors.languages[predictor] = {code: from_english[code].value for code in targets}
        predictors.rows += [
            {
                "language": code,
                "distance_name": predictor,
                "value": distance.value,
                "note": distance.note,
                "iso639_3": iso639_3(code),
                "from": SOURCE_LANGUAGE,
                "source": distance.source,
                "measure": MEASURE,
            }
            for code, distance in from_english.items()
        ]
        if pairs:
            predictors.pairs[f"{predictor}:mean"] = {
                key: _mean_or_none([from_english[part].value for part in key.split("-")])
                for key in pairs
            }
            predictors.pairs[f"{predictor}:between"] = {
                key: lang2vec_distance(*key.split("-", 1), name).value for key in pairs
            }
    for path in distance_files:
        for name, values in read_distance_table(path).items():
            predictor = f"distance:{name}"
            if predictor in predictors.languages:
                raise InputFileError(
                    path, None, f"gives the distance {name!r} that another --distances file gives"
                )
            absent = [code for code in targets if code not in values]
            if absent:
                notes.append(f"{path}: {name} has no row for {' '.join(absent)}")
            predictors.languages[predictor] = {
                code: values[code].value if code in values else None for code in targets
            }
            if pairs:
                # The source languages' own distance is 0 unless the table gives one.
                own = {**{code: 0.0 for code in sources}, **{c: v.value for c, v in values.items()}}
                predictors.pairs[f"{predictor}:mean"] = {
                    key: _mean_or_none([own.get(part) for part in key.split("-")]) for key in pairs
                }
            predictors.rows += [
                {
                    "language": code,
                    "distance_name": predictor,
                    "value": value.value,
                    "note": value.note,
                    "iso639_3": "",
                    "from": SOURCE_LANGUAGE,
                    "source": str(path),
                    "measure": "user table",
                }
                for code, value in values.items()
            ]
    return predictors


def alignment_by_method(
    alignment: Optional[Alignment], methods: Sequence[str], reference: str, notes: List[str]
) -> Dict[str, Dict[str, Dict[str, float]]]:
    """Method -> language -> alignment metric -> its model's level (the reference must have one)."""
    if alignment is None:
        return {}
    if alignment.for_method(reference) is None:
        raise InputFileError(
            alignment.path,
            None,
            f"has no model named {reference!r} (the reference method) at layer"
            f" {alignment.layer}; models: {', '.join(sorted(alignment.levels))}",
        )
    levels = {}
    for method in methods:
        found = alignment.for_method(method)
        if found is None:
            notes.append(
                f"{alignment.path}: no model named {method!r}; no alignment predictor for it"
            )
        else:
            levels[method] = found
    return levels


def correlation_tests(
    cells: Mapping[Tuple[str, str], Cell],
    methods: Sequence[str],
    reference: str,
    *,
    targets: Sequence[str],
    pairs: Sequence[str],
    predictors: Predictors,
    method_alignment: Mapping[str, Mapping[str, Mapping[str, float]]],
    scores: bool,
    seed: int,
    n_permutations: int,
    n_bootstrap: int,
) -> List[CorrelationRow]:
    """Every test (method x quantity x predictor), with Holm's adjustment over all of them."""
    rows: List[CorrelationRow] = []

    def test(method: str, predictor: str, quantity: str, unit: str, xs, ys) -> None:
        used = [key for key in ys if xs.get(key) is not None]
        # Rounded to 12 decimals so that equal values that float arithmetic made differ in
        # the last bits (two languages with the same gain) stay ties for the ranks.
        result = statistics.correlate(
            [round(xs[key], TIE_DECIMALS) for key in used],
            [round(ys[key], TIE_DECIMALS) for key in used],
            seed=seed,
            n_permutations=n_permutations,
            n_bootstrap=n_bootstrap,
        )
        rows.append(CorrelationRow(method, predictor, quantity, unit, used, result))

    quantities = [("gain", [m for m in methods if m != reference])]
    if scores:
        quantities.append(("score", list(methods)))
    base = method_alignment.get(reference, {})
    for quantity, quantity_methods in quantities:
        for method in quantity_methods:

            def y(key: str) -> float:
                cell = cells[(key, method)]
                return cell.gain if quantity == "gain" else cell.mean

            ys = {code: y(code) for code in targets}
            for predictor, xs in predictors.languages.items():
                test(method, predictor, quantity, "language", xs, ys)
            own = method_alignment.get(method)
            if own is not None:
                for name in ALIGNMENT_PREDICTORS:
                    if quantity == "score":
                        change = {c: own[c][name] for c in targets if c in own}
                    else:
                        change = {
                            c: own[c][name] - base[c][name]
                            for c in targets
                            if c in own and c in base
                        }
                    test(method, f"alignment:{name}", quantity, "language", change, ys)
            pair_ys = {key: y(key) for key in pairs}
            for predictor, xs in predictors.pairs.items():
                test(method, predictor, quantity, "pair", xs, pair_ys)
    for row, p_holm in zip(rows, statistics.holm([row.result.p_spearman for row in rows])):
        row.p_holm = p_holm
    return rows


def _mean_or_none(values: Sequence[Optional[float]]) -> Optional[float]:
    if any(value is None for value in values):
        return None
    return float(numpy.mean([float(value) for value in values]))  # type: ignore[arg-type]
