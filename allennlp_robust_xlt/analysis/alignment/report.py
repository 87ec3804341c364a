"""The files of `xtreme-alignment`: `alignment.csv`, `.md` and `.json` (plots: `plots.py`)."""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from allennlp_robust_xlt.analysis.alignment.inputs import (
    ATTACKED_PREFIX,
    METRICS,
    SUMMARY_METRICS,
    ModelSpec,
    ParallelSet,
)
from allennlp_robust_xlt.analysis.alignment.plots import plot_languages, plot_layers
from allennlp_robust_xlt.analysis.alignment.metrics import mean_finite
from allennlp_robust_xlt.common.languages import get_language
from allennlp_robust_xlt.common.tables import csv_text, markdown_table
from allennlp_robust_xlt.tasks import Task


@dataclass
class ModelResult:
    spec: ModelSpec
    num_layers: int
    summary_layer: int
    rows: List[Dict[str, Any]] = field(default_factory=list)
    """One per language and layer: `language`, `layer` and the metrics (and attacked ones)."""
    perturbation_norms: Dict[str, float] = field(default_factory=dict)

    def at(self, layer: int) -> List[Dict[str, Any]]:
        return [row for row in self.rows if row["layer"] == layer]


@dataclass
class AlignmentReport:
    task: Task
    split: Optional[str]
    pooling: str
    sets: List[ParallelSet]
    results: List[ModelResult]
    attack: Optional[Dict[str, Any]] = None
    chosen_layer: Optional[int] = None

    @property
    def languages(self) -> List[str]:
        return [parallel.language for parallel in self.sets]

    @property
    def metric_columns(self) -> List[str]:
        columns = list(METRICS)
        if self.attack is not None:
            columns += [ATTACKED_PREFIX + name for name in METRICS]
        return columns

    @property
    def summary_layer(self) -> Optional[int]:
        layers = {result.summary_layer for result in self.results}
        return layers.pop() if len(layers) == 1 else None

    def csv_text(self) -> str:
        return csv_text(
            ["model", "language", "layer", *self.metric_columns],
            (
                [result.spec.name, row["language"], row["layer"]]
                + [repr(float(row[name])) for name in self.metric_columns]
                for result in self.results
                for row in result.rows
            ),
        )

    def settings(self) -> Dict[str, Any]:
        return {
            "summary_layer": self.summary_layer,
            "summary_layers": {r.spec.name: r.summary_layer for r in self.results},
            "layer_given": self.chosen_layer is not None,
            "num_layers": {r.spec.name: r.num_layers for r in self.results},
            "pooling": self.pooling,
            "task": self.task.key,
            "split": self.split,
            "models": {r.spec.name: r.spec.model for r in self.results},
            "languages": self.languages,
            "sentence_pairs": {p.language: p.size for p in self.sets},
            "attack": self.attack,
            "attack_objective": (
                None
                if self.attack is None
                else "maximise -cos(e_l(english + delta), e_l(translation)) at the summary layer"
            ),
            "perturbation_norm": (
                None
                if self.attack is None
                else {r.spec.name: r.perturbation_norms for r in self.results}
            ),
        }

    def markdown(self) -> str:
        split = f" {self.split}" if self.split else ""
        lines = [
            f"# Cross-lingual alignment: {self.task.name}{split}, {self.pooling} pooling",
            "",
            "Each language against English on its parallel sentences (pairs kept once). Layers"
            " are numbered like Hugging Face's `hidden_states` (0 = the embedding output)."
            " `cos_gap` = `cos_parallel` - `cos_random` (translations against all other pairs):"
            " read it and retrieval (`p_at_1`: English queries, `p_at_1_reverse`: the other"
            " language's) before raw cosines, which anisotropy inflates. `cka`: linear CKA.",
        ]
        if self.attack is not None:
            lines += [
                "",
                f"Under attack ({json.dumps(self.attack, sort_keys=True)}): the English side is"
                " perturbed on its word embeddings to minimise its cosine to the translation's"
                " embedding at the summary layer; `attacked_` columns use the perturbed English"
                " embeddings, and the stability is `attacked_cos_parallel - cos_parallel`.",
            ]
        for result in self.results:
            lines += ["", *self._model_section(result)]
        skipped = [p for p in self.sets if p.skipped]
        if skipped:
            lines += [
                "",
                "Pairs left out (a sentence repeating an earlier pair's, or empty): "
                + ", ".join(f"{p.language} {p.skipped}" for p in skipped)
                + ".",
            ]
        return "\n".join(lines) + "\n"

    def _model_section(self, result: ModelResult) -> List[str]:
        layer = result.summary_layer
        how = "given" if self.chosen_layer is not None else "XTREME's retrieval layer"
        columns = list(SUMMARY_METRICS)
        if self.attack is not None:
            columns += [ATTACKED_PREFIX + "cos_gap", ATTACKED_PREFIX + "p_at_1", "stability"]
        lines = [
            f"## {result.spec.name} — layer {layer} of {result.num_layers} ({how})",
            "",
            f"Model: `{result.spec.model}`",
            "",
        ]
        rows = result.at(layer)
        sizes = {p.language: p.size for p in self.sets}
        table = []
        for row in rows:
            language = get_language(row["language"])
            name, family = (language.name, language.family) if language else ("", "")
            table.append(
                [row["language"], name, family, sizes[row["language"]]]
                + [_format(_value(row, column)) for column in columns]
            )
        if len(rows) > 1:
            table.append(
                ["**average**", "", "", ""]
                + [_format(mean_finite([_value(row, c) for row in rows])) for c in columns]
            )
        header = ["language", "name", "family", "pairs", *columns]
        lines += markdown_table(header, table, "lllr" + "r" * len(columns))
        if self.attack is not None and result.perturbation_norms:
            lines += [
                "",
                "Mean perturbation norm: "
                + ", ".join(f"{k} {v:.4f}" for k, v in result.perturbation_norms.items()),
            ]
        lines += [
            "",
            "Layer profile (averages over the languages):",
            "",
        ]
        profile = ("cos_gap", "p_at_1", "p_at_1_reverse", "cka")
        table = [
            [f"**{index}**" if index == layer else str(index)]
            + [_format(mean_finite([row[name] for row in result.at(index)])) for name in profile]
            for index in range(result.num_layers + 1)
        ]
        lines += markdown_table(["layer", *profile], table, "r" * (len(profile) + 1))
        return lines

    def files(self, directory: Path) -> List[Path]:
        """Writes every output file into `directory`; returns their paths."""
        written = []
        for name, text in (
            ("alignment.csv", self.csv_text()),
            ("alignment.md", self.markdown()),
            ("alignment.json", json.dumps(self.settings(), indent=2) + "\n"),
        ):
            path = directory / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
        written.append(plot_layers(self, directory / "alignment_layers.png"))
        written.append(plot_languages(self, directory / "alignment_languages.png"))
        return written


def _value(row: Dict[str, Any], column: str) -> float:
    if column == "stability":
        return row[ATTACKED_PREFIX + "cos_parallel"] - row["cos_parallel"]
    return float(row[column])


def _format(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.4f}"
