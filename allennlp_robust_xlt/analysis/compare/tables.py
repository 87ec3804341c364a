"""The files `xtreme-compare` writes: its CSV tables and the Markdown summary (plots: `plots.py`)."""

import math
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from allennlp_robust_xlt.analysis.compare.inputs import COMMAND
from allennlp_robust_xlt.analysis.compare.plots import (
    panels,
    plot_family_gains,
    plot_gains_against_predictors,
)
from allennlp_robust_xlt.analysis.compare.results import Comparison, GroupRow, task_name
from allennlp_robust_xlt.analysis.language_distances import MEASURE, write_distance_rows
from allennlp_robust_xlt.common.languages import get_language
from allennlp_robust_xlt.common.output_dir import check_output_dir, staged_write
from allennlp_robust_xlt.common.tables import markdown_table, write_csv

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


def write_comparison(comparison: Comparison, output_dir: Path, force: bool = False) -> List[Path]:
    """
    Writes the comparison's files (`OUTPUT_FILES`; the pair plot only for generalized runs) to
    `output_dir`: an existing non-empty directory only with `force`. Files are written to a
    staging directory first, so a failure leaves nothing half-written.
    """
    check_output_dir(COMMAND, output_dir, force)
    return staged_write(output_dir, lambda staging: _write_files(comparison, staging))


def _interval(c: Comparison, method: str) -> str:
    return c.interval if method != c.reference else ""


def comparison_rows(c: Comparison) -> List[List[Any]]:
    """`comparison.csv`: one row per language (or pair) and method."""
    rows = []
    for key in c.languages + c.pairs:
        for method in c.methods:
            cell = c.cells[(key, method)]
            rows.append(
                [
                    key,
                    method,
                    c.metric,
                    _number(cell.mean),
                    _number(cell.gain),
                    _number(cell.ci[0]),
                    _number(cell.ci[1]),
                    len(cell.values),
                    _interval(c, method),
                    cell.role,
                    " ".join(repr(v) for v in cell.values),
                ]
            )
    return rows


def correlation_rows(c: Comparison) -> List[List[Any]]:
    """`correlations.csv`: one row per test."""
    return [
        [
            row.method,
            c.metric,
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
    ]


def family_rows(c: Comparison) -> List[List[Any]]:
    """`families.csv`: one row per group (all targets, family, genus) and method."""
    return [
        [
            g.level,
            g.group,
            g.method,
            c.metric,
            " ".join(g.languages),
            len(g.languages),
            _number(g.mean),
            _number(g.gain),
            _number(g.ci[0]),
            _number(g.ci[1]),
            _interval(c, g.method),
        ]
        for g in c.groups
    ]


def _write_files(c: Comparison, directory: Path) -> List[Path]:
    paths = [
        write_csv(directory / "comparison.csv", COMPARISON_COLUMNS, comparison_rows(c)),
        write_csv(directory / "correlations.csv", CORRELATION_COLUMNS, correlation_rows(c)),
        write_csv(directory / "families.csv", FAMILY_COLUMNS, family_rows(c)),
    ]
    paths.append(directory / "distances.csv")
    write_distance_rows(paths[-1], c.distances)
    markdown = directory / "comparison.md"
    markdown.write_text(comparison_markdown(c) + "\n", encoding="utf-8")
    paths.append(markdown)
    if panels(c, "language"):
        paths.append(
            plot_gains_against_predictors(c, directory / "gain_vs_distance.png", unit="language")
        )
    paths.append(plot_family_gains(c, directory / "families.png"))
    if c.pairs and panels(c, "pair"):
        paths.append(
            plot_gains_against_predictors(c, directory / "pair_gain_vs_distance.png", unit="pair")
        )
    return paths


def comparison_markdown(c: Comparison) -> str:
    """The readable summary: runs, per-language table, families, correlations, distances, notes."""
    sections = [
        _runs_section(c),
        _languages_section(c),
        _families_section(c),
        _correlations_section(c),
        _distances_section(c),
        _closing_section(c),
    ]
    return "\n".join(line for section in sections for line in section)


def _with_gain(
    c: Comparison, method: str, mean: float, gain: float, ci: Tuple[float, float]
) -> str:
    """A method's mean in percent; for other methods than the reference, its gain [interval]."""
    text = _percent(mean)
    if method != c.reference:
        text += f" ({_percent(gain, True)}"
        if not math.isnan(ci[0]):
            text += f" [{_percent(ci[0], True)}, {_percent(ci[1], True)}]"
        text += ")"
    return text


def _method_headers(c: Comparison) -> List[str]:
    return [m if m == c.reference else f"{m} (gain [95% CI])" for m in c.methods]


def _runs_section(c: Comparison) -> List[str]:
    return [
        f"# Comparison: {task_name(c.task)} {c.split}, {c.metric} (%)",
        "",
        f"Reference method: **{c.reference}**. Gains are method minus reference, in points;"
        f" intervals: {c.interval_note}.",
        "",
        *markdown_table(
            ["method", "seeds", "report directories"],
            ([m, len(c.runs[m]), " ".join(str(d) for d in c.runs[m])] for m in c.methods),
            "lrl",
        ),
    ]


def _languages_section(c: Comparison) -> List[str]:
    rows = []
    for key in c.languages + c.pairs:
        family = "" if "-" in key else c.settings["family_of"][key][0]
        cells = [c.cells[(key, method)] for method in c.methods]
        rows.append(
            [key, c.cells[(key, c.reference)].role, family]
            + [_with_gain(c, cell.method, cell.mean, cell.gain, cell.ci) for cell in cells]
        )
    header = ["language", "role", "family", *_method_headers(c)]
    return ["", "## Per language", "", *markdown_table(header, rows, "lll" + "r" * len(c.methods))]


def _families_section(c: Comparison) -> List[str]:
    by_group: Dict[Tuple[str, str], Dict[str, GroupRow]] = {}
    for g in c.groups:
        by_group.setdefault((g.level, g.group), {})[g.method] = g
    rows = [
        [level, group, " ".join(groups[c.reference].languages)]
        + [_with_gain(c, m, groups[m].mean, groups[m].gain, groups[m].ci) for m in c.methods]
        for (level, group), groups in by_group.items()
    ]
    header = ["level", "group", "languages", *_method_headers(c)]
    return [
        "",
        "## Families (target languages; WALS families unless --families)",
        "",
        *markdown_table(header, rows, "lll" + "r" * len(c.methods)),
    ]


def _correlations_section(c: Comparison) -> List[str]:
    rows = []
    for row in sorted(
        c.correlations, key=lambda r: (math.isnan(r.result.p_spearman), r.result.p_spearman)
    ):
        r = row.result
        cells = [row.method, row.quantity, row.predictor, r.n]
        if r.note:
            rows.append(cells + [r.note, "", "", ""])
            continue
        rows.append(
            cells
            + [
                f"{r.spearman:+.2f} [{r.spearman_ci[0]:+.2f}, {r.spearman_ci[1]:+.2f}]",
                f"{r.pearson:+.2f} [{r.pearson_ci[0]:+.2f}, {r.pearson_ci[1]:+.2f}]",
                f"{r.p_spearman:.3f}",
                f"{row.p_holm:.3f}",
            ]
        )
    header = [
        "method",
        "quantity",
        "predictor",
        "n",
        "Spearman [95% CI]",
        "Pearson [95% CI]",
        "p",
        "p (Holm)",
    ]
    return [
        "",
        "## Correlations",
        "",
        f"Spearman's rho and Pearson's r over the target languages (n = {len(c.targets)} at most;"
        " languages where a predictor is undefined are left out). p: Spearman's two-sided"
        f" permutation p-value ({c.settings['permutations']} permutations, or exact for n <= 7);"
        f" p (Holm): adjusted over all {len(c.correlations)} tests of this table. Exploratory:"
        " at n = 15 only |rho| above about 0.5 can reach p < 0.05 before correction.",
        "",
        *markdown_table(header, rows, "lllrrrrr"),
    ]


def _distances_section(c: Comparison) -> List[str]:
    predictors = [p for p in c.predictor_values if p.count(":") == 1]
    if not predictors:
        return []
    rows = []
    for code in c.targets:
        values = [c.predictor_values[p].get(code) for p in predictors]
        known = get_language(code)
        rows.append(
            [code, known.iso639_3 if known is not None else ""]
            + ["n/a" if v is None else f"{v:.3f}" for v in values]
        )
    lines = [
        "",
        f"## Distances from English ({MEASURE} for lang2vec:*; see distances.csv)",
        "",
        *markdown_table(["language", "ISO 639-3", *predictors], rows, "ll" + "r" * len(predictors)),
    ]
    undefined = [row for row in c.distances if row["value"] is None and row["note"]]
    if undefined:
        lines += ["", "Undefined distances (left out of the correlations):"]
        lines += [f"- {row['language']} {row['distance_name']}: {row['note']}" for row in undefined]
    return lines


def _closing_section(c: Comparison) -> List[str]:
    lines = []
    if c.alignment is not None:
        lines += [
            "",
            f"Alignment: {c.alignment.path}, layer {c.alignment.layer}; predictors are each"
            f" method's model minus the {c.reference} model, per language.",
        ]
    if c.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in c.notes]
    return lines
