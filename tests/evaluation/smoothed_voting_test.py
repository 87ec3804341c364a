"""
Smoothed prediction by vote: the voter's semantics on a model whose answer is known, the
`smoothed_vote` evaluator, the `smoothed_pair_classification` predictor, and the embedding-noise
source.
"""

import json
import math
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import torch
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.data import Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader, SimpleDataLoader
from allennlp.evaluation import Evaluator
from allennlp.models import Model

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader
from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader
from allennlp_robust_xlt.data.reader_calls import record_call
from allennlp_robust_xlt.evaluation import (
    SmoothedVoteEvaluator,
    SmoothedVoter,
    Vote,
    WordEmbeddingNoise,
)
from tests import FIXTURES_ROOT

TABLE = FIXTURES_ROOT / "neighbors" / "english_neighbors.json"
LABELS = ["entailment", "neutral", "contradiction"]


class KeywordModel(Model):
    """Says `entailment` exactly when the premise contains the word `film`, else `neutral`."""

    def __init__(self, vocab: Vocabulary, keyword: str = "film") -> None:
        super().__init__(vocab)
        self.keyword = keyword
        self.scale = torch.nn.Parameter(torch.ones(1))
        self._label_namespace = "labels"

    def forward(
        self, metadata: List[Dict], label: Optional[torch.Tensor] = None, **inputs
    ) -> Dict[str, torch.Tensor]:
        entail = self.vocab.get_token_index("entailment", "labels")
        neutral = self.vocab.get_token_index("neutral", "labels")
        probs = torch.full((len(metadata), 3), 0.1)
        for row, item in enumerate(metadata):
            probs[row, entail if self.keyword in item["premise"].split(" ") else neutral] = 0.8
        output = {"probs": probs * self.scale}
        if label is not None:
            output["loss"] = torch.nn.functional.nll_loss(probs.log(), label)
        return output


def label_vocab() -> Vocabulary:
    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(LABELS, "labels")
    return vocab


def pair_call(
    reader: XtremeXnliReader, premise: str, hypothesis: str = "x y", label: Optional[str] = None
):
    return record_call(reader, lambda: reader.text_to_instance(premise, hypothesis, label))


class TestVoting(AllenNlpTestCase):
    def test_vote_counts_follow_the_substitution_law(self):
        reader = XtremeXnliReader()
        model = KeywordModel(label_vocab())
        voter = SmoothedVoter(
            model, reader, neighbors=str(TABLE), copies=1000, seed=0, batch_size=256
        )
        [vote] = voter.vote([pair_call(reader, "the movie is long", label="neutral")])
        labels = voter.labels()
        counts = {labels[index]: count for index, count in enumerate(vote.counts)}
        # `movie` has 4 neighbours, one of them `film`: a copy says entailment with probability 1/5.
        assert sum(vote.counts) == 1000
        assert abs(counts["entailment"] - 200) < 4.5 * math.sqrt(1000 * 0.2 * 0.8)
        assert counts["contradiction"] == 0
        assert labels[vote.label_index] == "neutral"
        assert vote.share == counts["neutral"] / 1000
        assert labels[vote.gold] == "neutral"
        assert abs(sum(vote.mean_probs) - 1.0) < 1e-6

    def test_votes_do_not_depend_on_the_batch(self):
        reader = XtremeXnliReader()
        model = KeywordModel(label_vocab())
        voter = SmoothedVoter(model, reader, neighbors=str(TABLE), copies=15, seed=3, batch_size=7)
        target = pair_call(reader, "the movie and the film")
        alone = voter.vote([target])[0]
        crowd = voter.vote([pair_call(reader, "a movie"), target, pair_call(reader, "old film")])[1]
        assert alone == crowd
        assert (
            SmoothedVoter(
                model, reader, neighbors=str(TABLE), copies=15, seed=3, batch_size=64
            ).vote([target])[0]
            == alone
        )

    def test_include_original_adds_the_clean_vote(self):
        reader = XtremeXnliReader()
        model = KeywordModel(label_vocab())
        voter = SmoothedVoter(model, reader, neighbors=str(TABLE), copies=4, include_original=True)
        [vote] = voter.vote([pair_call(reader, "zebra")])
        assert sum(vote.counts) == 5 and vote.share == 1.0

    def test_ties_go_to_the_higher_mean_probability_then_the_lower_index(self):
        assert Vote([2, 2, 0], [0.3, 0.5, 0.2]).label_index == 1
        assert Vote([2, 2, 0], [0.4, 0.4, 0.2]).label_index == 0
        assert Vote([1, 3, 0], [0.9, 0.05, 0.05]).label_index == 1

    def test_each_copy_votes_for_its_largest_logit_as_the_metric_decides(self):
        """A copy whose logits nearly tie (their float32 probabilities tie exactly) votes for
        the larger logit, and an exact tie of logits for the first label: `CategoricalAccuracy`'s
        choice, not the argmax of the rounded probabilities."""

        class NearTieModel(KeywordModel):
            def forward(self, metadata, label=None, **inputs):
                rows = [
                    [0.0, 1e-8, -3.0] if "near" in item["premise"] else [0.5, 0.5, 0.5]
                    for item in metadata
                ]
                logits = torch.tensor(rows) * self.scale
                return {"logits": logits, "probs": torch.softmax(logits, dim=-1)}

        reader = XtremeXnliReader()
        voter = SmoothedVoter(NearTieModel(label_vocab()), reader, neighbors=str(TABLE), copies=3)
        near, tie = voter.vote([pair_call(reader, "near"), pair_call(reader, "zebra")])
        assert near.mean_probs[0] == near.mean_probs[1]
        assert list(near.counts) == [0, 3, 0] and near.label_index == 1
        assert list(tie.counts) == [3, 0, 0] and tie.label_index == 0

    def test_parameter_errors(self):
        reader = XtremeXnliReader()
        model = KeywordModel(label_vocab())
        for arguments, parameter in (
            ({"neighbors": None}, "neighbors"),
            ({"copies": 0}, "copies"),
            ({"match": "loose"}, "match"),
            ({"batch_size": 0}, "batch_size"),
        ):
            with pytest.raises(ParameterError) as error:
                SmoothedVoter(model, reader, **{"neighbors": str(TABLE), **arguments})  # type: ignore[arg-type]
            assert error.value.parameter == parameter

    def test_randomized_smoothing_reader_is_unwrapped(self):
        wrapper = RandomizedSmoothingReader(XtremeXnliReader(), neighbors=str(TABLE), copies=3)
        voter = SmoothedVoter(KeywordModel(label_vocab()), wrapper, neighbors=str(TABLE), copies=2)
        assert voter.reader is wrapper.base_reader


class TestSmoothedVoteEvaluator(AllenNlpTestCase):
    def write_data(self) -> Path:
        data = self.TEST_DIR / "test-en.tsv"
        data.write_text(
            "the movie is long\tx y\tneutral\n"  # neutral by a majority (4/5): right
            "the movie is long\tx y\tentailment\n"  # the same votes: wrong
            "a zebra\tx y\tneutral\n",  # always neutral: right
            encoding="utf-8",
        )
        return data

    def test_metrics_and_predictions(self):
        data = self.write_data()
        model = KeywordModel(label_vocab())
        reader = XtremeXnliReader()
        loader = MultiProcessDataLoader(reader, str(data), batch_size=4)
        loader.index_with(model.vocab)
        evaluator = Evaluator.from_params(
            Params(
                {
                    "type": "smoothed_vote",
                    "neighbors": str(TABLE),
                    "copies": 50,
                    "seed": 1,
                    "batch_size": 16,
                }
            )
        )
        assert isinstance(evaluator, SmoothedVoteEvaluator)
        predictions = self.TEST_DIR / "votes.jsonl"
        metrics_file = self.TEST_DIR / "metrics.json"
        metrics = evaluator(
            model, loader, metrics_output_file=metrics_file, predictions_output_file=predictions
        )
        assert metrics["accuracy"] == pytest.approx(2 / 3)
        assert metrics["examples"] == 3 and metrics["copies"] == 50
        lines = [json.loads(line) for line in predictions.read_text().splitlines()]
        assert [line["label"] for line in lines] == ["neutral", "neutral", "neutral"]
        assert [line["gold_label"] for line in lines] == ["neutral", "entailment", "neutral"]
        assert lines[2]["vote_share"] == 1.0 and lines[2]["votes"] == {
            "entailment": 0,
            "neutral": 50,
            "contradiction": 0,
        }
        assert 0.5 < lines[0]["vote_share"] < 1.0 and sum(lines[0]["votes"].values()) == 50
        assert lines[0]["votes"] == lines[1]["votes"]  # same text, same votes
        assert metrics["vote_share"] == pytest.approx(sum(line["vote_share"] for line in lines) / 3)
        assert "copy_loss" in metrics
        assert json.loads(metrics_file.read_text())["accuracy"] == pytest.approx(2 / 3)

    def test_needs_a_reader_and_a_data_path(self):
        model = KeywordModel(label_vocab())
        reader = XtremeXnliReader()
        loader = SimpleDataLoader(list(reader.read(self.write_data())), batch_size=2)
        evaluator = SmoothedVoteEvaluator(neighbors=str(TABLE), copies=2)
        with pytest.raises(ParameterError, match="data_loader"):
            evaluator(model, loader)

    def test_bad_parameters(self):
        with pytest.raises(ParameterError, match="'copies'"):
            SmoothedVoteEvaluator(neighbors=str(TABLE), copies=0)
        with pytest.raises(ParameterError, match="'neighbors'"):
            SmoothedVoteEvaluator(copies=3)


class TestWordEmbeddingNoise:
    def test_noise_is_on_real_tokens_per_key_and_independent_of_padding(self):
        from allennlp_robust_xlt.nn.embedding_perturbation import WordEmbeddingCall

        noise = WordEmbeddingNoise(scale=0.5, seed=2)

        def call(lengths: List[int], width: int) -> WordEmbeddingCall:
            mask = torch.tensor(
                [[position < length for position in range(width)] for length in lengths]
            )
            return WordEmbeddingCall(
                torch.zeros(mask.shape, dtype=torch.long),
                mask,
                torch.zeros(len(lengths), width, 4),
                False,
            )

        narrow = noise.noise_for(call([3, 2], 3), ["a:0", "b:0"])
        wide = noise.noise_for(call([3, 1, 2], 6), ["a:0", "c:0", "b:0"])
        assert torch.equal(narrow[0, :3], wide[0, :3]) and torch.equal(narrow[1, :2], wide[2, :2])
        assert wide[0, 3:].abs().sum() == 0 and wide[1, 1:].abs().sum() == 0
        assert not torch.equal(narrow[0], noise.noise_for(call([3], 3), ["a:1"])[0])
        ball = WordEmbeddingNoise(scale=0.5, distribution="uniform_ball")
        for key in "abcdefgh":
            assert ball.noise_for(call([5], 5), [key])[0].norm() <= 0.5 + 1e-6

    def test_parameters(self):
        with pytest.raises(ParameterError, match="'scale'"):
            WordEmbeddingNoise(scale=0)
        with pytest.raises(ParameterError, match="'distribution'"):
            WordEmbeddingNoise(scale=1.0, distribution="laplace")
