"""A tiny SQuAD model, trained once per session with the real config, for the QA tests."""

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, XTREME_DATA
from tests.conftest import TINY_DIM

QA_WINDOWS = {"max_length": 64, "doc_stride": 32, "max_query_length": 16}
"""Small windows for the tiny models (256 positions at most; XTREME: 384, 128, 64)."""


def small_qa_overrides(reader: str = "dataset_reader", **extra: Any) -> Dict[str, Any]:
    overrides: Dict[str, Any] = {f"{reader}.{key}": value for key, value in QA_WINDOWS.items()}
    overrides.update(
        {
            "trainer.num_epochs": 1,
            "trainer.num_gradient_accumulation_steps": 1,
            "trainer.learning_rate_scheduler.warmup_steps": 2,
            "trainer.optimizer.lr": 1e-3,
        }
    )
    overrides.update(extra)
    return overrides


@pytest.fixture(scope="session")
def squad_run(tmp_path_factory: pytest.TempPathFactory, tiny_xlmr: Path) -> Path:
    """`squad_baseline.jsonnet` on the fixtures, 2 epochs; returns the run directory."""
    serialization_dir = tmp_path_factory.mktemp("squad") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
        patch.setenv("XLT_TRANSFORMER_DIM", str(TINY_DIM))
        patch.setenv("XLT_DATA_DIR", str(XTREME_DATA))
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "squad_baseline.jsonnet"),
            "-s",
            str(serialization_dir),
            "-o",
            json.dumps(small_qa_overrides(**{"trainer.num_epochs": 2})),
        )
    return serialization_dir
