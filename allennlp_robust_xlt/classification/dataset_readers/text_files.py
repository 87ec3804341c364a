"""
Reading single-text classification files with errors that name the file and the line.

SIB-200's layout (the release's `data/annotated/{lang}/{train,dev,test}.tsv`, as
`download-xtreme --tasks sib200` writes it under `sib200/{lang}/{split}.tsv`): tab-separated,
written by pandas (`to_csv(sep="\\t")`), so a text that contains a double quote is quoted, with
its quotes doubled. The first line is the header `index_id<TAB>category<TAB>text` (or
`index_id<TAB>text` for a file without labels, e.g. one's own text to predict); then one text
per line. The language is the file's directory (`eng_Latn/test.tsv`), when that is a known code.

`text_rows(lines, path)` turns numbered raw lines (of a file or an archive member) into
`TextRow`s; `file_language(path)` reads the language from the path.
"""

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.languages import is_known_language
from allennlp_robust_xlt.common.line_reading import RawLine, decode_line

LABELLED_HEADER = ("index_id", "category", "text")
UNLABELLED_HEADER = ("index_id", "text")
FLORES_CODE = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")


@dataclass(frozen=True)
class TextRow:
    """One text of a file: its `index_id`, label (None in a file without labels), line and file."""

    example_id: str
    label: Optional[str]
    text: str
    line: int
    path: str


def file_language(path: str) -> Optional[str]:
    """
    The language of a file from its directory (`.../eng_Latn/test.tsv` -> `eng_Latn`); None when
    the directory is no language code. A directory that looks like a Flores-200 code but is not
    a known one is an error (a typo would otherwise be reported under no language).
    """
    directory = Path(path).parent.name
    if is_known_language(directory):
        return directory
    if FLORES_CODE.match(directory):
        raise InputFileError(
            path,
            None,
            f"the directory names the unknown language code {directory!r} (the known codes are"
            " the task table's, allennlp_robust_xlt/tasks.libsonnet)",
        )
    return None


def _columns(text: str) -> list:
    return next(csv.reader([text], delimiter="\t"), [])


def text_rows(lines: Iterable[RawLine], path: str) -> Iterator[TextRow]:
    """The rows of a file's non-blank numbered lines (the header first)."""
    header: Optional[tuple] = None
    for number, raw in lines:
        if not raw.strip():
            continue
        text = decode_line(raw, path, number)
        try:
            columns = _columns(text)
        except csv.Error as error:
            raise InputFileError(path, number, f"badly quoted line ({error})") from None
        if header is None:
            header = tuple(column.strip() for column in columns)
            if header not in (LABELLED_HEADER, UNLABELLED_HEADER):
                raise InputFileError(
                    path,
                    number,
                    "expected the header index_id<TAB>category<TAB>text (SIB-200's layout; or"
                    f" index_id<TAB>text without labels), found {text[:80]!r}",
                )
            continue
        if len(columns) != len(header):
            raise InputFileError(
                path,
                number,
                f"expected {len(header)} tab-separated columns ({', '.join(header)}), found"
                f" {len(columns)}",
            )
        values = dict(zip(header, columns))
        if not values["text"].strip():
            raise InputFileError(path, number, "empty text")
        label = values.get("category")
        yield TextRow(values["index_id"].strip(), label, values["text"], number, path)
    if header is None:
        raise InputFileError(path, None, "file is empty (no header, no texts)")
