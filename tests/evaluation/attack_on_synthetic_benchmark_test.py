"""
On the synthetic benchmark (`data/synthetic_xlt.py`, a small world): the `embedding_attack`
evaluator is exact at epsilon 0, and accuracy falls as epsilon grows. (Slow: the baseline needs
about a minute of CPU to learn the task; the evaluator's parts are covered by the fast
`embedding_attack_test.py`.)
"""

import json

import pytest
from allennlp.common.testing import AllenNlpTestCase

from allennlp_robust_xlt.data.synthetic_xlt import SyntheticXltConfig, write_benchmark
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT

WORLD = SyntheticXltConfig(
    seed=0, train_size=3000, dev_size=100, test_size=300, misalignments=(0.0, 1.0)
)
EPSILONS = (0.0, 0.02, 0.05, 0.1, 0.2)


@pytest.mark.slow
class TestAttackOnTheSyntheticBenchmark(AllenNlpTestCase):
    def test_accuracy_falls_as_epsilon_grows_and_is_exact_at_zero(
        self, monkeypatch: pytest.MonkeyPatch
    ):
        benchmark = self.TEST_DIR / "benchmark"
        write_benchmark(benchmark, WORLD)
        monkeypatch.setenv("XLT_TRANSFORMER", str(benchmark / "encoder"))
        monkeypatch.setenv("XLT_TRANSFORMER_DIM", str(WORLD.hidden_size))
        monkeypatch.setenv("XLT_DATA_DIR", str(benchmark))
        from allennlp_robust_xlt.data.synthetic_xlt import TRAINING_OVERRIDES as SIZE

        run = self.TEST_DIR / "run"
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "pawsx_baseline.jsonnet"),
            "-s",
            str(run),
            "-o",
            json.dumps({**SIZE, "trainer.num_epochs": 12}),
        )
        results = []
        for epsilon in EPSILONS:
            output = self.TEST_DIR / f"eps{epsilon}.json"
            run_allennlp(
                "evaluate",
                str(run / "model.tar.gz"),
                str(benchmark / "pawsx" / "test-en.tsv"),
                "--output-file",
                str(output),
                "-o",
                json.dumps(
                    {"evaluation": {"type": "embedding_attack", "epsilon": epsilon, "steps": 5}}
                ),
            )
            results.append(json.loads(output.read_text()))
        clean = results[0]["accuracy"]
        assert clean > 0.65, clean  # the task is learnt
        assert results[0]["attacked_accuracy"] == clean  # exact at 0
        attacked = [result["attacked_accuracy"] for result in results]
        assert attacked == sorted(attacked, reverse=True), attacked
        assert attacked[1] < clean and attacked[-1] < clean - 0.3, attacked
        assert all(result["accuracy"] == clean for result in results)
