"""
Reading tagged sentences from files, sentence by sentence, with errors that name the file and
the line. This module knows the file layouts; the readers (`xtreme_tagging_reader.py`) check the
tags against the task table and build the instances.

| layout | file names | a word's line | language |
|---|---|---|---|
| XTREME | `{split}-{lang}.tsv`, any other | `word<TAB>tag` (or `word`) | file name |
| WikiANN (PAN-X release) | `train`, `dev`, `test`, `extra`, `{lang}-{split}` | `lang:token<TAB>TAG` | prefix |
| CoNLL-U (UD) | `*.conllu` (`{lang}_{treebank}-ud-{split}.conllu`) | 10 columns: FORM, UPOS | name |
| MasakhaNER | `{lang}/{train,dev,test}.txt` | `word TAG` (one space) | directory |

* Sentences are separated by one or more blank (or whitespace-only) lines; a missing final blank
  line is fine. Byte-order marks, CRLF endings and gzip are accepted (`common/line_reading.py`).
* XTREME layout: the word is taken as it is, the tag must not be empty. A file whose first line
  has no tab has no tags (XTREME strips them from its test files): then no line may have one,
  and the other way round.
* WikiANN layout: as XTREME's `utils_preprocess.py:panx_preprocess` reads it, the line stripped,
  the word after the first `:` (stripped), the tag stripped.
* MasakhaNER layout: each line split on whitespace into the word and its tag (a line with
  another number of fields is an error naming it); a file whose first line has one field has
  no tags.
* CoNLL-U: the words and tags XTREME's conversion gives (`tagging/tools/ud_conversion.py`:
  multi-word tokens as `conllu_to_conll.py --replace_subtokens_with_fused_forms` replaces them,
  sentences without text dropped, spaces and U+200C removed from forms).

Reading is lazy and in two steps, so that a reader can shard before parsing: `TaggedFileSource`
yields each sentence's raw lines (`units()`), and `parse(unit)` turns one into a
`TaggedSentence`.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, List, Optional

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.languages import is_known_language
from allennlp_robust_xlt.common.line_reading import RawLine, decode_line, raw_lines
from allennlp_robust_xlt.tagging.tools.ud_conversion import convert_sentence
from allennlp_robust_xlt.tasks import Task

XTREME, WIKIANN, CONLLU, MASAKHANER = "XTREME", "WikiANN", "CoNLL-U", "MasakhaNER"

WIKIANN_FILE_NAME = re.compile(r"^(?:(?P<lang>[a-z]{2,3})-)?(?:train|dev|test|extra)$")
CONLLU_FILE_NAME = re.compile(r"^(?P<lang>[a-z]{2,3})_[^/]*\.conllu(?:\.gz)?$")
MASAKHANER_FILE_NAME = re.compile(r"^(?:train|dev|test)\.txt$")
LANGUAGE_PREFIX = re.compile(r"^(?P<lang>[a-z]{2,3}):")

Block = List[RawLine]


@dataclass(frozen=True)
class TaggedSentence:
    """One sentence of a file: its words, their tags (`None` in a file without tags), the line of
    each word, its language (when known) and the file as the user named it."""

    words: List[str]
    tags: Optional[List[str]]
    lines: List[int]
    language: Optional[str]
    path: str


def sentence_blocks(lines: Iterable[RawLine]) -> Iterator[Block]:
    """The numbered lines of each sentence: runs of non-blank lines."""
    block: Block = []
    for number, raw in lines:
        if raw.strip():
            block.append((number, raw))
        elif block:
            yield block
            block = []
    if block:
        yield block


def detect_layout(path: str) -> str:
    name = Path(path).name
    if CONLLU_FILE_NAME.match(name) or name.endswith((".conllu", ".conllu.gz")):
        return CONLLU
    if WIKIANN_FILE_NAME.match(name):
        return WIKIANN
    if MASAKHANER_FILE_NAME.match(name):
        return MASAKHANER
    return XTREME


def language_from_file_name(path: str, layout: str, task: Task) -> Optional[str]:
    """The (known) language code that the file name gives, in its layout."""
    name = Path(path).name
    if layout == MASAKHANER:
        directory = Path(path).parent.name
        return directory if is_known_language(directory) else None
    pattern = {
        XTREME: re.compile(rf"^[a-z_0-9]+-(?P<lang>[a-z]{{2,3}}){re.escape(task.extension)}$"),
        WIKIANN: WIKIANN_FILE_NAME,
        CONLLU: CONLLU_FILE_NAME,
    }[layout]
    match = pattern.match(name)
    code = match.group("lang") if match else None
    return code if code is not None and is_known_language(code) else None


class TaggedFileSource:
    """
    One file's sentences (units) and how to parse one. `path` is the name shown in errors and
    used to find the layout; the lines are read from `local_path` (default `path`) or taken
    from `lines` (e.g. of an archive member).
    """

    def __init__(
        self,
        path: str,
        task: Task,
        local_path: Optional[str] = None,
        lines: Optional[Iterator[RawLine]] = None,
    ) -> None:
        self.path = path
        self.layout = detect_layout(path)
        self.language = language_from_file_name(path, self.layout, task)
        numbered = lines if lines is not None else raw_lines(local_path or path, path)
        self._blocks = sentence_blocks(numbered)
        self._first = next(self._blocks, None)
        if self._first is None:
            raise InputFileError(path, None, "file is empty (no sentences)")
        first_line, first_raw = self._first[0]
        # A file without tags (XTREME's test files): its first line has the word only.
        if self.layout == WIKIANN:
            first_raw = first_raw.strip()
        if self.layout == MASAKHANER:
            self.has_tags = len(first_raw.split()) > 1
        else:
            self.has_tags = self.layout == CONLLU or b"\t" in first_raw
        if self.layout == XTREME:
            self._refuse_wikiann_lines(self._first)

    def _refuse_wikiann_lines(self, block: Block) -> None:
        words = [decode_line(raw, self.path, line).split("\t")[0] for line, raw in block]
        prefixes = [LANGUAGE_PREFIX.match(word) for word in words]
        if all(match and is_known_language(match.group("lang")) for match in prefixes):
            raise InputFileError(
                self.path,
                block[0][0],
                f"every word starts with a language prefix ({words[0]!r}): this is WikiANN's"
                " lang:token layout, which is read from files named as in the PAN-X release"
                " (train, dev, test, or {lang}-{split}); XTREME's layout has the word alone",
            )

    def units(self) -> Iterator[Block]:
        if self._first is not None:
            yield self._first
        yield from self._blocks

    def parse(self, block: Block) -> Optional[TaggedSentence]:
        """The sentence of a unit; `None` for a CoNLL-U sentence that XTREME's conversion drops."""
        if self.layout == CONLLU:
            text_lines = [(line, decode_line(raw, self.path, line)) for line, raw in block]
            converted = convert_sentence(text_lines, self.path, self.language)
            if converted is None:
                return None
            return TaggedSentence(
                converted.words, converted.tags, converted.lines, self.language, self.path
            )
        words: List[str] = []
        tags: List[str] = []
        lines: List[int] = []
        language = self.language
        for line, raw in block:
            text = decode_line(raw, self.path, line)
            if self.layout == WIKIANN:
                text = text.strip()
            columns = text.split() if self.layout == MASAKHANER else text.split("\t")
            expected = 2 if self.has_tags else 1
            if len(columns) != expected:
                raise InputFileError(self.path, line, self._column_problem(len(columns)))
            word = columns[0]
            if self.layout == WIKIANN:
                prefix, colon, token = word.partition(":")
                if not colon:
                    raise InputFileError(
                        self.path,
                        line,
                        f"expected lang:token (WikiANN layout), found {word!r} without a colon",
                    )
                word = token.strip()
                if not words and is_known_language(prefix.strip()):
                    language = prefix.strip()
            if self.has_tags:
                tag = columns[1].strip() if self.layout == WIKIANN else columns[1]
                if not tag:
                    raise InputFileError(self.path, line, f"empty tag for the word {word!r}")
                tags.append(tag)
            words.append(word)
            lines.append(line)
        return TaggedSentence(words, tags if self.has_tags else None, lines, language, self.path)

    def _column_problem(self, found: int) -> str:
        word = "lang:token" if self.layout == WIKIANN else "word"
        separated = "space" if self.layout == MASAKHANER else "tab"
        if self.has_tags:
            return (
                f"expected 2 {separated}-separated columns ({word}, tag; {self.layout} layout),"
                f" found {found}"
            )
        return (
            f"expected 1 column ({word} without a tag, as on the file's first line: a file"
            f" without tags has none on any line), found {found}"
        )
