"""
A synonym-neighbour table for RS-DA from a word-vector text file: the logic of the
`build-neighbors` command (`allennlp_robust_xlt/commands/build_neighbors.py`).

Input: the word2vec / fastText text format (`.vec`, optionally gzipped, a path or URL read
through `cached_path`): an optional first line `count dim`, then one `word v1 v2 ... vdim` per
line, separated by single spaces (a trailing space is allowed). Only the first `--max-words`
words are read (such files are sorted by frequency). A line with the wrong number of values, a
value that is not a finite number, or invalid UTF-8 stops with an error naming the file and line.
Repeated words keep their first vector; all-zero vectors get no neighbours and are nobody's
neighbour (both are counted in a warning).

Output: the JSON object `{word: [neighbour, ...]}` of the reference's `counterfitted_neighbors.json`
(every word read is a key; its list may be empty): for each word, its `--k` nearest other words
by cosine similarity, most similar first, keeping those with similarity >= `--threshold`. The
default threshold, 0.875, is a Euclidean distance of 0.5 between unit vectors, the bound that
Alzantot et al. (2018) used with counter-fitted vectors (from which the reference table comes).
Plain fastText vectors also place antonyms and related words close together; prefer
counter-fitted or otherwise synonym-specialised vectors, and check a sample of the table.

**Bilingual tables** (`build-neighbors --bilingual`): from MUSE-format bilingual dictionaries
(Conneau et al. 2018's ground-truth dictionaries), one file per language pair named
`{src}-{tgt}.txt` (MUSE's train / test splits `{src}-{tgt}.0-5000.txt`, `.5000-6500.txt` are read
too, as one dictionary with the full file), each line a word and its translation separated by a
space or a tab; a word may have several lines (several translations). The output maps every
source word (English by default) to its translations in the chosen languages (`languages`, in
that order; default every `{src}-*.txt` file of the directory), each language's translations in
file order, without repeats or the word itself, at most `k` per language (default: all). It has
the format of the synonym tables, so RS-DA with it is code-switched augmentation (CoSDA-ML, Qin et
al. 2020: English training words replaced by their translations) and `synonym_attack` with it a
code-mixing attack (after Tan and Joty 2021); see `docs/code-switching.md`. A line without
exactly two fields stops with an error naming the file and line.

The similarities are computed in batches of `--batch-size` rows with torch (a batch-by-vocabulary
matrix product and a top-k), so memory stays at `batch-size x max-words` floats. The work is
`max-words^2 x dim` multiply-adds: 50,000 words of 300 dimensions (0.75 T multiply-adds) took
about 100 s on two shared CPU cores, and the time falls with the number of cores (torch's matrix
product is multi-threaded). The output file is written
atomically and an existing one is never replaced without `--force`.
"""

import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy
import torch

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.files import local_input
from allennlp_robust_xlt.common.line_reading import decode_line, numbered_lines

logger = logging.getLogger(__name__)

NAME = "build-neighbors"
DEFAULT_K = 8
DEFAULT_THRESHOLD = 0.875
DEFAULT_MAX_WORDS = 50_000
DEFAULT_BATCH_SIZE = 1024


def check_options(k: int, threshold: float, max_words: int, batch_size: int) -> None:
    if k < 1:
        raise ParameterError(NAME, "--k", f"must be at least 1, got {k}")
    if not -1.0 <= threshold <= 1.0:
        raise ParameterError(
            NAME, "--threshold", f"is a cosine similarity and must be in [-1, 1], got {threshold}"
        )
    if max_words < 2:
        raise ParameterError(NAME, "--max-words", f"must be at least 2, got {max_words}")
    if batch_size < 1:
        raise ParameterError(NAME, "--batch-size", f"must be at least 1, got {batch_size}")


def build_neighbors_file(
    vectors: str,
    output: str,
    k: int = DEFAULT_K,
    threshold: float = DEFAULT_THRESHOLD,
    max_words: int = DEFAULT_MAX_WORDS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    force: bool = False,
) -> Dict[str, List[str]]:
    """Reads `vectors`, writes the table to `output` (atomically), and returns it."""
    check_options(k, threshold, max_words, batch_size)
    output_path = Path(output)
    if output_path.is_dir():
        raise ParameterError(NAME, "output", f"{output} is a directory, expected a file name")
    if output_path.exists() and not force:
        raise ParameterError(NAME, "output", f"{output} exists; pass --force to replace it")
    words, matrix = read_word_vectors(vectors, max_words)
    table = nearest_neighbors(words, matrix, k=k, threshold=threshold, batch_size=batch_size)
    write_json_atomically(output_path, table)
    return table


def _text_lines(path: str) -> Iterator[Tuple[int, str]]:
    """The file's non-blank lines as text (a URL is fetched once; gzip is read transparently)."""
    local = local_input(path, expected="a word-vector file")
    for number, raw in numbered_lines(local, path):
        line = decode_line(raw, path, number).rstrip(" ")
        if line.strip():
            yield number, line


def _is_header(parts: List[str]) -> bool:
    return len(parts) == 2 and all(part.isdigit() for part in parts)


def read_word_vectors(
    path: str, max_words: int = DEFAULT_MAX_WORDS
) -> Tuple[List[str], numpy.ndarray]:
    """The first `max_words` distinct words of a `.vec` file and their vectors (float32)."""
    words: List[str] = []
    seen: Dict[str, int] = {}
    rows: List[numpy.ndarray] = []
    dimension: Optional[int] = None
    header_count: Optional[int] = None
    duplicates = 0
    first_duplicate: Optional[Tuple[str, int, int]] = None
    lines = _text_lines(path)
    for number, line in lines:
        parts = line.split(" ")
        if number == 1 and _is_header(parts):
            header_count, dimension = int(parts[0]), int(parts[1])
            if dimension < 1:
                raise InputFileError(path, number, f"the header gives {dimension} dimensions")
            continue
        word, values = parts[0], parts[1:]
        if not word:
            raise InputFileError(
                path, number, "the line starts with a space: no word before the values"
            )
        if dimension is None:
            if not values:
                raise InputFileError(path, number, f"no vector values after the word {word!r}")
            dimension = len(values)
        if len(values) != dimension:
            raise InputFileError(
                path,
                number,
                f"expected {dimension} values after the word {word!r}, found {len(values)}",
            )
        try:
            vector = numpy.array(values, dtype=numpy.float32)
        except ValueError:
            position, value = next((i, v) for i, v in enumerate(values, 1) if not _is_number(v))
            raise InputFileError(
                path, number, f"value {position} of {word!r} is not a number: {value!r}"
            ) from None
        if not numpy.isfinite(vector).all():
            position = int(numpy.argmin(numpy.isfinite(vector))) + 1
            raise InputFileError(
                path,
                number,
                f"value {position} of {word!r} is not finite: {values[position - 1]!r}",
            )
        if word in seen:
            duplicates += 1
            first_duplicate = first_duplicate or (word, seen[word], number)
            continue
        seen[word] = number
        words.append(word)
        rows.append(vector)
        if len(words) >= max_words:
            lines.close()  # type: ignore[attr-defined]
            break
    if len(words) < 2:
        raise InputFileError(path, None, f"needs at least two word vectors, found {len(words)}")
    if duplicates and first_duplicate is not None:
        word, first, again = first_duplicate
        logger.warning(
            "%s: %d repeated word(s) kept their first vector (e.g. %r on lines %d and %d)",
            path,
            duplicates,
            word,
            first,
            again,
        )
    if header_count is not None and len(words) < min(header_count, max_words) - duplicates:
        logger.warning(
            "%s: the header announces %d words, the file has %d", path, header_count, len(words)
        )
    return words, numpy.stack(rows)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def nearest_neighbors(
    words: List[str],
    matrix: numpy.ndarray,
    k: int = DEFAULT_K,
    threshold: float = DEFAULT_THRESHOLD,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Dict[str, List[str]]:
    """`{word: up to k other words with cosine similarity >= threshold, most similar first}`."""
    check_options(k, threshold, max(len(words), 2), batch_size)
    vectors = torch.from_numpy(numpy.ascontiguousarray(matrix, dtype=numpy.float32))
    norms = vectors.norm(dim=1, keepdim=True)
    valid = norms.squeeze(1) > 0
    all_valid = bool(valid.all())
    if not all_valid:
        logger.warning("%d all-zero vector(s) get no neighbours", int((~valid).sum()))
    unit = torch.where(
        valid.unsqueeze(1), vectors / norms.clamp_min(1e-12), torch.zeros_like(vectors)
    )
    count = len(words)
    keep = min(k, count - 1)
    table: Dict[str, List[str]] = {}
    with torch.no_grad():
        for start in range(0, count, batch_size):
            end = min(start + batch_size, count)
            similarities = unit[start:end] @ unit.T
            rows = torch.arange(end - start)
            similarities[rows, rows + start] = float("-inf")  # not one's own neighbour
            if not all_valid:
                similarities[:, ~valid] = float("-inf")
            values, indices = similarities.topk(keep, dim=1)
            for row, (row_values, row_indices) in enumerate(zip(values.tolist(), indices.tolist())):
                word = words[start + row]
                if not bool(valid[start + row]):
                    table[word] = []
                    continue
                table[word] = [
                    words[index]
                    for value, index in zip(row_values, row_indices)
                    if value >= threshold
                ]
    return table


def write_json_atomically(path: Path, table: Dict[str, List[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent)
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as output_file:
            json.dump(table, output_file, ensure_ascii=False)
            output_file.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as a plain open() would create it
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


# MUSE's dictionary names: `en-de.txt`, `en-de.0-5000.txt`, `en-de.5000-6500.txt`.
DICTIONARY_NAME = re.compile(
    r"^(?P<source>[^-./]+)-(?P<target>[^-./]+)(?:\.(?P<part>[^/]+))?\.txt$"
)


def dictionary_files(
    dictionaries: str, source: str = "en", languages: Optional[Sequence[str]] = None
) -> Dict[str, List[Path]]:
    """`{target language: its dictionary files}` of a directory (or of one dictionary file)."""
    root = Path(dictionaries)
    if not root.exists():
        raise InputFileError(
            dictionaries, None, "not found: expected a directory of {src}-{tgt}.txt"
        )
    candidates = sorted(root.iterdir()) if root.is_dir() else [root]
    found: Dict[str, List[Path]] = {}
    for path in candidates:
        match = DICTIONARY_NAME.match(path.name)
        if path.is_file() and match and match.group("source") == source:
            found.setdefault(match.group("target"), []).append(path)
    if not root.is_dir() and not found:
        raise InputFileError(
            dictionaries,
            None,
            f"is not named {source}-{{tgt}}.txt: the file name gives the languages of a MUSE"
            " dictionary",
        )
    if languages is None:
        if not found:
            raise InputFileError(
                dictionaries, None, f"holds no {source}-{{tgt}}.txt dictionary (MUSE's names)"
            )
        return found
    missing = [code for code in languages if code not in found]
    if missing:
        expected = (root if root.is_dir() else root.parent) / f"{source}-{missing[0]}.txt"
        raise InputFileError(
            expected,
            None,
            f"file not found: --languages lists {missing[0]!r}, which has no dictionary; found"
            f" {sorted(found) or 'none'}",
        )
    return {code: found[code] for code in languages}


def read_bilingual_dictionary(path: str) -> Iterator[Tuple[str, str]]:
    """`(word, translation)` for every non-blank line of a MUSE-format dictionary."""
    local = local_input(path, expected="a bilingual dictionary")
    for number, raw in numbered_lines(local, path):
        fields = decode_line(raw, path, number).split()
        if len(fields) != 2:
            raise InputFileError(
                path,
                number,
                "expected a word and its translation separated by a space or a tab, found"
                f" {len(fields)} field(s)",
            )
        yield fields[0], fields[1]


def bilingual_neighbors(
    dictionaries: Dict[str, List[Path]], k: Optional[int] = None
) -> Dict[str, List[str]]:
    """`{source word: translations}`, languages in the order given (see the module docstring)."""
    if k is not None and k < 1:
        raise ParameterError(NAME, "--k", f"must be at least 1, got {k}")
    table: Dict[str, List[str]] = {}
    for paths in dictionaries.values():
        translations: Dict[str, List[str]] = {}
        for path in paths:
            for word, translation in read_bilingual_dictionary(str(path)):
                kept = translations.setdefault(word, [])
                if translation != word and translation not in kept:
                    if k is None or len(kept) < k:
                        kept.append(translation)
        for word, kept in translations.items():
            merged = table.setdefault(word, [])
            merged.extend(t for t in kept if t not in merged)
    return table


def build_bilingual_file(
    dictionaries: str,
    output: str,
    source: str = "en",
    languages: Optional[Sequence[str]] = None,
    k: Optional[int] = None,
    force: bool = False,
) -> Dict[str, List[str]]:
    """Reads the dictionaries, writes the bilingual table to `output` (atomically), returns it."""
    output_path = Path(output)
    if output_path.is_dir():
        raise ParameterError(NAME, "output", f"{output} is a directory, expected a file name")
    if output_path.exists() and not force:
        raise ParameterError(NAME, "output", f"{output} exists; pass --force to replace it")
    table = bilingual_neighbors(dictionary_files(dictionaries, source, languages), k=k)
    write_json_atomically(output_path, table)
    return table
