"""
The tasks the plugin serves, read from the one table `tasks.libsonnet` beside this module (which
the training configs import too). Each row becomes a `Task`; see its fields for what a row holds.

```python
from allennlp_robust_xlt.tasks import TASKS, get_task
xnli = TASKS["xnli"]
xnli.languages            # ('en', 'ar', ...): test languages, the source language first
xnli.file_path("data/xtreme", "test", "de")   # data/xtreme/xnli/test-de.tsv
```
"""

import json
import re
import dataclasses
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import _jsonnet

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.common.languages import is_known_language, is_source_language

TABLE = Path(__file__).with_name("tasks.libsonnet")

FAMILIES = ("pair_classification", "classification", "tagging", "rc", "mc", "retrieval")
"""The task-family packages, as allennlp-models names them."""

BENCHMARKS = ("xtreme", "xtreme-r")

SPLITS = ("train", "dev", "test")

FILE_PLACEHOLDERS = ("{split}", "{lang}", "{question}", "{context}")
"""What a `files` pattern may contain: the split, the language (or `l1-l2` pair) as given, and for
tasks whose files name two languages, the pair's first (`{question}`) and second (`{context}`)."""

DEFAULT_INPUTS = ("first input", "second input")

# Row fields that may be left out, and their defaults (None: computed, see `_task`).
OPTIONAL_FIELDS: Dict[str, Any] = {
    "files": None,
    "scoring": None,
    "inputs": list(DEFAULT_INPUTS),
    "retrieval": {},
    "note": "",
}


@dataclass(frozen=True)
class Download:
    """How `download-xtreme` gets a task: a recipe (a function of the task's family package,
    registered under this name) and the addresses of the official releases it reads, by source
    name (each becomes a `--{source}-url` option that takes a mirror or a local archive)."""

    recipe: str
    sources: Mapping[str, str]
    manual: Mapping[str, str] = dataclass_field(default_factory=dict)
    """Sources without a working official address (their address is empty): the user passes a
    copy with `--{source}-url`; the text says where to get one."""
    by_default: bool = True
    """Whether a `download-xtreme` run without `--tasks` includes the task."""


@dataclass(frozen=True)
class Task:
    key: str
    """XTREME's name of the task (`xnli`, `pawsx`, `udpos`, ...): `--task` values, config names."""
    name: str
    """Display name (`XNLI`, `PAWS-X`)."""
    family: str
    """The task-family package that holds its code (one of `FAMILIES`)."""
    benchmarks: Tuple[str, ...]
    """The benchmarks it is part of: `xtreme`, `xtreme-r`."""
    languages: Tuple[str, ...]
    """XTREME's test languages, the source language first (XTREME-R's when only in XTREME-R)."""
    xtreme_r_languages: Tuple[str, ...]
    """XTREME-R's test languages (empty when the task is not in XTREME-R)."""
    labels: Tuple[str, ...]
    """The label set (classification, tagging); empty for span and retrieval tasks."""
    label_aliases: Mapping[str, str]
    """Other spellings of labels in released files, and the label they mean."""
    reader: str
    """The registered name of its dataset reader."""
    directory: str
    """Its directory under the data root (XTREME's layout)."""
    extension: str
    """The extension of its files (`.tsv`, `.json`, ...)."""
    train_languages: Tuple[str, ...]
    """Languages with a training file in XTREME's layout."""
    metrics: Tuple[str, ...]
    """The metrics XTREME reports for it, as fractions (the names of the model's metrics)."""
    metric: str
    """The default metric (tables, model selection)."""
    training: Mapping[str, Any]
    """XTREME's (or the reference's) training settings, read by the configs."""
    download: Optional[Download]
    files: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """
    Optional in a row: its file names under `directory`, by split (`{"test": "xquad.{lang}.json"}`),
    or one pattern for every split; placeholders `FILE_PLACEHOLDERS`. Default
    `{split}-{lang}{extension}` (XTREME's `test-de.tsv`). A split without an entry has no files.
    """
    scoring: Optional[str] = None
    """
    Optional: the official script that scores it, when the family has several (QA: `squad`,
    SQuAD v1.1's English normalisation; `mlqa`, MLQA's normalisation of the context's language).
    """
    inputs: Tuple[str, str] = DEFAULT_INPUTS
    """Optional: what the two inputs of a language pair are (generalized reports: rows, columns)."""
    retrieval: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """
    Optional: the settings of a retrieval task scored without fine-tuning (`xtreme-retrieval`):
    `pooling`, `layers` (XTREME's layer of known models), and the task's file facts.
    """

    note: str = ""
    """Optional: how the task is scored where that departs from its release (shown in reports)."""

    def __post_init__(self) -> None:
        if not self.files:
            default = "{split}-{lang}" + self.extension
            object.__setattr__(self, "files", {split: default for split in SPLITS})

    @property
    def all_languages(self) -> Tuple[str, ...]:
        """Every test language in XTREME or XTREME-R, XTREME's order first."""
        extra = [code for code in self.xtreme_r_languages if code not in self.languages]
        return self.languages + tuple(extra)

    @property
    def target_languages(self) -> Tuple[str, ...]:
        """The zero-shot languages: every test language but the source language (English: `en`,
        or its code in the task's release, such as SIB-200's `eng_Latn`)."""
        return tuple(code for code in self.all_languages if not is_source_language(code))

    def canonical_label(self, label: str) -> Optional[str]:
        """The label a released spelling means, or None if it is not one of the task's labels."""
        label = self.label_aliases.get(label, label)
        return label if label in self.labels else None

    def file_pattern(self, split: str) -> str:
        """The split's file-name pattern, or a `ParameterError` naming the splits that have files."""
        if split not in self.files:
            raise ParameterError(
                self.name,
                "split",
                f"is {split!r}, but {self.name} has files for {' '.join(self.files)} only",
            )
        return self.files[split]

    def file_name(self, split: str, language: str) -> str:
        """
        The file of `split` in `language` under the task's directory (`test-de.tsv`,
        `xquad.de.json`, ...). `language` may be a pair `l1-l2`: `{lang}` is then `l1-l2`
        (`test-de-fr.tsv`), `{question}` l1 and `{context}` l2 (MLQA's
        `test-context-fr-question-de.json`); a single language fills all three.
        """
        first, _, second = language.partition("-")
        name = self.file_pattern(split)
        for placeholder, value in (
            ("{split}", split),
            ("{lang}", language),
            ("{question}", first),
            ("{context}", second or first),
        ):
            name = name.replace(placeholder, value)
        return name

    def match_file(self, path: Union[str, Path]) -> Optional[Tuple[str, str, str]]:
        """
        `(split, first language, second language)` if `path` ends like one of the task's file
        names (its last components, or else its file name alone), else None. A pattern without
        a language has the task's first language; a single language is both.
        """
        parts = Path(path).parts
        for split, pattern in self.files.items():
            components = pattern.split("/")
            for tail in (components, components[-1:]):
                if len(parts) < len(tail):
                    continue
                found = _file_regex("/".join(tail), split).fullmatch("/".join(parts[-len(tail) :]))
                if found is None:
                    continue
                values = found.groupdict()
                lang = values.get("lang") or self.languages[0]
                first, _, second = lang.partition("-")
                first = values.get("question") or first
                second = values.get("context") or second or first
                return split, first, second
        return None

    def task_directory(self, data_dir: Union[str, Path]) -> Path:
        """The task's directory: `data_dir/{directory}` when `data_dir` is the data root."""
        root = Path(data_dir)
        return root / self.directory if (root / self.directory).is_dir() else root

    def file_path(self, data_dir: Union[str, Path], split: str, language: str) -> Path:
        return self.task_directory(data_dir) / self.file_name(split, language)


_CODE = r"[A-Za-z]{2,3}(?:_[A-Z][a-z]{3})?"


def _file_regex(pattern: str, split: str) -> "re.Pattern[str]":
    """A regular expression for the file names of `pattern` in `split`, languages as groups."""
    groups = {"lang": f"{_CODE}(?:-{_CODE})?", "question": _CODE, "context": _CODE}
    regex, seen = "", set()
    for piece in re.split(r"(\{[a-z]+\})", pattern):
        name = piece[1:-1]
        if piece == "{split}":
            regex += re.escape(split)
        elif piece.startswith("{") and name in groups:
            regex += f"(?P={name})" if name in seen else f"(?P<{name}>{groups[name]})"
            seen.add(name)
        else:
            regex += re.escape(piece)
    return re.compile(regex)


def _files(row: Dict[str, Any], fail: Any) -> Dict[str, str]:
    files = row.get("files")
    if files is None:
        files = "{split}-{lang}" + row["extension"]
    patterns = {split: files for split in SPLITS} if isinstance(files, str) else files
    if not isinstance(patterns, dict) or not patterns:
        raise fail(f"files must be a pattern or an object split -> pattern, got {files!r}")
    for split, pattern in patterns.items():
        if split not in SPLITS or not isinstance(pattern, str):
            raise fail(f"files: {split!r} -> {pattern!r} must map one of {SPLITS} to a pattern")
        unknown = set(re.findall(r"\{[^}]*\}", pattern)) - set(FILE_PLACEHOLDERS)
        if unknown:
            raise fail(f"files: {pattern!r} has unknown placeholders {sorted(unknown)}")
    return dict(patterns)


def _task(key: str, row: Dict[str, Any]) -> Task:
    def fail(problem: str) -> ParameterError:
        return ParameterError(str(TABLE), key, problem)

    fields = set(Task.__dataclass_fields__) - {"key"}
    missing, unknown = fields - set(row) - set(OPTIONAL_FIELDS), set(row) - fields
    if missing or unknown:
        raise fail(f"row has missing fields {sorted(missing)} / unknown fields {sorted(unknown)}")
    if row["family"] not in FAMILIES:
        raise fail(f"family {row['family']!r} is not one of {FAMILIES}")
    if not set(row["benchmarks"]) <= set(BENCHMARKS):
        raise fail(f"benchmarks {row['benchmarks']} must be among {BENCHMARKS}")
    for field in ("languages", "xtreme_r_languages", "train_languages"):
        unknown_codes = [code for code in row[field] if not is_known_language(code)]
        if unknown_codes:
            raise fail(f"{field} has unknown language codes {unknown_codes}")
    if row["metric"] not in row["metrics"]:
        raise fail(f"default metric {row['metric']!r} is not one of its metrics {row['metrics']}")
    aliases = row["label_aliases"]
    if any(target not in row["labels"] for target in aliases.values()):
        raise fail(f"label_aliases {aliases} must map to labels {row['labels']}")
    download = row["download"]
    if download is not None:
        keys = set(download) - {"recipe", "sources", "manual", "by_default"}
        if keys or not set(download.get("manual", {})) <= set(download["sources"]):
            raise fail(
                f"download has unknown fields {sorted(keys)} or manual sources that are not"
                " among its sources"
            )
    inputs = row.get("inputs", OPTIONAL_FIELDS["inputs"])
    if not (isinstance(inputs, list) and len(inputs) == 2):
        raise fail(f"inputs must name the two inputs of a language pair, got {inputs!r}")
    return Task(
        key=key,
        name=row["name"],
        family=row["family"],
        benchmarks=tuple(row["benchmarks"]),
        languages=tuple(row["languages"]),
        xtreme_r_languages=tuple(row["xtreme_r_languages"]),
        labels=tuple(row["labels"]),
        label_aliases=dict(aliases),
        reader=row["reader"],
        directory=row["directory"],
        extension=row["extension"],
        train_languages=tuple(row["train_languages"]),
        metrics=tuple(row["metrics"]),
        metric=row["metric"],
        training=dict(row["training"]),
        download=(
            Download(
                download["recipe"],
                dict(download["sources"]),
                dict(download.get("manual", {})),
                bool(download.get("by_default", True)),
            )
            if download is not None
            else None
        ),
        files=_files(row, fail),
        scoring=row.get("scoring"),
        inputs=(inputs[0], inputs[1]),
        retrieval=dict(row.get("retrieval", {})),
        note=str(row.get("note", "")),
    )


def load_tasks(path: Union[str, Path] = TABLE) -> Dict[str, Task]:
    rows = json.loads(_jsonnet.evaluate_file(str(path)))
    return {key: _task(key, row) for key, row in rows.items()}


TASKS: Dict[str, Task] = load_tasks()
"""Every task, by XTREME name, in the table's order."""


def get_task(key: str, component: str = "task", parameter: str = "--task") -> Task:
    """The task named `key`, or a `ParameterError` listing the known tasks."""
    if key not in TASKS:
        raise ParameterError(
            component, parameter, f"names the unknown task {key!r}; known: {' '.join(TASKS)}"
        )
    return TASKS[key]


def task_for_reader(reader_type: Optional[str]) -> Optional[Task]:
    """The task whose registered reader is `reader_type`."""
    if not reader_type:
        return None
    return next((task for task in TASKS.values() if task.reader == reader_type), None)


def evaluated_tasks() -> List[str]:
    """
    The tasks a model is trained and evaluated on with a dataset reader (`xtreme-report`); not
    retrieval, which `xtreme-retrieval` scores (LAReQA and Mewsli-X have training readers).
    """
    return [key for key, task in TASKS.items() if task.reader and task.family != "retrieval"]


def tasks_with_languages(codes: Sequence[str]) -> List[Task]:
    """The tasks whose test languages include every code."""
    return [task for task in TASKS.values() if set(codes) <= set(task.all_languages)]
