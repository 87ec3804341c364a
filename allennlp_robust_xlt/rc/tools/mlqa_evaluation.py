"""
MLQA's exact match and F1, with the normalisation of the answer's (= the context's) language.

The reference is XTREME's `third_party/evaluate_mlqa.py`, which XTREME's `evaluate.py` calls with
the test language. It is MLQA's official `mlqa_evaluation_v1.py` (facebookresearch/MLQA @
24bf470) with three comment lines added at the top and nothing else changed, so following
XTREME's copy is following MLQA's. A normalised answer is, in this order:

1. lower-cased (`str.lower`);
2. stripped of punctuation: every Unicode character of a `P*` category, and the ASCII
   `string.punctuation` (which adds the symbols `$ + < = > ^ ` | ~`). The categories are those of
   the running Python's `unicodedata` (Unicode 13.0 on Python 3.10), as in the script;
3. stripped of the language's articles (`MLQA_LANGUAGES`): each match of its regular expression
   becomes a space. Arabic's expression `\\sال^|ال` removes *every* `ال`, also inside a word
   (its first branch can never match, `^` being the string start), which is what the script does;
4. split into tokens, joined by one space: on whitespace, except Chinese, where
   `mixed_segmentation` also makes each CJK character (U+4E00-U+9FA5) and each punctuation
   character a token of its own, so that Chinese F1 is over characters, with runs of Latin
   letters or digits kept as whitespace tokens.

Exact match and F1 from the normalised strings, the maximum over the gold answers and the mean
over a file are those of SQuAD v1.1 (`squad_evaluation`), with the same presentation
deviations: fractions rather than percentages, and clear errors for unscorable files. For a
language the script does not know it raises `Exception('Unknown Language')`; here it is a
`ParameterError` naming the language and listing the known ones, raised before scoring.
"""

import functools
import re
import string
import sys
import unicodedata
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Mapping, Optional, Pattern

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.rc.tools.squad_evaluation import (
    GroundTruths,
    Normalizer,
    PathOrDataset,
    QuestionScore,
    aggregate,
    read_gold_answers,
    score_question,
    source_name,
)
from allennlp_robust_xlt.rc.tools.squad_evaluation import score_questions as _score_questions

WHITESPACE = "whitespace"
MIXED = "mixed"


@dataclass(frozen=True)
class MlqaLanguage:
    """How MLQA's evaluation normalises answers of one language."""

    articles: Optional[Pattern[str]]
    """Replaced by a space after punctuation removal; None: the language has no articles."""
    segmentation: str
    """`"whitespace"`: `str.split()`; `"mixed"`: `mixed_segmentation` (Chinese)."""


# TASK TABLE: the languages MLQA's evaluation knows, which are MLQA's (and XTREME's mlqa) test
# languages; the metric's per-language rules, from `normalize_answer` of the official script.
MLQA_LANGUAGES: Dict[str, MlqaLanguage] = {
    "en": MlqaLanguage(re.compile(r"\b(a|an|the)\b"), WHITESPACE),
    "es": MlqaLanguage(re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"), WHITESPACE),
    "de": MlqaLanguage(
        re.compile(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"), WHITESPACE
    ),
    "ar": MlqaLanguage(re.compile(r"\sال^|ال"), WHITESPACE),
    "hi": MlqaLanguage(None, WHITESPACE),
    "vi": MlqaLanguage(re.compile(r"\b(của|là|cái|chiếc|những)\b"), WHITESPACE),
    "zh": MlqaLanguage(None, MIXED),
}

_CJK_FIRST, _CJK_LAST = "\u4e00", "\u9fa5"


@functools.lru_cache(maxsize=None)
def punctuation() -> FrozenSet[str]:
    """Every character of a Unicode `P*` category, and `string.punctuation` (built on first use)."""
    unicode_punctuation = (
        chr(i) for i in range(sys.maxunicode) if unicodedata.category(chr(i)).startswith("P")
    )
    return frozenset(unicode_punctuation).union(string.punctuation)


def language(lang: str) -> MlqaLanguage:
    """The rules of `lang`, or a `ParameterError` listing the languages MLQA's evaluation knows."""
    rules = MLQA_LANGUAGES.get(lang)
    if rules is None:
        raise ParameterError(
            "MLQA evaluation",
            "lang",
            f"is {lang!r}, a language whose answers it cannot normalise; "
            f"it knows {', '.join(sorted(MLQA_LANGUAGES))}",
        )
    return rules


def mixed_segmentation(text: str) -> List[str]:
    """
    Tokens of `text`: each CJK character (U+4E00-U+9FA5) and each punctuation character alone,
    the text between them split on whitespace.
    """
    punct = punctuation()
    tokens: List[str] = []
    pending: List[str] = []
    for char in text:
        if _CJK_FIRST <= char <= _CJK_LAST or char in punct:
            tokens.extend("".join(pending).split())
            pending = []
            tokens.append(char)
        else:
            pending.append(char)
    tokens.extend("".join(pending).split())
    return tokens


def normalize_answer(text: str, lang: str) -> str:
    """MLQA's normalisation of an answer in language `lang` (see the module docstring)."""
    rules = language(lang)
    punct = punctuation()
    text = "".join(char for char in text.lower() if char not in punct)
    if rules.articles is not None:
        text = rules.articles.sub(" ", text)
    tokens = mixed_segmentation(text) if rules.segmentation == MIXED else text.split()
    return " ".join(token for token in tokens if token.strip() != "")


def _normalizer(lang: str) -> Normalizer:
    language(lang)
    return functools.partial(normalize_answer, lang=lang)


def exact_match_score(prediction: str, ground_truths: GroundTruths, lang: str) -> float:
    """MLQA exact match of `prediction` in `lang`: the maximum over the gold answers (0.0 or 1.0)."""
    return score_question(prediction, ground_truths, _normalizer(lang)).exact_match


def f1_score(prediction: str, ground_truths: GroundTruths, lang: str) -> float:
    """MLQA F1 of `prediction` in `lang`, in [0, 1]: the maximum over the gold answers."""
    return score_question(prediction, ground_truths, _normalizer(lang)).f1


def score_questions(
    gold_answers: Mapping[str, GroundTruths],
    predictions: Mapping[str, str],
    lang: str,
    source: Optional[str] = None,
) -> Dict[str, QuestionScore]:
    """Per-question scores as `squad_evaluation.score_questions`, with MLQA's normalisation."""
    return _score_questions(gold_answers, predictions, _normalizer(lang), source)


def evaluate_predictions(
    dataset: PathOrDataset,
    predictions: Mapping[str, str],
    lang: str,
    source: Optional[str] = None,
) -> Dict[str, float]:
    """
    MLQA `exact_match` and `f1` (fractions; XTREME's `evaluate_mlqa.evaluate(dataset,
    predictions, lang)` gives these times 100) and `count` of a SQuAD-layout file (see
    `squad_evaluation.read_gold_answers`). `lang` is the language of the contexts (and so of
    the answers): for MLQA's `*-context-{c}-question-{q}.json`, `c`.
    """
    normalize = _normalizer(lang)
    source = source_name(dataset, source)
    gold = read_gold_answers(dataset, source)
    return aggregate(_score_questions(gold, predictions, normalize, source))
