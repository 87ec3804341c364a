"""The `xtreme_transformer_qa` model: per-question answers over windows, loss, metrics."""

from pathlib import Path
from typing import Any, Dict, List

import pytest
import torch
from allennlp.data import Batch, Instance, Vocabulary
from allennlp.modules.text_field_embedders import BasicTextFieldEmbedder
from allennlp.modules.token_embedders import PretrainedTransformerEmbedder
from torch.nn.functional import cross_entropy

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.nn.consistency import output_distributions
from allennlp_robust_xlt.nn.embedding_perturbation import WordEmbeddingPerturbation
from allennlp_robust_xlt.rc.dataset_readers import XtremeSQuADReader
from allennlp_robust_xlt.rc.models import XtremeTransformerQA
from allennlp_robust_xlt.rc.tools import mlqa_evaluation, squad_evaluation
from allennlp_robust_xlt.rc.tools.answer_selection import select_answer
from tests import XTREME_DATA

SMALL = {"max_length": 48, "doc_stride": 16, "max_query_length": 12}
SQUAD_TRAIN = XTREME_DATA / "squad" / "train-v1.1.json"
MLQA_DEV = XTREME_DATA / "mlqa" / "MLQA_V1" / "dev"


def make_model(model_dir: Path, **kwargs: Any) -> XtremeTransformerQA:
    torch.manual_seed(0)
    embedder = BasicTextFieldEmbedder({"tokens": PretrainedTransformerEmbedder(str(model_dir))})
    return XtremeTransformerQA(Vocabulary(), embedder, **kwargs).eval()


def read(model_dir: Path, path: Path) -> List[Instance]:
    reader = XtremeSQuADReader(str(model_dir), **SMALL)
    instances = list(reader.read(str(path)))
    for instance in instances:
        reader.apply_token_indexers(instance)
    return instances


def run(model: XtremeTransformerQA, instances: List[Instance]) -> Dict[str, Any]:
    batch = Batch(instances)
    batch.index_instances(model.vocab)
    with torch.no_grad():
        return model(**batch.as_tensor_dict())


@pytest.fixture(scope="module")
def squad(tiny_models: Dict[str, Path]):
    model = make_model(tiny_models["xlmr"])
    return model, read(tiny_models["xlmr"], SQUAD_TRAIN)


def test_answers_are_chosen_over_each_questions_windows(squad):
    model, instances = squad
    output = run(model, instances)
    starts, ends = output["span_start_logits"], output["span_end_logits"]
    assert starts.shape[:2] == (8, max(len(instance["windows"]) for instance in instances))
    for index, instance in enumerate(instances):
        metadata = instance["metadata"].metadata
        lengths = [len(offsets) for offsets in metadata["offsets"]]
        expected = select_answer(
            metadata["context"],
            [starts[index, w, :n] for w, n in enumerate(lengths)],
            [ends[index, w, :n] for w, n in enumerate(lengths)],
            metadata["offsets"],
            metadata["max_context"],
        )
        answer, start = output["answer"][index], int(output["answer_start"][index])
        assert (answer, start) == (expected.text, expected.start)
        assert metadata["context"][start : start + len(answer)] == answer
        assert output["question_id"][index] == metadata["id"]


def test_a_questions_answer_does_not_depend_on_its_batch(squad):
    """Padding windows and positions never count: alone or batched, the same answer and score."""
    model, instances = squad
    together = run(model, instances)
    for index, instance in enumerate(instances):
        alone = run(model, [instance])
        assert alone["answer"][0] == together["answer"][index]
        assert float(alone["answer_score"][0]) == pytest.approx(
            float(together["answer_score"][index]), abs=1e-4
        )


def test_loss_is_the_mean_cross_entropy_over_windows(squad):
    """XTREME's loss: (CE(start) + CE(end)) / 2 over every window, the first token as gold
    where the answer is not in the window; padding positions are not candidates."""
    model, instances = squad
    batch = Batch(instances[:3])
    batch.index_instances(model.vocab)
    tensors = batch.as_tensor_dict()
    with torch.no_grad():
        output = model(**tensors)
    present = tensors["windows"]["tokens"]["mask"][:, :, 0]
    rows = tensors["windows"]["tokens"]["mask"][present]
    start = output["span_start_logits"][present]
    end = output["span_end_logits"][present]
    gold = tensors["answer_spans"][present]
    losses = []
    for logits, column in ((start, 0), (end, 1)):
        per_row = [
            cross_entropy(logits[r, : int(rows[r].sum())][None], gold[r, column][None])
            for r in range(len(rows))
        ]
        losses.append(torch.stack(per_row).mean())
    assert float(output["loss"]) == pytest.approx(float(sum(losses) / 2), rel=1e-5)
    assert int(present.sum()) == sum(len(instance["windows"]) for instance in instances[:3])


def test_metrics_are_the_official_scores_of_the_answers(squad):
    model, instances = squad
    model.get_metrics(reset=True)
    first = run(model, instances[:5])
    second = run(model, instances[5:])
    predictions = dict(
        zip(first["question_id"] + second["question_id"], first["answer"] + second["answer"])
    )
    expected = squad_evaluation.evaluate_predictions(str(SQUAD_TRAIN), predictions)
    metrics = model.get_metrics(reset=True)
    assert metrics["exact_match"] == pytest.approx(expected["exact_match"], abs=1e-12)
    assert metrics["f1"] == pytest.approx(expected["f1"], abs=1e-12)
    assert {"start_acc", "end_acc"} <= set(metrics)


def test_mlqa_is_scored_with_the_context_languages_rules(tiny_xlmr: Path):
    """German questions on Chinese contexts: MLQA's Chinese normalisation (characters)."""
    model = make_model(tiny_xlmr)
    path = MLQA_DEV / "dev-context-zh-question-de.json"
    output = run(model, read(tiny_xlmr, path))
    predictions = dict(zip(output["question_id"], output["answer"]))
    expected = mlqa_evaluation.evaluate_predictions(str(path), predictions, "zh")
    metrics = model.get_metrics(reset=True)
    assert metrics["f1"] == pytest.approx(expected["f1"], abs=1e-12)
    assert output["f1"] == [
        mlqa_evaluation.f1_score(answer, golds, "zh")
        for answer, golds in zip(output["answer"], [["巴西和秘鲁"], ["约6400公里"], ["1903年"]])
    ]


def test_scoring_a_stripped_file_is_an_error(tiny_xlmr: Path):
    model = make_model(tiny_xlmr)
    path = XTREME_DATA / "mlqa" / "MLQA_V1" / "test" / "test-context-de-question-de.json"
    output = run(model, read(tiny_xlmr, path))
    assert len(output["answer"]) == 3 and output["f1"] == [None] * 3 and "loss" not in output
    with pytest.raises(InputFileError, match=f"^{path}: has no gold answers .* cannot be scored"):
        model.get_metrics()
    assert model.get_metrics() == {"start_acc": 0.0, "end_acc": 0.0}  # and the metric is reset


def test_an_unknown_mlqa_context_language_names_file_and_question(tiny_xlmr: Path, tmp_path: Path):
    renamed = tmp_path / "dev-context-fr-question-de.json"
    renamed.write_text((MLQA_DEV / "dev-context-de-question-de.json").read_text(encoding="utf-8"))
    model = make_model(tiny_xlmr)
    with pytest.raises(InputFileError) as error:
        run(model, read(tiny_xlmr, renamed))
    assert str(error.value) == (
        f"{renamed}: question a5c1f0e2d3b4a5c6d7e8f9a0b1c2d3e4f5a6b7c8: MLQA's evaluation has no"
        " normalisation for the context language 'fr' (it knows en es de ar hi vi zh)"
    )


def test_per_example_results_are_per_question(squad):
    model, instances = squad
    batch = Batch(instances[:4])
    batch.index_instances(model.vocab)
    tensors = batch.as_tensor_dict()
    with torch.no_grad():
        output = model(**tensors)
    results = model.per_example_results(tensors, output)
    assert [result["id"] for result in results] == ["sq-t1", "sq-t2", "sq-t3", "sq-t4"]
    for result, answer in zip(results, output["answer"]):
        assert result["answer"] == answer and result["language"] == "en"
        golds = squad_evaluation.read_gold_answers(str(SQUAD_TRAIN))[result["id"]]
        assert result["f1"] == squad_evaluation.f1_score(answer, golds)
        assert result["exact_match"] == squad_evaluation.exact_match_score(answer, golds)


def test_perturbations_reach_question_and_context_sub_words_never_padding(squad):
    """The word-embedding mechanism of adversarial training and RS-RP on QA windows."""
    model, instances = squad
    batch = Batch([instances[5], instances[0]])  # 1 window and many windows: padded windows
    batch.index_instances(model.vocab)
    tensors = batch.as_tensor_dict()
    perturbation = WordEmbeddingPerturbation(model, record_calls=True)
    with perturbation, torch.enable_grad():
        clean = model(**tensors)
        call = perturbation.take_calls()[0]
        tokens = tensors["windows"]["tokens"]
        present = tokens["mask"][:, :, 0]
        windows = len(instances[5]["windows"]) + len(instances[0]["windows"])
        assert call.input_ids.shape[0] == int(present.sum()) == windows < present.numel()
        assert torch.equal(call.mask, tokens["mask"][present])  # question, context, specials
        delta = torch.ones_like(call.embeddings)
        with perturbation.adding(delta):
            perturbed = model(**tensors)
    assert not torch.allclose(clean["span_start_logits"], perturbed["span_start_logits"])
    window = [token.text for token in instances[5]["windows"][0].tokens]
    assert call.mask[0].sum() == len(window) and not call.mask[0, len(window) :].any()


def test_output_distributions_are_start_and_end_over_real_windows_and_positions(squad):
    model, instances = squad
    instances = sorted(instances, key=lambda instance: len(instance["windows"]))
    batch = Batch([instances[0], instances[-1]])
    batch.index_instances(model.vocab)
    tensors = batch.as_tensor_dict()
    del tensors["answer_spans"]  # a consistency term needs no labels
    with torch.no_grad():
        output = model(**tensors)
    present = tensors["windows"]["tokens"]["mask"][:, :, 0]
    rows = tensors["windows"]["tokens"]["mask"][present]
    assert int(present.sum()) < present.numel()  # the batch has padding windows
    groups = output_distributions(model, output)
    assert len(groups) == 2
    for group, key in zip(groups, ("span_start_logits", "span_end_logits")):
        assert torch.equal(group.class_mask, rows.bool())
        logits = output[key][present]
        for row in range(len(rows)):
            length = int(rows[row].sum())
            expected = torch.log_softmax(logits[row, :length], dim=-1)
            assert torch.allclose(group.log_probs[row, :length], expected, atol=1e-5)
            assert torch.all(group.log_probs[row, length:].exp() == 0)
