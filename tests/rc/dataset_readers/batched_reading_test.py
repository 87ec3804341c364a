"""
The QA readers tokenize each chunk of questions at once (the distinct questions in one call of
the fast tokenizer, the distinct contexts in another): on every SQuAD, XQuAD, MLQA and TyDi QA
fixture, with long contexts cut into many windows and questions cut at `max_query_length`, the
instances must be exactly those of the reader as it was, one question at a time (the reference
below is that reader's tokenization: `transformers`' `__call__` per question and per context).
"""

import itertools
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from unittest import mock

import pytest
from allennlp.data import Batch, Instance, Vocabulary
from allennlp.data.dataset_readers.dataset_reader import WorkerInfo
from allennlp.data.tokenizers import Token

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader, randomized_smoothing
from allennlp_robust_xlt.rc.dataset_readers import (
    XtremeMLQAReader,
    XtremeQaReader,
    XtremeSQuADReader,
    XtremeTyDiQAReader,
    XtremeXQuADReader,
    xtreme_qa_reader,
)
from allennlp_robust_xlt.testing.qa_one_at_a_time import OneAtATime, read_one_at_a_time
from tests import FIXTURES_ROOT, XTREME_DATA

FIXTURES = [
    *[(XtremeSQuADReader, p) for p in sorted(XTREME_DATA.glob("squad/*.json"))],
    *[(XtremeXQuADReader, p) for p in sorted(XTREME_DATA.glob("xquad/*.json"))],
    *[(XtremeMLQAReader, p) for p in sorted(XTREME_DATA.glob("mlqa/**/*.json"))],
    *[(XtremeTyDiQAReader, p) for p in sorted(XTREME_DATA.glob("tydiqa/**/*.json"))],
]
SETTINGS = [
    {"max_length": 384, "doc_stride": 128, "max_query_length": 64},  # XTREME's
    {"max_length": 40, "doc_stride": 8, "max_query_length": 6},  # many windows, cut questions
]


def make_reader(reader_class: type, model: Path, batched: bool = True, **kwargs) -> XtremeQaReader:
    reader = reader_class(str(model), **kwargs)
    return reader if batched else read_one_at_a_time(reader)


def described(tokens: List[Token]) -> List[Tuple]:
    return [tuple(getattr(token, name) for name in Token.__slots__) for token in tokens]


def contents(instances: List[Instance]) -> List[Any]:
    """Every token of every window, the answer spans and the metadata (arrays as lists)."""
    result = []
    for instance in instances:
        metadata = dict(instance["metadata"].metadata)
        for key in ("offsets", "max_context"):
            metadata[key] = [array.tolist() for array in metadata[key]]
        spans = instance["answer_spans"].tensor.tolist() if "answer_spans" in instance else None
        windows = [described(window.tokens) for window in instance["windows"]]
        result.append((windows, spans, metadata))
    return result


def read_all(reader: XtremeQaReader, path: Path) -> Tuple[List[Instance], Optional[str]]:
    instances: List[Instance] = []
    try:
        for instance in reader.read(str(path)):
            instances.append(instance)
    except InputFileError as error:
        return instances, str(error)
    return instances, None


def test_fixture_list_is_complete() -> None:
    assert len(FIXTURES) >= 60
    assert {reader for reader, _ in FIXTURES} == {
        XtremeSQuADReader,
        XtremeXQuADReader,
        XtremeMLQAReader,
        XtremeTyDiQAReader,
    }


def write_long_contexts(path: Path) -> Path:
    """SQuAD's train fixture with each context repeated 8 times (the answers stay in place)."""
    document = json.loads((XTREME_DATA / "squad" / "train-v1.1.json").read_text("utf-8"))
    for article in document["data"]:
        for paragraph in article["paragraphs"]:
            paragraph["context"] = " ".join([paragraph["context"]] * 8)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("settings", SETTINGS)
def test_every_fixture_gives_the_instances_of_the_reader_as_it_was(
    tiny_transformer: Path, tmp_path: Path, settings
) -> None:
    windows = questions = cut = 0
    long_contexts = write_long_contexts(tmp_path / "train-v1.1.json")
    for reader_class, path in FIXTURES + [(XtremeSQuADReader, long_contexts)]:
        new_reader = make_reader(reader_class, tiny_transformer, **settings)
        old_reader = make_reader(reader_class, tiny_transformer, batched=False, **settings)
        (new, new_error), (old, old_error) = read_all(new_reader, path), read_all(old_reader, path)
        assert new_error == old_error and contents(new) == contents(old), path
        assert new_error is None, new_error
        questions += len(new)
        windows += sum(len(instance["windows"]) for instance in new)
        cut += sum(
            len(OneAtATime(old_reader).questions([i["metadata"]["question"]])[0])
            == settings["max_query_length"]
            for i in new
        )
    assert questions > 100
    if settings["max_length"] == 40:
        assert windows > 3 * questions and cut > questions / 2
    else:  # the long contexts
        assert windows >= questions + 8 * 3


def test_batches_index_to_the_same_tensors(tiny_transformer: Path) -> None:
    path = XTREME_DATA / "squad" / "train-v1.1.json"
    settings = SETTINGS[1]
    new_reader = make_reader(XtremeSQuADReader, tiny_transformer, **settings)
    old_reader = make_reader(XtremeSQuADReader, tiny_transformer, batched=False, **settings)
    tensors = []
    for reader in (new_reader, old_reader):
        instances = list(reader.read(str(path)))
        for instance in instances:
            reader.apply_token_indexers(instance)
        batch = Batch(instances)
        batch.index_instances(Vocabulary())
        tensors.append(batch.as_tensor_dict())
    for key, value in tensors[1]["windows"]["tokens"].items():
        assert tensors[0]["windows"]["tokens"][key].tolist() == value.tolist(), key
    assert tensors[0]["answer_spans"].tolist() == tensors[1]["answer_spans"].tolist()


def test_text_to_instance_one_at_a_time_and_shared_contexts(tiny_transformer: Path) -> None:
    """A predictor's call, before and after a read (the pools are only an optimisation)."""
    new = make_reader(XtremeSQuADReader, tiny_transformer, **SETTINGS[1])
    old = make_reader(XtremeSQuADReader, tiny_transformer, batched=False, **SETTINGS[1])
    context = "Der Mann spielt Gitarre in Berlin. 男人在街上弹吉他。" * 5
    for _ in range(2):
        for question in ("Wo spielt der Mann?", "谁在弹吉他？"):
            assert contents([new.text_to_instance(question, context)]) == contents(
                [old.text_to_instance(question, context)]
            )
        list(new.read(str(XTREME_DATA / "xquad" / "xquad.de.json")))
    # A chunk's questions share their contexts: each distinct context is split once.
    path = XTREME_DATA / "squad" / "train-v1.1.json"
    examples = json.loads(path.read_text(encoding="utf-8"))["data"]
    paragraphs = [p for article in examples for p in article["paragraphs"]]
    assert sum(len(p["qas"]) for p in paragraphs) > len(paragraphs)
    with mock.patch.object(
        new, "_context_subwords_batch", wraps=new._context_subwords_batch
    ) as split:
        list(new.read(str(path)))
    assert sorted(split.call_args.args[0]) == sorted({p["context"] for p in paragraphs})


def test_errors_surface_at_their_question_across_chunks(
    tiny_xlmr: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xtreme_qa_reader, "CHUNK_SIZE", 3)
    qas = [
        {"id": f"q{index}", "question": "Who plays?" * (1 if index != 4 else 30), "answers": []}
        for index in range(8)
    ]
    document = {"data": [{"paragraphs": [{"context": "The man plays guitar.", "qas": qas}]}]}
    path = tmp_path / "dev-v1.1.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    seen = []
    reader = make_reader(XtremeSQuADReader, tiny_xlmr, max_length=40, doc_stride=8)
    with pytest.raises(InputFileError, match="question q4: its 64 sub-words"):
        for instance in reader.read(str(path)):
            seen.append(instance["metadata"]["id"])
    assert seen == ["q0", "q1", "q2", "q3"]


def test_shards_of_workers_and_ranks_are_unchanged(
    tiny_transformer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xtreme_qa_reader, "CHUNK_SIZE", 2)
    path = str(XTREME_DATA / "squad" / "train-v1.1.json")
    whole = contents(list(make_reader(XtremeSQuADReader, tiny_transformer).read(path)))
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
                reader = make_reader(XtremeSQuADReader, tiny_transformer, batched)
                reader._set_worker_info(WorkerInfo(num_workers, worker))
                shards.append(contents(list(reader.read(path))))
        assert shards[0] == shards[1]
        seen.extend(shards[0])
    assert len(whole) >= 4 and sorted(map(repr, seen)) == sorted(map(repr, whole))


def test_randomized_smoothing_copies_are_unchanged(
    tiny_transformer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(randomized_smoothing, "CHUNK_SIZE", 5)

    def smoothing(batched: bool) -> RandomizedSmoothingReader:
        return RandomizedSmoothingReader(
            make_reader(XtremeSQuADReader, tiny_transformer, batched=batched, **SETTINGS[1]),
            neighbors=str(FIXTURES_ROOT / "neighbors" / "english_neighbors.json"),
            copies=3,
            seed=5,
            include_original=True,
        )

    def units(instances: List[Instance]) -> Dict[Tuple, Any]:
        return {
            tuple(instance["metadata"].metadata["randomized_smoothing"].values()): content
            for instance, content in zip(instances, contents(instances))
        }

    path = str(XTREME_DATA / "squad" / "train-v1.1.json")
    reader = smoothing(True)
    base = reader.base_reader
    with mock.patch.object(base, "_context_subwords_batch", wraps=base._context_subwords_batch):
        new = units(list(reader.read(path)))
        calls = base._context_subwords_batch.call_count
    assert new == units(list(smoothing(False).read(path)))
    assert len(new) == 4 * 8
    # The perturbed contexts of each chunk of 5 calls were split in one call.
    assert calls == -(-len(new) // 5)
    contexts = {content[2]["context"] for content in new.values()}
    assert len(contexts) > 3  # copies were perturbed
