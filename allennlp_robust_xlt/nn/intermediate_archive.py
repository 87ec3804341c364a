"""
Intermediate-task training (fine-tune on task A, then on task B starting from A's model, as
XTREME-R trains XCOPA after SIQA) with AllenNLP's own archive loading. Nothing here is
registered.

How a config starts from an intermediate archive: `xtreme.intermediate(model, modules)` in
`training_configs/xtreme.libsonnet` adds, when `XLT_INTERMEDIATE_ARCHIVE` names a `model.tar.gz`,
`"_pretrained": {"archive_file": ..., "module_path": ..., "freeze": false}` to each named
constructor argument of the model (e.g. `text_field_embedder` from `_text_field_embedder`),
beside the argument's own settings. AllenNLP's `FromParams` then builds that argument as
`load_archive(archive_file).extract_module(module_path, freeze=False)`: the archived module with
its trained weights, trainable, and ignores the settings beside `_pretrained`.

Two pitfalls of that mechanism, handled here for the models that support it:

* The second stage's archive keeps the `_pretrained` entries in its `config.json`, so loading it
  (`allennlp evaluate`, `predict`, `xtreme-report`) would load the first stage's archive again,
  and fail once that file has moved. `ArchiveIndependentLoading._load` removes `_pretrained`
  entries before the model is built, as AllenNLP itself removes `pretrained_file` and
  `initializer` when it loads an archive: each argument is built from its own settings, and the
  second stage's weights are loaded into it.
* An intermediate archive trained with another transformer than the one the readers tokenize
  for (`XLT_TRANSFORMER`) would be fine-tuned on wrong token ids without any error:
  `check_transformer` makes that one clear line.

(`freeze`, which AllenNLP defaults to true, is always set to false by the config helper.)
"""

import logging
import os
from typing import Optional

import torch
from allennlp.common.params import Params, remove_keys_from_params

from allennlp_robust_xlt.common.errors import RobustXltError

logger = logging.getLogger(__name__)

PRETRAINED_KEY = "_pretrained"
ENVIRONMENT_VARIABLE = "XLT_INTERMEDIATE_ARCHIVE"

# Configuration entries that must agree for two transformer names to mean the same encoder.
_ARCHITECTURE_KEYS = (
    "model_type",
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "max_position_embeddings",
    "type_vocab_size",
)


class ArchiveIndependentLoading:
    """
    Mixin for a `Model` class (put it before `Model` among the bases): loading an archive of the
    model never loads the archives its training config took modules from (`_pretrained`).
    """

    @classmethod
    def _load(cls, config: Params, *args, **kwargs):  # type: ignore[no-untyped-def]
        model_params = config.get("model")
        if isinstance(model_params, Params):
            remove_keys_from_params(model_params, [PRETRAINED_KEY])
        return super()._load(config, *args, **kwargs)  # type: ignore[misc]


def transformer_name(module: torch.nn.Module) -> Optional[str]:
    """The name or directory the (single) Hugging Face transformer in `module` was loaded from."""
    names = [
        getattr(child.config, "_name_or_path", None)
        for child in module.modules()
        if hasattr(child, "config") and hasattr(child, "get_input_embeddings")
    ]
    names = [name for name in names if name]
    return str(names[0]) if len(names) == 1 else None


def _same_directory(first: str, second: str) -> bool:
    return (
        os.path.isdir(first)
        and os.path.isdir(second)
        and os.path.realpath(first) == os.path.realpath(second)
    )


def _same_architecture(module: torch.nn.Module, expected: str) -> bool:
    """Whether the transformer in `module` has the configuration of the model `expected`."""
    from transformers import AutoConfig

    try:
        wanted = AutoConfig.from_pretrained(expected).to_dict()
    except (OSError, ValueError):
        return False
    found = next(
        child.config.to_dict()
        for child in module.modules()
        if hasattr(child, "config") and hasattr(child, "get_input_embeddings")
    )
    return all(wanted.get(key) == found.get(key) for key in _ARCHITECTURE_KEYS)


def check_transformer(
    text_field_embedder: torch.nn.Module, expected: Optional[str], component: str
) -> None:
    """
    A `RobustXltError` unless the transformer inside `text_field_embedder` is `expected` (the
    `XLT_TRANSFORMER` the readers tokenize for): the same name, the same directory, or a model
    of the same configuration (e.g. a local copy of a hub model). Nothing is checked when
    `expected` is None or the embedder holds no single transformer.
    """
    if expected is None:
        return
    found = transformer_name(text_field_embedder)
    if found is None or found == expected or _same_directory(found, expected):
        return
    if _same_architecture(text_field_embedder, expected):
        logger.info(
            "%s: the encoder %s is taken to be %s (same configuration)", component, found, expected
        )
        return
    raise RobustXltError(
        f"{component}: the encoder is the transformer {found!r} but the readers tokenize for"
        f" {expected!r} (XLT_TRANSFORMER); an intermediate archive ({ENVIRONMENT_VARIABLE}) must"
        " have been trained with the same XLT_TRANSFORMER"
    )
