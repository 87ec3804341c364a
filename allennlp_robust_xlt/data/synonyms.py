"""
Synonym-neighbour tables and the substitution law of randomized smoothing by data augmentation
(RS-DA), as the reference implementation of Huang et al. (2021) defines it.

A neighbour table is a JSON object `{word: [neighbour, ...]}` (the reference's
`counterfitted_neighbors.json`, or one written by `allennlp build-neighbors`). The law: a text
is split on single spaces; every word `w` with `k >= 1` neighbours is replaced by a uniform draw
from `[w] + neighbours[w]` (so it changes with probability `k / (k + 1)` when the neighbours
differ from `w`); every other word is kept. The words are joined again with single spaces, so
the text changes only where a word was replaced.

Two ways to match a word against the table (`match`):

* `"exact"`: the reference's lookup, case-sensitive, punctuation attached (`movie,` and `Movie`
  do not match the key `movie`).
* `"normalized"`: first the exact lookup; if that fails, leading and trailing punctuation and
  symbols are set aside and the remaining core is looked up as is, then lower-cased. A drawn
  neighbour gets the punctuation back, and, when the match needed lower-casing, the case of the
  original word (`Movie,` -> `Film,`, `MOVIE` -> `FILM`). The law is the same: `k + 1` equally
  likely outcomes, one of which is the unchanged word.

Random draws come from a `random.Random` that the caller passes in; `copy_random` derives one
from `(seed, example key, copy index)`, so the copies of an example do not depend on the order
in which examples are read, on the worker that reads them, or on the other examples.
"""

import json
import logging
import os
import random
import unicodedata
from functools import lru_cache
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union


from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.files import local_input

logger = logging.getLogger(__name__)

MATCH_MODES = ("exact", "normalized")
_MEMO_SIZE = 1 << 18

_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}


def _json_type(value: object) -> str:
    return "null" if value is None else _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


class NeighborTable:
    """
    A validated neighbour table. `choices(word)` gives `(word, *neighbours)` for words with at
    least one neighbour and `None` otherwise.
    """

    def __init__(self, neighbors: Mapping[str, Sequence[str]], source: str = "<in memory>") -> None:
        self.source = source
        self.num_words = len(neighbors)
        self._choices: Dict[str, Tuple[str, ...]] = {
            word: (word, *word_neighbors)
            for word, word_neighbors in neighbors.items()
            if word_neighbors
        }

    def __len__(self) -> int:
        return self.num_words

    @property
    def num_words_with_neighbors(self) -> int:
        return len(self._choices)

    def choices(self, word: str) -> Optional[Tuple[str, ...]]:
        return self._choices.get(word)

    def neighbors(self, word: str) -> Tuple[str, ...]:
        choices = self._choices.get(word)
        return choices[1:] if choices else ()

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike]) -> "NeighborTable":
        """
        Loads and validates a table from a local path or a URL (through `cached_path`). Tables are
        cached per process by file (path, size and modification time), so the training reader,
        the predictor and the evaluator share one copy.
        """
        shown = str(path)
        local = local_input(
            shown, missing="neighbour table not found", expected="a JSON neighbour table"
        )
        stat = os.stat(local)
        return _load_table(shown, os.path.realpath(local), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _load_table(shown: str, local: str, size: int, mtime_ns: int) -> NeighborTable:
    with open(local, "rb") as table_file:
        data = table_file.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputFileError(shown, line, "invalid UTF-8 in the neighbour table") from None
    try:
        table = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            shown, error.lineno, f"invalid JSON: {error.msg} at column {error.colno}"
        ) from None
    problem = validate_table(table)
    if problem is not None:
        key, message = problem
        raise InputFileError(shown, None if key is None else _line_of_key(text, key), message)
    loaded = NeighborTable(table, source=shown)
    logger.info(
        "neighbour table %s: %d words, %d with at least one neighbour",
        shown,
        loaded.num_words,
        loaded.num_words_with_neighbors,
    )
    return loaded


def validate_table(table: object) -> Optional[Tuple[Optional[str], str]]:
    """`None` if `table` is a JSON object of lists of non-empty strings, else `(key, problem)`."""
    if not isinstance(table, dict):
        return (
            None,
            (
                "expected a JSON object mapping each word to a list of neighbours, found"
                f" {_json_type(table)}"
            ),
        )
    for key, value in table.items():
        if not isinstance(value, list):
            return (
                key,
                f"the neighbours of {key!r} must be a list of strings, found {_json_type(value)}",
            )
        for position, neighbor in enumerate(value):
            if not isinstance(neighbor, str):
                return (
                    key,
                    (
                        f"the neighbours of {key!r} must be a list of strings, "
                        f"found {_json_type(neighbor)} at position {position}"
                    ),
                )
            if not neighbor.strip():
                return (
                    key,
                    f"the neighbours of {key!r} contain an empty string at position {position}",
                )
    return None


def _line_of_key(text: str, key: str) -> Optional[int]:
    """1-based line of `"key":` in the JSON text (for error messages), if it can be found."""
    for spelling in (json.dumps(key, ensure_ascii=False), json.dumps(key)):
        position = text.find(spelling + ":")
        if position < 0:
            position = text.find(spelling)
        if position >= 0:
            return text.count("\n", 0, position) + 1
    return None


_FIELD = 1 << 63


def copy_random(seed: int, example: Union[int, str], copy: int) -> random.Random:
    """
    The generator of copy `copy` of example `example` (an index, or a hexadecimal content key).
    The three numbers are packed into one integer seed (an injective packing, for seeds and
    copies below 2**63), which `random.Random` seeds from deterministically: the same in every
    process and on every platform.
    """
    key = int(example, 16) if isinstance(example, str) else example
    if not (-_FIELD <= seed < _FIELD and 0 <= copy < _FIELD and key >= 0):
        return random.Random(f"robust-xlt:synonyms:{seed}:{example}:{copy}")
    return random.Random((key << 128) | ((seed + _FIELD) << 64) | copy)


def _is_affix_character(character: str) -> bool:
    return unicodedata.category(character)[0] in "PS"


def split_affixes(word: str) -> Tuple[str, str, str]:
    """`'"Movie,'` -> `('"', 'Movie', ',')`: leading punctuation/symbols, core, trailing ones."""
    start, end = 0, len(word)
    while start < end and _is_affix_character(word[start]):
        start += 1
    while end > start and _is_affix_character(word[end - 1]):
        end -= 1
    return word[:start], word[start:end], word[end:]


def _restore_case(original: str, replacement: str) -> str:
    if len(original) > 1 and original.isupper():
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


class SynonymSubstitution:
    """
    The substitution law over a `NeighborTable` (see the module docstring).

    # Parameters

    table : `NeighborTable`
    match : `str`, optional (default = `"exact"`)
        `"exact"` (the reference's lookup) or `"normalized"`.
    component : `str`, optional
        The name used in error messages (the registered name of the user's component).
    """

    def __init__(
        self, table: NeighborTable, match: str = "exact", component: str = "synonym substitution"
    ) -> None:
        if match not in MATCH_MODES:
            raise ParameterError(
                component,
                "match",
                f"must be one of {', '.join(map(repr, MATCH_MODES))}, got {match!r}",
            )
        self.table = table
        self.match = match
        # Normalized lookups depend only on the word, and a dataset has a bounded vocabulary:
        # remember them (a plain dict, so that the object pickles for data-loader workers).
        self._memo: Dict[str, Optional[Tuple[str, ...]]] = {}

    def candidates(self, word: str) -> Optional[Tuple[str, ...]]:
        """The equally likely outcomes for `word`, the unchanged word first; `None` if it has none."""
        if self.match == "exact":
            return self.table.choices(word)
        try:
            return self._memo[word]
        except KeyError:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            found = self._memo[word] = self._normalized_candidates(word)
            return found

    def _normalized_candidates(self, word: str) -> Optional[Tuple[str, ...]]:
        exact = self.table.choices(word)
        if exact is not None:
            return exact
        prefix, core, suffix = split_affixes(word)
        if not core:
            return None
        choices = self.table.choices(core) if core != word else None
        restore_case = False
        if choices is None:
            lowered = core.lower()
            if lowered != core:
                choices = self.table.choices(lowered)
                restore_case = True
        if choices is None:
            return None
        replacements = (
            _restore_case(core, neighbor) if restore_case else neighbor for neighbor in choices[1:]
        )
        return (word, *(prefix + replacement + suffix for replacement in replacements))

    def perturb_words(self, words: Sequence[str], rng: random.Random) -> List[str]:
        """One draw of the law for each word (the hot loop of the reader: kept lean)."""
        candidates = self.table._choices.get if self.match == "exact" else self.candidates
        uniform = rng.random
        output = list(words)
        for position, word in enumerate(output):
            choices = candidates(word)
            if choices is not None:
                # floor(u * n) for u uniform in [0, 1): uniform over the n outcomes (up to 2**-53).
                output[position] = choices[int(uniform() * len(choices))]
        return output

    def perturb(self, text: str, rng: random.Random) -> str:
        """One draw of the law for `text` (split on, and joined with, single spaces)."""
        return " ".join(self.perturb_words(text.split(" "), rng))
