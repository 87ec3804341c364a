"""
The per-language report of a model on a task, and its writers (shared by `xtreme-report` and
the analysis commands that read its output).

A report directory holds:

* `report.md`, `report.csv`: one row per language (`kind` `language`), the averages over the
  target languages (the test languages but the source languages, e.g. `avg_without_en`) and
  over all of them (`avg`), and per language family of the target languages (`family:...`).
  `report.csv`'s columns are `kind, key, name, family, script, languages` and one column per
  metric (fractions, like AllenNLP's metrics), the table's metric first.
* `metrics.json`: `{"task", "split", "metric" (the table's), "metrics" (every column),
  "source", "source_languages", "languages": {code: every metric of the evaluation},
  "summary": {row key: value of the table's metric}, "pairs": {"l1-l2": metrics}}`, and the
  task table's `note` on its scoring when it has one (MasakhaNER: DATE read as O); `report.md`
  ends with that note too.
* With pairs of languages (the generalized setting): `generalized.csv` / `.md` (rows: the
  first input's language, columns: the second's; for QA the question's and the context's,
  the task table's `inputs`) and `generalized.png`, a heatmap.
* Optionally `per_example/{lang}.jsonl`: one JSON line per test example (see
  `evaluation/per_example.py`), and for QA `predictions/{lang}.json`, the SQuAD-style
  `{question id: answer}` file that the official SQuAD / MLQA scripts score.
"""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.common.figures import agg_figure
from allennlp_robust_xlt.common.languages import SOURCE_LANGUAGE, family_groups, get_language
from allennlp_robust_xlt.common.tables import markdown_table, write_csv
from allennlp_robust_xlt.tasks import DEFAULT_INPUTS, TASKS

Pair = Tuple[str, str]


@dataclass
class ReportRow:
    kind: str  # "language", "average" or "family"
    key: str
    label: str
    languages: List[str]
    values: Dict[str, float]
    family: str = ""
    script: str = ""


@dataclass
class Report:
    """
    A task's scores per language (and per pair of languages). `metrics` are the report's
    columns, the first one the table's; `component` names the command in errors.
    """

    task: str
    split: str
    metrics: List[str]
    source: str
    per_language: Dict[str, Dict[str, Any]]
    pairs: Dict[Pair, Dict[str, Any]] = field(default_factory=dict)
    source_languages: Sequence[str] = (SOURCE_LANGUAGE,)
    component: str = "xtreme-report"

    @property
    def metric(self) -> str:
        return self.metrics[0]

    @property
    def task_name(self) -> str:
        return TASKS[self.task].name if self.task in TASKS else self.task

    @property
    def note(self) -> str:
        """The task table's note on how the task is scored (MasakhaNER: DATE read as O)."""
        return TASKS[self.task].note if self.task in TASKS else ""

    @property
    def inputs(self) -> Tuple[str, str]:
        """What the rows' and the columns' languages are of, in the generalized setting."""
        return TASKS[self.task].inputs if self.task in TASKS else DEFAULT_INPUTS

    @property
    def languages(self) -> List[str]:
        return ordered_languages(self.task, self.per_language)

    @property
    def target_languages(self) -> List[str]:
        return [code for code in self.languages if code not in self.source_languages]

    @property
    def pair_languages(self) -> Tuple[List[str], List[str]]:
        firsts = ordered_languages(self.task, {first for first, _ in self.pairs})
        seconds = ordered_languages(self.task, {second for _, second in self.pairs})
        return firsts, seconds

    def check_metrics(self) -> None:
        """A `ParameterError` naming the first evaluation that lacks the table's metric."""
        evaluations = [(code, metrics) for code, metrics in self.per_language.items()]
        evaluations += [(f"{a}-{b}", metrics) for (a, b), metrics in self.pairs.items()]
        for where, metrics in evaluations:
            if self.metric not in metrics:
                raise ParameterError(
                    self.component,
                    "--metric",
                    f"names {self.metric!r}, which the metrics of {where} lack (they have:"
                    f" {', '.join(sorted(metrics))})",
                )

    def columns(self) -> List[str]:
        """The table's metric, then the other metrics that every language has."""
        return [
            metric
            for metric in self.metrics
            if all(metric in metrics for metrics in self.per_language.values())
        ]

    def rows(self) -> List[ReportRow]:
        self.check_metrics()
        columns = self.columns()
        rows = []
        for code in self.languages:
            language = get_language(code)
            values = {metric: float(self.per_language[code][metric]) for metric in columns}
            rows.append(
                ReportRow(
                    "language",
                    code,
                    language.name if language else code,
                    [code],
                    values,
                    family=language.family if language else "",
                    script=language.script if language else "",
                )
            )
        by_code = {row.key: row.values for row in rows}

        def averaged(codes: List[str]) -> Dict[str, float]:
            return {metric: mean(by_code[code][metric] for code in codes) for metric in columns}

        targets = self.target_languages
        if targets:
            sources = ordered_languages(self.task, self.source_languages)
            rows.append(
                ReportRow(
                    "average",
                    f"avg_without_{'_'.join(sources)}",
                    f"average without {' '.join(sources)}",
                    targets,
                    averaged(targets),
                )
            )
        rows.append(
            ReportRow("average", "avg", "average", list(self.languages), averaged(self.languages))
        )
        for family, codes in family_groups(targets).items():
            rows.append(
                ReportRow(
                    "family",
                    f"family:{family}",
                    f"{family} family",
                    codes,
                    averaged(codes),
                    family=family,
                )
            )
        return rows

    def matrix(self) -> Tuple[List[str], List[str], List[List[float]]]:
        firsts, seconds = self.pair_languages
        values = [
            [
                (
                    float(self.pairs[(first, second)][self.metric])
                    if (first, second) in self.pairs
                    else math.nan
                )
                for second in seconds
            ]
            for first in firsts
        ]
        return firsts, seconds, values

    def markdown(self) -> str:
        columns = self.columns()
        title = f"{self.task_name} {self.split}, {', '.join(columns)} (%) — {self.source}"
        marked = [code for code in self.languages if code in self.source_languages]
        table = []
        for row in self.rows():
            cells = [percent(row.values[metric]) for metric in columns]
            if row.kind == "language":
                name = row.label + (" (source)" if row.key in self.source_languages else "")
                table.append([row.key, name, row.family, row.script, *cells])
            else:
                bold = [f"**{cell}**" for cell in cells]
                table.append([f"**{row.label}**", " ".join(row.languages), "", "", *bold])
        header = ["language", "name", "family", "script", *columns]
        lines = [f"## {title}", "", *markdown_table(header, table, "llll" + "r" * len(columns))]
        if marked and len(self.languages) > 1:
            lines += [
                "",
                f"Source language(s): {', '.join(marked)}; averages over targets exclude them.",
            ]
        if self.note:
            lines += ["", f"Scoring: {self.note}"]
        if self.pairs:
            lines += ["", self.matrix_markdown()]
        return "\n".join(lines)

    def matrix_markdown(self) -> str:
        firsts, seconds, values = self.matrix()
        first_input, second_input = self.inputs
        lines = [
            f"### Generalized setting: {first_input} in l1 (rows), {second_input} in l2"
            f" (columns), {self.metric} (%)",
            "",
            *markdown_table(
                ["l1 \\ l2", *seconds],
                ([f"**{first}**", *map(percent, row)] for first, row in zip(firsts, values)),
                "l" + "r" * len(seconds),
            ),
        ]
        return "\n".join(lines)

    def to_json(self) -> Dict[str, Any]:
        note = {"note": self.note} if self.note else {}
        return {
            **note,
            "task": self.task,
            "split": self.split,
            "metric": self.metric,
            "metrics": self.columns(),
            "source": self.source,
            "source_languages": [code for code in self.source_languages],
            "languages": {code: self.per_language[code] for code in self.languages},
            "summary": {
                row.key: row.values[self.metric] for row in self.rows() if row.kind != "language"
            },
            "pairs": {
                f"{first}-{second}": metrics
                for (first, second), metrics in sorted(self.pairs.items())
            },
        }

    def write(self, output_dir: Path) -> List[Path]:
        rows = self.rows()  # fails (before anything is written) if a metric is missing
        columns = self.columns()
        output_dir.mkdir(parents=True, exist_ok=True)
        written = [output_dir / "report.md", output_dir / "report.csv", output_dir / "metrics.json"]
        written[0].write_text(self.markdown() + "\n", encoding="utf-8")
        write_csv(
            written[1],
            ["kind", "key", "name", "family", "script", "languages", *columns],
            (
                [row.kind, row.key, row.label, row.family, row.script, " ".join(row.languages)]
                + [repr(row.values[metric]) for metric in columns]
                for row in rows
            ),
        )
        written[2].write_text(
            json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        if self.pairs:
            firsts, seconds, values = self.matrix()
            matrix_csv = write_csv(
                output_dir / "generalized.csv",
                ["l1\\l2", *seconds],
                (
                    [first, *("" if math.isnan(value) else repr(value) for value in row)]
                    for first, row in zip(firsts, values)
                ),
            )
            (output_dir / "generalized.md").write_text(
                self.matrix_markdown() + "\n", encoding="utf-8"
            )
            heatmap = output_dir / "generalized.png"
            first_input, second_input = self.inputs
            write_heatmap(
                heatmap,
                firsts,
                seconds,
                values,
                f"{self.task_name} {self.split} {self.metric}",
                (f"l2: language of the {second_input}", f"l1: language of the {first_input}"),
            )
            written += [matrix_csv, output_dir / "generalized.md", heatmap]
        return written


def mean(values: Any) -> float:
    values = list(values)
    return sum(values) / len(values) if values else math.nan


def percent(value: float) -> str:
    return "" if math.isnan(value) else f"{100 * value:.2f}"


def ordered_languages(task: str, codes: Any) -> List[str]:
    """The task's order (the source language first), then other codes alphabetically."""
    known = TASKS[task].all_languages if task in TASKS else ()
    order = {code: index for index, code in enumerate(known)}
    return sorted(codes, key=lambda code: (order.get(code, len(order)), code))


def write_heatmap(
    path: Path,
    firsts: Sequence[str],
    seconds: Sequence[str],
    values: List[List[float]],
    title: str,
    labels: Optional[Tuple[str, str]] = None,
) -> None:
    """The l1 x l2 matrix as an annotated heatmap (matplotlib's Agg canvas, no display needed)."""
    import numpy

    x_label, y_label = labels or (
        "l2: language of the second input",
        "l1: language of the first input",
    )
    data = numpy.array(values, dtype=float) * 100
    size = max(4.0, 0.55 * max(len(firsts), len(seconds)) + 2.0)
    figure = agg_figure(size + 1.0, size)
    axes = figure.add_subplot(1, 1, 1)
    image = axes.imshow(numpy.ma.masked_invalid(data), cmap="viridis", aspect="equal")
    axes.set_xticks(range(len(seconds)))
    axes.set_xticklabels(seconds)
    axes.set_yticks(range(len(firsts)))
    axes.set_yticklabels(firsts)
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.set_title(title)
    if len(firsts) * len(seconds) <= 400:
        finite = data[numpy.isfinite(data)]
        middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
        for i in range(len(firsts)):
            for j in range(len(seconds)):
                if numpy.isfinite(data[i, j]):
                    color = "black" if data[i, j] > middle else "white"
                    axes.text(
                        j, i, f"{data[i, j]:.1f}", ha="center", va="center", color=color, fontsize=7
                    )
    figure.colorbar(image, ax=axes, label="%", fraction=0.046, pad=0.04)
    figure.tight_layout()
    figure.savefig(str(path), dpi=120)
