"""
The word-embedding perturbation mechanism, shared by every component that adds something to a
transformer's input word embeddings: the `adversarial_training` and `random_perturbation`
trainer callbacks, the smoothed vote's `word_embedding_noise`, and attack evaluators. Nothing
here is registered.

* `WordEmbeddingPerturbation`: for a given model, finds the transformer's word-embedding layer
  (`word_embeddings` of BERT/XLM-R-style models, via AllenNLP's `find_embedding_layer`), and
  while attached (a forward hook on that layer) it

  - computes the real-token mask of every call (`input_ids != padding_idx`: AllenNLP's
    `pretrained_transformer` indexers pad `token_ids` with the tokenizer's pad id, which is the
    layer's `padding_idx`; and not the id-0 padding of folded windows, see `real_token_mask`),
    so this is exactly the batch's attention mask,
  - adds a given perturbation to the layer's output, on real tokens only, inside
    `with perturbation.adding(delta_or_function):`. The word-embedding output is the point before
    position and token-type embeddings are added, which is where Zhu et al. (2020) and Miyato et
    al. (2017) perturb,
  - optionally records each call made with gradients enabled (`record_calls`), so that a
    callback can reach the clean forward pass the trainer just ran.
  - leaves alone the rows a model declares references with `reference_rows(...)` (e.g. the
    translations a parallel-data objective encodes in the same call as the English sentences):
    they count as padding in the call's mask, so no ball, step or noise ever touches them.

  The hook lives only between `attach()` and `detach()` (or inside `with perturbation:`), and
  its handle is kept on the `WordEmbeddingPerturbation` object, never on the model, so nothing
  of it can end up in a saved model.

* The per-example geometry used to build perturbations: norms over all real tokens of an
  example, projection onto an L2 or L-inf ball, normalized ascent directions that are zero (never
  NaN) for zero or non-finite gradients, random starts inside the ball, and random noise. All of
  it computes in float32 and returns float32 whatever the input's dtype (under AMP, gradients and
  embeddings may be float16, whose largest value, 65504, a sum of squares overflows easily); the
  hook casts a perturbation to the layer's dtype when it adds it.

A perturbation `delta` always has the shape of the word-embedding output, `[rows, length, dim]`.
A row is an example, except when the `pretrained_transformer` embedder folds sequences longer
than its `max_length` into several segments (then a row is a segment), and for multiple choice,
where a row is one (example, choice) pair.
"""

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List, Optional, Tuple, Union

import torch
from allennlp.nn.util import find_embedding_layer
from torch.utils.hooks import RemovableHandle

from allennlp_robust_xlt.common.errors import RobustXltError

logger = logging.getLogger(__name__)

NORMS = ("l2", "linf")

FOLD_PADDING_ID = 0
"""The id AllenNLP's `pretrained_transformer` embedder pads folded windows with (`F.pad(value=0)`)."""


@dataclass
class WordEmbeddingCall:
    """One call of the word-embedding layer, as the forward hook saw it."""

    input_ids: torch.Tensor
    """`[rows, length]` token ids given to the layer."""
    mask: torch.Tensor
    """`[rows, length]` bool, true on real tokens (not padding)."""
    embeddings: torch.Tensor
    """`[rows, length, dim]` the layer's output, before any perturbation."""
    training: bool
    """Whether the layer was in training mode."""


PerturbationFunction = Callable[[WordEmbeddingCall], Optional[torch.Tensor]]

_REFERENCE_ROWS: ContextVar[Optional[torch.Tensor]] = ContextVar("reference_rows", default=None)


@contextmanager
def reference_rows(rows: torch.Tensor) -> Iterator[None]:
    """
    Within the block, the rows of the word-embedding call where `rows` (`[rows]`, bool) is true
    are references, not inputs: every `WordEmbeddingPerturbation` treats them as padding (false
    in `WordEmbeddingCall.mask`), so nothing is ever added to them. For a model that encodes an
    input and its reference in one call, e.g. English sentences and their translations.
    """
    token = _REFERENCE_ROWS.set(rows)
    try:
        yield
    finally:
        _REFERENCE_ROWS.reset(token)


def find_word_embedding_layer(
    model: torch.nn.Module, component: str = "embedding perturbation"
) -> torch.nn.Embedding:
    """
    The word-embedding matrix of the (single) transformer in `model`: AllenNLP's
    `find_embedding_layer` for BERT/RoBERTa/XLM-R/ALBERT, else the `get_input_embeddings()` of
    the Hugging Face model inside a `pretrained_transformer` embedder. It must have a
    `padding_idx` (true of the Hugging Face encoders), which tells padding from real tokens.
    """
    try:
        layer: Optional[torch.nn.Module] = find_embedding_layer(model)
    except RuntimeError:  # "No embedding module found!"
        layer = None
    if not isinstance(layer, torch.nn.Embedding):
        transformers = [
            module.get_input_embeddings()
            for module in model.modules()
            if hasattr(module, "get_input_embeddings") and hasattr(module, "config")
        ]
        embeddings = [module for module in transformers if isinstance(module, torch.nn.Embedding)]
        if len(embeddings) != 1:
            raise RobustXltError(
                f"{component}: the model must embed its text with one pretrained transformer "
                f"(a 'pretrained_transformer' token embedder); found {len(embeddings)} transformer "
                f"word-embedding layers in {type(model).__name__}"
            )
        layer = embeddings[0]
    if layer.padding_idx is None:
        raise RobustXltError(
            f"{component}: the word-embedding layer of {type(model).__name__} has no padding_idx, "
            "so padding cannot be told from real tokens"
        )
    return layer


class WordEmbeddingPerturbation:
    """
    Adds perturbations to the output of a model's word-embedding layer, on real tokens only.

    ```python
    perturbation = WordEmbeddingPerturbation(model, record_calls=True)
    with perturbation:                      # attach the hook ... detach it, whatever happens
        outputs = model(**batch)            # unperturbed; recorded in perturbation.calls
        clean = perturbation.take_calls()[0]
        delta = torch.zeros_like(clean.embeddings)
        with perturbation.adding(delta):    # or a function WordEmbeddingCall -> delta (or None)
            outputs = model(**batch)        # word embeddings + delta (zero on padding)
    ```

    # Parameters

    model : `torch.nn.Module`
        Typically an AllenNLP `Model` with a `pretrained_transformer` token embedder.
    record_calls : `bool`, optional (default = `False`)
        Record every call of the layer made with gradients enabled in `calls` (until
        `take_calls()`), e.g. to reach the forward pass the trainer just ran.
    component : `str`, optional
        Name used in error messages.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        record_calls: bool = False,
        component: str = "embedding perturbation",
    ) -> None:
        self.layer = find_word_embedding_layer(model, component)
        self.padding_idx: int = int(self.layer.padding_idx)  # type: ignore[arg-type]
        self.record_calls = record_calls
        self.calls: List[WordEmbeddingCall] = []
        self._component = component
        self._perturbation: Optional[Union[torch.Tensor, PerturbationFunction]] = None
        self._handle: Optional[RemovableHandle] = None

    # -- lifetime of the hook ----------------------------------------------------------------

    @property
    def attached(self) -> bool:
        return self._handle is not None

    def attach(self) -> None:
        if self._handle is None:
            self._handle = self.layer.register_forward_hook(self._hook)

    def detach(self) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        self._perturbation = None
        self.calls = []

    def __enter__(self) -> "WordEmbeddingPerturbation":
        self.attach()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.detach()

    # -- use ---------------------------------------------------------------------------------

    def real_token_mask(self, input_ids: torch.Tensor) -> torch.Tensor:
        """
        True on real tokens: AllenNLP pads `token_ids` with the pad id, the layer's
        `padding_idx`. When the embedder folds sequences longer than its `max_length` into
        windows, it pads the last window with id 0 instead (`FOLD_PADDING_ID`), which is `<s>`
        for RoBERTa / XLM-R: an id 0 after a row's first position is that padding (`<s>` only
        ever starts a window; for BERT and ALBERT 0 is the pad id anyway).
        """
        mask = input_ids != self.padding_idx
        if self.padding_idx != FOLD_PADDING_ID and input_ids.dim() == 2:
            fold_padding = input_ids == FOLD_PADDING_ID
            fold_padding[:, 0] = False
            mask &= ~fold_padding
        return mask

    @contextmanager
    def adding(self, perturbation: Union[torch.Tensor, PerturbationFunction]) -> Iterator[None]:
        """
        Within the block, every call of the word-embedding layer returns `embeddings + delta`,
        with `delta` zeroed on padding. `perturbation` is the tensor `delta` (of the layer's
        output shape) or a function of the `WordEmbeddingCall` returning `delta` or `None`
        (no change). Gradients flow into `delta` if it requires them.
        """
        if not self.attached:
            raise RuntimeError(f"{self._component}: attach() the perturbation before adding to it")
        previous = self._perturbation
        self._perturbation = perturbation
        try:
            yield
        finally:
            self._perturbation = previous

    def take_calls(self) -> List[WordEmbeddingCall]:
        """The recorded calls since the last `take_calls()`, and forget them."""
        calls, self.calls = self.calls, []
        return calls

    def _hook(
        self, module: torch.nn.Module, inputs: Tuple[Any, ...], output: torch.Tensor
    ) -> Optional[torch.Tensor]:
        if not self.record_calls and self._perturbation is None:
            return None
        input_ids = inputs[0]
        mask = self.real_token_mask(input_ids)
        references = _REFERENCE_ROWS.get()
        if references is not None:
            if references.shape != input_ids.shape[:1]:
                raise RuntimeError(
                    f"{self._component}: {tuple(references.shape)} reference rows declared for a"
                    f" word-embedding call of {input_ids.size(0)} rows"
                )
            mask = mask & ~references.to(mask.device).unsqueeze(-1)
        call = WordEmbeddingCall(input_ids, mask, output, module.training)
        if self.record_calls and torch.is_grad_enabled():
            self.calls.append(call)
        perturbation = self._perturbation
        if perturbation is None:
            return None
        delta = perturbation(call) if callable(perturbation) else perturbation
        if delta is None:
            return None
        if delta.shape != output.shape:
            raise RuntimeError(
                f"{self._component}: perturbation of shape {tuple(delta.shape)} for word embeddings"
                f" of shape {tuple(output.shape)}"
            )
        return output + delta.masked_fill(~call.mask.unsqueeze(-1), 0.0).to(output.dtype)


@contextmanager
def frozen_parameters(model: torch.nn.Module) -> Iterator[None]:
    """
    The model's parameters do not require gradients inside the block, so that a pass
    differentiated w.r.t. a perturbation only (an attack's ascent step) does no weight-gradient
    work. (In torch 1.12, `autograd.grad` w.r.t. an input still computes the weight gradients of
    every matrix product on the way.)
    """
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    for parameter in trainable:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter in trainable:
            parameter.requires_grad_(True)


# -- per-example geometry ----------------------------------------------------------------------


def _rows(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.reshape(tensor.size(0), -1)


def _per_row(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """`[rows]` -> broadcastable against `like` (`[rows, ...]`)."""
    return values.reshape((-1,) + (1,) * (like.dim() - 1))


def example_norms(delta: torch.Tensor, norm: str) -> torch.Tensor:
    """`[rows]` the L2 or L-inf norm of each row over all its tokens and dimensions."""
    flat = _rows(delta.float())
    if norm == "l2":
        return flat.norm(p=2, dim=1)
    if norm == "linf":
        return flat.abs().amax(dim=1) if flat.size(1) > 0 else flat.new_zeros(flat.size(0))
    raise ValueError(f"unknown norm {norm!r}; expected one of {NORMS}")


def project_to_ball(
    delta: torch.Tensor, mask: torch.Tensor, norm: str, radius: float
) -> torch.Tensor:
    """
    Euclidean projection of each row onto the ball of `radius` (L2: rescale rows whose norm
    exceeds the radius; L-inf: clamp every coordinate), and zero on padding; in float32.
    """
    delta = delta.float().masked_fill(~mask.unsqueeze(-1), 0.0)
    if norm == "linf":
        return delta.clamp(-radius, radius)
    norms = example_norms(delta, "l2")
    factor = torch.where(
        norms > radius,
        radius / norms.clamp_min(torch.finfo(norms.dtype).tiny),
        torch.ones_like(norms),
    )
    return delta * _per_row(factor, delta)


def ascent_direction(grad: torch.Tensor, mask: torch.Tensor, kind: str) -> torch.Tensor:
    """
    Per-row direction of steepest ascent from a gradient, on real tokens only:

    * `"l2"`: `g / ||g||_2` (unit L2 norm per row),
    * `"linf"`: `g / ||g||_inf` (FreeLB's L-inf step: largest coordinate 1),
    * `"sign"`: `sign(g)` (Madry's L-inf PGD, Goodfellow's FGSM).

    A row whose gradient is zero, or has a non-finite entry on a real token (e.g. an overflow
    under mixed precision), gets a zero direction: never NaN. Norms are computed after dividing
    by the largest entry, so tiny gradients neither underflow nor blow up.
    """
    grad = grad.detach().float().masked_fill(~mask.unsqueeze(-1), 0.0)
    finite = torch.isfinite(_rows(grad)).all(dim=1)
    grad = torch.where(_per_row(finite, grad), grad, torch.zeros_like(grad))
    if kind == "sign":
        return grad.sign()
    largest = example_norms(grad, "linf")
    scaled = grad / _per_row(largest.clamp_min(torch.finfo(grad.dtype).tiny), grad)
    if kind == "linf":
        return scaled
    if kind == "l2":
        return scaled / _per_row(example_norms(scaled, "l2").clamp_min(1.0), scaled)
    raise ValueError(f"unknown ascent direction {kind!r}")


def uniform_start(
    embeddings: torch.Tensor,
    mask: torch.Tensor,
    norm: str,
    radius: float,
    generator: Optional[torch.Generator] = None,
) -> torch.Tensor:
    """
    A random start inside the ball, zero on padding:

    * L-inf: every real coordinate uniform in `[-radius, radius]` (Madry et al. 2018).
    * L2: every real coordinate uniform in `[-1, 1]`, times `radius / sqrt(n * dim)` where `n` is
      the row's number of real tokens: the random init of FreeLB (Zhu et al. 2020, their
      `adv_init_mag` set to `radius`). Its norm is at most `radius` (about `radius / sqrt(3)`).

    Drawn from `generator` (on the embeddings' device), or the global generator.
    """
    noise = torch.empty_like(embeddings, dtype=torch.float).uniform_(-1.0, 1.0, generator=generator)
    noise = noise.masked_fill(~mask.unsqueeze(-1), 0.0)
    if norm == "linf":
        return noise * radius
    real_coordinates = mask.sum(dim=1).float() * embeddings.size(-1)
    return noise * _per_row(radius / real_coordinates.clamp_min(1.0).sqrt(), noise)


NOISE_DISTRIBUTIONS = ("gaussian", "uniform_ball")


def sample_embedding_noise(
    shape: Union[torch.Size, Tuple[int, ...]],
    mask: torch.Tensor,
    distribution: str,
    scale: float,
    generator: Optional[torch.Generator] = None,
) -> torch.Tensor:
    """
    Random noise for word embeddings of `shape` `[rows, length, dim]`, zero on padding (where
    `mask`, `[rows, length]`, is false); float32, on the mask's device, drawn from `generator`
    (on that device) or the global generator. For RS-RP (random perturbation) training and
    voting:

    * `"gaussian"`: N(0, scale^2) on every real coordinate;
    * `"uniform_ball"`: uniform in the L2 ball of radius `scale` over all real coordinates of the
      row (the per-example ball of `norm = "l2"`): a Gaussian direction, radius
      `scale * U^(1/n)` with `n` the row's number of real coordinates.
    """
    if distribution not in NOISE_DISTRIBUTIONS:
        raise ValueError(
            f"unknown noise distribution {distribution!r}; expected one of {NOISE_DISTRIBUTIONS}"
        )
    values = torch.randn(tuple(shape), generator=generator, device=mask.device)
    values = values.masked_fill(~mask.unsqueeze(-1), 0.0)
    if distribution == "gaussian":
        return values * scale
    real_coordinates = (mask.sum(dim=1) * values.size(-1)).clamp_min(1).float()
    uniform = torch.rand(values.size(0), generator=generator, device=mask.device)
    radius = scale * uniform ** (1.0 / real_coordinates)
    return values * _per_row(
        radius / example_norms(values, "l2").clamp_min(torch.finfo(values.dtype).tiny), values
    )
