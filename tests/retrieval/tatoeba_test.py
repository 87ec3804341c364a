from pathlib import Path
from typing import List

import pytest

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.retrieval.tatoeba import (
    TATOEBA_LANGUAGES,
    TATOEBA_LASER_CODES,
    available_tatoeba_languages,
    evaluate_tatoeba,
    is_sorted_english,
    read_tatoeba,
)
from tests import DATA_ROOT, XTREME_DATA
from tests.retrieval.bucc_test import TableEncoder

TATOEBA = XTREME_DATA / "tatoeba"


def write(path: Path, lines: List[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_language_table():
    assert len(TATOEBA_LANGUAGES) == 41 and len(set(TATOEBA_LANGUAGES)) == 41
    assert TATOEBA_LANGUAGES[36:] == ("az", "lt", "pl", "uk", "ro")
    assert set(TATOEBA_LASER_CODES) == set(TATOEBA_LANGUAGES)
    assert TATOEBA_LASER_CODES["zh"] == "cmn" and TATOEBA_LASER_CODES["fa"] == "pes"


def test_read_laser_and_xtreme_layouts():
    assert available_tatoeba_languages(TATOEBA) == ["ar", "de", "fr", "zh"]
    german = read_tatoeba(TATOEBA, "de")  # LASER's tatoeba.deu-eng.{deu,eng}
    assert german.foreign_path.name == "tatoeba.deu-eng.deu"
    assert german.english_path.name == "tatoeba.deu-eng.eng"
    assert len(german.foreign) == len(german.english) == 12
    assert german.english[2] == "The doctor gave him advice."
    assert german.foreign[2] == "Der Arzt gab ihm einen Rat."
    assert read_tatoeba(TATOEBA, "zh").foreign_path.name == "tatoeba.cmn-eng.cmn"
    arabic = read_tatoeba(TATOEBA, "ar")  # XTREME's names, English side in LASER's order
    assert arabic.foreign_path.name == "ar-en.ar" and len(arabic.english) == 8


def test_the_names_xtremes_script_opens(tmp_path: Path):
    write(tmp_path / "tatoeba.de-eng.de", ["Eins.", "Zwei.", "Drei."])
    write(tmp_path / "tatoeba.de-eng.eng", ["One.", "Two.", "Three."])
    assert read_tatoeba(tmp_path, "de").english == ["One.", "Two.", "Three."]


def test_xtremes_sorted_english_side_is_refused():
    sorted_dir = DATA_ROOT / "tatoeba_sorted"
    with pytest.raises(InputFileError, match="de-en.en: is in alphabetical order.*issues #21, #61"):
        read_tatoeba(sorted_dir, "de")
    assert is_sorted_english(["A", "B", "C"]) and not is_sorted_english(["A", "C", "B"])
    assert not is_sorted_english(["A", "A", "B"])  # too few distinct lines to tell


def test_unparallel_files_name_both_files_and_the_line(tmp_path: Path):
    foreign = write(tmp_path / "tatoeba.deu-eng.deu", ["Eins.", "Zwei.", "Drei.", "Vier."])
    english = write(tmp_path / "tatoeba.deu-eng.eng", ["One.", "Two.", "Three."])
    with pytest.raises(
        InputFileError,
        match=f"{foreign}:4: has no parallel line in {english}, which ends after line 3",
    ):
        read_tatoeba(tmp_path, "de")
    write(foreign, ["Eins."])
    with pytest.raises(InputFileError, match=f"{english}:2: has no parallel line in {foreign}"):
        read_tatoeba(tmp_path, "de")
    english.unlink()
    with pytest.raises(InputFileError, match="tatoeba.deu-eng.eng: not found"):
        read_tatoeba(tmp_path, "de")
    with pytest.raises(InputFileError, match="has no Tatoeba files for fr"):
        read_tatoeba(tmp_path, "fr")
    write(english, [])
    write(foreign, [])
    with pytest.raises(InputFileError, match="is empty"):
        read_tatoeba(tmp_path, "de")
    foreign.write_bytes(b"Eins.\n\xff\xfe\n")
    write(english, ["One.", "Two."])
    with pytest.raises(InputFileError, match=f"{foreign}:2: is not valid UTF-8"):
        read_tatoeba(tmp_path, "de")


def test_accuracy_in_both_directions(tmp_path: Path):
    """English 2 retrieves foreign 0, foreign 2 retrieves English 1; the others are right."""
    write(tmp_path / "tatoeba.deu-eng.deu", ["d0", "d1", "d2", "d3"])
    write(tmp_path / "tatoeba.deu-eng.eng", ["zero", "one", "two", "three"])
    table = {
        "d0": [1.0, 0.0, 0.0, 0.0],
        "d1": [0.0, 1.0, 0.0, 0.0],
        "d2": [0.0, 0.9, 0.1, 0.0],
        "d3": [0.0, 0.0, 0.0, 1.0],
        "zero": [1.0, 0.1, 0.0, 0.0],
        "one": [0.0, 1.0, 0.0, 0.0],
        "two": [0.9, 0.8, 0.1, 0.0],
        "three": [0.0, 0.0, 0.0, 1.0],
    }
    pair = read_tatoeba(tmp_path, "de")
    result = evaluate_tatoeba(TableEncoder(table), pair, 0, "mean", "cosine", 8, 512)
    assert result.predictions == [0, 1, 0, 3]
    assert result.metrics == {"accuracy_at_1": 0.75, "accuracy_at_1_reverse": 0.75}
    assert result.size == 4
