"""
Every architecture of the encoder table through the configs and commands, each on its tiny model
(`encoder_models` in tests/conftest.py): `allennlp train` / `evaluate` / `predict` on the pair,
tagging and QA configs (the pair task fast, the other two slow), `xtreme-retrieval` and
`xtreme-alignment` (fast: no training), and the pair archive exported to Hugging Face.
"""

import json
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from allennlp.common import Params
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.encoders import local_model_environment
from allennlp_robust_xlt.export.transformer_export import export_transformer
from allennlp_robust_xlt.testing.cli import comma_list, run_allennlp
from tests import CONFIGS_ROOT, DATA_ROOT, XTREME_DATA
from tests.conftest import ENCODER_STYLES
from tests.rc.conftest import small_qa_overrides

STYLES = list(ENCODER_STYLES)
SMALL = {"trainer.num_epochs": 1, "data_loader.batch_sampler.batch_size": 8}
# What the configs make of each style (pooler of the pair head, sub-module of the embedder).
EXPECTED = {
    "mdeberta": ("cls_pooler", None, {}),
    "xlmr-xl": ("cls_pooler", None, {"add_pooling_layer": False}),
    "mt5": ("bag_of_embeddings", "encoder", {}),
    "labse": ("cls_pooler", None, {"add_pooling_layer": False}),
    "e5": ("bag_of_embeddings", None, {"add_pooling_layer": False}),
}


def use_model(monkeypatch: pytest.MonkeyPatch, model: Path) -> None:
    """The environment a user's shell gives the plugin for `XLT_TRANSFORMER=model`."""
    monkeypatch.setenv("XLT_TRANSFORMER", str(model))
    for name, value in local_model_environment(str(model)).items():
        monkeypatch.setenv(name, value)


def pair_probabilities(predictions: Path) -> List[Dict[str, float]]:
    return [json.loads(line)["probs"] for line in predictions.read_text().splitlines()]


@pytest.mark.parametrize("style", STYLES)
def test_pair_train_evaluate_predict_export(
    style: str,
    encoder_models: Dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
):
    use_model(monkeypatch, encoder_models[style])
    run = tmp_path / "run"
    run_allennlp(
        "train",
        str(CONFIGS_ROOT / "xnli_baseline.jsonnet"),
        "-s",
        str(run),
        "-o",
        json.dumps(SMALL),
    )
    config = json.loads((run / "config.json").read_text())
    embedder = config["model"]["text_field_embedder"]["token_embedders"]["tokens"]
    pooler, sub_module, kwargs = EXPECTED[style]
    assert config["model"]["seq2vec_encoder"]["type"] == pooler
    assert embedder.get("sub_module") == sub_module
    assert embedder["transformer_kwargs"] == kwargs

    archive = run / "model.tar.gz"
    languages = ["de", "zh"]
    outputs = [tmp_path / f"metrics-{language}.json" for language in languages]
    run_allennlp(
        "evaluate",
        str(archive),
        comma_list(XTREME_DATA / "xnli" / f"test-{language}.tsv" for language in languages),
        "--output-file",
        comma_list(outputs),
    )
    for output in outputs:
        assert 0.0 <= json.loads(output.read_text())["accuracy"] <= 1.0
    predictions = tmp_path / "predictions.jsonl"
    run_allennlp(
        "predict", str(archive), str(DATA_ROOT / "pairs.jsonl"), "--output-file", str(predictions)
    )
    probabilities = pair_probabilities(predictions)
    assert len(probabilities) == 8

    exported = tmp_path / "exported"
    if style in ("mt5", "e5"):
        # Mean pooling has no Hugging Face sequence-classification counterpart.
        with pytest.raises(ParameterError, match="xtreme_pair_classifier model, whose head has"):
            export_transformer(archive, exported)
        return
    export_transformer(archive, exported)
    hf_model = AutoModelForSequenceClassification.from_pretrained(str(exported)).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(exported))
    pairs = [json.loads(line) for line in (DATA_ROOT / "pairs.jsonl").read_text().splitlines()]
    for pair, expected in zip(pairs, probabilities):
        encoded = tokenizer(pair["premise"], pair["hypothesis"], return_tensors="pt")
        with torch.no_grad():
            probs = torch.softmax(hf_model(**encoded).logits, dim=-1)[0].tolist()
        labels = [hf_model.config.id2label[index] for index in range(len(probs))]
        assert [expected[label] for label in labels] == pytest.approx(probs, abs=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("style", STYLES)
def test_tagging_and_qa_train_evaluate_predict(
    style: str,
    encoder_models: Dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
):
    use_model(monkeypatch, encoder_models[style])
    for config, overrides, test_file, inputs, key in (
        (
            "panx_baseline",
            {**SMALL, "data_loader.batch_sampler.batch_size": 4},
            XTREME_DATA / "panx" / "test-de.tsv",
            [{"sentence": "Angela Merkel besuchte Paris ."}],
            "tags",
        ),
        (
            "squad_baseline",
            small_qa_overrides(),
            XTREME_DATA / "xquad" / "xquad.de.json",
            [{"question": "Who visited Paris?", "context": "Angela Merkel visited Paris."}],
            "answer",
        ),
    ):
        run = tmp_path / config
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / f"{config}.jsonnet"),
            "-s",
            str(run),
            "-o",
            json.dumps(overrides),
        )
        metrics = tmp_path / f"{config}-metrics.json"
        run_allennlp(
            "evaluate", str(run / "model.tar.gz"), str(test_file), "--output-file", str(metrics)
        )
        assert 0.0 <= json.loads(metrics.read_text())["f1"] <= 100.0
        lines = tmp_path / f"{config}.jsonl"
        lines.write_text("".join(json.dumps(line) + "\n" for line in inputs), encoding="utf-8")
        predictions = tmp_path / f"{config}-predictions.jsonl"
        run_allennlp(
            "predict", str(run / "model.tar.gz"), str(lines), "--output-file", str(predictions)
        )
        assert key in json.loads(predictions.read_text().splitlines()[0])


@pytest.mark.parametrize("style", STYLES)
def test_retrieval_and_alignment(style: str, encoder_models: Dict[str, Path], tmp_path: Path):
    model = str(encoder_models[style])
    run_allennlp(
        "xtreme-retrieval",
        model,
        str(XTREME_DATA),
        "--task",
        "tatoeba",
        "--languages",
        "de",
        "--output-dir",
        str(tmp_path / "retrieval"),
    )
    row = (tmp_path / "retrieval" / "retrieval.csv").read_text().splitlines()[1].split(",")
    # LaBSE: its pooler output of the last layer (2); e5: the mean of the last layer; the
    # others: XTREME's Tatoeba settings (mean, the layer at mBERT's relative depth).
    expected_pooling = {"labse": "pooler"}.get(style, "mean")
    assert row[:3] == ["de", "2" if style in ("labse", "e5") else "1", expected_pooling]
    assert 0.0 <= float(row[3]) <= 100.0
    run_allennlp(
        "xtreme-alignment",
        model,
        str(XTREME_DATA),
        "--task",
        "tatoeba",
        "--languages",
        "de",
        "--output-dir",
        str(tmp_path / "alignment"),
    )
    assert any((tmp_path / "alignment").iterdir())


def test_unknown_model_name_needs_its_size(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XLT_TRANSFORMER", "someone/unknown-encoder")
    monkeypatch.setenv("XLT_TRANSFORMER_DIM", "")
    with pytest.raises(Exception, match="XLT_TRANSFORMER_DIM: unknown hidden size of someone/unk"):
        Params.from_file(str(CONFIGS_ROOT / "xnli_baseline.jsonnet"))
    monkeypatch.setenv("XLT_TRANSFORMER", "google/mt5-base")
    params = Params.from_file(str(CONFIGS_ROOT / "xnli_baseline.jsonnet")).as_dict()
    assert params["model"]["seq2vec_encoder"]["embedding_dim"] == 768
    monkeypatch.setenv("XLT_ENCODER", "no-such-row")
    with pytest.raises(Exception, match="XLT_ENCODER: unknown encoder no-such-row"):
        Params.from_file(str(CONFIGS_ROOT / "xnli_baseline.jsonnet"))


def test_mt5_encoder_exports_alone(
    encoder_models: Dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """mT5's encoder leaves the archive as MT5EncoderModel and embeds as in the archive."""
    from transformers import MT5EncoderModel

    use_model(monkeypatch, encoder_models["mt5"])
    run = tmp_path / "run"
    overrides = {**SMALL, "trainer.num_epochs": 1}
    run_allennlp(
        "train",
        str(CONFIGS_ROOT / "pawsx_baseline.jsonnet"),
        "-s",
        str(run),
        "-o",
        json.dumps(overrides),
    )
    result = export_transformer(run / "model.tar.gz", tmp_path / "exported", encoder_only=True)
    assert result.model_class == "MT5EncoderModel"
    exported = MT5EncoderModel.from_pretrained(str(tmp_path / "exported")).eval()
    archive = load_archive(str(run / "model.tar.gz"))
    embedder = archive.model._text_field_embedder._token_embedders["tokens"]
    ids = AutoTokenizer.from_pretrained(str(tmp_path / "exported"))(
        "Der Hund schläft.", return_tensors="pt"
    )
    with torch.no_grad():
        expected = embedder(ids["input_ids"], ids["attention_mask"].bool())
        actual = exported(**ids).last_hidden_state
    assert torch.allclose(actual, expected, atol=1e-5)
    assert Predictor.from_archive(archive).predict_json({"sentence1": "a", "sentence2": "b"})
