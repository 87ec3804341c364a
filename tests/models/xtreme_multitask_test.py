"""
`xtreme_multitask` (AllenNLP's multitask model with a target task) on the tiny XLM-R model: the
target head serves batches without a task, per-task metrics, and adversarial training on a
batch that mixes two tasks.
"""

import copy
from pathlib import Path
from typing import List

import pytest
import torch
from allennlp.common import Params
from allennlp.data import Batch, Instance, Vocabulary
from allennlp.data.data_loaders import SimpleDataLoader
from allennlp.data.fields import MetadataField
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.models import Model
from allennlp.training import GradientDescentTrainer
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_robust_xlt.common.errors import ParameterError, RobustXltError
from allennlp_robust_xlt.nn.embedding_perturbation import find_word_embedding_layer
from allennlp_robust_xlt.pair_classification.dataset_readers import (
    XtremePawsxReader,
    XtremeXnliReader,
)
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests import XTREME_DATA
from tests.training.callbacks.helpers import GradientRecorder

HIDDEN = 32


def read(model: Path, reader_class, task: str, count: int) -> List[Instance]:
    reader = reader_class(
        tokenizer=PretrainedTransformerTokenizer(str(model), add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(str(model))},
        label_namespace=f"{task}_labels",
        max_instances=count,
    )
    instances = list(reader.read(XTREME_DATA / task / "train-en.tsv"))
    for instance in instances:
        instance.add_field("task", MetadataField(task))
    return instances


def head(task: str) -> dict:
    return {
        "type": "classifier",
        "seq2vec_encoder": {"type": "cls_pooler", "embedding_dim": HIDDEN},
        "feedforward": {
            "input_dim": HIDDEN,
            "num_layers": 1,
            "hidden_dims": HIDDEN,
            "activations": "tanh",
        },
        "label_namespace": f"{task}_labels",
    }


def build(model_path: Path, vocab: Vocabulary, **extra) -> Model:
    torch.manual_seed(0)
    return Model.from_params(
        vocab=vocab,
        params=Params(
            {
                "type": "xtreme_multitask",
                "target_task": "pawsx",
                "predictor": "xtreme_pair_classification",
                "backbone": {
                    "type": "pretrained_transformer",
                    "model_name": str(model_path),
                    "output_token_strings": False,
                },
                "heads": {"pawsx": head("pawsx"), "xnli": head("xnli")},
                "arg_name_mapping": {"backbone": {"tokens": "text"}},
                **extra,
            }
        ),
    )


@pytest.fixture()
def mixed(tiny_xlmr: Path):
    """Four PAWS-X and four XNLI training pairs, interleaved, the model and its vocabulary."""
    pawsx, xnli = read(tiny_xlmr, XtremePawsxReader, "pawsx", 4), read(
        tiny_xlmr, XtremeXnliReader, "xnli", 4
    )
    instances = [instance for pair in zip(pawsx, xnli) for instance in pair]
    vocab = Vocabulary.from_instances(instances)
    model = build(tiny_xlmr, vocab)
    model.eval()
    return model, vocab, instances


def tensors(instances: List[Instance], vocab: Vocabulary) -> dict:
    batch = Batch(copy.deepcopy(instances))
    batch.index_instances(vocab)
    return batch.as_tensor_dict()


def test_the_target_head_serves_batches_without_a_task(mixed):
    model, vocab, instances = mixed
    pawsx = [instance for instance in instances if instance["task"].metadata == "pawsx"]
    with_task = tensors(pawsx, vocab)
    without = tensors(pawsx, vocab)
    del without["task"]
    first, second = model(**with_task), model(**without)
    assert torch.equal(first["loss"], second["loss"])
    assert torch.equal(second["probs"], second["pawsx_probs"])
    assert set(model.get_metrics(reset=True)) == {"accuracy"}
    assert vocab.get_token_to_index_vocabulary("pawsx_labels").keys() == {"0", "1"}
    assert model._label_namespace == "pawsx_labels"
    results = model.per_example_results(without, second)
    predicted = second["probs"].argmax(-1).tolist()
    labels = vocab.get_index_to_token_vocabulary("pawsx_labels")
    assert [result["prediction"] for result in results] == [labels[i] for i in predicted]
    assert all(result["language"] == "en" for result in results)


def test_a_mixed_batch_sums_the_heads_losses_and_names_their_metrics(mixed):
    model, vocab, instances = mixed
    outputs = model(**tensors(instances, vocab))
    assert "probs" not in outputs  # not a batch of the target task alone
    separate = [
        model(**tensors([i for i in instances if i["task"].metadata == task], vocab))["loss"]
        for task in ("pawsx", "xnli")
    ]
    assert outputs["loss"].item() == pytest.approx(sum(loss.item() for loss in separate), abs=1e-5)
    model.get_metrics(reset=True)
    model(**tensors(instances, vocab))
    assert set(model.get_metrics(reset=True)) == {"accuracy", "xnli_accuracy"}


def test_a_batch_of_one_task_gives_the_other_head_a_zero_gradient(mixed):
    """Not a missing one: AllenNLP steps zeroed gradients, DDP needs every parameter used."""
    model, vocab, instances = mixed
    model.train()
    xnli = [instance for instance in instances if instance["task"].metadata == "xnli"]
    model(**tensors(xnli, vocab))["loss"].backward()
    pawsx_head = list(model._heads["pawsx"].parameters())
    assert all(p.grad is not None and not p.grad.any() for p in pawsx_head)
    assert all(p.grad is not None and p.grad.any() for p in model._heads["xnli"].parameters())


def test_adversarial_training_perturbs_every_tasks_rows(mixed):
    """PGD on a batch of both tasks: the shared word embeddings of every row are perturbed."""
    model, vocab, instances = mixed
    model.train()
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    passes: List[torch.Tensor] = []
    recorder = GradientRecorder(".")
    callback = AdversarialTrainingCallback(".", method="pgd", epsilon=0.5, alpha=0.2, steps=3)
    trainer = GradientDescentTrainer(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        SimpleDataLoader(instances, 8, vocab=vocab),
        num_epochs=1,
        # The probe's hook comes after the callback's, so it sees the perturbed embeddings.
        callbacks=[callback, DeltaProbe(".", passes), recorder],
    )
    trainer.train()
    # The trainer's pass at the random start, two ascent-only passes, the final training pass.
    assert len(passes) == 4
    tasks = [instance["task"].metadata for instance in instances]
    final = passes[-1]
    norms = final.flatten(1).norm(dim=1)
    assert all(norm > 0 for norm in norms), "a row of the batch was not perturbed"
    assert {task for task, norm in zip(tasks, norms) if norm > 0} == {"pawsx", "xnli"}
    assert all(norm <= 0.5 + 1e-5 for norm in norms)
    # Both heads were trained on the perturbed batch.
    gradients = recorder.gradients[0]
    for task in ("pawsx", "xnli"):
        assert gradients[f"_heads.{task}._classification_layer.weight"].abs().sum() > 0


class DeltaProbe(TrainerCallback):
    """Records what was added to the word embeddings in every training forward pass."""

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


def test_bad_settings_are_one_line(tiny_xlmr: Path, tiny_bert: Path, mixed):
    _, vocab, _ = mixed
    with pytest.raises(ParameterError, match="'target_task' 'udpos' is not one of the heads"):
        build(tiny_xlmr, vocab, target_task="udpos")
    with pytest.raises(RobustXltError, match="readers tokenize for"):
        build(tiny_xlmr, vocab, transformer_model=str(tiny_bert))
