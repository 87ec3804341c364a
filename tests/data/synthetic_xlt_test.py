"""The synthetic cross-lingual benchmark: what it writes, and that it measures what it claims."""

import hashlib
import json
from dataclasses import replace
from collections import Counter

import numpy as np
import pytest
import torch
from allennlp.common.testing import AllenNlpTestCase
from transformers import AutoModel, AutoTokenizer

from allennlp_robust_xlt.analysis.compare.inputs import read_families
from allennlp_robust_xlt.analysis.language_distances import read_distance_table
from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.common.languages import load_language_file
from allennlp_robust_xlt.data.synthetic_xlt import (
    DISTANCE_NAMES,
    TAGGING_LABELS,
    SyntheticXlt,
    SyntheticXltConfig,
    write_benchmark,
)
from allennlp_robust_xlt.tagging.dataset_readers.xtreme_udpos import XtremeUdposReader
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT

ORIGINAL_DIGESTS = {
    "target_vectors": "a73a00c6cacb2cbb41fd79942ea061104a71047d12f140c7d126b927ddb1fadd",
    "pawsx/train-en.tsv": "8931ac7b2dba1bcd0098556fb6b92bc61e3adba1764510cafab163cc978f246f",
    "pawsx/test-qac.tsv": "cff587c09d606040755fec92c751e38737eb261ed52a177eb995effd383f2c58",
    "neighbors.json": "6af0d9d1343b945706f54cd8f7397bf610f3159eb1e8a6c7e3f120e76fc60d33",
}
SMALL = SyntheticXltConfig(
    seed=3, num_groups=60, train_size=200, dev_size=40, test_size=50, misalignments=(0.0, 1.0, 2.0)
)


class TestSyntheticBenchmark(AllenNlpTestCase):
    def test_writes_xtreme_layout_parallel_tests_and_a_neighbour_table(self):
        world = write_benchmark(self.TEST_DIR, SMALL)
        task = self.TEST_DIR / "pawsx"
        assert sorted(p.name for p in task.iterdir()) == sorted(
            ["train-en.tsv", "dev-en.tsv"]
            + [f"test-{code}.tsv" for code in ["en", "qaa", "qab", "qac"]]
        )
        train = [line.split("\t") for line in (task / "train-en.tsv").read_text().splitlines()]
        assert len(train) == 200 and Counter(row[2] for row in train) == {"0": 100, "1": 100}
        tests = {
            code: (task / f"test-{code}.tsv").read_text().splitlines() for code in world.languages
        }
        labels = [line.split("\t")[2] for line in tests["en"]]
        for code, lines in tests.items():
            assert [line.split("\t")[2] for line in lines] == labels  # parallel, line by line
            if code != "en":  # every target word is a token of its own, never an English word
                words = {w for line in lines for w in " ".join(line.split("\t")[:2]).split()}
                assert not words & set(world.source_words)
        neighbors = json.loads((self.TEST_DIR / "neighbors.json").read_text())
        assert set(neighbors) == set(world.source_words)
        assert all(isinstance(v, list) and w not in v for w, v in neighbors.items())
        assert any(neighbors.values())
        misalignment = json.loads((self.TEST_DIR / "languages.json").read_text())["misalignment"]
        assert misalignment == {"en": 0.0, "qaa": 0.0, "qab": 1.0, "qac": 2.0}

    def test_encoder_embeds_target_words_at_the_set_misalignment(self):
        world = write_benchmark(self.TEST_DIR, SMALL)
        tokenizer = AutoTokenizer.from_pretrained(str(self.TEST_DIR / "encoder"))
        table = AutoModel.from_pretrained(
            str(self.TEST_DIR / "encoder")
        ).embeddings.word_embeddings.weight.detach()
        source = table[tokenizer.convert_tokens_to_ids(world.source_words)]
        assert torch.allclose(source.norm(dim=1), torch.ones(len(world.source_words)), atol=1e-5)
        for code, distance in world.misalignment.items():
            if code == "en":
                continue
            targets = table[
                tokenizer.convert_tokens_to_ids(
                    [world.targets[code][w] for w in world.source_words]
                )
            ]
            assert torch.allclose(
                (targets - source).norm(dim=1), torch.full((len(source),), distance), atol=1e-5
            )
        # Whole words are single tokens, so the misalignment is per word.
        first = (self.TEST_DIR / "pawsx" / "test-qab.tsv").read_text().split("\t")[0]
        assert len(tokenizer.tokenize(first)) == len(first.split())
        # Synonyms are closer to each other than unrelated words.
        group = next(g for g in world.groups if len(g) > 1)
        ids = tokenizer.convert_tokens_to_ids(group[:2])
        synonym_distance = (table[ids[0]] - table[ids[1]]).norm().item()
        unrelated = (source[:, None] - source[None]).norm(dim=-1)
        assert synonym_distance < np.median(unrelated.numpy()) / 2

    def test_same_seed_same_benchmark(self):
        write_benchmark(self.TEST_DIR / "a", SMALL)
        write_benchmark(self.TEST_DIR / "b", SMALL)
        write_benchmark(self.TEST_DIR / "c", replace(SMALL, seed=4))
        for name in (
            "pawsx/train-en.tsv",
            "pawsx/test-qac.tsv",
            "neighbors.json",
            "encoder/pytorch_model.bin",
        ):
            assert (self.TEST_DIR / "a" / name).read_bytes() == (
                self.TEST_DIR / "b" / name
            ).read_bytes()
        assert (self.TEST_DIR / "a/pawsx/train-en.tsv").read_bytes() != (
            self.TEST_DIR / "c/pawsx/train-en.tsv"
        ).read_bytes()

    def test_share_zero_is_the_original_benchmark_byte_for_byte(self):
        """
        The digests were computed with main@6fd20c9's `synthetic_xlt.py` (before the synonym-ward
        share and the families) on `SMALL`; explicit zero shares and English parents equal them.
        """
        explicit = replace(SMALL, synonym_shares=(0.0, 0.0, 0.0), parents=("en", "en", "en"))
        for config, name in ((SMALL, "default"), (explicit, "explicit")):
            world = write_benchmark(self.TEST_DIR / name, config)
            digest = hashlib.sha256()
            for code in sorted(world.target_vectors):
                digest.update(np.ascontiguousarray(world.target_vectors[code]).tobytes())
            assert digest.hexdigest() == ORIGINAL_DIGESTS["target_vectors"]
            for path in ("pawsx/train-en.tsv", "pawsx/test-qac.tsv", "neighbors.json"):
                data = (self.TEST_DIR / name / path).read_bytes()
                assert hashlib.sha256(data).hexdigest() == ORIGINAL_DIGESTS[path], path
        for path in ("pawsx/test-qac.tsv", "encoder/pytorch_model.bin"):
            assert (self.TEST_DIR / "default" / path).read_bytes() == (
                self.TEST_DIR / "explicit" / path
            ).read_bytes()

    @pytest.mark.parametrize("share", [0.5, 1.0])
    def test_synonym_ward_share_places_translations_towards_a_synonym(self, share):
        world = SyntheticXlt(replace(SMALL, synonym_shares=(0.0, share, share)))
        index = {w: i for i, w in enumerate(world.source_words)}
        for code, distance in (("qab", 1.0), ("qac", 2.0)):
            offsets = world.target_vectors[code] - world.source_vectors
            np.testing.assert_allclose(np.linalg.norm(offsets, axis=1), distance, atol=1e-9)
            with_synonym = 0
            for i, word in enumerate(world.source_words):
                synonym = world.synonym_of[word]
                if synonym is None:
                    continue
                with_synonym += 1
                assert synonym in world.groups[world.group_of[word]] and synonym != word
                towards = world.source_vectors[index[synonym]] - world.source_vectors[i]
                cosine = offsets[i] @ towards / (distance * np.linalg.norm(towards))
                assert cosine == pytest.approx(share, abs=1e-9)
            assert with_synonym > len(world.source_words) / 2
        # At share 1 and the synonym's own distance, the translation lands on the synonym.
        word = next(w for w in world.source_words if world.synonym_of[w] is not None)
        synonym = world.source_vectors[index[world.synonym_of[word]]]
        gap = float(np.linalg.norm(synonym - world.source_vectors[index[word]]))
        landed = SyntheticXlt(replace(SMALL, misalignments=(gap,), synonym_shares=(1.0,)))
        np.testing.assert_allclose(landed.target_vectors["qaa"][index[word]], synonym, atol=1e-9)
        # The same synonym for every language and share; the random part differs by seed only.
        assert world.synonym_of == SyntheticXlt(SMALL).synonym_of

    def test_a_family_shares_its_parents_offsets(self):
        config = replace(
            SMALL,
            misalignments=(1.0, 0.5, 0.5, 1.0),
            synonym_shares=(0.0, 0.0, 1.0, 0.0),
            parents=("en", "qaa", "qab", "en"),
        )
        world = write_benchmark(self.TEST_DIR, config)
        parent = world.target_vectors["qaa"] - world.source_vectors
        for child, own in (("qab", 0.5), ("qac", 0.5)):
            offset = world.target_vectors[child] - world.target_vectors[world.parent[child]]
            np.testing.assert_allclose(np.linalg.norm(offset, axis=1), own, atol=1e-9)
        # qac inherits qaa's offsets through qab: its offset from English is qaa's plus two more.
        inherited = world.target_vectors["qac"] - world.source_vectors
        residual = inherited - parent
        assert np.all(np.linalg.norm(residual, axis=1) <= 1.0 + 1e-9)

        def mean_cosine(a, unit_b):
            return float(np.mean(np.sum(a * unit_b, axis=1) / np.linalg.norm(a, axis=1)))

        # Offsets from English point the parent's way within the family, not outside it.
        unit_parent = parent / np.linalg.norm(parent, axis=1, keepdims=True)
        other = world.target_vectors["qad"] - world.source_vectors
        assert mean_cosine(inherited, unit_parent) > 0.6
        assert abs(mean_cosine(other, unit_parent)) < 0.2
        assert [world.family(code) for code in world.languages[1:]] == ["qaa"] * 3 + ["qad"]
        # The encoder holds the same vectors: the family's offsets in the table are the parent's.
        tokenizer = AutoTokenizer.from_pretrained(str(self.TEST_DIR / "encoder"))
        table = AutoModel.from_pretrained(
            str(self.TEST_DIR / "encoder")
        ).embeddings.word_embeddings.weight.detach()

        def rows(code):
            ids = tokenizer.convert_tokens_to_ids(
                [world.targets[code][w] for w in world.source_words]
            )
            return table[ids].double().numpy()

        np.testing.assert_allclose(
            rows("qab") - rows("qaa"),
            world.target_vectors["qab"] - world.target_vectors["qaa"],
            atol=1e-5,
        )
        # What the reports and xtreme-compare read.
        families = read_families(self.TEST_DIR / "families.csv")
        assert {code: family for code, (family, _) in families.items()} == {
            "qaa": "Synthetic-qaa",
            "qab": "Synthetic-qaa",
            "qac": "Synthetic-qaa",
            "qad": "Synthetic-qad",
        }
        registered = load_language_file(self.TEST_DIR / "languages.tsv")
        assert [language.family for language in registered] == [
            "Synthetic-qaa",
            "Synthetic-qaa",
            "Synthetic-qaa",
            "Synthetic-qad",
        ]
        table_rows = read_distance_table(self.TEST_DIR / "distances.csv")
        assert set(table_rows) == set(DISTANCE_NAMES)
        misalignment = {code: v.value for code, v in table_rows["misalignment"].items()}
        assert misalignment["en"] == 0.0 and misalignment["qaa"] == 1.0
        expected = np.linalg.norm(inherited, axis=1).mean()
        assert misalignment["qac"] == pytest.approx(expected, rel=1e-5)
        assert table_rows["own_offset"]["qac"].value == 0.5
        assert table_rows["synonym_share"]["qac"].value == 1.0
        assert json.loads((self.TEST_DIR / "languages.json").read_text())["misalignment"][
            "qac"
        ] == pytest.approx(expected, rel=1e-5)

    def test_synonym_gap_shrinks_as_translations_move_towards_synonyms(self):
        world = SyntheticXlt(
            replace(SMALL, misalignments=(0.4, 0.4, 0.4), synonym_shares=(0.0, 0.5, 1.0))
        )
        gaps = [world.synonym_gap(code) for code in ("qaa", "qab", "qac")]
        assert gaps[0] > gaps[1] > gaps[2]
        assert gaps[2] < world.synonym_gap("en")

    def test_heads_only_texts_leave_synonyms_to_the_embedding_space_and_the_table(self):
        config = replace(SMALL, text_synonyms=False, tagging_train_size=20)
        world = write_benchmark(self.TEST_DIR, config)
        heads = {group[0] for group in world.groups}
        for path in ("pawsx/train-en.tsv", "pawsx/test-en.tsv"):
            text = (self.TEST_DIR / path).read_text()
            words = {
                w for line in text.splitlines() for w in " ".join(line.split("\t")[:2]).split()
            }
            assert words <= heads and len(words) > len(heads) / 2
        tagged = (self.TEST_DIR / "udpos/train-en.tsv").read_text().split()
        assert set(tagged[0::2]) <= heads
        neighbors = json.loads((self.TEST_DIR / "neighbors.json").read_text())
        assert set(neighbors) == set(world.source_words)  # the table still has every member
        # Same draws: the same groups in the same places as in the default world.
        default = SyntheticXlt(SMALL)
        for (a, b, label), (c, d, same) in zip(default.pairs(30, 1), world.pairs(30, 1)):
            assert label == same
            assert [default.group_of[w] for w in a + b] == [world.group_of[w] for w in c + d]

    def test_unlabeled_inputs_are_new_label_free_draws_per_target_language(self):
        from allennlp_robust_xlt.data.unlabeled_inputs import read_unlabeled, unlabeled_files
        from allennlp_robust_xlt.pair_classification.dataset_readers.xtreme_pawsx import (
            XtremePawsxReader,
        )

        config = replace(SMALL, tagging_train_size=20, unlabeled_size=12)
        world = write_benchmark(self.TEST_DIR, config)
        for task in ("pawsx", "udpos"):
            directory = self.TEST_DIR / "unlabeled" / task
            assert sorted(p.name for p in directory.iterdir()) == [
                f"{c}.tsv" for c in world.targets
            ]
        pairs = (self.TEST_DIR / "unlabeled/pawsx/qab.tsv").read_text().splitlines()
        assert len(pairs) == 12 and all(len(line.split("\t")) == 2 for line in pairs)
        target_words = set(world.targets["qab"].values())
        assert {w for line in pairs for w in line.split()} <= target_words
        labelled = set((self.TEST_DIR / "pawsx/test-qab.tsv").read_text().splitlines())
        assert not {line + "\t0" for line in pairs} & labelled
        assert not {line + "\t1" for line in pairs} & labelled
        tagged = (self.TEST_DIR / "unlabeled/udpos/qac.tsv").read_text().split("\n\n")
        assert len([s for s in tagged if s.strip()]) == 12
        assert all("\t" not in line for line in "".join(tagged).splitlines())
        # The label-free objectives' reader takes them (it refuses files with labels).
        files = unlabeled_files(str(self.TEST_DIR / "unlabeled/pawsx"), ".tsv")
        instances = read_unlabeled(XtremePawsxReader(), files)
        assert len(instances) == 12 * len(world.targets)

    def test_inconsistent_languages_are_refused_naming_the_parameter(self):
        with pytest.raises(ParameterError, match="parents.*qab: parent 'qac'"):
            SyntheticXlt(replace(SMALL, parents=("en", "qac", "en")))
        with pytest.raises(ParameterError, match="synonym_shares.*2 values for 3"):
            SyntheticXlt(replace(SMALL, synonym_shares=(0.0, 1.0)))
        with pytest.raises(ParameterError, match="synonym_shares.*qac: 1.5 is not in"):
            SyntheticXlt(replace(SMALL, synonym_shares=(0.0, 1.0, 1.5)))

    def test_tagging_task_in_udpos_layout_tags_by_group_and_left_neighbour(self):
        world = write_benchmark(self.TEST_DIR, replace(SMALL, tagging_train_size=30))
        task = self.TEST_DIR / "udpos"
        assert sorted(p.name for p in task.iterdir()) == sorted(
            ["train-en.tsv", "dev-en.tsv"] + [f"test-{c}.tsv" for c in world.languages]
        )
        reader = XtremeUdposReader()
        train = list(reader.read(str(task / "train-en.tsv")))
        assert len(train) == 30
        tags_seen = set()
        for instance in train:
            words = [t.text for t in instance["tokens"].tokens]
            tags = instance["tags"].labels
            tags_seen.update(tags)
            classes = [world.group_of[w] % 4 for w in words]
            for i, tag in enumerate(tags):
                shift = 1 if i and classes[i - 1] == 0 else 0
                assert tag == TAGGING_LABELS[(classes[i] + shift) % 4]
        assert tags_seen == set(TAGGING_LABELS)
        english = list(reader.read(str(task / "test-en.tsv")))
        for code in world.languages[1:]:
            translated = list(reader.read(str(task / f"test-{code}.tsv")))
            assert [i["tags"].labels for i in translated] == [i["tags"].labels for i in english]
            assert [[t.text for t in i["tokens"].tokens] for i in translated] == [
                world.translate([t.text for t in i["tokens"].tokens], code) for i in english
            ]
        # The tag depends on the neighbour: one word takes several tags across sentences.
        tags_of: dict = {}
        for instance in train:
            for token, tag in zip(instance["tokens"].tokens, instance["tags"].labels):
                tags_of.setdefault(token.text, set()).add(tag)
        assert max(len(tags) for tags in tags_of.values()) > 1

    @pytest.mark.slow
    def test_baseline_accuracy_falls_as_misalignment_grows(self, monkeypatch: pytest.MonkeyPatch):
        """The benchmark measures what it claims: the further the language, the worse the transfer."""
        config = SyntheticXltConfig(
            seed=0, train_size=3000, dev_size=200, test_size=400, misalignments=(0.0, 1.0, 2.0)
        )
        benchmark = self.TEST_DIR / "benchmark"
        write_benchmark(benchmark, config)
        monkeypatch.setenv("XLT_TRANSFORMER", str(benchmark / "encoder"))
        monkeypatch.setenv("XLT_TRANSFORMER_DIM", str(config.hidden_size))
        monkeypatch.setenv("XLT_DATA_DIR", str(benchmark))
        from allennlp_robust_xlt.data.synthetic_xlt import TRAINING_OVERRIDES as SIZE

        run = self.TEST_DIR / "run"
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "pawsx_baseline.jsonnet"),
            "-s",
            str(run),
            "-o",
            json.dumps({**SIZE, "trainer.num_epochs": 12}),
        )
        run_allennlp(
            "xtreme-report",
            str(run / "model.tar.gz"),
            str(benchmark),
            "--task",
            "pawsx",
            "--languages",
            *json.loads((benchmark / "languages.json").read_text())["languages"],
            "--output-dir",
            str(run / "report"),
        )
        accuracy = {
            code: m["accuracy"]
            for code, m in json.loads((run / "report" / "metrics.json").read_text())[
                "languages"
            ].items()
        }
        assert accuracy["en"] > 0.7, accuracy  # the task is learnt
        assert (
            accuracy["qaa"] == accuracy["en"]
        ), accuracy  # no misalignment: same embeddings, same predictions
        assert accuracy["en"] > accuracy["qab"] + 0.02 > accuracy["qac"] + 0.04, accuracy
