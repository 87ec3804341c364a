"""The KL methods under AllenNLP's distributed trainer (torch DDP, gloo, two CPU workers)."""

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT


@pytest.mark.slow
@pytest.mark.parametrize(
    "settings",
    [
        {"method": "r3f", "epsilon": 0.1},
        {"method": "smart", "norm": "l2", "epsilon": 0.5, "alpha": 0.5, "proximal_weight": 1.0},
        {"method": "vat"},
    ],
)
def test_two_workers_train(settings: Dict[str, Any], tmp_path: Path):
    """
    The extra passes run outside DDP's synchronisation and one backward goes through the clean
    and the perturbed pass: training runs on two workers without a DDP reduction error, and
    reports the term.
    """
    overrides = {
        "trainer.num_epochs": 1,
        "trainer.callbacks.0": {"type": "adversarial_training", **settings},
        "dataset_reader.max_instances": 16,
        "distributed": {"cuda_devices": [-1, -1]},
        "data_loader": {"batch_size": 4, "shuffle": False},
    }
    run = tmp_path / "ddp"
    run_allennlp(
        "train", str(CONFIGS_ROOT / "xnli_adv.jsonnet"), "-s", str(run), "-o", json.dumps(overrides)
    )
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["training_consistency_kl"] > 0 and (run / "model.tar.gz").exists()
