"""
XTREME's conversion of CoNLL-U sentences. Expected values: the output of XTREME's own scripts
(conllu_to_conll.py --replace_subtokens_with_fused_forms --print_fused_forms with networkx 1.11,
then utils_preprocess.py --task udpos) on these hand-made sentences, run once outside this
repository; the fixture treebanks' outputs are in tests/fixtures/data/original/ud-expected.
"""

import re
from typing import List, Optional, Tuple

import pytest

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.tagging.tools.ud_conversion import (
    ConversionFailure,
    convert_sentence,
    xtreme_form,
)


def word(i, form, upos, head, deps="_"):
    return f"{i}\t{form}\t_\t{upos}\t_\t_\t{head}\tdep\t{deps}\t_"


def mwt(first, last, form):
    return f"{first}-{last}\t{form}" + "\t_" * 8


def convert(rows: List[str], language: Optional[str] = "es") -> Optional[Tuple[list, list]]:
    sentence = convert_sentence(list(enumerate(rows, start=1)), "x.conllu", language)
    return None if sentence is None else (sentence.words, sentence.tags)


def test_the_span_head_keeps_its_upos_and_takes_the_fused_form():
    # "del": de (ADP) and el (DET) both depend on the noun: a tie, ADP first in the es list.
    rows = [word(1, "Vengo", "VERB", 0), mwt(2, 3, "del"), word(2, "de", "ADP", 4),
            word(3, "el", "DET", 4), word(4, "mercado", "NOUN", 1)]  # fmt: skip
    assert convert(rows) == (["Vengo", "del", "mercado"], ["VERB", "ADP", "NOUN"])
    # "Dámelo": da heads me and lo, so it is the single highest word.
    rows = [mwt(1, 3, "Dámelo"), word(1, "Da", "VERB", 0), word(2, "me", "PRON", 1),
            word(3, "lo", "PRON", 1)]  # fmt: skip
    assert convert(rows) == (["Dámelo"], ["VERB"])


def test_the_precedence_list_depends_on_the_language():
    # A tie between PRON and AUX: the default list ranks PRON first, the es list AUX.
    rows = [mwt(1, 2, "xy"), word(1, "x", "PRON", 3), word(2, "y", "AUX", 3),
            word(3, "z", "VERB", 0)]  # fmt: skip
    assert convert(rows, "de")[1] == ["PRON", "VERB"]
    assert convert(rows, "es")[1] == ["AUX", "VERB"]


def test_enhanced_dependencies_count_as_ancestors():
    # "in" has an enhanced head (4) besides its basic one: "dem" is the single highest -> DET.
    rows = [word(1, "Er", "PRON", 2, "2:nsubj"), word(2, "schläft", "VERB", 0, "0:root"),
            mwt(3, 4, "im"), word(3, "in", "ADP", 5, "5:case|4:dep"), word(4, "dem", "DET", 5, "5:det"),
            word(5, "Bett", "NOUN", 2, "2:obl"),
            "5.1\tcopy\t_\tNOUN\t_\t_\t_\t_\t2:conj\t_"]  # fmt: skip
    assert convert(rows, "de") == (["Er", "schläft", "im", "Bett"], ["PRON", "VERB", "DET", "NOUN"])


def test_a_tie_outside_the_precedence_list_fails_as_xtremes_script():
    rows = [mwt(1, 2, "casaperro"), word(1, "casa", "NOUN", 0), word(2, "perro", "NOUN", 0)]
    with pytest.raises(ConversionFailure, match=r"x.conllu:1: .*NOUN is not in its precedence"):
        convert(rows, "es")


def test_sentences_without_text_are_dropped_and_forms_cleaned():
    assert convert([word(1, "_", "NOUN", 0), word(2, "_", "VERB", 1)]) is None
    # All but at most one: "_ yes" is dropped too, "Hi" alone is kept.
    assert convert([word(1, "_", "X", 2), word(2, "yes", "INTJ", 0)]) is None
    assert convert([word(1, "Hi", "INTJ", 0)]) == (["Hi"], ["INTJ"])
    assert xtreme_form(" 10 000\u200c ") == "10000"
    assert convert(["# a comment", word(1, "we\u200cb", "NOUN", 0)]) == (["web"], ["NOUN"])


@pytest.mark.parametrize(
    "rows, problem",
    [
        (["1\tOnly\tfour\tcolumns"], "expected 10 tab-separated columns (CoNLL-U), found 4"),
        ([word(1, "a", "X", 0), word(3, "b", "X", 1)], "word ids are not 1, 2, 3"),
        ([mwt(2, 1, "ab"), word(1, "a", "X", 0)], "invalid multi-word token id '2-1'"),
    ],
)
def test_malformed_sentences_name_the_line(rows, problem):
    with pytest.raises(InputFileError, match=re.escape(f"x.conllu:1: {problem}")):
        convert(rows)
