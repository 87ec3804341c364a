"""
`export_transformer` per task family on the tiny XLM-R: the exported Hugging Face task model,
loaded by plain transformers, computes the archive's outputs on the same sub-word ids.
"""

import json
from pathlib import Path
from typing import Any, Dict

import pytest
import torch
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor
from transformers import (
    AutoModel,
    AutoModelForMultipleChoice,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
)

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.export.transformer_export import export_transformer, task_model
from allennlp_robust_xlt.retrieval.sentence_encoder import find_transformer
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, DATA_ROOT, XTREME_DATA
from tests.conftest import TINY_DIM
from tests.rc.conftest import small_qa_overrides

SMALL = {"trainer.num_epochs": 1, "data_loader.batch_sampler.batch_size": 8}


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory, tiny_xlmr: Path) -> Dict[str, Path]:
    """One tiny archive per family: XNLI (pair), PAN-X (tagging), SQuAD (QA)."""
    root = tmp_path_factory.mktemp("export_archives")
    runs = {
        "pair": ("xnli_baseline", SMALL),
        "tagging": ("panx_baseline", {**SMALL, "data_loader.batch_sampler.batch_size": 4}),
        "qa": ("squad_baseline", small_qa_overrides()),
        "mc": ("xcopa_baseline", {**SMALL, "trainer.num_gradient_accumulation_steps": 1}),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
        patch.setenv("XLT_TRANSFORMER_DIM", str(TINY_DIM))
        patch.setenv("XLT_ENCODER", "")
        patch.setenv("XLT_DATA_DIR", str(XTREME_DATA))
        for family, (config, overrides) in runs.items():
            run_allennlp(
                "train",
                str(CONFIGS_ROOT / f"{config}.jsonnet"),
                "-s",
                str(root / family),
                "-o",
                json.dumps(overrides),
            )
    return {family: root / family / "model.tar.gz" for family in runs}


def tensors(predictor: Predictor, inputs: Dict[str, Any], field: str) -> Dict[str, torch.Tensor]:
    """The sub-word tensors the archive's model sees for `inputs` (the predictor's instance)."""
    instance = predictor._json_to_instance(inputs)
    predictor._dataset_reader.apply_token_indexers(instance)
    instance.index_fields(predictor._model.vocab)
    return instance.as_tensor_dict()[field]["tokens"]


def model_outputs(predictor: Predictor, inputs: Dict[str, Any]) -> Dict[str, Any]:
    """The archive's model's outputs for `inputs` (the predictor's instance)."""
    instance = predictor._json_to_instance(inputs)
    predictor._dataset_reader.apply_token_indexers(instance)
    return predictor._model.forward_on_instance(instance)


def test_pair_classifier(archives: Dict[str, Path], tmp_path: Path):
    result = export_transformer(archives["pair"], tmp_path / "hf")
    assert result.model_class == "XLMRobertaForSequenceClassification"
    hf_model = AutoModelForSequenceClassification.from_pretrained(str(tmp_path / "hf")).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(tmp_path / "hf"))
    archive = load_archive(str(archives["pair"]))
    labels = archive.model.vocab.get_index_to_token_vocabulary("labels")
    assert hf_model.config.id2label == labels
    assert hf_model.config.label2id == {label: index for index, label in labels.items()}
    predictor = Predictor.from_archive(archive)
    pairs = [json.loads(line) for line in (DATA_ROOT / "pairs.jsonl").read_text().splitlines()]
    seen = set()
    for pair in pairs:
        expected = predictor.predict_json(pair)["probs"]
        encoded = tokenizer(pair["premise"], pair["hypothesis"], return_tensors="pt")
        with torch.no_grad():
            probs = torch.softmax(hf_model(**encoded).logits, dim=-1)[0].tolist()
        assert probs == pytest.approx([expected[labels[i]] for i in range(len(probs))], abs=1e-5)
        seen.add(round(probs[0], 6))
    assert len(seen) > 1  # the inputs give different outputs: the comparison is not vacuous


def test_tagger(archives: Dict[str, Path], tmp_path: Path):
    result = export_transformer(archives["tagging"], tmp_path / "hf")
    assert result.model_class == "XLMRobertaForTokenClassification"
    hf_model = AutoModelForTokenClassification.from_pretrained(str(tmp_path / "hf")).eval()
    archive = load_archive(str(archives["tagging"]))
    predictor = Predictor.from_archive(archive)
    sentence = {"sentence": "Angela Merkel besuchte am Montag Paris und Lyon ."}
    indexed = tensors(predictor, sentence, "tokens")
    expected = model_outputs(predictor, sentence)
    with torch.no_grad():
        logits = hf_model(
            input_ids=indexed["token_ids"][None], attention_mask=indexed["wordpiece_mask"][None]
        ).logits[0]
    # The archive tags each word by its first sub-word.
    first = logits[indexed["offsets"][:, 0]]
    assert torch.allclose(first, torch.as_tensor(expected["logits"]), atol=1e-5)
    tags = [hf_model.config.id2label[i] for i in first.argmax(dim=-1).tolist()]
    assert tags == predictor.predict_json(sentence)["tags"]
    assert set(hf_model.config.label2id) >= {"B-PER", "I-LOC", "O"}


def test_question_answering(archives: Dict[str, Path], tmp_path: Path):
    result = export_transformer(archives["qa"], tmp_path / "hf")
    assert result.model_class == "XLMRobertaForQuestionAnswering"
    hf_model = AutoModelForQuestionAnswering.from_pretrained(str(tmp_path / "hf")).eval()
    predictor = Predictor.from_archive(load_archive(str(archives["qa"])))
    question = {
        "question": "Where does the tiny model live?",
        # Long enough for several windows of the tiny config (64 sub-words, stride 32).
        "context": " ".join(["The tiny model lives in a test directory on a small machine."] * 8),
    }
    windows = tensors(predictor, question, "windows")
    expected = model_outputs(predictor, question)
    assert windows["token_ids"].shape[0] > 1
    with torch.no_grad():
        output = hf_model(input_ids=windows["token_ids"], attention_mask=windows["mask"].long())
    mask = windows["mask"]
    for name, logits in (
        ("span_start_logits", output.start_logits),
        ("span_end_logits", output.end_logits),
    ):
        reference = torch.as_tensor(expected[name])[:, : mask.shape[1]]
        assert torch.allclose(logits[mask], reference[mask], atol=1e-5)


def test_multiple_choice(archives: Dict[str, Path], tmp_path: Path):
    result = export_transformer(archives["mc"], tmp_path / "hf")
    assert result.model_class == "XLMRobertaForMultipleChoice"
    hf_model = AutoModelForMultipleChoice.from_pretrained(str(tmp_path / "hf")).eval()
    predictor = Predictor.from_archive(load_archive(str(archives["mc"])))
    lines = (XTREME_DATA / "xcopa" / "test-it.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines[:3]:
        example = json.loads(line)
        pairs = tensors(predictor, example, "alternatives")
        with torch.no_grad():
            logits = hf_model(
                input_ids=pairs["token_ids"][None], attention_mask=pairs["mask"][None].long()
            ).logits[0]
        expected = predictor.predict_json(example)["probs"]
        assert torch.softmax(logits, dim=-1).tolist() == pytest.approx(expected, abs=1e-5)


def test_encoder_only_equals_the_archives_encoder(archives: Dict[str, Path], tmp_path: Path):
    result = export_transformer(archives["pair"], tmp_path / "hf", encoder_only=True)
    assert (result.encoder_only, result.model_class) == (True, "XLMRobertaModel")
    encoder = AutoModel.from_pretrained(str(tmp_path / "hf"), add_pooling_layer=False).eval()
    archive = load_archive(str(archives["pair"]))
    original = find_transformer(archive.model, "archive")
    ids = AutoTokenizer.from_pretrained(str(tmp_path / "hf"))("Der Hund.", return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(encoder(**ids).last_hidden_state, original(**ids).last_hidden_state)


def test_a_head_without_counterpart_is_refused(archives: Dict[str, Path]):
    archive = load_archive(str(archives["pair"]))
    transformer = find_transformer(archive.model, "archive")
    with pytest.raises(
        ParameterError,
        match=r"parameter 'ARCHIVE' holds a xtreme_dual_encoder model, whose head has no exact"
        r" Hugging Face counterpart \(.*\); --encoder-only exports its encoder alone",
    ):
        task_model(torch.nn.Linear(2, 2), transformer, "xtreme_dual_encoder")


def test_output_directory_and_archive_checks(archives: Dict[str, Path], tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ParameterError, match="parameter 'OUT_DIR' .* is not empty: .* --force"):
        export_transformer(archives["pair"], out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    export_transformer(archives["pair"], out, force=True)
    assert not (out / "notes.txt").exists()
    assert (out / "config.json").is_file()
    with pytest.raises(InputFileError, match="not found"):
        export_transformer(tmp_path / "missing.tar.gz", tmp_path / "other")
    (tmp_path / "plain.txt").write_text("not an archive", encoding="utf-8")
    with pytest.raises(InputFileError, match="is not an AllenNLP model archive"):
        export_transformer(tmp_path / "plain.txt", tmp_path / "other")
