"""The eight tagging configs read XTREME's settings from the task table."""

import pytest

from allennlp_robust_xlt.tasks import TASKS
from tests.tagging.helpers import config


@pytest.mark.parametrize("task", ["udpos", "panx"])
@pytest.mark.parametrize("method", ["baseline", "adv", "rs_rp", "rs_da"])
def test_configs_read_the_table(task: str, method: str):
    training = TASKS[task].training
    params = config(task, method)
    trainer = params["trainer"]
    assert trainer["optimizer"]["lr"] == training["learning_rate"] == 2e-5
    assert trainer["validation_metric"] == training["validation_metric"] == "+f1"
    assert params["data_loader"]["batch_sampler"]["batch_size"] == training["batch_size"] == 8
    assert trainer["num_gradient_accumulation_steps"] == training["accumulation"] == 4
    reader = params["dataset_reader"]
    if method == "rs_da":
        assert reader["copies"] == training["rs_da_copies"]
        assert trainer["num_epochs"] == training["rs_da_epochs"]
        reader = reader["base_reader"]
    else:
        assert trainer["num_epochs"] == training["epochs"] == 10
    assert reader["type"] == TASKS[task].reader
    embedder = params["model"]["text_field_embedder"]["token_embedders"]["tokens"]
    indexer = reader["token_indexers"]["tokens"]
    assert embedder["max_length"] == indexer["max_length"] == training["max_length"] == 128
    assert embedder["sub_token_mode"] == "first"
    assert params["train_data_path"].endswith(f"/{task}/train-en.tsv")
    assert params["validation_data_path"].endswith(f"/{task}/dev-en.tsv")
