"""
Shared test setup: offline mode, one thread per process, and the two tiny transformers
(XLM-R style and BERT style) built once per session from the fixture corpus.

`XLT_TRANSFORMER` points at the tiny XLM-R model by default; tests that need the BERT-style
model take the `tiny_bert` fixture (or parametrize over `tiny_transformer`).
"""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

from pathlib import Path  # noqa: E402
from typing import Dict  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from allennlp_robust_xlt.testing.tiny_transformers import (  # noqa: E402
    build_tiny_transformer,
    read_corpus,
)
from tests import XTREME_DATA  # noqa: E402

torch.set_num_threads(1)

TINY_DIM = 32


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    corpus = read_corpus(sorted(XTREME_DATA.glob("*/*.tsv")))
    root = tmp_path_factory.mktemp("tiny_transformers")
    return {
        style: build_tiny_transformer(root / style, style, corpus) for style in ("xlmr", "bert")
    }


@pytest.fixture(scope="session")
def tiny_xlmr(tiny_models: Dict[str, Path]) -> Path:
    return tiny_models["xlmr"]


@pytest.fixture(scope="session")
def tiny_bert(tiny_models: Dict[str, Path]) -> Path:
    return tiny_models["bert"]


@pytest.fixture(params=["xlmr", "bert"])
def tiny_transformer(request: pytest.FixtureRequest, tiny_models: Dict[str, Path]) -> Path:
    return tiny_models[request.param]


@pytest.fixture(autouse=True)
def config_env(monkeypatch: pytest.MonkeyPatch, tiny_xlmr: Path) -> None:
    """The training configs read these; point them at the tiny model and the fixture data."""
    monkeypatch.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
    monkeypatch.setenv("XLT_TRANSFORMER_DIM", str(TINY_DIM))
    monkeypatch.setenv("XLT_DATA_DIR", str(XTREME_DATA))
    monkeypatch.setenv("XLT_ENCODER", "")


ENCODER_STYLES = {
    # style: (directory name, hub name recorded in config.json): each is recognised as the
    # encoder table recognises local copies (by the recorded name, the directory's name, or the
    # architecture alone).
    "mdeberta": ("mdeberta", "microsoft/mdeberta-v3-base"),
    "xlmr-xl": ("xlmr-xl", ""),
    "mt5": ("mt5", "google/mt5-small"),
    "labse": ("LaBSE", ""),
    "e5": ("e5", "intfloat/multilingual-e5-base"),
}
"""The tiny models of the encoder table's other architectures (`encoder_models`), each saved as
`model.safetensors` alone."""


@pytest.fixture(scope="session")
def encoder_models(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """`{style: model directory}` for every style of `ENCODER_STYLES`, built once per session."""
    corpus = read_corpus(sorted(XTREME_DATA.glob("*/*.tsv")))
    root = tmp_path_factory.mktemp("encoder_models")
    return {
        # As the hub ships them today: model.safetensors only.
        style: build_tiny_transformer(
            root / directory, style, corpus, name_or_path=name, safetensors=True
        )
        for style, (directory, name) in ENCODER_STYLES.items()
    }
