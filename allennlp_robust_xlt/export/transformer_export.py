"""
A fine-tuned encoder out of its AllenNLP archive, as a Hugging Face model directory: the engine of
`export-transformer` (`allennlp_robust_xlt/commands/export_transformer.py`).

What is written (`save_pretrained`'s files: `config.json`, the weights, the tokenizer's files):

* The archive's task model as the Hugging Face task model it equals, where its head maps onto
  one exactly, with the label vocabulary as `id2label` / `label2id`:

  | archive's model | head | Hugging Face model |
  |---|---|---|
  | `xtreme_pair_classifier` | CLS pooler, one dense + tanh layer, linear | `AutoModelForSequenceClassification` |
  | `xtreme_tagger` | first sub-word of each word, linear | `AutoModelForTokenClassification` |
  | `xtreme_transformer_qa` | linear to start and end logits | `AutoModelForQuestionAnswering` |
  | `xtreme_multiple_choice` | CLS pooler, dense + tanh, linear to one score | `AutoModelForMultipleChoice` |

  The dense + tanh layer of the pair and multiple-choice heads becomes the Hugging Face model's
  own: `classifier.dense` (XLM-R), the pooler (BERT, and in multiple choice XLM-R), the context
  pooler with `pooler_hidden_act: tanh` (DeBERTa-v2). Given the same sub-word ids, the Hugging
  Face model computes the archive's logits (the token-classification model gives every sub-word
  logits; the archive's word tags are those of each word's first sub-word).
* Otherwise (a head that pools by mean, a dual encoder, a multitask or parallel-data model, an
  architecture without the Hugging Face task model, such as mT5 in transformers 4.20.1) the
  export stops with one line naming the head and why, unless `encoder_only`: then the encoder
  alone is written (`AutoModel`; an mT5 encoder as `MT5EncoderModel`), which any tool can
  fine-tune or embed with.
"""

import copy
import logging
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Tuple, Union

import torch
from transformers import (
    AutoModelForMultipleChoice,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
    PreTrainedModel,
)

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError, RobustXltError

logger = logging.getLogger(__name__)

COMMAND = "export-transformer"

FAMILY_CLASSES = {
    "sequence_classification": AutoModelForSequenceClassification,
    "token_classification": AutoModelForTokenClassification,
    "question_answering": AutoModelForQuestionAnswering,
    "multiple_choice": AutoModelForMultipleChoice,
}


@dataclass
class ExportResult:
    """What `export_transformer` wrote."""

    output_dir: Path
    head: str
    model_class: str
    labels: List[str] = field(default_factory=list)
    encoder_only: bool = False

    def summary(self) -> str:
        what = "its encoder" if self.encoder_only else "the task model"
        labels = f" with {len(self.labels)} labels" if self.labels else ""
        return f"{self.output_dir}: {what} of the {self.head} archive as {self.model_class}{labels}"


def check_output_dir(output_dir: Path, force: bool) -> None:
    if output_dir.exists() and not output_dir.is_dir():
        raise ParameterError(COMMAND, "OUT_DIR", f"{output_dir} is a file, not a directory")
    if output_dir.is_dir() and any(output_dir.iterdir()) and not force:
        raise ParameterError(
            COMMAND,
            "OUT_DIR",
            f"{output_dir} is not empty: give an empty or new directory, or --force to replace it",
        )


def export_transformer(
    archive_file: Union[str, Path],
    output_dir: Union[str, Path],
    force: bool = False,
    encoder_only: bool = False,
) -> ExportResult:
    """Writes the archive's task model (or, `encoder_only`, its encoder) and its tokenizer."""
    from allennlp_robust_xlt.retrieval.sentence_encoder import archive_tokenizer, find_transformer

    output = Path(output_dir)
    check_output_dir(output, force)
    archive = _load(Path(archive_file))
    model = archive.model
    model.eval()
    head = registered_name(model)
    transformer = find_transformer(model, str(archive_file))
    tokenizer_name, tokenizer_kwargs = archive_tokenizer(
        archive.config.as_dict(quiet=True), str(archive_file)
    )
    if tokenizer_name is None:
        raise RobustXltError(
            f"{archive_file}: the archive's config names no transformer model_name"
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_name, **tokenizer_kwargs)
    except (OSError, ValueError) as error:
        raise RobustXltError(
            f"{archive_file}: cannot load the tokenizer {tokenizer_name!r} that the archive's"
            f" config names ({str(error).strip().splitlines()[0]})"
        ) from None
    labels: List[str] = []
    if encoder_only:
        exported = encoder_model(transformer)
    else:
        exported, labels = task_model(model, transformer, head)
    if output.exists() and force:
        shutil.rmtree(output)
    output.mkdir(parents=True, exist_ok=True)
    exported.save_pretrained(str(output))
    tokenizer.save_pretrained(str(output))
    return ExportResult(output, head, type(exported).__name__, labels, encoder_only)


def _load(path: Path) -> Any:
    from allennlp.models.archival import load_archive

    if not path.exists():
        raise InputFileError(path, None, "not found (expected a model.tar.gz)")
    if path.is_file() and not tarfile.is_tarfile(str(path)):
        raise InputFileError(path, None, "is not an AllenNLP model archive (model.tar.gz)")
    try:
        return load_archive(str(path), cuda_device=-1)
    except OSError as error:
        raise RobustXltError(
            f"{path}: cannot load the archive's model ({str(error).strip().splitlines()[0]}); the"
            " transformer it was trained from must be loadable (a local directory, or a model in"
            " the local Hugging Face cache)"
        ) from None


def registered_name(model: torch.nn.Module) -> str:
    """The name the model's class is registered under (its class name if none)."""
    from allennlp.models.model import Model

    for name, (registered, _) in Model._registry[Model].items():
        if registered is type(model):
            return name
    return type(model).__name__


# -- the task models -------------------------------------------------------------------------


def _refuse(head: str, reason: str) -> ParameterError:
    return ParameterError(
        COMMAND,
        "ARCHIVE",
        f"holds a {head} model, whose head has no exact Hugging Face counterpart ({reason});"
        " --encoder-only exports its encoder alone",
    )


def task_model(
    model: torch.nn.Module, transformer: PreTrainedModel, head: str
) -> Tuple[PreTrainedModel, List[str]]:
    """The Hugging Face task model that computes what `model` does, and its labels."""
    from allennlp.models.basic_classifier import BasicClassifier

    from allennlp_robust_xlt.mc.models.xtreme_multiple_choice import XtremeMultipleChoice
    from allennlp_robust_xlt.rc.models.xtreme_transformer_qa import XtremeTransformerQA
    from allennlp_robust_xlt.tagging.models.xtreme_tagger import XtremeTagger

    if isinstance(model, BasicClassifier):
        namespace = model._label_namespace
        labels = _labels(model, namespace)
        dense = _pooled_dense(model._seq2vec_encoder, model._feedforward, head, 1)
        if model._seq2seq_encoder is not None:
            raise _refuse(head, "a seq2seq encoder between the transformer and the pooler")
        hf_model = _new_task_model("sequence_classification", transformer, head, labels)
        _set_pooled_head(hf_model, dense, model._classification_layer, "sequence_classification")
        return hf_model, labels
    if isinstance(model, XtremeTagger):
        embedder = _single_embedder(model.text_field_embedder, head)
        if getattr(embedder, "sub_token_mode", None) != "first":
            raise _refuse(head, "each word is embedded by the mean of its sub-words, not the first")
        labels = _labels(model, model.label_namespace)
        hf_model = _new_task_model("token_classification", transformer, head, labels)
        _copy_linear(model.tag_projection, hf_model.classifier)
        return hf_model, labels
    if isinstance(model, XtremeTransformerQA):
        _single_embedder(model._text_field_embedder, head)
        hf_model = _new_task_model("question_answering", transformer, head, [])
        _copy_linear(model._linear_layer, hf_model.qa_outputs)
        return hf_model, []
    if isinstance(model, XtremeMultipleChoice):
        dense = _pooled_dense(model._seq2vec_encoder, model._scorer, head, 2)
        hf_model = _new_task_model("multiple_choice", transformer, head, [])
        _set_pooled_head(hf_model, dense, model._scorer._linear_layers[1], "multiple_choice")
        return hf_model, []
    raise _refuse(head, "not a pair classifier, tagger, extractive QA or multiple-choice model")


def _labels(model: Any, namespace: str) -> List[str]:
    vocabulary = model.vocab.get_index_to_token_vocabulary(namespace)
    return [vocabulary[index] for index in range(len(vocabulary))]


def _single_embedder(text_field_embedder: Any, head: str) -> Any:
    embedders = list(getattr(text_field_embedder, "_token_embedders", {}).values())
    if len(embedders) != 1:
        raise _refuse(head, f"{len(embedders)} token embedders instead of one transformer")
    embedder = embedders[0]
    matched = getattr(embedder, "_matched_embedder", embedder)
    if getattr(matched, "_scalar_mix", None) is not None:
        raise _refuse(head, "a scalar mix of the transformer's layers instead of its last layer")
    return embedder


def _pooled_dense(pooler: Any, feedforward: Any, head: str, outputs_after: int) -> Any:
    """The dense + tanh layer of a CLS-pooled head (`feedforward`'s first layer)."""
    from allennlp.modules.seq2vec_encoders import ClsPooler

    if not isinstance(pooler, ClsPooler) or getattr(pooler, "_cls_is_last_token", False):
        raise _refuse(
            head, f"it pools with {type(pooler).__name__}, not the first sub-word (CLS pooler)"
        )
    layers = list(getattr(feedforward, "_linear_layers", []))
    activations = list(getattr(feedforward, "_activations", []))
    if len(layers) != outputs_after or not isinstance(activations[0], torch.nn.Tanh):
        raise _refuse(head, "its feedforward is not one dense + tanh layer before the output")
    return layers[0]


def _new_task_model(
    family: str, transformer: PreTrainedModel, head: str, labels: List[str]
) -> PreTrainedModel:
    """A fresh Hugging Face task model of the transformer's config, its encoder's weights set."""
    config = copy.deepcopy(transformer.config)
    auto_class = FAMILY_CLASSES[family]
    if type(config) not in auto_class._model_mapping:
        raise _refuse(
            head,
            f"transformers {_transformers_version()} has no {auto_class.__name__[12:]} model of"
            f" the {config.model_type} architecture",
        )
    if labels:
        config.num_labels = len(labels)
        config.id2label = dict(enumerate(labels))
        config.label2id = {label: index for index, label in enumerate(labels)}
    if config.model_type == "deberta-v2":
        # ContextPooler = the head's dense + tanh on the first token.
        config.pooler_hidden_size = config.hidden_size
        config.pooler_hidden_act = "tanh"
    config.architectures = None
    hf_model = auto_class.from_config(config)
    missing, unexpected = hf_model.base_model.load_state_dict(
        transformer.state_dict(), strict=False
    )
    if unexpected or any(not key.startswith("pooler.") for key in missing):
        raise RobustXltError(
            f"{COMMAND}: the encoder's weights do not fit {type(hf_model).__name__} (missing"
            f" {missing[:3]}, unexpected {unexpected[:3]})"
        )
    hf_model.eval()
    return hf_model


def _transformers_version() -> str:
    import transformers

    return str(transformers.__version__)


def _set_pooled_head(
    hf_model: PreTrainedModel, dense: torch.nn.Linear, output: torch.nn.Linear, family: str
) -> None:
    model_type = hf_model.config.model_type
    if model_type == "deberta-v2":
        _copy_linear(dense, hf_model.pooler.dense)
        _copy_linear(output, hf_model.classifier)
    elif family == "sequence_classification" and hasattr(hf_model.classifier, "out_proj"):
        # RobertaClassificationHead (XLM-R, XLM-R XL): dense + tanh on <s>, then out_proj.
        _copy_linear(dense, hf_model.classifier.dense)
        _copy_linear(output, hf_model.classifier.out_proj)
    elif getattr(hf_model.base_model, "pooler", None) is not None:
        # BERT's pooler (dense + tanh on [CLS]); XLM-R's for multiple choice.
        _copy_linear(dense, hf_model.base_model.pooler.dense)
        _copy_linear(output, hf_model.classifier)
    else:
        raise RobustXltError(f"{COMMAND}: no place for the head in {type(hf_model).__name__}")


def _copy_linear(source: torch.nn.Linear, target: torch.nn.Linear) -> None:
    if source.weight.shape != target.weight.shape:
        raise RobustXltError(
            f"{COMMAND}: a layer of shape {tuple(source.weight.shape)} does not fit"
            f" {tuple(target.weight.shape)}"
        )
    with torch.no_grad():
        target.weight.copy_(source.weight)
        target.bias.copy_(source.bias)


# -- the encoder alone -----------------------------------------------------------------------


def encoder_model(transformer: PreTrainedModel) -> PreTrainedModel:
    """The encoder as a model `AutoModel` (mT5: `MT5EncoderModel`) loads."""
    config = transformer.config
    if config.model_type in ("t5", "mt5") and not hasattr(transformer, "encoder"):
        # AllenNLP keeps MT5Model's encoder stack (`sub_module: "encoder"`).
        from transformers import MT5EncoderModel, T5EncoderModel

        encoder_class = MT5EncoderModel if config.model_type == "mt5" else T5EncoderModel
        encoder_config = copy.deepcopy(config)
        encoder_config.architectures = None
        encoder = encoder_class(encoder_config)
        state: Dict[str, torch.Tensor] = {
            f"encoder.{key}": value for key, value in transformer.state_dict().items()
        }
        state["shared.weight"] = transformer.embed_tokens.weight
        encoder.load_state_dict(state, strict=True)
        return encoder.eval()
    return transformer.eval()
