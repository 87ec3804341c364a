"""
The demo (`examples/demo/run_demo.py`, outside the package): its method table, its world, and
the summary it writes, on a tiny world with fabricated reports (the full demo is `make demo`;
`--quick` runs the whole pipeline in the slow test).
"""

import importlib.util
import json
import math
import pkgutil
import sys

import pytest
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.training.callbacks.callback import TrainerCallback

import allennlp_robust_xlt as package
from allennlp_robust_xlt.data.synthetic_xlt import SyntheticXlt, write_benchmark
from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from allennlp_robust_xlt.training.callbacks.random_perturbation import RandomPerturbationCallback
from tests import PROJECT_ROOT
from tests.analysis.fabricate import write_runs

DEMO_PATH = PROJECT_ROOT / "examples" / "demo" / "run_demo.py"


def load_demo():
    spec = importlib.util.spec_from_file_location("run_demo", DEMO_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_demo"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


demo = load_demo()


def test_the_demo_is_not_in_the_installed_package():
    # (find_spec would also consult a shared venv's editable install of another checkout.)
    assert "demo" not in {module.name for module in pkgutil.iter_modules(package.__path__)}
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "$(BIN)/python examples/demo/run_demo.py $(DEMO_ARGS)" in makefile


def config_with_overrides(task: str, method: str, train_size: int = 3200) -> Params:
    return Params.from_file(
        str(demo.CONFIGS / f"{task}_{demo.METHODS[method].suffix}.jsonnet"),
        json.dumps(demo.overrides(task, method, 3, train_size)),
    )


class TestMethods:
    @pytest.mark.parametrize("task", list(demo.SIZES))
    def test_every_method_config_takes_the_demo_size_and_seed(self, task):
        run = demo.SIZES[task]
        for method in demo.METHODS:
            params = config_with_overrides(task, method).as_flat_dict()
            assert params["random_seed"] == params["numpy_seed"] == params["pytorch_seed"] == 3
            epochs = run.epochs // demo.RS_DA_COPIES if method == "rs_da" else run.epochs
            assert params["trainer.num_epochs"] == epochs
            assert params["data_loader.batch_sampler.batch_size"] == run.batch_size
            assert params["trainer.optimizer.lr"] == demo.LEARNING_RATE
            assert params["trainer.optimizer.parameter_groups"] == [
                [[".*word_embeddings.*"], {"requires_grad": False}]
            ]
            if method == "rs_da":
                assert params["dataset_reader.type"] == "randomized_smoothing"
                assert params["dataset_reader.copies"] == demo.RS_DA_COPIES

    @pytest.mark.parametrize("task", list(demo.SIZES))
    def test_pgd_after_a_quarter_of_training_and_rs_rp_noise_norm(self, task, tmp_path):
        params = config_with_overrides(task, "adv", train_size=3200)
        callback = TrainerCallback.from_params(
            params["trainer"]["callbacks"][0], serialization_dir=str(tmp_path)
        )
        assert isinstance(callback, AdversarialTrainingCallback)
        run = demo.SIZES[task]
        quarter = int(0.25 * run.epochs * math.ceil(3200 / run.batch_size))
        assert (callback.method, callback.epsilon, callback.alpha, callback.warmup_steps) == (
            "pgd",
            demo.PGD_EPSILON,
            demo.PGD_EPSILON / 2,
            quarter,
        )
        params = config_with_overrides(task, "rs_rp")
        callback = TrainerCallback.from_params(
            params["trainer"]["callbacks"][0], serialization_dir=str(tmp_path / "rp")
        )
        assert isinstance(callback, RandomPerturbationCallback)
        assert callback.scale * math.sqrt(demo.EMBEDDING_DIM) == pytest.approx(
            demo.SYNONYM_DISTANCE
        )


def test_world_sweeps_the_share_at_one_size_with_children_and_a_near_language():
    world = SyntheticXlt(demo.world_config(0, **demo.QUICK_WORLD))
    sweep = [c for c in world.targets if world.parent[c] == "en" and world.own_offset[c] == 1.0]
    assert [world.synonym_share[c] for c in sweep] == list(demo.SHARES)
    assert all(world.misalignment[c] == demo.SWEEP_SIZE for c in sweep)
    children = [c for c in world.targets if world.parent[c] != "en"]
    assert [world.parent[c] for c in children] == sweep
    assert [world.synonym_share[c] for c in children] == list(demo.SHARES)
    assert all(world.misalignment[c] > demo.SWEEP_SIZE for c in children)
    assert world.config.tagging_train_size > 0


class TestSummary(AllenNlpTestCase):
    def test_results_tables_and_plots_from_the_reports(self):
        world_dir = self.TEST_DIR / "world"
        write_benchmark(world_dir, demo.world_config(0, **demo.QUICK_WORLD))
        codes = ["en"] + [f"qa{letter}" for letter in "abcdefg"]
        base = {c: [0.8, 0.7] for c in codes}
        # RS-DA gains 10 points on the share-1 language qac only; PGD 2 everywhere but English.
        rs_da = {c: [v + (0.1 if c == "qac" else 0.0) for v in base[c]] for c in codes}
        adv = {c: [v + (0.0 if c == "en" else 0.02) for v in base[c]] for c in codes}
        pairs = {f"{a}-{b}": 0.6 for a in codes for b in codes}
        reports = {}
        for task, metric in (("pawsx", "accuracy"), ("udpos", "f1")):
            scores = {"baseline": base, "adv": adv, "rs_da": rs_da}
            extra = {"pairs": pairs} if task == "pawsx" else {}
            clean = write_runs(
                self.TEST_DIR / task / "clean", scores, task=task, metric=metric, **extra
            )
            attacked = write_runs(
                self.TEST_DIR / task / "attack",
                {m: {c: [v / 2 for v in s[c]] for c in codes} for m, s in scores.items()},
                task=task,
                metric=f"attacked_{metric}",
            )
            reports[task] = {"clean": clean, "attack": attacked}
        output = self.TEST_DIR / "out"
        output.mkdir()
        comparison = demo.compare_task(
            "udpos", world_dir, reports["udpos"]["clean"], output / "compare-udpos", None
        )
        text = demo.summarize(world_dir, reports, {"udpos": comparison}, output, [0, 1])
        assert (output / "results.md").read_text() == text
        assert "# Demo results (mean ± std over 2 seeds" in text
        # Target average: 7 targets at 75 (mean of 80, 70); PGD +2; RS-DA +10/7.
        assert (
            "| **target average** | | | | **75.0 ± 7.1** | **77.0 ± 7.1** | **76.4 ± 7.1** |"
            in text
        )
        assert "| difference from baseline | | | | 0.0 ± 0.0 | 2.0 ± 0.0 | 1.4 ± 0.0 |" in text
        sweep = text.split("the premise sweep")[1].split("###")[0]
        rows = [
            line for line in sweep.splitlines() if line.startswith("| 0") or line.startswith("| 1")
        ]
        assert [row.split(" | ")[1] for row in rows] == ["qaa", "qab", "qac"]
        assert rows[2].endswith("| 75.0 ± 7.1 | 2.0 ± 0.0 | 10.0 ± 0.0 |")
        assert "| method | English | English, attacked |" in text
        assert "| RS-DA | 75.0 ± 7.1 | 37.5 ± 3.5 |" in text
        assert "generalized setting" in text and "generalized" not in text.split("## udpos: f1")[1]
        compared = text.split("## udpos: f1")[1].split("xtreme-compare")[1]
        assert "| Synthetic-qac | qac qaf | RS-DA | +5.0" in compared  # (10 + 0) / 2
        assert "| Synthetic-qaa | qaa qad | adversarial (PGD) | +2.0" in compared
        assert "| RS-DA | distance:synonym_share | 7 |" in compared
        assert "xtreme-compare" not in text.split("## udpos: f1")[0]
        for task in ("pawsx", "udpos"):
            for name in demo.PLOTS:
                assert (output / name.format(task=task)).stat().st_size > 1000
        saved = json.loads((output / "results.json").read_text())
        assert saved["tasks"]["udpos"]["clean"]["rs_da"]["qac"] == pytest.approx([0.9, 0.8])
        assert saved["languages"]["qac"]["share"] == 1.0


@pytest.mark.slow
def test_quick_demo_end_to_end(tmp_path, monkeypatch):
    """`--quick`: the whole pipeline (train, report, attack, alignment, compare, summary) on a tiny
    world."""
    monkeypatch.chdir(tmp_path)
    demo.main(["--quick", "--methods", "baseline", "rs_da", "--output-dir", "out"])
    output = tmp_path / "out"
    text = (output / "results.md").read_text()
    assert "## pawsx: accuracy (%) per language" in text and "## udpos: f1 (%)" in text
    for task in ("pawsx", "udpos"):
        assert (output / f"compare-{task}" / "comparison.md").is_file()
        for name in demo.PLOTS:
            assert (output / name.format(task=task)).is_file()
        assert (output / "runs" / f"{task}-rs_da-seed0" / "attack" / "metrics.json").is_file()
        # The encoder before and after each method, every target language, in one table.
        rows = (output / f"alignment-{task}" / "alignment.csv").read_text().splitlines()
        models = {row.split(",")[0] for row in rows[1:]}
        assert models == {"pretrained", "baseline#0", "rs_da#0"}
        assert f"alignment-{task}/alignment.md" in text
