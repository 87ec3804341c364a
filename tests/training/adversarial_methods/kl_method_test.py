"""
`KlMethod.consistency_loss`: the consistency term of r3f, smart and vat on a batch without
labels (what unlabelled target-language text is trained with), on every task family.
"""

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from allennlp.data import Batch

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.embedding_perturbation import WordEmbeddingPerturbation
from allennlp_robust_xlt.nn.model_metrics import model_metrics
from allennlp_robust_xlt.training.adversarial_methods import build_method
from allennlp_robust_xlt.training.adversarial_methods.kl_method import LABEL_FIELDS
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests.rc.models.xtreme_transformer_qa_test import SQUAD_TRAIN, make_model, read
from tests.retrieval.models.dual_encoder_test import model_and_batch
from tests.training.adversarial_methods.kl_helpers import family

METHODS = {
    "r3f": {"epsilon": 0.3},
    "smart": {"norm": "l2", "epsilon": 0.5, "alpha": 0.5, "noise_std": 0.01},
    "vat": {"epsilon": 0.7},
}


def family_batch(name: str, transformer: Path):
    """A model in training mode and a batch of its family (with its labels)."""
    if name in ("pair", "tagging", "mc"):
        model, instances, vocab = family(name, transformer)
        batch = Batch(instances[:4])
        batch.index_instances(vocab)
        return model.train(), batch.as_tensor_dict()
    if name == "qa":
        model = make_model(transformer)
        batch = Batch(read(transformer, SQUAD_TRAIN)[:3])
        batch.index_instances(model.vocab)
        return model.train(), batch.as_tensor_dict()
    model, batch, _ = model_and_batch(transformer, "cls")
    return model.train(), batch.as_tensor_dict()


def consistency(method_name: str, model, batch) -> torch.Tensor:
    method = build_method(method_name, METHODS[method_name])
    trainer = SimpleNamespace(model=model, _pytorch_model=model)
    with WordEmbeddingPerturbation(model, record_calls=True) as perturbation:
        torch.manual_seed(0)
        return method.consistency_loss(trainer, perturbation, batch)


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("name", ["pair", "tagging", "mc", "qa", "dual_encoder"])
def test_the_term_needs_no_labels_on_every_family(tiny_xlmr: Path, method: str, name: str):
    model, batch = family_batch(name, tiny_xlmr)
    for module in model.modules():  # the same passes with and without labels
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    metrics = [dict(vars(metric)) for metric in model_metrics(model)]
    labelled = consistency(method, model, batch)
    unlabelled_batch = {key: value for key, value in batch.items() if key not in LABEL_FIELDS}
    assert len(unlabelled_batch) < len(batch) or name == "dual_encoder"
    unlabelled = consistency(method, model, unlabelled_batch)
    assert torch.isfinite(unlabelled) and float(unlabelled) > 0
    assert float(unlabelled) == pytest.approx(float(labelled), rel=1e-5)
    model.zero_grad()
    unlabelled.backward()
    assert any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in model.parameters())
    # No supervised loss and no metric counted on the unlabelled batch.
    assert [dict(vars(metric)) for metric in model_metrics(model)] == metrics


def test_a_tagging_file_without_tags_trains_the_term(tiny_xlmr: Path):
    """Metadata naming a file would make the tagger refuse training on words without tags."""
    model, batch = family_batch("tagging", tiny_xlmr)
    del batch["tags"]
    assert batch["metadata"][0]["path"].endswith("train-en.tsv")
    assert float(consistency("r3f", model, batch)) > 0


def test_an_unknown_objective_lists_the_kl_methods(tmp_path: Path):
    with pytest.raises(ParameterError) as error:
        AdversarialTrainingCallback(str(tmp_path), method="r4f")
    assert error.value.parameter == "method"
    assert all(name in str(error.value) for name in ("'r3f'", "'smart'", "'vat'"))
    assert "\n" not in str(error.value)
