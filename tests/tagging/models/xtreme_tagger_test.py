"""The xtreme_tagger model of the tagging configs, on the tiny transformers."""

from pathlib import Path

import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.nn.consistency import output_distributions
from allennlp_robust_xlt.tagging.metrics.seqeval_metrics import file_scores
from allennlp_robust_xlt.tagging.predictors import XtremeTaggingPredictor
from tests import XTREME_DATA
from tests.tagging.helpers import reader_and_model, tensors


def test_every_word_of_a_long_sentence_gets_one_tag(tiny_xlmr: Path):
    """
    Several hundred words, far more sub-words than the window (128) and than the tiny model's
    positions (256): the mismatched embedder folds them into windows and re-joins them.
    """
    reader, model, _ = reader_and_model("udpos")
    predictor = XtremeTaggingPredictor(model.eval(), reader)
    words = [f"Wort{index % 37}x{index}" for index in range(600)]
    output = predictor.predict_json({"words": words})
    assert output["words"] == words and len(output["tags"]) == 600
    assert set(output["tags"]) <= set(model.vocab.get_token_to_index_vocabulary("labels"))
    instance = reader.text_to_instance(words)
    batch = tensors(reader, model, [instance])
    assert batch["tokens"]["tokens"]["token_ids"].size(1) > 256
    with torch.no_grad():
        assert model(**batch)["logits"].shape[:2] == (1, 600)


def test_a_word_is_the_vector_of_its_first_sub_word(tiny_transformer: Path):
    """As XTREME's run_tag.py labels the first sub-word (sub_token_mode "first")."""
    reader, model, _ = reader_and_model("panx", transformer=tiny_transformer)
    words = ["Angela", "Merkelmann", "visited", "Parisville"]
    batch = tensors(reader, model, [reader.text_to_instance(words)])
    with torch.no_grad():
        embedded = model.text_field_embedder(batch["tokens"])[0]
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_transformer))
    encoding = tokenizer(words, is_split_into_words=True, return_tensors="pt")
    transformer = AutoModel.from_pretrained(str(tiny_transformer)).eval()
    with torch.no_grad():
        hidden = transformer(**encoding).last_hidden_state[0]
    word_ids = encoding.word_ids()
    firsts = [word_ids.index(word) for word in range(len(words))]
    assert any(word_ids.count(word) > 1 for word in range(len(words)))  # some have several
    assert torch.allclose(embedded, hidden[firsts], atol=1e-5)


def test_metrics_are_seqevals_on_the_predicted_tags():
    reader, model, _ = reader_and_model("panx")
    model.eval()
    instances = list(reader.read(XTREME_DATA / "panx" / "test-de.tsv"))
    with torch.no_grad():
        output = model.make_output_human_readable(model(**tensors(reader, model, instances)))
    gold = [list(instance["tags"]) for instance in instances]
    assert model.get_metrics(reset=True) == file_scores(gold, output["tags"])
    results = model.per_example_results(tensors(reader, model, instances), output)
    assert [r["id"] for r in results] == ["1", "7", "15"]
    assert sum(r["tokens"] for r in results) == sum(len(tags) for tags in gold)


def test_a_file_without_tags_is_never_scored(tmp_path: Path):
    path = tmp_path / "test-de.tsv"
    path.write_text("Angela\nMerkel\n\nParis\n", encoding="utf-8")
    reader, model, _ = reader_and_model("panx")
    instances = list(reader.read(path))
    model.eval()
    with torch.no_grad():
        model(**tensors(reader, model, instances))
    with pytest.raises(InputFileError, match=f"{path}: has words without tags"):
        model.get_metrics()
    assert model.get_metrics()["f1"] == 0.0  # the refusal does not stick to the model
    model.train()
    with pytest.raises(InputFileError, match=f"{path}: has words without tags .* trained on"):
        model(**tensors(reader, model, list(reader.read(path))))


def test_output_distributions_are_the_tag_distributions_of_the_words_under_the_mask(
    tiny_xlmr: Path,
):
    reader, model, _ = reader_and_model("udpos", transformer=tiny_xlmr)
    model.eval()
    instances = [
        reader.text_to_instance(["The", "elderly", "gentleman", "reads", "."]),
        reader.text_to_instance(["Hi"]),
    ]
    output = model(**tensors(reader, model, instances))
    [distributions] = output_distributions(model, output)
    assert distributions.log_probs.shape == (6, model.num_tags)
    probabilities = output["class_probabilities"]
    expected = torch.cat([probabilities[0, :5], probabilities[1, :1]])
    assert torch.allclose(distributions.log_probs.exp(), expected, atol=1e-6)
