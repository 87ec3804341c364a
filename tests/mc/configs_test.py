"""The multiple-choice configs: XTREME-R's settings from the task table, the intermediate stage."""

import pytest
from allennlp.common import Params

from allennlp_robust_xlt.tasks import TASKS
from tests import CONFIGS_ROOT, XTREME_DATA

XCOPA_CONFIGS = ["xcopa_baseline", "xcopa_adv", "xcopa_rs_rp", "xcopa_rs_da"]


def config(name: str) -> dict:
    return Params.from_file(str(CONFIGS_ROOT / f"{name}.jsonnet")).as_dict()


@pytest.mark.parametrize("name", ["siqa_baseline"] + XCOPA_CONFIGS)
def test_xtreme_r_settings(name: str):
    params = config(name)
    task = TASKS[name.split("_")[0]]
    trainer = params["trainer"]
    assert trainer["optimizer"]["lr"] == 2e-5
    assert params["data_loader"]["batch_sampler"]["batch_size"] == 8
    assert trainer["num_gradient_accumulation_steps"] == 4  # batch 32 as 8 x 4
    assert trainer["num_epochs"] == (task.training["rs_da_epochs"] if name.endswith("rs_da") else 5)
    reader = params.get("validation_dataset_reader", params["dataset_reader"])
    assert reader["type"] == task.reader and reader["max_length"] == 128
    assert params["model"]["type"] == "xtreme_multiple_choice"
    assert params["validation_data_path"] == str(task.file_path(XTREME_DATA, "dev", "en"))


def test_robust_configs_extend_the_baseline():
    baseline = config("xcopa_baseline")
    baseline_callbacks = baseline["trainer"].pop("callbacks")
    for name, callback in (
        ("xcopa_adv", {"type": "adversarial_training", "method": "pgd"}),
        ("xcopa_rs_rp", {"type": "random_perturbation", "distribution": "gaussian"}),
    ):
        params = config(name)
        assert params["trainer"].pop("callbacks") == [callback] + baseline_callbacks
        assert params == baseline  # nothing else changes
    rs_da = config("xcopa_rs_da")
    assert rs_da["dataset_reader"]["type"] == "randomized_smoothing"
    assert rs_da["dataset_reader"]["base_reader"] == baseline["dataset_reader"]
    assert rs_da["dataset_reader"]["copies"] == TASKS["xcopa"].training["rs_da_copies"]
    assert rs_da["validation_dataset_reader"] == baseline["dataset_reader"]


def test_the_intermediate_archive_gives_encoder_and_head(monkeypatch: pytest.MonkeyPatch):
    for name in XCOPA_CONFIGS + ["siqa_baseline"]:
        model = config(name)["model"]
        assert not any(
            "_pretrained" in value for value in model.values() if isinstance(value, dict)
        )
    monkeypatch.setenv("XLT_INTERMEDIATE_ARCHIVE", "/runs/siqa/model.tar.gz")
    for name in XCOPA_CONFIGS:
        model = config(name)["model"]
        for argument, path in (
            ("text_field_embedder", "_text_field_embedder"),
            ("scorer", "_scorer"),
        ):
            assert model[argument]["_pretrained"] == {
                "archive_file": "/runs/siqa/model.tar.gz",
                "module_path": path,
                "freeze": False,
            }
        # The argument's own settings stay beside it (used when the archive is loaded).
        assert (
            model["text_field_embedder"]["token_embedders"]["tokens"]["type"]
            == "pretrained_transformer"
        )
        assert "_pretrained" not in model["seq2vec_encoder"]
    # SIQA itself has no intermediate task.
    assert "_pretrained" not in config("siqa_baseline")["model"]["text_field_embedder"]
