"""The generalized cross-lingual setting (virtual `{split}-{l1}-{l2}` paths) and sharded reading."""

import shutil
from collections import Counter
from pathlib import Path
from typing import List, Optional, Tuple
from unittest import mock

import pytest
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.data import DatasetReader, Instance
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.dataset_readers.dataset_reader import DistributedInfo, WorkerInfo
from allennlp.data.vocabulary import Vocabulary

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.pair_classification.dataset_readers import (
    XtremePawsxReader,
    XtremeXnliReader,
)
from allennlp_robust_xlt.pair_classification.dataset_readers.pair_files import NotParallelError
from tests import DATA_ROOT, XTREME_DATA

XNLI = XTREME_DATA / "xnli"
PAWSX = XTREME_DATA / "pawsx"


def rows(path: Path) -> List[List[str]]:
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]


def key(instance: Instance) -> Tuple[str, str, Optional[str], str]:
    metadata = instance["metadata"]
    label = instance["label"].label if "label" in instance else None
    return metadata["premise"], metadata["hypothesis"], label, metadata["language"]


class TestGeneralizedSetting(AllenNlpTestCase):
    def test_virtual_pair_path_reads_parallel_files(self):
        path = XNLI / "test-de-fr.tsv"
        assert not path.exists()
        instances = list(XtremeXnliReader().read(path))
        de, fr = rows(XNLI / "test-de.tsv"), rows(XNLI / "test-fr.tsv")
        assert len(instances) == len(de) == 12
        for instance, de_row, fr_row in zip(instances, de, fr):
            metadata = instance["metadata"]
            assert metadata["premise"] == de_row[0] and metadata["hypothesis"] == fr_row[1]
            assert instance["label"].label == de_row[2] == fr_row[2]
            assert (metadata["premise_language"], metadata["hypothesis_language"]) == ("de", "fr")
            assert metadata["language"] == "de-fr"
        assert Counter(i["label"].label for i in instances) == {
            "entailment": 4,
            "neutral": 4,
            "contradiction": 4,
        }

    def test_same_language_pair_equals_the_language_file(self):
        reader = XtremePawsxReader()
        pair = [key(i)[:3] for i in reader.read(PAWSX / "test-ja-ja.tsv")]
        single = [key(i)[:3] for i in reader.read(PAWSX / "test-ja.tsv")]
        assert pair == single and len(pair) == 10

    def test_non_latin_pair_with_transformer(self, tiny_xlmr: Path):
        from allennlp.data.tokenizers import PretrainedTransformerTokenizer

        reader = XtremePawsxReader(
            tokenizer=PretrainedTransformerTokenizer(str(tiny_xlmr), add_special_tokens=False)
        )
        instances = list(reader.read(PAWSX / "test-zh-en.tsv"))
        assert len(instances) == 10
        assert {i["metadata"]["language"] for i in instances} == {"zh-en"}

    def test_labels_that_differ_name_the_file_and_line(self, tmp_path: Path):
        shutil.copy(XNLI / "test-de.tsv", tmp_path / "test-de.tsv")
        fr = rows(XNLI / "test-fr.tsv")
        fr[4][2] = "neutral" if fr[4][2] != "neutral" else "entailment"
        (tmp_path / "test-fr.tsv").write_text(
            "".join("\t".join(r) + "\n" for r in fr), encoding="utf-8"
        )
        with pytest.raises(NotParallelError) as error:
            list(XtremeXnliReader().read(tmp_path / "test-de-fr.tsv"))
        message = str(error.value)
        assert message.startswith(
            f"{tmp_path / 'test-fr.tsv'}:5: not parallel to {tmp_path / 'test-de.tsv'}"
        )
        assert "at its line 5" in message
        # Not skippable: pairs after a divergence would be wrong.
        with pytest.raises(NotParallelError):
            list(XtremeXnliReader(skip_invalid_lines=True).read(tmp_path / "test-de-fr.tsv"))

    def test_files_of_different_length(self, tmp_path: Path):
        shutil.copy(XNLI / "test-de.tsv", tmp_path / "test-de.tsv")
        lines = (XNLI / "test-fr.tsv").read_text(encoding="utf-8").splitlines()[:9]
        (tmp_path / "test-fr.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        with pytest.raises(NotParallelError) as error:
            list(XtremeXnliReader().read(tmp_path / "test-de-fr.tsv"))
        assert str(error.value).startswith(
            f"{tmp_path / 'test-de.tsv'}:10: not parallel to {tmp_path / 'test-fr.tsv'}"
        )
        assert "ends after 9 pairs" in str(error.value)
        # Also the other way round, and also when reading in two workers.
        reader = XtremeXnliReader()
        reader._set_worker_info(WorkerInfo(2, 1))
        with pytest.raises(NotParallelError, match="ends after 9 pairs"):
            list(reader.read(tmp_path / "test-fr-de.tsv"))

    def test_bad_line_in_the_second_file_is_located_there(self, tmp_path: Path):
        shutil.copy(XNLI / "test-de.tsv", tmp_path / "test-de.tsv")
        fr = rows(XNLI / "test-fr.tsv")
        fr[6][1] = " "
        (tmp_path / "test-fr.tsv").write_text(
            "".join("\t".join(r) + "\n" for r in fr), encoding="utf-8"
        )
        with pytest.raises(
            InputFileError, match=rf"^{tmp_path / 'test-fr.tsv'}:7: empty second sentence"
        ):
            list(XtremeXnliReader().read(tmp_path / "test-de-fr.tsv"))
        assert (
            len(list(XtremeXnliReader().read(tmp_path / "test-fr-de.tsv"))) == 12
        )  # only its first sentences
        assert (
            len(list(XtremeXnliReader(skip_invalid_lines=True).read(tmp_path / "test-de-fr.tsv")))
            == 11
        )

    def test_unknown_or_missing_languages(self, tmp_path: Path):
        with pytest.raises(InputFileError) as error:
            list(XtremeXnliReader().read(XNLI / "test-de-xx.tsv"))
        message = str(error.value)
        assert "unknown language code 'xx'" in message
        assert "known XNLI languages: en ar bg de el es fr hi ru sw th tr ur vi zh" in message
        with pytest.raises(
            InputFileError, match=r"test-de-bg.tsv: file not found.*test-bg.tsv does not exist"
        ):
            list(XtremeXnliReader().read(XNLI / "test-de-bg.tsv"))
        with pytest.raises(
            InputFileError, match=r"'xx' is not a known language code; known XNLI languages"
        ):
            list(XtremeXnliReader().read(XNLI / "test-xx.tsv"))

    def test_existing_pair_file_is_read_as_a_file(self, tmp_path: Path):
        (tmp_path / "test-de-fr.tsv").write_text(
            "Ein Satz.\tUne phrase.\tneutral\n", encoding="utf-8"
        )
        instances = list(XtremeXnliReader().read(tmp_path / "test-de-fr.tsv"))
        assert [key(i) for i in instances] == [("Ein Satz.", "Une phrase.", "neutral", "de-fr")]

    def test_generalized_json_lines(self, tmp_path: Path):
        for code, texts in (("en", ("A cat.", "A dog.")), ("de", ("Eine Katze.", "Ein Hund."))):
            (tmp_path / f"test-{code}.jsonl").write_text(
                f'{{"premise": "{texts[0]}", "hypothesis": "{texts[1]}", "label": "neutral"}}\n',
                encoding="utf-8",
            )
        instances = list(XtremeXnliReader().read(tmp_path / "test-en-de.jsonl"))
        assert [key(i) for i in instances] == [("A cat.", "Ein Hund.", "neutral", "en-de")]

    def test_unlabelled_parallel_files(self, tmp_path: Path):
        for code in ("de", "fr"):
            (tmp_path / f"test-{code}.tsv").write_text(
                "".join(f"{a}\t{b}\n" for a, b, _ in rows(XNLI / f"test-{code}.tsv")),
                encoding="utf-8",
            )
        instances = list(XtremeXnliReader().read(tmp_path / "test-fr-de.tsv"))
        assert len(instances) == 12 and all("label" not in i for i in instances)
        # An unlabelled file may not suddenly have labels.
        with open(tmp_path / "test-de.tsv", "a", encoding="utf-8") as data:
            data.write("Ein Satz.\tNoch einer.\tneutral\n")
        with pytest.raises(
            InputFileError, match=r"test-de.tsv:13: expected 2 tab-separated columns"
        ):
            list(XtremeXnliReader().read(tmp_path / "test-de.tsv"))


def read_sharded(
    reader: DatasetReader, path, num_workers: int = 1, world_size: int = 1
) -> List[List[tuple]]:
    """
    What each (rank, worker) reads, as AllenNLP's data loader and distributed training set it up:
    the data loader sets the worker info in each worker; under distributed training, the reader
    has its distributed info and `shard_iterable` asks torch.distributed for the rank.
    """
    shards = []
    for rank in range(world_size):
        for worker in range(num_workers):
            reader._set_worker_info(WorkerInfo(num_workers, worker) if num_workers > 1 else None)
            reader._set_distributed_info(
                DistributedInfo(world_size, rank) if world_size > 1 else None
            )
            with (
                mock.patch("allennlp.common.util.is_distributed", return_value=world_size > 1),
                mock.patch("torch.distributed.get_rank", return_value=rank),
                mock.patch("torch.distributed.get_world_size", return_value=world_size),
            ):
                shards.append([key(instance) for instance in reader.read(path)])
    reader._set_worker_info(None)
    reader._set_distributed_info(None)
    return shards


SHARDED_INPUTS = [
    (XtremeXnliReader, XNLI / "train-en.tsv", 48),
    (XtremeXnliReader, XNLI / "test-ar-zh.tsv", 12),
    (XtremeXnliReader, DATA_ROOT / "original" / "XNLI-1.0" / "xnli.test.tsv", 60),
    (
        lambda: XtremeXnliReader(languages=["de", "zh"]),
        DATA_ROOT / "original" / "XNLI-1.0" / "xnli.test.tsv",
        24,
    ),
    (
        XtremeXnliReader,
        DATA_ROOT / "original" / "XNLI-MT-1.0" / "multinli" / "multinli.train.en.tsv",
        24,
    ),
    (XtremePawsxReader, DATA_ROOT / "original" / "x-final" / "en" / "train.tsv", 12),
    (XtremeXnliReader, [XNLI / "dev-en.tsv", XNLI / "dev-de.tsv", XNLI / "test-de-en.tsv"], 36),
]


@pytest.mark.parametrize("reader_class, path, count", SHARDED_INPUTS)
@pytest.mark.parametrize("num_workers, world_size", [(2, 1), (1, 2), (2, 2)])
def test_shards_cover_every_pair_once(
    reader_class, path, count: int, num_workers: int, world_size: int
):
    reader = reader_class()
    full = [key(instance) for instance in reader.read(path)]
    assert len(full) == count
    shards = read_sharded(reader, path, num_workers, world_size)
    assert len(shards) == num_workers * world_size
    assert all(shards), "every shard gets pairs"
    union = [item for shard in shards for item in shard]
    assert len(union) == len(full)  # no pair twice
    assert Counter(union) == Counter(full)  # and none missing


def test_distributed_sharding_is_really_applied():
    """The patch above reaches AllenNLP's shard_iterable: rank 1 of 2 reads the odd lines."""
    reader = XtremeXnliReader()
    full = [key(instance) for instance in reader.read(XNLI / "test-de-fr.tsv")]
    rank_one = read_sharded(reader, XNLI / "test-de-fr.tsv", world_size=2)[1]
    assert rank_one == full[1::2]


def test_two_worker_data_loader_from_config(tiny_xlmr: Path):
    """Multi-source reading from a config with `num_workers: 2`: every pair once."""
    reader = DatasetReader.from_params(
        Params(
            {
                "type": "xtreme_xnli",
                "tokenizer": {
                    "type": "pretrained_transformer",
                    "model_name": str(tiny_xlmr),
                    "add_special_tokens": False,
                },
                "token_indexers": {
                    "tokens": {"type": "pretrained_transformer", "model_name": str(tiny_xlmr)}
                },
            }
        )
    )
    paths = [str(XNLI / "dev-en.tsv"), str(XNLI / "test-fr-de.tsv")]
    loader = MultiProcessDataLoader(reader, paths, batch_size=5, num_workers=2)
    loader.index_with(Vocabulary.from_instances(reader.read(paths)))
    languages = Counter()
    total = 0
    for batch in loader:
        total += len(batch["label"])
        languages.update(m["language"] for m in batch["metadata"])
    assert total == 24
    assert languages == {"en": 12, "fr-de": 12}
