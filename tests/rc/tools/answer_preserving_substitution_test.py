import random

import pytest

from allennlp_robust_xlt.data.synonyms import NeighborTable, SynonymSubstitution
from allennlp_robust_xlt.rc.tools.answer_preserving_substitution import substitute_context


def upper(words):
    return [word.upper() + "X" if word else word for word in words]


def test_words_of_answers_are_kept_and_offsets_move():
    context = "The big cat sat on the mat in 1990s Paris."
    answers = [(4, 11), (30, 34)]  # "big cat" and "1990" inside the word "1990s"
    perturbed = substitute_context(context, answers, upper)
    assert perturbed.text == "THEX big cat SATX ONX THEX MATX INX 1990s PARIS.X"
    for begin, end in answers:
        moved = perturbed.move(begin)
        assert perturbed.text[moved : moved + end - begin] == context[begin:end]
    assert perturbed.move(len(context)) == len(perturbed.text)


def test_double_spaces_and_newlines_are_kept():
    context = "one  two\nthree four"
    # Split on single spaces (the law's split): "two\nthree" is one word, in the answer "three".
    perturbed = substitute_context(context, [(9, 14)], upper)
    assert perturbed.text == "ONEX  two\nthree FOURX"
    assert perturbed.text[perturbed.move(9) :].startswith("three")


def test_spans_map_back_to_the_original_context():
    context = "Marie Curie won the prize in 1903 ."
    perturbed = substitute_context(context, [], upper)
    assert perturbed.text == "MARIEX CURIEX WONX THEX PRIZEX INX 1903X .X"
    start = perturbed.text.index("CURIEX")
    # A span inside substituted words widens to the whole original words.
    assert perturbed.original_span(start + 1, start + 3) == (6, 11)
    end = perturbed.text.index("PRIZEX") + len("PRIZEX")
    assert perturbed.original_span(start, end) == (6, context.index("prize") + 5)
    kept = substitute_context(context, [(29, 33)], upper)
    begin = kept.move(29)
    assert kept.original_span(begin + 1, begin + 3) == (30, 32)  # inside a kept word


def test_the_law_is_unchanged_outside_answers():
    """The same generator draws for the free words as the plain substitution on them alone."""
    table = NeighborTable({"cat": ["kitten"], "mat": ["rug", "carpet"], "big": ["large"]})
    substitution = SynonymSubstitution(table)
    context = "the big cat sat on the mat"
    for seed in range(20):
        perturbed = substitute_context(
            context, [(4, 7)], lambda words: substitution.perturb_words(words, random.Random(seed))
        )
        words = context.split(" ")
        free = words[:1] + words[2:]
        expected = substitution.perturb_words(free, random.Random(seed))
        assert perturbed.text.split(" ") == expected[:1] + ["big"] + expected[1:]


def test_offsets_inside_substituted_words_are_refused():
    perturbed = substitute_context("aa bb", [], upper)
    with pytest.raises(ValueError):
        perturbed.move(1)
