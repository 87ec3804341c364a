from pathlib import Path

import pytest
import torch
from allennlp.data import Batch, Vocabulary
from allennlp.modules.text_field_embedders import BasicTextFieldEmbedder
from allennlp.modules.token_embedders import PretrainedTransformerEmbedder

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.nn.consistency import output_distributions
from allennlp_robust_xlt.nn.embedding_perturbation import WordEmbeddingPerturbation
from allennlp_robust_xlt.retrieval.dataset_readers.xtreme_lareqa import XtremeLareqaReader
from allennlp_robust_xlt.retrieval.models.dual_encoder import XtremeDualEncoder
from allennlp_robust_xlt.retrieval.sentence_encoder import SentenceEncoder
from tests import XTREME_DATA


def model_and_batch(transformer: Path, pooling: str):
    reader = XtremeLareqaReader(str(transformer), max_candidate_length=24)
    instances = list(reader.read(XTREME_DATA / "lareqa" / "xquad-r" / "de.json"))
    batch = Batch(instances)
    batch.index_instances(Vocabulary())
    embedder = BasicTextFieldEmbedder({"tokens": PretrainedTransformerEmbedder(str(transformer))})
    model = XtremeDualEncoder(Vocabulary(), embedder, pooling=pooling).eval()
    return model, batch, instances


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_in_batch_softmax_over_sentence_encoder_embeddings(tiny_transformer: Path, pooling: str):
    """
    The model's unit embeddings are what `xtreme-retrieval` embeds (the sentence encoder, last
    layer, same pooling), although queries and candidates share one padded call; the loss is
    the cross-entropy of each query's own candidate among the batch's.
    """
    model, batch, instances = model_and_batch(tiny_transformer, pooling)
    with torch.no_grad():
        output = model(**batch.as_tensor_dict())
    encoder = SentenceEncoder(
        model._text_field_embedder._token_embedders["tokens"].transformer_model,
        XtremeLareqaReader(str(tiny_transformer))._query_tokenizer.tokenizer,
        "tiny",
    )
    last = encoder.num_layers
    for side, key in (("query", "query_embedding"), ("candidate", "candidate_embedding")):
        texts = [i["metadata"][side] for i in instances]
        length = 96 if side == "query" else 24
        expected = encoder.embed(texts, [last], pooling, max_length=length)[0]
        expected = expected / expected.norm(dim=1, keepdim=True)
        assert torch.allclose(output[key], expected, atol=1e-5)
    logits = 100.0 * output["query_embedding"] @ output["candidate_embedding"].t()
    assert torch.allclose(output["logits"], logits, atol=1e-4)
    loss = torch.nn.functional.cross_entropy(logits, torch.arange(3))
    assert float(output["loss"]) == pytest.approx(float(loss), rel=1e-5)
    accuracy = float((logits.argmax(dim=1) == torch.arange(3)).float().mean())
    assert model.get_metrics(reset=True) == pytest.approx(
        {"accuracy": accuracy, "logit_scale": 100.0}
    )


def test_one_word_embedding_call_per_forward_pass(tiny_xlmr: Path):
    """The robust callbacks see queries and candidates as the rows of one call."""
    model, batch, _ = model_and_batch(tiny_xlmr, "cls")
    model.train()
    tensors = batch.as_tensor_dict()
    with WordEmbeddingPerturbation(model, record_calls=True) as perturbation:
        output = model(**tensors)
        output["loss"].backward()
        calls = perturbation.take_calls()
    assert len(calls) == 1
    query_ids = tensors["query"]["tokens"]["token_ids"]
    assert calls[0].input_ids.shape[0] == 2 * query_ids.shape[0]
    assert torch.equal(calls[0].mask[:3, : query_ids.shape[1]], tensors["query"]["tokens"]["mask"])
    assert not calls[0].mask[:3, query_ids.shape[1] :].any()  # the queries' extra padding
    assert model.logit_scale.grad is not None


def test_bad_parameters(tiny_xlmr: Path):
    embedder = BasicTextFieldEmbedder({"tokens": PretrainedTransformerEmbedder(str(tiny_xlmr))})
    with pytest.raises(ParameterError, match="'pooling' must be one of"):
        XtremeDualEncoder(Vocabulary(), embedder, pooling="max")
    with pytest.raises(ParameterError, match="'logit_scale' must be positive"):
        XtremeDualEncoder(Vocabulary(), embedder, logit_scale=0.0)


def test_output_distributions_are_each_querys_in_batch_softmax(tiny_xlmr: Path):
    model, batch, _ = model_and_batch(tiny_xlmr, "cls")
    with torch.no_grad():
        output = model(**batch.as_tensor_dict())
    [distributions] = output_distributions(model, output)
    expected = torch.log_softmax(output["logits"], dim=-1)
    assert distributions.log_probs.shape == (3, 3)
    assert torch.allclose(distributions.log_probs, expected, atol=1e-5)
