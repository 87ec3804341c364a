"""
The `xtreme_multiple_choice` model on the tiny transformers: scores, padding choices,
per-example results, its checks, and the robust callbacks on its `batch x choices` rows.
"""

import os
from pathlib import Path
from typing import List

import pytest
import torch
from allennlp.common import Params
from allennlp.data import Batch, Instance, Vocabulary
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.models import Model

from allennlp_robust_xlt.common.errors import ParameterError, RobustXltError
from allennlp_robust_xlt.nn.consistency import output_distributions
from allennlp_robust_xlt.mc.dataset_readers import XtremeSiqaReader, XtremeXcopaReader
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from allennlp_robust_xlt.training.callbacks.random_perturbation import RandomPerturbationCallback
from tests import XTREME_DATA
from tests.training.callbacks.helpers import (
    EmbeddingProbe,
    hooks_left,
    make_trainer,
    word_embeddings,
)

HIDDEN = 32


def reader_kwargs(model_path: Path) -> dict:
    return {
        "tokenizer": PretrainedTransformerTokenizer(str(model_path), add_special_tokens=False),
        "token_indexers": {"tokens": PretrainedTransformerIndexer(str(model_path))},
    }


def xcopa_instances(model_path: Path, name: str = "train-en.jsonl") -> List[Instance]:
    return list(XtremeXcopaReader(**reader_kwargs(model_path)).read(XTREME_DATA / "xcopa" / name))


def model_params(model_path: Path, **overrides) -> dict:
    params = {
        "type": "xtreme_multiple_choice",
        "transformer_model": str(model_path),
        "text_field_embedder": {
            "token_embedders": {
                "tokens": {
                    "type": "pretrained_transformer",
                    "model_name": str(model_path),
                    "transformer_kwargs": {"add_pooling_layer": False},
                }
            }
        },
        "seq2vec_encoder": {"type": "cls_pooler", "embedding_dim": HIDDEN},
        "scorer": {
            "input_dim": HIDDEN,
            "num_layers": 2,
            "hidden_dims": [HIDDEN, 1],
            "activations": ["tanh", "linear"],
            "dropout": [0.0, 0.0],
        },
    }
    params.update(overrides)
    return params


def build(model_path: Path, vocab: Vocabulary, seed: int = 0, **overrides) -> Model:
    torch.manual_seed(seed)
    return Model.from_params(vocab=vocab, params=Params(model_params(model_path, **overrides)))


def tensors(instances: List[Instance], vocab: Vocabulary) -> dict:
    batch = Batch(instances)
    batch.index_instances(vocab)
    return batch.as_tensor_dict()


def test_scores_loss_and_accuracy(tiny_transformer: Path):
    instances = xcopa_instances(tiny_transformer)
    vocab = Vocabulary.from_instances(instances)
    model = build(tiny_transformer, vocab).eval()
    batch = tensors(instances, vocab)
    assert batch["alternatives"]["tokens"]["token_ids"].shape[:2] == (8, 2)
    output = model(**batch)
    assert output["logits"].shape == output["probs"].shape == (8, 2)
    assert torch.allclose(output["probs"].sum(-1), torch.ones(8))
    gold = batch["correct_alternative"].view(-1)
    expected_loss = torch.nn.functional.cross_entropy(output["logits"], gold)
    assert torch.allclose(output["loss"], expected_loss)
    accuracy = (output["logits"].argmax(-1) == gold).float().mean().item()
    assert model.get_metrics(reset=True) == {"accuracy": pytest.approx(accuracy)}
    # One pair per choice, scored on its own: a choice's score does not depend on the others.
    alone = model(**tensors(instances[:1], vocab))["logits"]
    assert torch.allclose(alone, output["logits"][:1], atol=1e-5)


def test_padding_choices_never_win(tiny_xlmr: Path):
    """A batch that mixes 3-choice SIQA and 2-choice COPA examples pads the latter's choices."""
    siqa = list(
        XtremeSiqaReader(**reader_kwargs(tiny_xlmr)).read(
            XTREME_DATA / "siqa" / "socialIQa_v1.4_dev.jsonl"
        )
    )
    instances = siqa[:2] + xcopa_instances(tiny_xlmr, "val-en.jsonl")[:2]
    vocab = Vocabulary.from_instances(instances)
    model = build(tiny_xlmr, vocab).eval()
    output = model(**tensors(instances, vocab))
    assert output["probs"].shape == (4, 3)
    assert torch.all(output["probs"][2:, 2] == 0) and torch.all(output["probs"][:2, 2] > 0)
    assert torch.isfinite(output["loss"])
    # The consistency objectives compare each example's distribution over its real choices.
    [distributions] = output_distributions(model, output)
    assert torch.equal(distributions.class_mask, output["probs"] > 0)
    assert torch.allclose(distributions.log_probs.exp(), output["probs"], atol=1e-6)


def test_per_example_results(tiny_xlmr: Path):
    instances = xcopa_instances(tiny_xlmr, "val-et.jsonl") + xcopa_instances(
        tiny_xlmr, "test-en.jsonl"
    )
    vocab = Vocabulary.from_instances(instances)
    model = build(tiny_xlmr, vocab).eval()
    labelled = tensors(instances[:4], vocab)
    output = model(**labelled)
    results = model.per_example_results(labelled, output)
    predictions = output["probs"].argmax(-1).tolist()
    gold = labelled["correct_alternative"].view(-1).tolist()
    assert results == [
        {"id": str(i + 1), "language": "et", "prediction": p, "label": g, "correct": int(p == g)}
        for i, (p, g) in enumerate(zip(predictions, gold))
    ]
    unlabelled = tensors(instances[4:], vocab)
    results = model.per_example_results(unlabelled, model(**unlabelled))
    assert [set(result) for result in results] == [{"id", "language", "prediction"}] * 2


def test_bad_heads_are_parameter_errors(tiny_xlmr: Path):
    vocab = Vocabulary()
    scorer = {"input_dim": HIDDEN, "num_layers": 1, "hidden_dims": 2, "activations": "linear"}
    with pytest.raises(ParameterError, match="'scorer' must end in one unit"):
        build(tiny_xlmr, vocab, scorer=scorer)
    scorer = {"input_dim": 16, "num_layers": 1, "hidden_dims": 1, "activations": "linear"}
    with pytest.raises(
        ParameterError, match="'scorer.input_dim' is 16, but the seq2vec encoder gives 32"
    ):
        build(tiny_xlmr, vocab, scorer=scorer)


def test_the_encoder_must_be_the_readers_transformer(
    tiny_xlmr: Path, tiny_bert: Path, tmp_path: Path
):
    vocab = Vocabulary()
    with pytest.raises(RobustXltError) as error:
        build(tiny_bert, vocab, transformer_model=str(tiny_xlmr))
    assert str(error.value) == (
        f"xtreme_multiple_choice: the encoder is the transformer {str(tiny_bert)!r} but the"
        f" readers tokenize for {str(tiny_xlmr)!r} (XLT_TRANSFORMER); an intermediate archive"
        " (XLT_INTERMEDIATE_ARCHIVE) must have been trained with the same XLT_TRANSFORMER"
    )
    # Another path to the same directory is the same transformer.
    link = tmp_path / "link"
    os.symlink(tiny_xlmr, link)
    build(tiny_xlmr, vocab, transformer_model=str(link))


# -- the robust callbacks on multiple-choice batches ---------------------------------------------


def train_with(model_path: Path, tmp: Path, callback) -> tuple:
    instances = xcopa_instances(model_path)
    vocab = Vocabulary.from_instances(instances)
    model = build(model_path, vocab)
    probe = EmbeddingProbe(str(tmp))
    torch.manual_seed(0)
    make_trainer(model, instances, vocab, [callback, probe], batch_size=4).train()
    assert hooks_left(model) == []
    return model, probe


def test_fgm_ball_is_per_example_and_choice(tiny_transformer: Path, tmp_path: Path):
    """
    The word-embedding layer sees `batch x choices` rows; FGM's L2 step has length epsilon in
    each row, that is per (example, choice) pair, never spread over an example's choices.
    """
    epsilon = 0.3
    callback = AdversarialTrainingCallback(str(tmp_path), method="fgm", epsilon=epsilon)
    model, probe = train_with(tiny_transformer, tmp_path, callback)
    pad = word_embeddings(model).padding_idx
    clean, adversarial = probe.passes[0], probe.passes[1]
    assert clean["ids"].shape[0] == adversarial["ids"].shape[0] == 4 * 2  # 4 examples x 2 choices
    assert torch.all(clean["delta"] == 0)
    delta, padding = adversarial["delta"], adversarial["ids"] == pad
    assert padding.any() and torch.all(delta[padding] == 0)
    rows = delta.flatten(1).norm(dim=1)
    assert torch.allclose(rows, torch.full_like(rows, epsilon), rtol=1e-4)
    per_example = delta.view(4, 2, -1).flatten(1).norm(dim=1)
    assert torch.allclose(per_example, torch.full_like(per_example, epsilon * 2**0.5), rtol=1e-4)


def test_pgd_stays_in_each_rows_ball(tiny_xlmr: Path, tmp_path: Path):
    callback = AdversarialTrainingCallback(
        str(tmp_path), method="pgd", steps=2, epsilon=0.2, alpha=0.15
    )
    model, probe = train_with(tiny_xlmr, tmp_path, callback)
    pad = word_embeddings(model).padding_idx
    assert probe.passes and all(p["ids"].shape[0] == 8 for p in probe.passes)
    for record in probe.passes:
        assert torch.all(record["delta"][record["ids"] == pad] == 0)
        assert torch.all(record["delta"].flatten(1).norm(dim=1) <= 0.2 * (1 + 1e-5))


def test_random_perturbation_ball_is_per_example_and_choice(tiny_xlmr: Path, tmp_path: Path):
    scale = 0.5
    callback = RandomPerturbationCallback(str(tmp_path), distribution="uniform_ball", scale=scale)
    model, probe = train_with(tiny_xlmr, tmp_path, callback)
    assert len(probe.passes) == 2
    for record in probe.passes:
        rows = record["delta"].flatten(1).norm(dim=1)
        assert record["ids"].shape[0] == 8 and (rows <= scale + 1e-5).all() and (rows > 0).all()
