"""
Reading parallel text (English sentences and their translations) line by line, with errors that
name the file and the line. The `parallel_sentences` dataset reader turns its `ParallelRow`s
into instances; analyses of alignment can read the same files with `parallel_rows`.

A path is a file or a directory; in a directory every file of a layout below is read (sorted by
name), other files are left aside, and a `.tsv` file that fits none is an error.

* **Moses** (OPUS, Europarl, Tatoeba): `{l1}-{l2}.{l1}` with `{l1}-{l2}.{l2}`, optionally
  after a prefix (`europarl-v7.de-en.de`) and gzipped (`.gz`): line i of one file translates
  line i of the other.
* **TSV pairs**: `{l1}-{l2}.tsv` (optionally after a prefix): a line is the `l1` sentence, a tab,
  the `l2` sentence.
* **XNLI 15-way** (`xnli.15way.orig.tsv`; any `.tsv` whose first line is only language codes,
  English among them): a line holds one sentence per language, in the header's order; it gives
  a pair per non-English column.
* **XTREME translate-train**: a `.tsv` of five columns (`en-{lang}-translated.tsv`,
  `train-{lang}.tsv`): the English sentence pair, its translation, the label; a row is a pair
  of *sentence pairs*.

One of the two languages of a file must be English (`SOURCE_LANGUAGE`); language codes are the
plugin's (`allennlp_robust_xlt/common/languages.py`), or their ISO 639-3 codes as in Tatoeba's
`tatoeba.deu-eng.deu`. Two Moses files of different lengths are an error naming both and the
first line where one of them has ended. A pair with an empty side (a blank line, usual in
OPUS) is skipped and counted. Byte-order marks, CRLF endings and gzip are read as everywhere
(`common/line_reading.py`); invalid UTF-8 is an error on its line.

Reading is lazy and in two steps, so that sharding happens before parsing: `ParallelFile.units()`
yields raw units (numbered lines, or numbered pairs of lines), `ParallelFile.parse(unit)` turns
one into `ParallelRow`s.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.languages import (
    LANGUAGES,
    SOURCE_LANGUAGE,
    is_known_language,
)
from allennlp_robust_xlt.common.line_reading import RawLine, decode_line, raw_lines

Text = Union[str, Tuple[str, str]]
"""A sentence, or a sentence pair (translate-train files of pair tasks)."""

MOSES_FILE_NAME = re.compile(
    r"^(?:(?P<prefix>.+)\.)?(?P<first>[a-z]{2,3})-(?P<second>[a-z]{2,3})\.(?P<side>[a-z]{2,3})"
    r"(?:\.gz)?$"
)
TSV_PAIRS_FILE_NAME = re.compile(
    r"^(?:(?P<prefix>.+)\.)?(?P<first>[a-z]{2,3})-(?P<second>[a-z]{2,3})\.tsv(?:\.gz)?$"
)
TRANSLATIONS_FILE_NAME = re.compile(
    r"^(?:en-(?P<translated>[a-z]{2,3})-translated|[a-z_0-9]+-(?P<lang>[a-z]{2,3}))\.tsv(?:\.gz)?$"
)
TSV_SUFFIXES = (".tsv", ".tsv.gz")
TRANSLATION_COLUMNS = 5


@dataclass(frozen=True)
class ParallelRow:
    """An English text and its translation, and where they came from."""

    english: Text
    translation: Text
    language: str
    """The translation's language."""
    path: str
    line: int

    @property
    def is_pair(self) -> bool:
        """Whether the texts are sentence pairs (a pair task's translate-train file)."""
        return isinstance(self.english, tuple)


def language_code(code: str) -> Optional[str]:
    """The plugin's code of `code` (itself when known, or the language of an ISO 639-3 code)."""
    if is_known_language(code):
        return code
    return _ISO639_3.get(code)


_ISO639_3: Dict[str, str] = {
    language.iso639_3: code for code, language in LANGUAGES.items() if language.iso639_3
}
_ISO639_3.setdefault("eng", SOURCE_LANGUAGE)


def _english_and_other(path: str, first: str, second: str) -> Tuple[str, str, str]:
    """`(english code as written, other code as written, other language)` of a file's two codes."""
    codes = {written: language_code(written) for written in (first, second)}
    unknown = [written for written, code in codes.items() if code is None]
    if unknown:
        raise InputFileError(
            path, None, f"unknown language code {unknown[0]!r} in the name of a parallel file"
        )
    english = [written for written, code in codes.items() if code == SOURCE_LANGUAGE]
    if len(english) != 1 or first == second:
        raise InputFileError(
            path,
            None,
            f"a parallel file must pair English ({SOURCE_LANGUAGE}) with one other language;"
            f" its name pairs {first} and {second}",
        )
    other = second if english[0] == first else first
    return english[0], other, codes[other]  # type: ignore[return-value]


class ParallelFile:
    """One source of parallel rows: its raw units and how to parse one."""

    path: str
    language: Optional[str] = None
    """The translations' language, when the file has one (all but the 15-way file)."""

    def units(self) -> Iterator[object]:
        raise NotImplementedError

    def parse(self, unit: object) -> List[ParallelRow]:
        raise NotImplementedError


class MosesFiles(ParallelFile):
    """Two line-aligned files; `path` names the English one."""

    def __init__(self, english_path: str, other_path: str, language: str) -> None:
        self.path = english_path
        self.other_path = other_path
        self.language = language

    def units(self) -> Iterator[Tuple[int, bytes, bytes]]:
        english_lines = raw_lines(self.path)
        other_lines = raw_lines(self.other_path)
        count = 0
        while True:
            english = next(english_lines, None)
            other = next(other_lines, None)
            if english is None and other is None:
                return
            if english is None or other is None:
                longer, shorter = (
                    (self.other_path, self.path)
                    if english is None
                    else (self.path, self.other_path)
                )
                raise InputFileError(
                    longer,
                    count + 1,
                    f"the parallel files differ in length: {shorter} ends after line {count},"
                    f" {longer} goes on at line {count + 1}",
                )
            count += 1
            yield count, english[1], other[1]

    def parse(self, unit: object) -> List[ParallelRow]:
        line, english, other = unit  # type: ignore[misc]
        english_text = decode_line(english, self.path, line).strip()
        other_text = decode_line(other, self.other_path, line).strip()
        if not english_text or not other_text:
            return []
        return [ParallelRow(english_text, other_text, self.language, self.path, line)]  # type: ignore[arg-type]


class TsvFile(ParallelFile):
    """The tab-separated layouts: sentence pairs, XNLI's 15-way file, XTREME's translations."""

    def __init__(
        self,
        path: str,
        kind: str,
        columns: int,
        english_column: int = 0,
        languages: Sequence[Optional[str]] = (),
        language: Optional[str] = None,
        header: bool = False,
    ) -> None:
        self.path = path
        self.kind = kind
        self.columns = columns
        self.english_column = english_column
        self.languages = list(languages)
        self.language = language
        self.header = header

    def units(self) -> Iterator[RawLine]:
        for number, raw in raw_lines(self.path):
            if (self.header and number == 1) or not raw.strip():
                continue
            yield number, raw

    def parse(self, unit: object) -> List[ParallelRow]:
        line, raw = unit  # type: ignore[misc]
        columns = decode_line(raw, self.path, line).split("\t")
        if len(columns) != self.columns:
            raise InputFileError(
                self.path,
                line,
                f"expected {self.columns} tab-separated columns ({self.kind} layout), found"
                f" {len(columns)}",
            )
        columns = [column.strip() for column in columns]
        if self.kind == "XTREME translate-train":
            english, translation = (columns[0], columns[1]), (columns[2], columns[3])
            if not all(english) or not all(translation):
                return []
            return [ParallelRow(english, translation, self.language, self.path, line)]  # type: ignore[arg-type]
        english_text = columns[self.english_column]
        rows = []
        for index, (text, language) in enumerate(zip(columns, self.languages)):
            if index == self.english_column or language is None:
                continue
            if english_text and text:
                rows.append(ParallelRow(english_text, text, language, self.path, line))
        return rows


def _first_line(path: str) -> Optional[List[str]]:
    for number, raw in raw_lines(path):
        if raw.strip():
            return decode_line(raw, path, number).split("\t")
    return None


def _tsv_file(path: str) -> TsvFile:
    """The layout of a `.tsv` file, from its first line and name."""
    first = _first_line(path)
    if first is None:
        raise InputFileError(path, None, "file is empty (no parallel sentences)")
    codes = [language_code(column.strip()) for column in first]
    if len(first) > 2 and all(codes) and SOURCE_LANGUAGE in codes:
        return TsvFile(
            path,
            "XNLI 15-way",
            len(first),
            english_column=codes.index(SOURCE_LANGUAGE),
            languages=codes,
            header=True,
        )
    name = Path(path).name
    if len(first) == TRANSLATION_COLUMNS:
        match = TRANSLATIONS_FILE_NAME.match(name)
        written = (match.group("translated") or match.group("lang")) if match else None
        language = language_code(written) if written else None
        if language is None:
            raise InputFileError(
                path,
                None,
                "a file of XTREME's translations (five columns) needs the language in its name:"
                " en-{lang}-translated.tsv or train-{lang}.tsv",
            )
        return TsvFile(path, "XTREME translate-train", TRANSLATION_COLUMNS, language=language)
    match = TSV_PAIRS_FILE_NAME.match(name)
    if len(first) == 2 and match:
        english, _, language = _english_and_other(path, match.group("first"), match.group("second"))
        column = 0 if english == match.group("first") else 1
        languages = [None, None]
        languages[1 - column] = language  # type: ignore[call-overload]
        return TsvFile(
            path, "TSV pairs", 2, english_column=column, languages=languages, language=language
        )
    raise InputFileError(
        path,
        1,
        f"not a parallel file: {len(first)} tab-separated column(s). Parallel TSV files are"
        " {l1}-{l2}.tsv with two columns, XNLI's 15-way file (a header of language codes) or"
        " XTREME's five-column translations (the English pair, its translation, the label);"
        " a translate-train file of three columns has no English side",
    )


def _moses_partner(path: Path) -> Optional[MosesFiles]:
    """The Moses pair a file `{prefix.}{l1}-{l2}.{side}` belongs to (from its English side)."""
    match = MOSES_FILE_NAME.match(path.name)
    if match is None or match.group("side") not in (match.group("first"), match.group("second")):
        return None
    english, other, language = _english_and_other(
        str(path), match.group("first"), match.group("second")
    )
    prefix = f"{match.group('prefix')}." if match.group("prefix") else ""
    gz = ".gz" if path.name.endswith(".gz") else ""
    stem = f"{prefix}{match.group('first')}-{match.group('second')}"
    english_path = path.with_name(f"{stem}.{english}{gz}")
    other_path = path.with_name(f"{stem}.{other}{gz}")
    for part in (english_path, other_path):
        if not part.is_file():
            raise InputFileError(
                part, None, f"file not found: the Moses pair of {path.name} needs it"
            )
    return MosesFiles(str(english_path), str(other_path), language)


def parallel_files(path: Union[str, Path]) -> List[ParallelFile]:
    """The parallel sources of a file or a directory (see the module docstring)."""
    location = Path(path).expanduser()
    if location.is_dir():
        found: List[ParallelFile] = []
        seen = set()
        for entry in sorted(location.iterdir()):
            if not entry.is_file():
                continue
            moses = _moses_partner(entry) if not entry.name.endswith(TSV_SUFFIXES) else None
            if moses is not None:
                if moses.path not in seen:
                    seen.add(moses.path)
                    found.append(moses)
            elif entry.name.endswith(TSV_SUFFIXES):
                found.append(_tsv_file(str(entry)))
        if not found:
            raise InputFileError(
                path,
                None,
                "has no parallel files (Moses {l1}-{l2}.{l1} with {l1}-{l2}.{l2}, {l1}-{l2}.tsv,"
                " xnli.15way.orig.tsv, or XTREME's five-column translate-train files)",
            )
        return found
    if not location.exists():
        raise InputFileError(path, None, "file not found")
    if location.name.endswith(TSV_SUFFIXES):
        return [_tsv_file(str(location))]
    moses = _moses_partner(location)
    if moses is None:
        raise InputFileError(
            path,
            None,
            "not a parallel file: expected a Moses file {l1}-{l2}.{l1} (beside {l1}-{l2}.{l2}) or a"
            " .tsv file",
        )
    return [moses]


def parallel_rows(path: Union[str, Path]) -> Iterator[ParallelRow]:
    """Every row of the parallel files of `path`, in order (no sharding)."""
    for source in parallel_files(path):
        for unit in source.units():
            yield from source.parse(unit)
