"""
The layouts of sentence-pair files: how one line becomes a `PairRow`, and which layout a file has
(`detect_layout`; reading the files is `pair_files.py`'s).

Layouts are found by one mechanism, the table `TSV_LAYOUTS` (see `detect_layout`): a file
whose first line is the header of a layout in the table has that layout; a file whose *name*
belongs to a layout with a header but whose first line is not that header is an error; any
other `.tsv` has XTREME's header-less layout (3 columns, or 2 without labels), or that of XTREME's
translate-train files if its first line has 5 columns (the English pair first: `PairRow`'s
`source_first`/`source_second`); `.jsonl`/`.json` files are JSON lines.

| layout | file names | header | sentence 1, sentence 2, label | language |
|---|---|---|---|---|
| XTREME | `{split}-{lang}.tsv` | none | columns 1, 2, 3 | file name |
| XTREME translations | `{split}-{lang}.tsv`, `en-{lang}-translated.tsv` | none, 5 columns | 3, 4, 5 | file name |
| XNLI-1.0 | `xnli.{dev,test}.tsv` | `language gold_label ...` | `sentence1`, `sentence2`, `gold_label` | column |
| XNLI-MT-1.0 | `multinli.train.{lang}.tsv` | `premise hypo label` | `premise`, `hypo`, `label` | file name |
| PAWS-X | `x-final/{lang}/{train,dev_2k,test_2k}.tsv` | `id sentence1 sentence2 label` | same names | directory |
| JSON lines | `*.jsonl`, `*.json` | none | `premise`, `hypothesis` (or `sentence1/2`), `label` | key or name |

Byte-order marks and CRLF line endings are accepted; invalid UTF-8 is an error on its line.
"""

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Optional, Pattern, Tuple, Union

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.line_reading import decode_line
from allennlp_robust_xlt.common.languages import is_known_language

# `{split}-{lang}.tsv` as written by XTREME's download scripts (lang may be a pair: `de-fr`).
XTREME_FILE_NAME = re.compile(
    r"^(?P<split>[a-z_0-9]+)-(?P<lang>[a-z]{2,3}(?:-[a-z]{2,3})?)\.(?P<ext>tsv|jsonl?)$"
)
JSON_EXTENSIONS = (".jsonl", ".json")


@dataclass(frozen=True)
class PairRow:
    """One labelled (or unlabelled) sentence pair and where it came from."""

    first: str
    second: str
    label: Optional[str]
    first_language: Optional[str]
    second_language: Optional[str]
    path: str
    line: int
    source_first: Optional[str] = None
    """The English original of `first`, in files of translations (XTREME's translate-train)."""
    source_second: Optional[str] = None


def languages_from_file_name(path: str) -> Tuple[Optional[str], Optional[str]]:
    """
    `.../test-de.tsv` -> `("de", "de")`, `.../test-de-fr.tsv` -> `("de", "fr")`, `(None, None)`
    when the name does not follow XTREME's layout or names a code that is not a known language
    (so that `my-run.tsv` does not claim to be in the language `run`).
    """
    match = XTREME_FILE_NAME.match(Path(path).name)
    if not match:
        return None, None
    codes = match.group("lang").split("-")
    if not all(is_known_language(code) for code in codes):
        return None, None
    return codes[0], codes[-1]


@dataclass(frozen=True)
class TsvLayout:
    """
    A tab-separated layout bound to one file (`TsvLayoutSpec.bind`), quoting off (texts contain
    `"`): `first, second[, label]` by column position, the languages from a column or fixed for
    the file.
    """

    name: str
    path: str
    first: int
    second: int
    label: Optional[int]
    num_columns: int
    language_column: Optional[int] = None
    header: Optional[Tuple[str, ...]] = None
    language: Optional[str] = None
    second_language: Optional[str] = None
    source_columns: Optional[Tuple[int, int]] = None
    unlabelled: bool = False
    """An unlabelled file of a header-less layout: the last (label) column is left out."""

    @property
    def has_header(self) -> bool:
        return self.header is not None

    def check_header(self, raw: bytes) -> None:
        """Called with the first line of files that have a header."""
        found = decode_line(raw, self.path, 1).split("\t")
        if self.header is not None and found != list(self.header):
            raise InputFileError(
                self.path, 1, f"expected the {self.name} header {list(self.header)}, found {found}"
            )

    def without_label(self) -> "TsvLayout":
        """The same layout for an unlabelled file, which leaves the last (label) column out."""
        if self.label != self.num_columns - 1 or self.has_header:
            return self
        return replace(self, label=None, num_columns=self.num_columns - 1, unlabelled=True)

    def parse(self, raw: bytes, line: int) -> PairRow:
        columns = decode_line(raw, self.path, line).split("\t")
        expected = self.num_columns
        if len(columns) != expected:
            why = ", without labels as the file's first line" if self.unlabelled else ""
            raise InputFileError(
                self.path,
                line,
                f"expected {expected} tab-separated columns ({self.name} layout{why}), found"
                f" {len(columns)}",
            )
        label = (
            columns[self.label] if self.label is not None and self.label < len(columns) else None
        )
        if self.language_column is not None:
            first_language = second_language = columns[self.language_column]
        else:
            first_language, second_language = self.language, self.second_language
        sources = (
            (columns[self.source_columns[0]], columns[self.source_columns[1]])
            if self.source_columns is not None
            else (None, None)
        )
        return PairRow(
            first=columns[self.first],
            second=columns[self.second],
            label=label,
            first_language=first_language,
            second_language=second_language,
            path=self.path,
            line=line,
            source_first=sources[0],
            source_second=sources[1],
        )


class JsonLinesLayout:
    """One JSON object per line with `premise`/`hypothesis` (or `sentence1`/`sentence2`)."""

    KEY_PAIRS = (("premise", "hypothesis"), ("sentence1", "sentence2"))
    LABEL_KEYS = ("label", "gold_label")
    name = "JSON lines"
    has_header = False

    def __init__(
        self, path: str, language: Optional[str] = None, second_language: Optional[str] = None
    ) -> None:
        self.path = path
        self.language = language
        self.second_language = second_language if second_language is not None else language

    def parse(self, raw: bytes, line: int) -> PairRow:
        text = decode_line(raw, self.path, line)
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputFileError(
                self.path, line, f"invalid JSON: {error.msg} at column {error.colno}"
            ) from None
        if not isinstance(record, dict):
            raise InputFileError(
                self.path, line, f"expected a JSON object, found {type(record).__name__}"
            )
        return self.row_from_json(record, self.path, line, self.language, self.second_language)

    @classmethod
    def row_from_json(
        cls,
        record: dict,
        path: str,
        line: Optional[int],
        language: Optional[str] = None,
        second_language: Optional[str] = None,
    ) -> PairRow:
        """
        The pair of one JSON object. Its `language` (or `premise_language` and
        `hypothesis_language`) keys win over the languages given (those of the file name).
        """
        for first_key, second_key in cls.KEY_PAIRS:
            if first_key in record and second_key in record:
                break
        else:
            raise InputFileError(
                path,
                line,
                f"expected keys premise/hypothesis or sentence1/sentence2, found {sorted(record)}",
            )
        for key in (first_key, second_key):
            if not isinstance(record[key], str):
                raise InputFileError(
                    path, line, f"'{key}' must be a string, found {type(record[key]).__name__}"
                )
        label = next((record[key] for key in cls.LABEL_KEYS if record.get(key) is not None), None)
        if second_language is None:
            second_language = language
        if "language" in record:
            language = second_language = record["language"]
        return PairRow(
            first=record[first_key],
            second=record[second_key],
            label=None if label is None else str(label),
            first_language=record.get("premise_language", language),
            second_language=record.get("hypothesis_language", second_language),
            path=path,
            line=line,  # type: ignore[arg-type]
        )


# -- the table of layouts --------------------------------------------------------------------


def _language_from_directory(path: str) -> Tuple[Optional[str], Optional[str]]:
    code = Path(path).parent.name
    return (code, code) if is_known_language(code) else (None, None)


def _language_from_pattern(
    pattern: Pattern,
) -> Callable[[str], Tuple[Optional[str], Optional[str]]]:
    def language(path: str) -> Tuple[Optional[str], Optional[str]]:
        match = pattern.match(Path(path).name)
        code = match.group("lang") if match else None
        return (code, code) if code is not None and is_known_language(code) else (None, None)

    return language


@dataclass(frozen=True)
class TsvLayoutSpec:
    """
    One row of the layout table. `columns` are the column names in order: the release's header
    for layouts that have one, our own names for header-less ones. `first`, `second`, `label`
    and `language` name the columns that hold them; without a `language` column the languages
    come from `language_of(path)`. A first line that holds the first column's name and all
    the named columns is this layout's header; the positions are then taken from that line,
    so extra or reordered columns in a release do not matter.
    """

    name: str
    file_name: Pattern
    columns: Tuple[str, ...]
    has_header: bool
    first: str
    second: str
    label: str
    language: Optional[str]
    language_of: Callable[[str], Tuple[Optional[str], Optional[str]]]
    sources: Optional[Tuple[str, str]] = None
    """The columns of the English originals, in files of translations."""

    @property
    def required_columns(self) -> Tuple[str, ...]:
        names = (self.columns[0], self.first, self.second, self.label, self.language)
        return tuple(dict.fromkeys(name for name in names if name is not None))

    def is_header(self, found: Optional[Tuple[str, ...]]) -> bool:
        return (
            self.has_header
            and found is not None
            and all(name in found for name in self.required_columns)
        )

    def bind(self, path: str, header: Optional[Tuple[str, ...]] = None) -> TsvLayout:
        """This layout for the file `path`; `header` is the file's header line, if it has one."""
        columns = header if header is not None else self.columns
        first_language, second_language = (None, None) if self.language else self.language_of(path)
        return TsvLayout(
            self.name,
            path,
            first=columns.index(self.first),
            second=columns.index(self.second),
            label=columns.index(self.label),
            num_columns=len(columns),
            language_column=columns.index(self.language) if self.language else None,
            header=tuple(columns) if self.has_header else None,
            language=first_language,
            second_language=second_language,
            source_columns=(
                (columns.index(self.sources[0]), columns.index(self.sources[1]))
                if self.sources is not None
                else None
            ),
        )


XNLI_1_0_COLUMNS = (
    "language", "gold_label", "sentence1_binary_parse", "sentence2_binary_parse", "sentence1_parse",
    "sentence2_parse", "sentence1", "sentence2", "promptID", "pairID", "genre",
    "label1", "label2", "label3", "label4", "label5",
)  # fmt: skip
XNLI_MT_FILE_NAME = re.compile(r"^multinli\.(?:train|dev|test)\.(?P<lang>[a-z]{2,3})\.tsv$")

XTREME_LAYOUT = TsvLayoutSpec(
    name="XTREME",
    file_name=XTREME_FILE_NAME,
    columns=("sentence1", "sentence2", "label"),
    has_header=False,
    first="sentence1",
    second="sentence2",
    label="label",
    language=None,
    language_of=languages_from_file_name,
)

# XTREME's machine translations of the English training sets (translate-train), e.g.
# `xtreme_translations/XNLI/translate-train/en-de-translated.tsv`: the English pair, its
# translation, the label; no header. Recognised by its five columns.
TRANSLATIONS_FILE_NAME = re.compile(r"^en-(?P<lang>[a-z]{2,3})-translated\.tsv$")


def _translation_languages(path: str) -> Tuple[Optional[str], Optional[str]]:
    first, second = languages_from_file_name(path)
    if first is None:
        first, second = _language_from_pattern(TRANSLATIONS_FILE_NAME)(path)
    return first, second


XTREME_TRANSLATIONS_LAYOUT = TsvLayoutSpec(
    name="XTREME translate-train",
    file_name=TRANSLATIONS_FILE_NAME,
    columns=("english_sentence1", "english_sentence2", "sentence1", "sentence2", "label"),
    has_header=False,
    first="sentence1",
    second="sentence2",
    label="label",
    language=None,
    language_of=_translation_languages,
    sources=("english_sentence1", "english_sentence2"),
)

TSV_LAYOUTS: Tuple[TsvLayoutSpec, ...] = (
    TsvLayoutSpec(
        name="XNLI-1.0",
        file_name=re.compile(r"^xnli\.(?:dev|test)\.tsv$"),
        columns=XNLI_1_0_COLUMNS,
        has_header=True,
        first="sentence1",
        second="sentence2",
        label="gold_label",
        language="language",
        language_of=lambda path: (None, None),
    ),
    TsvLayoutSpec(
        name="XNLI-MT-1.0",
        file_name=XNLI_MT_FILE_NAME,
        columns=("premise", "hypo", "label"),
        has_header=True,
        first="premise",
        second="hypo",
        label="label",
        language=None,
        language_of=_language_from_pattern(XNLI_MT_FILE_NAME),
    ),
    TsvLayoutSpec(
        name="PAWS-X",
        file_name=re.compile(r"^(?:train|dev_2k|test_2k|translated_train)\.tsv$"),
        columns=("id", "sentence1", "sentence2", "label"),
        has_header=True,
        first="sentence1",
        second="sentence2",
        label="label",
        language=None,
        language_of=_language_from_directory,
    ),
    XTREME_LAYOUT,
)
"""Every tab-separated layout; the header-less XTREME layout is the fallback and comes last."""


PairFileLayout = Union[TsvLayout, JsonLinesLayout]
"""How to parse the lines of one file (`parse(raw, line)`), by its layout."""


def detect_layout(path: str, first_line: Optional[bytes]) -> PairFileLayout:
    """
    The layout of the file `path` (the user's path, used in errors) whose first non-empty line
    is `first_line`, by the table `TSV_LAYOUTS` (see the module docstring).
    """
    name = Path(path).name
    if name.endswith(JSON_EXTENSIONS):
        first_language, second_language = languages_from_file_name(path)
        return JsonLinesLayout(path, language=first_language, second_language=second_language)
    found: Optional[Tuple[str, ...]] = None
    if first_line is not None:
        try:
            found = tuple(first_line.decode("utf-8").split("\t"))
        except UnicodeDecodeError:
            found = None
    for spec in TSV_LAYOUTS:
        if spec.is_header(found):
            return spec.bind(path, found)
    for spec in TSV_LAYOUTS:
        if spec.has_header and spec.file_name.match(name):
            if first_line is None:
                raise InputFileError(path, None, f"file is empty (expected the {spec.name} header)")
            shown = list(found) if found is not None else first_line
            raise InputFileError(
                path,
                1,
                f"the file name is that of the {spec.name} layout, but line 1 is not its header "
                f"(columns {list(spec.required_columns)} expected, found {shown})",
            )
    if first_line is not None and first_line.count(b"\t") == 4:
        return XTREME_TRANSLATIONS_LAYOUT.bind(path)
    return XTREME_LAYOUT.bind(path)
