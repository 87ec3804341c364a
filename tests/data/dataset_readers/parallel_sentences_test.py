"""The `parallel_sentences` reader on the tiny XLM-R tokenizer and the parallel fixtures."""

from pathlib import Path

import pytest
from allennlp.data.dataset_readers.dataset_reader import WorkerInfo
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.data.dataset_readers.parallel_sentences import ParallelSentencesReader
from allennlp_robust_xlt.data.parallel_files import parallel_rows
from allennlp_robust_xlt.pair_classification.dataset_readers import XtremePawsxReader
from tests import DATA_ROOT

SENTENCES = DATA_ROOT / "parallel" / "sentences"
PAWSX_TRANSLATIONS = DATA_ROOT / "parallel" / "pawsx"


def make_reader(model: Path, **kwargs) -> ParallelSentencesReader:
    return ParallelSentencesReader(
        tokenizer=PretrainedTransformerTokenizer(str(model), add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(str(model))},
        **kwargs,
    )


def texts(instance, field):
    return [token.text for token in instance[field].tokens]


def test_sentences_get_the_tokenizers_special_tokens(tiny_xlmr: Path):
    reader = make_reader(tiny_xlmr)
    instances = list(reader.read(SENTENCES))
    rows = list(parallel_rows(SENTENCES))
    assert len(instances) == len(rows) == 25
    tokenizer = PretrainedTransformerTokenizer(str(tiny_xlmr))  # special tokens included
    for instance, row in zip(instances, rows):
        assert texts(instance, "parallel_source") == [
            t.text for t in tokenizer.tokenize(row.english)
        ]
        assert texts(instance, "parallel_target") == [
            t.text for t in tokenizer.tokenize(row.translation)
        ]
        metadata = instance["metadata"].metadata
        assert metadata["language"] == row.language and metadata["pair"] is False
        assert metadata["id"] == f"{row.path}:{row.line}"


def test_sentence_pairs_are_joined_and_truncated_as_the_task_readers_do(
    tiny_xlmr: Path, tmp_path: Path
):
    """The two sides of XTREME's translations, against the PAWS-X reader on the same pairs."""
    instances = list(make_reader(tiny_xlmr, max_length=12).read(PAWSX_TRANSLATIONS))
    assert all(instance["metadata"].metadata["pair"] is True for instance in instances)
    columns = [
        line.split("\t") for line in (PAWSX_TRANSLATIONS / "train-de.tsv").read_text().splitlines()
    ]
    pawsx = XtremePawsxReader(
        tokenizer=PretrainedTransformerTokenizer(str(tiny_xlmr), add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(str(tiny_xlmr))},
        max_length=12,
    )
    for field, first, second in (("parallel_source", 0, 1), ("parallel_target", 2, 3)):
        pairs = tmp_path / f"{field}.tsv"
        pairs.write_text("".join(f"{c[first]}\t{c[second]}\t{c[4]}\n" for c in columns))
        expected = [i["tokens"].tokens for i in pawsx.read(pairs)]
        found = [i[field].tokens for i in instances]
        assert [[(t.text, t.type_id) for t in ts] for ts in found] == [
            [(t.text, t.type_id) for t in ts] for ts in expected
        ]
        assert max(len(tokens) for tokens in found) == 12


def test_languages_and_sharding(tiny_xlmr: Path):
    reader = make_reader(tiny_xlmr, languages=["fr", "zh"])
    assert {i["metadata"].metadata["language"] for i in reader.read(SENTENCES)} == {"fr", "zh"}
    everything = [i["metadata"].metadata["id"] for i in make_reader(tiny_xlmr).read(SENTENCES)]
    shards = []
    for worker in (0, 1):
        reader = make_reader(tiny_xlmr)
        reader._set_worker_info(WorkerInfo(2, worker))
        shards.append([i["metadata"].metadata["id"] for i in reader.read(SENTENCES)])
    assert sorted(shards[0] + shards[1]) == sorted(everything)
    assert shards[0] and shards[1] and not set(shards[0]) & set(shards[1])


def test_bad_parameters(tiny_xlmr: Path):
    with pytest.raises(ParameterError, match="add_special_tokens' must be false"):
        ParallelSentencesReader(tokenizer=PretrainedTransformerTokenizer(str(tiny_xlmr)))
    with pytest.raises(ParameterError, match="'languages' has the unknown language code 'xx'"):
        make_reader(tiny_xlmr, languages=["de", "xx"])
    with pytest.raises(ParameterError, match="'max_length' must leave room"):
        make_reader(tiny_xlmr, max_length=3)
