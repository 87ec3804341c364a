"""The plots of `xtreme-compare`: gains against each predictor, and gains by family."""

import math
from pathlib import Path
from typing import Dict, List, Optional

import numpy

from allennlp_robust_xlt.analysis.compare.results import Comparison, task_name
from allennlp_robust_xlt.common.figures import agg_figure


def panels(c: Comparison, unit: str) -> List[str]:
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
    predictors = panels(c, unit)
    methods = [m for m in c.methods if m != c.reference]
    columns = min(3, len(predictors))
    rows = math.ceil(len(predictors) / columns)
    figure = agg_figure(4.2 * columns, 3.6 * rows)
    colors = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    for index, predictor in enumerate(predictors):
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
    figure.suptitle(f"{task_name(c.task)} {c.split}: gain per {unit} against distance")
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
    figure = agg_figure(max(6.0, 0.35 * len(names) * max(1, len(methods)) + 2.0), 4.5)
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
    axes.set_title(f"{task_name(c.task)} {c.split}: gain by family (95% CI over {c.interval})")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(str(path), dpi=110)
    return path
