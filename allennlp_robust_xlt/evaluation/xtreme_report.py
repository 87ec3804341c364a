"""
The logic of `xtreme-report` (the command is `commands/xtreme_report.py`): a model archive's
per-language (and, in the generalized setting, per language pair) scores on a task, computed
with AllenNLP's own `Evaluator` (`evaluation/archive_evaluator.py`) and the archive's validation
reader and data loader settings, loading the model once for all languages; or the same report from
`allennlp evaluate` outputs (`--from-metrics`: `evaluation/metric_files_report.py`). What it
writes: `evaluation/reports.py`. Each task's languages, file names and metrics come from the task
table (`allennlp_robust_xlt/tasks.libsonnet`).
"""

import json
import logging
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from allennlp.common import Params
from allennlp.data import DatasetReader
from allennlp.models.archival import Archive, load_archive

from allennlp_robust_xlt.analysis.per_example import PER_EXAMPLE_DIR
from allennlp_robust_xlt.common.attack_option import parse_attack_option
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.language_selection import load_language_files, select_languages
from allennlp_robust_xlt.common.languages import LANGUAGES, SOURCE_LANGUAGE, is_known_language
from allennlp_robust_xlt.common.output_dir import check_output_dir, staged_write
from allennlp_robust_xlt.evaluation.archive_evaluator import PREDICTIONS_DIR, ArchiveEvaluator
from allennlp_robust_xlt.evaluation.metric_files_report import report_from_metric_files
from allennlp_robust_xlt.evaluation.report_options import (
    COMMAND,
    ArchiveOptions,
    ReportOptions,
    report_metrics,
)
from allennlp_robust_xlt.evaluation.reports import Pair, Report
from allennlp_robust_xlt.tasks import TASKS, Task, get_task, task_for_reader

logger = logging.getLogger(__name__)


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
    metric: Optional[str] = None,
    overrides: str = "",
    weights_file: Optional[str] = None,
    from_metrics: Optional[Sequence[str]] = None,
    source_languages: Optional[Sequence[str]] = None,
    attack: Optional[str] = None,
) -> Report:
    """
    Builds the report (evaluating the archive, or from metric files) and writes it to
    `output_dir`. `attack` is the JSON of an attack evaluator (`embedding_attack`,
    `synonym_attack`): each language is then evaluated clean and under that attack, and the
    report has a column `attacked_<metric>` beside each of the task's metrics.
    """
    attack_params = parse_attack_option(COMMAND, attack)
    options = ReportOptions(
        output_dir=Path(output_dir),
        task=task,
        split=split,
        languages=languages,
        metric=metric,
        source_languages=source_languages,
        force=force,
    )
    check_output_dir(COMMAND, options.output_dir, force)
    if batch_size is not None and batch_size < 1:
        raise ParameterError(COMMAND, "--batch-size", f"must be positive, got {batch_size}")
    if from_metrics:
        if attack_params is not None:
            raise ParameterError(
                COMMAND, "--attack", "needs a model to attack; it does not go with --from-metrics"
            )
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
        return write_metric_files_report(from_metrics, options)
    if not archive_file or not data_dir:
        raise ParameterError(
            COMMAND, "ARCHIVE DATA_DIR", "are both required (or use --from-metrics FILE ...)"
        )
    archive_options = ArchiveOptions(
        archive_file=archive_file,
        data_dir=data_dir,
        generalized=generalized,
        cuda_device=cuda_device,
        batch_size=batch_size,
        overrides=overrides,
        weights_file=weights_file,
        attack=attack_params,
    )
    return write_archive_report(options, archive_options)


def write_metric_files_report(files: Sequence[str], options: ReportOptions) -> Report:
    """The `--from-metrics` mode: the report of `allennlp evaluate` output files, written."""
    report = report_from_metric_files(files, options)
    report.write(options.output_dir)
    return report


def write_archive_report(options: ReportOptions, archive: ArchiveOptions) -> Report:
    """
    The archive mode: the report, per-example results and QA predictions files are written to a
    staging directory beside the output and take their place only once all are written, so an
    error leaves nothing half-written.
    """
    reports: List[Report] = []

    def write(staging: Path) -> List[Path]:
        report = report_from_archive(options, archive, staging / PER_EXAMPLE_DIR)
        if options.source_languages:
            report.source_languages = tuple(options.source_languages)
        reports.append(report)
        written = report.write(staging)
        for directory in (staging / PER_EXAMPLE_DIR, staging / PREDICTIONS_DIR):
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()  # an empty one does not replace the output's
        return written + [p for p in staging.rglob("*") if p.is_file() and p not in written]

    staged_write(options.output_dir, write)
    return reports[0]


def report_from_archive(options: ReportOptions, archive: ArchiveOptions, examples: Path) -> Report:
    """Evaluates the archive; per-example results go to the directory `examples`."""
    data_dir, task, split = archive.data_dir, options.task, options.split
    if not Path(data_dir).is_dir():
        raise ParameterError(COMMAND, "DATA_DIR", f"{data_dir} is not a directory")
    if task is not None:
        check_split(get_task(task, COMMAND), split)
    loaded = load_archive(
        archive.archive_file,
        cuda_device=archive.cuda_device,
        overrides=archive.overrides,
        weights_file=archive.weights_file,
    )
    chosen = TASKS[task] if task is not None else task_of_archive(loaded)
    check_split(chosen, split)
    loaded = with_task_reader(loaded, chosen)
    directory = chosen.task_directory(data_dir)
    load_language_files(Path(data_dir), directory)
    codes = choose_languages(chosen, directory, split, options.languages)
    paths: Dict[str, Path] = {code: directory / chosen.file_name(split, code) for code in codes}
    pair_paths: Dict[Pair, Path] = {}
    if archive.generalized:
        pair_paths = {
            (l1, l2): directory / chosen.file_name(split, f"{l1}-{l2}")
            for l1 in codes
            for l2 in codes
        }
    evaluate = ArchiveEvaluator(loaded, archive.cuda_device, archive.batch_size, archive.attack)
    per_language = {
        code: evaluate(path, examples / f"{code}.jsonl") for code, path in paths.items()
    }
    pairs = {
        pair: evaluate(path, examples / f"{pair[0]}-{pair[1]}.jsonl")
        for pair, path in pair_paths.items()
    }  # a file already evaluated (MLQA's diagonal) is not evaluated again
    metrics = report_metrics(chosen, options.metric, attacked=archive.attack is not None)
    source = str(archive.archive_file)
    if archive.attack is not None:
        source += f", attack {json.dumps(archive.attack, sort_keys=True)}"
    report = Report(chosen.key, split, metrics, source, per_language, pairs)
    report.source_languages = source_languages_of_archive(loaded)
    return report


def with_task_reader(archive: Archive, task: Task) -> Archive:
    """
    The archive, its validation reader of the task's type when the model was trained for another
    task of the same family and labels (a PAN-X model evaluated on MasakhaNER, whose reader reads
    its layout and its DATE as O); otherwise unchanged.
    """
    config = archive.config.as_dict(quiet=True)
    params = config.get("validation_dataset_reader") or config.get("dataset_reader") or {}
    trained = task_for_reader(params.get("type"))
    if trained is None or trained.key == task.key or trained.reader == task.reader:
        return archive
    if (trained.family, trained.labels) != (task.family, task.labels):
        return archive
    reader = DatasetReader.from_params(Params({**params, "type": task.reader}))
    return archive._replace(validation_dataset_reader=reader)


def source_languages_of_archive(archive: Archive) -> Tuple[str, ...]:
    """
    The languages the archive's model was trained on: the dataset names of a multi-source
    `train_data_path` (a dictionary by language), else the languages of its files' names
    (`train-en.tsv`, `translate-train/train-de.tsv`, `eng_Latn/train.tsv`; the files of every
    dataset of another dictionary), else English.
    """
    paths = archive.config.as_dict(quiet=True).get("train_data_path")
    if isinstance(paths, dict):
        if all(is_known_language(key) for key in paths):
            return tuple(paths)
        # Datasets of other tasks (joint intermediate-task training) or parallel data: the
        # languages of the task files among them (a directory of parallel data has no suffix).
        paths = [
            path
            for value in paths.values()
            for path in (value if isinstance(value, list) else [value])
            if Path(str(path)).suffix
        ]
    found = []
    for path in paths if isinstance(paths, list) else [paths]:
        language = Path(str(path)).stem.rsplit("-", 1)[-1]
        if not is_known_language(language):  # `{lang}/{split}.tsv` (SIB-200, MasakhaNER)
            language = Path(str(path)).parent.name
        if is_known_language(language) and language not in found:
            found.append(language)
    return tuple(found) or (SOURCE_LANGUAGE,)


def check_split(task: Task, split: str) -> None:
    if split not in task.files:
        raise ParameterError(
            COMMAND, "--split", f"is {split}, but {task.name} has only {' '.join(task.files)} files"
        )


def task_of_archive(archive: Archive) -> Task:
    """The task whose reader the archive validates with."""
    config = archive.config.as_dict(quiet=True)
    reader = config.get("validation_dataset_reader") or config.get("dataset_reader", {})
    for candidate in (reader, reader.get("base_reader") or {}):
        task = task_for_reader(candidate.get("type"))
        if task is not None and task.family == "retrieval":
            raise ParameterError(
                COMMAND,
                "MODEL",
                f"is a {task.name} model: score it with `xtreme-retrieval MODEL DATA_DIR --task"
                f" {task.key} --output-dir DIR`",
            )
        if task is not None:
            return task
    readers = ", ".join(task.reader for task in TASKS.values())
    raise ParameterError(
        COMMAND,
        "--task",
        f"is needed: the archive's reader ({reader.get('type')}) is not one of {readers}",
    )


def choose_languages(
    task: Task, directory: Path, split: str, languages: Optional[Sequence[str]]
) -> List[str]:
    """
    `--languages` (the task's, or languages of one's own data: local-use codes and those of a
    `languages.tsv`), each of which must have a file; by default the task's languages that have
    one.
    """
    known = task.all_languages
    own = [code for code in languages or () if is_known_language(code) and code not in LANGUAGES]
    codes = select_languages(
        COMMAND,
        languages,
        [*known, *own],
        available=lambda: [c for c in known if (directory / task.file_name(split, c)).is_file()],
        directory=directory,
        files=f"{task.name} {task.file_name(split, '{lang}')} files",
    )
    for code in codes:
        path = directory / task.file_name(split, code)
        if not path.is_file():
            raise InputFileError(
                path, None, f"file not found (needed for the language {code} of --languages)"
            )
    return codes
