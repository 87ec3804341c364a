"""The word-embedding perturbation mechanism and its geometry."""

from pathlib import Path
from types import SimpleNamespace
from typing import Any, List

import pytest
import torch

from allennlp_robust_xlt.common.errors import RobustXltError
from allennlp_robust_xlt.nn.embedding_perturbation import (
    WordEmbeddingCall,
    WordEmbeddingPerturbation,
    ascent_direction,
    example_norms,
    find_word_embedding_layer,
    project_to_ball,
    reference_rows,
    sample_embedding_noise,
    uniform_start,
)
from tests.training.callbacks.helpers import (
    build_model,
    first_batch,
    hooks_left,
    vocabulary,
    word_embeddings,
    xnli_instances,
)


def position_ids(transformer, input_ids: torch.Tensor) -> torch.Tensor:
    if transformer.config.model_type in ("roberta", "xlm-roberta"):
        from transformers.models.roberta.modeling_roberta import create_position_ids_from_input_ids

        return create_position_ids_from_input_ids(input_ids, transformer.config.pad_token_id)
    return torch.arange(input_ids.size(1)).expand_as(input_ids)


class TestWordEmbeddingPerturbation:
    def test_finds_word_embeddings_and_the_batch_mask(self, tiny_transformer: Path):
        instances = xnli_instances(tiny_transformer, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_transformer, vocab).train()
        batch = first_batch(instances, vocab)
        perturbation = WordEmbeddingPerturbation(model, record_calls=True)
        assert perturbation.layer is word_embeddings(model)
        with perturbation:
            model(**batch)
            with torch.no_grad():
                model(**batch)  # not recorded: no gradients, not a training pass
            calls = perturbation.take_calls()
        assert len(calls) == 1 and perturbation.calls == []
        mask = batch["tokens"]["tokens"]["mask"]
        assert not mask.all()  # there is padding
        assert torch.equal(calls[0].mask, mask)
        assert torch.equal(calls[0].input_ids, batch["tokens"]["tokens"]["token_ids"])
        assert calls[0].training
        assert hooks_left(model) == []

    def test_adds_delta_before_position_and_type_embeddings_on_real_tokens_only(
        self, tiny_transformer: Path
    ):
        instances = xnli_instances(tiny_transformer, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_transformer, vocab).eval()
        transformer = model._text_field_embedder._token_embedders["tokens"].transformer_model
        tokens = first_batch(instances, vocab)["tokens"]["tokens"]
        ids, mask = tokens["token_ids"], tokens["mask"]
        type_ids = tokens["type_ids"] if transformer.config.type_vocab_size > 1 else None
        torch.manual_seed(0)
        delta = (
            torch.randn(*ids.shape, transformer.config.hidden_size) * 0.1
        )  # nonzero on padding too

        with WordEmbeddingPerturbation(model) as perturbation, perturbation.adding(delta):
            perturbed = transformer(
                input_ids=ids, attention_mask=mask, token_type_ids=type_ids
            ).last_hidden_state
        embeds = transformer.embeddings.word_embeddings(ids) + delta * mask.unsqueeze(-1)
        expected = transformer(
            inputs_embeds=embeds,
            attention_mask=mask,
            token_type_ids=type_ids,
            position_ids=position_ids(transformer, ids),
        ).last_hidden_state
        torch.testing.assert_close(perturbed, expected, atol=1e-6, rtol=0)
        clean = transformer(
            input_ids=ids, attention_mask=mask, token_type_ids=type_ids
        ).last_hidden_state
        assert (perturbed - clean)[mask].abs().max() > 1e-3

    def test_a_function_sees_each_call_and_may_leave_it_alone(self, tiny_xlmr: Path):
        instances = xnli_instances(tiny_xlmr, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab).train()
        batch = first_batch(instances, vocab)
        seen: List[WordEmbeddingCall] = []

        def noise(call: WordEmbeddingCall) -> Any:
            seen.append(call)
            return (
                torch.randn_like(call.embeddings) if call.training else None
            )  # (a constant would vanish in LayerNorm)

        reference = model(**batch)["logits"]
        with WordEmbeddingPerturbation(model) as perturbation, perturbation.adding(noise):
            trained = model(**batch)["logits"]
            model.eval()
            evaluated = model(**batch)["logits"]
        assert [call.training for call in seen] == [True, False]
        assert not torch.allclose(trained, reference)
        model.train()
        torch.testing.assert_close(evaluated, model.eval()(**batch)["logits"])

    def test_gradients_reach_delta_on_real_tokens_only(self, tiny_xlmr: Path):
        instances = xnli_instances(tiny_xlmr, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)
        batch = first_batch(instances, vocab)
        mask = batch["tokens"]["tokens"]["mask"]
        delta = torch.zeros(*mask.shape, 32, requires_grad=True)
        with WordEmbeddingPerturbation(model) as perturbation, perturbation.adding(delta):
            model(**batch)["loss"].backward()
        assert torch.all(delta.grad[~mask] == 0)
        assert delta.grad[mask].abs().sum() > 0

    def test_reference_rows_count_as_padding_and_are_never_perturbed(self, tiny_xlmr: Path):
        instances = xnli_instances(tiny_xlmr, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab).eval()
        batch = first_batch(instances, vocab)
        mask = batch["tokens"]["tokens"]["mask"]
        references = torch.tensor([False, True] * 4)
        torch.manual_seed(0)
        delta = torch.randn(*mask.shape, 32)  # (a constant would vanish in LayerNorm)
        clean = model(**batch)["logits"]
        with WordEmbeddingPerturbation(model, record_calls=True) as perturbation:
            with reference_rows(references), perturbation.adding(delta), torch.enable_grad():
                perturbed = model(**batch)["logits"]
            (call,) = perturbation.take_calls()
            with (
                reference_rows(torch.tensor([True, False])),
                pytest.raises(
                    RuntimeError,
                    match=r"\(2,\) reference rows declared for a word-embedding call of 8",
                ),
            ):
                model(**batch)
        assert torch.equal(call.mask, mask & ~references.unsqueeze(-1))
        torch.testing.assert_close(perturbed[references], clean[references])
        assert not torch.allclose(perturbed[~references], clean[~references])

    def test_misuse_is_reported(self, tiny_xlmr: Path):
        instances = xnli_instances(tiny_xlmr, 8)
        vocab = vocabulary(instances)
        model = build_model(tiny_xlmr, vocab)
        batch = first_batch(instances, vocab)
        perturbation = WordEmbeddingPerturbation(model)
        with pytest.raises(RuntimeError, match="attach"):
            with perturbation.adding(torch.zeros(1)):
                pass
        with perturbation, perturbation.adding(torch.zeros(1, 2, 3)):
            with pytest.raises(RuntimeError, match="shape"):
                model(**batch)
        assert hooks_left(model) == []

    def test_falls_back_to_get_input_embeddings(self):
        class TinyTransformer(torch.nn.Module):
            config = SimpleNamespace(model_type="tiny")

            def __init__(self) -> None:
                super().__init__()
                self.embed = torch.nn.Embedding(10, 4, padding_idx=0)

            def get_input_embeddings(self) -> torch.nn.Embedding:
                return self.embed

        model = torch.nn.Sequential(TinyTransformer())
        assert find_word_embedding_layer(model) is model[0].embed
        model[0].embed.padding_idx = None
        with pytest.raises(RobustXltError, match="padding_idx"):
            find_word_embedding_layer(model)
        with pytest.raises(RobustXltError, match="found 0 transformer"):
            find_word_embedding_layer(torch.nn.Sequential(torch.nn.Linear(2, 2)))


class TestGeometry:
    def setup_method(self) -> None:
        torch.manual_seed(0)
        self.mask = torch.tensor(
            [[True, True, True, False], [True, False, False, False], [False] * 4]
        )

    def test_projection_bounds_every_row_and_clears_padding(self):
        delta = torch.randn(3, 4, 5) * 10
        l2 = project_to_ball(delta, self.mask, "l2", 0.5)
        assert torch.all(example_norms(l2, "l2") <= 0.5 * (1 + 1e-6))
        torch.testing.assert_close(example_norms(l2, "l2")[:2], torch.tensor([0.5, 0.5]))
        linf = project_to_ball(delta, self.mask, "linf", 0.5)
        assert torch.all(example_norms(linf, "linf") <= 0.5)
        for projected in (l2, linf):
            assert torch.all(projected[~self.mask] == 0)
        small = torch.full((3, 4, 5), 1e-3) * self.mask.unsqueeze(-1)
        assert torch.equal(project_to_ball(small, self.mask, "l2", 0.5), small)  # inside: unchanged

    @pytest.mark.parametrize("kind", ["l2", "linf", "sign"])
    def test_directions_are_never_nan(self, kind: str):
        grad = torch.randn(3, 4, 5)
        grad[0] = 0.0  # zero gradient
        grad[1, 0, 0] = float("nan")  # non-finite on a real token
        grad[2] = float("inf")  # only padding in this row
        direction = ascent_direction(grad, self.mask, kind)
        assert torch.isfinite(direction).all()
        assert torch.all(direction[:2] == 0) and torch.all(direction[2] == 0)
        tiny = torch.full((1, 2, 3), 1e-30)
        unit = ascent_direction(tiny, torch.ones(1, 2, dtype=torch.bool), kind)
        expected = {"l2": 1 / 6**0.5, "linf": 1.0, "sign": 1.0}[kind]
        torch.testing.assert_close(unit, torch.full((1, 2, 3), expected))

    def test_l2_direction_is_the_normalized_gradient_on_real_tokens(self):
        grad = torch.randn(3, 4, 5)
        direction = ascent_direction(grad, self.mask, "l2")
        masked = grad * self.mask.unsqueeze(-1)
        torch.testing.assert_close(
            direction[:2], masked[:2] / masked[:2].flatten(1).norm(dim=1).view(-1, 1, 1)
        )

    @pytest.mark.parametrize("norm", ["l2", "linf"])
    def test_random_start_is_inside_the_ball_and_off_padding(self, norm: str):
        embeddings = torch.zeros(3, 4, 5)
        start = uniform_start(embeddings, self.mask, norm, 0.3)
        assert torch.isfinite(start).all()
        assert torch.all(start[~self.mask] == 0)
        assert torch.all(example_norms(start, norm) <= 0.3)
        assert torch.all(example_norms(start, norm)[:2] > 0)
        if norm == "l2":  # FreeLB's scaling: each real coordinate at most radius / sqrt(n * dim)
            assert start[0].abs().max() <= 0.3 / (3 * 5) ** 0.5

    def test_gaussian_noise_has_the_scale_on_real_tokens_only(self):
        mask = torch.zeros(4, 50, dtype=torch.bool)
        mask[:, :40] = True
        noise = sample_embedding_noise(
            (4, 50, 32), mask, "gaussian", 0.3, torch.Generator().manual_seed(1)
        )
        assert torch.all(noise[~mask] == 0)
        assert abs(float(noise[mask].std()) - 0.3) < 0.01 and abs(float(noise[mask].mean())) < 0.01

    def test_uniform_ball_noise_fills_the_ball(self):
        mask = torch.ones(2000, 2, dtype=torch.bool)
        mask[:, 1] = False  # one real token of 2 coordinates: radius = scale * sqrt(U)
        noise = sample_embedding_noise(
            (2000, 2, 2), mask, "uniform_ball", 2.0, torch.Generator().manual_seed(0)
        )
        assert torch.all(noise[~mask] == 0)
        norms = example_norms(noise, "l2")
        assert torch.all(norms <= 2.0 + 1e-6)
        # Uniform in a disc of radius 2: P(r <= 1) = 1/4.
        assert abs(float((norms <= 1.0).float().mean()) - 0.25) < 0.04
        again = sample_embedding_noise(
            (2000, 2, 2), mask, "uniform_ball", 2.0, torch.Generator().manual_seed(0)
        )
        assert torch.equal(noise, again)
        empty = sample_embedding_noise(
            (2, 3, 4), torch.zeros(2, 3, dtype=torch.bool), "uniform_ball", 1.0
        )
        assert torch.equal(empty, torch.zeros(2, 3, 4))
        with pytest.raises(ValueError, match="unknown noise distribution"):
            sample_embedding_noise((1, 1, 1), torch.ones(1, 1, dtype=torch.bool), "laplace", 1.0)

    def test_half_precision_inputs_are_measured_and_moved_in_float32(self):
        """
        A float16 row of 8 coordinates at 300 has a squared L2 norm of 720000, past float16's
        largest value (65504): computed in float16 its norm is inf and a projection gives NaN.
        The geometry computes in float32 (and returns float32) whatever the dtype under autocast.
        """
        mask = torch.ones(2, 2, dtype=torch.bool)
        big = torch.full((2, 2, 4), 300.0, dtype=torch.float16)
        assert torch.isinf((big.float() ** 2).sum().half())  # the overflow the test is about
        expected_norm = (8 * 300.0**2) ** 0.5
        norms = example_norms(big, "l2")
        assert norms.dtype == torch.float32
        torch.testing.assert_close(norms, torch.full((2,), expected_norm))
        projected = project_to_ball(big, mask, "l2", 1.0)
        assert projected.dtype == torch.float32 and torch.isfinite(projected).all()
        torch.testing.assert_close(example_norms(projected, "l2"), torch.ones(2))
        torch.testing.assert_close(projected, torch.full((2, 2, 4), 1.0 / 8**0.5))
        for kind, value in (("l2", 1.0 / 8**0.5), ("linf", 1.0), ("sign", 1.0)):
            direction = ascent_direction(big, mask, kind)
            assert direction.dtype == torch.float32
            torch.testing.assert_close(direction, torch.full((2, 2, 4), value))
        start = uniform_start(big, mask, "l2", 1.0)
        assert start.dtype == torch.float32 and torch.all(example_norms(start, "l2") <= 1.0)
        linf = project_to_ball(big, mask, "linf", 0.5)
        assert linf.dtype == torch.float32 and torch.all(linf == 0.5)


def test_the_id_0_padding_of_folded_windows_is_not_real(tiny_xlmr: Path):
    """AllenNLP pads the last folded window with id 0, which is XLM-R's `<s>` (pad id 1)."""
    instances = xnli_instances(tiny_xlmr, 2)
    perturbation = WordEmbeddingPerturbation(build_model(tiny_xlmr, vocabulary(instances)))
    assert perturbation.padding_idx == 1
    ids = torch.tensor([[0, 7, 2, 1, 0, 0], [0, 9, 8, 2, 1, 1]])
    assert perturbation.real_token_mask(ids).tolist() == [
        [True, True, True, False, False, False],
        [True, True, True, True, False, False],
    ]
