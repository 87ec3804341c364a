"""
Loading model directories whose weights are `model.safetensors` only, under transformers 4.20.1.

Since 2023 the Hugging Face hub's default weight format is `model.safetensors`, and many model
repositories ship nothing else. transformers 4.20.1 (the newest AllenNLP 2.10.1 allows) looks for
`pytorch_model.bin` (or TensorFlow / Flax weights) only, and refuses such a directory.

`install_safetensors_loading` (run when the plugin is imported) wraps
`PreTrainedModel.from_pretrained`, which every model class inherits and which `AutoModel`,
AllenNLP's `cached_transformers` (the `pretrained_transformer` embedder and backbone), the
retrieval and alignment encoder (`retrieval/sentence_encoder.py`) and archive loading go through.
When it is given a local directory that holds `model.safetensors` (or a sharded
`model.safetensors.index.json`) and no PyTorch weights, the wrapper reads the tensors with the
`safetensors` package (`safetensors.torch.load_file`, on both tested torch stacks) and hands them
to transformers' own `from_pretrained(None, config=..., state_dict=...)`, which does the rest as
for `pytorch_model.bin`: the base-model prefix added or removed (`bert.` and the like), weights
the model does not have (a pooler under `add_pooling_layer=False`) reported and skipped, missing
ones initialised, `torch_dtype`, `output_loading_info`. The loaded config keeps the directory as
its `name_or_path`, and transformers' messages about unused or new weights name it, as they would
with `pytorch_model.bin`. Every other call is passed on unchanged.
"""

import functools
import json
import os
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import torch
from transformers import PreTrainedModel
from transformers.utils import (
    FLAX_WEIGHTS_NAME,
    TF2_WEIGHTS_NAME,
    TF_WEIGHTS_NAME,
    WEIGHTS_INDEX_NAME,
    WEIGHTS_NAME,
)

from allennlp_robust_xlt.common.errors import InputFileError

SAFE_WEIGHTS_NAME = "model.safetensors"
SAFE_WEIGHTS_INDEX_NAME = "model.safetensors.index.json"

# Weight files that transformers 4.20.1 reads from a directory by itself: with any of them there,
# it is left to do so.
_NATIVE_WEIGHTS = (
    WEIGHTS_NAME,
    WEIGHTS_INDEX_NAME,
    TF2_WEIGHTS_NAME,
    TF_WEIGHTS_NAME + ".index",
    FLAX_WEIGHTS_NAME,
)
_WRAPPED = "_robust_xlt_safetensors"
# The directory being loaded, for transformers' messages ("weights ... at DIRECTORY").
_LOADING = threading.local()


def safetensors_files(directory: Union[str, "os.PathLike[str]"]) -> Optional[List[Path]]:
    """
    The safetensors weight files of a local model directory that transformers 4.20.1 cannot load
    by itself (no `pytorch_model.bin`, TensorFlow or Flax weights beside them), in load order;
    None when it is not such a directory.
    """
    path = Path(directory)
    if not path.is_dir() or any((path / name).is_file() for name in _NATIVE_WEIGHTS):
        return None
    if (path / SAFE_WEIGHTS_NAME).is_file():
        return [path / SAFE_WEIGHTS_NAME]
    index = path / SAFE_WEIGHTS_INDEX_NAME
    if not index.is_file():
        return None
    try:
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        shards = sorted(set(weight_map.values()))
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        raise InputFileError(index, None, "is not a safetensors index (no 'weight_map')") from None
    missing = [shard for shard in shards if not (path / shard).is_file()]
    if missing:
        raise InputFileError(index, None, f"names shards that are not there: {missing}")
    return [path / shard for shard in shards]


def load_safetensors_state_dict(files: List[Path]) -> Dict[str, torch.Tensor]:
    """One state dict from the given safetensors files, on the CPU."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    state_dict: Dict[str, torch.Tensor] = {}
    for file in files:
        try:
            state_dict.update(load_file(str(file), device="cpu"))
        except (SafetensorError, OSError) as error:
            raise InputFileError(
                file, None, f"cannot be read as safetensors weights ({error})"
            ) from None
    return state_dict


def install_safetensors_loading() -> None:
    """Wraps `PreTrainedModel.from_pretrained` (once) to load safetensors-only directories."""
    original = PreTrainedModel.__dict__["from_pretrained"].__func__
    if getattr(original, _WRAPPED, False):
        return
    load_weights = PreTrainedModel.__dict__["_load_pretrained_model"].__func__

    @functools.wraps(original)
    def from_pretrained(
        cls: type, pretrained_model_name_or_path: Any = None, *model_args: Any, **kwargs: Any
    ) -> Any:
        files = None
        if (
            pretrained_model_name_or_path is not None
            and kwargs.get("state_dict") is None
            and not kwargs.get("from_tf")
            and not kwargs.get("from_flax")
        ):
            files = safetensors_files(pretrained_model_name_or_path)
        if files is None:
            return original(cls, pretrained_model_name_or_path, *model_args, **kwargs)
        directory = str(pretrained_model_name_or_path)
        if kwargs.get("low_cpu_mem_usage") or kwargs.get("device_map") is not None:
            raise ValueError(
                f"{directory}: low_cpu_mem_usage and device_map need transformers to read the"
                " weight file itself, which transformers 4.20.1 cannot do for model.safetensors"
            )
        # Without a path, transformers takes the config from `config` (the directory unless
        # one was given) and the weights from `state_dict`.
        if kwargs.get("config") is None:
            kwargs["config"] = directory
        kwargs["state_dict"] = load_safetensors_state_dict(files)
        _LOADING.directory = directory
        try:
            loaded = original(cls, None, *model_args, **kwargs)
        finally:
            _LOADING.directory = None
        model = loaded[0] if isinstance(loaded, tuple) else loaded
        model.config.name_or_path = directory
        return loaded

    @functools.wraps(load_weights)
    def load_pretrained_model(
        cls: type,
        model: PreTrainedModel,
        state_dict: Any,
        loaded_keys: Any,
        resolved_archive_file: Any,
        pretrained_model_name_or_path: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if pretrained_model_name_or_path is None:
            pretrained_model_name_or_path = getattr(_LOADING, "directory", None)
        return load_weights(
            cls,
            model,
            state_dict,
            loaded_keys,
            resolved_archive_file,
            pretrained_model_name_or_path,
            *args,
            **kwargs,
        )

    setattr(from_pretrained, _WRAPPED, True)
    PreTrainedModel.from_pretrained = classmethod(from_pretrained)  # type: ignore[assignment]
    PreTrainedModel._load_pretrained_model = classmethod(  # type: ignore[assignment]
        load_pretrained_model
    )
