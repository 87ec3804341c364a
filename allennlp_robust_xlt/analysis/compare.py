"""
The comparison of runs behind `xtreme-compare`: methods x seeds of `xtreme-report` directories,
per language and family, gains over a reference method with bootstrap intervals, and their
correlation with language distances and with the change of cross-lingual alignment.

**Inputs.** Each method has one `xtreme-report` directory per seed (`metrics.json`, see
`read_report`; optional `per_example/*.jsonl`, see `allennlp_robust_xlt.analysis.per_example`).
Every directory must be of the same task and split, and have the metric compared. Languages are
those every directory reports; source languages (`source_languages` of `metrics.json`, English
when absent) are reported but are not targets: family averages and correlations use the target
languages only.

**Per language and method** (`comparison.csv`): the mean of the metric over the seeds, its gain
over the reference method's mean, and a 95% percentile bootstrap interval of the gain:
- `interval = examples` when every directory has per-example results for every language (and
  pair): each replicate draws the test examples of a language with replacement, the same draw
  for every run (paired), recomputes each run's metric on it and averages over seeds. The
  interval is that of the test-set sample, for these trained models (seed variation is averaged,
  not resampled).
- `interval = seeds` otherwise: each replicate draws, per method, its seeds with replacement
  (the same draw for every language, so family averages stay coherent). No interval (empty)
  unless both the method and the reference have at least 2 seeds; with 2-3 seeds it is coarse.

**Families** (`families.csv`): for each WALS family and genus (`common.languages`, or a
`--families FILE` with `language,family[,genus]` for other languages), and for all target
languages together: the mean over its target languages of each method's mean, the mean gain,
and the interval from the same replicates averaged over the group's languages.

**Correlations** (`correlations.csv`, one row per test): Spearman's rho and Pearson's r of each
method's per-language gain with each predictor, over the target languages where the predictor
is defined (`n`); `p_value` is Spearman's two-sided permutation p-value, `p_holm` its Holm
adjustment over every row of the file, `p_pearson` Pearson's permutation p (not adjusted).
Predictors:
- `lang2vec:NAME`: the lang2vec-feature cosine distance of the language from English
  (`analysis.language_distances`; `--lang2vec` chooses the sets).
- `distance:NAME`: a user distance from `--distances FILE` (`language,distance_name,value`).
- `alignment:cos_gap`, `alignment:p_at_1` (with `--alignment DIR`): the method's model minus the
  reference model, per language, at the alignment summary layer.
- For generalized runs (reports with `pairs`), with `unit = pair`: the gain on pair l1-l2 against
  `NAME:mean`, the mean of the two languages' distances from English (English's own being 0),
  and `NAME:between`, the distance between l1 and l2 (lang2vec only). Pairs share languages, so
  they are not independent: read these p-values as descriptive.
With `scores`, also each method's own per-language score against the same distances and its
model's alignment level (`quantity = score`).

**Alignment** (`--alignment DIR`, an `xtreme-alignment` output): `alignment.csv` with the columns
`ALIGNMENT_COLUMNS`, one row per model, language and layer. A method matches the rows whose
`model` is its name (xtreme-alignment's `NAME=MODEL` arguments), or `NAME#k` (one model per seed;
averaged). The layer is `summary_layer` of `alignment.json` unless `alignment_layer` is given.
"""

import csv
import json
import logging
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy

from allennlp_robust_xlt.analysis import statistics
from allennlp_robust_xlt.analysis.language_distances import (
    LANG2VEC_FEATURE_SETS,
    MEASURE,
    check_lang2vec_languages,
    iso639_3,
    lang2vec_distance,
    read_distance_table,
    write_distance_rows,
)
from allennlp_robust_xlt.analysis.per_example import (
    PER_EXAMPLE_DIR,
    PerExample,
    check_reproduces,
    read_per_example,
)
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError, RobustXltError
from allennlp_robust_xlt.common.languages import SOURCE_LANGUAGE, get_language
from allennlp_robust_xlt.tasks import TASKS

logger = logging.getLogger(__name__)

COMMAND = "xtreme-compare"
ALIGNMENT_COLUMNS = (
    "model",
    "language",
    "layer",
    "cos_parallel",
    "cos_random",
    "cos_gap",
    "p_at_1",
    "p_at_1_reverse",
    "cka",
)
ALIGNMENT_PREDICTORS = ("cos_gap", "p_at_1")
"""The alignment metrics whose per-language change is correlated with the gains."""
OUTPUT_FILES = (
    "comparison.csv",
    "correlations.csv",
    "families.csv",
    "distances.csv",
    "comparison.md",
    "gain_vs_distance.png",
    "families.png",
    "pair_gain_vs_distance.png",
)
COMPARISON_COLUMNS = (
    "language",
    "method",
    "metric",
    "mean",
    "gain",
    "ci_low",
    "ci_high",
    "n_seeds",
    "interval",
    "role",
    "values",
)
CORRELATION_COLUMNS = (
    "method",
    "metric",
    "predictor",
    "spearman",
    "pearson",
    "p_value",
    "p_holm",
    "n",
    "quantity",
    "unit",
    "p_pearson",
    "spearman_ci_low",
    "spearman_ci_high",
    "pearson_ci_low",
    "pearson_ci_high",
    "exact",
    "keys",
    "note",
)
FAMILY_COLUMNS = (
    "level",
    "group",
    "method",
    "metric",
    "languages",
    "n_languages",
    "mean",
    "gain",
    "ci_low",
    "ci_high",
    "interval",
)
ALL_TARGETS = "all targets"
TIE_DECIMALS = 12


# -- reading the inputs -------------------------------------------------------------------------


def parse_runs(specs: Sequence[str]) -> Dict[str, List[Path]]:
    """`["baseline=a,b", "pgd=c"]` -> `{"baseline": [a, b], "pgd": [c]}`, in the order given."""
    runs: Dict[str, List[Path]] = {}
    seen: Dict[str, str] = {}
    for spec in specs:
        name, separator, directories = spec.partition("=")
        name = name.strip()
        paths = [part.strip() for part in directories.split(",")]
        if not separator or not name or not all(paths) or any(c in name for c in ",= "):
            raise ParameterError(
                COMMAND, "--runs", f"{spec!r} is not NAME=DIR[,DIR...] (one DIR per seed)"
            )
        if name in runs:
            raise ParameterError(COMMAND, "--runs", f"names the method {name!r} twice")
        for path in paths:
            resolved = os.path.realpath(path)
            if resolved in seen:
                raise ParameterError(
                    COMMAND, "--runs", f"{path} is given twice (for {seen[resolved]} and {name})"
                )
            seen[resolved] = name
        runs[name] = [Path(path) for path in paths]
    if len(runs) < 2:
        raise ParameterError(
            COMMAND, "--runs", "needs at least two methods (NAME=DIR[,DIR...] each) to compare"
        )
    return runs


@dataclass
class Report:
    """One `xtreme-report` directory (one method, one seed)."""

    method: str
    directory: Path
    task: str
    split: str
    metric: str
    metrics: List[str]
    source_languages: List[str]
    languages: Dict[str, Dict[str, Any]]
    pairs: Dict[str, Dict[str, Any]]

    @property
    def path(self) -> Path:
        return self.directory / "metrics.json"

    def per_example_path(self, key: str) -> Path:
        return self.directory / PER_EXAMPLE_DIR / f"{key}.jsonl"

    def value(self, key: str, metric: str) -> float:
        table = self.pairs if "-" in key else self.languages
        value = table[key].get(metric)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise InputFileError(
                self.path, None, f"{metric} of {key} is {value!r}, not a finite number"
            )
        return float(value)


def read_report(method: str, directory: Path) -> Report:
    """The `metrics.json` of an `xtreme-report` directory, checked; errors name the file."""
    path = directory / "metrics.json"
    if not directory.is_dir():
        raise InputFileError(directory, None, f"not a directory (in --runs {method}=...)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(
            path, None, "file not found: is the directory an xtreme-report output?"
        ) from None
    except json.JSONDecodeError as error:
        raise InputFileError(path, error.lineno, f"invalid JSON ({error.msg})") from None
    except UnicodeDecodeError:
        raise InputFileError(path, None, "not UTF-8 text") from None
    if not isinstance(data, dict):
        raise InputFileError(path, None, "expected the JSON object xtreme-report writes")
    for key, kind in (("task", str), ("metric", str), ("languages", dict)):
        if not isinstance(data.get(key), kind):
            raise InputFileError(
                path, None, f"has no {kind.__name__} {key!r}: not an xtreme-report metrics.json"
            )
    languages = data["languages"]
    pairs = data.get("pairs") or {}
    for table, what in ((languages, "languages"), (pairs, "pairs")):
        if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
            raise InputFileError(path, None, f"{what!r} must map codes to metric objects")
    if not languages:
        raise InputFileError(path, None, "reports no language")
    metrics = data.get("metrics") or sorted({m for values in languages.values() for m in values})
    sources = data.get("source_languages") or [SOURCE_LANGUAGE]
    return Report(
        method,
        directory,
        data["task"],
        str(data.get("split", "")),
        data["metric"],
        list(metrics),
        list(sources),
        languages,
        pairs,
    )


@dataclass
class Alignment:
    """Alignment levels at one layer: model -> language -> alignment metric -> value."""

    path: Path
    layer: int
    levels: Dict[str, Dict[str, Dict[str, float]]]

    def for_method(self, method: str) -> Optional[Dict[str, Dict[str, float]]]:
        """Language -> metric -> level of the method's model(s) (`NAME` or `NAME#k`, averaged)."""
        models = [m for m in self.levels if m == method or m.startswith(method + "#")]
        if not models:
            return None
        result: Dict[str, Dict[str, float]] = {}
        languages = set.intersection(*(set(self.levels[m]) for m in models))
        for language in languages:
            result[language] = {
                metric: float(numpy.mean([self.levels[m][language][metric] for m in models]))
                for metric in ALIGNMENT_PREDICTORS
            }
        return result


def read_alignment(directory: Path, layer: Optional[int]) -> Alignment:
    """`alignment.csv` (and `alignment.json`'s `summary_layer`) of an xtreme-alignment output."""
    path = directory / "alignment.csv"
    if layer is None:
        summary = directory / "alignment.json"
        try:
            layer_value = json.loads(summary.read_text(encoding="utf-8")).get("summary_layer")
        except FileNotFoundError:
            raise InputFileError(
                summary, None, "file not found; give the layer with --alignment-layer"
            ) from None
        except (json.JSONDecodeError, AttributeError):
            raise InputFileError(
                summary, None, "expected a JSON object with summary_layer"
            ) from None
        if isinstance(layer_value, bool) or not isinstance(layer_value, int):
            raise InputFileError(
                summary, None, f"summary_layer is {layer_value!r}, not a layer number"
            )
        layer = layer_value
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(
            path, None, "file not found: is --alignment an xtreme-alignment output?"
        ) from None
    rows = csv.reader(text.splitlines())
    header = [column.strip() for column in next(rows, [])]
    missing = [column for column in ALIGNMENT_COLUMNS if column not in header]
    if missing:
        raise InputFileError(path, 1, f"the header lacks the columns {', '.join(missing)}")
    index = {column: header.index(column) for column in ALIGNMENT_COLUMNS}
    levels: Dict[str, Dict[str, Dict[str, float]]] = {}
    layers_seen = set()
    for line_number, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise InputFileError(
                path, line_number, f"expected {len(header)} columns, got {len(row)}"
            )
        try:
            row_layer = int(row[index["layer"]])
            values = {metric: float(row[index[metric]]) for metric in ALIGNMENT_PREDICTORS}
        except ValueError as error:
            raise InputFileError(path, line_number, f"not a number ({error})") from None
        layers_seen.add(row_layer)
        if row_layer != layer:
            continue
        model, language = row[index["model"]].strip(), row[index["language"]].strip()
        if language in levels.get(model, {}):
            raise InputFileError(
                path, line_number, f"a second row for {model}, {language}, layer {layer}"
            )
        levels.setdefault(model, {})[language] = values
    if not levels:
        raise InputFileError(
            path,
            None,
            f"has no row at layer {layer} (layers: {' '.join(map(str, sorted(layers_seen)))})",
        )
    return Alignment(path, layer, levels)


def read_families(path: Path) -> Dict[str, Tuple[str, str]]:
    """A `language,family[,genus]` CSV (overrides the built-in table for the languages it lists)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputFileError(path, None, "file not found") from None
    rows = csv.reader(lines)
    header = [column.strip() for column in next(rows, [])]
    if header[:2] != ["language", "family"]:
        raise InputFileError(path, 1, "expected the header language,family[,genus]")
    has_genus = len(header) > 2 and header[2] == "genus"
    families: Dict[str, Tuple[str, str]] = {}
    for line_number, row in enumerate(rows, start=2):
        if not row:
            continue
        cells = [cell.strip() for cell in row]
        if len(cells) != len(header) or not cells[0] or not cells[1]:
            raise InputFileError(path, line_number, "expected a language code and a family")
        if cells[0] in families:
            raise InputFileError(path, line_number, f"a second row for {cells[0]}")
        families[cells[0]] = (cells[1], cells[2] if has_genus and cells[2] else cells[1])
    return families


# -- the comparison ---------------------------------------------------------------------------


@dataclass
class Cell:
    """One method on one language (or pair)."""

    key: str
    method: str
    role: str  # "source", "target" or "pair"
    values: List[float]  # per seed
    gain: float = math.nan
    ci: Tuple[float, float] = (math.nan, math.nan)
    replicates: Optional[numpy.ndarray] = None  # of the mean over seeds, shape (B,)

    @property
    def mean(self) -> float:
        return float(numpy.mean(self.values))


@dataclass
class CorrelationRow:
    method: str
    predictor: str
    quantity: str
    unit: str
    keys: List[str]
    result: statistics.Correlation
    p_holm: float = math.nan


@dataclass
class GroupRow:
    level: str
    group: str
    method: str
    languages: List[str]
    mean: float
    gain: float
    ci: Tuple[float, float]


@dataclass
class Comparison:
    task: str
    split: str
    metric: str
    reference: str
    methods: List[str]
    runs: Dict[str, List[Path]]
    interval: str
    interval_note: str
    cells: Dict[Tuple[str, str], Cell]
    languages: List[str]
    targets: List[str]
    pairs: List[str]
    groups: List[GroupRow]
    correlations: List[CorrelationRow]
    distances: List[Dict[str, Any]]
    predictor_values: Dict[str, Dict[str, Optional[float]]]
    alignment: Optional[Alignment]
    notes: List[str] = field(default_factory=list)
    settings: Dict[str, Any] = field(default_factory=dict)


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


@dataclass
class _Predictors:
    """Predictor name -> key -> value (None where undefined), per unit, and the distances.csv rows."""

    languages: Dict[str, Dict[str, Optional[float]]] = field(default_factory=dict)
    pairs: Dict[str, Dict[str, Optional[float]]] = field(default_factory=dict)
    rows: List[Dict[str, Any]] = field(default_factory=list)


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
    cells = _cells(reports, reference, metric, keys, pairs, sources, interval, seed, n_bootstrap)
    overrides = read_families(Path(families_file)) if families_file else {}
    groups = _groups(cells, methods, reference, targets, overrides)
    predictors = _predictors(targets, pairs, sources, lang2vec, distance_files, notes)
    alignment = read_alignment(Path(alignment_dir), alignment_layer) if alignment_dir else None
    method_alignment = _method_alignment(alignment, methods, reference, notes)
    correlations = _correlations(
        cells,
        methods,
        reference,
        targets,
        pairs,
        predictors,
        method_alignment,
        scores,
        seed,
        n_permutations,
        n_bootstrap,
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


def _predictors(
    targets: Sequence[str],
    pairs: Sequence[str],
    sources: Sequence[str],
    lang2vec: Sequence[str],
    distance_files: Sequence[str],
    notes: List[str],
) -> _Predictors:
    """The lang2vec and user distances from English, per target language and per pair."""
    predictors = _Predictors()
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


def _method_alignment(
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


def _correlations(
    cells: Mapping[Tuple[str, str], Cell],
    methods: Sequence[str],
    reference: str,
    targets: Sequence[str],
    pairs: Sequence[str],
    predictors: _Predictors,
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


# -- writing ----------------------------------------------------------------------------------


def _number(value: Optional[float]) -> str:
    return (
        ""
        if value is None or (isinstance(value, float) and math.isnan(value))
        else repr(float(value))
    )


def _percent(value: float, signed: bool = False) -> str:
    if value is None or math.isnan(value):
        return ""
    return f"{100 * value:+.2f}" if signed else f"{100 * value:.2f}"


def _csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)


def write_comparison(comparison: Comparison, output_dir: Path, force: bool = False) -> List[Path]:
    """
    Writes the comparison's files (`OUTPUT_FILES`; the pair plot only for generalized runs) to
    `output_dir`: an existing non-empty directory only with `force`. Files are written to a
    staging directory first, so a failure leaves nothing half-written.
    """
    if output_dir.exists() and (not output_dir.is_dir() or any(output_dir.iterdir())) and not force:
        raise ParameterError(
            COMMAND,
            "--output-dir",
            f"{output_dir} exists and is not empty; pass --force to write into it",
        )
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
    try:
        written = _write_files(comparison, staging)
        output_dir.mkdir(parents=True, exist_ok=True)
        final = []
        for path in written:
            target = output_dir / path.name
            os.replace(path, target)
            final.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def _write_files(c: Comparison, directory: Path) -> List[Path]:
    metric = c.metric
    comparison_rows = []
    for key in c.languages + c.pairs:
        for method in c.methods:
            cell = c.cells[(key, method)]
            comparison_rows.append(
                [
                    key,
                    method,
                    metric,
                    _number(cell.mean),
                    _number(cell.gain),
                    _number(cell.ci[0]),
                    _number(cell.ci[1]),
                    len(cell.values),
                    c.interval if method != c.reference else "",
                    cell.role,
                    " ".join(repr(v) for v in cell.values),
                ]
            )
    paths = [
        directory / name
        for name in ("comparison.csv", "correlations.csv", "families.csv", "distances.csv")
    ]
    _csv(paths[0], COMPARISON_COLUMNS, comparison_rows)
    _csv(
        paths[1],
        CORRELATION_COLUMNS,
        [
            [
                row.method,
                metric,
                row.predictor,
                _number(row.result.spearman),
                _number(row.result.pearson),
                _number(row.result.p_spearman),
                _number(row.p_holm),
                row.result.n,
                row.quantity,
                row.unit,
                _number(row.result.p_pearson),
                _number(row.result.spearman_ci[0]),
                _number(row.result.spearman_ci[1]),
                _number(row.result.pearson_ci[0]),
                _number(row.result.pearson_ci[1]),
                "exact" if row.result.exact else "monte carlo",
                " ".join(row.keys),
                row.result.note,
            ]
            for row in c.correlations
        ],
    )
    _csv(
        paths[2],
        FAMILY_COLUMNS,
        [
            [
                g.level,
                g.group,
                g.method,
                metric,
                " ".join(g.languages),
                len(g.languages),
                _number(g.mean),
                _number(g.gain),
                _number(g.ci[0]),
                _number(g.ci[1]),
                c.interval if g.method != c.reference else "",
            ]
            for g in c.groups
        ],
    )
    write_distance_rows(paths[3], c.distances)
    markdown = directory / "comparison.md"
    markdown.write_text(comparison_markdown(c) + "\n", encoding="utf-8")
    paths.append(markdown)
    if _panels(c, "language"):
        paths.append(
            plot_gains_against_predictors(c, directory / "gain_vs_distance.png", unit="language")
        )
    paths.append(plot_family_gains(c, directory / "families.png"))
    if c.pairs and _panels(c, "pair"):
        paths.append(
            plot_gains_against_predictors(c, directory / "pair_gain_vs_distance.png", unit="pair")
        )
    return paths


def comparison_markdown(c: Comparison) -> str:
    """The readable summary: runs, per-language table, families, correlations, distances, notes."""
    task = _task_name(c.task)
    lines = [
        f"# Comparison: {task} {c.split}, {c.metric} (%)",
        "",
        f"Reference method: **{c.reference}**. Gains are method minus reference, in points;"
        f" intervals: {c.interval_note}.",
        "",
        "| method | seeds | report directories |",
        "|---|---:|---|",
    ]
    for method in c.methods:
        lines.append(
            f"| {method} | {len(c.runs[method])} | {' '.join(str(d) for d in c.runs[method])} |"
        )
    lines += [
        "",
        "## Per language",
        "",
        "| language | role | family | "
        + " | ".join(
            f"{c.reference}" if m == c.reference else f"{m} (gain [95% CI])" for m in c.methods
        )
        + " |",
        "|---|---|---|" + "---:|" * len(c.methods),
    ]
    for key in c.languages + c.pairs:
        family = "" if "-" in key else c.settings["family_of"][key][0]
        row = [key, c.cells[(key, c.reference)].role, family]
        for method in c.methods:
            cell = c.cells[(key, method)]
            text = _percent(cell.mean)
            if method != c.reference:
                text += f" ({_percent(cell.gain, True)}"
                if not math.isnan(cell.ci[0]):
                    text += f" [{_percent(cell.ci[0], True)}, {_percent(cell.ci[1], True)}]"
                text += ")"
            row.append(text)
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "## Families (target languages; WALS families unless --families)",
        "",
        "| level | group | languages | "
        + " | ".join(c.reference if m == c.reference else f"{m} (gain [95% CI])" for m in c.methods)
        + " |",
        "|---|---|---|" + "---:|" * len(c.methods),
    ]
    by_group: Dict[Tuple[str, str], Dict[str, GroupRow]] = {}
    for g in c.groups:
        by_group.setdefault((g.level, g.group), {})[g.method] = g
    for (level, group), rows in by_group.items():
        first = rows[c.reference]
        cells = []
        for method in c.methods:
            g = rows[method]
            text = _percent(g.mean)
            if method != c.reference:
                text += f" ({_percent(g.gain, True)}"
                if not math.isnan(g.ci[0]):
                    text += f" [{_percent(g.ci[0], True)}, {_percent(g.ci[1], True)}]"
                text += ")"
            cells.append(text)
        lines.append(
            f"| {level} | {group} | {' '.join(first.languages)} | " + " | ".join(cells) + " |"
        )
    lines += [
        "",
        "## Correlations",
        "",
        f"Spearman's rho and Pearson's r over the target languages (n = {len(c.targets)} at most;"
        " languages where a predictor is undefined are left out). p: Spearman's two-sided"
        f" permutation p-value ({c.settings['permutations']} permutations, or exact for n <= 7);"
        f" p (Holm): adjusted over all {len(c.correlations)} tests of this table. Exploratory:"
        " at n = 15 only |rho| above about 0.5 can reach p < 0.05 before correction.",
        "",
        "| method | quantity | predictor | n | Spearman [95% CI] | Pearson [95% CI] | p | p (Holm) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in sorted(
        c.correlations, key=lambda r: (math.isnan(r.result.p_spearman), r.result.p_spearman)
    ):
        r = row.result
        if r.note:
            lines.append(
                f"| {row.method} | {row.quantity} | {row.predictor} | {r.n} | {r.note} | | | |"
            )
            continue
        lines.append(
            f"| {row.method} | {row.quantity} | {row.predictor} | {r.n} |"
            f" {r.spearman:+.2f} [{r.spearman_ci[0]:+.2f}, {r.spearman_ci[1]:+.2f}] |"
            f" {r.pearson:+.2f} [{r.pearson_ci[0]:+.2f}, {r.pearson_ci[1]:+.2f}] |"
            f" {r.p_spearman:.3f} | {row.p_holm:.3f} |"
        )
    language_predictors = [p for p in c.predictor_values if p.count(":") == 1]
    if language_predictors:
        lines += [
            "",
            f"## Distances from English ({MEASURE} for lang2vec:*; see distances.csv)",
            "",
            "| language | ISO 639-3 | " + " | ".join(language_predictors) + " |",
            "|---|---|" + "---:|" * len(language_predictors),
        ]
        for code in c.targets:
            known = get_language(code)
            iso = known.iso639_3 if known is not None else ""
            values = [c.predictor_values[p].get(code) for p in language_predictors]
            lines.append(
                f"| {code} | {iso} | "
                + " | ".join("n/a" if v is None else f"{v:.3f}" for v in values)
                + " |"
            )
        undefined = [row for row in c.distances if row["value"] is None and row["note"]]
        if undefined:
            lines += ["", "Undefined distances (left out of the correlations):"]
            lines += [
                f"- {row['language']} {row['distance_name']}: {row['note']}" for row in undefined
            ]
    if c.alignment is not None:
        lines += [
            "",
            f"Alignment: {c.alignment.path}, layer {c.alignment.layer}; predictors are each"
            f" method's model minus the {c.reference} model, per language.",
        ]
    if c.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in c.notes]
    return "\n".join(lines)


# -- plots ------------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def _panels(c: Comparison, unit: str) -> List[str]:
    """The predictors plotted against the gains per `unit` (language or pair)."""
    predictors = [p for p in c.predictor_values if (p.count(":") == 1) == (unit == "language")]
    if unit == "language":
        predictors += sorted(
            {
                row.predictor
                for row in c.correlations
                if row.predictor.startswith("alignment:") and row.quantity == "gain"
            }
        )
    return predictors


def plot_gains_against_predictors(c: Comparison, path: Path, unit: str) -> Path:
    """One panel per predictor: each method's gains against it, with its least-squares line."""
    keys = c.targets if unit == "language" else c.pairs
    panels = _panels(c, unit)
    methods = [m for m in c.methods if m != c.reference]
    columns = min(3, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure = _figure(4.2 * columns, 3.6 * rows)
    colors = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    for index, predictor in enumerate(panels):
        axes = figure.add_subplot(rows, columns, index + 1)
        for number, method in enumerate(methods):
            if predictor.startswith("alignment:"):
                found = [
                    r
                    for r in c.correlations
                    if r.method == method and r.predictor == predictor and r.quantity == "gain"
                ]
                if not found:
                    continue
                xs_map = _alignment_changes(c, method, predictor)
            else:
                xs_map = c.predictor_values[predictor]
            used = [k for k in keys if xs_map.get(k) is not None]
            if not used:
                continue
            xs = numpy.array([xs_map[k] for k in used], dtype=float)
            ys = numpy.array([100 * c.cells[(k, method)].gain for k in used])
            color = colors[number % len(colors)]
            axes.scatter(xs, ys, color=color, s=18, label=method)
            if len(used) >= 2 and numpy.ptp(xs) > 0:
                slope, intercept = numpy.polyfit(xs, ys, 1)
                line_x = numpy.linspace(xs.min(), xs.max(), 2)
                axes.plot(line_x, slope * line_x + intercept, color=color, linewidth=1)
            if len(used) <= 30:
                for k, x, y in zip(used, xs, ys):
                    axes.annotate(k, (x, y), fontsize=6, xytext=(2, 2), textcoords="offset points")
        axes.axhline(0, color="grey", linewidth=0.5)
        axes.set_xlabel(predictor + (" (change)" if predictor.startswith("alignment:") else ""))
        axes.set_ylabel(f"gain over {c.reference} ({c.metric}, points)")
        axes.legend(fontsize=7)
    figure.suptitle(f"{_task_name(c.task)} {c.split}: gain per {unit} against distance")
    figure.tight_layout()
    figure.savefig(str(path), dpi=110)
    return path


def _alignment_changes(c: Comparison, method: str, predictor: str) -> Dict[str, Optional[float]]:
    assert c.alignment is not None
    metric = predictor.split(":", 1)[1]
    own = c.alignment.for_method(method) or {}
    base = c.alignment.for_method(c.reference) or {}
    return {
        code: own[code][metric] - base[code][metric]
        for code in c.targets
        if code in own and code in base
    }


def plot_family_gains(c: Comparison, path: Path) -> Path:
    """Bars: each method's mean gain per family (and over all targets) with its interval."""
    groups = [g for g in c.groups if g.level in ("average", "family")]
    names = list(dict.fromkeys(g.group for g in groups))
    methods = [m for m in c.methods if m != c.reference]
    figure = _figure(max(6.0, 0.35 * len(names) * max(1, len(methods)) + 2.0), 4.5)
    axes = figure.add_subplot(1, 1, 1)
    width = 0.8 / max(1, len(methods))
    for number, method in enumerate(methods):
        rows = {g.group: g for g in groups if g.method == method}
        xs = numpy.arange(len(names)) + (number - (len(methods) - 1) / 2) * width
        gains = numpy.array([100 * rows[name].gain for name in names])
        low = numpy.array([100 * rows[name].ci[0] for name in names])
        high = numpy.array([100 * rows[name].ci[1] for name in names])
        errors = numpy.vstack([gains - low, high - gains])
        errors = numpy.where(numpy.isfinite(errors), errors, 0.0)
        axes.bar(xs, gains, width=width, label=method, yerr=errors, capsize=2)
    axes.axhline(0, color="grey", linewidth=0.5)
    axes.set_xticks(range(len(names)))
    labels = [
        f"{name}\n({len(next(g for g in groups if g.group == name).languages)})" for name in names
    ]
    axes.set_xticklabels(labels, rotation=30, ha="right", fontsize=7)
    axes.set_ylabel(f"gain over {c.reference} ({c.metric}, points)")
    axes.set_title(f"{_task_name(c.task)} {c.split}: gain by family (95% CI over {c.interval})")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(str(path), dpi=110)
    return path


def _task_name(task: str) -> str:
    return TASKS[task].name if task in TASKS else task
