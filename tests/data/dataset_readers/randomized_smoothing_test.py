"""The `randomized_smoothing` reader (RS-DA), the substitution law and the neighbour tables."""

import itertools
import json
import math
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple
from unittest import mock

import pytest
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.data import DatasetReader, Instance
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.dataset_readers.dataset_reader import WorkerInfo
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.data.vocabulary import Vocabulary

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.data.batched_tokenization import CHUNK_SIZE
from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader
from allennlp_robust_xlt.pair_classification.dataset_readers import (
    XtremePawsxReader,
    XtremeXnliReader,
)
from allennlp_robust_xlt.data.synonyms import (
    NeighborTable,
    SynonymSubstitution,
    copy_random,
    split_affixes,
)
from tests import CONFIGS_ROOT, COUNTERFITTED_NEIGHBORS, FIXTURES_ROOT, XTREME_DATA

TABLE = FIXTURES_ROOT / "neighbors" / "english_neighbors.json"
XNLI_TRAIN = XTREME_DATA / "xnli" / "train-en.tsv"
PAWSX_TRAIN = XTREME_DATA / "pawsx" / "train-en.tsv"
NUM_XNLI_TRAIN = 48


def table_json() -> Dict[str, List[str]]:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def transformer_reader(model: Path, **kwargs) -> XtremeXnliReader:
    return XtremeXnliReader(
        tokenizer=PretrainedTransformerTokenizer(str(model), add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(str(model))},
        **kwargs,
    )


def smoothing(base: DatasetReader, copies: int = 3, **kwargs) -> RandomizedSmoothingReader:
    return RandomizedSmoothingReader(
        base_reader=base, neighbors=str(TABLE), copies=copies, **kwargs
    )


def unit(instance: Instance) -> Tuple[int, int]:
    info = instance["metadata"].metadata["randomized_smoothing"]
    return info["example"], info["copy"]


def texts(instance: Instance) -> Tuple[str, str]:
    metadata = instance["metadata"].metadata
    return metadata["premise"], metadata["hypothesis"]


def raw_pairs(path: Path) -> List[Tuple[str, str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines]  # type: ignore[misc]


def is_draw_of_the_law(original: str, perturbed: str, substitution: SynonymSubstitution) -> bool:
    """Same words, each unchanged or replaced by one of its candidates."""
    before, after = original.split(" "), perturbed.split(" ")
    if len(before) != len(after):
        return False
    for word, new in zip(before, after):
        choices = substitution.candidates(word)
        if new != word and (choices is None or new not in choices):
            return False
    return True


# -- the substitution law --------------------------------------------------------------------


def test_substitution_frequencies_match_k_over_k_plus_1():
    table = NeighborTable.from_file(TABLE)
    substitution = SynonymSubstitution(table, "exact")
    # k = 1, 2, 3, 4, 8 neighbours, a word with an empty list, and an unknown word.
    sentence = "man film old movie children the zebra"
    words = sentence.split(" ")
    draws = 4000
    outcomes = [Counter() for _ in words]
    for copy in range(draws):
        perturbed = substitution.perturb(sentence, copy_random(11, 0, copy)).split(" ")
        for position, word in enumerate(perturbed):
            outcomes[position][word] += 1
    for position, word in enumerate(words):
        k = len(table.neighbors(word))
        changed = draws - outcomes[position][word]
        if k == 0:
            assert changed == 0, word
            continue
        # Each of the k + 1 outcomes is equally likely: check every one within 4.5 sigma.
        assert set(outcomes[position]) == {word, *table.neighbors(word)}
        p = 1 / (k + 1)
        sigma = math.sqrt(draws * p * (1 - p))
        for outcome, count in outcomes[position].items():
            assert abs(count - draws * p) < 4.5 * sigma, (word, outcome, count)
        # ... so the word changes with probability k / (k + 1).
        expected = draws * k / (k + 1)
        assert abs(changed - expected) < 4.5 * sigma, (word, changed, expected)


def test_perturb_keeps_spacing_and_unknown_words():
    substitution = SynonymSubstitution(NeighborTable.from_file(TABLE), "exact")
    text = "  The  movie\twas  good  "
    for copy in range(20):
        perturbed = substitution.perturb(text, copy_random(0, 0, copy))
        assert len(perturbed.split(" ")) == len(text.split(" "))
        assert perturbed.replace("movie", "X").split(" ")[0:3] == ["", "", "The"]
        assert perturbed.endswith("  ")


def test_normalized_matches_punctuation_and_case_where_exact_does_not():
    table = NeighborTable.from_file(TABLE)
    exact = SynonymSubstitution(table, "exact")
    normalized = SynonymSubstitution(table, "normalized")
    neighbours = table.neighbors("movie")
    expected = {
        "movie,": {"movie,", *(n + "," for n in neighbours)},
        "Movie": {"Movie", *(n.capitalize() for n in neighbours)},
        '"MOVIE."': {'"MOVIE."', *(f'"{n.upper()}."' for n in neighbours)},
        "(Movie),": {"(Movie),", *(f"({n.capitalize()})," for n in neighbours)},
        "movie": {"movie", *neighbours},
    }
    for word, outcomes in expected.items():
        assert exact.candidates(word) == (None if word != "movie" else table.choices("movie"))
        assert set(normalized.candidates(word)) == outcomes
        assert normalized.candidates(word)[0] == word  # the unchanged word is one of k + 1 outcomes
    seen = {normalized.perturb("Movie, movie", copy_random(0, 0, copy)) for copy in range(200)}
    assert any(text.startswith(("Film,", "Films,", "Cinema,", "Picture,")) for text in seen)
    assert {exact.perturb("Movie, MOVIE.", copy_random(0, 0, copy)) for copy in range(50)} == {
        "Movie, MOVIE."
    }
    # Words that are only punctuation, or unknown after normalization, stay.
    assert normalized.candidates("--") is None and normalized.candidates("Zebra,") is None
    assert split_affixes("«Movie»!") == ("«", "Movie", "»!")


# -- the reader ------------------------------------------------------------------------------


class TestRandomizedSmoothingReader(AllenNlpTestCase):
    def test_copies_labels_and_metadata_of_pairs(self, tiny_xlmr: Path):
        base = transformer_reader(tiny_xlmr)
        clean = list(base.read(XNLI_TRAIN))
        reader = smoothing(transformer_reader(tiny_xlmr), copies=3, seed=5)
        instances = list(reader.read(XNLI_TRAIN))
        assert len(instances) == 3 * NUM_XNLI_TRAIN
        assert sorted(map(unit, instances)) == sorted(
            itertools.product(range(NUM_XNLI_TRAIN), range(3))
        )
        raw = raw_pairs(XNLI_TRAIN)
        changed_pairs = 0
        for instance in instances:
            example, copy = unit(instance)
            premise, hypothesis = texts(instance)
            assert instance["label"].label == clean[example]["label"].label
            metadata = instance["metadata"].metadata
            assert (
                metadata["language"]
                == metadata["premise_language"]
                == metadata["hypothesis_language"]
                == "en"
            )
            # Both sentences are draws of the law from their own original.
            assert is_draw_of_the_law(raw[example][0], premise, reader.substitution)
            assert is_draw_of_the_law(raw[example][1], hypothesis, reader.substitution)
            changed_pairs += (premise, hypothesis) != raw[example][:2]
            # The instance is the base reader's, built from the perturbed texts.
            expected = base.text_to_instance(premise, hypothesis, raw[example][2], "en", "en")
            assert [t.text for t in instance["tokens"].tokens] == [
                t.text for t in expected["tokens"].tokens
            ]
            assert instance["tokens"].token_indexers  # indexers applied by read()
        assert changed_pairs > 20

    def test_include_original_adds_each_clean_example_once(self, tiny_xlmr: Path):
        clean = list(transformer_reader(tiny_xlmr).read(XNLI_TRAIN))
        instances = list(
            smoothing(transformer_reader(tiny_xlmr), copies=2, include_original=True).read(
                XNLI_TRAIN
            )
        )
        assert len(instances) == 3 * NUM_XNLI_TRAIN
        originals = [instance for instance in instances if unit(instance)[1] is None]
        assert len(originals) == NUM_XNLI_TRAIN
        for original in originals:
            twin = clean[unit(original)[0]]
            assert [t.text for t in original["tokens"].tokens] == [
                t.text for t in twin["tokens"].tokens
            ]
        # The perturbed copies are those of a reader without originals.
        without = list(smoothing(transformer_reader(tiny_xlmr), copies=2).read(XNLI_TRAIN))
        assert [texts(i) for i in instances if unit(i)[1] is not None] == [
            texts(i) for i in without
        ]

    def test_same_seed_same_copies_other_seed_other_copies(self):
        def read(seed: int) -> List[Tuple[str, str]]:
            return [
                texts(i)
                for i in smoothing(XtremePawsxReader(), copies=4, seed=seed).read(PAWSX_TRAIN)
            ]

        first = read(3)
        assert read(3) == first
        other = read(4)
        assert other != first and len(other) == len(first) == 4 * 40
        # The copies of an example differ from each other (where the table has its words).
        distinct = Counter()
        for example in range(40):
            distinct[len({first[copy * 40 + example] for copy in range(4)})] += 1
        assert max(distinct) >= 3 and distinct[1] < 40

    def test_copy_major_order(self):
        units = [unit(i) for i in smoothing(XtremeXnliReader(), copies=2).read(XNLI_TRAIN)]
        assert units == [(example, copy) for copy in range(2) for example in range(NUM_XNLI_TRAIN)]

    def test_single_sentence_reader_text_classification_json(self):
        data = self.TEST_DIR / "reviews.jsonl"
        lines = [
            {"text": "the movie was a big film about old children", "label": "pos"},
            {"text": "a small car in the city", "label": "neg"},
            {"text": "nothing to replace here", "label": "neg"},
        ]
        data.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        base_params = {"type": "text_classification_json", "tokenizer": {"type": "whitespace"}}
        reader = DatasetReader.from_params(
            Params(
                {
                    "type": "randomized_smoothing",
                    "base_reader": base_params,
                    "neighbors": str(TABLE),
                    "copies": 30,
                }
            )
        )
        instances = list(reader.read(data))
        assert len(instances) == 90
        substitution = reader.substitution
        seen = [set() for _ in lines]
        for position, instance in enumerate(instances):
            example = position % len(lines)  # copy-major order
            assert instance["label"].label == lines[example]["label"]
            words = [token.text for token in instance["tokens"].tokens]
            assert is_draw_of_the_law(lines[example]["text"], " ".join(words), substitution)
            seen[example].add(" ".join(words))
        assert len(seen[0]) > 10 and len(seen[1]) > 3 and seen[2] == {lines[2]["text"]}

    def test_validation_reader_of_the_config_is_clean(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("XLT_NEIGHBORS", str(TABLE))
        for task, copies, epochs in (("xnli", 3, 1), ("pawsx", 10, 3)):
            params = Params.from_file(str(CONFIGS_ROOT / f"{task}_rs_da.jsonnet"))
            assert params["trainer"]["num_epochs"] == epochs
            train_reader = DatasetReader.from_params(params.pop("dataset_reader"))
            validation_reader = DatasetReader.from_params(params.pop("validation_dataset_reader"))
            assert (
                isinstance(train_reader, RandomizedSmoothingReader)
                and train_reader.copies == copies
            )
            assert train_reader.neighbors == str(TABLE) and train_reader.seed == 7
            assert not isinstance(validation_reader, RandomizedSmoothingReader)
            dev = XTREME_DATA / task / "dev-en.tsv"
            instances = list(validation_reader.read(dev))
            assert [texts(i) for i in instances] == [pair[:2] for pair in raw_pairs(dev)]
            assert all("randomized_smoothing" not in i["metadata"].metadata for i in instances)

    def test_reading_is_lazy_and_memory_does_not_grow_with_copies(self):
        first = next(iter(smoothing(XtremeXnliReader(), copies=1_000_000).read(XNLI_TRAIN)))
        assert unit(first) == (0, 0)

        def peak(copies: int) -> int:
            reader = smoothing(XtremeXnliReader(), copies=copies)
            tracemalloc.start()
            try:
                for _ in reader.read(XNLI_TRAIN):
                    pass
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        # The reader holds one chunk of units (CHUNK_SIZE) at a time: compare numbers of copies
        # whose units fill several chunks.
        few = peak(math.ceil(2 * CHUNK_SIZE / NUM_XNLI_TRAIN))
        many = peak(math.ceil(20 * CHUNK_SIZE / NUM_XNLI_TRAIN))
        assert many < 1.5 * few + 50_000, (few, many)

    # -- sharding --------------------------------------------------------------------------

    def _all_units(self, reader_factory) -> Dict[Tuple[int, int], Tuple[str, str]]:
        reader = reader_factory()
        result = {unit(instance): texts(instance) for instance in reader.read(XNLI_TRAIN)}
        assert len(result) == 3 * NUM_XNLI_TRAIN
        return result

    def test_two_workers_read_every_copy_exactly_once(self):
        expected = self._all_units(lambda: smoothing(XtremeXnliReader(), copies=3, seed=1))
        seen: List[Tuple[int, int]] = []
        for worker in range(2):
            reader = smoothing(XtremeXnliReader(), copies=3, seed=1)
            reader._set_worker_info(WorkerInfo(2, worker))
            for instance in reader.read(XNLI_TRAIN):
                seen.append(unit(instance))
                assert texts(instance) == expected[unit(instance)]  # same copy, whoever reads it
        assert Counter(seen) == Counter(expected.keys())

    def test_distributed_ranks_and_workers_read_every_copy_exactly_once(self):
        expected = self._all_units(lambda: smoothing(XtremeXnliReader(), copies=3, seed=1))
        seen: List[Tuple[int, int]] = []
        world_size, num_workers = 2, 2
        for rank in range(world_size):
            with (
                mock.patch("allennlp.common.util.is_distributed", return_value=True),
                mock.patch("torch.distributed.get_rank", return_value=rank),
                mock.patch("torch.distributed.get_world_size", return_value=world_size),
            ):
                for worker in range(num_workers):
                    reader = smoothing(XtremeXnliReader(), copies=3, seed=1)
                    reader._set_worker_info(WorkerInfo(num_workers, worker))
                    shard = [unit(instance) for instance in reader.read(XNLI_TRAIN)]
                    for instance_unit in shard:
                        seen.append(instance_unit)
                    # The base reader's own sharding is off: each shard is a quarter of the units.
                    assert len(shard) == 3 * NUM_XNLI_TRAIN // 4
        assert Counter(seen) == Counter(expected.keys())

    def test_multiprocess_data_loader_with_two_workers(self, tiny_xlmr: Path):
        reader = smoothing(transformer_reader(tiny_xlmr), copies=3, seed=2)
        expected = {unit(i): texts(i) for i in reader.read(XNLI_TRAIN)}
        loader = MultiProcessDataLoader(
            smoothing(transformer_reader(tiny_xlmr), copies=3, seed=2),
            str(XNLI_TRAIN),
            batch_size=16,
            num_workers=2,
        )
        instances = list(loader.iter_instances())
        assert Counter(map(unit, instances)) == Counter(expected.keys())
        assert all(texts(i) == expected[unit(i)] for i in instances)
        loader.index_with(Vocabulary.from_instances(instances))
        batches = list(loader)
        assert sum(len(batch["label"]) for batch in batches) == 3 * NUM_XNLI_TRAIN

    def test_max_instances_of_wrapper_and_of_base(self):
        limited = list(smoothing(XtremeXnliReader(), copies=3, max_instances=10).read(XNLI_TRAIN))
        assert [unit(i) for i in limited] == [(example, 0) for example in range(10)]
        few_examples = list(smoothing(XtremeXnliReader(max_instances=5), copies=3).read(XNLI_TRAIN))
        assert sorted(map(unit, few_examples)) == sorted(itertools.product(range(5), range(3)))

    def test_base_reader_is_restored_after_reading(self):
        base = XtremeXnliReader()
        reader = smoothing(base, copies=2)
        iterator = iter(reader.read(XNLI_TRAIN))
        next(iterator)
        del iterator
        assert "text_to_instance" not in vars(base) and "shard_iterable" not in vars(base)
        assert isinstance(base.text_to_instance("a b", "c d"), Instance)
        assert isinstance(
            reader.text_to_instance("a b", "c d", "neutral"), Instance
        )  # clean, for predictors

    def test_bad_lines_of_the_base_reader_still_name_file_and_line(self):
        data = self.TEST_DIR / "train-en.tsv"
        data.write_text(
            "A man sleeps.\tA person rests.\tentailment\nbroken line\n", encoding="utf-8"
        )
        with pytest.raises(InputFileError, match=f"{data}:2: expected 3 tab-separated columns"):
            list(smoothing(XtremeXnliReader(), copies=2).read(data))


# -- configuration errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, problem",
    [
        (
            '["movie", "film"]',
            "expected a JSON object mapping each word to a list of neighbours, found an array",
        ),
        (
            '{"movie": "film"}',
            "the neighbours of 'movie' must be a list of strings, found a string",
        ),
        ('{\n "a": ["b"],\n "movie": ["film", 3]\n}', "found a number at position 1"),
        ('{"movie": ["film", ""]}', "empty string at position 1"),
        ('{"movie": ["film",}', "invalid JSON"),
    ],
)
def test_bad_tables_name_file_and_key(tmp_path: Path, content: str, problem: str):
    path = tmp_path / "table.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        RandomizedSmoothingReader(XtremeXnliReader(), neighbors=str(path), copies=1)
    assert str(error.value).startswith(str(path))
    assert problem in str(error.value)
    if "3]" in content:
        assert str(error.value).startswith(f"{path}:3: ")  # the line of the offending key


def test_missing_table(tmp_path: Path):
    with pytest.raises(InputFileError, match="neighbour table not found"):
        RandomizedSmoothingReader(
            XtremeXnliReader(), neighbors=str(tmp_path / "missing.json"), copies=1
        )


@pytest.mark.parametrize(
    "overrides, parameter",
    [
        ({"copies": 0}, "copies"),
        ({"copies": -2}, "copies"),
        ({"match": "fuzzy"}, "match"),
        ({"text_arguments": ["sentence"]}, "text_arguments"),
    ],
)
def test_bad_parameters_name_the_parameter(overrides: dict, parameter: str):
    params = {
        "type": "randomized_smoothing",
        "base_reader": {"type": "xtreme_xnli"},
        "neighbors": str(TABLE),
        "copies": 2,
    }
    params.update(overrides)
    with pytest.raises(ParameterError) as error:
        DatasetReader.from_params(Params(params))
    assert error.value.parameter == parameter
    assert str(error.value).startswith(f"randomized_smoothing: parameter '{parameter}'")


def test_reader_without_text_arguments_is_refused():
    class TokensOnly(DatasetReader):
        def _read(self, file_path):
            yield self.text_to_instance(["a"])

        def text_to_instance(self, words: List[str]) -> Instance:  # type: ignore[override]
            raise NotImplementedError

    with pytest.raises(ParameterError, match="text_arguments"):
        RandomizedSmoothingReader(TokensOnly(), neighbors=str(TABLE), copies=1)
    # Naming the argument works, and a list of words is perturbed word by word.
    reader = RandomizedSmoothingReader(
        TokensOnly(), neighbors=str(TABLE), copies=1, text_arguments=["words"]
    )
    call = reader.perturb_call(reader_call(["movie", "x"]), 0, 0)
    assert call.args[0][1] == "x" and call.args[0][0] in (
        "movie",
        *NeighborTable.from_file(TABLE).neighbors("movie"),
    )


def reader_call(words: List[str]):
    from allennlp_robust_xlt.data.reader_calls import TextToInstanceCall

    return TextToInstanceCall((words,), {})


def test_reader_that_bypasses_text_to_instance_is_refused(tmp_path: Path):
    from allennlp.data.fields import LabelField

    class Direct(DatasetReader):
        def _read(self, file_path):
            yield Instance({"label": LabelField("x")})

        def text_to_instance(self, text: str) -> Instance:  # type: ignore[override]
            raise NotImplementedError

    with pytest.raises(ParameterError, match="without calling text_to_instance"):
        list(RandomizedSmoothingReader(Direct(), neighbors=str(TABLE), copies=1).read("anything"))


# -- the real table --------------------------------------------------------------------------


def english_sentences() -> List[str]:
    """A few hundred English sentences: the fixtures' English texts and simple variations."""
    base: List[str] = []
    pair_files = [*XTREME_DATA.glob("xnli/*-en.tsv"), *XTREME_DATA.glob("pawsx/*-en.tsv")]
    for path in sorted(pair_files):
        for first, second, _ in raw_pairs(path):
            base.extend([first, second])
    base = sorted(set(base))
    varied = [sentence.lower() for sentence in base] + [
        f"I think that {s[0].lower()}{s[1:]}" for s in base
    ]
    return base + varied


def test_real_table_on_english_sentences(tmp_path: Path, record_property):
    sentences = english_sentences()
    assert len(sentences) >= 300
    data = tmp_path / "train-en.tsv"
    data.write_text("".join(f"{s}\t{s}\tneutral\n" for s in sentences), encoding="utf-8")
    # The tests' subset of the table: every word of these sentences that the full table has,
    # with its full entry, so it substitutes here exactly as the full table does.
    table = NeighborTable.from_file(COUNTERFITTED_NEIGHBORS)
    assert table.num_words == 518 and table.num_words_with_neighbors == 453
    report = {}
    for match in ("exact", "normalized"):
        reader = RandomizedSmoothingReader(
            XtremeXnliReader(),
            neighbors=str(COUNTERFITTED_NEIGHBORS),
            copies=3,
            seed=7,
            match=match,
        )
        words = substituted = 0
        expected = 0.0
        for instance in reader.read(data):
            example, _ = unit(instance)
            original = sentences[example].split(" ")
            perturbed = texts(instance)[0].split(" ")
            assert len(perturbed) == len(original)
            words += len(original)
            substituted += sum(a != b for a, b in zip(original, perturbed))
            expected += sum(
                1 - 1 / len(c) for c in map(reader.substitution.candidates, original) if c
            )
        fraction = substituted / words
        report[match] = fraction
        # The observed rate is the law's expectation (sum of k / (k + 1)) up to sampling error.
        assert abs(substituted - expected) < 4 * math.sqrt(expected), (match, substituted, expected)
    record_property("substituted_fraction", report)
    print(
        f"\nreal table, {len(sentences)} sentences x 3 copies: fraction of words substituted"
        f" {report}"
    )
    assert 0.05 < report["exact"] < report["normalized"] < 0.9


# -- real distributed processes --------------------------------------------------------------


def _read_as_rank(rank: int, world_size: int, init_file: str, output_dir: str) -> None:
    """One process of a real (gloo) process group, loading with two data-loader workers."""
    import torch.distributed as dist

    dist.init_process_group(
        "gloo", init_method=f"file://{init_file}", world_size=world_size, rank=rank
    )
    try:
        reader = smoothing(XtremeXnliReader(), copies=3, seed=1)
        loader = MultiProcessDataLoader(
            reader, str(XNLI_TRAIN), batch_size=8, num_workers=2, quiet=True
        )
        units = [[*unit(instance), *texts(instance)] for instance in loader.iter_instances()]
        Path(output_dir, f"rank{rank}.json").write_text(json.dumps(units), encoding="utf-8")
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_real_process_group_two_ranks_two_workers_each(tmp_path: Path):
    import torch.multiprocessing

    expected = {
        unit(i): texts(i) for i in smoothing(XtremeXnliReader(), copies=3, seed=1).read(XNLI_TRAIN)
    }
    torch.multiprocessing.spawn(
        _read_as_rank, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2
    )
    seen = []
    for rank in range(2):
        shard = json.loads((tmp_path / f"rank{rank}.json").read_text(encoding="utf-8"))
        assert len(shard) == 3 * NUM_XNLI_TRAIN // 2
        for example, copy, premise, hypothesis in shard:
            seen.append((example, copy))
            assert expected[(example, copy)] == (premise, hypothesis)
    assert Counter(seen) == Counter(expected.keys())
