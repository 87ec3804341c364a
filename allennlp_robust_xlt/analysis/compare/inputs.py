"""The inputs of `xtreme-compare`: `--runs`, the `xtreme-report` directories, `--alignment` and
`--families` files, each checked with errors that name the file and line."""

import csv
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy

from allennlp_robust_xlt.analysis.per_example import PER_EXAMPLE_DIR
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.languages import SOURCE_LANGUAGE

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
