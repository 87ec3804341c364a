import json
from pathlib import Path
from typing import List

import pytest
import torch
from allennlp.data import Vocabulary
from allennlp.models import SimpleTagger
from allennlp.models.heads import ClassifierHead
from allennlp.models.multitask import MultiTaskModel
from allennlp.modules.backbones import PretrainedTransformerBackbone
from allennlp.modules.seq2seq_encoders import PassThroughEncoder
from allennlp.modules.seq2vec_encoders import ClsPooler
from allennlp.modules.text_field_embedders import BasicTextFieldEmbedder
from allennlp.modules.token_embedders import (
    PretrainedTransformerEmbedder,
    PretrainedTransformerMismatchedEmbedder,
)
from transformers import AutoModel, AutoTokenizer

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError, RobustXltError
from allennlp_robust_xlt.retrieval.sentence_encoder import (
    archive_tokenizer,
    default_layer,
    find_transformer,
    identify_encoder,
    load_sentence_encoder,
)
from tests import XTREME_DATA

SENTENCES = [
    "The doctor gave him advice.",
    "Der Arzt gab ihm einen Rat.",
    "A woman is reading a book on the train.",
    '这部电影叫"夏雨"，并且获了奖。',
    "x",
    "",
    "He sold his old bicycle and bought a car, and the children are building a snowman.",
]


def plain_embeddings(model_dir: Path, sentences: List[str], pooling: str) -> torch.Tensor:
    """One sentence at a time, no padding: `hidden_states` pooled by hand, [L + 1, n, dim]."""
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir)).eval()
    rows = []
    for sentence in sentences:
        ids = tokenizer(sentence, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            states = model(input_ids=ids, output_hidden_states=True).hidden_states
        if pooling == "mean":
            rows.append(torch.stack([state[0].mean(dim=0) for state in states]))
        else:
            rows.append(torch.stack([state[0, 0] for state in states]))
    return torch.stack(rows, dim=1)


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_embed_matches_a_plain_forward_pass_at_every_layer(tiny_transformer: Path, pooling: str):
    encoder = load_sentence_encoder(str(tiny_transformer))
    expected = plain_embeddings(tiny_transformer, SENTENCES, pooling)
    for batch_size in (1, 3, 100):  # padded batches, sorted by length, returned in input order
        embeddings = encoder.embed(SENTENCES, pooling=pooling, batch_size=batch_size)
        assert embeddings.shape == (encoder.num_layers + 1, len(SENTENCES), encoder.hidden_size)
        assert embeddings.dtype == torch.float32
        torch.testing.assert_close(embeddings, expected, atol=1e-5, rtol=1e-4)
    some = encoder.embed(SENTENCES, layers=[2, 0], pooling=pooling, batch_size=2)
    torch.testing.assert_close(some, expected[[2, 0]], atol=1e-5, rtol=1e-4)


def test_mean_pooling_includes_special_tokens_and_cls_is_the_first_state(tiny_xlmr: Path):
    encoder = load_sentence_encoder(str(tiny_xlmr))
    ids = encoder.tokenizer("Der Arzt gab ihm einen Rat.", return_tensors="pt")["input_ids"]
    assert (
        ids[0, 0] == encoder.tokenizer.cls_token_id and ids[0, -1] == encoder.tokenizer.sep_token_id
    )
    states = encoder.transformer(input_ids=ids, output_hidden_states=True).hidden_states
    mean = encoder.embed(["Der Arzt gab ihm einen Rat."], layers=[1])[0, 0]
    cls = encoder.embed(["Der Arzt gab ihm einen Rat."], layers=[1], pooling="cls")[0, 0]
    torch.testing.assert_close(mean, states[1][0].mean(dim=0).detach())
    torch.testing.assert_close(cls, states[1][0, 0].detach())


def test_long_sentences_are_truncated_to_the_model_limit(tiny_xlmr: Path):
    encoder = load_sentence_encoder(str(tiny_xlmr))
    assert encoder.max_length() == 256  # the tiny model's positions, below XTREME's 512
    assert encoder.max_length(5) == 5
    long = " ".join(["The doctor gave him advice."] * 200)
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_xlmr))
    truncated = tokenizer.decode(tokenizer(long, truncation=True, max_length=7)["input_ids"][1:-1])
    torch.testing.assert_close(
        encoder.embed([long], max_length=7), encoder.embed([truncated], max_length=7)
    )
    assert torch.isfinite(encoder.embed([long])).all()  # 256 sub-words fit the positions


def test_layers_and_settings_are_checked(tiny_xlmr: Path):
    encoder = load_sentence_encoder(str(tiny_xlmr))
    with pytest.raises(ParameterError, match="has 2 layers: use 0 .* to 2"):
        encoder.embed(SENTENCES, layers=[3])
    with pytest.raises(ParameterError, match="pooling"):
        encoder.embed(SENTENCES, pooling="max")
    with pytest.raises(ParameterError, match="batch-size"):
        encoder.embed(SENTENCES, batch_size=0)
    assert encoder.embed([], layers=[1]).shape == (1, 0, 32)


def test_default_layers_follow_xtreme_for_known_models_and_a_rule_otherwise(tiny_xlmr: Path):
    assert default_layer("tatoeba", "bert-base-multilingual-cased", 12) == 8
    assert default_layer("tatoeba", "xlm-roberta-large", 24) == 14
    assert default_layer("bucc2018", "xlm-roberta-large", 24) == 8
    assert default_layer("bucc2018", "bert-base-multilingual-cased", 12) == 8
    assert default_layer("tatoeba", None, 12) == 8  # e.g. xlm-roberta-base
    assert default_layer("tatoeba", None, 24) == 16
    assert default_layer("bucc2018", None, 2) == 1
    encoder = load_sentence_encoder(str(tiny_xlmr))
    assert encoder.known_as is None and encoder.default_layer("tatoeba") == 1

    class Config:
        _name_or_path = "/models/my-copy"
        model_type, vocab_size, num_hidden_layers, hidden_size = "xlm-roberta", 250002, 24, 1024

    assert identify_encoder(Config()) == "xlm-roberta-large"  # a local copy, by its shape
    Config._name_or_path = "bert-base-multilingual-cased"
    assert identify_encoder(Config()) == "bert-base-multilingual-cased"


def test_loading_errors_are_one_clear_line(tmp_path: Path, tiny_xlmr: Path):
    with pytest.raises(RobustXltError, match="'no-such-org/no-such-model'.*local model directory"):
        load_sentence_encoder("no-such-org/no-such-model")
    with pytest.raises(InputFileError, match="has no config.json"):
        load_sentence_encoder(str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(InputFileError, match="not a transformer model directory"):
        load_sentence_encoder(str(tmp_path))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text(json.dumps({"model": {}, "dataset_reader": {}}))
    with pytest.raises(InputFileError, match="AllenNLP run directory.*model.tar.gz"):
        load_sentence_encoder(str(run_dir))
    not_archive = tmp_path / "model.tar.gz"
    not_archive.write_text("not a tar file")
    with pytest.raises(InputFileError, match="neither an AllenNLP model archive"):
        load_sentence_encoder(str(not_archive))
    with pytest.raises(InputFileError, match="not found"):
        load_sentence_encoder(str(tmp_path / "missing" / "model.tar.gz"))


def test_find_transformer_in_classifier_tagger_and_multitask_models(tiny_xlmr: Path):
    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(["a", "b"], "labels")
    name = str(tiny_xlmr)
    matched = PretrainedTransformerEmbedder(name)
    classifier = torch.nn.ModuleDict(
        {"embedder": BasicTextFieldEmbedder({"tokens": matched}), "head": torch.nn.Linear(32, 2)}
    )
    assert find_transformer(classifier, "x") is matched.transformer_model

    mismatched = PretrainedTransformerMismatchedEmbedder(name)
    tagger = SimpleTagger(
        vocab, BasicTextFieldEmbedder({"tokens": mismatched}), PassThroughEncoder(32)
    )
    assert find_transformer(tagger, "x") is mismatched._matched_embedder.transformer_model

    backbone = PretrainedTransformerBackbone(vocab, name)
    multitask = MultiTaskModel(
        vocab, backbone, {"task": ClassifierHead(vocab, ClsPooler(32), num_labels=2)}
    )
    assert find_transformer(multitask, "x") is backbone._embedder.transformer_model

    with pytest.raises(RobustXltError, match="x: the archive's model holds 2 transformers"):
        find_transformer(torch.nn.ModuleList([matched, PretrainedTransformerEmbedder(name)]), "x")
    with pytest.raises(RobustXltError, match="holds no Hugging Face transformer"):
        find_transformer(torch.nn.Linear(2, 2), "x")
    # The same transformer reached twice (shared) is one transformer.
    assert (
        find_transformer(torch.nn.ModuleList([matched, matched]), "x") is matched.transformer_model
    )


def test_archive_tokenizer_comes_from_the_config():
    config = {
        "dataset_reader": {
            "tokenizer": {
                "type": "pretrained_transformer",
                "model_name": "m",
                "tokenizer_kwargs": {"k": 1},
            },
            "token_indexers": {"tokens": {"type": "pretrained_transformer", "model_name": "m"}},
        },
        "model": {"text_field_embedder": {"token_embedders": {"tokens": {"model_name": "m"}}}},
    }
    assert archive_tokenizer(config, "a") == ("m", {"k": 1})
    assert archive_tokenizer({"model": {"type": "x"}}, "a") == (None, {})
    config["model"]["transformer_model"] = "other"
    with pytest.raises(RobustXltError, match="several transformers \\(m, other\\)"):
        archive_tokenizer(config, "a")


def test_fixture_corpus_is_what_the_tiny_tokenizers_know():
    """The retrieval fixtures are not `.tsv`: they do not change the tiny models' tokenizers."""
    assert not list((XTREME_DATA / "tatoeba").glob("*.tsv"))
    assert not list((XTREME_DATA / "bucc2018").glob("*.tsv"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without a GPU")
def test_a_missing_gpu_is_a_parameter_error(tiny_xlmr: Path):
    with pytest.raises(ParameterError, match="--cuda-device"):
        load_sentence_encoder(str(tiny_xlmr), cuda_device=0)


def test_sub_words_are_those_of_xtremes_prepare_batch(tiny_transformer: Path):
    """
    XTREME (`evaluate_retrieval.py`: `tokenize_text`, `prepare_batch`) uses the slow tokenizer:
    `[cls] + tokenizer.tokenize(line.strip())[: max_length - 2] + [sep]`.
    """
    from transformers import BertTokenizer, XLMRobertaTokenizer

    slow_class = XLMRobertaTokenizer if "xlmr" in tiny_transformer.name else BertTokenizer
    slow = slow_class.from_pretrained(str(tiny_transformer))
    encoder = load_sentence_encoder(str(tiny_transformer))
    lines = [
        line.strip()
        for path in sorted((XTREME_DATA / "tatoeba").iterdir())
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    for max_length in (512, 9):
        expected = [
            slow.convert_tokens_to_ids(
                [slow.cls_token] + slow.tokenize(line)[: max_length - 2] + [slow.sep_token]
            )
            for line in lines
        ]
        got = encoder.tokenize(lines, encoder.max_length(max_length))
        assert [list(ids) for ids in got] == expected


def test_labse_embeds_by_its_pooler_l2_normalised(encoder_models):
    encoder = load_sentence_encoder(encoder_models["labse"])
    assert encoder.encoder.key == "setu4993/LaBSE" and encoder.has_pooler
    assert encoder.default_pooling("tatoeba") == "pooler"
    assert encoder.default_layer("tatoeba") == encoder.num_layers
    sentences = ["Der Hund schläft.", "The cat sat on the mat."]
    embedded = encoder.embed(sentences, pooling="pooler", role="query")
    assert embedded.shape == (1, 2, 32)
    ids = encoder.tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        pooled = encoder.transformer(**ids).pooler_output
    expected = torch.nn.functional.normalize(pooled, dim=-1)
    assert torch.allclose(embedded[0], expected, atol=1e-6)
    with pytest.raises(ParameterError, match="must be the last layer"):
        encoder.embed(sentences, layers=[1], pooling="pooler")


def test_e5_prefixes_queries_and_passages(encoder_models):
    encoder = load_sentence_encoder(encoder_models["e5"])
    assert encoder.encoder.key == "intfloat/multilingual-e5-base"
    assert encoder.default_pooling("bucc2018") == "mean"  # not XTREME's cls
    last = [encoder.num_layers]
    passage = encoder.embed(["Der Hund schläft."], last, "mean", role="passage")[0, 0]
    query = encoder.embed(["Der Hund schläft."], last, "mean", role="query")[0, 0]
    plain = encoder.embed(["passage: Der Hund schläft."], last, "mean")[0, 0]
    assert torch.allclose(passage, torch.nn.functional.normalize(plain, dim=-1), atol=1e-6)
    assert not torch.allclose(passage, query, atol=1e-3)


def test_mt5_is_loaded_as_its_encoder(encoder_models):
    encoder = load_sentence_encoder(encoder_models["mt5"])
    assert type(encoder.transformer).__name__ == "MT5EncoderModel"
    assert encoder.default_pooling("bucc2018") == "mean"  # no [CLS]
    assert encoder.embed(["Der Hund schläft."], pooling="mean").shape == (3, 1, 32)


def test_an_e5_archive_is_embedded_as_it_was_fine_tuned(
    encoder_models, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """No prefixes (its readers added none) and the mean its heads pooled by."""
    from allennlp_robust_xlt.testing.cli import run_allennlp
    from tests import CONFIGS_ROOT

    monkeypatch.setenv("XLT_TRANSFORMER", str(encoder_models["e5"]))
    monkeypatch.setenv("XLT_ENCODER", "intfloat/multilingual-e5-base")
    run_allennlp(
        "train",
        str(CONFIGS_ROOT / "pawsx_baseline.jsonnet"),
        "-s",
        str(tmp_path / "run"),
        "-o",
        json.dumps({"trainer.num_epochs": 1, "data_loader.batch_sampler.batch_size": 16}),
    )
    encoder = load_sentence_encoder(tmp_path / "run" / "model.tar.gz")
    assert encoder.encoder.key == "intfloat/multilingual-e5-base"
    assert encoder.own_embedding() is None
    assert encoder.default_pooling("bucc2018") == "mean"
    with_role = encoder.embed(["Der Hund."], pooling="mean", role="query")
    assert torch.equal(with_role, encoder.embed(["Der Hund."], pooling="mean"))
