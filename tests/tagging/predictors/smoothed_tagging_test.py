"""The smoothed_tagging predictor: the majority tag per word over synonym-substituted copies."""

from collections import Counter

import pytest

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.data.reader_calls import build_instance, record_call
from allennlp_robust_xlt.evaluation.smoothed_voting import SmoothedVoter
from allennlp_robust_xlt.tagging.predictors import SmoothedTaggingPredictor, XtremeTaggingPredictor
from tests import FIXTURES_ROOT
from tests.tagging.helpers import reader_and_model

TABLE = FIXTURES_ROOT / "neighbors" / "english_neighbors.json"


def test_each_word_gets_the_majority_tag_of_its_copies(tiny_xlmr):
    reader, model, _ = reader_and_model("udpos")
    model.eval()
    smoothed = SmoothedTaggingPredictor(model, reader, neighbors=str(TABLE), copies=7, seed=3)
    plain = XtremeTaggingPredictor(model, reader)
    words = ["The", "old", "man", "bought", "a", "new", "car", "in", "the", "big", "city", "."]
    output = smoothed.predict_json({"words": words, "id": 5})
    assert output["words"] == words and output["id"] == 5 and len(output["tags"]) == len(words)

    # The same copies, tagged one by one by the plain predictor: whole words, one for one.
    call = record_call(reader, lambda: reader.text_to_instance(words))
    copies = [build_instance(reader, copy) for _, copy in smoothed._voter.copy_calls(call)]
    copy_words = [instance["metadata"]["words"] for instance in copies]
    assert all(len(w) == len(words) for w in copy_words)
    assert len({tuple(w) for w in copy_words}) > 1  # the table changed some words
    unchanged = [i for i, word in enumerate(words) if all(w[i] == word for w in copy_words)]
    assert "a" in [words[i] for i in unchanged]  # words without neighbours stay
    tagged = [plain.predict_instance(instance)["tags"] for instance in copies]
    for position in range(len(words)):
        votes = Counter(tags[position] for tags in tagged)
        top = max(votes.values())
        assert votes[output["tags"][position]] == top
        assert output["vote_shares"][position] == pytest.approx(top / 7)


def test_it_reads_json_lines_only(tiny_xlmr):
    reader, model, instances = reader_and_model("udpos")
    smoothed = SmoothedTaggingPredictor(model, reader, neighbors=str(TABLE), copies=2)
    with pytest.raises(ParameterError, match="reads JSON lines"):
        smoothed.predict_batch_instance(instances[:1])


def test_a_vote_per_example_points_to_the_vote_per_word(tiny_xlmr):
    reader, model, _ = reader_and_model("udpos")
    voter = SmoothedVoter(
        model.eval(), reader, neighbors=str(TABLE), copies=2, text_arguments=["words"]
    )
    call = record_call(reader, lambda: reader.text_to_instance(["The", "old", "man"]))
    with pytest.raises(ParameterError, match="smoothed_tagging predictor"):
        voter.vote([call])
    [votes] = voter.vote_per_position([call])
    assert len(votes) == 3 and all(sum(vote.counts) == 2 for vote in votes)
