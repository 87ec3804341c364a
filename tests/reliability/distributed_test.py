"""
Distributed training on two CPU workers (gloo), as a user configures it: every training instance
(every RS-DA copy) is trained on exactly once per epoch, by one of the two workers.
"""

import json
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

import pytest
from allennlp.common.testing import AllenNlpTestCase

from tests import XTREME_DATA
from tests.reliability.helpers import small_overrides, train

# What users add to a config (README): two CPU workers. Nothing else: the configs load the
# transformer without its unused pooler, so DDP needs no `find_unused_parameters`.
TWO_CPU_WORKERS = {"cuda_devices": [-1, -1]}
XNLI_TRAIN_PAIRS = 48
XNLI_RS_DA_COPIES = 3


def logged_batches(serialization_dir: Path) -> List[Dict[str, Any]]:
    lines: List[Dict[str, Any]] = []
    for rank in (0, 1):
        path = serialization_dir / f"batches_w{rank}.jsonl"
        assert path.exists(), f"worker {rank} trained on nothing"
        lines.extend(json.loads(line) for line in path.read_text().splitlines())
    return lines


def seen_per_epoch(lines: List[Dict[str, Any]], key) -> Dict[int, Counter]:
    seen: Dict[int, Counter] = {}
    for line in lines:
        counter = seen.setdefault(line["epoch"], Counter())
        counter.update(key(metadata) for metadata in line["metadata"])
    return seen


def train_pairs() -> Counter:
    rows = (XTREME_DATA / "xnli" / "train-en.tsv").read_text(encoding="utf-8").splitlines()
    return Counter(tuple(row.split("\t")[:2]) for row in rows)


@pytest.mark.slow
class TestDistributed(AllenNlpTestCase):
    def test_adversarial_training_on_two_workers(self):
        serialization_dir = self.TEST_DIR / "adv"
        overrides = small_overrides(
            "xnli_adv", extra_callbacks=["test_batch_log"], distributed=TWO_CPU_WORKERS
        )
        train("xnli_adv", serialization_dir, overrides)
        assert (serialization_dir / "model.tar.gz").exists()
        lines = logged_batches(serialization_dir)
        assert {line["rank"] for line in lines} == {0, 1}
        expected = train_pairs()
        assert sum(expected.values()) == XNLI_TRAIN_PAIRS
        seen = seen_per_epoch(lines, lambda m: (m["premise"], m["hypothesis"]))
        assert sorted(seen) == [0, 1]
        for epoch, counter in seen.items():
            assert counter == expected, f"epoch {epoch}"
        # Each worker trained on half of the pairs.
        for rank in (0, 1):
            assert (
                sum(
                    len(line["metadata"])
                    for line in lines
                    if line["rank"] == rank and line["epoch"] == 0
                )
                == XNLI_TRAIN_PAIRS // 2
            )

    def test_randomized_smoothing_reader_on_two_workers(self):
        serialization_dir = self.TEST_DIR / "rs_da"
        overrides = small_overrides(
            "xnli_rs_da", extra_callbacks=["test_batch_log"], distributed=TWO_CPU_WORKERS
        )
        train("xnli_rs_da", serialization_dir, overrides)
        assert (serialization_dir / "model.tar.gz").exists()
        lines = logged_batches(serialization_dir)
        seen = seen_per_epoch(
            lines,
            lambda m: (m["randomized_smoothing"]["example"], m["randomized_smoothing"]["copy"]),
        )
        expected = Counter(
            (example, copy)
            for example in range(XNLI_TRAIN_PAIRS)
            for copy in range(XNLI_RS_DA_COPIES)
        )
        assert sorted(seen) == [0, 1]
        for epoch, counter in seen.items():
            assert counter == expected, f"epoch {epoch}"
        for rank in (0, 1):
            per_rank = sum(
                len(line["metadata"])
                for line in lines
                if line["rank"] == rank and line["epoch"] == 0
            )
            assert per_rank == XNLI_TRAIN_PAIRS * XNLI_RS_DA_COPIES // 2

    def test_multisource_on_two_workers(self):
        """Each instance of every source language is trained on once per epoch, by one worker."""
        serialization_dir = self.TEST_DIR / "multisource"
        overrides = small_overrides(
            "xnli_multisource_baseline",
            extra_callbacks=["test_batch_log"],
            distributed=TWO_CPU_WORKERS,
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("XLT_SOURCE_LANGUAGES", "en,de")
            train("xnli_multisource_baseline", serialization_dir, overrides)
        lines = logged_batches(serialization_dir)
        translated = XTREME_DATA / "xnli" / "translate-train" / "train-de.tsv"
        expected = train_pairs() + Counter(
            tuple(row.split("\t")[2:4]) for row in translated.read_text().splitlines()
        )
        seen = seen_per_epoch(lines, lambda m: (m["premise"], m["hypothesis"]))
        assert sorted(seen) == [0, 1]
        for epoch, counter in seen.items():
            assert counter == expected, f"epoch {epoch}"
