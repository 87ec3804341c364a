"""
The training regimes (intermediate tasks, sequential and joint; parallel data) resume exactly
with `allennlp train --recover`, and on two CPU workers every instance of every dataset is
trained on once per epoch.
"""

import json
from collections import Counter
from pathlib import Path
from typing import Any, Dict

import pytest
from allennlp.common.testing import AllenNlpTestCase

from allennlp_robust_xlt.data.parallel_files import parallel_rows
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, DATA_ROOT, XTREME_DATA
from tests.reliability.distributed_test import logged_batches, seen_per_epoch
from tests.reliability.helpers import config_callbacks, train
from tests.reliability.resume_test import assert_same_run

SENTENCES = DATA_ROOT / "parallel" / "sentences"
# What users add to a config: two CPU workers; nothing else (every parameter takes part in every
# batch's loss, also in a batch of one task or of parallel text).
TWO_CPU_WORKERS = {"cuda_devices": [-1, -1]}


def overrides(name: str, extra_callbacks=(), **more: Any) -> str:
    """Two epochs, batches of 8, the config's callbacks plus test-only ones."""
    multitask = "joint" in name or "parallel" in name
    size = (
        "data_loader.scheduler.batch_size" if multitask else "data_loader.batch_sampler.batch_size"
    )
    values: Dict[str, Any] = {
        "trainer.num_epochs": 2,
        "trainer.num_gradient_accumulation_steps": 1,
        size: 8,
        "trainer.callbacks": config_callbacks(name) + list(extra_callbacks),
    }
    values.update(more)
    return json.dumps(values)


@pytest.fixture()
def regime_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """An MNLI archive for the sequential configs and the parallel sentences."""
    archive = tmp_path_factory.mktemp("mnli") / "run"
    run_allennlp(
        "train", str(CONFIGS_ROOT / "xnli_baseline.jsonnet"), "-s", str(archive),
        "-o", json.dumps({"trainer.num_epochs": 1, "data_loader.batch_sampler.batch_size": 8}),
    )  # fmt: skip
    monkeypatch.setenv("XLT_INTERMEDIATE_ARCHIVE", str(archive / "model.tar.gz"))
    monkeypatch.setenv("XLT_PARALLEL_DATA", str(SENTENCES))


@pytest.mark.slow
@pytest.mark.usefixtures("regime_env")
class TestRegimesResume(AllenNlpTestCase):
    @pytest.mark.parametrize(
        "config",
        ["pawsx_intermediate_sequential_adv", "pawsx_intermediate_joint_adv", "xnli_parallel_adv"],
    )
    def test_interrupted_and_recovered_equals_uninterrupted(self, config: str):
        settings = overrides(config, extra_callbacks=["test_interrupt"])
        full, part = self.TEST_DIR / "full", self.TEST_DIR / "part"
        train(config, full, settings)
        with pytest.raises(KeyboardInterrupt):
            train(config, part, settings, interrupt_at_epoch=1)
        assert not (part / "metrics.json").exists()
        train(config, part, settings, "--recover")
        assert_same_run(full, part)


def pairs(path: Path) -> Counter:
    rows = path.read_text(encoding="utf-8").splitlines()
    return Counter(tuple(row.split("\t")[:2]) for row in rows)


def text_key(metadata: Dict[str, Any]) -> Any:
    if "english" in metadata:  # a parallel row
        return metadata["id"]
    return (metadata["premise"], metadata["hypothesis"])


@pytest.mark.slow
@pytest.mark.usefixtures("regime_env")
class TestRegimesDistributed(AllenNlpTestCase):
    @pytest.mark.parametrize(
        "config",
        [
            "pawsx_intermediate_sequential_baseline",
            "pawsx_intermediate_joint_baseline",
            "xnli_parallel_baseline",
        ],
    )
    def test_each_instance_once_per_epoch_on_two_workers(self, config: str):
        run = self.TEST_DIR / "run"
        train(config, run, overrides(config, ["test_batch_log"], distributed=TWO_CPU_WORKERS))
        assert (run / "model.tar.gz").exists()
        lines = logged_batches(run)
        assert {line["rank"] for line in lines} == {0, 1}
        expected = {
            "pawsx_intermediate_sequential_baseline": pairs(XTREME_DATA / "pawsx" / "train-en.tsv"),
            "pawsx_intermediate_joint_baseline": pairs(XTREME_DATA / "pawsx" / "train-en.tsv")
            + pairs(XTREME_DATA / "xnli" / "train-en.tsv"),
            "xnli_parallel_baseline": pairs(XTREME_DATA / "xnli" / "train-en.tsv")
            + Counter(f"{row.path}:{row.line}" for row in parallel_rows(SENTENCES)),
        }[config]
        seen = seen_per_epoch(lines, text_key)
        assert sorted(seen) == [0, 1]
        for epoch, counter in seen.items():
            assert counter == expected, f"epoch {epoch}"
