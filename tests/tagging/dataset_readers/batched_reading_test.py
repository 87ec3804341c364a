"""
The tagging readers read each chunk of sentences at once and hand its words to an indexer with
`prefetch_words` (`pretrained_transformer_mismatched_batched`): on every tagging fixture, the
instances and their tensors must be exactly those of the reader as it was, sentence by sentence,
with AllenNLP's `pretrained_transformer_mismatched` indexer (with and without `max_length`
segments); errors still surface at their line, and shards are unchanged.
"""

import itertools
from pathlib import Path
from typing import List, Optional, Tuple
from unittest import mock

import pytest
from allennlp.data import Batch, Instance, Vocabulary
from allennlp.data.dataset_readers.dataset_reader import WorkerInfo
from allennlp.data.token_indexers import PretrainedTransformerMismatchedIndexer

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader, randomized_smoothing
from allennlp_robust_xlt.data.token_indexers import PretrainedTransformerMismatchedBatchedIndexer
from allennlp_robust_xlt.tagging.dataset_readers import (
    XtremePanxReader,
    XtremeUdposReader,
    xtreme_tagging_reader,
)
from allennlp_robust_xlt.tagging.dataset_readers.xtreme_tagging_reader import XtremeTaggingReader
from tests import DATA_ROOT, FIXTURES_ROOT, XTREME_DATA

ORIGINAL = DATA_ROOT / "original"
FIXTURES = [
    *[(XtremeUdposReader, p) for p in sorted(XTREME_DATA.glob("udpos/*.tsv"))],
    *[(XtremeUdposReader, p) for p in sorted(ORIGINAL.glob("ud-expected/*.tsv"))],
    *[(XtremeUdposReader, p) for p in sorted(ORIGINAL.glob("ud-treebanks-*/*/*.conllu"))],
    *[(XtremePanxReader, p) for p in sorted(XTREME_DATA.glob("panx/*.tsv"))],
    *[(XtremePanxReader, p) for p in sorted(ORIGINAL.glob("panx-expected/*.tsv"))],
    *[(XtremePanxReader, p) for p in sorted(ORIGINAL.glob("panx_dataset/*/*"))],
]


def make_reader(
    reader_class: type, model: Path, batched: bool = True, **kwargs
) -> XtremeTaggingReader:
    indexer_class = (
        PretrainedTransformerMismatchedBatchedIndexer
        if batched
        else PretrainedTransformerMismatchedIndexer  # the reader as it was
    )
    return reader_class(token_indexers={"tokens": indexer_class(str(model), **kwargs)})


def contents(instances: List[Instance]) -> List[Tuple]:
    return [
        (
            [token.text for token in instance["tokens"].tokens],
            list(instance["tags"]) if "tags" in instance.fields else None,
            instance["metadata"].metadata,
        )
        for instance in instances
    ]


def read_all(reader: XtremeTaggingReader, path: Path) -> Tuple[List[Instance], Optional[str]]:
    """The instances read, and the error that stopped the reading, if any."""
    instances: List[Instance] = []
    try:
        for instance in reader.read(path):
            instances.append(instance)
    except Exception as error:  # a fixture of bad input: the same error at the same place
        return instances, f"{type(error).__name__}: {error}"
    return instances, None


def tensors(reader: XtremeTaggingReader, instances: List[Instance], vocabulary: Vocabulary):
    for instance in instances:
        reader.apply_token_indexers(instance)
    batch = Batch(instances)
    batch.index_instances(vocabulary)
    return batch.as_tensor_dict()


def test_fixture_list_is_complete() -> None:
    assert len(FIXTURES) >= 40
    assert all(path.is_file() for _, path in FIXTURES)


@pytest.mark.parametrize("max_length", [None, 12])
def test_every_fixture_gives_the_instances_and_tensors_of_allennlps_indexer(
    tiny_transformer: Path, max_length
) -> None:
    words = errors = 0
    for reader_class, path in FIXTURES:
        new_reader = make_reader(reader_class, tiny_transformer, max_length=max_length)
        old_reader = make_reader(reader_class, tiny_transformer, False, max_length=max_length)
        (new, new_error), (old, old_error) = read_all(new_reader, path), read_all(old_reader, path)
        assert new_error == old_error, path
        assert contents(new) == contents(old), path
        errors += old_error is not None
        if not old:
            continue
        # The words of the last chunk were handed to the indexer.
        assert new_reader._token_indexers["tokens"]._wordpieces
        vocabulary = Vocabulary.from_instances(old)
        new_tensors = tensors(new_reader, new, vocabulary)
        old_tensors = tensors(old_reader, old, vocabulary)
        assert new_tensors.keys() == old_tensors.keys()
        for key, value in old_tensors["tokens"]["tokens"].items():
            assert new_tensors["tokens"]["tokens"][key].tolist() == value.tolist(), (path, key)
        if "tags" in old_tensors:
            assert new_tensors["tags"].tolist() == old_tensors["tags"].tolist()
        words += sum(len(instance["tokens"]) for instance in new)
    assert words > 500 and 0 < errors < len(FIXTURES) / 2


def test_errors_surface_at_their_line_across_chunks(
    tiny_xlmr: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xtreme_tagging_reader, "CHUNK_SIZE", 4)
    text = "".join(f"word{index}\tNOUN\n.\tPUNCT\n\n" for index in range(12))
    path = tmp_path / "train-en.tsv"
    # A line the file parser rejects, and a tag the reader rejects, each after a chunk boundary.
    for bad, line in (("word6\tNOUN\tX", 19), ("word9\tNOT-A-TAG", 28)):
        path.write_text(text.replace(bad.split("\t")[0] + "\tNOUN", bad), encoding="utf-8")
        seen = []
        with pytest.raises(InputFileError, match=f"train-en.tsv:{line}: "):
            for instance in make_reader(XtremeUdposReader, tiny_xlmr).read(path):
                seen.append(instance["metadata"]["words"][0])
        assert seen == [f"word{index}" for index in range((line - 1) // 3)]


def test_shards_of_workers_and_ranks_are_unchanged(
    tiny_transformer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xtreme_tagging_reader, "CHUNK_SIZE", 3)
    path = ORIGINAL / "ud-treebanks-v2.5" / "UD_English-EWT" / "en_ewt-ud-train.conllu"
    whole = contents(list(make_reader(XtremeUdposReader, tiny_transformer).read(path)))
    seen = []
    world_size, num_workers = 2, 2
    for rank, worker in itertools.product(range(world_size), range(num_workers)):
        shards = []
        for batched in (True, False):
            with (
                mock.patch("allennlp.common.util.is_distributed", return_value=True),
                mock.patch("torch.distributed.get_rank", return_value=rank),
                mock.patch("torch.distributed.get_world_size", return_value=world_size),
            ):
                reader = make_reader(XtremeUdposReader, tiny_transformer, batched)
                reader._set_worker_info(WorkerInfo(num_workers, worker))
                shards.append(contents(list(reader.read(path))))
        assert shards[0] == shards[1]  # as the reader read its share sentence by sentence
        seen.extend(shards[0])
    assert len(whole) > 4 and sorted(map(repr, seen)) == sorted(map(repr, whole))


def test_randomized_smoothing_copies_are_unchanged(
    tiny_transformer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(randomized_smoothing, "CHUNK_SIZE", 5)

    def smoothing(batched: bool) -> RandomizedSmoothingReader:
        return RandomizedSmoothingReader(
            make_reader(XtremeUdposReader, tiny_transformer, batched, max_length=12),
            neighbors=str(FIXTURES_ROOT / "neighbors" / "english_neighbors.json"),
            text_arguments=["words"],
            copies=3,
            seed=5,
            include_original=True,
        )

    path = XTREME_DATA / "udpos" / "train-en.tsv"
    readers = smoothing(True), smoothing(False)
    new, old = (list(reader.read(path)) for reader in readers)
    assert contents(new) == contents(old)
    assert len(new) == 4 * len(list(XtremeUdposReader().read(path)))
    # The copies' words were handed to the indexer chunk by chunk.
    indexer = readers[0].base_reader._token_indexers["tokens"]
    copied = {word for instance in new for word in instance["metadata"]["words"]}
    assert copied <= set(indexer._wordpieces)
    vocabulary = Vocabulary.from_instances(old)
    new_tensors = tensors(readers[0].base_reader, new, vocabulary)["tokens"]["tokens"]
    old_tensors = tensors(readers[1].base_reader, old, vocabulary)["tokens"]["tokens"]
    for key, value in old_tensors.items():
        assert new_tensors[key].tolist() == value.tolist(), key
