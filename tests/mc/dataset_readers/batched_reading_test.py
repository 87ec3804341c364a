"""
The multiple-choice readers tokenize each chunk of lines at once (`data/batched_tokenization.py`):
their instances must hold exactly the tokens of the reader as it was (AllenNLP's tokenizer one
text at a time, `truncate_pair`, `add_special_tokens`), on every XCOPA and SIQA fixture and on
long examples that are truncated, with the same tensors; errors still surface at their line,
shards are unchanged, and the RS-DA copies are built the same way.
"""

import itertools
import json
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple
from unittest import mock

import pytest
from allennlp.data import Batch, Instance, Vocabulary
from allennlp.data.dataset_readers.dataset_reader import WorkerInfo
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer, Token

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.data.batched_tokenization import BatchedTokenizer
from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader, randomized_smoothing
from allennlp_robust_xlt.mc.dataset_readers import XtremeSiqaReader, XtremeXcopaReader
from allennlp_robust_xlt.mc.dataset_readers import xtreme_multiple_choice_reader
from allennlp_robust_xlt.mc.dataset_readers.xtreme_multiple_choice_reader import (
    XtremeMultipleChoiceReader,
)
from tests import FIXTURES_ROOT, XTREME_DATA

SIQA = XTREME_DATA / "siqa"
XCOPA = XTREME_DATA / "xcopa"
FIXTURES = [(XtremeXcopaReader, path) for path in sorted(XCOPA.glob("*.jsonl"))] + [
    (XtremeSiqaReader, path) for path in sorted(SIQA.glob("*.jsonl"))
]
MODULE = xtreme_multiple_choice_reader.__name__


def described(tokens: List[Token]) -> List[Tuple]:
    """Every attribute of every token."""
    return [tuple(getattr(token, name) for name in Token.__slots__) for token in tokens]


def make_reader(
    reader_class: type, model: Path, batched: bool = True, **kwargs
) -> XtremeMultipleChoiceReader:
    reader = reader_class(
        tokenizer=PretrainedTransformerTokenizer(str(model), add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(str(model))},
        **kwargs,
    )
    if batched:
        assert isinstance(reader.batched_tokenizer, BatchedTokenizer)
    else:  # the reader as it was: one text at a time through AllenNLP
        reader.batched_tokenizer = None
    return reader


def contents(instances: List[Instance]) -> List[Tuple]:
    """Each instance's tokens (every attribute), label and metadata."""
    return [
        (
            [described(pair.tokens) for pair in instance["alternatives"]],
            (
                instance["correct_alternative"].sequence_index
                if "correct_alternative" in instance.fields
                else None
            ),
            instance["metadata"].metadata,
        )
        for instance in instances
    ]


def write_long_siqa(path: Path, count: int) -> Path:
    """SIQA examples whose context is the fixtures' contexts repeated: longer than 128 pieces."""
    rows = [json.loads(line) for line in (SIQA / "socialIQa_v1.4_dev.jsonl").open()]
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            row = dict(rows[index % len(rows)])
            row["context"] = " ".join(r["context"] for r in rows) * (1 + index % 4)
            row["answerB"] = row["answerB"] * (1 + index % 3)
            out.write(json.dumps(row) + "\n")
    return path


def test_fixture_list_is_complete() -> None:
    assert len([p for _, p in FIXTURES if p.parent == XCOPA]) >= 9
    assert len([p for _, p in FIXTURES if p.parent == SIQA]) == 3


@pytest.mark.parametrize("max_length", [128, 14])
def test_every_fixture_gives_the_tokens_of_the_unbatched_reader(
    tiny_transformer: Path, tmp_path: Path, max_length: int
) -> None:
    fixtures = FIXTURES + [(XtremeSiqaReader, write_long_siqa(tmp_path / "long.jsonl", 12))]
    tokenizer = PretrainedTransformerTokenizer(str(tiny_transformer), add_special_tokens=False)
    budget = max_length - tokenizer.num_special_tokens_for_pair()
    counts: Counter = Counter()
    for reader_class, path in fixtures:
        new = list(make_reader(reader_class, tiny_transformer, max_length=max_length).read(path))
        old = make_reader(reader_class, tiny_transformer, batched=False, max_length=max_length)
        assert new and contents(new) == contents(list(old.read(path))), path
        for instance in new:
            metadata = instance["metadata"].metadata
            start = len(tokenizer.tokenize(metadata["start"]))
            for choice in metadata["choices"]:
                counts["pairs"] += 1
                counts["truncated"] += start + len(tokenizer.tokenize(choice)) > budget
    assert counts["pairs"] > 100
    assert counts["truncated"] >= (20 if max_length == 128 else 100)


def test_batches_index_to_the_same_tensors(tiny_transformer: Path, tmp_path: Path) -> None:
    path = write_long_siqa(tmp_path / "long.jsonl", 9)
    new = list(make_reader(XtremeSiqaReader, tiny_transformer, max_length=64).read(path))
    old = make_reader(XtremeSiqaReader, tiny_transformer, batched=False, max_length=64)
    old_instances = list(old.read(path))
    vocabulary = Vocabulary.from_instances(old_instances)
    tensors = []
    for instances in (new, old_instances):
        batch = Batch(instances)
        batch.index_instances(vocabulary)
        tensors.append(batch.as_tensor_dict())
    for key in ("token_ids", "mask", "type_ids"):
        assert (
            tensors[0]["alternatives"]["tokens"][key].tolist()
            == tensors[1]["alternatives"]["tokens"][key].tolist()
        )
    assert tensors[0]["alternatives"]["tokens"]["token_ids"].shape == (9, 3, 64)


def test_text_to_instance_one_at_a_time(tiny_transformer: Path) -> None:
    # A predictor's call, before and after a read (the pool is only an optimisation).
    new = make_reader(XtremeXcopaReader, tiny_transformer, max_length=12)
    old = make_reader(XtremeXcopaReader, tiny_transformer, batched=False, max_length=12)
    arguments = {"premise": "Der Mann brach sich den Zeh.", "choice1": "他掉了锤子。"}
    arguments.update({"choice2": "Il a fait du vélo.", "question": "cause", "label": 1})
    for _ in range(2):
        assert contents([new.text_to_instance(**arguments)]) == contents(
            [old.text_to_instance(**arguments)]
        )
        list(new.read(XCOPA / "val-zh.jsonl"))


def write_copa(path: Path, count: int, bad_line: int) -> Path:
    rows = (XCOPA / "train-en.jsonl").read_text(encoding="utf-8").splitlines()
    lines = [rows[index % len(rows)] for index in range(count)]
    lines[bad_line - 1] = '{"premise": "no choices"}'
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_errors_surface_at_their_line_across_chunks(
    tiny_xlmr: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xtreme_multiple_choice_reader, "CHUNK_SIZE", 16)
    bad = 16 + 7
    path = write_copa(tmp_path / "train-en.jsonl", 40, bad)
    seen = 0
    with pytest.raises(InputFileError, match=f"train-en.jsonl:{bad}:"):
        for _ in make_reader(XtremeXcopaReader, tiny_xlmr).read(path):
            seen += 1
    assert seen == bad - 1  # every example before the bad line, as when reading line by line
    limited = make_reader(XtremeXcopaReader, tiny_xlmr, max_instances=bad - 1)
    assert len(list(limited.read(path))) == bad - 1


def test_shards_of_workers_and_ranks_are_unchanged(
    tiny_transformer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xtreme_multiple_choice_reader, "CHUNK_SIZE", 3)
    path = SIQA / "socialIQa_v1.4_trn.jsonl"
    whole = contents(list(make_reader(XtremeSiqaReader, tiny_transformer).read(path)))
    seen = []
    world_size, num_workers = 2, 2
    for rank, worker in itertools.product(range(world_size), range(num_workers)):
        with (
            mock.patch("allennlp.common.util.is_distributed", return_value=True),
            mock.patch("torch.distributed.get_rank", return_value=rank),
            mock.patch("torch.distributed.get_world_size", return_value=world_size),
        ):
            reader = make_reader(XtremeSiqaReader, tiny_transformer)
            reader._set_worker_info(WorkerInfo(num_workers, worker))
            shard = contents(list(reader.read(path)))
            indices = list(reader.shard_iterable(range(len(whole))))
        assert shard == [whole[index] for index in indices]
        seen.extend(indices)
    assert sorted(seen) == list(range(len(whole)))


def test_randomized_smoothing_copies_are_unchanged(
    tiny_transformer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(randomized_smoothing, "CHUNK_SIZE", 7)

    def smoothing(batched: bool) -> RandomizedSmoothingReader:
        return RandomizedSmoothingReader(
            make_reader(XtremeSiqaReader, tiny_transformer, batched=batched, max_length=24),
            neighbors=str(FIXTURES_ROOT / "neighbors" / "english_neighbors.json"),
            copies=4,
            seed=3,
            include_original=True,
        )

    def units(instances: List[Instance]) -> Dict[Tuple, Tuple]:
        return {
            tuple(instance["metadata"].metadata["randomized_smoothing"].values()): content
            for instance, content in zip(instances, contents(instances))
        }

    path = SIQA / "socialIQa_v1.4_trn.jsonl"
    reader = smoothing(True)
    batched = reader.base_reader.batched_tokenizer
    with mock.patch.object(batched, "encode", wraps=batched.encode) as encode:
        new = units(list(reader.read(path)))
    assert new == units(list(smoothing(False).read(path)))
    # One call of the tokenizer per chunk of 7 calls: the copies' pairs were prefetched.
    assert encode.call_count == -(-len(new) // 7)
    examples = len(list(XtremeSiqaReader().read(path)))
    texts = {(c[2]["start"], *c[2]["choices"]) for c in new.values()}
    assert len(new) == 5 * examples and len(texts) > examples + 5  # copies were perturbed
