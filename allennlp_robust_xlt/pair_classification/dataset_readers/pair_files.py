"""
Reading sentence-pair files line by line, with errors that name the file and the line.

The layouts of the files (and `PairRow`) are `pair_layouts.py`'s; the dataset readers turn the
rows into instances. Reading is lazy (one line at a time) and split in two steps so that
sharding happens before the (comparatively expensive) parsing and tokenization:

1. a `PairSource` yields raw units: `(line_number, raw_bytes)` for one file, a pair of those for
   two parallel files; the reader shards these;
2. `PairSource.parse(unit)` turns one unit into a `PairRow`.

The generalized cross-lingual setting: a path `{split}-{l1}-{l2}.{ext}` that is not a file,
next to the parallel files `{split}-{l1}.{ext}` and `{split}-{l2}.{ext}`, reads the pairs whose
first sentence comes from the `l1` file and second sentence from the `l2` file
(`ParallelSource`). The files must have the same number of lines and the same labels.
"""

import os
import re
from pathlib import Path
from typing import Iterator, Optional, Tuple, Union

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.files import local_input
from allennlp_robust_xlt.common.line_reading import RawLine, numbered_lines
from allennlp_robust_xlt.common.languages import describe_known_codes, is_known_language
from allennlp_robust_xlt.pair_classification.dataset_readers.pair_layouts import (
    XTREME_FILE_NAME,
    PairFileLayout,
    PairRow,
    TsvLayout,
    detect_layout,
)
from allennlp_robust_xlt.tasks import Task

# `{split}-{l1}-{l2}.{ext}`: the generalized cross-lingual setting.
GENERALIZED_FILE_NAME = re.compile(
    r"^(?P<split>[a-z_0-9]+)-(?P<first>[a-z]{2,3})-(?P<second>[a-z]{2,3})\.(?P<ext>tsv|jsonl?)$"
)


class NotParallelError(InputFileError):
    """Two files read as a generalized pair are not parallel (never skipped by `skip_invalid_lines`)."""


class FileSource:
    """
    One file: units are its numbered raw lines, the header already checked and skipped.
    `path` is the name shown in errors and used to detect the layout; the lines are read from
    `local_path` (default `path`), or taken from `lines` (e.g. of an archive member).
    """

    def __init__(
        self, path: str, local_path: Optional[str] = None, lines: Optional[Iterator[RawLine]] = None
    ) -> None:
        self.path = path
        self.local_path = local_path or path
        self._lines = lines if lines is not None else numbered_lines(self.local_path, path)
        first = next(self._lines, None)
        self.layout: PairFileLayout = detect_layout(path, first[1] if first is not None else None)
        if self.layout.has_header:
            if first is None:
                raise InputFileError(
                    path, None, f"file is empty (expected the {self.layout.name} header)"
                )
            self.layout.check_header(first[1])
            self._first: Optional[RawLine] = None
        else:
            if first is None:
                raise InputFileError(path, None, "file is empty (no sentence pairs)")
            self._first = first
            # A header-less TSV file is unlabelled (for prediction) when its first line has no
            # label column; then no line may have one, and the other way round.
            if isinstance(self.layout, TsvLayout):
                if first[1].count(b"\t") == self.layout.num_columns - 2:
                    self.layout = self.layout.without_label()

    def units(self) -> Iterator[RawLine]:
        if self._first is not None:
            yield self._first
        yield from self._lines

    def parse(self, unit: RawLine) -> PairRow:
        line, raw = unit
        return self.layout.parse(raw, line)


class ParallelSource:
    """
    The generalized setting: two parallel files read in lockstep; each unit pairs line `i` of
    both, and a row takes its first sentence from the first file and its second sentence from
    the second. Different lengths or labels raise `NotParallelError` naming the file and line.
    """

    def __init__(
        self,
        path: str,
        first: FileSource,
        second: FileSource,
        first_language: str,
        second_language: str,
    ) -> None:
        self.path = path
        self.first = first
        self.second = second
        self.first_language = first_language
        self.second_language = second_language

    def units(self) -> Iterator[Tuple[RawLine, RawLine]]:
        first_units, second_units = self.first.units(), self.second.units()
        count = 0
        while True:
            first_unit = next(first_units, None)
            second_unit = next(second_units, None)
            if first_unit is None and second_unit is None:
                return
            if first_unit is None or second_unit is None:
                longer, shorter, unit = (
                    (self.second, self.first, second_unit)
                    if first_unit is None
                    else (self.first, self.second, first_unit)
                )
                raise NotParallelError(
                    longer.path,
                    unit[0],  # type: ignore[index]
                    f"not parallel to {shorter.path}, which ends after {count} pairs (the"
                    f" generalized pair {self.first_language}-{self.second_language} needs files of"
                    " the same length)",
                )
            count += 1
            yield first_unit, second_unit

    def parse(self, unit: Tuple[RawLine, RawLine]) -> PairRow:
        first_row = self.first.parse(unit[0])
        second_row = self.second.parse(unit[1])
        # Empty sentences are reported where they are (the reader would name the first file).
        for row, text, name in (
            (first_row, first_row.first, "first"),
            (second_row, second_row.second, "second"),
        ):
            if not text.strip():
                raise InputFileError(row.path, row.line, f"empty {name} sentence")
        if first_row.label != second_row.label:
            raise NotParallelError(
                second_row.path,
                second_row.line,
                f"not parallel to {first_row.path}: label {second_row.label!r} here but"
                f" {first_row.label!r} at its line {first_row.line}",
            )
        return PairRow(
            first=first_row.first,
            second=second_row.second,
            label=first_row.label,
            first_language=self.first_language,
            second_language=self.second_language,
            path=first_row.path,
            line=first_row.line,
        )


PairSource = Union[FileSource, ParallelSource]
"""The units of one input path (after any header, `units()`) and how to parse one (`parse`)."""


def _known_codes(task: Optional[Task]) -> str:
    if task is None:
        return describe_known_codes()
    return describe_known_codes(task.all_languages, f"known {task.name} languages")


def generalized_parts(
    path: str, task: Optional[Task] = None
) -> Optional[Tuple[str, str, str, str]]:
    """
    For a local `path` that does not exist and is named `{split}-{l1}-{l2}.{ext}`: the two
    parallel files and languages `(first_path, second_path, l1, l2)`. `None` for other paths.
    An unknown language code in the name is an error listing the known codes.
    """
    local_path = os.path.expanduser(path)
    if "://" in path or os.path.exists(local_path):
        return None
    match = GENERALIZED_FILE_NAME.match(Path(path).name)
    if not match:
        return None
    for code in (match.group("first"), match.group("second")):
        if not is_known_language(code):
            raise InputFileError(
                path,
                None,
                f"unknown language code {code!r} in the file name of a generalized pair "
                f"({{split}}-{{l1}}-{{l2}}.{match.group('ext')}); {_known_codes(task)}",
            )
    directory = Path(local_path).parent
    split, ext = match.group("split"), match.group("ext")
    parts = []
    for code in (match.group("first"), match.group("second")):
        part = directory / f"{split}-{code}.{ext}"
        if not part.exists():
            raise InputFileError(
                path,
                None,
                "file not found, and the generalized pair"
                f" {match.group('first')}-{match.group('second')} cannot be built from parallel"
                f" files: {part} does not exist",
            )
        parts.append(str(part))
    return parts[0], parts[1], match.group("first"), match.group("second")


def open_source(path: str, task: Optional[Task] = None) -> PairSource:
    """
    The source of one input path: a `FileSource` for a file (a URL is fetched through
    `cached_path`), or a `ParallelSource` for a generalized `{split}-{l1}-{l2}` path that is not
    a file. `task` only selects the language codes listed first in errors.
    """
    if "://" in path:
        return FileSource(path, local_input(path))
    local_path = os.path.expanduser(path)
    if os.path.exists(local_path):
        return FileSource(path, local_path)
    parts = generalized_parts(path, task)
    if parts is not None:
        first_path, second_path, first_language, second_language = parts
        return ParallelSource(
            path, FileSource(first_path), FileSource(second_path), first_language, second_language
        )
    match = XTREME_FILE_NAME.match(Path(path).name)
    unknown = [
        code
        for code in (match.group("lang").split("-") if match else [])
        if not is_known_language(code)
    ]
    if unknown:
        raise InputFileError(
            path,
            None,
            f"file not found ({unknown[0]!r} is not a known language code;"
            f" {_known_codes(task)})",
        )
    return FileSource(path, local_path)  # raises "file not found"
