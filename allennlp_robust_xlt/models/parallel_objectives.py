import inspect
import math
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional

import torch
import torch.nn.functional as F
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules.token_embedders import PretrainedTransformerEmbedder
from allennlp.training.metrics import Average

from allennlp_robust_xlt.common.errors import ParameterError, RobustXltError
from allennlp_robust_xlt.data.dataset_readers.parallel_sentences import SOURCE_FIELD, TARGET_FIELD
from allennlp_robust_xlt.models.task_predictor import NAME as TASK_PREDICTOR
from allennlp_robust_xlt.nn.embedding_perturbation import find_word_embedding_layer, reference_rows
from allennlp_robust_xlt.nn.intermediate_archive import ArchiveIndependentLoading

NAME = "parallel_objectives"
ALIGNMENT_LOSSES = ("infonce", "mse")
POOLINGS = ("mean", "cls")
# SimCSE's temperature (Gao et al. 2021) for the InfoNCE alignment loss.
DEFAULT_TEMPERATURE = 0.05


@Model.register(NAME)
class ParallelObjectives(ArchiveIndependentLoading, Model):
    """
    Registered as a `Model` with name "parallel_objectives".

    Fine-tuning with parallel data: a task model (`model`: the pair classifier, the tagger, the
    QA model, ...) trained as usual on its task's batches, plus two published objectives on
    batches of parallel text (the `parallel_sentences` reader's `parallel_source`, English, and
    `parallel_target`, its translation), each with its own weight. The task loss is unchanged:
    a batch of the task goes to `model` as it is, and its loss is the model's loss. AllenNLP's
    `multitask` data loader mixes the two kinds of batches (one kind per batch: the
    `homogeneous_roundrobin` scheduler). Evaluation, prediction and `xtreme-report` see `model`
    (its metrics, outputs, per-example results and predictor, through `task_predictor`).

    * **Alignment** (XeroAlign, Gritta & Iacobacci 2021; contrastive alignment): the pooled
      sentence embeddings `u` of the English texts and `v` of their translations (the last
      layer of the task model's transformer; mean over real tokens, special tokens included, as
      XTREME's retrieval pools, or the first token) are pulled together. `infonce` (default):
      `-(1/B) sum_i log(exp(cos(u_i, v_i) / t) / sum_j exp(cos(u_i, v_j) / t))`, the other
      translations of the batch being the negatives; `mse`: XeroAlign's mean squared difference
      of the two embeddings (PyTorch's `MSELoss`). Both sides get gradients, as in XeroAlign.
    * **Consistency** (xTune's example consistency with translation as the augmentation, Zheng
      et al. 2021): `KL(p(x) || p(t)) + KL(p(t) || p(x))` between the task model's predictions
      on an English example `x` and on its translation `t`, each term with its target side
      detached, as xTune's code computes it (`F.kl_div(log_softmax(input), softmax(target))`,
      averaged over examples and classes). It needs parallel rows that are task inputs (the
      sentence pairs of XTREME's translate-train files, `metadata["pair"]`) and a model that
      gives one distribution per example (`logits` of shape `[batch, classes]`: sentence-pair
      classification); other rows only serve alignment.

    Both texts of a parallel batch are encoded in one call of the transformer (as the robust
    callbacks require). With an embedding-perturbation callback (`adversarial_training`,
    `random_perturbation`), task batches are perturbed as in single-task training; parallel
    batches are not, unless `perturb_english` is true: then the English side is perturbed (the
    translations never are), and the objectives are computed between the perturbed English text
    and its clean translation, the "alignment stability under perturbation" of the reference
    note (`Stab(eps) = mean cos(e(x + delta), e(t)) - mean cos(e(x), e(t))`): adversarial
    training then trains alignment against the worst perturbation of the English side.

    Every parameter takes part in the loss of every batch: the head's, unused by a parallel
    batch, through a zero-weighted term. AllenNLP's optimizer steps zero a gradient rather than
    drop it, so a parameter that once had one is stepped (with Adam's momentum) in every later
    step; with the zero term that is true from the first step on, so that `--recover` ends like
    an uninterrupted run, and DDP needs no `find_unused_parameters`.

    Metrics (training, averaged over the epoch's parallel batches): `alignment_loss`,
    `alignment_cosine` (mean cosine of the translation pairs), `consistency_loss`.

    # Parameters

    vocab : `Vocabulary`
    model : `Model`
        The task model. Its text must be embedded by one `pretrained_transformer` token embedder
        (the `pretrained_transformer_mismatched` one contains it).
    alignment_weight : `float`, optional (default = `0.0`)
        Weight of the alignment loss (XeroAlign adds it with weight 1).
    alignment_loss : `str`, optional (default = `"infonce"`)
        `infonce` or `mse`.
    temperature : `float`, optional (default = `0.05`)
        The InfoNCE temperature `t` (SimCSE's value).
    pooling : `str`, optional (default = `"mean"`)
        `mean` or `cls` (the first token's vector).
    consistency_weight : `float`, optional (default = `0.0`)
        Weight of the consistency loss (xTune's lambda_1, 5.0 in its XNLI scripts).
    input_field : `str`, optional (default = `"tokens"`)
        The name of the model's text argument, which consistency feeds the parallel texts to.
    perturb_english : `bool`, optional (default = `False`)
        Let the embedding-perturbation callbacks perturb the English side of parallel batches.
    """

    default_predictor = TASK_PREDICTOR

    def __init__(
        self,
        vocab: Vocabulary,
        model: Model,
        alignment_weight: float = 0.0,
        alignment_loss: str = "infonce",
        temperature: float = DEFAULT_TEMPERATURE,
        pooling: str = "mean",
        consistency_weight: float = 0.0,
        input_field: str = "tokens",
        perturb_english: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(vocab, **kwargs)
        for parameter, value in (
            ("alignment_weight", alignment_weight),
            ("consistency_weight", consistency_weight),
        ):
            if not _is_number(value) or not math.isfinite(value) or value < 0:
                raise ParameterError(NAME, parameter, f"must be a number >= 0, got {value!r}")
        if alignment_weight + consistency_weight <= 0:
            raise ParameterError(
                NAME,
                "alignment_weight",
                "or 'consistency_weight' must be positive (without either objective, train the"
                " task model alone)",
            )
        if alignment_loss not in ALIGNMENT_LOSSES:
            raise ParameterError(
                NAME,
                "alignment_loss",
                f"must be one of {list(ALIGNMENT_LOSSES)}, got {alignment_loss!r}",
            )
        if pooling not in POOLINGS:
            raise ParameterError(
                NAME, "pooling", f"must be one of {list(POOLINGS)}, got {pooling!r}"
            )
        if not _is_number(temperature) or not temperature > 0:
            raise ParameterError(NAME, "temperature", f"must be a number > 0, got {temperature!r}")
        self._model = model
        self._alignment_weight = float(alignment_weight)
        self._alignment_loss = alignment_loss
        self._temperature = float(temperature)
        self._pooling = pooling
        self._consistency_weight = float(consistency_weight)
        self._input_field = input_field
        self._perturb_english = bool(perturb_english)
        # A reference, not a second submodule: the embedder's weights are the task model's.
        self._embedders = (_transformer_embedder(model),)
        encoder = {id(parameter) for parameter in self._embedder.parameters()}
        # The task model's other parameters (its head), which parallel batches may not use.
        self._head_parameters = [p for p in model.parameters() if id(p) not in encoder]
        self._padding_id = int(find_word_embedding_layer(model, NAME).padding_idx)  # type: ignore[arg-type]
        self._task_arguments = _forward_arguments(model)
        self._alignment = Average()
        self._cosine = Average()
        self._consistency = Average()
        self.task_predictor = model.default_predictor

    @property
    def _embedder(self) -> PretrainedTransformerEmbedder:
        """The task model's `pretrained_transformer` embedder."""
        return self._embedders[0]

    @property
    def model(self) -> Model:
        """The task model."""
        return self._model

    @property
    def _label_namespace(self) -> str:
        """The task model's label namespace (read by the classification predictors)."""
        return getattr(self._model, "_label_namespace", "labels")

    def forward(self, **inputs: Any) -> Dict[str, torch.Tensor]:  # type: ignore[override]
        if SOURCE_FIELD in inputs:
            return self._parallel(
                inputs[SOURCE_FIELD], inputs[TARGET_FIELD], inputs.get("metadata")
            )
        if self._task_arguments is not None:
            inputs = {key: value for key, value in inputs.items() if key in self._task_arguments}
        return self._model(**inputs)

    # -- parallel batches --------------------------------------------------------------------

    def _parallel(
        self,
        source: TextFieldTensors,
        target: TextFieldTensors,
        metadata: Optional[List[Dict[str, Any]]],
    ) -> Dict[str, torch.Tensor]:
        rows = self._concatenate(source, target)
        inner = next(iter(rows.values()))
        size = inner["token_ids"].size(0) // 2
        maximum = getattr(self._embedder, "_max_length", None)
        if maximum is not None and inner["token_ids"].size(1) > maximum:
            raise ParameterError(
                NAME,
                "parallel_sentences max_length",
                f"must not exceed the embedder's max_length {maximum}: the parallel texts have"
                f" {inner['token_ids'].size(1)} wordpieces",
            )
        if maximum is not None and "segment_concat_mask" not in inner:
            # An embedder that folds long inputs (`max_length`, as the tagger's) takes the mask
            # of the concatenated segments, which for texts within one window is the mask.
            inner = {**inner, "segment_concat_mask": inner["mask"]}
        references = torch.ones(2 * size, dtype=torch.bool, device=inner["token_ids"].device)
        if self._perturb_english:
            references[:size] = False
        pairs = [bool(meta.get("pair")) for meta in metadata] if metadata else [False] * size
        consistency = self._consistency_weight > 0 and any(pairs)
        logits = None
        with reference_rows(references):
            if consistency:
                with _captured_output(self._embedder) as captured:
                    try:
                        outputs = self._model(**{self._input_field: rows})
                    except (KeyError, TypeError, ValueError, RuntimeError) as error:
                        raise RobustXltError(
                            f"{NAME}: parameter 'consistency_weight' needs a model that reads the"
                            f" parallel texts as its '{self._input_field}' (a sentence-pair"
                            f" classifier); {type(self._model).__name__} cannot: {error!r}"
                        ) from error
                encoded = captured[0]
                logits = outputs.get("logits")
            else:
                encoded = self._embedder(**inner)
        output: Dict[str, torch.Tensor] = {}
        losses = []
        if self._alignment_weight > 0:
            pooled = self._pool(encoded, inner["mask"])
            english, translation = pooled[:size], pooled[size:]
            alignment = self._alignment_objective(english, translation)
            self._alignment(alignment.item())
            with torch.no_grad():
                cosine = F.cosine_similarity(english.float(), translation.float(), dim=-1)
                self._cosine(cosine.mean().item())
            output["alignment_loss"] = alignment
            losses.append(self._alignment_weight * alignment)
        if consistency:
            consistency_loss = self._consistency_objective(logits, pairs, size)
            self._consistency(consistency_loss.item())
            output["consistency_loss"] = consistency_loss
            losses.append(self._consistency_weight * consistency_loss)
        loss = sum(losses) if losses else encoded.sum() * 0.0
        output["loss"] = loss + _zero_term(self._head_parameters)  # type: ignore[assignment]
        return output

    def _concatenate(self, source: TextFieldTensors, target: TextFieldTensors) -> TextFieldTensors:
        """One batch of rows: the English texts, then their translations, padded alike."""
        rows: Dict[str, Dict[str, torch.Tensor]] = {}
        for key, tensors in source.items():
            rows[key] = {}
            for name, first in tensors.items():
                second = target[key][name]
                length = max(first.size(1), second.size(1))
                value = self._padding_id if name == "token_ids" else 0
                rows[key][name] = torch.cat(
                    [_pad_to(first, length, value), _pad_to(second, length, value)], dim=0
                )
        return rows

    def _pool(self, encoded: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self._pooling == "cls":
            return encoded[:, 0]
        weights = mask.unsqueeze(-1).to(encoded.dtype)
        return (encoded * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)

    def _alignment_objective(
        self, english: torch.Tensor, translation: torch.Tensor
    ) -> torch.Tensor:
        if self._alignment_loss == "mse":
            return F.mse_loss(english, translation)
        similarity = (
            F.cosine_similarity(english.unsqueeze(1), translation.unsqueeze(0), dim=-1)
            / self._temperature
        )
        gold = torch.arange(english.size(0), device=english.device)
        return F.cross_entropy(similarity, gold)

    def _consistency_objective(
        self, logits: Optional[torch.Tensor], pairs: List[bool], size: int
    ) -> torch.Tensor:
        if logits is None or logits.dim() != 2 or logits.size(0) != 2 * size:
            shape = None if logits is None else tuple(logits.shape)
            raise RobustXltError(
                f"{NAME}: parameter 'consistency_weight' needs a model with one prediction per"
                f" example (logits of shape [batch, classes]); {type(self._model).__name__} gives"
                f" logits of shape {shape}"
            )
        chosen = torch.tensor(pairs, device=logits.device)
        english, translation = logits[:size][chosen], logits[size:][chosen]
        return symmetric_kl(english, translation)

    # -- everything else is the task model's -------------------------------------------------

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        metrics = dict(self._model.get_metrics(reset))
        for name, metric in (
            ("alignment_loss", self._alignment),
            ("alignment_cosine", self._cosine),
            ("consistency_loss", self._consistency),
        ):
            if metric._count:
                metrics[name] = float(metric.get_metric(reset))
            elif reset:
                metric.reset()
        return metrics

    def make_output_human_readable(
        self, output_dict: Dict[str, torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        return self._model.make_output_human_readable(output_dict)

    def per_example_results(
        self, batch: Dict[str, Any], output_dict: Dict[str, torch.Tensor]
    ) -> List[Dict[str, Any]]:
        return self._model.per_example_results(batch, output_dict)  # type: ignore[operator]


def symmetric_kl(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """
    xTune's example-consistency term between two sets of logits: `KL(second, first.detach()) +
    KL(first, second.detach())` with `KL(input, target) = F.kl_div(log_softmax(input),
    softmax(target))` averaged over all elements (its code's `reduction="mean"`).
    """

    def kl(input_logits: torch.Tensor, target_logits: torch.Tensor) -> torch.Tensor:
        total = F.kl_div(
            F.log_softmax(input_logits.float(), dim=-1),
            F.softmax(target_logits.float(), dim=-1),
            reduction="sum",
        )
        return total / max(input_logits.numel(), 1)

    return kl(second, first.detach()) + kl(first, second.detach())


def _zero_term(parameters: List[torch.nn.Parameter]) -> Any:
    """`0 * sum(parameters)`: their gradient is zero, not missing (see the class docstring)."""
    return sum(parameter.sum() for parameter in parameters) * 0.0 if parameters else 0.0


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _pad_to(tensor: torch.Tensor, length: int, value: int) -> torch.Tensor:
    if tensor.size(1) == length:
        return tensor
    shape = (tensor.size(0), length - tensor.size(1)) + tuple(tensor.shape[2:])
    return torch.cat([tensor, tensor.new_full(shape, value)], dim=1)


def _transformer_embedder(model: Model) -> PretrainedTransformerEmbedder:
    embedders = [
        module for module in model.modules() if isinstance(module, PretrainedTransformerEmbedder)
    ]
    if len(embedders) != 1:
        raise ParameterError(
            NAME,
            "model",
            "must embed its text with one pretrained_transformer token embedder; found"
            f" {len(embedders)} in {type(model).__name__}",
        )
    return embedders[0]


def _forward_arguments(model: Model) -> Optional[List[str]]:
    """The names `model.forward` accepts, or None when it takes any (`**kwargs`)."""
    parameters = inspect.signature(model.forward).parameters.values()
    if any(parameter.kind == parameter.VAR_KEYWORD for parameter in parameters):
        return None
    return [parameter.name for parameter in parameters]


@contextmanager
def _captured_output(module: torch.nn.Module) -> Iterator[List[torch.Tensor]]:
    """The outputs of `module`'s calls inside the block."""
    outputs: List[torch.Tensor] = []
    handle = module.register_forward_hook(lambda _, __, output: outputs.append(output))
    try:
        yield outputs
    finally:
        handle.remove()
