"""The layouts of parallel text (`allennlp_robust_xlt/data/parallel_files.py`) on small files."""

import gzip
from collections import Counter
from pathlib import Path

import pytest

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.data.parallel_files import parallel_files, parallel_rows
from tests import DATA_ROOT, XTREME_DATA

SENTENCES = DATA_ROOT / "parallel" / "sentences"
PAWSX_TRANSLATIONS = DATA_ROOT / "parallel" / "pawsx"


def lines(path: Path):
    return path.read_text(encoding="utf-8").splitlines()


def test_a_directory_of_moses_tsv_and_15_way_files():
    rows = list(parallel_rows(SENTENCES))
    # Moses: 8 lines, line 5 blank on the German side; TSV: 6 pairs; 15-way: 4 lines x 3 languages.
    assert Counter((Path(row.path).name, row.language) for row in rows) == {
        ("de-en.en", "de"): 7,
        ("en-fr.tsv", "fr"): 6,
        ("xnli.15way.orig.tsv", "de"): 4,
        ("xnli.15way.orig.tsv", "fr"): 4,
        ("xnli.15way.orig.tsv", "zh"): 4,
    }
    moses = [row for row in rows if row.path.endswith("de-en.en")]
    english, german = lines(SENTENCES / "de-en.en"), lines(SENTENCES / "de-en.de")
    assert [row.line for row in moses] == [1, 2, 3, 4, 6, 7, 8]
    assert all(row.english == english[row.line - 1] for row in moses)
    assert all(row.translation == german[row.line - 1] for row in moses)
    # The 15-way file: the English column against each other column, by its header.
    header, first = (line.split("\t") for line in lines(SENTENCES / "xnli.15way.orig.tsv")[:2])
    fifteen = [row for row in rows if row.path.endswith("15way.orig.tsv") and row.line == 2]
    assert {row.language: row.translation for row in fifteen} == dict(zip(header[1:], first[1:]))
    assert {row.english for row in fifteen} == {first[0]}
    assert not any(row.is_pair for row in rows)


def test_xtreme_translations_are_pairs_of_sentence_pairs():
    rows = list(parallel_rows(PAWSX_TRANSLATIONS))
    columns = [line.split("\t") for line in lines(PAWSX_TRANSLATIONS / "train-de.tsv")]
    assert len(rows) == len(columns) == 8
    assert all(row.is_pair and row.language == "de" for row in rows)
    assert [(row.english, row.translation) for row in rows] == [
        ((c[0], c[1]), (c[2], c[3])) for c in columns
    ]


def test_either_side_order_iso_codes_prefixes_and_gzip(tmp_path: Path):
    (tmp_path / "tatoeba.deu-eng.deu").write_text("Hallo.\nDanke.\n", encoding="utf-8")
    (tmp_path / "tatoeba.deu-eng.eng").write_text("Hello.\nThanks.\n", encoding="utf-8")
    with gzip.open(tmp_path / "en-fr.en.gz", "wt", encoding="utf-8") as stream:
        stream.write("Yes.\n")
    with gzip.open(tmp_path / "en-fr.fr.gz", "wt", encoding="utf-8") as stream:
        stream.write("Oui.\n")
    (tmp_path / "fr-en.tsv").write_text("Merci.\tThanks.\n", encoding="utf-8")
    rows = list(parallel_rows(tmp_path))
    assert [(row.english, row.translation, row.language) for row in rows] == [
        ("Yes.", "Oui.", "fr"),
        ("Thanks.", "Merci.", "fr"),
        ("Hello.", "Hallo.", "de"),
        ("Thanks.", "Danke.", "de"),
    ]
    # One file of a Moses pair names both: the pair is read once, from its English side.
    assert [source.path for source in parallel_files(tmp_path / "tatoeba.deu-eng.deu")] == [
        str(tmp_path / "tatoeba.deu-eng.eng")
    ]


def test_files_of_different_lengths_are_one_error_naming_both(tmp_path: Path):
    (tmp_path / "de-en.en").write_text("One.\nTwo.\nThree.\n", encoding="utf-8")
    (tmp_path / "de-en.de").write_text("Eins.\nZwei.\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        list(parallel_rows(tmp_path))
    assert str(caught.value) == (
        f"{tmp_path / 'de-en.en'}:3: the parallel files differ in length:"
        f" {tmp_path / 'de-en.de'} ends after line 2, {tmp_path / 'de-en.en'} goes on at line 3"
    )


@pytest.mark.parametrize(
    "files, message",
    [
        (
            {"de-en.de": "Eins.\n"},
            r"de-en\.en: file not found: the Moses pair of de-en\.de needs it",
        ),
        ({"de-fr.de": "x\n", "de-fr.fr": "y\n"}, "must pair English .* pairs de and fr"),
        ({"xx-en.xx": "x\n", "xx-en.en": "y\n"}, "unknown language code 'xx'"),
        ({"de-en.tsv": "only one column\n"}, r"de-en\.tsv:1: not a parallel file: 1 tab"),
        ({"de-en.tsv": "a\tb\nc\n"}, r"de-en\.tsv:2: expected 2 tab-separated columns \(TSV pairs"),
        ({"pairs.tsv": "a\tb\tc\td\te\n"}, "needs the language in its name"),
        ({"de-en.en": "\xff\n", "de-en.de": "x\n"}, None),
        ({"README": "nothing parallel\n"}, "has no parallel files"),
        ({"de-en.tsv": ""}, r"de-en\.tsv: file is empty"),
    ],
)
def test_bad_files_are_one_line_naming_the_file(tmp_path: Path, files, message):
    for name, text in files.items():
        path = tmp_path / name
        if text == "\xff\n":
            path.write_bytes(b"\xff\n")
            message = r"de-en\.en:1: invalid UTF-8"
        else:
            path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        list(parallel_rows(tmp_path))


def test_a_translate_train_file_without_the_english_side_is_refused():
    with pytest.raises(InputFileError, match=r"train-fr\.tsv:1: not a parallel file: 3 tab"):
        list(parallel_rows(XTREME_DATA / "xnli" / "translate-train"))
