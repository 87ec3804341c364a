"""A neighbour table made up from a test file's own words, for the synonym attack's tests."""

import json
from pathlib import Path
from typing import Iterable, List


def write_neighbor_table(words: Iterable[str], path: Path, per_word: int = 3) -> Path:
    """Every distinct word's neighbours: the next `per_word` distinct words (in first-seen order)."""
    distinct: List[str] = list(dict.fromkeys(word for word in words if word.isalpha()))
    table = {
        word: [distinct[(index + k) % len(distinct)] for k in range(1, per_word + 1)]
        for index, word in enumerate(distinct)
    }
    path.write_text(json.dumps(table), encoding="utf-8")
    return path
