"""
Synonym substitution (RS-DA's law, `allennlp_robust_xlt/data/synonyms.py`) in a QA context that
keeps every answer: the context is split on single spaces, as the law splits any text, and only
the words that overlap no answer span are offered to the law. A word that an answer covers even
in part (the answer `1990` in the word `1990s`) is kept. The words are joined again with single
spaces, so everything but the substituted words is unchanged, and each answer's text is found
at its moved offset: `perturbed.move(answer_start)`.

`ContextSubstitution` also maps a span of the perturbed context back to the original one
(`original_span`), which the smoothed QA vote uses to compare the copies' answers: a position
in a kept word keeps its place in the word, a position in a substituted word goes to that
word's start (for a span's start) or end (for its end).
"""

import bisect
from dataclasses import dataclass
from typing import Callable, List, Sequence, Tuple

PerturbWords = Callable[[List[str]], List[str]]
"""One draw of the substitution law for a list of words (`SynonymSubstitution.perturb_words`
with its random generator bound)."""


@dataclass(frozen=True)
class ContextSubstitution:
    """A context and its perturbed copy, word by word (words: the context split on `" "`)."""

    original: str
    text: str
    original_starts: Tuple[int, ...]
    """Character offset of each word in `original`."""
    starts: Tuple[int, ...]
    """Character offset of each word in `text`."""
    original_lengths: Tuple[int, ...]
    lengths: Tuple[int, ...]

    def move(self, offset: int) -> int:
        """
        Where the character at `offset` of the original context is in the perturbed one; for
        offsets in kept words or on the spaces between words (answer offsets always are).
        """
        word = max(bisect.bisect_right(self.original_starts, offset) - 1, 0)
        inside = offset - self.original_starts[word]
        if inside == self.original_lengths[word]:  # at the word's end (before a space)
            return self.starts[word] + self.lengths[word]
        if inside > self.original_lengths[word] or (inside and not self.kept(word)):
            raise ValueError(f"offset {offset} is inside a substituted word")
        return self.starts[word] + inside

    def kept(self, word: int) -> bool:
        """Whether word `word` reads the same in both texts."""
        start, original_start = self.starts[word], self.original_starts[word]
        return (
            self.text[start : start + self.lengths[word]]
            == self.original[original_start : original_start + self.original_lengths[word]]
        )

    def original_span(self, start: int, end: int) -> Tuple[int, int]:
        """The span `[start, end)` of the perturbed text as a span of the original context."""
        return self._back(start, at_end=False), self._back(end, at_end=True)

    def _back(self, offset: int, at_end: bool) -> int:
        word = max(bisect.bisect_right(self.starts, offset) - 1, 0)
        inside = min(offset - self.starts[word], self.lengths[word])
        original_start = self.original_starts[word]
        if self.kept(word):
            return original_start + inside
        if at_end and inside == 0:  # the span ends just before this word
            return original_start
        return original_start + (self.original_lengths[word] if at_end else 0)


def _word_starts(words: Sequence[str]) -> Tuple[int, ...]:
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word) + 1
    return tuple(starts)


def substitute_context(
    context: str, answer_spans: Sequence[Tuple[int, int]], perturb_words: PerturbWords
) -> ContextSubstitution:
    """
    One draw of the law on the words of `context` that overlap none of `answer_spans`
    (character spans `[start, end)`), in text order.
    """
    words = context.split(" ")
    starts = _word_starts(words)
    free = [
        index
        for index, (word, start) in enumerate(zip(words, starts))
        if word
        and not any(start < end and start + len(word) > begin for begin, end in answer_spans)
    ]
    replaced = perturb_words([words[index] for index in free])
    new_words = list(words)
    for index, word in zip(free, replaced):
        new_words[index] = word
    return ContextSubstitution(
        original=context,
        text=" ".join(new_words),
        original_starts=starts,
        starts=_word_starts(new_words),
        original_lengths=tuple(len(word) for word in words),
        lengths=tuple(len(word) for word in new_words),
    )
