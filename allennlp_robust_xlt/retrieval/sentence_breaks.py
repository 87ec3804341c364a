"""
The sentence breaker XTREME uses to turn SQuAD into LAReQA's retrieval task
(`third_party/run_retrieval_qa.py` calls `infer_sentence_breaks` of
`third_party/processors/sb_sed.py`, a sed-style breaker tuned on SQuAD and Wikipedia text).
LAReQA's training pairs are a question and the sentence of its context that holds the answer,
so the sentences must be cut exactly where XTREME cuts them.

The breaker works on the paragraph as one line: newlines become spaces, then rewrite rules
(`RULES`, applied in order, each to the whole text) insert a newline at each sentence break,
remove the ones they wrongly inserted, or add more. The sentences are the stripped pieces
between newlines, located by their character offsets in the paragraph. The rules are the
original's, stated as data (their order matters).
"""

import re
from typing import List, Pattern, Tuple

_QUOTE_CLOSE = "\u201d"
_QUOTE_OPEN = "\u201c"
_BULLET = "\u2022"

RULES: Tuple[Tuple[Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        # Break after . ? or ! (with closing quotes, brackets, spaces) and whitespace, before an
        # optional opening quote or bracket and a capital letter or digit.
        (
            rf"""([.?!][)'" {_QUOTE_CLOSE}]*)\s(\s*[\['"({_QUOTE_OPEN}]?[A-Z0-9])""",
            "\\1\n\\2",
        ),
        # Wikipedia's editorial marks after a sentence: ".[citation needed] ", ".[note 1] ".
        (r"""([.?!]['"]?)((\[[a-zA-Z0-9 ?]+\])+)\s(\s*['"(]?[A-Z0-9])""", "\\1\\2\n\\4"),
        # Ellipses of quotations: "such things [...] But".
        (r"(\[\.\.\.\]\s*)\s(\[?[A-Z])", "\\1\n\\2"),
        # No break after titles and common abbreviations (a space again).
        (r"\b(Mrs?|Ms|Dr|Prof|Fr|Rev|Msgr|Sta?)\.\n", "\\1. "),
        (r"\b(Lt|Gen|Col|Maj|Adm|Capt|Sgt|Rep|Gov|Sen|Pres)\.\n", "\\1. "),
        (r"\b(e\.g|i\.?e|vs?|pp?|cf|a\.k\.a|approx|app|es[pt]|tr)\.\n", "\\1. "),
        (r"\b(Jan|Aug|Oct|Nov|Dec)\.\n", "\\1. "),
        (r"\b(Mt|Ft)\.\n", "\\1. "),
        (r"\b([ap]\.m)\.\n(Eastern|EST)\b", "\\1. \\2"),
        # Nor after the initials of a name (three, two, one).
        (r'\b([A-Z]\.)[ \n]([A-Z]\.)[ \n]([A-Z]\.)[ \n]("?[A-Z][a-z])', "\\1 \\2 \\3 \\4"),
        (r'\b([A-Z]\.)[ \n]([A-Z]\.)[ \n]("?[A-Z][a-z])', "\\1 \\2 \\3"),
        (r'\b([A-Z]\.[A-Z]\.)\n("?[A-Z][a-z])', "\\1 \\2"),
        (r'\b([A-Z]\.)\n("?[A-Z][a-z])', "\\1 \\2"),
        # Break again before common sentence openings.
        (r"""([.!?]['")]*) (The|This|That|These|It) """, "\\1\n\\2 "),
        (r"(\.) (Meanwhile|However)", "\\1\n\\2"),
        (
            r"(\.) (In|On|By|During|After|Under|Although|Yet|As |Several|According to) ",
            "\\1\n\\2 ",
        ),
        # No break in numbered parts, dates of birth and death, citations, bill numbers.
        (r"\b([Aa]rt|[Nn]o|Opp?|ch|Sec|cl|Rec|Ecl|Cor|Lk|Jn|Vol)\.\n([0-9IVX]+)\b", "\\1. \\2"),
        (r"\b([bdrc]|ca|fl)\.\n([A-Z0-9])", "\\1. \\2"),
        (r"\b(et al)\.\n(\(?[0-9]{4}\b)", "\\1. \\2"),
        (r"\b(H\.R\.)\n([0-9])", "\\1 \\2"),
        # Names in SQuAD that contain a full stop.
        (r"(I Am\.\.\.)\n(Sasha Fierce|World Tour)", "\\1 \\2"),
        (r"(Warner Bros\.)\n(Records|Entertainment)", "\\1 \\2"),
        (r"(U\.S\.)\n(\(?\d\d+)", "\\1 \\2"),
        (r"\b(Rs\.)\n(\d)", "\\1 \\2"),
        # SQuAD sentences that end in an abbreviation or a name.
        (r"\b(Jay Z\.) ([A-Z])", "\\1\n\\2"),
        (r"\b(Washington, D\.C\.) ([A-Z])", "\\1\n\\2"),
        (r"\b(for 4\.\)) ([A-Z])", "\\1\n\\2"),
        (r"\b(Wii U\.) ([A-Z])", "\\1\n\\2"),
        (r"\. (iPod|iTunes)", ".\n\\1"),
        (r" (\[\.\.\.\]\n)", "\n\\1"),
        (r"(\.Sc\.)\n", "\\1 "),
        (rf" ({_BULLET} [A-Z])", "\n\\1"),
    )
)

_LINE_START = re.compile(r"^\s*", re.M)


def mark_sentence_breaks(text: str) -> str:
    """The paragraph on one line (newlines become spaces), with a newline at each break."""
    marked = text.replace("\n", " ")
    for pattern, replacement in RULES:
        marked = pattern.sub(replacement, marked)
    return marked


def infer_sentence_breaks(text: str) -> List[Tuple[int, int]]:
    """
    `(start, end)` character offsets of the sentences of `text` (`text[start:end]` is a
    sentence, without surrounding whitespace), as XTREME's `sb_sed.infer_sentence_breaks`.
    """
    marked = mark_sentence_breaks(text)
    starts = [match.end() for match in _LINE_START.finditer(marked)]
    sentences = [piece.strip() for piece in marked.split("\n")]
    if len(starts) != len(sentences):  # a piece that is only whitespace: as the original fails
        raise ValueError(f"cannot locate the sentences of {text[:80]!r}")
    return [(start, start + len(sentence)) for start, sentence in zip(starts, sentences)]


def sentences_of(text: str) -> List[str]:
    """The sentences of `text`, as `infer_sentence_breaks` cuts them."""
    return [text[start:end] for start, end in infer_sentence_breaks(text)]
