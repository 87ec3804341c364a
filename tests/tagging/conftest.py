"""One tiny trained model per tagging task, shared by the command-line tests of this package."""

import json
import os
from pathlib import Path
from typing import Dict

import pytest

from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, XTREME_DATA

SMALL = {"trainer.num_epochs": 1, "data_loader.batch_sampler.batch_size": 4}


@pytest.fixture(scope="session")
def tagging_archives(tmp_path_factory: pytest.TempPathFactory, tiny_xlmr: Path) -> Dict[str, Path]:
    """`{task: model.tar.gz}`: `{task}_baseline.jsonnet` trained for one epoch on the fixtures."""
    env = {
        "XLT_TRANSFORMER": str(tiny_xlmr),
        "XLT_TRANSFORMER_DIM": "32",
        "XLT_DATA_DIR": str(XTREME_DATA),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        archives = {}
        for task in ("udpos", "panx"):
            directory = tmp_path_factory.mktemp("tagging") / task
            run_allennlp(
                "train",
                str(CONFIGS_ROOT / f"{task}_baseline.jsonnet"),
                "-s",
                str(directory),
                "-o",
                json.dumps(SMALL),
            )
            archives[task] = directory / "model.tar.gz"
        return archives
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
