"""
`compare_runs`: the per-language gains of `xtreme-compare` with their bootstrap intervals and the
family averages (the correlations are `correlations.py`'s).
"""

import logging
import math
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy

from allennlp_robust_xlt.analysis import statistics
from allennlp_robust_xlt.analysis.compare.correlations import (
    alignment_by_method,
    correlation_tests,
    distance_predictors,
)
from allennlp_robust_xlt.analysis.compare.inputs import (
    COMMAND,
    Report,
    read_alignment,
    read_families,
    read_report,
)
from allennlp_robust_xlt.analysis.compare.results import ALL_TARGETS, Cell, Comparison, GroupRow
from allennlp_robust_xlt.analysis.language_distances import LANG2VEC_FEATURE_SETS
from allennlp_robust_xlt.analysis.per_example import (
    PerExample,
    check_reproduces,
    read_per_example,
)
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError, RobustXltError
from allennlp_robust_xlt.common.languages import get_language

logger = logging.getLogger(__name__)


def _family(code: str, overrides: Mapping[str, Tuple[str, str]]) -> Tuple[str, str]:
    if code in overrides:
        return overrides[code]
    language = get_language(code)
    return (language.family, language.genus) if language else ("unknown", "unknown")


def _check_same(reports: Sequence[Report], metric: Optional[str]) -> str:
    first = reports[0]
    for report in reports[1:]:
        for what in ("task", "split"):
            if getattr(report, what) != getattr(first, what):
                raise InputFileError(
                    report.path,
                    None,
                    f"is a report of {what} {getattr(report, what)!r}, but {first.path} is of"
                    f" {getattr(first, what)!r}: compare reports of one {what}",
                )
    if metric is None:
        for report in reports[1:]:
            if report.metric != first.metric:
                raise InputFileError(
                    report.path,
                    None,
                    f"reports {report.metric!r} as its metric, but {first.path} reports"
                    f" {first.metric!r}: choose one with --metric",
                )
        metric = first.metric
    for report in reports:
        if metric not in report.metrics:
            raise InputFileError(
                report.path,
                None,
                f"has no metric {metric!r} (it has: {', '.join(report.metrics)})",
            )
    return metric


def _lacking_per_example(reports: Sequence[Report], keys: Sequence[str]) -> Optional[Path]:
    """The first per-example file some run lacks, or None if every run has them for every key."""
    for report in reports:
        for key in keys:
            if not report.per_example_path(key).is_file():
                return report.per_example_path(key)
    return None


def _load_per_example(
    reports: Mapping[str, List[Report]], key: str, metric: str
) -> Dict[Tuple[str, int], PerExample]:
    """(method, seed index) -> the run's per-example results for one key, checked."""
    loaded: Dict[Tuple[str, int], PerExample] = {}
    first: Optional[PerExample] = None
    for method, method_reports in reports.items():
        for index, report in enumerate(method_reports):
            examples = read_per_example(report.per_example_path(key))
            check_reproduces(examples, metric, report.value(key, metric), str(report.path))
            if first is None:
                first = examples
            elif examples.ids != first.ids:
                difference = next(
                    (i for i, (a, b) in enumerate(zip(examples.ids, first.ids)) if a != b),
                    min(len(examples), len(first)),
                )
                raise InputFileError(
                    examples.path,
                    None,
                    f"has other test examples than {first.path} (from example"
                    f" {difference + 1}: {len(examples)} vs {len(first)} examples):"
                    " the runs were not evaluated on one test set",
                )
            loaded[(method, index)] = examples
    return loaded


def compare_runs(
    runs: Mapping[str, Sequence[Path]],
    reference: Optional[str] = None,
    metric: Optional[str] = None,
    distance_files: Sequence[str] = (),
    alignment_dir: Optional[str] = None,
    alignment_layer: Optional[int] = None,
    families_file: Optional[str] = None,
    lang2vec: Sequence[str] = tuple(LANG2VEC_FEATURE_SETS),
    seed: int = 0,
    n_bootstrap: int = statistics.DEFAULT_BOOTSTRAP,
    n_permutations: int = statistics.DEFAULT_PERMUTATIONS,
    scores: bool = False,
) -> Comparison:
    """Reads the runs and computes every table of the comparison (nothing is written)."""
    methods = list(runs)
    reference = methods[0] if reference is None else reference
    _check_options(methods, reference, lang2vec, n_bootstrap, n_permutations)
    reports = {
        method: [read_report(method, Path(d)) for d in dirs] for method, dirs in runs.items()
    }
    all_reports = [report for method_reports in reports.values() for report in method_reports]
    metric = _check_same(all_reports, metric)
    notes: List[str] = []

    # Languages and pairs every run reports; sources are those any run marks.
    first = all_reports[0]
    common = [code for code in first.languages if all(code in r.languages for r in all_reports)]
    dropped = sorted({code for r in all_reports for code in r.languages} - set(common))
    if dropped:
        notes.append(f"left out (not reported by every run): {' '.join(dropped)}")
        logger.warning("%s: left out (not in every run): %s", COMMAND, " ".join(dropped))
    sources = sorted({code for r in all_reports for code in r.source_languages})
    languages = sorted(common, key=lambda code: (code not in sources, code))
    targets = [code for code in languages if code not in sources]
    pairs = sorted(key for key in first.pairs if all(key in r.pairs for r in all_reports))
    pairs = [key for key in pairs if not all(part in sources for part in key.split("-"))]
    if not targets:
        raise RobustXltError(
            f"{COMMAND}: the runs report no target language (only {' '.join(sources)})"
        )

    keys = languages + pairs
    lacking = _lacking_per_example(all_reports, keys)
    interval = "examples" if lacking is None else "seeds"
    if lacking is None:
        interval_note = (
            f"95% percentile bootstrap over test examples ({n_bootstrap} replicates, paired: one"
            " draw of the examples for every run), seeds averaged"
        )
    else:
        interval_note = (
            f"95% percentile bootstrap over seeds ({n_bootstrap} replicates); no per-example"
            f" results in every run (e.g. no {lacking})"
        )
        if any(len(r) < 2 for r in reports.values()):
            notes.append(
                "no interval for methods with fewer than 2 seeds, nor for gains over a reference"
                " with fewer than 2 seeds (over-seed intervals need at least 2 per side)"
            )
    cells = _cells(
        reports,
        reference,
        metric,
        keys=keys,
        pairs=pairs,
        sources=sources,
        interval=interval,
        seed=seed,
        n_bootstrap=n_bootstrap,
    )
    overrides = read_families(Path(families_file)) if families_file else {}
    groups = _groups(cells, methods, reference, targets, overrides)
    predictors = distance_predictors(
        targets, pairs, sources, lang2vec=lang2vec, distance_files=distance_files, notes=notes
    )
    alignment = read_alignment(Path(alignment_dir), alignment_layer) if alignment_dir else None
    method_alignment = alignment_by_method(alignment, methods, reference, notes)
    correlations = correlation_tests(
        cells,
        methods,
        reference,
        targets=targets,
        pairs=pairs,
        predictors=predictors,
        method_alignment=method_alignment,
        scores=scores,
        seed=seed,
        n_permutations=n_permutations,
        n_bootstrap=n_bootstrap,
    )
    return Comparison(
        task=first.task,
        split=first.split,
        metric=metric,
        reference=reference,
        methods=methods,
        runs={method: list(dirs) for method, dirs in runs.items()},
        interval=interval,
        interval_note=interval_note,
        cells=cells,
        languages=languages,
        targets=targets,
        pairs=pairs,
        groups=groups,
        correlations=correlations,
        distances=predictors.rows,
        predictor_values={**predictors.languages, **predictors.pairs},
        alignment=alignment,
        notes=notes,
        settings={
            "seed": seed,
            "bootstrap": n_bootstrap,
            "permutations": n_permutations,
            "lang2vec": list(lang2vec),
            "sources": sources,
            "families": families_file or "WALS (allennlp_robust_xlt.common.languages)",
            "family_of": {code: _family(code, overrides) for code in languages},
        },
    )


def _check_options(
    methods: Sequence[str],
    reference: str,
    lang2vec: Sequence[str],
    n_bootstrap: int,
    n_permutations: int,
) -> None:
    if reference not in methods:
        raise ParameterError(
            COMMAND,
            "--reference",
            f"is {reference!r}, not a method of --runs ({', '.join(methods)})",
        )
    for name in lang2vec:
        if name not in LANG2VEC_FEATURE_SETS:
            raise ParameterError(
                COMMAND,
                "--lang2vec",
                f"has {name!r}; choose from {', '.join(LANG2VEC_FEATURE_SETS)} or none",
            )
    if n_bootstrap < 100:
        raise ParameterError(COMMAND, "--bootstrap", f"must be at least 100, got {n_bootstrap}")
    if n_permutations < 100:
        raise ParameterError(
            COMMAND, "--permutations", f"must be at least 100, got {n_permutations}"
        )


def _cells(
    reports: Mapping[str, List[Report]],
    reference: str,
    metric: str,
    *,
    keys: Sequence[str],
    pairs: Sequence[str],
    sources: Sequence[str],
    interval: str,
    seed: int,
    n_bootstrap: int,
) -> Dict[Tuple[str, str], Cell]:
    """Every method on every key: its seeds' values, gain, bootstrap replicates and interval."""
    seed_draws = {
        method: statistics.resample_indices(
            len(method_reports), n_bootstrap, statistics.rng_for(seed, "seeds", method)
        )
        for method, method_reports in reports.items()
    }
    cells: Dict[Tuple[str, str], Cell] = {}
    for key in keys:
        role = "pair" if key in pairs else ("source" if key in sources else "target")
        per_example: Dict[Tuple[str, int], PerExample] = {}
        counts = None
        if interval == "examples":
            # One key at a time: the generalized setting has |languages|^2 files per run.
            per_example = _load_per_example(reports, key, metric)
            counts = statistics.resample_counts(
                len(per_example[(reference, 0)]),
                n_bootstrap,
                statistics.rng_for(seed, "examples", key),
            ).astype(float)
        for method, method_reports in reports.items():
            values = [report.value(key, metric) for report in method_reports]
            replicates: Optional[numpy.ndarray] = None
            if counts is not None:
                replicates = numpy.mean(
                    [
                        per_example[(method, index)].replicates(metric, counts)
                        for index in range(len(method_reports))
                    ],
                    axis=0,
                )
            elif len(values) >= 2 and len(reports[reference]) >= 2:
                replicates = numpy.asarray(values)[seed_draws[method]].mean(axis=1)
            cells[(key, method)] = Cell(key, method, role, values, replicates=replicates)
        base = cells[(key, reference)]
        for method in reports:
            cell = cells[(key, method)]
            cell.gain = cell.mean - base.mean
            if method != reference and cell.replicates is not None and base.replicates is not None:
                cell.ci = statistics.percentile_interval(cell.replicates - base.replicates)
    return cells


def _groups(
    cells: Mapping[Tuple[str, str], Cell],
    methods: Sequence[str],
    reference: str,
    targets: Sequence[str],
    overrides: Mapping[str, Tuple[str, str]],
) -> List[GroupRow]:
    """All targets, then each family and genus of the target languages, for every method."""
    grouping: List[Tuple[str, str, List[str]]] = [("average", ALL_TARGETS, list(targets))]
    for level, position in (("family", 0), ("genus", 1)):
        members: Dict[str, List[str]] = {}
        for code in targets:
            members.setdefault(_family(code, overrides)[position], []).append(code)
        grouping += [(level, name, codes) for name, codes in members.items()]
    groups = []
    for level, name, codes in grouping:
        for method in methods:
            group_cells = [cells[(code, method)] for code in codes]
            base_cells = [cells[(code, reference)] for code in codes]
            ci = (math.nan, math.nan)
            if method != reference and all(
                c.replicates is not None for c in group_cells + base_cells
            ):
                differences = [
                    c.replicates - b.replicates  # type: ignore[operator]
                    for c, b in zip(group_cells, base_cells)
                ]
                ci = statistics.percentile_interval(numpy.mean(differences, axis=0))
            groups.append(
                GroupRow(
                    level,
                    name,
                    method,
                    codes,
                    float(numpy.mean([c.mean for c in group_cells])),
                    float(numpy.mean([c.gain for c in group_cells])),
                    ci,
                )
            )
    return groups
