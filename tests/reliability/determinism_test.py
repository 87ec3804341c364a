"""Through `allennlp train` on the tiny model: the same seeds give the same run, other seeds another."""

import json

from allennlp.common.testing import AllenNlpTestCase

from tests.reliability.helpers import max_weight_difference, train, training_metrics, weights

CONFIG = "xnli_adv"  # dropout, shuffling and the attack's random start all draw random numbers


def overrides(seed: int) -> str:
    return json.dumps(
        {
            "trainer.num_epochs": 1,
            "data_loader.batch_sampler.batch_size": 8,
            "random_seed": seed,
            "numpy_seed": seed,
            "pytorch_seed": seed,
        }
    )


class TestDeterminism(AllenNlpTestCase):
    def test_same_seed_same_run_other_seed_other_run(self):
        runs = {name: self.TEST_DIR / name for name in ("first", "again", "other")}
        train(CONFIG, runs["first"], overrides(7))
        train(CONFIG, runs["again"], overrides(7))
        train(CONFIG, runs["other"], overrides(8))
        first, again, other = (training_metrics(path) for path in runs.values())
        assert first == again
        assert first["training_loss"] != other["training_loss"]
        assert (
            max_weight_difference(
                weights(runs["first"] / "best.th"), weights(runs["again"] / "best.th")
            )
            == 0.0
        )
        assert (
            max_weight_difference(
                weights(runs["first"] / "best.th"), weights(runs["other"] / "best.th")
            )
            > 1e-4
        )
