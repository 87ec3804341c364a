"""
Reading users' text files line by line, with errors that name the file and the line.

Shared by every reader and command that reads a user's file (sentence pairs, tagged sentences,
JSON lines, SQuAD-style JSON, word vectors, neighbour tables):

* `raw_lines(path)`: `(1-based line number, raw bytes without the line ending)` for every line,
  blank ones included (tagging files separate sentences by blank lines). A UTF-8 byte-order mark
  is dropped, CRLF endings are accepted, gzip files (`.gz`, or by their magic bytes) are read
  transparently. A missing file or a directory is an `InputFileError` naming the path as the
  user wrote it (`display_path`; a URL's cache path is never shown).
* `numbered_lines(path)`: the same without blank lines; `number_raw_lines(iterable)` numbers the
  lines of an open stream (e.g. an archive member).
* `decode_line(raw, path, line)`: UTF-8 text of a line; invalid UTF-8 is an error on its line.
* `read_json_file(path)`: a whole JSON document (e.g. SQuAD's format); a syntax error names the
  line and column.

Reading is lazy: nothing holds more than one line, except `read_json_file`.
"""

import gzip
import json
from typing import IO, Any, Iterable, Iterator, Optional, Tuple

from allennlp_robust_xlt.common.errors import InputFileError

RawLine = Tuple[int, bytes]

_BOM = b"\xef\xbb\xbf"
_GZIP_MAGIC = b"\x1f\x8b"


def open_binary(path: str, display_path: Optional[str] = None) -> IO[bytes]:
    """The file opened for binary reading (gunzipped if it is gzip), or an `InputFileError`."""
    shown = display_path or path
    try:
        stream: IO[bytes] = open(path, "rb")
    except FileNotFoundError:
        raise InputFileError(shown, None, "file not found") from None
    except IsADirectoryError:
        raise InputFileError(shown, None, "is a directory, expected a data file") from None
    if stream.read(2) == _GZIP_MAGIC:
        stream.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    stream.seek(0)
    return stream


def number_raw_lines(raw_lines: Iterable[bytes], skip_blank: bool = True) -> Iterator[RawLine]:
    """Numbered lines of an open binary stream, without line endings (and without blank ones)."""
    for number, raw in enumerate(raw_lines, start=1):
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        raw = raw.rstrip(b"\r\n")
        if raw.strip() or not skip_blank:
            yield number, raw


def raw_lines(path: str, display_path: Optional[str] = None) -> Iterator[RawLine]:
    """Every line of the file, blank ones included, numbered from 1."""
    with open_binary(path, display_path) as stream:
        yield from number_raw_lines(stream, skip_blank=False)


def numbered_lines(path: str, display_path: Optional[str] = None) -> Iterator[RawLine]:
    """The non-blank lines of the file, numbered as in the file."""
    with open_binary(path, display_path) as stream:
        yield from number_raw_lines(stream)


def decode_line(raw: bytes, path: str, line: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputFileError(
            path,
            line,
            f"invalid UTF-8 at byte {error.start} of the line"
            f" ({raw[error.start:error.start + 4]!r})",
        ) from None


def read_json_file(path: str, display_path: Optional[str] = None) -> Any:
    """The JSON document in the file; invalid UTF-8 or JSON is an error naming the line."""
    shown = display_path or path
    with open_binary(path, display_path) as stream:
        data = stream.read()
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputFileError(shown, line, "invalid UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            shown, error.lineno, f"invalid JSON: {error.msg} at column {error.colno}"
        ) from None
