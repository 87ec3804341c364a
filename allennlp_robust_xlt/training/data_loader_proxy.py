"""
A transparent proxy in front of a trainer's data loader, for callbacks that must see (or act
on) the batches the trainer draws. Nothing here is registered.

`GradientDescentTrainer` draws its training batches with `iter(trainer.data_loader)` once per
epoch. `DataLoaderProxy.install(trainer, iterate)` (from a callback's `on_start`) puts a proxy
there whose iteration is `iterate(inner_data_loader)`; everything else is the inner loader's.
`remove()` (from `on_end`, which always runs) takes it out again, also when another callback
has put its own proxy in front of it since. Several callbacks' proxies chain.
"""

from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

import torch
from allennlp.data.data_loaders.data_loader import DataLoader, TensorDict
from allennlp.data.instance import Instance
from allennlp.data.vocabulary import Vocabulary

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

EpochIterator = Callable[[DataLoader], Iterator[TensorDict]]


class DataLoaderProxy(DataLoader):
    def __init__(self, inner: DataLoader, iterate: EpochIterator) -> None:
        self.inner = inner
        self._iterate = iterate
        self._trainer: Optional["GradientDescentTrainer"] = None

    @classmethod
    def install(
        cls, trainer: "GradientDescentTrainer", iterate: EpochIterator
    ) -> "DataLoaderProxy":
        proxy = cls(trainer.data_loader, iterate)
        proxy._trainer = trainer
        trainer.data_loader = proxy
        return proxy

    def remove(self) -> None:
        trainer, self._trainer = self._trainer, None
        if trainer is None:
            return
        if trainer.data_loader is self:
            trainer.data_loader = self.inner
            return
        outer = trainer.data_loader  # another proxy stands in front of this one: unlink it
        while isinstance(outer, DataLoaderProxy) and outer.inner is not self:
            outer = outer.inner
        if isinstance(outer, DataLoaderProxy):
            outer.inner = self.inner

    def __len__(self) -> int:
        return len(self.inner)

    def __iter__(self) -> Iterator[TensorDict]:
        return self._iterate(self.inner)

    def iter_instances(self) -> Iterator[Instance]:
        return self.inner.iter_instances()

    def index_with(self, vocab: Vocabulary) -> None:
        self.inner.index_with(vocab)

    def set_target_device(self, device: torch.device) -> None:
        self.inner.set_target_device(device)

    def __getattr__(self, name: str) -> Any:
        if name in ("inner", "_iterate", "_trainer"):
            raise AttributeError(name)
        return getattr(self.inner, name)
