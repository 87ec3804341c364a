from typing import Any, Dict, List, Optional, Set

import torch
from allennlp.data import Vocabulary
from allennlp.models.heads import Head
from allennlp.models.model import Model
from allennlp.models.multitask import MultiTaskModel
from allennlp.modules import Backbone
from allennlp.nn import InitializerApplicator

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.models.task_predictor import NAME as TASK_PREDICTOR
from allennlp_robust_xlt.nn.intermediate_archive import ArchiveIndependentLoading, check_transformer
from allennlp_robust_xlt.pair_classification.models.xtreme_pair_classifier import (
    classification_results,
)

NAME = "xtreme_multitask"


@Model.register(NAME)
class XtremeMultiTaskModel(ArchiveIndependentLoading, MultiTaskModel):
    """
    Registered as a `Model` with name "xtreme_multitask".

    AllenNLP's `multitask` model (one `backbone` shared by one `head` per task; the loss is the
    weighted sum of the losses of the heads whose task is in the batch) for joint
    intermediate-task training, with one of its tasks the *target* task, which its archive is
    used for:

    * Instances without the `task` field that AllenNLP's `multitask` data loader adds (the
      target task's plain reader: validation, `allennlp evaluate`, `predict`, `xtreme-report`)
      go to the target task's head, so the archive evaluates and predicts the target task like
      a single-task model.
    * The target head's metrics keep their plain names (`accuracy`), as in the single-task
      model, so `validation_metric`, `allennlp evaluate` and `xtreme-report` read them
      unchanged; every other head's metrics are prefixed with its name (`xnli_accuracy`).
      When a batch holds only the target task, its outputs also appear under their plain names
      (`logits`, `probs`), for the target task's predictor.
    * `per_example_results` (for `xtreme-report`) and the predictor's label namespace are the
      target head's (a classification head: `probs` and its `label_namespace`).
    * Every parameter takes part in the loss of every training batch: the heads of the tasks a
      batch lacks through a zero-weighted term. AllenNLP's optimizer steps zero a gradient
      rather than drop it, so a head that once had one is stepped (with Adam's momentum) in
      every later step; with the zero term that is true from the first step on, so that
      `--recover` ends like an uninterrupted run, and DDP needs no `find_unused_parameters`.

    Every parameter of `multitask` (`backbone`, `heads`, `loss_weights`, `arg_name_mapping`,
    `allowed_arguments`, `initializer`), and:

    target_task : `str`
        The name of the target task's head (one of `heads`).
    predictor : `str`, optional (default = `None`)
        The target task's predictor (e.g. `xtreme_pair_classification`), which `allennlp
        predict` uses without `--predictor` (through `task_predictor`).
    transformer_model : `str`, optional (default = `None`)
        The transformer the readers tokenize for (`XLT_TRANSFORMER` in our configs); when
        given, the backbone's transformer must be that one (one clear error otherwise).
    """

    default_predictor = TASK_PREDICTOR

    def __init__(
        self,
        vocab: Vocabulary,
        backbone: Backbone,
        heads: Dict[str, Head],
        target_task: str,
        *,
        loss_weights: Optional[Dict[str, float]] = None,
        arg_name_mapping: Optional[Dict[str, Dict[str, str]]] = None,
        allowed_arguments: Optional[Dict[str, Set[str]]] = None,
        initializer: InitializerApplicator = InitializerApplicator(),
        predictor: Optional[str] = None,
        transformer_model: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if target_task not in heads:
            raise ParameterError(
                NAME, "target_task", f"{target_task!r} is not one of the heads {sorted(heads)}"
            )
        check_transformer(backbone, transformer_model, NAME)
        super().__init__(
            vocab,
            backbone,
            heads,
            loss_weights=loss_weights,  # type: ignore[arg-type]
            arg_name_mapping=arg_name_mapping,  # type: ignore[arg-type]
            allowed_arguments=allowed_arguments,  # type: ignore[arg-type]
            initializer=initializer,
            **kwargs,
        )
        self._target_task = target_task
        self.task_predictor = predictor

    @property
    def target_task(self) -> str:
        return self._target_task

    @property
    def _label_namespace(self) -> str:
        """The target head's label namespace (read by the classification predictors)."""
        return getattr(self._heads[self._target_task], "_label_namespace", "labels")

    def forward(self, **kwargs: Any) -> Dict[str, torch.Tensor]:  # type: ignore[override]
        if "task" not in kwargs:
            kwargs["task"] = [self._target_task] * _batch_size(kwargs)
        outputs = super().forward(**kwargs)
        unused = [name for name in self._heads if name not in kwargs["task"]]
        if self.training and unused and "loss" in outputs:
            # A zero-weighted term: the heads this batch does not use get a zero gradient, not
            # none (see the class docstring).
            zero = sum(p.sum() for name in unused for p in self._heads[name].parameters())
            outputs["loss"] = outputs["loss"] + zero * 0.0
        if all(task == self._target_task for task in kwargs["task"]):
            prefix = f"{self._target_task}_"
            for key in [key for key in outputs if key.startswith(prefix)]:
                outputs.setdefault(key[len(prefix) :], outputs[key])
        return outputs

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        metrics: Dict[str, float] = {}
        for head_name in self._heads_called:
            prefix = "" if head_name == self._target_task else f"{head_name}_"
            for key, value in self._heads[head_name].get_metrics(reset).items():
                metrics[f"{prefix}{key}"] = value
        if reset:
            self._heads_called.clear()
        return metrics

    def make_output_human_readable(
        self, output_dict: Dict[str, torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        output_dict = super().make_output_human_readable(output_dict)
        prefix = f"{self._target_task}_"
        for key in [key for key in output_dict if key.startswith(prefix)]:
            output_dict.setdefault(key[len(prefix) :], output_dict[key])
        return output_dict

    def per_example_results(
        self, batch: Dict[str, Any], output_dict: Dict[str, torch.Tensor]
    ) -> List[Dict[str, Any]]:
        """The target head's per-example results (`evaluation/per_example.py`)."""
        return classification_results(batch, output_dict, self.vocab, self._label_namespace)


def _batch_size(inputs: Dict[str, Any]) -> int:
    """The number of instances in a batch: the first dimension of its first tensor or list."""
    for value in inputs.values():
        while isinstance(value, dict):
            value = next(iter(value.values()))
        if isinstance(value, torch.Tensor):
            return value.size(0)
        if isinstance(value, list):
            return len(value)
    raise ValueError(f"{NAME}: cannot tell the batch size of a batch with {sorted(inputs)}")
