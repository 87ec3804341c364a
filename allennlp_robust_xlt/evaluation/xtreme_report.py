"""
The logic of `xtreme-report` (the command is `commands/xtreme_report.py`): a model archive's
per-language (and, in the generalized setting, per language pair) scores on a task, computed
with AllenNLP's own `Evaluator` and the archive's validation reader and data loader settings,
loading the model once for all languages; or the same report from `allennlp evaluate` outputs.
What it writes: `evaluation/reports.py`. Each task's languages, file names and metrics come from
the task table (`allennlp_robust_xlt/tasks.libsonnet`).
"""

import json
import logging
import os
import re
import shutil
import tempfile
from copy import deepcopy
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from allennlp.common import Params
from allennlp.common.util import prepare_environment
from allennlp.data import DataLoader, DatasetReader
from allennlp.evaluation import Evaluator, SimpleEvaluator
from allennlp.models.archival import Archive, load_archive

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.languages import (
    LANGUAGES,
    SOURCE_LANGUAGE,
    check_language_codes,
    is_known_language,
    load_language_file,
)
from allennlp_robust_xlt.analysis.per_example import (
    EXAMPLE_FIELDS,
    check_reproduces,
    read_per_example,
    recipe_for,
    write_per_example,
)
from allennlp_robust_xlt.common.line_reading import read_json_file
from allennlp_robust_xlt.evaluation.attack_evaluation import ATTACKED_PREFIX, AttackEvaluator
from allennlp_robust_xlt.evaluation.per_example import PerExampleSerializer, answers_of
from allennlp_robust_xlt.evaluation.reports import Pair, Report
from allennlp_robust_xlt.rc.tools.squad_evaluation import write_predictions_file
from allennlp_robust_xlt.tasks import (
    TASKS,
    Task,
    evaluated_tasks,
    get_task,
    task_for_reader,
    tasks_with_languages,
)

logger = logging.getLogger(__name__)

COMMAND = "xtreme-report"
LANGUAGE_FILE = "languages.tsv"
PER_EXAMPLE_DIR = "per_example"
PREDICTIONS_DIR = "predictions"


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
    attack_params = parse_attack(attack)
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
        report = report_from_metric_files(from_metrics, task, split, metric, languages)
        report.source_languages = tuple(source_languages or (SOURCE_LANGUAGE,))
        report.write(output)
        return report
    if not archive_file or not data_dir:
        raise ParameterError(
            COMMAND, "ARCHIVE DATA_DIR", "are both required (or use --from-metrics FILE ...)"
        )
    # Per-example results (and QA predictions files) go to a scratch directory beside the output
    # and take their place only once the whole report is written: an error leaves nothing
    # half-written.
    created = not output.exists()
    output.absolute().parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.absolute().parent))
    try:
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
            scratch / PER_EXAMPLE_DIR,
            attack_params,
        )
        if source_languages:
            report.source_languages = tuple(source_languages)
        report.write(output)
        for name in (PER_EXAMPLE_DIR, PREDICTIONS_DIR):
            if (scratch / name).is_dir() and any((scratch / name).iterdir()):
                shutil.rmtree(output / name, ignore_errors=True)
                os.replace(scratch / name, output / name)
    except BaseException:
        if created:
            shutil.rmtree(output, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
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
    metric: Optional[str],
    overrides: str,
    weights_file: Optional[str],
    examples: Path,
    attack: Optional[Dict[str, Any]] = None,
) -> Report:
    """Evaluates the archive; per-example results go to the directory `examples`."""
    if not Path(data_dir).is_dir():
        raise ParameterError(COMMAND, "DATA_DIR", f"{data_dir} is not a directory")
    if task is not None:
        check_split(get_task(task, COMMAND), split)
    archive = load_archive(
        archive_file, cuda_device=cuda_device, overrides=overrides, weights_file=weights_file
    )
    chosen = TASKS[task] if task is not None else task_of_archive(archive)
    check_split(chosen, split)
    archive = with_task_reader(archive, chosen)
    directory = chosen.task_directory(data_dir)
    for language_file in dict.fromkeys([Path(data_dir) / LANGUAGE_FILE, directory / LANGUAGE_FILE]):
        if language_file.is_file():
            load_language_file(language_file)
    codes = choose_languages(chosen, directory, split, languages)
    paths: Dict[str, Path] = {code: directory / chosen.file_name(split, code) for code in codes}
    pair_paths: Dict[Pair, Path] = {}
    if generalized:
        pair_paths = {
            (l1, l2): directory / chosen.file_name(split, f"{l1}-{l2}")
            for l1 in codes
            for l2 in codes
        }
    evaluate = ArchiveEvaluator(archive, cuda_device, batch_size, attack)
    per_language = {
        code: evaluate(path, examples / f"{code}.jsonl") for code, path in paths.items()
    }
    pairs = {
        pair: evaluate(path, examples / f"{pair[0]}-{pair[1]}.jsonl")
        for pair, path in pair_paths.items()
    }  # a file already evaluated (MLQA's diagonal) is not evaluated again
    metrics = report_metrics(chosen, metric, attacked=attack is not None)
    source = str(archive_file)
    if attack is not None:
        source += f", attack {json.dumps(attack, sort_keys=True)}"
    report = Report(chosen.key, split, metrics, source, per_language, pairs)
    report.source_languages = source_languages_of_archive(archive)
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


def report_metrics(task: Task, metric: Optional[str], attacked: bool = False) -> List[str]:
    """
    The report's columns: the chosen metric (default: the task's), then the task's others; with
    an attack, each of the task's metrics is followed by its `attacked_` counterpart.
    """
    chosen = metric or task.metric
    names = [chosen] + [name for name in task.metrics if name != chosen]
    if not attacked:
        return names
    columns: List[str] = []
    for name in names:
        columns.append(name)
        if not name.startswith(ATTACKED_PREFIX):
            columns.append(ATTACKED_PREFIX + name)
    return list(dict.fromkeys(columns))


def parse_attack(attack: Optional[str]) -> Optional[Dict[str, Any]]:
    """The `--attack` JSON: an object naming a registered attack evaluator in `type`."""
    if attack is None:
        return None
    try:
        params = json.loads(attack)
    except json.JSONDecodeError as error:
        raise ParameterError(COMMAND, "--attack", f"is not valid JSON: {error.msg}") from None
    if not isinstance(params, dict) or "type" not in params:
        raise ParameterError(
            COMMAND,
            "--attack",
            'must be a JSON object with the evaluator\'s "type" (e.g. {"type":'
            ' "embedding_attack", "epsilon": 0.5}), got ' + attack,
        )
    registered = Evaluator.list_available()
    evaluator = Evaluator.by_name(params["type"]) if params["type"] in registered else None
    if evaluator is None or not issubclass(evaluator, AttackEvaluator):  # type: ignore[arg-type]
        raise ParameterError(
            COMMAND,
            "--attack",
            f"names {params['type']!r}, which is not an attack evaluator (embedding_attack,"
            " synonym_attack)",
        )
    return params


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
    if languages:
        own = [code for code in languages if is_known_language(code) and code not in LANGUAGES]
        codes = list(dict.fromkeys(languages))
        check_language_codes(codes, [*known, *own], COMMAND, "--languages")
        for code in codes:
            path = directory / task.file_name(split, code)
            if not path.is_file():
                raise InputFileError(
                    path, None, f"file not found (needed for the language {code} of --languages)"
                )
        return codes
    codes = [code for code in known if (directory / task.file_name(split, code)).is_file()]
    if not codes:
        raise InputFileError(
            directory,
            None,
            f"has no {task.file_name(split, '{lang}')} file for any {task.name} language"
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
    """
    AllenNLP's `Evaluator` on the archive's model, with its validation reader and data loader
    settings; the archive's evaluator (its config's `evaluation`), or `attack`'s.
    """

    def __init__(
        self,
        archive: Archive,
        cuda_device: int,
        batch_size: Optional[int],
        attack: Optional[Dict[str, Any]] = None,
    ) -> None:
        config = deepcopy(archive.config)
        prepare_environment(config)
        self.model = archive.model
        self.model.eval()
        evaluator_params = config.pop("evaluation", {})
        if attack is not None:
            evaluator_params = Params(deepcopy(attack))
        evaluator_params["cuda_device"] = cuda_device
        self.evaluator = Evaluator.from_params(evaluator_params)
        # Per-example results (for intervals over test examples) where the model gives them and
        # the evaluator is AllenNLP's plain one or writes them itself (the attack evaluators);
        # others write their own predictions.
        writes_them = getattr(self.evaluator, "writes_per_example_results", False)
        self.per_example = (type(self.evaluator) is SimpleEvaluator or writes_them) and hasattr(
            self.model, "per_example_results"
        )
        if self.per_example and not writes_them:
            self.evaluator.batch_serializer = PerExampleSerializer(self.model)
        self.evaluated: Dict[Path, Tuple[Dict[str, Any], Optional[Path]]] = {}
        self.reader = archive.validation_dataset_reader
        loader = config.get("validation_data_loader", None) or config.get("data_loader")
        self.loader_params: Dict[str, Any] = loader.as_dict(quiet=True)
        if batch_size is not None:
            if "batch_sampler" in self.loader_params:
                self.loader_params["batch_sampler"]["batch_size"] = batch_size
            else:
                self.loader_params["batch_size"] = batch_size

    def __call__(self, path: Path, examples: Optional[Path] = None) -> Dict[str, Any]:
        if path in self.evaluated:  # the same file again: its metrics and per-example results
            metrics, earlier = self.evaluated[path]
            if earlier is not None and examples is not None and earlier.is_file():
                shutil.copyfile(earlier, examples)
                answers = _answer_file(earlier)
                if answers.is_file():
                    shutil.copyfile(answers, _answer_file(examples))
            return dict(metrics)
        metrics = self.evaluate(path, examples)
        self.evaluated[path] = (metrics, examples)
        return dict(metrics)

    def evaluate(self, path: Path, examples: Optional[Path] = None) -> Dict[str, Any]:
        logger.info("evaluating on %s", path)
        data_loader = DataLoader.from_params(
            params=Params(deepcopy(self.loader_params)), reader=self.reader, data_path=str(path)
        )
        data_loader.index_with(self.model.vocab)
        predictions = None
        if self.per_example and examples is not None:
            examples.parent.mkdir(parents=True, exist_ok=True)
            predictions = examples
        metrics = dict(self.evaluator(self.model, data_loader, predictions_output_file=predictions))
        if predictions is not None:
            write_answer_file(predictions)
            tidy_per_example(predictions, metrics)
        return metrics


def write_answer_file(examples: Path) -> None:
    """
    When the per-example results of `per_example/{lang}.jsonl` have an `answer` (QA), the
    SQuAD-style predictions file `{question id: answer}` that the official SQuAD / MLQA scripts
    read, beside it as `predictions/{lang}.json`.
    """
    answers = answers_of(examples)
    if answers is not None:
        _answer_file(examples).parent.mkdir(exist_ok=True)
        write_predictions_file(_answer_file(examples), answers)


def _answer_file(examples: Path) -> Path:
    """`predictions/{lang}.json` for `per_example/{lang}.jsonl` (both in the same directory)."""
    return examples.parent.parent / PREDICTIONS_DIR / f"{examples.stem}.json"


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
    metric: Optional[str],
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
        metrics = read_json_file(path)
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
    chosen = (
        get_task(task, COMMAND)
        if task is not None
        else guess_task(
            list(per_language) + [code for pair in pairs for code in pair],
            [*per_language.values(), *pairs.values()],
        )
    )
    if languages:
        keep = set(
            check_language_codes(list(languages), chosen.all_languages, COMMAND, "--languages")
        )
        per_language = {code: value for code, value in per_language.items() if code in keep}
        pairs = {pair: value for pair, value in pairs.items() if set(pair) <= keep}
        if not per_language:
            raise ParameterError(COMMAND, "--languages", "leaves none of the metric files")
    metrics = report_metrics(chosen, metric)
    return Report(chosen.key, split, metrics, "metric files", per_language, pairs)


def guess_task(codes: Sequence[str], evaluations: Sequence[Dict[str, Any]] = ()) -> Task:
    """The one task with all these languages (and, among several, whose metric they all have)."""
    evaluated = evaluated_tasks()
    matching = [task.key for task in tasks_with_languages(codes) if task.key in evaluated]
    with_metric = [
        key for key in matching if all(TASKS[key].metric in metrics for metrics in evaluations)
    ]
    if len(matching) > 1 and with_metric:
        matching = with_metric
    if len(matching) != 1:
        fits = f"the languages of {' '.join(matching)}" if matching else "no task's languages"
        raise ParameterError(
            COMMAND,
            "--task",
            f"is needed: the languages {' '.join(sorted(set(codes)))} are {fits}",
        )
    return TASKS[matching[0]]


def tidy_per_example(path: Path, metrics: Dict[str, Any]) -> None:
    """
    Rewrites the evaluator's per-example lines (in batch order, with whatever the model adds)
    as `analysis/per_example.py` defines them: the id and the result fields, in the
    order of the ids, checked to reproduce every metric they can.
    """
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    known = {field for fields in EXAMPLE_FIELDS.values() for field in fields}
    known |= {ATTACKED_PREFIX + field for field in known}
    numeric = [
        {key: value for key, value in record.items() if key == "id" or key in known}
        for record in records
    ]
    numeric.sort(key=lambda record: _sort_key(record["id"]))
    write_per_example(path, numeric)
    written = read_per_example(path)
    for metric, value in metrics.items():
        if isinstance(value, (int, float)) and recipe_for(metric, written.values) is not None:
            check_reproduces(written, metric, float(value), "the evaluation")


def _sort_key(example_id: Any) -> Tuple[int, Any]:
    text = str(example_id)
    return (0, int(text)) if text.isdigit() else (1, text)
