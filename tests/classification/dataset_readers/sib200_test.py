"""The `sib200` reader on the fixture files (made-up sentences in SIB-200's layout) and bad input."""

from pathlib import Path

import pytest
from allennlp.data.tokenizers import PretrainedTransformerTokenizer

from allennlp_robust_xlt.classification.dataset_readers import Sib200Reader
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from tests import XTREME_DATA

SIB = XTREME_DATA / "sib200"
HEADER = "index_id\tcategory\ttext\n"


def write(root: Path, language: str, text: str) -> Path:
    path = root / language / "test.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_texts_labels_languages_and_ids():
    instances = list(Sib200Reader().read(SIB / "eng_Latn" / "train.tsv"))
    assert len(instances) == 14
    first = instances[0]
    assert first["label"].label == "science/technology"
    assert first["metadata"]["language"] == "eng_Latn" and first["metadata"]["id"] == "100"
    labels = {instance["label"].label for instance in instances}
    assert len(labels) == 7
    # pandas' quoting: the quoted text with doubled quotes is read as it was written.
    dev = list(Sib200Reader().read(SIB / "eng_Latn" / "dev.tsv"))
    assert dev[0]["metadata"]["text"] == 'The "quantum" experiment was repeated in the lab.'
    yoruba = list(Sib200Reader().read(SIB / "yor_Latn" / "test.tsv"))
    assert {i["metadata"]["language"] for i in yoruba} == {"yor_Latn"}


def test_wordpieces_are_truncated_with_the_special_tokens(tiny_xlmr: Path):
    tokenizer = PretrainedTransformerTokenizer(str(tiny_xlmr), add_special_tokens=False)
    reader = Sib200Reader(tokenizer=tokenizer, max_length=6)
    instance = reader.text_to_instance("The river flows through three countries today.", "travel")
    tokens = [token.text for token in instance["tokens"].tokens]
    assert len(tokens) == 6 and tokens[0] == "<s>" and tokens[-1] == "</s>"
    plain = tokenizer.tokenize("The river flows through three countries today.")
    assert tokens[1:-1] == [token.text for token in plain[:4]]


def test_languages_select_files_and_unknown_codes_are_refused():
    reader = Sib200Reader(languages=["deu_Latn"])
    assert list(reader.read([SIB / "yor_Latn" / "test.tsv"])) == []
    assert len(list(reader.read([SIB / "deu_Latn" / "test.tsv"]))) == 7
    with pytest.raises(ParameterError, match=r"unknown language code 'deu_Latm'"):
        Sib200Reader(languages=["deu_Latm"])


@pytest.mark.parametrize(
    "text, line, problem",
    [
        (
            "id\tlabel\ttext\n1\ttravel\tx\n",
            1,
            "expected the header index_id<TAB>category<TAB>text",
        ),
        (HEADER + "1\ttravel\tGo.\n2\ttravel\n", 3, "expected 3 tab-separated columns"),
        (HEADER + "1\tcooking\tBake it.\n", 2, "unknown SIB-200 category 'cooking'"),
        (HEADER + "1\ttravel\t  \n", 2, "empty text"),
        (HEADER + "1\ttravel\t\xff\n", None, None),
    ],
)
def test_bad_lines_are_one_line_naming_file_and_line(tmp_path: Path, text, line, problem):
    path = tmp_path / "deu_Latn" / "test.tsv"
    path.parent.mkdir(parents=True)
    if problem is None:
        path.write_bytes(HEADER.encode() + b"1\ttravel\t\xff\n")
        line, problem = 2, "invalid UTF-8"
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as raised:
        list(Sib200Reader().read(path))
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: {problem}") and "\n" not in message


def test_an_unknown_language_directory_and_an_empty_file(tmp_path: Path):
    path = write(tmp_path, "xyz_Latn", HEADER + "1\ttravel\tGo.\n")
    with pytest.raises(InputFileError, match=r"unknown language code 'xyz_Latn'"):
        list(Sib200Reader().read(path))
    empty = write(tmp_path, "deu_Latn", "")
    with pytest.raises(InputFileError, match=r"file is empty"):
        list(Sib200Reader().read(empty))
    missing = tmp_path / "fra_Latn" / "test.tsv"
    with pytest.raises(InputFileError, match=r"fra_Latn/test\.tsv: file not found"):
        list(Sib200Reader().read(missing))


def test_a_file_without_labels_is_read_for_prediction(tmp_path: Path):
    path = write(tmp_path, "deu_Latn", "index_id\ttext\n7\tEin Satz.\n")
    (instance,) = Sib200Reader().read(path)
    assert "label" not in instance.fields and instance["metadata"]["id"] == "7"


def test_the_tokenizer_must_leave_special_tokens_to_the_reader(tiny_xlmr: Path):
    with pytest.raises(ParameterError, match="add_special_tokens"):
        Sib200Reader(tokenizer=PretrainedTransformerTokenizer(str(tiny_xlmr)))
