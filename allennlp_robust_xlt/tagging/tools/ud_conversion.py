"""
Universal Dependencies CoNLL-U sentences as XTREME's UD-POS data has them: one (word, UPOS) pair
per word, read by the `xtreme_udpos` reader (`.conllu` files) and the `udpos` download recipe.

XTREME (`scripts/download_data.sh`, `utils_preprocess.py:udpos_preprocess`) converts each
treebank file with `third_party/ud-conversion-tools/conllu_to_conll.py
--replace_subtokens_with_fused_forms --print_fused_forms` and keeps the FORM and UPOS columns.
Reimplemented here from reading those scripts (checked against them on hand-made treebanks):

1. Comment lines and empty nodes (ids like `8.1`) are left out.
2. A multi-word token (a range line `3-4  del`) becomes one word: the fused form, with the UPOS
   of one word of the range, its *span head*:
   - the word of the range with the fewest ancestors in the sentence's graph, if only one word
     has that number. The graph has an edge HEAD -> ID for every word, and one for every
     enhanced dependency (DEPS) whose head is an integer (not an empty node);
   - otherwise, of the words with the fewest ancestors (in sentence order), the first whose
     UPOS comes earliest in a precedence list: Spanish, French and Italian have their own, all
     other languages the default one (the language is the file name's `{lang}_` prefix).
     XTREME's script fails on the whole file when one of these words has a UPOS that is not
     in the list (`ConversionFailure`); its data then lack that treebank.
   The other words of the range are dropped. `--print_fused_forms` prints nothing more, since
   the ranges are gone by then.
3. `udpos_preprocess` drops the sentences whose words are all `_` but at most one (treebanks
   distributed without their text), strips surrounding whitespace from each form and removes
   spaces and U+200C (zero-width non-joiner) inside it.

Only on files that UD's validator rejects does this differ from XTREME's scripts: they fail on a
HEAD of `_`, on two blank lines in a row and on a malformed line, and lose a last sentence
without a final blank line; here a malformed line is an error naming the file and line, and the
rest is read as expected.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set, Tuple

from allennlp_robust_xlt.common.errors import InputFileError

NUM_COLUMNS = 10
ZERO_WIDTH_NON_JOINER = "\u200c"

# conllu_to_conll.py's POSRANKPRECEDENCEDICT: the span head among tied words of a multi-word token.
# (The default list ends in an empty entry, as the script splits "... PUNCT " on spaces.)
DEFAULT_PRECEDENCE = tuple(
    "VERB NOUN PROPN PRON ADJ NUM ADV INTJ AUX ADP DET PART CCONJ SCONJ X PUNCT ".split(" ")
)
PRECEDENCE: Dict[str, Tuple[str, ...]] = {
    "es": tuple("VERB AUX PRON ADP DET".split()),
    "fr": tuple("VERB AUX PRON NOUN ADJ ADV ADP DET PART SCONJ CONJ".split()),
    "it": tuple("VERB AUX ADV PRON ADP DET INTJ".split()),
}


class ConversionFailure(InputFileError):
    """A well-formed sentence on which XTREME's conversion script fails (see the module docstring)."""


@dataclass
class _Word:
    form: str
    upos: str
    line: int
    heads: Set[int]


@dataclass(frozen=True)
class UdSentence:
    """A converted sentence: its words and UPOS tags, and the line of each word."""

    words: List[str]
    tags: List[str]
    lines: List[int]


def precedence_list(language: Optional[str]) -> Sequence[str]:
    return PRECEDENCE.get(language or "", DEFAULT_PRECEDENCE)


def _integer(text: str) -> Optional[int]:
    return int(text) if text.isdigit() else None


def _parse(
    lines: Sequence[Tuple[int, str]], path: str
) -> Tuple[Dict[int, _Word], Dict[int, Tuple[int, str, int]]]:
    """The words by id, and the multi-word ranges by first id: `(last id, form, line)`."""
    words: Dict[int, _Word] = {}
    ranges: Dict[int, Tuple[int, str, int]] = {}
    for line, text in lines:
        if text.startswith("#"):
            continue
        columns = text.split("\t")
        if len(columns) != NUM_COLUMNS:
            raise InputFileError(
                path,
                line,
                f"expected {NUM_COLUMNS} tab-separated columns (CoNLL-U), found {len(columns)}",
            )
        token_id, form, upos, head, deps = (
            columns[0],
            columns[1],
            columns[3],
            columns[6],
            columns[8],
        )
        if "." in token_id:  # an empty node of the enhanced graph
            continue
        if "-" in token_id:
            first, _, last = token_id.partition("-")
            if _integer(first) is None or _integer(last) is None or int(last) < int(first):
                raise InputFileError(path, line, f"invalid multi-word token id {token_id!r}")
            ranges[int(first)] = (int(last), form, line)
            continue
        number = _integer(token_id)
        if number is None:
            raise InputFileError(path, line, f"invalid word id {token_id!r}")
        heads = set()
        if _integer(head) is not None:
            heads.add(int(head))
        if deps != "_":
            for dependency in deps.split("|"):
                enhanced_head = dependency.split(":")[0]
                if enhanced_head.isdigit():
                    heads.add(int(enhanced_head))
        words[number] = _Word(form, upos, line, heads)
    expected = list(range(1, len(words) + 1))
    if sorted(words) != expected:
        raise InputFileError(path, lines[0][0], "word ids are not 1, 2, 3, ... in this sentence")
    return words, ranges


def _ancestor_count(words: Dict[int, _Word], node: int) -> int:
    """The number of nodes with a path to `node` (the node itself excluded), ROOT (0) included."""
    seen: Set[int] = set()
    frontier = [node]
    while frontier:
        current = frontier.pop()
        word = words.get(current)
        for head in word.heads if word is not None else ():
            if head not in seen:
                seen.add(head)
                frontier.append(head)
    seen.discard(node)
    return len(seen)


def span_head(
    words: Dict[int, _Word], first: int, last: int, language: Optional[str], path: str, line: int
) -> int:
    """The id of the word of the range `first..last` whose UPOS the fused form keeps."""
    span = list(range(first, last + 1))
    missing = [number for number in span if number not in words]
    if missing:
        raise InputFileError(
            path, line, f"multi-word token {first}-{last} covers no word {missing[0]}"
        )
    distances = [_ancestor_count(words, number) for number in span]
    shortest = min(distances)
    highest = [number for number, distance in zip(span, distances) if distance == shortest]
    if len(highest) == 1:
        return highest[0]
    precedence = precedence_list(language)
    unranked = [words[number].upos for number in highest if words[number].upos not in precedence]
    if unranked:
        raise ConversionFailure(
            path,
            line,
            f"XTREME's conversion (conllu_to_conll.py) fails on this multi-word token: its words"
            f" {', '.join(words[n].form for n in highest)} tie as span head and"
            f" {unranked[0]} is not in its precedence list for"
            f" {language if language in PRECEDENCE else 'this language'}",
        )
    # The first of the words whose UPOS ranks best (a strict comparison keeps the first one).
    return min(highest, key=lambda number: precedence.index(words[number].upos))


def xtreme_form(form: str) -> str:
    """udpos_preprocess: surrounding whitespace stripped, spaces and U+200C removed inside."""
    return "".join(form.strip().replace(ZERO_WIDTH_NON_JOINER, "").split(" "))


def convert_sentence(
    lines: Sequence[Tuple[int, str]], path: str, language: Optional[str]
) -> Optional[UdSentence]:
    """
    One CoNLL-U sentence (its numbered lines, comments included) as XTREME has it, or `None` for
    a sentence XTREME drops (all forms `_` but at most one, or no word at all).
    """
    words, ranges = _parse(lines, path)
    keep: Dict[int, str] = {number: word.form for number, word in words.items()}
    for first in sorted(ranges):
        last, fused_form, line = ranges[first]
        head = span_head(words, first, last, language, path, line)
        for number in range(first, last + 1):
            if number != head:
                keep.pop(number, None)
        keep[head] = fused_form
    numbers = sorted(keep)
    forms = [keep[number].strip() for number in numbers]
    underscores = sum(form == "_" for form in forms)
    if not forms or not (underscores == 0 or underscores < len(forms) - 1):
        return None
    return UdSentence(
        words=[xtreme_form(keep[number]) for number in numbers],
        tags=[words[number].upos.strip() for number in numbers],
        lines=[words[number].line for number in numbers],
    )
