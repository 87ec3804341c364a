"""Shared helpers of the reliability tests: `allennlp train` runs on the tiny model."""

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import torch
from allennlp.common import Params

from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, FIXTURES_ROOT
from tests.reliability.callbacks import INTERRUPT_ENV

TEST_CALLBACKS_PACKAGE = "tests.reliability.callbacks"
NEIGHBORS = FIXTURES_ROOT / "neighbors" / "english_neighbors.json"
# Metrics that measure time or memory, not the training.
VOLATILE = ("duration", "memory", "_time")


def config_path(name: str) -> str:
    return str(CONFIGS_ROOT / f"{name}.jsonnet")


def config_callbacks(name: str) -> List[Any]:
    """The config's own trainer callbacks, as written in the config."""
    return Params.from_file(config_path(name)).as_dict()["trainer"].get("callbacks", [])


def small_overrides(name: str, extra_callbacks: Iterable[str] = (), **more: Any) -> str:
    """Two epochs, batches of 8, the config's callbacks plus test-only ones at the end."""
    batch_size = "data_loader.scheduler" if "multisource" in name else "data_loader.batch_sampler"
    overrides: Dict[str, Any] = {
        "trainer.num_epochs": 2,
        f"{batch_size}.batch_size": 8,
        "trainer.callbacks": config_callbacks(name) + list(extra_callbacks),
    }
    if "rs_da" in name:
        overrides["dataset_reader.neighbors"] = str(NEIGHBORS)
    overrides.update(more)
    return json.dumps(overrides)


def train(
    name: str,
    serialization_dir: Path,
    overrides: str,
    *flags: str,
    interrupt_at_epoch: Optional[object] = None,
) -> None:
    """`allennlp train` in-process, as in a fresh process (`run_allennlp` clears AllenNLP's transformer cache)."""
    previous = os.environ.pop(INTERRUPT_ENV, None)
    if interrupt_at_epoch is not None:
        os.environ[INTERRUPT_ENV] = str(interrupt_at_epoch)
    try:
        run_allennlp(
            "train",
            config_path(name),
            "-s",
            str(serialization_dir),
            "-o",
            overrides,
            "--include-package",
            TEST_CALLBACKS_PACKAGE,
            *flags,
        )
    finally:
        os.environ.pop(INTERRUPT_ENV, None)
        if previous is not None:
            os.environ[INTERRUPT_ENV] = previous


def training_metrics(serialization_dir: Path, name: str = "metrics.json") -> Dict[str, Any]:
    metrics = json.loads((serialization_dir / name).read_text())
    return {
        key: value for key, value in metrics.items() if not any(part in key for part in VOLATILE)
    }


def weights(path: Path) -> Dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu")


def max_weight_difference(first: Dict[str, torch.Tensor], second: Dict[str, torch.Tensor]) -> float:
    assert first.keys() == second.keys()
    return max(float((first[name].double() - second[name].double()).abs().max()) for name in first)
