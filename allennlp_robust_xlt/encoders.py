"""
The encoders the plugin knows, read from the table `encoders.libsonnet` beside this module
(which the training configs import too), and how a model name or a local model directory is
matched to a row.

```python
from allennlp_robust_xlt.encoders import ENCODERS, resolve_encoder
ENCODERS["google/mt5-base"].pooling          # 'mean': mT5 has no [CLS]
resolve_encoder("/models/LaBSE").key         # 'setu4993/LaBSE' (by its config.json or its name)
```

A local model directory is matched, in this order, by the `_name_or_path` its `config.json`
records (`save_pretrained` of a model loaded from the hub writes the hub name), by the
directory's name (a clone of `intfloat/multilingual-e5-base` is `multilingual-e5-base/`), and
otherwise by its architecture alone (`model_type`), which sets how it is loaded and pooled but
no sentence-embedding recipe. Its hidden size always comes from its `config.json`.
"""

import json
import os
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import _jsonnet

from allennlp_robust_xlt.common.errors import ParameterError

TABLE = Path(__file__).with_name("encoders.libsonnet")

HEAD_POOLINGS = ("cls", "mean")
SENTENCE_POOLINGS = ("mean", "cls", "pooler")
ENCODER_VARIABLE = "XLT_ENCODER"


@dataclass(frozen=True)
class SentenceEmbedding:
    """A model's own sentence embedding (of its last layer)."""

    pooling: str
    normalize: bool
    query_prefix: str = ""
    passage_prefix: str = ""

    def prefix(self, role: str) -> str:
        return self.query_prefix if role == "query" else self.passage_prefix


@dataclass(frozen=True)
class Encoder:
    """
    One row of the table (`key` a model name), or an architecture's defaults (`key` its
    `model_type`, `hidden_size` and `layers` None).
    """

    key: str
    architecture: str
    transformer_kwargs: Mapping[str, Any]
    sub_module: str
    pooling: str
    hidden_size: Optional[int] = None
    layers: Optional[int] = None
    sentence_embedding: Optional[SentenceEmbedding] = None
    note: str = ""
    extra: Mapping[str, Any] = dataclass_field(default_factory=dict)


def _check(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise ValueError(f"{TABLE.name}: {where}: {message}")


def _architecture(key: str, row: Dict[str, Any]) -> Encoder:
    _check(row.get("pooling") in HEAD_POOLINGS, key, f"pooling must be one of {HEAD_POOLINGS}")
    _check(isinstance(row.get("transformer_kwargs"), dict), key, "transformer_kwargs: an object")
    _check(isinstance(row.get("sub_module"), str), key, "sub_module: a string ('' for none)")
    return Encoder(key, key, dict(row["transformer_kwargs"]), row["sub_module"], row["pooling"])


def _encoder(key: str, row: Dict[str, Any], architectures: Dict[str, Encoder]) -> Encoder:
    _check(row.get("architecture") in architectures, key, "architecture: not in `architectures`")
    base = architectures[row["architecture"]]
    for name in ("hidden_size", "layers"):
        _check(isinstance(row.get(name), int) and row[name] > 0, key, f"{name}: a positive int")
    pooling = row.get("pooling", base.pooling)
    _check(pooling in HEAD_POOLINGS, key, f"pooling must be one of {HEAD_POOLINGS}")
    sentence = row.get("sentence_embedding")
    embedding = None
    if sentence is not None:
        _check(
            sentence.get("pooling") in SENTENCE_POOLINGS,
            key,
            f"sentence_embedding.pooling must be one of {SENTENCE_POOLINGS}",
        )
        embedding = SentenceEmbedding(
            sentence["pooling"],
            bool(sentence.get("normalize", False)),
            str(sentence.get("query_prefix", "")),
            str(sentence.get("passage_prefix", "")),
        )
    return Encoder(
        key,
        base.architecture,
        base.transformer_kwargs,
        base.sub_module,
        pooling,
        row["hidden_size"],
        row["layers"],
        embedding,
        str(row.get("note", "")),
    )


def load_encoders(path: Union[str, Path] = TABLE) -> Tuple[Dict[str, Encoder], Dict[str, Encoder]]:
    """(the rows by model name, the architectures by `model_type`)."""
    table = json.loads(_jsonnet.evaluate_file(str(path)))
    architectures = {key: _architecture(key, row) for key, row in table["architectures"].items()}
    _check(table["default_architecture"] in architectures, "default_architecture", "unknown")
    encoders = {key: _encoder(key, row, architectures) for key, row in table["encoders"].items()}
    return encoders, {**architectures, "": architectures[table["default_architecture"]]}


ENCODERS, ARCHITECTURES = load_encoders()
"""The rows by Hugging Face model name; the architectures by `model_type` ('' the default)."""


def read_model_config(directory: Union[str, Path]) -> Optional[Dict[str, Any]]:
    """A local model directory's `config.json` as a dict, or None when there is none."""
    config_file = Path(os.path.expanduser(str(directory))) / "config.json"
    if not config_file.is_file():
        return None
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return config if isinstance(config, dict) else None


def config_hidden_size(config: Mapping[str, Any]) -> Optional[int]:
    """The hidden size a config states (`hidden_size`; T5's `d_model`; DistilBERT's `dim`)."""
    for name in ("hidden_size", "d_model", "dim"):
        value = config.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def identify(name_or_path: str, config: Optional[Mapping[str, Any]] = None) -> Optional[str]:
    """
    The table's row of a model name, or of a local directory with the given `config.json` (by
    its `_name_or_path`, else by the directory's name), or None.
    """
    name = str(name_or_path).rstrip("/")
    if name in ENCODERS:
        return name
    recorded = str((config or {}).get("_name_or_path", "") or "").rstrip("/")
    if recorded in ENCODERS:
        return recorded
    base_name = os.path.basename(name)
    for key in ENCODERS:
        if base_name and key.split("/")[-1] == base_name:
            return key
    return None


def resolve_encoder(
    name_or_path: str,
    config: Optional[Mapping[str, Any]] = None,
    explicit: Optional[str] = None,
) -> Encoder:
    """
    The row (or architecture) of a model: `explicit` (a row's name or an architecture, as
    `XLT_ENCODER` gives it) when given, else `identify`'s row, else the architecture of its
    config (`model_type`), else the default architecture. For a local directory without
    `config`, its `config.json` is read.
    """
    if explicit:
        if explicit in ENCODERS:
            return ENCODERS[explicit]
        if explicit in ARCHITECTURES and explicit:
            return ARCHITECTURES[explicit]
        raise ParameterError(
            "encoder table",
            ENCODER_VARIABLE,
            f"{explicit!r} is neither a model of the table ({', '.join(ENCODERS)}) nor an"
            f" architecture ({', '.join(key for key in ARCHITECTURES if key)})",
        )
    if config is None:
        config = read_model_config(name_or_path)
    key = identify(name_or_path, config)
    if key is not None:
        return ENCODERS[key]
    model_type = str((config or {}).get("model_type", ""))
    return ARCHITECTURES.get(model_type, ARCHITECTURES[""])


def local_model_environment(transformer: str) -> Dict[str, str]:
    """
    For a local model directory: `XLT_TRANSFORMER_DIM` from its `config.json` and `XLT_ENCODER`,
    its row of the table or its architecture (`model_type`), which the training configs read.
    Empty for a model name (the configs look it up in the table).
    """
    config = read_model_config(transformer)
    if config is None:
        return {}
    environment: Dict[str, str] = {}
    size = config_hidden_size(config)
    if size is not None:
        environment["XLT_TRANSFORMER_DIM"] = str(size)
    key = identify(transformer, config)
    model_type = str(config.get("model_type", ""))
    if key is not None:
        environment[ENCODER_VARIABLE] = key
    elif model_type in ARCHITECTURES and model_type:
        environment[ENCODER_VARIABLE] = model_type
    return environment
