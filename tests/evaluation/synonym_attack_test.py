"""
The `synonym_attack` evaluator: on a model whose answer is known, against an exhaustive search,
and through `allennlp evaluate` on a trained tiny model.
"""

import json
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import torch
from allennlp.data import Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.models import Model

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.evaluation import SynonymAttackEvaluator
from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import FIXTURES_ROOT, XTREME_DATA
from tests.evaluation.embedding_attack_test import archive  # noqa: F401  (module fixture)

TABLE = FIXTURES_ROOT / "neighbors" / "english_neighbors.json"
XNLI = XTREME_DATA / "xnli"
LABELS = ["entailment", "neutral", "contradiction"]


class WordCountModel(Model):
    """
    A classifier with a known loss: the logit of `neutral` is the number of premise and
    hypothesis words found in `weights` times their weight, the others 0. A substitution raises
    the loss of a gold `neutral` pair exactly when it removes a weighted word.
    """

    def __init__(self, vocab: Vocabulary, weights: Dict[str, float], with_logits: bool = True):
        super().__init__(vocab)
        self.weights = weights
        self.with_logits = with_logits
        self.dummy = torch.nn.Parameter(torch.zeros(1))
        from allennlp.training.metrics import CategoricalAccuracy

        self.accuracy = CategoricalAccuracy()

    def forward(self, metadata: List[Dict], label: Optional[torch.Tensor] = None, **inputs):
        neutral = self.vocab.get_token_index("neutral", "labels")
        logits = torch.zeros(len(metadata), 3)
        for row, item in enumerate(metadata):
            words = item["premise"].split(" ") + item["hypothesis"].split(" ")
            logits[row, neutral] = sum(self.weights.get(word, 0.0) for word in words)
        logits = logits + self.dummy
        output = {"probs": logits.softmax(-1)}
        if self.with_logits:
            output["logits"] = logits
        if label is not None:
            output["loss"] = torch.nn.functional.cross_entropy(logits, label)
            self.accuracy(logits, label)
        return output

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return {"accuracy": self.accuracy.get_metric(reset)}


def write_pairs(path: Path, pairs: List[List[str]]) -> Path:
    path.write_text("".join("\t".join(pair) + "\n" for pair in pairs), encoding="utf-8")
    return path


def loader(path: Path, batch_size: int = 4) -> MultiProcessDataLoader:
    reader = XtremeXnliReader()
    data_loader = MultiProcessDataLoader(reader, str(path), batch_size=batch_size)
    return data_loader


def vocab() -> Vocabulary:
    vocabulary = Vocabulary()
    vocabulary.add_tokens_to_namespace(LABELS, "labels")
    return vocabulary


class TestGreedySearch:
    def test_substitutes_the_most_harmful_words_first_within_the_budget(self, tmp_path: Path):
        """
        Gold `neutral`; the model leans on "movie" (2.0), "old" (1.0) and "car" (0.5). Each
        substitution of one of them by a neighbour (none weighted) lowers the neutral logit by
        its weight, so greedy removes "movie", then "old", then "car".
        """
        data = write_pairs(
            tmp_path / "test-en.tsv",
            [["The old man likes the movie", "He has a car", "neutral"]],
        )
        model = WordCountModel(vocab(), {"movie": 2.0, "old": 1.0, "car": 0.5})
        results = {}
        for budget in (0, 1, 2, 3, None):
            evaluator = SynonymAttackEvaluator(neighbors=str(TABLE), budget=budget)
            data_loader = loader(data)
            data_loader.index_with(model.vocab)
            results[budget] = evaluator(model, data_loader)
        assert [results[b]["substitutions"] for b in (0, 1, 2, 3, None)] == [0, 1, 2, 3, 3]
        losses = [results[b]["attacked_loss"] for b in (0, 1, 2, 3)]
        assert losses == sorted(losses) and len(set(losses)) == 4
        assert results[0]["attacked_loss"] == results[0]["loss"]
        assert results[0]["attacked_accuracy"] == results[0]["accuracy"] == 1.0
        # The clean neutral logit is 3.5; after the 3 substitutions it is 0: a 3-way tie.
        expected = float(torch.nn.functional.cross_entropy(torch.zeros(1, 3), torch.tensor([1])))
        assert results[3]["attacked_loss"] == pytest.approx(expected, abs=1e-6)
        # The score of the first step: each of the 3 words' neighbours ("movie" has 4, "old" 3,
        # "man" 1, "car" 3 in the table), all scored.
        assert results[1]["queries"] == 11

    def test_matches_an_exhaustive_search_on_one_substitution(self, tmp_path: Path):
        """With budget 1 greedy is exact: the best single substitution, found by trying all."""
        data = write_pairs(
            tmp_path / "test-en.tsv",
            [
                ["The old man likes the movie", "He has a car", "neutral"],
                ["The children like dinner", "A film about a car", "entailment"],
            ],
        )
        weights = {"movie": 1.0, "film": -0.7, "old": 0.4, "children": 0.3, "kids": -0.9}
        model = WordCountModel(vocab(), weights)
        evaluator = SynonymAttackEvaluator(neighbors=str(TABLE), budget=1)
        data_loader = loader(data)
        data_loader.index_with(model.vocab)
        metrics = evaluator(model, data_loader)

        from allennlp_robust_xlt.data.synonyms import NeighborTable

        table = NeighborTable.from_file(str(TABLE))
        best = []
        for premise, hypothesis, gold in (
            line.split("\t") for line in data.read_text().splitlines()
        ):
            label = torch.tensor([LABELS.index(gold.strip())])

            def loss(p: str, h: str) -> float:
                meta = [{"premise": p, "hypothesis": h}]
                return float(model(metadata=meta, label=label)["loss"])

            options = [loss(premise, hypothesis)]
            for which, text in (("p", premise), ("h", hypothesis)):
                words = text.split(" ")
                for position, word in enumerate(words):
                    for neighbour in table.neighbors(word):
                        changed = words[:position] + [neighbour] + words[position + 1 :]
                        p, h = (
                            (" ".join(changed), hypothesis)
                            if which == "p"
                            else (
                                premise,
                                " ".join(changed),
                            )
                        )
                        options.append(loss(p, h))
            best.append(max(options))
        assert metrics["attacked_loss"] == pytest.approx(sum(best) / len(best), abs=1e-6)

    def test_models_without_logits_are_scored_one_instance_at_a_time(self, tmp_path: Path):
        data = write_pairs(
            tmp_path / "test-en.tsv",
            [
                ["The old man likes the movie", "He has a car", "neutral"],
                ["The children like dinner", "A film about a car", "entailment"],
            ],
        )
        weights = {"movie": 2.0, "old": 1.0, "car": 0.5, "children": -1.0}
        results = []
        for with_logits in (True, False):
            model = WordCountModel(vocab(), weights, with_logits=with_logits)
            evaluator = SynonymAttackEvaluator(neighbors=str(TABLE), budget=2)
            data_loader = loader(data)
            data_loader.index_with(model.vocab)
            results.append(evaluator(model, data_loader))
            assert evaluator._batched_losses is with_logits
        assert results[0] == pytest.approx(results[1], abs=1e-6)

    def test_a_table_per_language(self, tmp_path: Path):
        data = write_pairs(
            tmp_path / "test-en.tsv", [["The old man likes the movie", "A car", "neutral"]]
        )
        model = WordCountModel(vocab(), {"movie": 2.0})
        data_loader = loader(data)
        data_loader.index_with(model.vocab)
        by_language = SynonymAttackEvaluator(neighbors={"en": str(TABLE)}, budget=1)
        assert by_language(model, data_loader)["substitutions"] == 1
        german_only = SynonymAttackEvaluator(neighbors={"de": str(TABLE)}, budget=1)
        with pytest.raises(ParameterError, match="no table for the language 'en'"):
            german_only(model, data_loader)

    def test_max_candidates_is_seeded(self, tmp_path: Path):
        data = write_pairs(
            tmp_path / "test-en.tsv",
            [["The old man likes the movie", "He has a car", "neutral"]],
        )
        model = WordCountModel(vocab(), {"movie": 2.0, "old": 1.0, "car": 0.5})

        def run(seed: int) -> Dict[str, float]:
            evaluator = SynonymAttackEvaluator(
                neighbors=str(TABLE), budget=1, max_candidates=2, seed=seed
            )
            data_loader = loader(data)
            data_loader.index_with(model.vocab)
            return evaluator(model, data_loader)

        first = run(0)
        assert first["queries"] == 2 and run(0) == first

    @pytest.mark.parametrize(
        "settings, parameter",
        [
            ({"neighbors": str(TABLE), "budget": -1}, "budget"),
            ({"neighbors": str(TABLE), "match": "fuzzy"}, "match"),
            ({"neighbors": str(TABLE), "max_candidates": 0}, "max_candidates"),
            ({"neighbors": {}}, "neighbors"),
        ],
    )
    def test_bad_parameters_name_the_parameter(self, settings, parameter):
        with pytest.raises(ParameterError) as error:
            SynonymAttackEvaluator(**settings)
        assert error.value.parameter == parameter


class TestSynonymAttackCommand:
    def test_budget_zero_attacks_nothing_and_a_budget_hurts(
        self, archive: Path, tmp_path: Path  # noqa: F811
    ):
        results = {}
        for budget in (0, 2):
            output = tmp_path / f"budget{budget}.json"
            run_allennlp(
                "evaluate",
                str(archive),
                str(XNLI / "test-en.tsv"),
                "--output-file",
                str(output),
                "-o",
                json.dumps(
                    {
                        "evaluation": {
                            "type": "synonym_attack",
                            "neighbors": str(TABLE),
                            "budget": budget,
                            "match": "normalized",
                        }
                    }
                ),
            )
            results[budget] = json.loads(output.read_text())
        plain = tmp_path / "plain.json"
        run_allennlp(
            "evaluate", str(archive), str(XNLI / "test-en.tsv"), "--output-file", str(plain)
        )
        expected = json.loads(plain.read_text())
        zero, two = results[0], results[2]
        assert zero["accuracy"] == expected["accuracy"]
        assert zero["loss"] == pytest.approx(expected["loss"], abs=1e-5)
        assert zero["attacked_accuracy"] == zero["accuracy"]
        assert zero["attacked_loss"] == zero["loss"] and zero["substitutions"] == 0
        assert two["accuracy"] == zero["accuracy"]
        assert 0 < two["substitutions"] <= 2
        assert two["attacked_loss"] > two["loss"]
        assert two["attacked_accuracy"] <= two["accuracy"]
