"""The xtreme_udpos / xtreme_panx readers on XTREME's layout and the original releases."""

import gzip
import re
from pathlib import Path
from typing import List, Tuple

import pytest
from allennlp.data import Vocabulary
from allennlp.data.dataset_readers.dataset_reader import WorkerInfo

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.tagging.dataset_readers import XtremePanxReader, XtremeUdposReader
from tests import DATA_ROOT, XTREME_DATA

ORIGINAL = DATA_ROOT / "original"


def sentences(reader, path) -> List[Tuple[List[str], List[str]]]:
    return [
        (instance["metadata"]["words"], list(instance["tags"]) if "tags" in instance else None)
        for instance in reader.read(path)
    ]


def xtreme_file(path: Path) -> List[Tuple[List[str], List[str]]]:
    """A file in XTREME's layout, read naively (the expected values)."""
    blocks = [block for block in path.read_text(encoding="utf-8").split("\n\n") if block.strip()]
    result = []
    for block in blocks:
        rows = [line.split("\t") for line in block.strip("\n").split("\n")]
        result.append(([row[0] for row in rows], [row[1] for row in rows]))
    return result


def test_xtreme_layout():
    reader = XtremeUdposReader()
    instances = list(reader.read(XTREME_DATA / "udpos" / "test-de.tsv"))
    assert len(instances) == 4
    first = instances[0]
    assert first["metadata"]["words"] == ["Der", "alte", "Mann", "liest", "ein", "Buch", "."]
    assert list(first["tags"]) == ["DET", "ADJ", "NOUN", "VERB", "DET", "NOUN", "PUNCT"]
    assert [i["metadata"]["id"] for i in instances] == ["1", "9", "18", "27"]
    assert {i["metadata"]["language"] for i in instances} == {"de"}
    assert len(first["tokens"]) == 7
    for task, reader in (("udpos", XtremeUdposReader()), ("panx", XtremePanxReader())):
        path = XTREME_DATA / task / "train-en.tsv"
        assert sentences(reader, path) == xtreme_file(path)


def test_blank_lines_endings_and_encodings(tmp_path: Path):
    """Several blank lines are one separator; no final newline, CRLF, a BOM and gzip are fine."""
    text = "\ufeffA\tDET\r\ncat\tNOUN\r\n\r\n\r\n  \r\nsleeps\tVERB"
    plain = tmp_path / "dev-en.tsv"
    plain.write_bytes(text.encode("utf-8"))
    zipped = tmp_path / "dev-fr.tsv"
    zipped.write_bytes(gzip.compress(text.encode("utf-8")))
    expected = [(["A", "cat"], ["DET", "NOUN"]), (["sleeps"], ["VERB"])]
    for path in (plain, zipped):
        assert sentences(XtremeUdposReader(), path) == expected
    instances = list(XtremeUdposReader().read(zipped))
    assert [i["metadata"]["id"] for i in instances] == ["1", "6"]
    assert instances[0]["metadata"]["language"] == "fr"


def test_a_file_without_tags_is_read_for_prediction(tmp_path: Path):
    path = tmp_path / "test-de.tsv"
    path.write_text("Der\nMann\n\nEr\n", encoding="utf-8")
    instances = list(XtremeUdposReader().read(path))
    assert [i["metadata"]["words"] for i in instances] == [["Der", "Mann"], ["Er"]]
    assert all("tags" not in i.fields and not i["metadata"]["has_tags"] for i in instances)


def test_wikiann_release_files_read_as_xtremes_preprocessing():
    """Expected: XTREME's panx_preprocess output on the same files (panx-expected/README.md)."""
    reader = XtremePanxReader()
    for language in ("en", "de"):
        for split in ("train", "dev", "test"):
            release = ORIGINAL / "panx_dataset" / language / split
            expected = xtreme_file(ORIGINAL / "panx-expected" / f"{split}-{language}.tsv")
            assert sentences(reader, release) == expected
            assert {i["metadata"]["language"] for i in reader.read(release)} == {language}
    # "Time:" keeps its colon: only the text before the first colon is the language.
    words = sentences(reader, ORIGINAL / "panx_dataset" / "en" / "train")[2][0]
    assert words == ["Time:", "10:30", "at", "Google"]


def test_conllu_treebanks_read_as_xtremes_conversion():
    """Expected: XTREME's conversion of the same treebanks (ud-expected/README.md)."""
    reader = XtremeUdposReader()
    treebanks = ORIGINAL / "ud-treebanks-v2.5"
    # Several treebanks of a language, in the order of their names, as XTREME concatenates them.
    train = sentences(reader, str(treebanks / "UD_English-*" / "en_*-ud-train.conllu"))
    assert train == xtreme_file(ORIGINAL / "ud-expected" / "train-en.tsv")
    for language, treebank in (("es", "UD_Spanish-GSD"), ("de", "UD_German-GSD")):
        path = next((treebanks / treebank).glob("*-ud-test.conllu"))
        assert sentences(reader, path) == xtreme_file(
            ORIGINAL / "ud-expected" / f"test-{language}.tsv"
        )
        assert {i["metadata"]["language"] for i in reader.read(path)} == {language}
    instances = list(reader.read([treebanks / "UD_English-GUM" / "en_gum-ud-train.conllu"] * 2))
    assert [i["metadata"]["id"] for i in instances] == ["en_gum-ud-train.conllu:3"] * 2
    ancora = treebanks / "UD_Spanish-AnCora" / "es_ancora-ud-test.conllu"
    with pytest.raises(InputFileError, match=r"es_ancora-ud-test.conllu:3: XTREME's conversion"):
        list(reader.read(ancora))


def test_reading_is_sharded():
    path = XTREME_DATA / "panx" / "train-en.tsv"
    everything = [i["metadata"]["id"] for i in XtremePanxReader().read(path)]
    shares = []
    for worker in range(3):
        reader = XtremePanxReader()
        reader._set_worker_info(WorkerInfo(3, worker))
        shares.append([i["metadata"]["id"] for i in reader.read(path)])
    assert sorted(sum(shares, [])) == sorted(everything) and all(shares)


@pytest.mark.parametrize(
    "reader, name, content, line, problem",
    [
        (
            "udpos",
            "dev-en.tsv",
            "a\tDET\tx\n",
            1,
            "expected 2 tab-separated columns (word, tag; XTREME layout), found 3",
        ),
        ("udpos", "dev-en.tsv", "a\tDET\nb\n", 2, "expected 2 tab-separated columns"),
        ("udpos", "dev-en.tsv", "a\nb\tNOUN\n", 2, "expected 1 column (word without a tag"),
        ("udpos", "dev-en.tsv", "a\tDET\nb\t\n", 2, "empty tag for the word 'b'"),
        (
            "udpos",
            "dev-en.tsv",
            "a\tNOUNS\n",
            1,
            "unknown UD-POS tag 'NOUNS'; expected one of ADJ ADP",
        ),
        (
            "panx",
            "dev-en.tsv",
            "Paris\tLOC\n",
            1,
            "'LOC' is not a BIO tag: PAN-X needs O, B-TYPE or I-TYPE",
        ),
        ("panx", "dev-en.tsv", "Paris\tB-MISC\n", 1, "unknown PAN-X tag 'B-MISC'"),
        ("panx", "dev-en.tsv", "ok\tO\n\nbad\xff\tO\n", 3, "invalid UTF-8"),
        ("panx", "train", "en:a\tO\nno-colon\tO\n", 2, "expected lang:token (WikiANN layout)"),
        (
            "panx",
            "dev-en.tsv",
            "en:Paris\tB-LOC\nen:is\tO\n",
            1,
            "every word starts with a language prefix ('en:Paris'): this is WikiANN's",
        ),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, reader, name, content, line, problem):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
    reader = XtremeUdposReader() if reader == "udpos" else XtremePanxReader()
    with pytest.raises(InputFileError, match=re.escape(f"{path}:{line}: {problem}")):
        list(reader.read(path))


def test_missing_and_empty_files(tmp_path: Path):
    (tmp_path / "dev-en.tsv").write_text("\n\n", encoding="utf-8")
    reader = XtremeUdposReader()
    with pytest.raises(InputFileError, match="dev-en.tsv: file is empty"):
        list(reader.read(tmp_path / "dev-en.tsv"))
    with pytest.raises(InputFileError, match="test-xx.tsv: file not found"):
        list(reader.read(tmp_path / "test-xx.tsv"))
    with pytest.raises(InputFileError, match=r"\*.conllu: no file matches this pattern"):
        list(reader.read(str(tmp_path / "*.conllu")))


def test_a_tag_the_model_never_saw_names_its_line(tmp_path: Path):
    path = tmp_path / "test-de.tsv"
    path.write_text("Hallo\tINTJ\nWelt\tNOUN\n", encoding="utf-8")
    vocabulary = Vocabulary()
    vocabulary.add_tokens_to_namespace(["NOUN", "VERB"], "labels")
    instance = next(iter(XtremeUdposReader().read(path)))
    with pytest.raises(
        InputFileError, match=rf"{path}:1: the tag 'INTJ' was never seen in training"
    ):
        instance.index_fields(vocabulary)
