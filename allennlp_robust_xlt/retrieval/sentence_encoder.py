"""
Sentence embeddings of a multilingual encoder at every layer, pooled as XTREME pools them
(`google-research/xtreme`, `third_party/evaluate_retrieval.py`); the engine of `xtreme-retrieval`
and of the alignment analyses.

* The encoder comes from a Hugging Face model name, a local model directory (both through
  `transformers`' `AutoModel` / `AutoTokenizer`) or an AllenNLP `model.tar.gz`, whose fine-tuned
  transformer is used (`find_transformer`), so that an encoder can be compared before and after
  fine-tuning.
* Layers are numbered like Hugging Face's `hidden_states`: 0 is the embedding output, L (the
  number of layers) the last layer. XTREME's `--specific_layer k` is `hidden_states[k + 1]`.
* Each sentence is `[CLS] tokens [SEP]` (`<s> tokens </s>` for XLM-R), truncated to
  `max_length` sub-words, without token type ids, as XTREME's `prepare_batch`. `"mean"` pooling
  averages the states over the attention mask, special tokens included (XTREME's default,
  `--pool_skip_special_token` off); `"cls"` takes the first state, `h[:, 0]`.
* Every requested layer comes from one forward pass (`output_hidden_states=True`); sentences are
  batched by length and returned in their input order.
* An encoder of the encoder table (`allennlp_robust_xlt/encoders.libsonnet`) with its own
  sentence embedding is embedded as its model card says by default (`default_pooling`,
  `default_layer`): LaBSE by its pooler output (`"pooler"`: dense + tanh on [CLS], last layer),
  multilingual-e5 by the mean of its last layer with the `query: ` / `passage: ` prefix of the
  text's role (`embed`'s `role`); both L2-normalised. mT5 is loaded as its encoder
  (`MT5EncoderModel`).
"""

import dataclasses
import json
import logging
import os
import tarfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedModel

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError, RobustXltError
from allennlp_robust_xlt.encoders import Encoder, resolve_encoder
from allennlp_robust_xlt.tasks import TASKS

logger = logging.getLogger(__name__)

POOLINGS = ("mean", "cls")
SENTENCE_POOLINGS = POOLINGS + ("pooler",)
"""`embed`'s poolings: `"pooler"` is the model's pooler output (last layer only)."""
ROLES = ("query", "passage")
_ENCODER_ONLY_MODEL_TYPES = ("t5", "mt5")
DEFAULT_MAX_LENGTH = 512
"""XTREME's `MAXL` for Tatoeba and BUCC (`scripts/run_tatoeba.sh`, `run_bucc2018.sh`)."""

# Models whose position embeddings start after the padding index (RoBERTa numbering).
_PADDING_OFFSET_MODEL_TYPES = ("roberta", "xlm-roberta", "camembert", "longformer")

# Recognised also as a local copy or inside an archive: (model_type, vocab_size, layers, hidden).
KNOWN_ENCODERS: Dict[str, Tuple[str, int, int, int]] = {
    "bert-base-multilingual-cased": ("bert", 119547, 12, 768),
    "xlm-roberta-large": ("xlm-roberta", 250002, 24, 1024),
}

XTREME_RETRIEVAL_DEFAULTS: Dict[str, Dict[str, Any]] = {
    key: dict(task.retrieval) for key, task in TASKS.items() if task.retrieval
}
"""
XTREME's retrieval settings per task (the task table's `retrieval`): the pooling, and the layer of
known models, numbered like `hidden_states` (XTREME's `--specific_layer k` is hidden_states[k+1]).
"""


class SentenceEncoder:
    """
    A transformer and its tokenizer, ready to embed sentences (`embed`). Build one with
    `load_sentence_encoder`; `source` names where it came from (for reports).
    """

    def __init__(
        self,
        transformer: PreTrainedModel,
        tokenizer: Any,
        source: str,
        known_as: Optional[str] = None,
        cuda_device: int = -1,
        encoder: Optional[Encoder] = None,
    ) -> None:
        self.transformer = transformer
        self.tokenizer = tokenizer
        self.source = source
        self.device = torch.device("cuda", cuda_device) if cuda_device >= 0 else torch.device("cpu")
        self.transformer.to(self.device)
        self.transformer.eval()
        self.known_as = known_as or identify_encoder(transformer.config)
        self.encoder = encoder or resolve_encoder(source, transformer.config.to_dict())
        """The encoder table's row (or architecture) of the model: its sentence embedding."""

    @property
    def has_pooler(self) -> bool:
        return getattr(self.transformer, "pooler", None) is not None

    def own_embedding(self) -> Optional[Any]:
        """The row's sentence embedding, when this model can compute it (pooler loaded)."""
        embedding = self.encoder.sentence_embedding
        if embedding is None or (embedding.pooling == "pooler" and not self.has_pooler):
            return None
        return embedding

    def default_pooling(self, task: str) -> str:
        """The model's own sentence embedding's pooling, else XTREME's for the task."""
        embedding = self.own_embedding()
        if embedding is not None:
            return embedding.pooling
        # Models without a [CLS] (mT5), or trained to be pooled by mean (e5): the mean.
        return "mean" if self.encoder.pooling == "mean" else default_pooling(task)

    @property
    def num_layers(self) -> int:
        """L: `hidden_states` has L + 1 entries, 0 being the embedding output."""
        return int(self.transformer.config.num_hidden_layers)

    @property
    def hidden_size(self) -> int:
        return int(self.transformer.config.hidden_size)

    def max_length(self, requested: int = DEFAULT_MAX_LENGTH) -> int:
        """`requested`, capped by the tokenizer's and the position embeddings' limits."""
        limits = [requested]
        tokenizer_limit = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(tokenizer_limit, int) and tokenizer_limit < 1_000_000:
            limits.append(tokenizer_limit)
        config = self.transformer.config
        positions = getattr(config, "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            if config.model_type in _PADDING_OFFSET_MODEL_TYPES:
                positions -= (config.pad_token_id or 0) + 1
            limits.append(positions)
        return min(limits)

    def check_layers(self, layers: Sequence[int], parameter: str = "--layer") -> List[int]:
        for layer in layers:
            if isinstance(layer, bool) or not isinstance(layer, int):
                raise ParameterError(
                    "sentence encoder", parameter, f"must be integers, got {layer!r}"
                )
            if not 0 <= layer <= self.num_layers:
                raise ParameterError(
                    "sentence encoder",
                    parameter,
                    f"is {layer}, but {self.source} has {self.num_layers} layers: use 0 (the"
                    f" embedding output) to {self.num_layers}",
                )
        return list(layers)

    def default_layer(self, task: str) -> int:
        if self.own_embedding() is not None:
            return self.num_layers  # a model's own sentence embedding is of its last layer
        return default_layer(task, self.known_as, self.num_layers)

    def tokenize(self, sentences: Sequence[str], max_length: int) -> List[Any]:
        """The sub-word ids of each sentence (int32 arrays), as `embed` feeds them."""
        return _tokenize_slices(self.tokenizer, sentences, max_length)

    def embed(
        self,
        sentences: Sequence[str],
        layers: Optional[Sequence[int]] = None,
        pooling: str = "mean",
        batch_size: int = 32,
        max_length: int = DEFAULT_MAX_LENGTH,
        role: Optional[str] = None,
    ) -> torch.Tensor:
        """
        Pooled sentence embeddings, float32 on the CPU, of shape `[len(layers), n, hidden]`
        (`layers=None`: every layer, `[L + 1, n, hidden]`), in the order of `sentences`.
        `role` (`"query"` or `"passage"`): the sentences are prefixed as the model's own
        sentence embedding wants (multilingual-e5's `query: ` / `passage: `), and each embedding
        is L2-normalised where it wants that; None: neither.
        """
        if pooling not in SENTENCE_POOLINGS:
            raise ParameterError(
                "sentence encoder", "--pooling", f"must be one of {SENTENCE_POOLINGS}"
            )
        if pooling == "pooler":
            self._check_pooler(layers)
            layers = [self.num_layers]
        if batch_size < 1:
            raise ParameterError(
                "sentence encoder", "--batch-size", f"must be positive, got {batch_size}"
            )
        layer_list = (
            list(range(self.num_layers + 1)) if layers is None else self.check_layers(layers)
        )
        output = torch.zeros(len(layer_list), len(sentences), self.hidden_size, dtype=torch.float32)
        embedding = self.encoder.sentence_embedding if role is not None else None
        if embedding is not None and embedding.prefix(role or ""):
            sentences = [embedding.prefix(role or "") + sentence for sentence in sentences]
        with torch.no_grad():
            for batch, input_ids, mask in self.batches(sentences, batch_size, max_length):
                if pooling == "pooler":
                    pooled = self.transformer(
                        input_ids=input_ids, attention_mask=mask, return_dict=True
                    ).pooler_output.unsqueeze(0)
                else:
                    pooled = pool(self.hidden_states(input_ids, mask), mask, layer_list, pooling)
                output[:, batch] = pooled.float().cpu()
        if embedding is not None and embedding.normalize:
            output = torch.nn.functional.normalize(output, dim=-1)
        return output

    def _check_pooler(self, layers: Optional[Sequence[int]]) -> None:
        if not self.has_pooler:
            raise ParameterError(
                "sentence encoder",
                "--pooling",
                f"is pooler, but {self.source} was loaded without its pooler (an archive's"
                " transformer is trained without one): use mean or cls",
            )
        if layers is not None and list(layers) != [self.num_layers]:
            raise ParameterError(
                "sentence encoder",
                "--layer",
                f"must be the last layer ({self.num_layers}) with pooler pooling, got"
                f" {list(layers)}",
            )

    def batches(
        self, sentences: Sequence[str], batch_size: int, max_length: int = DEFAULT_MAX_LENGTH
    ) -> Iterator[Tuple[List[int], torch.Tensor, torch.Tensor]]:
        """
        The batches `embed` runs, longest sentences first: `(indices of the sentences, input
        ids, attention mask)`, the tensors `[batch, width]` on the encoder's device.
        """
        if not sentences:
            return
        ids = self.tokenize(sentences, self.max_length(max_length))
        order = sorted(range(len(ids)), key=lambda index: -len(ids[index]))
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            width = len(ids[batch[0]])
            input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, index in enumerate(batch):
                input_ids[row, : len(ids[index])] = torch.from_numpy(ids[index])
                mask[row, : len(ids[index])] = 1
            yield batch, input_ids.to(self.device), mask.to(self.device)

    def hidden_states(
        self, input_ids: torch.Tensor, mask: torch.Tensor
    ) -> Tuple[torch.Tensor, ...]:
        """Every layer's states of one batch (`hidden_states`: L + 1 tensors), one forward pass."""
        return self.transformer(
            input_ids=input_ids,
            attention_mask=mask,
            output_hidden_states=True,
            return_dict=True,
        ).hidden_states


TOKENIZE_SLICE = 4096


def _tokenize_slices(tokenizer: Any, sentences: Sequence[str], max_length: int) -> List[Any]:
    """Each sentence's ids with its special tokens, truncated, as a compact int32 array."""
    import numpy

    ids: List[Any] = []
    for start in range(0, len(sentences), TOKENIZE_SLICE):
        encoded = tokenizer(
            list(sentences[start : start + TOKENIZE_SLICE]),
            add_special_tokens=True,
            truncation=True,
            max_length=max_length,
            return_attention_mask=False,
            return_token_type_ids=False,
        )["input_ids"]
        ids.extend(numpy.asarray(sentence, dtype=numpy.int32) for sentence in encoded)
    return ids


def pool(
    hidden_states: Sequence[torch.Tensor], mask: torch.Tensor, layers: Sequence[int], pooling: str
) -> torch.Tensor:
    """`[len(layers), batch, hidden]`: mean over the attention mask, or the first position."""
    if pooling == "cls":
        return torch.stack([hidden_states[layer][:, 0] for layer in layers])
    weights = mask.to(hidden_states[0].dtype).unsqueeze(-1)
    counts = weights.sum(dim=1)
    # One layer at a time: no [layers, batch, length, hidden] copy.
    return torch.stack([(hidden_states[layer] * weights).sum(dim=1) / counts for layer in layers])


def identify_encoder(config: Any) -> Optional[str]:
    """The `KNOWN_ENCODERS` name of a config (by its name, else by its shape), or None."""
    name = str(getattr(config, "_name_or_path", "") or "").rstrip("/")
    if name in KNOWN_ENCODERS:
        return name
    signature = (
        getattr(config, "model_type", None),
        getattr(config, "vocab_size", None),
        getattr(config, "num_hidden_layers", None),
        getattr(config, "hidden_size", None),
    )
    for known, known_signature in KNOWN_ENCODERS.items():
        if signature == known_signature:
            return known
    return None


def default_layer(task: str, known_as: Optional[str], num_layers: int) -> int:
    """
    XTREME's layer for the task and a known model (`XTREME_RETRIEVAL_DEFAULTS`); for any other
    model, the layer at mBERT's relative depth, `round(2 L / 3)` (8 of 12, 16 of 24, 1 of 2).
    """
    layers = XTREME_RETRIEVAL_DEFAULTS.get(task, {}).get("layers", {})
    if known_as in layers:
        return int(layers[known_as])
    return int(round(2 * num_layers / 3))


def default_pooling(task: str) -> str:
    return str(XTREME_RETRIEVAL_DEFAULTS[task]["pooling"])


# -- loading ------------------------------------------------------------------------------------


def load_sentence_encoder(model: Union[str, Path], cuda_device: int = -1) -> SentenceEncoder:
    """
    The encoder of `model`: an AllenNLP archive (`model.tar.gz`, or an extracted archive
    directory holding `config.json` and `weights.th`), a local model directory, or a Hugging
    Face model name (offline, it must be in the local cache). A model that cannot be loaded is
    one `RobustXltError` line naming it.
    """
    if cuda_device >= 0:
        from allennlp.common.checks import ConfigurationError, check_for_gpu

        try:
            check_for_gpu(cuda_device)
        except ConfigurationError as error:
            raise ParameterError(
                "sentence encoder", "--cuda-device", str(error).strip().splitlines()[0]
            ) from None
    name = str(model)
    path = Path(os.path.expanduser(name))
    if path.is_file():
        return _load_archive_encoder(path, cuda_device)
    if path.is_dir():
        config_file = path / "config.json"
        if not config_file.is_file():
            raise InputFileError(
                path, None, "is not a transformer model directory (it has no config.json)"
            )
        if _is_allennlp_config(config_file):
            if (path / "weights.th").is_file():
                return _load_archive_encoder(path, cuda_device)
            raise InputFileError(
                path,
                None,
                "is an AllenNLP run directory, not a transformer model directory: give its"
                " model.tar.gz",
            )
        return _load_pretrained_encoder(name, cuda_device, is_directory=True)
    if name.endswith((".tar.gz", ".tgz")) or name.startswith(("/", "./", "../", "~")):
        raise InputFileError(name, None, "not found (expected a model.tar.gz or a model directory)")
    return _load_pretrained_encoder(name, cuda_device, is_directory=False)


def _is_allennlp_config(config_file: Path) -> bool:
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return isinstance(config, dict) and "model" in config and "dataset_reader" in config


def _load_pretrained_encoder(name: str, cuda_device: int, is_directory: bool) -> SentenceEncoder:
    try:
        config = AutoConfig.from_pretrained(name)
        tokenizer = AutoTokenizer.from_pretrained(name)
        encoder = resolve_encoder(name)
        embedding = encoder.sentence_embedding
        with_pooler = embedding is not None and embedding.pooling == "pooler"
        if config.model_type in _ENCODER_ONLY_MODEL_TYPES:
            from transformers import MT5EncoderModel, T5EncoderModel

            encoder_class = MT5EncoderModel if config.model_type == "mt5" else T5EncoderModel
            transformer = encoder_class.from_pretrained(name, config=config)
        elif with_pooler:
            transformer = AutoModel.from_pretrained(name, config=config)
        else:
            try:
                transformer = AutoModel.from_pretrained(
                    name, config=config, add_pooling_layer=False
                )
            except TypeError:  # a model class without an optional pooler
                transformer = AutoModel.from_pretrained(name, config=config)
    except (OSError, ValueError, KeyError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if is_directory:
            raise InputFileError(
                name,
                None,
                f"is not a transformer model directory that transformers can load ({reason})",
            ) from None
        raise RobustXltError(
            f"cannot load the transformer {name!r}: it is not a local directory and transformers"
            " cannot load it (offline, a model name must be in the local Hugging Face cache);"
            " point MODEL at a local model directory"
        ) from None
    return SentenceEncoder(transformer, tokenizer, name, cuda_device=cuda_device, encoder=encoder)


def _load_archive_encoder(path: Path, cuda_device: int) -> SentenceEncoder:
    from allennlp.models.archival import load_archive

    if path.is_file() and not tarfile.is_tarfile(str(path)):
        raise InputFileError(
            path, None, "is neither an AllenNLP model archive (model.tar.gz) nor a model directory"
        )
    try:
        archive = load_archive(str(path), cuda_device=cuda_device)
    except OSError as error:
        raise RobustXltError(
            f"{path}: cannot load the archive's model ({str(error).strip().splitlines()[0]}); the"
            " transformer it was trained from must be loadable (a local directory, or a model in"
            " the local Hugging Face cache)"
        ) from None
    transformer = find_transformer(archive.model, str(path))
    tokenizer_name, tokenizer_kwargs = archive_tokenizer(
        archive.config.as_dict(quiet=True), str(path)
    )
    if tokenizer_name is None:
        tokenizer_name = str(getattr(transformer.config, "_name_or_path", "") or "")
    if not tokenizer_name:
        raise RobustXltError(f"{path}: the archive's config names no transformer model_name")
    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_name, **tokenizer_kwargs)
    except (OSError, ValueError) as error:
        raise RobustXltError(
            f"{path}: cannot load the tokenizer {tokenizer_name!r} that the archive's config names"
            f" ({str(error).strip().splitlines()[0]}); it must be a local directory or in the local"
            " Hugging Face cache"
        ) from None
    return SentenceEncoder(
        transformer,
        tokenizer,
        str(path),
        cuda_device=cuda_device,
        # Embedded as it was fine-tuned: the heads' pooling, no pooler, no prefixes.
        encoder=dataclasses.replace(resolve_encoder(tokenizer_name), sentence_embedding=None),
    )


def find_transformer(model: torch.nn.Module, source: str) -> PreTrainedModel:
    """
    The one Hugging Face transformer inside an AllenNLP model (the base model, without task
    heads): a `PretrainedTransformerEmbedder`'s `transformer_model` (`basic_classifier`,
    `transformer_qa`, `transformer_mc`), the matched embedder's inside a
    `PretrainedTransformerMismatchedEmbedder` (taggers), a `pretrained_transformer` backbone's
    (multitask). Found generically, as the outermost `PreTrainedModel` modules; none or several
    (distinct) is a `RobustXltError`.
    """
    found: List[Tuple[str, PreTrainedModel]] = []
    seen = set()

    def visit(prefix: str, module: torch.nn.Module) -> None:
        if id(module) in seen:
            return
        seen.add(id(module))
        if isinstance(module, PreTrainedModel):
            found.append((prefix, module))
            return
        for name, child in module.named_children():
            visit(f"{prefix}.{name}" if prefix else name, child)

    visit("", model)
    if not found:
        raise RobustXltError(
            f"{source}: the archive's model ({type(model).__name__}) holds no Hugging Face"
            " transformer to embed sentences with"
        )
    if len(found) > 1:
        raise RobustXltError(
            f"{source}: the archive's model holds {len(found)} transformers"
            f" ({', '.join(name for name, _ in found)}); sentence embeddings need exactly one"
        )
    transformer = found[0][1]
    return getattr(transformer, "base_model", transformer)


_MODEL_NAME_KEYS = ("model_name", "transformer_model_name", "transformer_model")


def archive_tokenizer(config: Dict[str, Any], source: str) -> Tuple[Optional[str], Dict[str, Any]]:
    """
    The transformer name (and `tokenizer_kwargs`) that the archive's config gives its
    `pretrained_transformer` tokenizer, indexers and embedders (`model_name`, or
    `transformer_model_name` / `transformer_model` for allennlp-models' QA and
    multiple-choice components); None when it names none, a `RobustXltError` when it names
    several.
    """
    names: Dict[str, Dict[str, Any]] = {}

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for key in _MODEL_NAME_KEYS:
                if isinstance(value.get(key), str):
                    kwargs = value.get("tokenizer_kwargs") or {}
                    if value[key] not in names or (kwargs and not names[value[key]]):
                        names[value[key]] = dict(kwargs)
            for child in value.values():
                visit(child)
        elif isinstance(value, list):
            for child in value:
                visit(child)

    visit(config)
    if len(names) > 1:
        raise RobustXltError(
            f"{source}: the archive's config names several transformers ({', '.join(sorted(names))});"
            " sentence embeddings need exactly one"
        )
    if not names:
        return None, {}
    name, kwargs = next(iter(names.items()))
    return name, kwargs
