"""
Hand-written reference loops for the KL methods (R3F, SMART, VAT), from the papers' pseudo-code,
using none of the plugin's code (the KL is torch's `kl_div`), and the one-step training runs they
are compared with, on the pair classifier, the tagger and multiple choice.
"""

import copy
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
from allennlp.data import Vocabulary
from torch.nn.functional import kl_div, log_softmax

from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests.mc.models.xtreme_multiple_choice_test import build as build_mc
from tests.mc.models.xtreme_multiple_choice_test import xcopa_instances
from tests.tagging.helpers import reader_and_model
from tests.training.callbacks.helpers import (
    GradientRecorder,
    build_model,
    first_batch,
    make_trainer,
    vocabulary,
    word_embeddings,
    xnli_instances,
)

SEED = 1234


def no_dropout(model: torch.nn.Module) -> torch.nn.Module:
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    return model


def family(name: str, transformer: Path) -> Tuple[Any, List[Any], Vocabulary]:
    """A fresh model (dropout 0) of a task family, 8 training instances and their vocabulary."""
    if name == "pair":
        instances = xnli_instances(transformer, 8)
        vocab = vocabulary(instances)
        return build_model(transformer, vocab), instances, vocab
    if name == "tagging":
        _, model, instances = reader_and_model("udpos", transformer=transformer)
        return no_dropout(model), instances[:8], model.vocab
    instances = xcopa_instances(transformer)[:8]
    vocab = Vocabulary.from_instances(instances)
    return no_dropout(build_mc(transformer, vocab)), instances, vocab


def rows_of(name: str, output: Dict[str, torch.Tensor]) -> torch.Tensor:
    """The logits of the distributions the term compares: one row per example or masked word."""
    if name == "tagging":
        return output["logits"][output["mask"].bool()]
    return output["logits"]


def outputs_at(model, batch, delta: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
    """The model's outputs with `delta` added to the word-embedding output."""
    handle = word_embeddings_of(model).register_forward_hook(
        lambda module, inputs, output: None if delta is None else output + delta
    )
    try:
        return model(**batch)
    finally:
        handle.remove()


def word_embeddings_of(model) -> torch.nn.Embedding:
    if hasattr(model, "text_field_embedder"):  # the tagger (mismatched embedder)
        embedder = model.text_field_embedder._token_embedders["tokens"]._matched_embedder
        return embedder.transformer_model.embeddings.word_embeddings
    return word_embeddings(model)


def token_mask(model, batch) -> torch.Tensor:
    """`[rows, length, 1]`: the real sub-words of the word-embedding call's rows."""
    layer = word_embeddings_of(model)
    seen: List[torch.Tensor] = []
    handle = layer.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0]))
    try:
        with torch.no_grad():
            model(**batch)
    finally:
        handle.remove()
    return (seen[0] != layer.padding_idx).unsqueeze(-1).float()


def kl(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    """KL(P || Q), the mean over rows (torch's kl_div)."""
    return kl_div(
        log_softmax(q_logits, -1), log_softmax(p_logits, -1), reduction="batchmean", log_target=True
    )


def symmetric(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    return kl(p_logits, q_logits) + kl(q_logits, p_logits)


def per_example(values: torch.Tensor) -> torch.Tensor:
    return values.view(-1, 1, 1)


def gradients(model) -> Dict[str, torch.Tensor]:
    return {
        name: p.grad.detach().clone() for name, p in model.named_parameters() if p.grad is not None
    }


def train_one_step(
    name: str, transformer: Path, tmp: Path, settings: Dict[str, Any]
) -> Tuple[Dict[str, torch.Tensor], Any, Dict[str, Any], Dict[str, Any]]:
    """One optimizer step of `adversarial_training` with `settings` on 8 instances of a family:
    its gradients, a copy of the initial model, the batch and the training metrics."""
    model, instances, vocab = family(name, transformer)
    reference = copy.deepcopy(model)
    recorder = GradientRecorder(str(tmp))
    callback = AdversarialTrainingCallback(str(tmp), **settings)
    trainer = make_trainer(model, instances, vocab, [callback, recorder], batch_size=8)
    torch.manual_seed(SEED)
    metrics = trainer.train()
    assert len(recorder.gradients) == 1
    return recorder.gradients[0], reference, first_batch(instances, vocab), metrics


def reference_step(
    name: str,
    model,
    batch,
    term: Callable[[Any, Dict[str, Any], Dict[str, torch.Tensor]], torch.Tensor],
) -> Dict[str, torch.Tensor]:
    """`loss = clean loss + term(model, batch, clean outputs)`, backpropagated once."""
    model.zero_grad()
    clean = outputs_at(model, batch)
    torch.manual_seed(SEED)
    (clean["loss"] + term(model, batch, clean)).backward()
    return gradients(model)


def assert_same_gradients(actual: Dict[str, torch.Tensor], expected: Dict[str, torch.Tensor]):
    assert actual.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(
            actual[key], expected[key], atol=1e-5, rtol=0, msg=lambda m: f"{key}: {m}"
        )
