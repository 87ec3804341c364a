"""
`allennlp xtreme-report`: a per-language (and, with `--generalized`, per language pair) report
of a trained model on XNLI or PAWS-X, computed with AllenNLP's own evaluation machinery.
"""

import argparse
import csv
import json
import logging
import math
import re
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from allennlp.commands.subcommand import Subcommand
from allennlp.common import Params
from allennlp.common.util import prepare_environment
from allennlp.data import DataLoader
from allennlp.evaluation import Evaluator
from allennlp.models.archival import Archive, load_archive

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.languages import (
    LANGUAGES,
    SOURCE_LANGUAGE,
    TASK_LANGUAGES,
    TASK_NAMES,
    check_language_codes,
    family_groups,
    is_known_language,
)

logger = logging.getLogger(__name__)

COMMAND = "xtreme-report"
READER_TASKS = {"xtreme_xnli": "xnli", "xtreme_pawsx": "pawsx"}
REPORT_FILES = (
    "report.md",
    "report.csv",
    "metrics.json",
    "generalized.csv",
    "generalized.md",
    "generalized.png",
)

Pair = Tuple[str, str]


@Subcommand.register(COMMAND)
class XtremeReport(Subcommand):
    """
    Registered as a `Subcommand` with name "xtreme-report".

    `allennlp xtreme-report ARCHIVE DATA_DIR --output-dir DIR [--task xnli|pawsx] [--split test|dev]
    [--languages L ...] [--generalized] [--force] [--cuda-device N] [--batch-size N]
    [--metric accuracy] [-o OVERRIDES] [--weights-file FILE]` loads the model archive once and
    evaluates it, with the archive's validation dataset reader and data loader settings and
    AllenNLP's `Evaluator`, on `DATA_DIR/{split}-{lang}.tsv` for every language (`DATA_DIR` may
    also be the XTREME root holding `xnli/` and `pawsx/`); with `--generalized` also on every
    ordered pair `{split}-{l1}-{l2}.tsv` of the generalized setting (first sentence in l1, second
    in l2, read on the fly from the parallel files).

    `allennlp xtreme-report --from-metrics FILE ... --output-dir DIR [--task ...]` builds the
    same report from `allennlp evaluate --output-file` JSON files instead; each file's language
    (or `l1-l2` pair) comes from its name (`test-de.json`, `metrics-de-fr.json`) or is given as
    `de=FILE`.

    Writes to the output directory (an existing non-empty one only with `--force`):
    `report.md` and `report.csv` (per-language score, the average over the target languages
    without English, the average with it, and the averages per language family of the target
    languages), `metrics.json` (every metric), and with pairs `generalized.csv`, `generalized.md`
    (the l1 x l2 matrix) and `generalized.png` (its heatmap). The table is also printed.
    `--task` defaults to the task of the archive's reader (`xtreme_xnli`, `xtreme_pawsx`);
    `--languages` defaults to the task's languages that have a file in `DATA_DIR`.
    """

    requires_plugins = True

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Per-language (and generalized language-pair) report of a model on XNLI or PAWS-X."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file", nargs="?", help="model archive (model.tar.gz)")
        subparser.add_argument(
            "data_dir",
            nargs="?",
            help="directory with {split}-{lang}.tsv (or the XTREME root with xnli/, pawsx/)",
        )
        subparser.add_argument(
            "--output-dir", required=True, help="directory to write the report to"
        )
        subparser.add_argument(
            "--task", choices=sorted(TASK_LANGUAGES), help="default: from the archive's reader"
        )
        subparser.add_argument(
            "--split", choices=["test", "dev"], default="test", help="which files to evaluate"
        )
        subparser.add_argument("--languages", nargs="+", help="subset of the task's languages")
        subparser.add_argument(
            "--generalized",
            action="store_true",
            help="also evaluate every ordered language pair (l1, l2)",
        )
        subparser.add_argument(
            "--force", action="store_true", help="write into a non-empty output directory"
        )
        subparser.add_argument(
            "--cuda-device", type=int, default=-1, help="id of GPU to use (if any)"
        )
        subparser.add_argument(
            "--batch-size", type=int, help="evaluation batch size (default: the archive's)"
        )
        subparser.add_argument("--metric", default="accuracy", help="the metric in the table")
        subparser.add_argument(
            "-o", "--overrides", default="", help="overrides of the archive's config"
        )
        subparser.add_argument("--weights-file", help="weights to use instead of the archive's")
        subparser.add_argument(
            "--from-metrics",
            nargs="+",
            metavar="FILE",
            help="`allennlp evaluate` output files ([LANG=]FILE) to report instead of evaluating",
        )
        subparser.set_defaults(func=report_from_args)
        return subparser


def report_from_args(args: argparse.Namespace) -> Dict[str, Any]:
    report = xtreme_report(
        output_dir=args.output_dir,
        archive_file=args.archive_file,
        data_dir=args.data_dir,
        task=args.task,
        split=args.split,
        languages=args.languages,
        generalized=args.generalized,
        force=args.force,
        cuda_device=args.cuda_device,
        batch_size=args.batch_size,
        metric=args.metric,
        overrides=args.overrides,
        weights_file=args.weights_file,
        from_metrics=args.from_metrics,
    )
    print(report.markdown())
    return report.to_json()


# -- the report -------------------------------------------------------------------------------


@dataclass
class ReportRow:
    kind: str  # "language", "average" or "family"
    key: str
    label: str
    languages: List[str]
    value: float
    family: str = ""
    script: str = ""


@dataclass
class Report:
    task: str
    split: str
    metric: str
    source: str
    per_language: Dict[str, Dict[str, Any]]
    pairs: Dict[Pair, Dict[str, Any]] = field(default_factory=dict)

    @property
    def languages(self) -> List[str]:
        return ordered_languages(self.task, self.per_language)

    @property
    def pair_languages(self) -> Tuple[List[str], List[str]]:
        firsts = ordered_languages(self.task, {first for first, _ in self.pairs})
        seconds = ordered_languages(self.task, {second for _, second in self.pairs})
        return firsts, seconds

    def score(self, metrics: Dict[str, Any], where: str) -> float:
        if self.metric not in metrics:
            raise ParameterError(
                COMMAND,
                "--metric",
                f"names {self.metric!r}, which {where} lacks (it has:"
                f" {', '.join(sorted(metrics))})",
            )
        return float(metrics[self.metric])

    def rows(self) -> List[ReportRow]:
        rows = []
        for code in self.languages:
            language = LANGUAGES.get(code)
            rows.append(
                ReportRow(
                    "language",
                    code,
                    language.name if language else code,
                    [code],
                    self.score(self.per_language[code], f"the metrics of {code}"),
                    family=language.family if language else "",
                    script=language.script if language else "",
                )
            )
        by_code = {row.key: row.value for row in rows}
        targets = [code for code in self.languages if code != SOURCE_LANGUAGE]
        if targets:
            rows.append(
                ReportRow(
                    "average",
                    f"avg_without_{SOURCE_LANGUAGE}",
                    f"average without {SOURCE_LANGUAGE}",
                    targets,
                    mean(by_code[c] for c in targets),
                )
            )
        rows.append(
            ReportRow("average", "avg", "average", list(self.languages), mean(by_code.values()))
        )
        for family, codes in family_groups(targets).items():
            rows.append(
                ReportRow(
                    "family",
                    f"family:{family}",
                    f"{family} family",
                    codes,
                    mean(by_code[c] for c in codes),
                    family=family,
                )
            )
        return rows

    def matrix(self) -> Tuple[List[str], List[str], List[List[float]]]:
        firsts, seconds = self.pair_languages
        values = [
            [
                (
                    self.score(self.pairs[(first, second)], f"the metrics of {first}-{second}")
                    if (first, second) in self.pairs
                    else math.nan
                )
                for second in seconds
            ]
            for first in firsts
        ]
        return firsts, seconds, values

    def markdown(self) -> str:
        title = (
            f"{TASK_NAMES.get(self.task, self.task)} {self.split}, {self.metric} (%) —"
            f" {self.source}"
        )
        lines = [
            f"## {title}",
            "",
            f"| language | name | family | script | {self.metric} |",
            "|---|---|---|---|---:|",
        ]
        for row in self.rows():
            if row.kind == "language":
                lines.append(
                    f"| {row.key} | {row.label} | {row.family} | {row.script} |"
                    f" {percent(row.value)} |"
                )
            else:
                lines.append(
                    f"| **{row.label}** | {' '.join(row.languages)} | | |"
                    f" **{percent(row.value)}** |"
                )
        if self.pairs:
            lines += ["", self.matrix_markdown()]
        return "\n".join(lines)

    def matrix_markdown(self) -> str:
        firsts, seconds, values = self.matrix()
        lines = [
            (
                "### Generalized setting: first sentence in l1 (rows), second in l2 (columns),"
                f" {self.metric} (%)"
            ),
            "",
            "| l1 \\ l2 | " + " | ".join(seconds) + " |",
            "|---|" + "---:|" * len(seconds),
        ]
        for first, row in zip(firsts, values):
            lines.append(f"| **{first}** | " + " | ".join(percent(value) for value in row) + " |")
        return "\n".join(lines)

    def to_json(self) -> Dict[str, Any]:
        return {
            "task": self.task,
            "split": self.split,
            "metric": self.metric,
            "source": self.source,
            "languages": {code: self.per_language[code] for code in self.languages},
            "summary": {row.key: row.value for row in self.rows() if row.kind != "language"},
            "pairs": {
                f"{first}-{second}": metrics
                for (first, second), metrics in sorted(self.pairs.items())
            },
        }

    def write(self, output_dir: Path) -> List[Path]:
        output_dir.mkdir(parents=True, exist_ok=True)
        written = [output_dir / "report.md", output_dir / "report.csv", output_dir / "metrics.json"]
        written[0].write_text(self.markdown() + "\n", encoding="utf-8")
        with open(written[1], "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["kind", "key", "name", "family", "script", "languages", self.metric])
            for row in self.rows():
                writer.writerow(
                    [
                        row.kind,
                        row.key,
                        row.label,
                        row.family,
                        row.script,
                        " ".join(row.languages),
                        repr(row.value),
                    ]
                )
        written[2].write_text(
            json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        if self.pairs:
            firsts, seconds, values = self.matrix()
            matrix_csv = output_dir / "generalized.csv"
            with open(matrix_csv, "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["l1\\l2", *seconds])
                for first, row in zip(firsts, values):
                    writer.writerow(
                        [first, *("" if math.isnan(value) else repr(value) for value in row)]
                    )
            (output_dir / "generalized.md").write_text(
                self.matrix_markdown() + "\n", encoding="utf-8"
            )
            heatmap = output_dir / "generalized.png"
            write_heatmap(
                heatmap,
                firsts,
                seconds,
                values,
                f"{TASK_NAMES.get(self.task, self.task)} {self.split} {self.metric}",
            )
            written += [matrix_csv, output_dir / "generalized.md", heatmap]
        return written


def mean(values: Any) -> float:
    values = list(values)
    return sum(values) / len(values) if values else math.nan


def percent(value: float) -> str:
    return "" if math.isnan(value) else f"{100 * value:.2f}"


def ordered_languages(task: str, codes: Any) -> List[str]:
    """The task's order (English first), then other codes alphabetically."""
    order = {code: index for index, code in enumerate(TASK_LANGUAGES.get(task, ()))}
    return sorted(codes, key=lambda code: (order.get(code, len(order)), code))


def write_heatmap(
    path: Path, firsts: Sequence[str], seconds: Sequence[str], values: List[List[float]], title: str
) -> None:
    """The l1 x l2 matrix as an annotated heatmap (matplotlib's Agg canvas, no display needed)."""
    import numpy
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = numpy.array(values, dtype=float) * 100
    size = max(4.0, 0.55 * max(len(firsts), len(seconds)) + 2.0)
    figure = Figure(figsize=(size + 1.0, size))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    image = axes.imshow(numpy.ma.masked_invalid(data), cmap="viridis", aspect="equal")
    axes.set_xticks(range(len(seconds)))
    axes.set_xticklabels(seconds)
    axes.set_yticks(range(len(firsts)))
    axes.set_yticklabels(firsts)
    axes.set_xlabel("l2: language of the second sentence")
    axes.set_ylabel("l1: language of the first sentence")
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


# -- building the report ----------------------------------------------------------------------


def xtreme_report(
    output_dir: str,
    archive_file: Optional[str] = None,
    data_dir: Optional[str] = None,
    task: Optional[str] = None,
    split: str = "test",
    languages: Optional[Sequence[str]] = None,
    generalized: bool = False,
    force: bool = False,
    cuda_device: int = -1,
    batch_size: Optional[int] = None,
    metric: str = "accuracy",
    overrides: str = "",
    weights_file: Optional[str] = None,
    from_metrics: Optional[Sequence[str]] = None,
) -> Report:
    """Builds the report (evaluating the archive, or from metric files) and writes it to `output_dir`."""
    output = Path(output_dir)
    if output.exists() and (not output.is_dir() or any(output.iterdir())) and not force:
        raise ParameterError(
            COMMAND,
            "--output-dir",
            f"{output} exists and is not empty; pass --force to write into it",
        )
    if batch_size is not None and batch_size < 1:
        raise ParameterError(COMMAND, "--batch-size", f"must be positive, got {batch_size}")
    if from_metrics:
        if archive_file or data_dir:
            raise ParameterError(
                COMMAND, "--from-metrics", "replaces ARCHIVE and DATA_DIR; give one or the other"
            )
        if generalized:
            raise ParameterError(
                COMMAND,
                "--generalized",
                "needs a model: with --from-metrics, pairs come from file names",
            )
        report = report_from_metric_files(from_metrics, task, split, metric, languages)
    else:
        if not archive_file or not data_dir:
            raise ParameterError(
                COMMAND, "ARCHIVE DATA_DIR", "are both required (or use --from-metrics FILE ...)"
            )
        report = report_from_archive(
            archive_file,
            data_dir,
            task,
            split,
            languages,
            generalized,
            cuda_device,
            batch_size,
            metric,
            overrides,
            weights_file,
        )
    report.rows()  # fails early (before writing) if the metric is missing
    report.write(output)
    return report


def report_from_archive(
    archive_file: str,
    data_dir: str,
    task: Optional[str],
    split: str,
    languages: Optional[Sequence[str]],
    generalized: bool,
    cuda_device: int,
    batch_size: Optional[int],
    metric: str,
    overrides: str,
    weights_file: Optional[str],
) -> Report:
    if not Path(data_dir).is_dir():
        raise ParameterError(COMMAND, "DATA_DIR", f"{data_dir} is not a directory")
    archive = load_archive(
        archive_file, cuda_device=cuda_device, overrides=overrides, weights_file=weights_file
    )
    task = task or task_of_archive(archive)
    directory = Path(data_dir)
    if (directory / task).is_dir():
        directory = directory / task
    codes = choose_languages(task, directory, split, languages)
    paths: Dict[str, str] = {code: str(directory / f"{split}-{code}.tsv") for code in codes}
    pair_paths: Dict[Pair, str] = {}
    if generalized:
        pair_paths = {
            (l1, l2): str(directory / f"{split}-{l1}-{l2}.tsv") for l1 in codes for l2 in codes
        }
    evaluate = ArchiveEvaluator(archive, cuda_device, batch_size)
    per_language = {code: evaluate(path) for code, path in paths.items()}
    pairs = {pair: evaluate(path) for pair, path in pair_paths.items()}
    return Report(task, split, metric, str(archive_file), per_language, pairs)


def task_of_archive(archive: Archive) -> str:
    reader = archive.validation_dataset_reader
    task = getattr(reader, "task", "")
    if task in TASK_LANGUAGES:
        return task
    reader_type = archive.config.get(
        "validation_dataset_reader", archive.config.get("dataset_reader", {})
    ).get("type")
    if reader_type in READER_TASKS:
        return READER_TASKS[reader_type]
    raise ParameterError(
        COMMAND,
        "--task",
        f"is needed: the archive's reader ({reader_type}) is not one of {', '.join(READER_TASKS)}",
    )


def choose_languages(
    task: str, directory: Path, split: str, languages: Optional[Sequence[str]]
) -> List[str]:
    known = TASK_LANGUAGES[task]
    if languages:
        codes = check_language_codes(list(dict.fromkeys(languages)), known, COMMAND, "--languages")
        for code in codes:
            path = directory / f"{split}-{code}.tsv"
            if not path.is_file():
                raise InputFileError(
                    path, None, f"file not found (needed for the language {code} of --languages)"
                )
        return codes
    codes = [code for code in known if (directory / f"{split}-{code}.tsv").is_file()]
    if not codes:
        raise InputFileError(
            directory,
            None,
            f"has no {split}-{{lang}}.tsv file for any {TASK_NAMES[task]} language"
            f" ({' '.join(known)})",
        )
    missing = [code for code in known if code not in codes]
    if missing:
        logger.warning(
            "%s: no %s file for %s; reporting %s",
            directory,
            split,
            " ".join(missing),
            " ".join(codes),
        )
    return codes


class ArchiveEvaluator:
    """AllenNLP's `Evaluator` on the archive's model, with its validation reader and data loader settings."""

    def __init__(self, archive: Archive, cuda_device: int, batch_size: Optional[int]) -> None:
        config = deepcopy(archive.config)
        prepare_environment(config)
        self.model = archive.model
        self.model.eval()
        evaluator_params = config.pop("evaluation", {})
        evaluator_params["cuda_device"] = cuda_device
        self.evaluator = Evaluator.from_params(evaluator_params)
        self.reader = archive.validation_dataset_reader
        loader = config.get("validation_data_loader", None) or config.get("data_loader")
        self.loader_params: Dict[str, Any] = loader.as_dict(quiet=True)
        if batch_size is not None:
            if "batch_sampler" in self.loader_params:
                self.loader_params["batch_sampler"]["batch_size"] = batch_size
            else:
                self.loader_params["batch_size"] = batch_size

    def __call__(self, path: str) -> Dict[str, Any]:
        logger.info("evaluating on %s", path)
        data_loader = DataLoader.from_params(
            params=Params(deepcopy(self.loader_params)), reader=self.reader, data_path=path
        )
        data_loader.index_with(self.model.vocab)
        return dict(self.evaluator(self.model, data_loader))


# -- from `allennlp evaluate` output files ------------------------------------------------------

NAME_SEPARATORS = re.compile(r"[-_.]")


def languages_of_metric_file(name: str) -> Optional[Tuple[str, ...]]:
    """`test-de.json` -> `("de",)`, `metrics_de-fr.outputs` -> `("de", "fr")`, else `None`."""
    stem = Path(name).stem
    tokens = NAME_SEPARATORS.split(stem)
    codes: List[str] = []
    for token in reversed(tokens):
        if len(codes) == 2 or not is_known_language(token):
            break
        codes.insert(0, token)
    return tuple(codes) if codes else None


def report_from_metric_files(
    files: Sequence[str],
    task: Optional[str],
    split: str,
    metric: str,
    languages: Optional[Sequence[str]],
) -> Report:
    per_language: Dict[str, Dict[str, Any]] = {}
    pairs: Dict[Pair, Dict[str, Any]] = {}
    for spec in files:
        if "=" in spec:
            given, path = spec.split("=", 1)
            codes: Optional[Tuple[str, ...]] = tuple(given.split("-"))
            assert codes is not None
            if len(codes) > 2 or not all(is_known_language(code) for code in codes):
                raise ParameterError(
                    COMMAND,
                    "--from-metrics",
                    f"{spec}: {given!r} is not a language code or an l1-l2 pair of codes",
                )
        else:
            path = spec
            codes = languages_of_metric_file(path)
            if codes is None:
                raise ParameterError(
                    COMMAND,
                    "--from-metrics",
                    f"{spec}: no language code at the end of the file name; name it like"
                    " test-de.json or test-de-fr.json, or write LANG=FILE",
                )
        try:
            metrics = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputFileError(path, None, "file not found") from None
        except json.JSONDecodeError as error:
            raise InputFileError(path, error.lineno, f"invalid JSON ({error.msg})") from None
        if not isinstance(metrics, dict):
            raise InputFileError(
                path, None, "expected the JSON object that `allennlp evaluate --output-file` writes"
            )
        assert codes is not None
        target: Dict[Any, Dict[str, Any]] = per_language if len(codes) == 1 else pairs  # type: ignore[assignment]
        key: Any = codes[0] if len(codes) == 1 else (codes[0], codes[1])
        if key in target:
            raise ParameterError(
                COMMAND, "--from-metrics", f"{spec}: a second file for {'-'.join(codes)}"
            )
        target[key] = metrics
    if not per_language:
        raise ParameterError(
            COMMAND, "--from-metrics", "needs at least one single-language file (e.g. test-de.json)"
        )
    task = task or guess_task(list(per_language) + [code for pair in pairs for code in pair])
    if languages:
        keep = set(
            check_language_codes(list(languages), TASK_LANGUAGES[task], COMMAND, "--languages")
        )
        per_language = {code: value for code, value in per_language.items() if code in keep}
        pairs = {pair: value for pair, value in pairs.items() if set(pair) <= keep}
        if not per_language:
            raise ParameterError(COMMAND, "--languages", "leaves none of the metric files")
    return Report(task, split, metric, "metric files", per_language, pairs)


def guess_task(codes: Sequence[str]) -> str:
    matching = [task for task, known in TASK_LANGUAGES.items() if set(codes) <= set(known)]
    if len(matching) != 1:
        fits = f"the languages of {' '.join(matching)}" if matching else "no task's languages"
        raise ParameterError(
            COMMAND,
            "--task",
            f"is needed (xnli or pawsx): the languages {' '.join(sorted(set(codes)))} are {fits}",
        )
    return matching[0]
