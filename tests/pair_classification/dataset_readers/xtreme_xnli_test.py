from collections import Counter
from pathlib import Path

import pytest
from allennlp.common.testing import AllenNlpTestCase
from allennlp.data.tokenizers import PretrainedTransformerTokenizer

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader
from tests import XTREME_DATA


def make_reader(model: Path, **kwargs) -> XtremeXnliReader:
    from allennlp.data.token_indexers import PretrainedTransformerIndexer

    return XtremeXnliReader(
        tokenizer=PretrainedTransformerTokenizer(str(model), add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(str(model))},
        **kwargs,
    )


def label_counts(instances) -> Counter:
    return Counter(instance["label"].label for instance in instances)


class TestXtremeXnliReader(AllenNlpTestCase):
    def test_labels_in_a_namespace_of_their_own(self, tiny_xlmr: Path):
        instances = list(
            make_reader(tiny_xlmr, label_namespace="xnli_labels").read(
                XTREME_DATA / "xnli" / "dev-en.tsv"
            )
        )
        assert {instance["label"]._label_namespace for instance in instances} == {"xnli_labels"}
        assert label_counts(instances).keys() == {"entailment", "neutral", "contradiction"}

    def test_reads_xtreme_tsv_with_counts_labels_and_language(self, tiny_transformer: Path):
        reader = make_reader(tiny_transformer)
        instances = list(reader.read(XTREME_DATA / "xnli" / "train-en.tsv"))
        assert len(instances) == 48
        assert label_counts(instances) == {"entailment": 16, "neutral": 16, "contradiction": 16}
        zh = list(reader.read(XTREME_DATA / "xnli" / "test-zh.tsv"))
        assert len(zh) == 12
        metadata = zh[0]["metadata"].metadata
        assert metadata["language"] == metadata["premise_language"] == "zh"
        # The raw line, quotes included, is kept verbatim (quoting is off).
        raw = (XTREME_DATA / "xnli" / "test-zh.tsv").read_text(encoding="utf-8").splitlines()
        first_premise, first_hypothesis, _ = raw[0].split("\t")
        assert (metadata["premise"], metadata["hypothesis"]) == (first_premise, first_hypothesis)
        assert any(
            '"'
            in instance["metadata"].metadata["premise"]
            + instance["metadata"].metadata["hypothesis"]
            for instance in zh
        )

    def test_pair_gets_the_tokenizers_special_tokens(self, tiny_xlmr: Path, tiny_bert: Path):
        xlmr = list(make_reader(tiny_xlmr).read(XTREME_DATA / "xnli" / "dev-en.tsv"))[0]
        texts = [t.text for t in xlmr["tokens"].tokens]
        assert texts[0] == "<s>" and texts[-1] == "</s>" and texts.count("</s>") == 3
        assert {t.type_id for t in xlmr["tokens"].tokens} == {0}  # XLM-R has no token types
        bert = list(make_reader(tiny_bert).read(XTREME_DATA / "xnli" / "dev-en.tsv"))[0]
        texts = [t.text for t in bert["tokens"].tokens]
        assert texts[0] == "[CLS]" and texts[-1] == "[SEP]" and texts.count("[SEP]") == 2
        type_ids = [t.type_id for t in bert["tokens"].tokens]
        assert type_ids[0] == 0 and type_ids[-1] == 1

    def test_truncates_longest_first_and_keeps_special_tokens(
        self, tiny_transformer: Path, tmp_path: Path
    ):
        long_premise = " ".join(["the cat sat on the mat"] * 40)
        data = tmp_path / "train-en.tsv"
        data.write_text(f"{long_premise}\tA short one.\tneutral\n", encoding="utf-8")
        reader = make_reader(tiny_transformer, max_length=32)
        instance = list(reader.read(data))[0]
        tokens = instance["tokens"].tokens
        assert len(tokens) == 32
        full = make_reader(tiny_transformer, max_length=4096)
        untruncated = list(full.read(data))[0]["tokens"].tokens
        # The short hypothesis survives intact at the end, with the closing special token.
        assert [t.text for t in tokens[-6:]] == [t.text for t in untruncated[-6:]]

    def test_multi_source_training_reads_every_file(self, tiny_xlmr: Path):
        reader = make_reader(tiny_xlmr)
        paths = [XTREME_DATA / "xnli" / "dev-en.tsv", XTREME_DATA / "xnli" / "dev-de.tsv"]
        instances = list(reader.read(paths))
        assert len(instances) == 24
        assert Counter(i["metadata"].metadata["language"] for i in instances) == {
            "en": 12,
            "de": 12,
        }

    def test_json_lines(self, tiny_xlmr: Path):
        instances = list(make_reader(tiny_xlmr).read(XTREME_DATA / "xnli_jsonl" / "test-en.jsonl"))
        tsv = list(make_reader(tiny_xlmr).read(XTREME_DATA / "xnli" / "test-en.tsv"))
        assert [i["label"].label for i in instances] == [i["label"].label for i in tsv]
        assert [t.text for t in instances[3]["tokens"].tokens] == [
            t.text for t in tsv[3]["tokens"].tokens
        ]

    @pytest.mark.parametrize(
        "line, problem",
        [
            ("only one column\n", "expected 3 tab-separated columns"),
            ("a b\tc d\tmaybe\n", "unknown XNLI label 'maybe'"),
            ("a b\t \tneutral\n", "empty second sentence"),
            (b"caf\xe9 au lait\tx\tneutral\n", "invalid UTF-8"),
        ],
    )
    def test_bad_lines_name_file_and_line(self, tiny_xlmr: Path, tmp_path: Path, line, problem):
        data = tmp_path / "train-en.tsv"
        good = "A man sleeps.\tA person rests.\tentailment\n".encode()
        data.write_bytes(good + (line if isinstance(line, bytes) else line.encode()) + good)
        with pytest.raises(InputFileError) as error:
            list(make_reader(tiny_xlmr).read(data))
        assert str(error.value).startswith(f"{data}:2: ")
        assert problem in str(error.value)
        skipping = make_reader(tiny_xlmr, skip_invalid_lines=True)
        assert len(list(skipping.read(data))) == 2

    def test_bom_crlf_and_contradictory_are_read(self, tiny_xlmr: Path, tmp_path: Path):
        data = tmp_path / "train-en.tsv"
        data.write_bytes(
            "\ufeffA man sleeps.\tA person rests.\tcontradictory\r\nA\tB b\tneutral\r\n".encode()
        )
        instances = list(make_reader(tiny_xlmr).read(data))
        assert [i["label"].label for i in instances] == ["contradiction", "neutral"]
        assert instances[0]["metadata"].metadata["premise"] == "A man sleeps."

    def test_missing_file(self, tiny_xlmr: Path, tmp_path: Path):
        with pytest.raises(InputFileError, match="file not found"):
            list(make_reader(tiny_xlmr).read(tmp_path / "test-xx.tsv"))
