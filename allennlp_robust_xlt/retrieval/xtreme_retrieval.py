"""
The logic of `xtreme-retrieval` (the subcommand is `allennlp_robust_xlt.commands.xtreme_retrieval`):
Tatoeba or BUCC 2018 with an encoder's sentence embeddings, no fine-tuning, and LAReQA or
Mewsli-X with a trained dual encoder's (`dual_encoder_tasks.py`), every language with one model
load. Every input is read and checked before the model is loaded, and the output files
are written only once every language is done.
"""

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.language_selection import select_languages
from allennlp_robust_xlt.common.languages import LANGUAGES, family_groups
from allennlp_robust_xlt.common.output_dir import check_output_dir, staged_write
from allennlp_robust_xlt.common.tables import csv_text, markdown_table
from allennlp_robust_xlt.retrieval.bucc import (
    BUCC_LANGUAGES,
    BUCC_SPLIT_NAMES,
    BuccSplit,
    evaluate_bucc,
    find_bucc_prefix,
    read_bucc_split,
)
from allennlp_robust_xlt.retrieval import dual_encoder_tasks
from allennlp_robust_xlt.retrieval.dual_encoder_tasks import DUAL_ENCODER_TASKS
from allennlp_robust_xlt.retrieval.search import SCORINGS
from allennlp_robust_xlt.retrieval.sentence_encoder import (
    DEFAULT_MAX_LENGTH,
    SENTENCE_POOLINGS,
    load_sentence_encoder,
)
from allennlp_robust_xlt.tasks import TASKS as TASK_TABLE
from allennlp_robust_xlt.retrieval.tatoeba import (
    TATOEBA_LANGUAGES,
    TatoebaPair,
    available_tatoeba_languages,
    evaluate_tatoeba,
    read_tatoeba,
)

logger = logging.getLogger(__name__)

COMMAND = "xtreme-retrieval"
RETRIEVAL_TASKS = ("tatoeba", "bucc2018") + DUAL_ENCODER_TASKS
"""The tasks this command scores (their rows in the task table have `retrieval` settings)."""
TASK_TITLES = {key: TASK_TABLE[key].name for key in RETRIEVAL_TASKS}
TASK_LANGUAGE_TABLES = {
    "tatoeba": TATOEBA_LANGUAGES,
    "bucc2018": BUCC_LANGUAGES,
    **{key: TASK_TABLE[key].languages for key in DUAL_ENCODER_TASKS},
}
METRICS = {
    "tatoeba": ("accuracy_at_1", "accuracy_at_1_reverse"),
    "bucc2018": ("precision", "recall", "f1", "threshold"),
    **{key: TASK_TABLE[key].metrics for key in DUAL_ENCODER_TASKS},
}
PERCENT_METRICS = (
    "accuracy_at_1",
    "accuracy_at_1_reverse",
    "precision",
    "recall",
    "f1",
    "map_at_20",
)
OUTPUT_FILES = ("retrieval.csv", "retrieval.md")
DEFAULT_SCORING = {
    "tatoeba": "cosine",
    "bucc2018": "margin",
    "lareqa": "cosine",
    "mewslix": "cosine",
}
COUNT_COLUMNS = {"lareqa": "questions"}
"""The heading of `retrieval.md`'s count column where it counts other things than sentences
(LAReQA: the questions its figure averages over; the candidates pool every language)."""
PREDICTION_EXTENSIONS = {"mewslix": "json"}
"""XTREME's prediction files (others: `.tsv`)."""
DEFAULT_BATCH_SIZE = 32


@dataclass
class LanguageResult:
    language: str
    metrics: Dict[str, Optional[float]]
    size: int
    prediction_lines: List[str]


@dataclass
class RetrievalReport:
    task: str
    source: str
    layer: int
    pooling: str
    scoring: str
    split: Optional[str]
    results: List[LanguageResult] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def metric_names(self) -> Tuple[str, ...]:
        return METRICS[self.task]

    def csv_text(self) -> str:
        return csv_text(
            ["language", "layer", "pooling", *self.metric_names],
            (
                [result.language, self.layer, self.pooling]
                + [_csv_number(result.metrics.get(name)) for name in self.metric_names]
                for result in self.results
            ),
        )

    def markdown(self) -> str:
        split = f" {self.split}" if self.split else ""
        lines = [
            f"## {TASK_TITLES[self.task]}{split} — {self.source}",
            "",
            f"Layer {self.layer} (Hugging Face `hidden_states` numbering), {self.pooling} pooling,"
            f" {self.scoring} scoring; {', '.join(self.metric_names)}"
            + (" (P/R/F1 in %)" if self.task == "bucc2018" else " in %"),
            "",
        ]
        rows = []
        for result in self.results:
            language = LANGUAGES.get(result.language)
            name, family = (language.name, language.family) if language else (result.language, "")
            cells = [format_metric(n, result.metrics.get(n)) for n in self.metric_names]
            rows.append([result.language, name, family, result.size, *cells])
        for label, codes in self.summary_groups():
            cells = [
                format_metric(name, self.average(name, codes)) if name in PERCENT_METRICS else ""
                for name in self.metric_names
            ]
            rows.append([f"**{label}**", " ".join(codes), "", "", *cells])
        header = [
            "language",
            "name",
            "family",
            COUNT_COLUMNS.get(self.task, "sentences"),
            *self.metric_names,
        ]
        lines += markdown_table(header, rows, "lllr" + "r" * len(self.metric_names))
        if self.notes:
            lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines)

    def summary_groups(self) -> List[Tuple[str, List[str]]]:
        codes = [result.language for result in self.results]
        if len(codes) < 2:
            return []
        groups = [("average", codes)]
        groups += [
            (f"{family} family", members)
            for family, members in family_groups(codes).items()
            if len(members) > 1
        ]
        return groups

    def average(self, metric: str, codes: Sequence[str]) -> Optional[float]:
        values = [result.metrics.get(metric) for result in self.results if result.language in codes]
        if any(value is None for value in values) or not values:
            return None
        return sum(values) / len(values)  # type: ignore[arg-type]

    def files(self) -> Dict[str, str]:
        """Relative path -> content of every output file."""
        files = {"retrieval.csv": self.csv_text(), "retrieval.md": self.markdown() + "\n"}
        split = self.split or "test"
        for result in self.results:
            extension = PREDICTION_EXTENSIONS.get(self.task, "tsv")
            path = f"predictions/{self.task}/{split}-{result.language}.{extension}"
            files[path] = "".join(f"{line}\n" for line in result.prediction_lines)
        return files


def _csv_number(value: Optional[float]) -> str:
    return "" if value is None else repr(value)


def format_metric(name: str, value: Optional[float]) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if name in PERCENT_METRICS:
        return f"{100 * value:.2f}"
    return f"{value:.4f}"


def write_files(output_dir: Path, files: Dict[str, str]) -> List[Path]:
    """Every file (relative path -> text) written in a staging directory, then moved in place."""

    def write(staging: Path) -> List[Path]:
        written = []
        for relative, content in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            written.append(path)
        return written

    return staged_write(output_dir, write)


def task_directory(data_dir: Path, task: str) -> Path:
    if not data_dir.is_dir():
        raise ParameterError(COMMAND, "DATA_DIR", f"{data_dir} is not a directory")
    return data_dir / task if (data_dir / task).is_dir() else data_dir


def choose_languages(
    task: str, directory: Path, languages: Optional[Sequence[str]], split: str
) -> List[str]:
    return select_languages(
        COMMAND,
        languages,
        TASK_LANGUAGE_TABLES[task],
        available=lambda: languages_with_files(task, directory, split),
        directory=directory,
        files=f"{TASK_TITLES[task]} files",
    )


def languages_with_files(task: str, directory: Path, split: str) -> List[str]:
    if task == "tatoeba":
        return available_tatoeba_languages(directory)
    if task in DUAL_ENCODER_TASKS:
        return dual_encoder_tasks.available_languages(task, directory, split)
    known = TASK_LANGUAGE_TABLES[task]
    return [code for code in known if find_bucc_prefix(directory, code, split) is not None]


def xtreme_retrieval(
    model: str,
    data_dir: str,
    task: str,
    output_dir: str,
    layer: Optional[int] = None,
    pooling: Optional[str] = None,
    scoring: Optional[str] = None,
    languages: Optional[Sequence[str]] = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    cuda_device: int = -1,
    split: Optional[str] = None,
    force: bool = False,
    max_length: int = DEFAULT_MAX_LENGTH,
) -> RetrievalReport:
    """
    Evaluates `model` on every language of the task in `data_dir` and writes `retrieval.csv`,
    `retrieval.md` and the predictions (XTREME's format) under `predictions/` of `output_dir`.
    """
    output = Path(output_dir)
    check_output_dir(COMMAND, output, force)
    if task not in RETRIEVAL_TASKS:
        raise ParameterError(
            COMMAND, "--task", f"must be one of {', '.join(RETRIEVAL_TASKS)}, got {task!r}"
        )
    scoring = scoring or DEFAULT_SCORING[task]
    if pooling is not None and pooling not in SENTENCE_POOLINGS:
        raise ParameterError(COMMAND, "--pooling", f"must be one of {', '.join(SENTENCE_POOLINGS)}")
    if scoring not in SCORINGS:
        raise ParameterError(COMMAND, "--scoring", f"must be one of {', '.join(SCORINGS)}")
    for parameter, value in (("--batch-size", batch_size), ("--max-length", max_length)):
        if value < 1:
            raise ParameterError(COMMAND, parameter, f"must be positive, got {value}")
    if layer is not None and layer < 0:
        raise ParameterError(
            COMMAND, "--layer", f"must be 0 (the embedding output) or more, got {layer}"
        )
    if task == "tatoeba" and split is not None:
        raise ParameterError(COMMAND, "--split", "applies to bucc2018 only (Tatoeba has one split)")
    if task == "bucc2018":
        split = split or "test"
        if split not in BUCC_SPLIT_NAMES:
            raise ParameterError(COMMAND, "--split", f"must be dev or test, got {split!r}")
    if task in DUAL_ENCODER_TASKS:
        split = split or "test"
        if split not in dual_encoder_tasks.SPLITS[task]:
            raise ParameterError(
                COMMAND,
                "--split",
                f"must be one of {', '.join(dual_encoder_tasks.SPLITS[task])} for {task},"
                f" got {split!r}",
            )
        if scoring != "cosine":
            raise ParameterError(COMMAND, "--scoring", f"must be cosine for {task} (XTREME-R's)")

    directory = task_directory(Path(data_dir), task)
    codes = choose_languages(task, directory, languages, split or "test")
    # Read and check every input before the model is loaded.
    tatoeba_data: Dict[str, TatoebaPair] = {}
    bucc_data: Dict[str, Tuple[BuccSplit, BuccSplit]] = {}
    for code in codes if task not in DUAL_ENCODER_TASKS else []:
        if task == "tatoeba":
            tatoeba_data[code] = read_tatoeba(directory, code)
        else:
            bucc_data[code] = read_bucc_splits(directory, code, split or "test")
    if task in DUAL_ENCODER_TASKS:
        inputs = dual_encoder_tasks.read_inputs(task, directory, codes, split or "test")

    encoder = load_sentence_encoder(model, cuda_device=cuda_device)
    # The model's own sentence embedding (LaBSE, e5), else XTREME's pooling for the task.
    pooling = pooling or encoder.default_pooling(task)
    if layer is None:
        # The dual encoder is trained on its last layer.
        layer = encoder.num_layers if task in DUAL_ENCODER_TASKS else encoder.default_layer(task)
        logger.info("layer %d (default for %s on %s)", layer, encoder.known_as or model, task)
    encoder.check_layers([layer])
    report = RetrievalReport(task, str(model), layer, pooling, scoring, split)
    if task in DUAL_ENCODER_TASKS:
        for code, metrics, size, lines in dual_encoder_tasks.evaluate(
            task, encoder, inputs, codes, layer, pooling, batch_size
        ):
            report.results.append(LanguageResult(code, metrics, size, lines))
    for code in codes if task not in DUAL_ENCODER_TASKS else []:
        logger.info("%s: %s", TASK_TITLES[task], code)
        if task == "tatoeba":
            result = evaluate_tatoeba(
                encoder, tatoeba_data[code], layer, pooling, scoring, batch_size, max_length
            )
            report.results.append(
                LanguageResult(
                    code, dict(result.metrics), result.size, [str(i) for i in result.predictions]
                )
            )
        else:
            evaluated, tuning = bucc_data[code]
            bucc = evaluate_bucc(
                encoder, evaluated, tuning, layer, pooling, scoring, batch_size, max_length
            )
            report.results.append(
                LanguageResult(code, bucc.metrics, bucc.size, [f"{a}\t{b}" for a, b in bucc.pairs])
            )
            if evaluated.gold is None:
                report.notes.append(
                    f"{code}: {evaluated.source.path.name} has no gold file; the threshold from"
                    f" {tuning.source.path.name} extracted {len(bucc.pairs)} pairs,"
                    f" written to predictions/bucc2018/{split}-{code}.tsv"
                )
    if task == "bucc2018":
        report.notes.insert(
            0,
            "The threshold maximises F1 on the dev (sample) split's gold"
            + (" and is applied to the test split." if split == "test" else " (XTREME's figures)."),
        )
    write_files(output, report.files())
    return report


def read_bucc_splits(directory: Path, language: str, split: str) -> Tuple[BuccSplit, BuccSplit]:
    """(the evaluated split, the split whose gold chooses the threshold: dev)."""
    tuning = read_bucc_split(directory, language, "dev")
    if tuning.gold is None:
        raise InputFileError(
            Path(f"{find_bucc_prefix(directory, language, 'dev')}.gold"),
            None,
            "not found: the threshold is chosen on the dev (sample) split's gold pairs",
        )
    evaluated = tuning if split == "dev" else read_bucc_split(directory, language, split)
    return evaluated, tuning
