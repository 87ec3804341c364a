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
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import _jsonnet

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.common.languages import SOURCE_LANGUAGE, is_known_language

TABLE = Path(__file__).with_name("tasks.libsonnet")

FAMILIES = ("pair_classification", "tagging", "rc", "mc", "retrieval")
"""The task-family packages, as allennlp-models names them."""

BENCHMARKS = ("xtreme", "xtreme-r")


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
    """The extension of its files `{directory}/{split}-{lang}{extension}`."""
    train_languages: Tuple[str, ...]
    """Languages with a training file in XTREME's layout."""
    metrics: Tuple[str, ...]
    """The metrics XTREME reports for it, as fractions (the names of the model's metrics)."""
    metric: str
    """The default metric (tables, model selection)."""
    training: Mapping[str, Any]
    """XTREME's (or the reference's) training settings, read by the configs."""
    download: Optional[Download]
    # Optional fields (a row may leave them out; `OPTIONAL_FIELDS` has their defaults).
    split_names: Mapping[str, str] = dataclass_field(default_factory=dict)
    """The release's name of a split where it differs from ours (`train`, `dev`, `test`):
    XCOPA's dev files are `val-{lang}.jsonl`, so its row has `{dev: 'val'}`."""
    file_pattern: str = "{split}-{lang}{extension}"
    """File names under the task's directory, `{split}` being the release's split name."""

    @property
    def all_languages(self) -> Tuple[str, ...]:
        """Every test language in XTREME or XTREME-R, XTREME's order first."""
        extra = [code for code in self.xtreme_r_languages if code not in self.languages]
        return self.languages + tuple(extra)

    @property
    def target_languages(self) -> Tuple[str, ...]:
        """The zero-shot languages: every test language but the source language."""
        return tuple(code for code in self.all_languages if code != SOURCE_LANGUAGE)

    def canonical_label(self, label: str) -> Optional[str]:
        """The label a released spelling means, or None if it is not one of the task's labels."""
        label = self.label_aliases.get(label, label)
        return label if label in self.labels else None

    def file_name(self, split: str, language: str) -> str:
        """`{split}-{language}{extension}` (or the row's `file_pattern` with its `split_names`);
        `language` may be a pair `l1-l2`."""
        return self.file_pattern.format(
            split=self.split_names.get(split, split), lang=language, extension=self.extension
        )

    def task_directory(self, data_dir: Union[str, Path]) -> Path:
        """The task's directory: `data_dir/{directory}` when `data_dir` is the data root."""
        root = Path(data_dir)
        return root / self.directory if (root / self.directory).is_dir() else root

    def file_path(self, data_dir: Union[str, Path], split: str, language: str) -> Path:
        return self.task_directory(data_dir) / self.file_name(split, language)


OPTIONAL_FIELDS: Dict[str, Any] = {"split_names": {}, "file_pattern": "{split}-{lang}{extension}"}
"""The fields a row may leave out, and their defaults."""

SPLITS = ("train", "dev", "test")


def _task(key: str, row: Dict[str, Any]) -> Task:
    def fail(problem: str) -> ParameterError:
        return ParameterError(str(TABLE), key, problem)

    fields = set(Task.__dataclass_fields__) - {"key"}
    row = {**OPTIONAL_FIELDS, **row}
    missing, unknown = fields - set(row), set(row) - fields
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
    if not set(row["split_names"]) <= set(SPLITS):
        raise fail(f"split_names {row['split_names']} must rename splits among {SPLITS}")
    if "{split}" not in row["file_pattern"]:
        raise fail(f"file_pattern {row['file_pattern']!r} must contain {{split}}")
    download = row["download"]
    if download is not None:
        keys = set(download) - {"recipe", "sources", "manual", "by_default"}
        if keys or not set(download.get("manual", {})) <= set(download["sources"]):
            raise fail(
                f"download has unknown fields {sorted(keys)} or manual sources that are not"
                " among its sources"
            )
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
        split_names=dict(row["split_names"]),
        file_pattern=row["file_pattern"],
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
    return next((task for task in TASKS.values() if task.reader == reader_type), None)


def tasks_with_languages(codes: Sequence[str]) -> List[Task]:
    """The tasks whose test languages include every code."""
    return [task for task in TASKS.values() if set(codes) <= set(task.all_languages)]
