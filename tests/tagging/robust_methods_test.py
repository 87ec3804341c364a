"""
The robust methods on the tagger: adversarial training and RS-RP perturb the transformer's word
embeddings of its real sub-words (the shared mechanism), RS-DA substitutes whole words one for
one so that every copy keeps one tag per word.
"""

import json
from pathlib import Path

import pytest
import torch
from allennlp.common import Params
from allennlp.data import DatasetReader

from allennlp_robust_xlt.data.synonyms import NeighborTable
from allennlp_robust_xlt.nn.embedding_perturbation import WordEmbeddingPerturbation
from tests import COUNTERFITTED_NEIGHBORS, XTREME_DATA
from tests.tagging.helpers import config, reader_and_model, tensors


def tagger_word_embeddings(model):
    """The word-embedding layer of a tagger: AllenNLP's mismatched embedder wraps a matched one
    (`_matched_embedder`), whose `transformer_model` holds the embeddings."""
    embedder = model.text_field_embedder._token_embedders["tokens"]
    return embedder._matched_embedder.transformer_model.embeddings.word_embeddings


@pytest.mark.parametrize("max_length", [128, 8], ids=["one-window", "folded"])
def test_the_hook_perturbs_the_taggers_real_sub_words_only(tiny_transformer: Path, max_length):
    reader, model, _ = reader_and_model(
        "udpos", transformer=tiny_transformer, max_length=max_length
    )
    model.eval()
    instances = [
        reader.text_to_instance(["The", "elderly", "gentleman", "reads", "books", "."]),
        reader.text_to_instance(["Hi"]),
    ]
    batch = tensors(reader, model, instances)
    perturbation = WordEmbeddingPerturbation(model, record_calls=True)
    assert perturbation.layer is tagger_word_embeddings(model)
    with perturbation, torch.enable_grad():
        clean = model(**batch)["logits"]
        [call] = perturbation.take_calls()
        # Rows are sentences, or windows of them when folded: the mask is the attention mask
        # the transformer gets (padding, and the id-0 padding of folded windows, are not real).
        tokens = batch["tokens"]["tokens"]
        concat_mask = tokens["segment_concat_mask"]
        width = call.input_ids.size(1)
        folded_mask = torch.nn.functional.pad(
            concat_mask, [0, -concat_mask.size(1) % width], value=False
        ).reshape(-1, width)
        assert torch.equal(call.mask, folded_mask)
        assert call.mask.sum() == (tokens["token_ids"] != perturbation.padding_idx).sum()
        if max_length == 8:  # windows of 8, each with its own special tokens
            assert call.input_ids.size(0) > 2 and width == 8
            assert call.mask.sum() > tokens["wordpiece_mask"].sum()
        else:
            assert call.mask.sum() == tokens["wordpiece_mask"].sum()
        padding_only = (~call.mask).unsqueeze(-1).float().expand_as(call.embeddings) * 100.0
        with perturbation.adding(padding_only):
            assert torch.allclose(model(**batch)["logits"], clean, atol=1e-5)
        # (random: a constant shift of a vector would vanish in the embeddings' LayerNorm)
        everywhere = torch.randn(call.embeddings.shape, generator=torch.Generator().manual_seed(0))
        with perturbation.adding(everywhere):
            moved = model(**batch)["logits"]
    mask = batch["tokens"]["tokens"]["mask"]
    assert not torch.allclose(moved[mask], clean[mask], atol=1e-3)


def test_rs_da_copies_keep_one_tag_per_word(tmp_path: Path):
    """RS-DA with the real counter-fitted table (the tests' subset), as the rs_da configs read the
    training file."""
    table = NeighborTable.from_file(COUNTERFITTED_NEIGHBORS)
    for task in ("udpos", "panx"):
        params = config(task, "rs_da")["dataset_reader"]
        params["neighbors"] = str(COUNTERFITTED_NEIGHBORS)
        reader = DatasetReader.from_params(Params(dict(params)))
        base = DatasetReader.from_params(Params(config(task)["dataset_reader"]))
        path = XTREME_DATA / task / "train-en.tsv"
        originals = {i["metadata"]["id"]: i for i in base.read(path)}
        copies = list(reader.read(path))
        assert len(copies) == params["copies"] * len(originals) == 5 * len(originals)
        changed = 0
        for copy in copies:
            original = originals[copy["metadata"]["id"]]
            words, substituted = original["metadata"]["words"], copy["metadata"]["words"]
            assert len(substituted) == len(words) == len(copy["tokens"]) == len(copy["tags"])
            assert list(copy["tags"]) == list(original["tags"])
            for word, new in zip(words, substituted):
                assert new == word or new in table.neighbors(word)
                changed += new != word
        assert changed > 0


def test_the_configs_put_the_methods_on_the_tagger():
    for task in ("udpos", "panx"):
        adversarial = config(task, "adv")["trainer"]["callbacks"]
        rs_rp = config(task, "rs_rp")["trainer"]["callbacks"]
        assert adversarial[0]["type"] == "adversarial_training"
        assert rs_rp[0]["type"] == "random_perturbation"
        rs_da = config(task, "rs_da")
        assert rs_da["dataset_reader"]["base_reader"] == rs_da["validation_dataset_reader"]
        assert rs_da["dataset_reader"]["text_arguments"] == ["words"]
        assert json.dumps(rs_da["model"]) == json.dumps(config(task)["model"])
