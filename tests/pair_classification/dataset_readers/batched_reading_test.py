"""
The pair readers tokenize in chunks (`data/batched_tokenization.py`): their instances must hold
exactly the tokens that AllenNLP's `PretrainedTransformerTokenizer` gives one sentence at a time
(truncated longest-first and joined by AllenNLP's `add_special_tokens`), on every pair fixture,
long pairs and edge cases included, and give the same tensors; errors still surface at their
line, sharding is unchanged, and the RS-DA copies are built the same way.
"""

import itertools
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from unittest import mock

import pytest
from allennlp.data import Batch, Instance, Vocabulary
from allennlp.data.dataset_readers.dataset_reader import WorkerInfo
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer, Token

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.data.batched_tokenization import CHUNK_SIZE
from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader, randomized_smoothing
from allennlp_robust_xlt.pair_classification.dataset_readers import (
    XtremePairReader,
    XtremePawsxReader,
    XtremeXnliReader,
)
from tests import DATA_ROOT, FIXTURES_ROOT, XTREME_DATA

READING = DATA_ROOT / "reading"
XNLI_FIXTURES = sorted(
    [
        *XTREME_DATA.glob("xnli/**/*.tsv"),
        *XTREME_DATA.glob("xnli_jsonl/*.jsonl"),
        *DATA_ROOT.glob("original/XNLI-*/**/*.tsv"),
        *READING.glob("*.tsv"),
        DATA_ROOT / "pairs.jsonl",
    ]
)
PAWSX_FIXTURES = sorted(
    [
        *XTREME_DATA.glob("pawsx/**/*.tsv"),
        *DATA_ROOT.glob("original/x-final/**/*.tsv"),
        DATA_ROOT / "pawsx_pairs.jsonl",
    ]
)
FIXTURES = [(XtremeXnliReader, path) for path in XNLI_FIXTURES] + [
    (XtremePawsxReader, path) for path in PAWSX_FIXTURES
]


def described(tokens: List[Token]) -> List[Tuple]:
    """Every attribute of every token."""
    return [tuple(getattr(token, name) for name in Token.__slots__) for token in tokens]


def make_reader(
    reader_class: type, model: Path, batched: bool = True, **kwargs
) -> XtremePairReader:
    reader = reader_class(
        tokenizer=PretrainedTransformerTokenizer(str(model), add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(str(model))},
        **kwargs,
    )
    if not batched:  # the reader as it was: one sentence at a time through AllenNLP
        reader.batched_tokenizer = None
    return reader


def allennlp_tokens(
    tokenizer: PretrainedTransformerTokenizer, premise: str, hypothesis: str, max_length: int
) -> List[Token]:
    """
    AllenNLP's tokens, truncated by `transformers`' Python longest-first truncation (what
    `truncate_pair` computes in closed form) and joined by AllenNLP's `add_special_tokens`.
    """
    first, second = tokenizer.tokenize(premise), tokenizer.tokenize(hypothesis)
    excess = len(first) + len(second) - (max_length - tokenizer.num_special_tokens_for_pair())
    if excess > 0:
        first, second, _ = tokenizer.tokenizer.truncate_sequences(
            first, second, num_tokens_to_remove=excess, truncation_strategy="longest_first"
        )
    return tokenizer.add_special_tokens(first, second)


def test_fixture_list_is_complete() -> None:
    listed = {path for _, path in FIXTURES}
    assert {READING / "long-pairs.tsv", READING / "edge-cases.tsv"} <= listed
    every = {
        *XTREME_DATA.glob("xnli/**/*.tsv"),
        *XTREME_DATA.glob("pawsx/**/*.tsv"),
        *DATA_ROOT.glob("original/XNLI-*/**/*.tsv"),
        *DATA_ROOT.glob("original/x-final/**/*.tsv"),
    }
    assert every <= listed and len(listed) >= 35


@pytest.mark.parametrize("max_length", [128, 24])
def test_every_pair_fixture_gives_allennlp_tokens(tiny_transformer: Path, max_length: int) -> None:
    tokenizer = PretrainedTransformerTokenizer(str(tiny_transformer), add_special_tokens=False)
    counts: Counter = Counter()
    for reader_class, path in FIXTURES:
        reader = make_reader(reader_class, tiny_transformer, max_length=max_length)
        instances = list(reader.read(path))
        assert instances, path
        for instance in instances:
            metadata = instance["metadata"].metadata
            expected = allennlp_tokens(
                tokenizer, metadata["premise"], metadata["hypothesis"], max_length
            )
            assert described(instance["tokens"].tokens) == described(expected), (path, metadata)
            lengths = [
                len(tokenizer.tokenize(metadata[name])) for name in ("premise", "hypothesis")
            ]
            counts["instances"] += 1
            counts["truncated"] += (
                sum(lengths) > max_length - tokenizer.num_special_tokens_for_pair()
            )
            counts["empty side"] += 0 in lengths
    assert counts["instances"] > 500
    assert counts["truncated"] >= (5 if max_length == 128 else 300)
    # BERT has no wordpiece for sentences of zero-width characters (edge-cases.tsv).
    assert (counts["empty side"] > 0) == (tiny_transformer.name == "bert")


def test_batches_index_to_the_same_tensors(tiny_transformer: Path) -> None:
    paths = [XTREME_DATA / "xnli" / "test-ar.tsv", READING / "long-pairs.tsv"]
    paths.append(READING / "edge-cases.tsv")
    batched = list(make_reader(XtremeXnliReader, tiny_transformer).read(paths))
    one_by_one = list(make_reader(XtremeXnliReader, tiny_transformer, batched=False).read(paths))
    assert len(batched) == len(one_by_one) == 12 + 8 + 16
    vocabulary = Vocabulary.from_instances(one_by_one)
    tensors = []
    for instances in (batched, one_by_one):
        batch = Batch(instances)
        batch.index_instances(vocabulary)
        tensors.append(batch.as_tensor_dict())
    new, old = tensors
    assert new["label"].tolist() == old["label"].tolist()
    assert new["metadata"] == old["metadata"]
    for key in ("token_ids", "mask", "type_ids"):
        assert new["tokens"]["tokens"][key].tolist() == old["tokens"]["tokens"][key].tolist()
    assert new["tokens"]["tokens"]["token_ids"].shape == (36, 128)


def test_separate_fields_and_text_to_instance_one_at_a_time(tiny_transformer: Path) -> None:
    tokenizer = PretrainedTransformerTokenizer(str(tiny_transformer), add_special_tokens=False)
    reader = make_reader(XtremeXnliReader, tiny_transformer, combine_input_fields=False)
    path = READING / "edge-cases.tsv"
    for instance in reader.read(path):
        metadata = instance["metadata"].metadata
        for name in ("premise", "hypothesis"):
            expected = tokenizer.tokenize(metadata[name])
            assert described(instance[name].tokens) == described(expected)
    # A predictor's call, before and after a read (the pool is only an optimisation).
    combined = make_reader(XtremeXnliReader, tiny_transformer, max_length=16)
    for _ in range(2):
        for premise, hypothesis in (("Ein Mann spielt Gitarre.", "男人在街上弹吉他。"),):
            instance = combined.text_to_instance(premise, hypothesis, "neutral")
            expected = allennlp_tokens(tokenizer, premise, hypothesis, 16)
            assert described(instance["tokens"].tokens) == described(expected)
        list(combined.read(path))


def write_pairs(path: Path, count: int, bad_lines: Dict[int, str] = {}) -> Path:
    """`count` XNLI-style lines built from the fixtures, with `bad_lines` (1-based) replaced."""
    rows = (XTREME_DATA / "xnli" / "train-en.tsv").read_text(encoding="utf-8").splitlines()
    lines = [rows[index % len(rows)] for index in range(count)]
    for line, text in bad_lines.items():
        lines[line - 1] = text
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_errors_surface_at_their_line_across_chunks(tiny_xlmr: Path, tmp_path: Path) -> None:
    bad = CHUNK_SIZE + 7
    path = write_pairs(tmp_path / "train-en.tsv", 2 * CHUNK_SIZE, {bad: "only one column"})
    reader = make_reader(XtremeXnliReader, tiny_xlmr)
    seen = 0
    with pytest.raises(InputFileError, match=f"train-en.tsv:{bad}: expected 3 tab-separated"):
        for _ in reader.read(path):
            seen += 1
    assert seen == bad - 1  # every pair before the bad line, as when reading line by line
    # A limit before the bad line never reaches it.
    limited = make_reader(XtremeXnliReader, tiny_xlmr, max_instances=bad - 1)
    assert len(list(limited.read(path))) == bad - 1
    skipping = make_reader(XtremeXnliReader, tiny_xlmr, skip_invalid_lines=True)
    with mock.patch(
        "allennlp_robust_xlt.pair_classification.dataset_readers.xtreme_pair_reader.logger"
    ) as log:
        assert len(list(skipping.read(path))) == 2 * CHUNK_SIZE - 1
    assert log.warning.call_args.args[2] == 1


def test_shards_of_workers_and_ranks_are_unchanged(tiny_transformer: Path, tmp_path: Path) -> None:
    path = write_pairs(tmp_path / "train-en.tsv", 2 * CHUNK_SIZE + 40)
    whole = {
        instance["metadata"]["id"]: described(instance["tokens"].tokens)
        for instance in make_reader(XtremeXnliReader, tiny_transformer).read(path)
    }
    seen: List[Optional[str]] = []
    world_size, num_workers = 2, 2
    for rank, worker in itertools.product(range(world_size), range(num_workers)):
        with (
            mock.patch("allennlp.common.util.is_distributed", return_value=True),
            mock.patch("torch.distributed.get_rank", return_value=rank),
            mock.patch("torch.distributed.get_world_size", return_value=world_size),
        ):
            reader = make_reader(XtremeXnliReader, tiny_transformer)
            reader._set_worker_info(WorkerInfo(num_workers, worker))
            shard = list(reader.read(path))
            # The shard is the lines AllenNLP's `shard_iterable` gives this worker of this rank.
            lines = [line + 1 for line in reader.shard_iterable(range(len(whole)))]
        assert [int(i["metadata"]["id"]) for i in shard] == lines
        for instance in shard:
            assert described(instance["tokens"].tokens) == whole[instance["metadata"]["id"]]
            seen.append(instance["metadata"]["id"])
    assert Counter(seen) == Counter(whole.keys())  # every line exactly once


def test_randomized_smoothing_copies_have_allennlp_tokens(
    tiny_transformer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of 100 units: several per pass over the 48 examples, and across passes.
    monkeypatch.setattr(randomized_smoothing, "CHUNK_SIZE", 100)

    def smoothing(batched: bool, **kwargs) -> RandomizedSmoothingReader:
        return RandomizedSmoothingReader(
            make_reader(XtremeXnliReader, tiny_transformer, batched=batched, max_length=32),
            neighbors=str(FIXTURES_ROOT / "neighbors" / "english_neighbors.json"),
            copies=7,
            seed=3,
            include_original=True,
            **kwargs,
        )

    path = XTREME_DATA / "xnli" / "train-en.tsv"
    tokenizer = PretrainedTransformerTokenizer(str(tiny_transformer), add_special_tokens=False)

    def units(instances: List[Instance]) -> Dict[Tuple, Tuple]:
        result = {}
        for instance in instances:
            metadata = instance["metadata"].metadata
            unit = tuple(metadata["randomized_smoothing"].values())
            result[unit] = (
                metadata["premise"],
                metadata["hypothesis"],
                described(instance["tokens"].tokens),
            )
        return result

    new = units(list(smoothing(True).read(path)))
    old = units(list(smoothing(False).read(path)))
    assert len(new) == 8 * 48
    assert new == old  # the same perturbed texts (per seed, example and copy) and tokens
    changed = 0
    for premise, hypothesis, tokens in new.values():
        assert tokens == described(allennlp_tokens(tokenizer, premise, hypothesis, 32))
        changed += (premise, hypothesis) not in {(p, h) for p, h, _ in list(new.values())[:48]}
    assert changed > 100
    # A worker's share: the same units, the same copies.
    reader = smoothing(True)
    reader._set_worker_info(WorkerInfo(2, 1))
    share = units(list(reader.read(path)))
    assert len(share) == 4 * 48 and all(new[unit] == value for unit, value in share.items())
