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


def config_with_overrides(
    task: str, method: str, train_size: int = 3200, strengths: dict = None
) -> Params:
    return Params.from_file(
        str(demo.CONFIGS / f"{task}_{demo.METHODS[method].suffix}.jsonnet"),
        json.dumps(demo.overrides(task, method, 3, train_size, strengths=strengths or {})),
        ext_vars={"XLT_UNLABELED_DATA": "unlabeled"},
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
        # Without a choice in strengths.json: the defaults.
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

    @pytest.mark.parametrize("task", list(demo.SIZES))
    def test_english_dev_choices_set_the_strengths(self, task, tmp_path):
        strengths = {
            task: {
                "pgd": {"chosen": {"epsilon": 0.2, "alpha_fraction": 0.5}},
                "rs_rp": {"chosen": {"scale": 0.03}},
                "r3f": {"chosen": {"epsilon": 0.02, "kl_weight": 3.0}},
                "smart": {"chosen": {"epsilon": 0.02, "kl_weight": 3.0}},
            },
            "pawsx" if task == "udpos" else "udpos": {"pgd": {"chosen": {"epsilon": 9.0}}},
        }
        expected = {
            "adv": {"method": "pgd", "epsilon": 0.2, "alpha": 0.1},
            "rs_rp": {"scale": 0.03},
            "r3f": {"method": "r3f", "epsilon": 0.02, "kl_weight": 3.0},
            "smart": {"method": "smart", "epsilon": 0.02, "alpha": 0.02, "kl_weight": 3.0},
            "smart_unlabeled": {"method": "smart", "epsilon": 0.02, "alpha": 0.02},
        }
        run = demo.SIZES[task]
        quarter = int(0.25 * run.epochs * math.ceil(3200 / run.batch_size))
        for method, settings in expected.items():
            params = config_with_overrides(task, method, strengths=strengths)
            callback = params["trainer"]["callbacks"][0].as_dict()
            assert {key: callback[key] for key in settings} == settings, method
            assert callback.get("warmup_steps") == (None if method == "rs_rp" else quarter)
        unlabeled = config_with_overrides(task, "smart_unlabeled", strengths=strengths)
        assert unlabeled["trainer"]["callbacks"][1]["type"] == "unlabeled_consistency"

    @pytest.mark.parametrize("task", list(demo.SIZES))
    def test_checkpoint_averaging_averages_the_baseline_runs_last_checkpoints(self, task, tmp_path):
        params = config_with_overrides(task, "baseline").as_flat_dict()
        assert params["trainer.checkpointer.keep_most_recent_by_count"] == demo.AVERAGE_LAST
        (tmp_path / "languages.json").write_text(json.dumps({"languages": ["en", "qaa"]}))
        runs = tmp_path / "x"
        commands = demo.job(task, "averaging", 4, tmp_path, runs, 0)
        assert commands[0][:4] == [
            "average-checkpoints",
            str(runs / f"{task}-baseline-seed4"),
            "--last",
            str(demo.AVERAGE_LAST),
        ]
        assert commands[0][5] == str(runs / f"{task}-averaging-seed4" / "model.tar.gz")
        assert [c[0] for c in commands[1:]] == ["xtreme-report", "xtreme-report"]


def test_the_strengths_were_chosen_on_english_dev_for_each_task():
    """The committed choices: one per tuned study and task, the best English dev of its grid."""
    strengths = demo.load_strengths()
    for task in demo.SIZES:
        for study in {m.tuned for m in demo.METHODS.values() if m.tuned}:
            trials = strengths[task][study]["trials"]
            assert len(trials) >= 2
            best = max(trials, key=lambda t: t["english_dev"])
            assert strengths[task][study]["chosen"] == best["params"]


def test_world_sweeps_the_share_at_one_size_with_children_and_a_near_language():
    world = SyntheticXlt(demo.demo_world(PROJECT_ROOT, 0, quick=True)[1])
    sweep = [c for c in world.targets if world.parent[c] == "en" and world.own_offset[c] == 1.0]
    assert [world.synonym_share[c] for c in sweep] == list(demo.SHARES)
    assert all(world.misalignment[c] == demo.SWEEP_SIZE for c in sweep)
    children = [c for c in world.targets if world.parent[c] != "en"]
    assert [world.parent[c] for c in children] == sweep
    assert [world.synonym_share[c] for c in children] == list(demo.SHARES)
    assert all(world.misalignment[c] > demo.SWEEP_SIZE for c in children)
    assert world.config.tagging_train_size > 0
    assert not world.config.text_synonyms  # the default world: RS-DA's premise can show
    assert world.config.unlabeled_size > 0


def test_the_default_world_is_heads_only_and_the_earlier_one_a_flag(tmp_path):
    heads, config = demo.demo_world(tmp_path, 0, quick=True)
    assert heads.name == "world-0-quick-heads" and not config.text_synonyms
    every, config = demo.demo_world(tmp_path, 0, quick=True, heads_only=False)
    assert every.name == "world-0-quick" and config.text_synonyms


class TestSummary(AllenNlpTestCase):
    def test_results_tables_and_plots_from_the_reports(self):
        world_dir = self.TEST_DIR / "world"
        write_benchmark(world_dir, demo.world_config(0, **demo.QUICK_WORLD))
        codes = ["en"] + [f"qa{letter}" for letter in "abcdefg"]
        base = {c: [0.8, 0.7] for c in codes}
        # RS-DA gains 10 points on the share-1 language qac only; PGD 2 everywhere but English.
        rs_da = {c: [v + (0.1 if c == "qac" else 0.0) for v in base[c]] for c in codes}
        # PGD +1 on seed 0 and +3 on seed 1 everywhere but English (mean +2).
        adv = {
            c: [v + (0.0 if c == "en" else d) for v, d in zip(base[c], (0.01, 0.03))] for c in codes
        }
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
        assert "# Demo results (mean ± std over 2 seeds; gains with their 95% t-interval" in text
        # Target average: 7 targets at 75 (mean of 80, 70); PGD +2; RS-DA +10/7.
        assert (
            "| **target average** | | | | **75.0 ± 7.1** | **77.0 ± 5.7** | **76.4 ± 7.1** |"
            in text
        )
        # Paired by seed: PGD's gains 1 and 3 give t(0.975, 1) = 12.706 times 1.
        assert (
            "| gain over baseline [95% CI over seeds] | | | | +0.0 [+0.0, +0.0] |"
            " +2.0 [-10.7, +14.7] | +1.4 [+1.4, +1.4] |" in text
        )
        sweep = text.split("the premise sweep")[1].split("###")[0]
        rows = [
            line for line in sweep.splitlines() if line.startswith("| 0") or line.startswith("| 1")
        ]
        assert [row.split(" | ")[1] for row in rows] == ["qaa", "qab", "qac"]
        assert rows[2].endswith("| 75.0 ± 7.1 | +2.0 [-10.7, +14.7] | +10.0 [+10.0, +10.0] |")
        answers = text.split("where each gain is above 0 along the sweep")[2].split("###")[0]
        assert "| adversarial (PGD) | none |" in answers
        assert "| RS-DA | 1.0 |" in answers  # above 0 by the seeds at share 1 only
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


def test_a_failed_job_stops_the_demo_naming_its_log(tmp_path):
    jobs = [("broken", [["train", str(tmp_path / "absent.jsonnet"), "-s", str(tmp_path / "r")]],
             {}, tmp_path / "broken.log")]  # fmt: skip
    with pytest.raises(
        SystemExit, match=f"demo: failed: broken \\(see {tmp_path / 'broken.log'}\\)"
    ):
        demo.run_jobs(jobs, 1)
    assert "absent.jsonnet" in (tmp_path / "broken.log").read_text()


@pytest.mark.slow
def test_quick_demo_end_to_end(tmp_path, monkeypatch):
    """`--quick`: the whole pipeline (train, report, attack, averaging, alignment, compare, summary,
    the real part with the stand-in encoder) on a tiny world."""
    monkeypatch.chdir(tmp_path)
    demo.main(["--quick", "--methods", "baseline", "rs_da", "averaging", "--output-dir", "out"])
    output = tmp_path / "out"
    text = (output / "results.md").read_text()
    assert "## pawsx: accuracy (%) per language" in text and "## udpos: f1 (%)" in text
    assert "| checkpoint averaging |" in text.split("under the embedding attack")[1]
    for task in ("pawsx", "udpos"):
        assert (output / f"compare-{task}" / "comparison.md").is_file()
        for name in demo.PLOTS:
            assert (output / name.format(task=task)).is_file()
        assert (output / "runs" / f"{task}-rs_da-seed0" / "attack" / "metrics.json").is_file()
        averaged = output / "runs" / f"{task}-averaging-seed0"
        assert (averaged / "model.tar.gz").is_file() and (averaged / "attack").is_dir()
        # The encoder before and after each method, every target language, in one table.
        rows = (output / f"alignment-{task}" / "alignment.csv").read_text().splitlines()
        models = {row.split(",")[0] for row in rows[1:]}
        assert models == {"pretrained", "baseline#0", "rs_da#0", "averaging#0"}
        assert f"alignment-{task}/alignment.md" in text
        assert f"{task}: the encoder's alignment before and after each method" in text
    # The real part: the stand-in encoder on the shipped UDHR pairs, appended to the results.
    real = json.loads((output / "real" / "results.json").read_text())
    assert {"de", "fr", "zh"} <= set(real["languages"])
    assert "## The real part: a real encoder on real parallel text" in text
    timing = json.loads((output / "timing.json").read_text())
    assert timing["total_seconds"] > timing["jobs"]["real part"] > 0
