"""Every file layout the XTREME readers accept, read from the fixture files of each release."""

from collections import Counter
from pathlib import Path
from typing import List, Tuple

import pytest
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.common.util import ensure_list
from allennlp.data import DatasetReader, Instance
from allennlp.data.tokenizers import PretrainedTransformerTokenizer

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.pair_classification.dataset_readers import (
    XtremePawsxReader,
    XtremeXnliReader,
)
from allennlp_robust_xlt.pair_classification.dataset_readers.pair_files import open_source
from tests import DATA_ROOT, XTREME_DATA

ORIGINAL = DATA_ROOT / "original"
XNLI_1_0 = ORIGINAL / "XNLI-1.0"
XNLI_MT_TRAIN = ORIGINAL / "XNLI-MT-1.0" / "multinli" / "multinli.train.en.tsv"
X_FINAL = ORIGINAL / "x-final"


def triples(instances: List[Instance]) -> List[Tuple[str, str, str]]:
    return [
        (
            i["metadata"]["premise"],
            i["metadata"]["hypothesis"],
            i["label"].label if "label" in i else None,
        )
        for i in instances
    ]


def labels(instances: List[Instance]) -> Counter:
    return Counter(instance["label"].label for instance in instances)


def languages(instances: List[Instance]) -> Counter:
    return Counter(instance["metadata"]["language"] for instance in instances)


def xtreme_rows(path: Path) -> List[Tuple[str, str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines]  # type: ignore[misc]


class TestXnliLayouts(AllenNlpTestCase):
    def test_xnli_1_0_all_language_files(self):
        reader = XtremeXnliReader()
        test = list(reader.read(XNLI_1_0 / "xnli.test.tsv"))
        assert len(test) == 60
        assert labels(test) == {"entailment": 20, "neutral": 20, "contradiction": 20}
        assert languages(test) == {"en": 12, "de": 12, "fr": 12, "zh": 12, "ar": 12}
        dev = list(reader.read(XNLI_1_0 / "xnli.dev.tsv"))
        assert len(dev) == 30
        assert labels(dev) == {"entailment": 10, "neutral": 10, "contradiction": 10}
        assert languages(dev) == {"en": 6, "de": 6, "fr": 6, "zh": 6, "ar": 6}
        # The same pairs as XTREME's per-language files, quotes and scripts intact.
        for code in ("en", "de", "fr", "zh", "ar"):
            of_language = [i for i in test if i["metadata"]["language"] == code]
            assert triples(of_language) == xtreme_rows(XTREME_DATA / "xnli" / f"test-{code}.tsv")
        assert any('"' in premise for premise, _, _ in triples(test))

    def test_languages_parameter_selects_from_the_all_language_file(self):
        reader = XtremeXnliReader(languages=["de", "zh"])
        instances = list(reader.read(XNLI_1_0 / "xnli.test.tsv"))
        assert languages(instances) == {"de": 12, "zh": 12}
        assert labels(instances) == {"entailment": 8, "neutral": 8, "contradiction": 8}
        # From a config, as `allennlp train` builds it.
        from_config = DatasetReader.from_params(
            Params({"type": "xtreme_xnli", "languages": ["ar"]})
        )
        assert languages(list(from_config.read(XNLI_1_0 / "xnli.dev.tsv"))) == {"ar": 6}

    def test_unknown_language_in_languages_lists_the_known_codes(self):
        with pytest.raises(ParameterError) as error:
            XtremeXnliReader(languages=["de", "xx"])
        message = str(error.value)
        assert "'languages'" in message and "'xx'" in message
        assert "en ar bg de el es fr hi ru sw th tr ur vi zh" in message
        with pytest.raises(ParameterError, match="'ja'.*en de es fr ja ko zh|'ja'.*known codes"):
            XtremeXnliReader(languages=["ja"])  # a PAWS-X language, not an XNLI one
        with pytest.raises(ParameterError, match="non-empty list"):
            XtremeXnliReader(languages="de")  # type: ignore[arg-type]

    def test_xnli_mt_training_file(self):
        instances = list(XtremeXnliReader().read(XNLI_MT_TRAIN))
        assert len(instances) == 24
        # `contradictory` in the release is read as `contradiction`.
        assert labels(instances) == {"entailment": 8, "neutral": 8, "contradiction": 8}
        assert languages(instances) == {"en": 24}
        raw = XNLI_MT_TRAIN.read_text(encoding="utf-8").splitlines()
        assert raw[0] == "premise\thypo\tlabel"  # the header is not read as a pair
        assert triples(instances)[0] == tuple(raw[1].split("\t")[:2]) + ("contradiction",)

    def test_xtreme_translate_train_files_with_five_columns(self, tmp_path: Path):
        """XTREME's translations: the English pair, the translated pair, the label."""
        path = XTREME_DATA / "xnli" / "translate-train" / "train-de.tsv"
        instances = ensure_list(XtremeXnliReader().read(path))
        german = xtreme_rows(XTREME_DATA / "xnli" / "test-de.tsv")
        assert triples(instances) == german  # `contradictory` read as `contradiction`
        assert languages(instances) == {"de": 12}
        # The same file under XTREME's bucket name, and its English originals kept in the rows.
        renamed = tmp_path / "en-de-translated.tsv"
        renamed.write_bytes(path.read_bytes())
        assert languages(ensure_list(XtremeXnliReader().read(renamed))) == {"de": 12}
        source = open_source(str(renamed))
        rows = [source.parse(unit) for unit in source.units()]
        english = xtreme_rows(XTREME_DATA / "xnli" / "test-en.tsv")
        assert [(row.source_first, row.source_second) for row in rows] == [
            (first, second) for first, second, _ in english
        ]
        renamed.write_text("a\tb\tc\td\tmaybe\n")
        with pytest.raises(InputFileError, match=r"translated.tsv:1: unknown XNLI label 'maybe'"):
            ensure_list(XtremeXnliReader().read(renamed))

    def test_json_lines_with_language_key(self, tmp_path: Path):
        data = tmp_path / "mixed.jsonl"
        data.write_text(
            '{"sentence1": "A man \\"sleeps\\".", "sentence2": "Ein Mann schläft.", "gold_label":'
            ' "entailment", "language": "de"}\n{"premise": "猫が寝ている。", "hypothesis":'
            ' "猫は走っている。", "label": "contradiction"}\n',
            encoding="utf-8",
        )
        instances = list(XtremeXnliReader().read(data))
        assert triples(instances) == [
            ('A man "sleeps".', "Ein Mann schläft.", "entailment"),
            ("猫が寝ている。", "猫は走っている。", "contradiction"),
        ]
        assert [i["metadata"]["language"] for i in instances] == ["de", None]

    def test_transformer_tokenizer_on_non_latin_scripts(self, tiny_xlmr: Path):
        reader = XtremeXnliReader(
            tokenizer=PretrainedTransformerTokenizer(str(tiny_xlmr), add_special_tokens=False),
            max_length=64,
        )
        instances = list(reader.read(XNLI_1_0 / "xnli.test.tsv"))
        for instance in instances:
            tokens = [t.text for t in instance["tokens"].tokens]
            assert tokens[0] == "<s>" and tokens[-1] == "</s>" and 4 < len(tokens) <= 64


class TestPawsxLayouts(AllenNlpTestCase):
    @pytest.mark.parametrize("code", ["en", "de", "fr", "ja", "zh"])
    def test_x_final_release_matches_xtreme_files(self, code: str):
        reader = XtremePawsxReader()
        test = list(reader.read(X_FINAL / code / "test_2k.tsv"))
        assert len(test) == 10
        assert labels(test) == {"0": 5, "1": 5}
        assert languages(test) == {code: 10}  # from the directory name
        assert triples(test) == xtreme_rows(XTREME_DATA / "pawsx" / f"test-{code}.tsv")
        dev = list(reader.read(X_FINAL / code / "dev_2k.tsv"))
        assert len(dev) == 4 and labels(dev) == {"0": 2, "1": 2}

    def test_x_final_train_and_xtreme_train(self):
        reader = XtremePawsxReader()
        train = list(reader.read(X_FINAL / "en" / "train.tsv"))
        assert len(train) == 12 and labels(train) == {"0": 6, "1": 6}
        xtreme_train = list(reader.read(XTREME_DATA / "pawsx" / "train-en.tsv"))
        assert len(xtreme_train) == 40 and labels(xtreme_train) == {"0": 20, "1": 20}
        assert languages(xtreme_train) == {"en": 40}

    def test_xtreme_pawsx_non_latin(self):
        instances = list(XtremePawsxReader().read(XTREME_DATA / "pawsx" / "test-ja.tsv"))
        assert len(instances) == 10 and labels(instances) == {"0": 5, "1": 5}
        assert any('"' in premise for premise, _, _ in triples(instances))
        assert all(any(ord(c) > 0x3000 for c in premise) for premise, _, _ in triples(instances))

    def test_pawsx_json_lines_without_labels(self):
        instances = list(XtremePawsxReader().read(DATA_ROOT / "pawsx_pairs.jsonl"))
        assert len(instances) == 5
        assert all("label" not in instance for instance in instances)


class TestBadInputInEveryLayout(AllenNlpTestCase):
    """Errors name the file, the line and the problem; skip_invalid_lines skips and counts."""

    CASES = [
        # (file name, header, good line, bad line, problem)
        ("xnli.test.tsv", (XNLI_1_0 / "xnli.test.tsv").read_text(encoding="utf-8").splitlines()[0],
         (XNLI_1_0 / "xnli.test.tsv").read_text(encoding="utf-8").splitlines()[1],
         "en\tentailment\tonly four\tcolumns", "expected 16 tab-separated columns (XNLI-1.0 layout), found 4"),
        ("xnli.dev.tsv", (XNLI_1_0 / "xnli.dev.tsv").read_text(encoding="utf-8").splitlines()[0],
         (XNLI_1_0 / "xnli.dev.tsv").read_text(encoding="utf-8").splitlines()[1],
         "\t".join(["de", "vielleicht"] + ["x"] * 14), "unknown XNLI label 'vielleicht'"),
        ("multinli.train.en.tsv", "premise\thypo\tlabel", "A man sleeps.\tA person rests.\tentailment",
         "A man sleeps.\t  \tneutral", "empty second sentence"),
        ("test-de.tsv", None, "A man sleeps.\tA person rests.\tentailment",
         b"Caf\xe9\tx\tneutral", "invalid UTF-8"),
        ("test-de.jsonl", None, '{"premise": "A", "hypothesis": "B", "label": "neutral"}',
         '{"premise": "A", "label": "neutral"}', "expected keys premise/hypothesis"),
    ]  # fmt: skip

    @pytest.mark.parametrize("name, header, good, bad, problem", CASES)
    def test_xnli_bad_line(self, tmp_path: Path, name, header, good, bad, problem):
        lines = ([header.encode()] if header else []) + [
            good.encode(),
            bad if isinstance(bad, bytes) else bad.encode(),
            good.encode(),
        ]
        data = tmp_path / name
        data.write_bytes(b"\n".join(lines) + b"\n")
        bad_line = 3 if header else 2
        with pytest.raises(InputFileError) as error:
            list(XtremeXnliReader().read(data))
        assert str(error.value).startswith(f"{data}:{bad_line}: ")
        assert problem in str(error.value)
        assert len(list(XtremeXnliReader(skip_invalid_lines=True).read(data))) == 2

    def test_pawsx_x_final_bad_label_and_columns(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ):
        data = tmp_path / "de" / "test_2k.tsv"
        data.parent.mkdir()
        data.write_text(
            "id\tsentence1\tsentence2\tlabel\n1\tA b.\tB a.\t1\n2\tA b.\tB a.\tyes\n3\tA b.\t1\n",
            encoding="utf-8",
        )
        with pytest.raises(InputFileError, match=r"test_2k.tsv:3: unknown PAWS-X label 'yes'"):
            list(XtremePawsxReader().read(data))
        reader = XtremePawsxReader(skip_invalid_lines=True)
        with caplog.at_level(
            "WARNING",
            logger="allennlp_robust_xlt.pair_classification.dataset_readers.xtreme_pair_reader",
        ):
            assert len(list(reader.read(data))) == 1
        assert "test_2k.tsv: skipped 2 invalid line(s)" in caplog.text

    def test_header_named_file_without_its_header(self, tmp_path: Path):
        data = tmp_path / "xnli.test.tsv"
        data.write_text("en\tentailment\tA man sleeps.\tA person rests.\n", encoding="utf-8")
        with pytest.raises(
            InputFileError, match=r"xnli.test.tsv:1: the file name is that of the XNLI-1.0 layout"
        ):
            list(XtremeXnliReader().read(data))
        empty = tmp_path / "fr" / "dev_2k.tsv"
        empty.parent.mkdir()
        empty.write_text("", encoding="utf-8")
        with pytest.raises(
            InputFileError, match=r"dev_2k.tsv: file is empty \(expected the PAWS-X header\)"
        ):
            list(XtremePawsxReader().read(empty))

    def test_missing_file_in_a_list(self, tmp_path: Path):
        with pytest.raises(InputFileError, match=r"train-de.tsv: file not found"):
            list(
                XtremeXnliReader().read(
                    [XTREME_DATA / "xnli" / "dev-en.tsv", tmp_path / "train-de.tsv"]
                )
            )


def test_header_only_layout_table_is_consistent():
    """The layout table and detection, independent of any reader."""
    from allennlp_robust_xlt.pair_classification.dataset_readers.pair_layouts import (
        TSV_LAYOUTS,
        detect_layout,
    )

    assert TSV_LAYOUTS[-1].name == "XTREME" and not TSV_LAYOUTS[-1].has_header
    names = {spec.name for spec in TSV_LAYOUTS}
    assert names == {"XTREME", "XNLI-1.0", "XNLI-MT-1.0", "PAWS-X"}
    assert detect_layout("x/test-de.tsv", b"a\tb\tneutral").name == "XTREME"
    assert detect_layout("whatever.tsv", b"premise\thypo\tlabel").name == "XNLI-MT-1.0"
    # A reordered PAWS-X header: positions come from the header.
    layout = detect_layout("ja/dev_2k.tsv", b"id\tlabel\tsentence1\tsentence2")
    row = layout.parse("7\t1\tfirst\tsecond".encode(), 2)
    assert (row.first, row.second, row.label, row.first_language) == ("first", "second", "1", "ja")
    assert detect_layout("a/test-de.jsonl", None).name == "JSON lines"
