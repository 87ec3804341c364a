"""
`free`'s kept perturbation: fitted to each new batch and saved in the checkpoint state (its
training against Shafahi et al.'s Algorithm 1 is tested through the callback in
`tests/training/callbacks/adversarial_training_free_test.py`).
"""

import pytest
import torch

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.embedding_perturbation import WordEmbeddingCall
from allennlp_robust_xlt.training.adversarial_methods import build_method


def call(rows: int, length: int, real: int) -> WordEmbeddingCall:
    mask = torch.zeros(rows, length, dtype=torch.bool)
    mask[:, :real] = True
    return WordEmbeddingCall(
        input_ids=torch.ones(rows, length, dtype=torch.long),
        mask=mask,
        embeddings=torch.zeros(rows, length, 2),
        training=True,
    )


def test_the_kept_perturbation_is_cut_padded_masked_and_projected():
    free = build_method("free", {"epsilon": 1.0, "replays": 2})
    assert free.keeps_perturbation and free.alpha == 1.0 and not free.reports_clean_loss
    assert torch.equal(free.trainer_pass_delta(call(2, 3, 3), 0), torch.zeros(2, 3, 2))
    free.kept[0] = torch.full((1, 4, 2), 0.4)  # 1 row of 4 tokens, norm 0.8 * sqrt(2)
    fitted = free.trainer_pass_delta(call(2, 3, 2), 0)
    assert fitted.shape == (2, 3, 2)
    assert fitted[1].abs().sum() == 0 and fitted[0, 2].abs().sum() == 0  # new row, padding
    assert float(fitted[0].norm()) == pytest.approx(0.8)  # 4 coordinates of 0.4, in the ball
    free.kept[0] = torch.full((1, 4, 2), 3.0)
    assert float(free.trainer_pass_delta(call(1, 4, 4), 0).norm()) == pytest.approx(1.0)


def test_the_state_round_trips():
    free = build_method("free", {"epsilon": 0.5})
    free.kept = {0: torch.ones(1, 2, 2), 1: torch.zeros(2, 1, 2)}
    again = build_method("free", {"epsilon": 0.5})
    again.load_state_dict(free.state_dict())
    assert again.kept.keys() == {0, 1} and torch.equal(again.kept[0], torch.ones(1, 2, 2))


@pytest.mark.parametrize(
    "parameters, parameter",
    [({"replays": 0}, "replays"), ({"adversarial_weight": 0.5}, "adversarial_weight")],
)
def test_bad_parameters(parameters, parameter):
    with pytest.raises(ParameterError) as error:
        build_method("free", parameters)
    assert error.value.parameter == parameter
