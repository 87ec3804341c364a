import json
import os
from pathlib import Path
from typing import Dict

import pytest

from allennlp_robust_xlt.common.config_env import apply_config_env_defaults
from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.encoders import (
    ARCHITECTURES,
    ENCODERS,
    config_hidden_size,
    identify,
    local_model_environment,
    resolve_encoder,
)


def test_table_rows():
    assert ENCODERS["xlm-roberta-base"].hidden_size == 768
    assert ENCODERS["xlm-roberta-large"].hidden_size == 1024
    assert ENCODERS["facebook/xlm-roberta-xl"].architecture == "xlm-roberta-xl"
    mdeberta = ENCODERS["microsoft/mdeberta-v3-base"]
    assert (mdeberta.architecture, mdeberta.transformer_kwargs) == ("deberta-v2", {})
    mt5 = ENCODERS["google/mt5-base"]
    assert (mt5.pooling, mt5.sub_module, mt5.transformer_kwargs) == ("mean", "encoder", {})
    labse = ENCODERS["setu4993/LaBSE"].sentence_embedding
    assert (labse.pooling, labse.normalize, labse.prefix("query")) == ("pooler", True, "")
    e5 = ENCODERS["intfloat/multilingual-e5-base"]
    assert e5.pooling == "mean"
    assert e5.sentence_embedding.prefix("query") == "query: "
    assert e5.sentence_embedding.prefix("passage") == "passage: "
    # The four models the configs knew before keep their sizes and their CLS pooler.
    for name, size in (("bert-base-multilingual-cased", 768), ("xlm-roberta-large", 1024)):
        assert (ENCODERS[name].hidden_size, ENCODERS[name].pooling) == (size, "cls")
        assert ENCODERS[name].transformer_kwargs == {"add_pooling_layer": False}


def _model_dir(tmp_path: Path, name: str, config: Dict[str, object]) -> Path:
    directory = tmp_path / name
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return directory


def test_identify_by_name_recorded_name_directory_name_and_architecture(tmp_path: Path):
    assert identify("google/mt5-small") == "google/mt5-small"
    recorded = _model_dir(
        tmp_path, "copy", {"model_type": "bert", "_name_or_path": "setu4993/LaBSE"}
    )
    assert resolve_encoder(str(recorded)).key == "setu4993/LaBSE"
    clone = _model_dir(tmp_path, "multilingual-e5-large", {"model_type": "xlm-roberta"})
    assert resolve_encoder(str(clone)).key == "intfloat/multilingual-e5-large"
    unknown = _model_dir(tmp_path, "my-t5", {"model_type": "mt5", "d_model": 48})
    assert identify(str(unknown), {"model_type": "mt5"}) is None
    assert resolve_encoder(str(unknown)).key == "mt5"
    assert resolve_encoder(str(unknown)).pooling == "mean"
    assert resolve_encoder("some/unknown-model") is ARCHITECTURES[""]


def test_explicit_encoder_and_its_bad_value():
    assert resolve_encoder("/anything", explicit="deberta-v2").transformer_kwargs == {}
    with pytest.raises(ParameterError, match="parameter 'XLT_ENCODER' 'nope' is neither"):
        resolve_encoder("/anything", explicit="nope")


def test_hidden_size_from_config():
    assert config_hidden_size({"hidden_size": 384}) == 384
    assert config_hidden_size({"d_model": 512}) == 512
    assert config_hidden_size({"dim": 768}) == 768
    assert config_hidden_size({"hidden_size": True}) is None
    assert config_hidden_size({}) is None


def test_local_model_environment(tmp_path: Path, encoder_models: Dict[str, Path]):
    assert local_model_environment("xlm-roberta-base") == {}
    assert local_model_environment(str(encoder_models["mt5"])) == {
        "XLT_TRANSFORMER_DIM": "32",
        "XLT_ENCODER": "google/mt5-small",
    }
    assert local_model_environment(str(encoder_models["xlmr-xl"]))["XLT_ENCODER"] == (
        "xlm-roberta-xl"
    )
    assert local_model_environment(str(encoder_models["labse"]))["XLT_ENCODER"] == (
        "setu4993/LaBSE"
    )
    odd = _model_dir(tmp_path, "odd", {"model_type": "electra", "hidden_size": 64})
    assert local_model_environment(str(odd)) == {"XLT_TRANSFORMER_DIM": "64"}


def test_plugin_import_reads_a_local_directory(
    monkeypatch: pytest.MonkeyPatch, encoder_models: Dict[str, Path]
):
    monkeypatch.setenv("XLT_TRANSFORMER", str(encoder_models["mdeberta"]))
    monkeypatch.delenv("XLT_TRANSFORMER_DIM")
    monkeypatch.setenv("XLT_ENCODER", "")
    apply_config_env_defaults()
    assert os.environ["XLT_TRANSFORMER_DIM"] == "32"
    assert os.environ["XLT_ENCODER"] == "microsoft/mdeberta-v3-base"
    # What the user exported wins.
    monkeypatch.setenv("XLT_TRANSFORMER_DIM", "48")
    apply_config_env_defaults()
    assert os.environ["XLT_TRANSFORMER_DIM"] == "48"
