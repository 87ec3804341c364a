"""Small models, trainers and probes for the embedding-perturbation callback tests."""

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from allennlp.common import Params
from allennlp.data import Instance, Vocabulary
from allennlp.data.data_loaders import SimpleDataLoader
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.models import Model
from allennlp.training import GradientDescentTrainer
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader
from tests import XTREME_DATA

HIDDEN = 32  # hidden size of the tiny test transformers


@lru_cache(maxsize=None)
def _read(model_path: str, count: int) -> Tuple[Instance, ...]:
    reader = XtremeXnliReader(
        tokenizer=PretrainedTransformerTokenizer(model_path, add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(model_path)},
        max_instances=count,
    )
    return tuple(reader.read(XTREME_DATA / "xnli" / "train-en.tsv"))


def xnli_instances(model_path: Path, count: int = 16) -> List[Instance]:
    """The first `count` English XNLI training pairs (variable lengths, so batches have padding)."""
    return copy.deepcopy(list(_read(str(model_path), count)))


def vocabulary(instances: Sequence[Instance]) -> Vocabulary:
    return Vocabulary.from_instances(instances)


def build_model(
    model_path: Path,
    vocab: Vocabulary,
    model_type: str = "xtreme_pair_classifier",
    dropout: Optional[float] = 0.0,
    seed: int = 0,
) -> Model:
    """
    A pair classifier on the tiny transformer, initialised with `seed`. `dropout` is set on every
    dropout module (transformer included); `None` keeps the models' own (0.1).
    """
    torch.manual_seed(seed)
    model = Model.from_params(
        vocab=vocab,
        params=Params(
            {
                "type": model_type,
                "namespace": "tags",
                "text_field_embedder": {
                    "token_embedders": {
                        "tokens": {"type": "pretrained_transformer", "model_name": str(model_path)}
                    }
                },
                "seq2vec_encoder": {"type": "cls_pooler", "embedding_dim": HIDDEN},
                "feedforward": {
                    "input_dim": HIDDEN,
                    "num_layers": 1,
                    "hidden_dims": HIDDEN,
                    "activations": "tanh",
                },
                "dropout": 0.1 if dropout is None else dropout,
            }
        ),
    )
    if dropout is not None:
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = dropout
    return model


def word_embeddings(model: Model) -> torch.nn.Embedding:
    return model._text_field_embedder._token_embedders[
        "tokens"
    ].transformer_model.embeddings.word_embeddings


def make_trainer(
    model: Model,
    instances: Sequence[Instance],
    vocab: Vocabulary,
    callbacks: Sequence[TrainerCallback],
    batch_size: int = 8,
    num_epochs: int = 1,
    accumulation: int = 1,
    lr: float = 0.1,
    **kwargs: Any,
) -> GradientDescentTrainer:
    loader = SimpleDataLoader(list(instances), batch_size, vocab=vocab)
    return GradientDescentTrainer(
        model,
        torch.optim.SGD(model.parameters(), lr=lr),
        loader,
        num_epochs=num_epochs,
        num_gradient_accumulation_steps=accumulation,
        callbacks=list(callbacks),
        **kwargs,
    )


def first_batch(
    instances: Sequence[Instance], vocab: Vocabulary, batch_size: int = 8
) -> Dict[str, Any]:
    return next(iter(SimpleDataLoader(list(instances), batch_size, vocab=vocab)))


def parameters(model: torch.nn.Module) -> Dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def hooks_left(model: torch.nn.Module) -> List[str]:
    """Names of modules that still carry a hook of any kind."""
    return [
        name
        for name, module in model.named_modules()
        if module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
    ]


class GradientRecorder(TrainerCallback):
    """Keeps the parameter gradients of every optimizer step (they survive until the next zero_grad)."""

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self.gradients: List[Dict[str, torch.Tensor]] = []

    def on_batch(
        self,
        trainer,
        batch_inputs,
        batch_outputs,
        batch_metrics,
        epoch,
        batch_number,
        is_training,
        is_primary=True,
        batch_grad_norm=None,
        **kwargs,
    ) -> None:
        if is_training:
            self.gradients.append(
                {
                    name: p.grad.detach().clone()
                    for name, p in trainer.model.named_parameters()
                    if p.grad is not None
                }
            )


class EmbeddingProbe(TrainerCallback):
    """
    Records, for every training forward pass, the word-embedding output as the model received it
    (a hook registered after the callbacks listed before this one) and the loss.
    """

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self.passes: List[Dict[str, torch.Tensor]] = []
        self._handles: List[Any] = []

    def on_start(self, trainer, is_primary=True, **kwargs) -> None:  # type: ignore[no-untyped-def]
        layer = word_embeddings(trainer.model)

        def embedding_hook(module, inputs, output):  # type: ignore[no-untyped-def]
            if torch.is_grad_enabled():
                ids = inputs[0]
                self.passes.append(
                    {
                        "ids": ids.detach().clone(),
                        "delta": (output - module.weight[ids]).detach().clone(),
                    }
                )

        def model_hook(module, inputs, output):  # type: ignore[no-untyped-def]
            if torch.is_grad_enabled():
                self.passes[-1]["loss"] = output["loss"].detach().clone()

        self._handles = [
            layer.register_forward_hook(embedding_hook),
            trainer.model.register_forward_hook(model_hook),
        ]

    def on_end(self, trainer, metrics=None, epoch=None, is_primary=True, **kwargs) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


class FakeGradScaler:
    """The part of `torch.cuda.amp.GradScaler` the trainer and the callback use, on CPU."""

    def __init__(self, scale: float) -> None:
        self.scale_factor = scale
        self.scaled_losses = 0
        self.skipped_steps = 0
        self._unscaled = False

    def scale(self, loss: torch.Tensor) -> torch.Tensor:
        self.scaled_losses += 1
        return loss * self.scale_factor

    def unscale_(self, optimizer: torch.optim.Optimizer) -> None:
        if not self._unscaled:
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.grad.div_(self.scale_factor)
            self._unscaled = True

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        self.unscale_(optimizer)
        grads = [p.grad for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
        if all(torch.isfinite(grad).all() for grad in grads):
            optimizer.step()
        else:
            self.skipped_steps += 1

    def update(self) -> None:
        self._unscaled = False
