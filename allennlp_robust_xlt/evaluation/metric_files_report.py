"""
The `--from-metrics` mode of `xtreme-report`: the report from `allennlp evaluate` output files,
one per language (or language pair), without a model.
"""

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.languages import (
    SOURCE_LANGUAGE,
    check_language_codes,
    is_known_language,
)
from allennlp_robust_xlt.common.line_reading import read_json_file
from allennlp_robust_xlt.evaluation.report_options import COMMAND, ReportOptions, report_metrics
from allennlp_robust_xlt.evaluation.reports import Pair, Report
from allennlp_robust_xlt.tasks import TASKS, Task, evaluated_tasks, get_task, tasks_with_languages

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


def report_from_metric_files(files: Sequence[str], options: ReportOptions) -> Report:
    """The report of `allennlp evaluate` output files (`[LANG=]FILE`, `LANG` or `l1-l2`)."""
    task, languages = options.task, options.languages
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
    metrics = report_metrics(chosen, options.metric)
    report = Report(chosen.key, options.split, metrics, "metric files", per_language, pairs)
    report.source_languages = tuple(options.source_languages or (SOURCE_LANGUAGE,))
    return report


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
