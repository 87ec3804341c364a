"""The `masakhaner` reader: MasakhaNER 2.0's `{lang}/{split}.txt` and PAN-X's files, DATE as O."""

from pathlib import Path

import pytest

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.tagging.dataset_readers import MasakhanerReader
from tests import XTREME_DATA

MASAKHANER = XTREME_DATA / "masakhaner"


def test_words_tags_and_the_language_of_the_directory_with_date_read_as_o():
    sentences = list(MasakhanerReader().read(MASAKHANER / "yor" / "test.txt"))
    assert len(sentences) == 2
    first = sentences[0]
    assert first["metadata"]["words"] == ["Adé", "Ọlá", "lọ", "sí", "Èkó", "lánàá", "."]
    assert first["tags"].labels == ["B-PER", "I-PER", "O", "O", "B-LOC", "O", "O"]
    assert first["metadata"]["language"] == "yor" and first["metadata"]["line"] == 1
    assert sentences[1]["tags"].labels[-3:] == ["O", "O", "O"]  # ọjọ́ Ajé . (B-DATE I-DATE O)


def test_pan_x_english_reads_too():
    sentences = list(MasakhanerReader().read(XTREME_DATA / "panx" / "train-en.tsv"))
    assert sentences and sentences[0]["tags"].labels[:2] == ["B-PER", "I-PER"]


@pytest.mark.parametrize(
    "text, line, problem",
    [
        ("Adé B-PER\nlọ O extra\n", 2, "expected 2 space-separated columns (word, tag;"),
        ("Adé B-PER\nlọ B-MISC\n", 2, "unknown MasakhaNER 2.0 tag 'B-MISC'"),
        ("Adé B-PER\nlọ DATE\n", 2, "'DATE' is not a BIO tag"),
    ],
)
def test_bad_lines_are_one_line(tmp_path: Path, text: str, line: int, problem: str):
    path = tmp_path / "hau" / "dev.txt"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as raised:
        list(MasakhanerReader().read(path))
    assert str(raised.value).startswith(f"{path}:{line}: {problem}")


def test_a_file_without_tags_reads_for_prediction(tmp_path: Path):
    path = tmp_path / "hau" / "test.txt"
    path.parent.mkdir()
    path.write_text("Musa\nya\n\nKano\n", encoding="utf-8")
    sentences = list(MasakhanerReader().read(path))
    assert [s["metadata"]["words"] for s in sentences] == [["Musa", "ya"], ["Kano"]]
    assert all("tags" not in s.fields for s in sentences)
