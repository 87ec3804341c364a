"""Model directories with `model.safetensors` only load wherever the plugin takes a model."""

import json
import shutil
from pathlib import Path
from typing import Dict

import pytest
import torch
from allennlp.common import cached_transformers
from allennlp.models.archival import load_archive
from allennlp.modules.token_embedders import PretrainedTransformerEmbedder
from safetensors.torch import save_file
from transformers import AutoModel, AutoTokenizer, BertForSequenceClassification, PreTrainedModel

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.safetensors_loading import (
    install_safetensors_loading,
    safetensors_files,
)
from allennlp_robust_xlt.retrieval.sentence_encoder import find_transformer, load_sentence_encoder
from allennlp_robust_xlt.testing.cli import comma_list, run_allennlp
from allennlp_robust_xlt.testing.tiny_transformers import convert_to_safetensors
from tests import CONFIGS_ROOT, XTREME_DATA

SENTENCES = ["The doctor gave him advice.", "Der Arzt gab ihm einen Rat.", "狗在睡觉。"]


def safetensors_copy(model_dir: Path, target: Path) -> Path:
    """A copy of `model_dir` whose weights are `model.safetensors` alone."""
    shutil.copytree(model_dir, target)
    convert_to_safetensors(target)
    return target


def assert_same_weights(first: torch.nn.Module, second: torch.nn.Module) -> None:
    first_state, second_state = first.state_dict(), second.state_dict()
    assert list(first_state) == list(second_state)
    for name, tensor in first_state.items():
        assert torch.equal(tensor, second_state[name]), name


def outputs(model_dir: Path, model: torch.nn.Module) -> torch.Tensor:
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        return model.eval()(**batch).last_hidden_state


def test_safetensors_only_directory_loads_the_same_model(tiny_transformer: Path, tmp_path: Path):
    converted = safetensors_copy(tiny_transformer, tmp_path / "model")
    assert sorted(path.name for path in converted.glob("*.safetensors")) == ["model.safetensors"]
    assert not (converted / "pytorch_model.bin").exists()
    assert safetensors_files(converted) == [converted / "model.safetensors"]
    assert safetensors_files(tiny_transformer) is None  # pytorch_model.bin: transformers' own

    original = AutoModel.from_pretrained(str(tiny_transformer), add_pooling_layer=False)
    loaded = AutoModel.from_pretrained(str(converted), add_pooling_layer=False)
    assert type(loaded) is type(original) and not loaded.training
    assert_same_weights(original, loaded)
    assert torch.equal(outputs(converted, loaded), outputs(tiny_transformer, original))
    # As from pytorch_model.bin, the config names the directory (AllenNLP and the retrieval
    # encoder take the tokenizer from it).
    assert loaded.config.name_or_path == str(converted)
    # A path object, and the config read from the directory when none is given.
    again = type(loaded).from_pretrained(converted, add_pooling_layer=False)
    assert again.config.name_or_path == str(converted)
    assert_same_weights(again, loaded)


def test_base_model_prefixes_and_loading_info_match_pytorch_weights(
    tiny_bert: Path, tmp_path: Path
):
    # A task model's checkpoint ("bert." keys and a classifier) and a base model's ("embeddings."
    # keys), each loaded into the other kind, as transformers loads pytorch_model.bin.
    task_bin = tmp_path / "task_bin"
    torch.manual_seed(0)
    BertForSequenceClassification.from_pretrained(str(tiny_bert), num_labels=3).save_pretrained(
        str(task_bin)
    )
    task_safe = safetensors_copy(task_bin, tmp_path / "task_safe")
    base_safe = safetensors_copy(tiny_bert, tmp_path / "base_safe")
    for bin_dir, safe_dir, model_class, kwargs in (
        (task_bin, task_safe, AutoModel, {"add_pooling_layer": False}),
        (tiny_bert, base_safe, BertForSequenceClassification, {"num_labels": 3}),
    ):
        torch.manual_seed(1)  # the weights the checkpoint lacks are initialised alike
        expected, expected_info = model_class.from_pretrained(
            str(bin_dir), output_loading_info=True, **kwargs
        )
        torch.manual_seed(1)
        loaded, info = model_class.from_pretrained(
            str(safe_dir), output_loading_info=True, **kwargs
        )
        assert_same_weights(expected, loaded)
        assert {key: sorted(value) for key, value in info.items()} == {
            key: sorted(value) for key, value in expected_info.items()
        }
    # The prefixes were really translated: the classifier's checkpoint was not used by the base
    # model, the base checkpoint gave the task model no classifier.
    assert (
        "classifier.weight"
        in AutoModel.from_pretrained(str(task_safe), output_loading_info=True)[1]["unexpected_keys"]
    )
    base = AutoModel.from_pretrained(str(tiny_bert), add_pooling_layer=False)
    task = BertForSequenceClassification.from_pretrained(str(base_safe), num_labels=3)
    assert torch.equal(
        task.bert.embeddings.word_embeddings.weight, base.embeddings.word_embeddings.weight
    )


def test_sharded_safetensors_directory(tiny_xlmr: Path, tmp_path: Path):
    sharded = tmp_path / "sharded"
    shutil.copytree(tiny_xlmr, sharded)
    state_dict = torch.load(str(sharded / "pytorch_model.bin"))
    (sharded / "pytorch_model.bin").unlink()
    names = list(state_dict)
    shards = {
        "model-00001-of-00002.safetensors": names[:5],
        "model-00002-of-00002.safetensors": names[5:],
    }
    weight_map = {}
    for shard, keys in shards.items():
        save_file({key: state_dict[key].contiguous() for key in keys}, str(sharded / shard))
        weight_map.update({key: shard for key in keys})
    index = sharded / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    loaded = AutoModel.from_pretrained(str(sharded), add_pooling_layer=False)
    assert_same_weights(AutoModel.from_pretrained(str(tiny_xlmr), add_pooling_layer=False), loaded)

    (sharded / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(InputFileError, match=r"index\.json: names shards that are not there"):
        AutoModel.from_pretrained(str(sharded))
    index.write_text("{}")
    with pytest.raises(InputFileError, match=r"index\.json: is not a safetensors index"):
        AutoModel.from_pretrained(str(sharded))


def test_unreadable_safetensors_file_is_one_line_naming_it(tiny_xlmr: Path, tmp_path: Path):
    broken = safetensors_copy(tiny_xlmr, tmp_path / "broken")
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(InputFileError, match=r"model\.safetensors: cannot be read as safetensors"):
        AutoModel.from_pretrained(str(broken))


def test_installing_twice_wraps_once():
    wrapped = PreTrainedModel.__dict__["from_pretrained"]
    install_safetensors_loading()
    assert PreTrainedModel.__dict__["from_pretrained"] is wrapped


def test_allennlp_embedder_and_cache_load_safetensors(tiny_xlmr: Path, tmp_path: Path):
    converted = safetensors_copy(tiny_xlmr, tmp_path / "model")
    # AllenNLP's embedder adds a pooler, which neither checkpoint has: initialised alike.
    cached_transformers._clear_caches()
    torch.manual_seed(0)
    original = PretrainedTransformerEmbedder(str(tiny_xlmr))
    cached_transformers._clear_caches()
    torch.manual_seed(0)
    loaded = PretrainedTransformerEmbedder(str(converted))
    assert_same_weights(original.transformer_model, loaded.transformer_model)
    cached_transformers._clear_caches()


def test_sentence_encoder_of_retrieval_and_alignment(tiny_transformer: Path, tmp_path: Path):
    converted = safetensors_copy(tiny_transformer, tmp_path / "model")
    expected = load_sentence_encoder(str(tiny_transformer)).embed(SENTENCES)
    encoder = load_sentence_encoder(str(converted))
    assert encoder.source == str(converted)
    torch.testing.assert_close(encoder.embed(SENTENCES), expected, rtol=0, atol=0)


def train(model_dir: Path, serialization_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XLT_TRANSFORMER", str(model_dir))
    small = json.dumps({"trainer.num_epochs": 1, "data_loader.batch_sampler.batch_size": 8})
    config = str(CONFIGS_ROOT / "xnli_baseline.jsonnet")
    run_allennlp("train", config, "-s", str(serialization_dir), "-o", small)
    return serialization_dir


def test_config_train_evaluate_and_archive(
    tiny_xlmr: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    converted = safetensors_copy(tiny_xlmr, tmp_path / "safetensors_model")
    with_bin = train(tiny_xlmr, tmp_path / "bin", monkeypatch)
    with_safetensors = train(converted, tmp_path / "safetensors", monkeypatch)
    # The same initial weights: the same training, to the last digit.
    metrics: Dict[str, Dict[str, float]] = {
        directory.name: json.loads((directory / "metrics.json").read_text())
        for directory in (with_bin, with_safetensors)
    }
    for key in ("training_loss", "best_validation_accuracy", "best_validation_loss"):
        assert metrics["safetensors"][key] == metrics["bin"][key], key

    archive = with_safetensors / "model.tar.gz"
    inputs = [XTREME_DATA / "xnli" / f"test-{lang}.tsv" for lang in ("en", "de")]
    outputs = [tmp_path / f"metrics-{lang}.json" for lang in ("en", "de")]
    run_allennlp("evaluate", str(archive), comma_list(inputs), "--output-file", comma_list(outputs))
    for output in outputs:
        assert 0.0 <= json.loads(output.read_text())["accuracy"] <= 1.0

    # The archive reloads the fine-tuned transformer (its config and tokenizer from the
    # safetensors-only directory), and the retrieval / alignment encoder takes it from there.
    assert_same_weights(
        find_transformer(load_archive(str(archive)).model, "safetensors"),
        find_transformer(load_archive(str(with_bin / "model.tar.gz")).model, "bin"),
    )
    torch.testing.assert_close(
        load_sentence_encoder(str(archive)).embed(SENTENCES),
        load_sentence_encoder(str(with_bin / "model.tar.gz")).embed(SENTENCES),
        rtol=0,
        atol=0,
    )
