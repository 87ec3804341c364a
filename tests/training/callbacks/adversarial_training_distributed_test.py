"""The `adversarial_training` callback under AllenNLP's distributed trainer (torch DDP, gloo, CPU)."""

import io
import json
import tarfile
from pathlib import Path
from typing import Any, Dict

import pytest
import torch
from allennlp.common.testing import AllenNlpTestCase
from transformers import AutoModel

from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT


def archived_weights(archive: Path) -> Dict[str, torch.Tensor]:
    with tarfile.open(archive) as tar:
        return torch.load(io.BytesIO(tar.extractfile("weights.th").read()))  # type: ignore[union-attr]


@pytest.mark.slow
class TestDistributedAdversarialTraining(AllenNlpTestCase):
    @pytest.mark.parametrize(
        "settings",
        [
            {"method": "pgd", "steps": 3},
            {"method": "freelb", "steps": 3},
            {"method": "free", "replays": 2, "epsilon": 0.3},
        ],
    )
    def test_two_workers_of_4_equal_one_process_of_8(
        self, settings: Dict[str, Any], tiny_xlmr: Path
    ):
        """
        Two CPU workers (gloo DDP, each reading every other pair) with batches of 4 make the same
        updates as one process with batches of 8: the callback's extra passes and backwards keep
        the gradient all-reduce right. Dropout off and no random start, so both runs are
        deterministic. No `find_unused_parameters`: the configs load the transformer without its
        unused pooler. For `free`, 2 epochs: each trains on one of the two batches, twice, and
        row i of a worker's batch keeps the perturbation of row i of its previous batch, which
        is the same example's as in the single process.
        """
        common = {
            "trainer.num_epochs": 2 if settings["method"] == "free" else 1,
            "trainer.optimizer": {"type": "sgd", "lr": 0.5},
            "trainer.callbacks.0": {
                "type": "adversarial_training",
                "random_init": False,
                **settings,
            },
            "model.dropout": 0.0,
            # Dotted keys: an override's dict would replace the config's transformer_kwargs whole.
            "model.text_field_embedder.token_embedders.tokens.transformer_kwargs.hidden_dropout_prob": 0.0,
            "model.text_field_embedder.token_embedders.tokens.transformer_kwargs"
            ".attention_probs_dropout_prob": 0.0,
            "dataset_reader.max_instances": 16,
        }
        distributed = {
            **common,
            "distributed": {"cuda_devices": [-1, -1]},
            "data_loader": {"batch_size": 4, "shuffle": False},
        }
        single = {**common, "data_loader": {"batch_size": 8, "shuffle": False}}
        config = str(CONFIGS_ROOT / "xnli_adv.jsonnet")
        run_allennlp(
            "train", config, "-s", str(self.TEST_DIR / "ddp"), "-o", json.dumps(distributed)
        )
        # Like the fresh worker processes, this run starts without AllenNLP's cached transformer
        # (`run_allennlp` clears it): a cache hit would shift the seeded head init.
        run_allennlp("train", config, "-s", str(self.TEST_DIR / "single"), "-o", json.dumps(single))
        with_ddp = archived_weights(self.TEST_DIR / "ddp" / "model.tar.gz")
        alone = archived_weights(self.TEST_DIR / "single" / "model.tar.gz")
        assert with_ddp.keys() == alone.keys()
        for name in alone:
            torch.testing.assert_close(
                with_ddp[name], alone[name], atol=1e-6, rtol=0, msg=lambda m: f"{name}: {m}"
            )
        # ... and they did train the transformer.
        pretrained = AutoModel.from_pretrained(tiny_xlmr).state_dict()
        prefix = "_text_field_embedder.token_embedder_tokens.transformer_model."
        changes = [
            (alone[prefix + name] - value).abs().max()
            for name, value in pretrained.items()
            if prefix + name in alone
        ]
        assert len(changes) > 10 and max(changes) > 1e-3
