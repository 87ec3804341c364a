from pathlib import Path
from typing import Dict

import pytest
import torch
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.data.vocabulary import Vocabulary
from allennlp.modules.token_embedders import PretrainedTransformerEmbedder
from safetensors.torch import load_file
from transformers import AutoConfig

from allennlp_robust_xlt.testing.tiny_transformers import build_tiny_transformer, directory_digest

CORPUS = ["The cat sat on the mat.", "Der Hund schläft im Garten.", "狗在睡觉。", "القطة تجلس"]


@pytest.mark.parametrize("style", ["xlmr", "bert"])
def test_build_is_deterministic(tmp_path: Path, style: str):
    first = build_tiny_transformer(tmp_path / "a", style, CORPUS, vocab_size=120)
    second = build_tiny_transformer(tmp_path / "b", style, CORPUS, vocab_size=120)
    assert directory_digest(first) == directory_digest(second)
    other_seed = build_tiny_transformer(tmp_path / "c", style, CORPUS, vocab_size=120, seed=1)
    assert directory_digest(first) != directory_digest(other_seed)


def test_both_styles_load_through_allennlp(tiny_xlmr: Path, tiny_bert: Path):
    for path, model_type, start, type_vocab in (
        (tiny_xlmr, "xlm-roberta", "<s>", 1),
        (tiny_bert, "bert", "[CLS]", 2),
    ):
        assert AutoConfig.from_pretrained(str(path)).model_type == model_type
        assert AutoConfig.from_pretrained(str(path)).type_vocab_size == type_vocab
        tokenizer = PretrainedTransformerTokenizer(str(path), add_special_tokens=False)
        tokens = tokenizer.add_special_tokens(
            tokenizer.tokenize("Der Hund schläft."), tokenizer.tokenize("狗在睡觉。")
        )
        assert tokens[0].text == start
        indexer = PretrainedTransformerIndexer(str(path))
        indexed = indexer.tokens_to_indices(tokens, Vocabulary())
        embedder = PretrainedTransformerEmbedder(str(path))
        output = embedder(
            torch.tensor([indexed["token_ids"]]),
            torch.tensor([indexed["mask"]]),
            torch.tensor([indexed["type_ids"]]),
        )
        assert output.shape == (1, len(tokens), 32)


@pytest.mark.parametrize("style", ["xlmr", "bert"])
def test_safetensors_option_writes_the_same_weights_as_model_safetensors(
    tmp_path: Path, style: str
):
    from safetensors.torch import load_file

    as_bin = build_tiny_transformer(tmp_path / "bin", style, CORPUS, vocab_size=120)
    as_safetensors = build_tiny_transformer(
        tmp_path / "safetensors", style, CORPUS, vocab_size=120, safetensors=True
    )
    again = build_tiny_transformer(
        tmp_path / "again", style, CORPUS, vocab_size=120, safetensors=True
    )
    assert directory_digest(as_safetensors) == directory_digest(again)
    names = {path.name for path in as_safetensors.iterdir()}
    assert names == {path.name for path in as_bin.iterdir()} - {"pytorch_model.bin"} | {
        "model.safetensors"
    }
    expected = torch.load(str(as_bin / "pytorch_model.bin"))
    written = load_file(str(as_safetensors / "model.safetensors"))
    assert sorted(written) == sorted(expected)
    assert all(torch.equal(written[name], tensor) for name, tensor in expected.items())


@pytest.mark.parametrize("style", ["mdeberta", "xlmr-xl", "mt5", "labse", "e5"])
def test_encoder_styles_are_deterministic(tmp_path: Path, style: str):
    first = build_tiny_transformer(tmp_path / "a", style, CORPUS, vocab_size=120)
    second = build_tiny_transformer(tmp_path / "b", style, CORPUS, vocab_size=120)
    assert directory_digest(first) == directory_digest(second)


def test_encoder_styles_load_through_allennlp(encoder_models: Dict[str, Path]):
    """Each architecture as the configs load it: tokenizer, indexer, embedder (mT5's encoder)."""
    expected = {
        # style: (model_type, first special token, last one, pooler weights saved)
        "mdeberta": ("deberta-v2", "[CLS]", "[SEP]", False),
        "xlmr-xl": ("xlm-roberta-xl", "<s>", "</s>", False),
        "mt5": ("mt5", None, "</s>", False),
        "labse": ("bert", "[CLS]", "[SEP]", True),
        "e5": ("xlm-roberta", "<s>", "</s>", False),
    }
    for style, (model_type, start, end, pooler) in expected.items():
        path = str(encoder_models[style])
        config = AutoConfig.from_pretrained(path)
        assert config.model_type == model_type
        tokenizer = PretrainedTransformerTokenizer(path, add_special_tokens=False)
        tokens = tokenizer.add_special_tokens(
            tokenizer.tokenize("Der Hund schläft."), tokenizer.tokenize("The dog sleeps.")
        )
        assert [t.text for t in tokenizer.single_sequence_start_tokens] == (
            [start] if start else []
        )
        assert tokens[-1].text == end
        weights = load_file(str(encoder_models[style] / "model.safetensors"))
        assert any(name.startswith("pooler.") for name in weights) == pooler
        indexed = PretrainedTransformerIndexer(path).tokens_to_indices(tokens, Vocabulary())
        embedder = PretrainedTransformerEmbedder(
            path, sub_module="encoder" if style == "mt5" else None
        )
        output = embedder(
            torch.tensor([indexed["token_ids"]]), torch.tensor([indexed["mask"]]).bool()
        )
        assert output.shape == (1, len(tokens), 32)
