"""The plots of `xtreme-alignment`: the layer profile, and each language at the summary layer."""

from pathlib import Path
from typing import TYPE_CHECKING

from allennlp_robust_xlt.analysis.alignment.metrics import mean_finite
from allennlp_robust_xlt.common.figures import agg_figure

if TYPE_CHECKING:
    from allennlp_robust_xlt.analysis.alignment.report import AlignmentReport

PLOTTED = (("cos_gap", "cosine gap (parallel - random)"), ("p_at_1", "P@1 (English queries)"))


def plot_layers(report: "AlignmentReport", path: Path) -> Path:
    """The gap and P@1 per layer, averaged over the languages: a line per model."""
    figure = agg_figure(10, 4)
    for panel, (metric, label) in enumerate(PLOTTED, start=1):
        axes = figure.add_subplot(1, len(PLOTTED), panel)
        for result in report.results:
            layers = list(range(result.num_layers + 1))
            values = [mean_finite([row[metric] for row in result.at(layer)]) for layer in layers]
            axes.plot(layers, values, marker="o", label=result.spec.name)
            axes.axvline(result.summary_layer, color="grey", linewidth=0.5, linestyle=":")
        axes.set_xlabel("layer (hidden_states index)")
        axes.set_ylabel(label)
        axes.set_title(f"{label}, mean over {len(report.languages)} languages", fontsize=9)
        if panel == 1:
            axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(str(path), dpi=110)
    return path


def plot_languages(report: "AlignmentReport", path: Path) -> Path:
    """The gap and P@1 of every language at each model's summary layer: grouped bars."""
    languages = report.languages
    figure = agg_figure(max(6.0, 0.6 * len(languages) * max(1, len(report.results)) + 2), 6)
    width = 0.8 / max(1, len(report.results))
    for panel, (metric, label) in enumerate(PLOTTED, start=1):
        axes = figure.add_subplot(len(PLOTTED), 1, panel)
        for number, result in enumerate(report.results):
            values = {row["language"]: row[metric] for row in result.at(result.summary_layer)}
            axes.bar(
                [index + number * width for index in range(len(languages))],
                [values[code] for code in languages],
                width=width,
                label=f"{result.spec.name} (layer {result.summary_layer})",
            )
        axes.set_xticks([index + 0.4 - width / 2 for index in range(len(languages))])
        axes.set_xticklabels(languages)
        axes.set_ylabel(label)
        if panel == 1:
            axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(str(path), dpi=110)
    return path
