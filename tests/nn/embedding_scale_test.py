"""The encoder's embedding unit (relative strengths) and the perturbation ratio."""

import math
from pathlib import Path

import pytest
import torch

from allennlp_robust_xlt.nn.embedding_scale import (
    embedding_unit,
    mean_word_embedding_norm,
    perturbation_ratio,
)
from tests.training.callbacks.helpers import (
    build_model,
    vocabulary,
    word_embeddings,
    xnli_instances,
)


def test_the_mean_norm_leaves_the_padding_row_out():
    layer = torch.nn.Embedding(3, 2, padding_idx=0)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[100.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    assert mean_word_embedding_norm(layer) == pytest.approx(3.0)


def test_the_unit_of_a_model(tiny_xlmr: Path):
    model = build_model(tiny_xlmr, vocabulary(xnli_instances(tiny_xlmr, 8)))
    layer = word_embeddings(model)
    norm = mean_word_embedding_norm(layer)
    assert embedding_unit(model, "absolute", False, "test") == 1.0
    assert embedding_unit(model, "embedding_norm", False, "test") == pytest.approx(norm)
    per_coordinate = embedding_unit(model, "embedding_norm", True, "test")
    assert per_coordinate == pytest.approx(norm / math.sqrt(layer.embedding_dim))
    with torch.no_grad():
        layer.weight.mul_(10.0)  # an encoder with 10 times larger embeddings: 10 times the unit
    assert embedding_unit(model, "embedding_norm", False, "test") == pytest.approx(10 * norm)


def test_the_ratio_is_per_example_over_real_tokens():
    embeddings = torch.zeros(2, 3, 2)
    embeddings[0, :2] = torch.tensor([[3.0, 4.0], [0.0, 0.0]])  # norm 5
    embeddings[1, :1] = torch.tensor([[1.0, 0.0]])  # norm 1
    embeddings[1, 2] = 1000.0  # padding: left out
    mask = torch.tensor([[True, True, False], [True, False, False]])
    delta = torch.zeros(2, 3, 2)
    delta[0, 0, 0] = 0.5  # 0.5 / 5
    delta[1, 0, 1] = 0.3  # 0.3 / 1
    delta[1, 2] = 50.0  # padding: left out
    assert perturbation_ratio(delta, embeddings, mask) == pytest.approx((0.1 + 0.3) / 2)
    assert perturbation_ratio(delta, embeddings, torch.zeros(2, 3, dtype=torch.bool)) is None
