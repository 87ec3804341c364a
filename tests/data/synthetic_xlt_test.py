"""The synthetic cross-lingual benchmark: what it writes, and that it measures what it claims."""

import json
from dataclasses import replace
from collections import Counter

import numpy as np
import pytest
import torch
from allennlp.common.testing import AllenNlpTestCase
from transformers import AutoModel, AutoTokenizer

from allennlp_robust_xlt.data.synthetic_xlt import SyntheticXltConfig, write_benchmark
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT

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
        from allennlp_robust_xlt.demo import SIZE

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
