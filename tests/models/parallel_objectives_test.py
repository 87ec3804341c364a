"""
`parallel_objectives` on the tiny XLM-R pair classifier: the task loss unchanged, the alignment
and consistency objectives against the published formulas written out here (XeroAlign's mean
squared difference, InfoNCE over the batch, xTune's symmetric KL with `F.kl_div`'s mean), one
transformer call per parallel batch, and what the embedding-perturbation callbacks perturb.
"""

import copy
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import torch
from allennlp.common import Params
from allennlp.data import Batch, Instance, TextFieldTensors, Vocabulary
from allennlp.data.data_loaders import SimpleDataLoader
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.models import Model
from allennlp.modules.text_field_embedders import BasicTextFieldEmbedder
from allennlp.modules.token_embedders import PretrainedTransformerEmbedder
from allennlp.training import GradientDescentTrainer
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.common.errors import ParameterError, RobustXltError
from allennlp_robust_xlt.data.dataset_readers.parallel_sentences import ParallelSentencesReader
from allennlp_robust_xlt.models.parallel_objectives import ParallelObjectives
from allennlp_robust_xlt.nn.embedding_perturbation import find_word_embedding_layer
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from allennlp_robust_xlt.training.callbacks.random_perturbation import RandomPerturbationCallback
from tests import DATA_ROOT
from tests.tagging.helpers import reader_and_model
from tests.tagging.helpers import tensors as tagging_tensors
from tests.training.callbacks.helpers import GradientRecorder, build_model, xnli_instances

SENTENCES = DATA_ROOT / "parallel" / "sentences"
PAWSX_TRANSLATIONS = DATA_ROOT / "parallel" / "pawsx"


def parallel_instances(model_path: Path, path: Path, count: int) -> List[Instance]:
    reader = ParallelSentencesReader(
        tokenizer=PretrainedTransformerTokenizer(str(model_path), add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(str(model_path))},
        max_instances=count,
    )
    return list(reader.read(path))


def tensors(instances: List[Instance], vocab: Vocabulary) -> Dict[str, Any]:
    batch = Batch(copy.deepcopy(instances))
    batch.index_instances(vocab)
    return batch.as_tensor_dict()


def wrap(model: Model, **settings: Any) -> ParallelObjectives:
    return ParallelObjectives(model.vocab, model, **settings)


def encode(wrapper: ParallelObjectives, text: TextFieldTensors) -> torch.Tensor:
    """Mean-pooled last layer of the transformer on one side alone (Hugging Face's own call)."""
    inner = text["tokens"]
    transformer = wrapper._embedder.transformer_model
    hidden = transformer(
        input_ids=inner["token_ids"], attention_mask=inner["mask"].long()
    ).last_hidden_state
    mask = inner["mask"].unsqueeze(-1).float()
    return (hidden * mask).sum(1) / mask.sum(1)


def kl(input_logits: torch.Tensor, target_logits: torch.Tensor) -> torch.Tensor:
    """xTune's KL(input, target): softmax(target) * (log softmax(target) - log softmax(input)), mean."""
    target = torch.softmax(target_logits, -1)
    return (target * (target.log() - torch.log_softmax(input_logits, -1))).mean()


@pytest.fixture()
def setup(tiny_xlmr: Path):
    task = xnli_instances(tiny_xlmr, 8)
    vocab = Vocabulary.from_instances(task)
    model = build_model(tiny_xlmr, vocab, dropout=0.0)
    return model, vocab, task


def test_task_batches_are_the_task_models(setup):
    model, vocab, task = setup
    wrapper = wrap(model, alignment_weight=1.0)
    batch = tensors(task, vocab)
    assert torch.equal(wrapper(**batch, task=["xnli"] * 8)["loss"], model(**batch)["loss"])
    assert wrapper.get_metrics(reset=True).keys() == {"accuracy"}
    assert wrapper.task_predictor == "xtreme_pair_classification"
    assert wrapper._label_namespace == model._label_namespace


@pytest.mark.parametrize("loss", ["infonce", "mse"])
def test_alignment_is_the_published_formula(setup, tiny_xlmr: Path, loss: str):
    model, vocab, _ = setup
    model.eval()
    wrapper = wrap(model, alignment_weight=0.5, alignment_loss=loss, temperature=0.1)
    batch = tensors(parallel_instances(tiny_xlmr, SENTENCES, 6), vocab)
    output = wrapper(**batch)
    u, v = encode(wrapper, batch["parallel_source"]), encode(wrapper, batch["parallel_target"])
    if loss == "mse":
        expected = sum(((u[i] - v[i]) ** 2).sum() for i in range(6)) / (6 * u.size(1))
    else:
        cosine = [
            [torch.dot(u[i], v[j]) / (u[i].norm() * v[j].norm()) for j in range(6)]
            for i in range(6)
        ]
        expected = (
            -sum(
                torch.log(
                    torch.exp(cosine[i][i] / 0.1) / sum(torch.exp(c / 0.1) for c in cosine[i])
                )
                for i in range(6)
            )
            / 6
        )
    assert output["alignment_loss"].item() == pytest.approx(expected.item(), rel=1e-4)
    assert output["loss"].item() == pytest.approx(0.5 * expected.item(), rel=1e-4)
    pairs = [torch.dot(u[i], v[i]) / (u[i].norm() * v[i].norm()) for i in range(6)]
    metrics = wrapper.get_metrics(reset=True)
    assert metrics["alignment_cosine"] == pytest.approx(float(sum(pairs) / 6), rel=1e-4)
    assert "consistency_loss" not in metrics


def test_consistency_is_xtunes_symmetric_kl(setup, tiny_xlmr: Path):
    _, vocab, _ = setup
    # Mean pooling (the tiny random encoder's first token hardly depends on the text).
    model = Model.from_params(
        vocab=vocab,
        params=Params(
            {
                "type": "xtreme_pair_classifier",
                "namespace": "tags",
                "text_field_embedder": {
                    "token_embedders": {
                        "tokens": {"type": "pretrained_transformer", "model_name": str(tiny_xlmr)}
                    }
                },
                "seq2vec_encoder": {"type": "boe", "embedding_dim": 32, "averaged": True},
            }
        ),
    )
    model.eval()
    wrapper = wrap(model, consistency_weight=5.0)
    batch = tensors(parallel_instances(tiny_xlmr, PAWSX_TRANSLATIONS, 4), vocab)
    output = wrapper(**batch)
    english = model(tokens=batch["parallel_source"])["logits"]
    translation = model(tokens=batch["parallel_target"])["logits"]
    expected = kl(translation, english) + kl(english, translation)
    assert expected.item() > 1e-4
    assert output["consistency_loss"].item() == pytest.approx(expected.item(), rel=1e-4)
    assert output["loss"].item() == pytest.approx(5.0 * expected.item(), rel=1e-4)
    assert "alignment_loss" not in output
    # Rows that are single sentences (not task inputs) only serve alignment.
    sentences = tensors(parallel_instances(tiny_xlmr, SENTENCES, 4), vocab)
    both = wrap(model, consistency_weight=5.0, alignment_weight=1.0)
    assert "consistency_loss" not in both(**sentences)


def test_a_parallel_batch_gives_the_head_a_zero_gradient(setup, tiny_xlmr: Path):
    """Not a missing one: AllenNLP steps zeroed gradients, DDP needs every parameter used."""
    model, vocab, _ = setup
    wrapper = wrap(model, alignment_weight=1.0)
    wrapper(**tensors(parallel_instances(tiny_xlmr, SENTENCES, 4), vocab))["loss"].backward()
    head = list(model._feedforward.parameters()) + list(model._classification_layer.parameters())
    assert all(p.grad is not None and not p.grad.any() for p in head)
    assert find_word_embedding_layer(model).weight.grad.any()


def test_one_transformer_call_per_parallel_batch(setup, tiny_xlmr: Path):
    model, vocab, _ = setup
    calls = []
    layer = find_word_embedding_layer(model)
    handle = layer.register_forward_hook(lambda module, inputs, output: calls.append(inputs[0]))
    try:
        for path, settings in (
            (SENTENCES, {"alignment_weight": 1.0}),
            (PAWSX_TRANSLATIONS, {"alignment_weight": 1.0, "consistency_weight": 1.0}),
        ):
            calls.clear()
            wrap(model, **settings)(**tensors(parallel_instances(tiny_xlmr, path, 4), vocab))
            assert len(calls) == 1 and calls[0].size(0) == 8
    finally:
        handle.remove()


class DeltaProbe(TrainerCallback):
    """What was added to the word embeddings in every training forward pass."""

    def __init__(self, serialization_dir: str, passes: List[torch.Tensor]) -> None:
        super().__init__(serialization_dir)
        self.passes = passes

    def on_start(self, trainer, is_primary=True, **kwargs) -> None:  # type: ignore[no-untyped-def]
        def record(module, inputs, output):  # type: ignore[no-untyped-def]
            if torch.is_grad_enabled():
                self.passes.append((output - module.weight[inputs[0]]).detach().clone())

        self.handle = find_word_embedding_layer(trainer.model).register_forward_hook(record)

    def on_end(self, trainer, metrics=None, epoch=None, is_primary=True, **kwargs) -> None:
        self.handle.remove()


def adversarial_step(
    wrapper: ParallelObjectives, instances, vocab, callback: Optional[TrainerCallback]
):
    passes: List[torch.Tensor] = []
    recorder = GradientRecorder(".")
    callbacks = ([callback] if callback else []) + [DeltaProbe(".", passes), recorder]
    GradientDescentTrainer(
        wrapper,
        torch.optim.SGD(wrapper.parameters(), lr=0.0),
        SimpleDataLoader(instances, len(instances), vocab=vocab),
        num_epochs=1,
        callbacks=callbacks,
    ).train()
    return passes, recorder.gradients[0]


def test_parallel_batches_are_clean_unless_the_english_side_is_perturbed(setup, tiny_xlmr: Path):
    model, vocab, _ = setup
    instances = parallel_instances(tiny_xlmr, SENTENCES, 4)
    pgd = dict(method="pgd", epsilon=0.5, alpha=0.2, steps=3)

    # By default the callback leaves parallel batches alone: one clean pass, the clean gradients.
    wrapper = wrap(model, alignment_weight=1.0)
    passes, gradients = adversarial_step(
        wrapper, instances, vocab, AdversarialTrainingCallback(".", **pgd)
    )
    assert len(passes) == 1 and passes[0].abs().max() == 0
    _, clean = adversarial_step(wrap(model, alignment_weight=1.0), instances, vocab, None)
    assert gradients.keys() == clean.keys()
    assert all(torch.allclose(gradients[name], clean[name], atol=1e-6) for name in clean)

    # perturb_english: the English rows are attacked, the translations never touched.
    wrapper = wrap(model, alignment_weight=1.0, perturb_english=True)
    passes, _ = adversarial_step(wrapper, instances, vocab, AdversarialTrainingCallback(".", **pgd))
    assert len(passes) == 4
    norms = passes[-1].flatten(1).norm(dim=1)
    assert all(0 < norm <= 0.5 + 1e-5 for norm in norms[:4])
    assert all(norm == 0 for norm in norms[4:])


@pytest.mark.parametrize("perturb_english", [False, True])
def test_random_perturbation_follows_the_same_rule(setup, tiny_xlmr: Path, perturb_english: bool):
    model, vocab, _ = setup
    instances = parallel_instances(tiny_xlmr, SENTENCES, 4)
    wrapper = wrap(model, alignment_weight=1.0, perturb_english=perturb_english)
    passes, _ = adversarial_step(
        wrapper, instances, vocab, RandomPerturbationCallback(".", scale=0.1)
    )
    (noise,) = passes
    norms = noise.flatten(1).norm(dim=1)
    assert all((norm > 0) == perturb_english for norm in norms[:4])
    assert all(norm == 0 for norm in norms[4:])


class TokenScorer(Model):
    """A model with per-token logits (as a tagger), for the consistency error."""

    def __init__(self, vocab: Vocabulary, model_path: Path) -> None:
        super().__init__(vocab)
        self.embedder = BasicTextFieldEmbedder(
            {"tokens": PretrainedTransformerEmbedder(str(model_path))}
        )
        self.linear = torch.nn.Linear(32, 3)

    def forward(self, tokens: TextFieldTensors) -> Dict[str, torch.Tensor]:  # type: ignore[override]
        logits = self.linear(self.embedder(tokens))
        return {"logits": logits, "loss": logits.sum()}


def test_bad_settings_are_one_line(setup, tiny_xlmr: Path):
    model, vocab, _ = setup
    for settings, message in (
        ({}, "'alignment_weight' or 'consistency_weight' must be positive"),
        ({"alignment_weight": -1.0}, "'alignment_weight' must be a number >= 0, got -1.0"),
        ({"alignment_weight": 1, "alignment_loss": "cosine"}, "'alignment_loss' must be one of"),
        ({"alignment_weight": 1, "pooling": "max"}, "'pooling' must be one of"),
        ({"alignment_weight": 1, "temperature": 0}, "'temperature' must be a number > 0"),
    ):
        with pytest.raises(ParameterError, match=message):
            wrap(model, **settings)
    tagger = TokenScorer(vocab, tiny_xlmr)
    wrapper = wrap(tagger, consistency_weight=1.0)
    batch = tensors(parallel_instances(tiny_xlmr, PAWSX_TRANSLATIONS, 2), vocab)
    with pytest.raises(
        RobustXltError, match=r"needs a model with one prediction per example.*shape \(4, "
    ):
        wrapper(**batch)
    with pytest.raises(ParameterError, match="one pretrained_transformer token embedder; found 0"):
        wrap(Model(vocab), alignment_weight=1.0)


def test_the_tagger_aligns_and_refuses_consistency(tiny_xlmr: Path):
    """The tagging family's model (mismatched embedder with windows of 128 sub-words)."""
    reader, tagger, instances = reader_and_model("udpos", transformer=tiny_xlmr)
    tagger.eval()
    wrapper = wrap(tagger, alignment_weight=1.0, alignment_loss="mse")
    task_batch = tagging_tensors(reader, tagger, instances[:4])
    assert torch.equal(wrapper(**task_batch)["loss"], tagger(**task_batch)["loss"])
    batch = tensors(parallel_instances(tiny_xlmr, SENTENCES, 4), tagger.vocab)
    output = wrapper(**batch)
    u, v = encode(wrapper, batch["parallel_source"]), encode(wrapper, batch["parallel_target"])
    assert output["alignment_loss"].item() == pytest.approx(((u - v) ** 2).mean().item(), rel=1e-4)
    output["loss"].backward()
    assert tagger.tag_projection.weight.grad is not None
    with pytest.raises(RobustXltError, match="needs a model that reads the parallel texts"):
        wrap(tagger, consistency_weight=1.0)(
            **tensors(parallel_instances(tiny_xlmr, PAWSX_TRANSLATIONS, 2), tagger.vocab)
        )


def test_the_qa_model_aligns_and_refuses_consistency(tiny_xlmr: Path):
    """The rc family's model."""
    vocab = Vocabulary()
    qa = Model.from_params(
        vocab=vocab,
        params=Params(
            {
                "type": "xtreme_transformer_qa",
                "text_field_embedder": {
                    "token_embedders": {
                        "tokens": {"type": "pretrained_transformer", "model_name": str(tiny_xlmr)}
                    }
                },
            }
        ),
    )
    qa.eval()
    wrapper = wrap(qa, alignment_weight=1.0, alignment_loss="mse")
    assert "task" not in wrapper._task_arguments and wrapper.task_predictor == qa.default_predictor
    batch = tensors(parallel_instances(tiny_xlmr, SENTENCES, 4), vocab)
    output = wrapper(**batch)
    u, v = encode(wrapper, batch["parallel_source"]), encode(wrapper, batch["parallel_target"])
    assert output["alignment_loss"].item() == pytest.approx(((u - v) ** 2).mean().item(), rel=1e-4)
    output["loss"].backward()
    assert all(p.grad is not None and not p.grad.any() for p in qa._linear_layer.parameters())
    with pytest.raises(RobustXltError, match="needs a model that reads the parallel texts"):
        wrap(qa, consistency_weight=1.0)(
            **tensors(parallel_instances(tiny_xlmr, PAWSX_TRANSLATIONS, 2), vocab)
        )
