"""The inputs of `xtreme-alignment`: the models, the languages and their parallel sentences."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from allennlp_robust_xlt.analysis.compare.inputs import ALIGNMENT_COLUMNS
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.language_selection import load_language_files, select_languages
from allennlp_robust_xlt.common.languages import SOURCE_LANGUAGE, is_known_language
from allennlp_robust_xlt.retrieval.tatoeba import available_tatoeba_languages, read_tatoeba
from allennlp_robust_xlt.tasks import TASKS, Task

COMMAND = "xtreme-alignment"
METRICS: Tuple[str, ...] = ALIGNMENT_COLUMNS[3:]
"""`cos_parallel, cos_random, cos_gap, p_at_1, p_at_1_reverse, cka` (xtreme-compare's columns)."""
ATTACKED_PREFIX = "attacked_"
SUMMARY_METRICS = ("cos_gap", "p_at_1", "p_at_1_reverse", "cka", "cos_parallel", "cos_random")
"""The order of the summary's columns: the gap and retrieval first."""

# TASK TABLE: the tasks whose files give parallel sentences. Pair-classification tasks' test and
# dev files are parallel line by line across languages (XNLI 15-way, PAWS-X); Tatoeba's pairs
# are read by `retrieval/tatoeba.py`.
PAIR_FAMILY = "pair_classification"
TATOEBA = "tatoeba"
PARALLEL_SENTENCE = "first"
"""Which sentence of a pair file's line is the parallel sentence (`PairRow.first`)."""
LAYER_TASK = "tatoeba"
"""The default summary layer is XTREME's retrieval layer for this task."""

DEFAULT_TASK = "xnli"
DEFAULT_SPLIT = "test"
DEFAULT_POOLING = "mean"
DEFAULT_BATCH_SIZE = 32
OUTPUT_FILES = (
    "alignment.csv",
    "alignment.md",
    "alignment.json",
    "alignment_layers.png",
    "alignment_languages.png",
)
_NAME = re.compile(r"^[A-Za-z0-9_.#+-]+$")


def alignment_tasks() -> List[str]:
    """The `--task` choices: the pair-classification tasks of the table, and Tatoeba."""
    return [key for key, task in TASKS.items() if task.family == PAIR_FAMILY] + [TATOEBA]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    """The name in the `model` column (`NAME` of `NAME=MODEL`, else the model as given)."""
    model: str


def parse_model_specs(specs: Sequence[str]) -> List[ModelSpec]:
    """`NAME=MODEL` or `MODEL` arguments; a name given twice is an error."""
    parsed = []
    for spec in specs:
        name, separator, model = spec.partition("=")
        if separator and name and model and _NAME.match(name) and not Path(spec).exists():
            parsed.append(ModelSpec(name, model))
        else:
            parsed.append(ModelSpec(spec, spec))
    seen: Dict[str, str] = {}
    for spec_ in parsed:
        if spec_.name in seen:
            raise ParameterError(
                COMMAND,
                "MODEL",
                f"names {spec_.name!r} twice ({seen[spec_.name]} and {spec_.model}); give each"
                " model its own NAME=MODEL (seeds of one method as NAME#0, NAME#1, ...)",
            )
        seen[spec_.name] = spec_.model
    if not parsed:
        raise ParameterError(COMMAND, "MODEL", "needs at least one model")
    return parsed


# -- parallel data ------------------------------------------------------------------------------


@dataclass
class ParallelSet:
    """One language's parallel sentences with English."""

    language: str
    english: List[str]
    """Every English sentence of `english_path` (shared by the languages of a pair task)."""
    rows: List[int]
    """The kept pairs: indices into `english` (and into the foreign file's lines)."""
    foreign: List[str]
    """The kept foreign sentences, aligned with `rows`."""
    english_path: Path
    foreign_path: Path
    skipped: int = 0
    """Pairs left out because a sentence repeated an earlier one (or was empty)."""

    @property
    def size(self) -> int:
        return len(self.rows)

    def english_sentences(self) -> List[str]:
        return [self.english[row] for row in self.rows]


def keep_distinct(english: Sequence[str], foreign: Sequence[str]) -> List[int]:
    """The indices of the pairs whose two sentences are non-empty and appear in no earlier kept pair."""
    seen_english, seen_foreign, kept = set(), set(), []
    for index, (first, second) in enumerate(zip(english, foreign)):
        if not first.strip() or not second.strip():
            continue
        if first in seen_english or second in seen_foreign:
            continue
        seen_english.add(first)
        seen_foreign.add(second)
        kept.append(index)
    return kept


def read_pair_sentences(path: Path) -> Tuple[List[str], List[int]]:
    """The first sentence of every line of a pair-classification file, and each one's line number."""
    from allennlp_robust_xlt.pair_classification.dataset_readers.pair_files import FileSource

    source = FileSource(str(path))
    rows = [source.parse(unit) for unit in source.units()]
    return [getattr(row, PARALLEL_SENTENCE) for row in rows], [row.line for row in rows]


def read_parallel_sets(
    task: Task, data_dir: Path, split: str, languages: Sequence[str]
) -> List[ParallelSet]:
    """Every language's parallel set (all read and checked before any model is loaded)."""
    directory = task.task_directory(data_dir)
    sets = []
    if task.key == TATOEBA:
        for code in languages:
            pair = read_tatoeba(directory, code)
            rows = keep_distinct(pair.english, pair.foreign)
            sets.append(
                ParallelSet(
                    code,
                    pair.english,
                    rows,
                    [pair.foreign[row] for row in rows],
                    pair.english_path,
                    pair.foreign_path,
                    len(pair.english) - len(rows),
                )
            )
        return sets
    english_path = directory / task.file_name(split, SOURCE_LANGUAGE)
    if not english_path.is_file():
        raise InputFileError(
            english_path, None, "file not found (the English side of every parallel set)"
        )
    english, english_lines = read_pair_sentences(english_path)
    for code in languages:
        path = directory / task.file_name(split, code)
        if not path.is_file():
            raise InputFileError(path, None, f"file not found (needed for the language {code})")
        foreign, foreign_lines = read_pair_sentences(path)
        if len(foreign) != len(english):
            longer, lines, shorter, count = (
                (path, foreign_lines, english_path, len(english))
                if len(foreign) > len(english)
                else (english_path, english_lines, path, len(foreign))
            )
            raise InputFileError(
                longer,
                lines[count],
                f"has no parallel line in {shorter}, which ends after {count} sentence pairs"
                f" (the {task.name} {split} files of all languages must be line-aligned"
                " translations)",
            )
        rows = keep_distinct(english, foreign)
        if len(rows) < 2:
            raise InputFileError(
                path, None, f"has {len(rows)} distinct parallel sentences; at least 2 are needed"
            )
        sets.append(
            ParallelSet(
                code,
                english,
                rows,
                [foreign[row] for row in rows],
                english_path,
                path,
                len(english) - len(rows),
            )
        )
    return sets


def choose_languages(
    task: Task, data_dir: Path, split: str, languages: Optional[Sequence[str]]
) -> List[str]:
    """
    `--languages` (known or local-use codes, not English), or by default every language with a
    file: the task's, in the table's order, then others (e.g. the synthetic benchmark's `qaa`...).
    """
    directory = task.task_directory(data_dir)
    load_language_files(data_dir, directory)
    if languages and SOURCE_LANGUAGE in languages:
        raise ParameterError(
            COMMAND,
            "--languages",
            f"lists {SOURCE_LANGUAGE}, the language every other is compared with",
        )
    return select_languages(
        COMMAND,
        languages,
        [code for code in task.all_languages if code != SOURCE_LANGUAGE],
        available=lambda: languages_with_files(task, directory, split),
        directory=directory,
        files=f"{task.name} files",
        accept=is_known_language,
    )


def languages_with_files(task: Task, directory: Path, split: str) -> List[str]:
    """The languages other than English that have a file of `split` in `directory`."""
    if task.key == TATOEBA:
        return available_tatoeba_languages(directory)
    codes = [
        code
        for code in task.all_languages
        if code != SOURCE_LANGUAGE and (directory / task.file_name(split, code)).is_file()
    ]
    others = set()
    for path in directory.iterdir() if directory.is_dir() else ():
        found = task.match_file(path.name)
        if found is None or found[0] != split or found[1] != found[2]:
            continue
        code = found[1]
        if code != SOURCE_LANGUAGE and code not in codes and is_known_language(code):
            others.add(code)
    return codes + sorted(others)
