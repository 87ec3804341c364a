"""
The cost-robustness frontier of every robust method on the demo's synthetic world
(`examples/demo/run_demo.py`, `allennlp_robust_xlt/data/synthetic_xlt.py`), pair task (PAWS-X
layout) and tagging task (UD-POS layout): per method, its training CPU relative to the
baseline's at equal epochs, its English dev score (what selects settings), its clean target
average and its target average under the `embedding_attack` evaluator at twice the training
radius, each with a 95% t-interval over seeds.

Every run is `allennlp train` on the project's `training_configs/{task}_{suffix}.jsonnet` with
the demo's overrides (its sizes, learning rate, frozen word embeddings and, for every method of
the `adversarial_training` callback, its clean warm-up of a quarter of the steps), in its own
process with one thread; its CPU is the process's user + system time (`os.wait4`), so two runs
can go in parallel on a shared machine. Each seed's ratio divides by the same seed's baseline.
Then one `xtreme-report --attack` per run gives the clean and the attacked score of every
language. Radii: every method with a radius uses the PGD radius `EPSILON` (L2 per example);
the attack is L2, 5 steps, at `2 * EPSILON`. R3F has no radius: its noise is normal with a
per-word norm of about `EPSILON`.

* RS-RP: its noise (per-word norm) is chosen from `RS_RP_GRID` by the mean English dev over
  the seeds (never by a target language); the grid is in results.json.
* SMART on unlabelled target text (`smart_unlabeled`): the world writes freshly generated
  sentences (new draws, neither the test nor any training sentences: not transductive) of
  every target language, in the task's stripped-test layout, into `XLT_UNLABELED_DATA`.
* Checkpoint averaging (`avg_baseline`, `avg_best`): every run keeps its last `AVERAGE_LAST`
  epoch checkpoints; `average-checkpoints --last K` averages them along the run (not across
  seeds), for the baseline and for the method with the best mean English dev. Their cost is
  the run's training CPU plus the averaging's.

    python -m benchmarks.robust_frontier [--quick] [--tasks pawsx udpos] [--seeds 0 1 2]
        [--methods baseline pgd3 ...] [--epochs-scale 0.5] [--world-size 1] [--test-size 200]
        [--jobs 2] [--output-dir DIR] [--report-only]

Writes `results.json`, `results.md` and `frontier.png` into the output directory (default
`.cache/benchmarks/robust_frontier`, `--quick`: `..._quick`). Not part of `make bench`.
"""

import argparse
import importlib.util
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from benchmarks.common import CACHE, CONFIGS, PROJECT_ROOT, child_environment, start, wait_cpu

EPSILON = 0.05  # the demo's PGD radius (L2 per example)
ATTACK = {"type": "embedding_attack", "norm": "l2", "epsilon": 2 * EPSILON, "steps": 5}
RS_RP_GRID = (0.25, 0.5, 1.0)  # noise norm per word (the demo's choice is 0.5)
AVERAGE_LAST = 3
GOAL_COST = 1.3


@dataclass(frozen=True)
class Method:
    """A method: its config suffix, its callback settings, other overrides."""

    label: str
    suffix: str
    callback: Dict[str, Any] = field(default_factory=dict)
    other: Dict[str, Any] = field(default_factory=dict)


def methods(hidden_size: int) -> Dict[str, Method]:
    per_coordinate = EPSILON / math.sqrt(hidden_size)
    adv = lambda **kw: Method(kw.pop("label"), "adv", {"epsilon": EPSILON, **kw})  # noqa: E731
    table = {
        "baseline": Method("baseline", "baseline"),
        "fgm": adv(label="FGM", method="fgm"),
        "pgd1": adv(label="PGD-1", method="pgd", steps=1, alpha=EPSILON),
        "pgd3": adv(label="PGD-3", method="pgd", steps=3, alpha=EPSILON / 2),
        "freelb3": adv(label="FreeLB-3", method="freelb", steps=3, alpha=EPSILON / 2),
        "free2": adv(label="free, m=2", method="free", replays=2),
        "free4": adv(label="free, m=4", method="free", replays=4),
        "fast": adv(label="fast", method="fast"),
        "r3f": Method("R3F", "r3f", {"epsilon": per_coordinate, "noise_type": "normal"}),
        "smart": Method("SMART", "smart", {"norm": "l2", "epsilon": EPSILON, "alpha": EPSILON}),
        "smart_unlabeled": Method(
            "SMART + unlabelled target text",
            "smart_unlabeled",
            {"norm": "l2", "epsilon": EPSILON, "alpha": EPSILON},
        ),
        "rs_da": Method("RS-DA", "rs_da", other={"dataset_reader.copies": 4}),
    }
    for norm in RS_RP_GRID:
        table[f"rs_rp{norm:g}"] = Method(
            f"RS-RP (noise {norm:g})", "rs_rp", {"scale": norm / math.sqrt(hidden_size)}
        )
    return table


DERIVED = {"rs_rp": "RS-RP (noise by English dev)", "avg_baseline": "", "avg_best": ""}
ALL = [
    "baseline", "fgm", "pgd1", "pgd3", "freelb3", "free2", "free4", "fast", "r3f", "smart",
    "smart_unlabeled", "rs_rp", "rs_da", "avg_baseline", "avg_best",
]  # fmt: skip
QUICK = ["baseline", "pgd3", "smart_unlabeled", "rs_rp", "avg_baseline"]


def load_demo() -> Any:
    """`examples/demo/run_demo.py` as a module: the world, its sizes and overrides."""
    path = PROJECT_ROOT / "examples" / "demo" / "run_demo.py"
    spec = importlib.util.spec_from_file_location("run_demo", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_demo"] = module
    spec.loader.exec_module(module)
    return module


def write_unlabeled(world: Path, config: Any) -> Dict[str, Path]:
    """
    Unlabelled target-language inputs per task, freshly generated (seed offsets unused by the
    world's splits), as many as the English dev set, in the stripped-test layout.
    """
    from allennlp_robust_xlt.data.synthetic_xlt import SyntheticXlt

    directories = {task: world / f"unlabeled-{task}" for task in ("pawsx", "udpos")}
    if all((d / "done").exists() for d in directories.values()):
        return directories
    synthetic = SyntheticXlt(config)
    pairs = synthetic.pairs(config.dev_size, 21)
    sentences = synthetic.tagged_sentences(config.tagging_dev_size, 31)
    for directory in directories.values():
        directory.mkdir(parents=True, exist_ok=True)
    for code in synthetic.targets:
        with open(directories["pawsx"] / f"{code}.tsv", "w", encoding="utf-8") as out:
            for first, second, _ in pairs:
                out.write(
                    " ".join(synthetic.translate(first, code))
                    + "\t"
                    + " ".join(synthetic.translate(second, code))
                    + "\n"
                )
        with open(directories["udpos"] / f"{code}.tsv", "w", encoding="utf-8") as out:
            for words, _ in sentences:
                out.write("".join(f"{w}\n" for w in synthetic.translate(words, code)) + "\n")
    for directory in directories.values():
        (directory / "done").write_text("")
    return directories


class Frontier:
    """Runs the commands of every (task, method, seed) with at most `jobs` processes."""

    def __init__(self, args: argparse.Namespace, demo: Any, world: Path, config: Any) -> None:
        self.args, self.demo, self.world, self.config = args, demo, world, config
        self.output = args.output_dir
        self.table = methods(config.hidden_size)
        self.unlabeled = write_unlabeled(world, config)
        self.languages = json.loads((world / "languages.json").read_text())["languages"]
        self.train_sizes = {"pawsx": config.train_size, "udpos": config.tagging_train_size}
        path = self.output / "runs.json"
        self.runs: Dict[str, Dict[str, Any]] = json.loads(path.read_text()) if path.exists() else {}

    def epochs(self, task: str) -> int:
        if self.args.quick:
            return 2
        return max(4, round(self.demo.SIZES[task].epochs * self.args.epochs_scale))

    def overrides(self, task: str, method: str, seed: int) -> Dict[str, Any]:
        from allennlp_robust_xlt.data.synthetic_xlt import TRAINING_OVERRIDES

        chosen, epochs = self.table[method], self.epochs(task)
        batch = self.demo.SIZES[task].batch_size
        result: Dict[str, Any] = dict(TRAINING_OVERRIDES)
        result.update(
            {
                "trainer.num_epochs": epochs,
                "trainer.optimizer.lr": self.demo.LEARNING_RATE,
                "data_loader.batch_sampler.batch_size": batch,
                "trainer.checkpointer.keep_most_recent_by_count": AVERAGE_LAST,
                "random_seed": seed,
                "numpy_seed": seed,
                "pytorch_seed": seed,
            }
        )
        for key, value in chosen.callback.items():
            result[f"trainer.callbacks.0.{key}"] = value
        if chosen.suffix in ("adv", "r3f", "smart", "smart_unlabeled"):
            # the demo's clean warm-up in optimizer steps (a quarter of its epochs), whatever
            # `--epochs-scale`, at most half of the run: shorter, the adversary keeps the
            # encoder (trained from random weights) at chance
            demo_epochs = self.demo.SIZES[task].epochs if not self.args.quick else epochs
            share = min(0.5, self.demo.WARMUP_SHARE * demo_epochs / epochs)
            steps = math.ceil(self.train_sizes[task] / batch) * epochs
            result["trainer.callbacks.0.warmup_steps"] = int(share * steps)
        result.update(chosen.other)
        if chosen.suffix == "rs_da":  # epochs / copies: the baseline's optimizer steps
            result["trainer.num_epochs"] = max(1, epochs // chosen.other["dataset_reader.copies"])
        return result

    def report(self, task: str, archive: Path, output: Path, split: str = "test") -> List[str]:
        languages = ["en"] if split == "dev" else self.languages
        command = [sys.executable, "-m", "allennlp_robust_xlt", "xtreme-report", str(archive)]
        command += [str(self.world), "--task", task, "--force", "--output-dir", str(output)]
        command += ["--split", split, "--languages", *languages]
        return command + ([] if split == "dev" else ["--attack", json.dumps(ATTACK)])

    def trained(self, task: str, method: str, seed: int) -> List[Tuple[List[str], Path]]:
        run = self.output / "runs" / f"{task}-{method}-seed{seed}"
        config = CONFIGS / f"{task}_{self.table[method].suffix}.jsonnet"
        train = [sys.executable, "-m", "allennlp_robust_xlt", "train", str(config), "-s", str(run)]
        train += ["--force", "-o", json.dumps(self.overrides(task, method, seed))]
        return [
            (train, run.parent / f"{run.name}.train.log"),
            (
                self.report(task, run / "model.tar.gz", run / "attack"),
                run.parent / f"{run.name}.log",
            ),
        ]

    def averaged(self, task: str, source: str, seed: int) -> List[Tuple[List[str], Path]]:
        run = self.output / "runs" / f"{task}-{source}-seed{seed}"
        archive = run / "averaged.tar.gz"
        average = [sys.executable, "-m", "allennlp_robust_xlt", "average-checkpoints", str(run)]
        last = min(AVERAGE_LAST, self.epochs(task))
        average += ["--last", str(last), "--output", str(archive), "--force"]
        log = run.parent / f"{run.name}.averaged.log"
        return [
            (average, log),
            (self.report(task, archive, run / "averaged-attack"), log),
            (self.report(task, archive, run / "averaged-dev", split="dev"), log),
        ]

    def execute(self, jobs: List[Tuple[str, List[Tuple[List[str], Path]]]]) -> None:
        """Runs each job's commands in order, `--jobs` jobs at once; CPU of each job's first."""
        environment = child_environment(self.world)
        pending = [job for job in jobs if job[0] not in self.runs]
        running: Dict[int, Any] = {}
        while pending or running:
            while pending and len(running) < self.args.jobs:
                key, commands = pending.pop(0)
                # read by the *_unlabeled configs only, at training (each job's first command)
                environment["XLT_UNLABELED_DATA"] = str(self.unlabeled[key.split("/")[0]])
                (self.output / "runs").mkdir(parents=True, exist_ok=True)
                process = start(*commands[0], environment)
                running[process.pid] = (process, key, commands[1:], [])
                print(f"{time.strftime('%H:%M:%S')} started {key}", flush=True)
            pid = next(iter(running))
            process, key, rest, cpu = running.pop(pid)
            cpu.append(wait_cpu(process))
            if process.returncode != 0:
                print(f"{key} failed (exit {process.returncode}): see its log", flush=True)
                continue
            if rest:
                process = start(*rest[0], environment)
                running[process.pid] = (process, key, rest[1:], cpu)
                continue
            self.runs[key] = {"cpu": cpu}
            (self.output / "runs.json").write_text(json.dumps(self.runs, indent=1))
            print(f"{time.strftime('%H:%M:%S')} done {key}: {cpu[0]:.0f}s CPU", flush=True)

    def trained_methods(self) -> List[str]:
        chosen = [m for m in self.args.methods if m not in DERIVED]
        if "rs_rp" in self.args.methods:
            chosen += [f"rs_rp{n:g}" for n in (RS_RP_GRID[1:2] if self.args.quick else RS_RP_GRID)]
        return chosen

    def run(self) -> None:
        jobs = [
            (f"{task}/{method}/{seed}", self.trained(task, method, seed))
            for seed in self.args.seeds
            for task in self.args.tasks
            for method in self.trained_methods()
        ]
        self.execute(jobs)
        averaging = []
        for task in self.args.tasks:
            for name in ("avg_baseline", "avg_best"):
                if name in self.args.methods:
                    source = "baseline" if name == "avg_baseline" else self.best(task)
                    for seed in self.args.seeds:
                        if f"{task}/{source}/{seed}" in self.runs:
                            key = f"{task}/avg:{source}/{seed}"
                            averaging.append((key, self.averaged(task, source, seed)))
        self.execute(averaging)

    def english_dev(self, task: str, method: str, seed: int) -> Optional[float]:
        if f"{task}/{method}/{seed}" not in self.runs:
            return None
        run = self.output / "runs" / f"{task}-{method}-seed{seed}"
        metric = self.demo.SIZES[task].metric
        return json.loads((run / "metrics.json").read_text())[f"best_validation_{metric}"]

    def mean_dev(self, task: str, method: str) -> float:
        scores = [self.english_dev(task, method, s) for s in self.args.seeds]
        scores = [s for s in scores if s is not None]
        return statistics.mean(scores) if scores else -1.0

    def best(self, task: str) -> str:
        """The trained method (not the baseline, not an RS-RP grid point) best on English dev."""
        candidates = [m for m in self.trained_methods() if m != "baseline"]
        candidates = [m for m in candidates if not m.startswith("rs_rp")] + [self.rs_rp(task)]
        return max(candidates, key=lambda m: self.mean_dev(task, m))

    def grid(self, task: str) -> Dict[str, float]:
        """RS-RP's grid: noise norm -> mean English dev (x 100) over the seeds."""
        grid = [m for m in self.trained_methods() if m.startswith("rs_rp")]
        return {m[5:]: 100 * self.mean_dev(task, m) for m in grid}

    def rs_rp(self, task: str) -> str:
        grid = [m for m in self.trained_methods() if m.startswith("rs_rp")]
        return max(grid, key=lambda m: self.mean_dev(task, m)) if grid else "rs_rp"

    def seed_result(self, task: str, name: str, seed: int) -> Optional[Dict[str, Any]]:
        """One seed's figures of a row (`name`: a trained method or `avg:SOURCE`)."""
        source = name.split(":")[-1]
        run = self.output / "runs" / f"{task}-{source}-seed{seed}"
        base = self.runs.get(f"{task}/baseline/{seed}")
        done, trained = self.runs.get(f"{task}/{name}/{seed}"), self.runs.get(
            f"{task}/{source}/{seed}"
        )
        if not (done and trained and base):
            return None
        metric = self.demo.SIZES[task].metric
        cpu = trained["cpu"][0] + (done["cpu"][0] if name != source else 0.0)
        if name == source:
            dev, report = self.english_dev(task, name, seed), run / "attack"
        else:
            dev_report = json.loads((run / "averaged-dev" / "metrics.json").read_text())
            dev, report = dev_report["languages"]["en"][metric], run / "averaged-attack"
        scores = json.loads((report / "metrics.json").read_text())["languages"]
        targets = [code for code in scores if code != "en"]
        return {
            "seed": seed,
            "train_cpu_s": cpu,
            "cost": cpu / base["cpu"][0],
            "english_dev": 100 * dev,
            "clean_target": 100 * statistics.mean(scores[c][metric] for c in targets),
            # a constant predictor cannot be attacked: equal clean and attacked scores
            "collapsed": statistics.mean(scores[c][metric] for c in targets)
            == statistics.mean(scores[c][f"attacked_{metric}"] for c in targets),
            "attacked_target": 100
            * statistics.mean(scores[c][f"attacked_{metric}"] for c in targets),
        }

    def rows(self) -> Dict[str, List[Dict[str, Any]]]:
        result: Dict[str, List[Dict[str, Any]]] = {}
        for task in self.args.tasks:
            rows = []
            names = {m: m for m in self.trained_methods() if not m.startswith("rs_rp")}
            if "rs_rp" in self.args.methods:
                names["rs_rp"] = self.rs_rp(task)
            if "avg_baseline" in self.args.methods:
                names["avg_baseline"] = "avg:baseline"
            if "avg_best" in self.args.methods:
                names["avg_best"] = f"avg:{self.best(task)}"
            for row, name in names.items():
                seeds = [self.seed_result(task, name, s) for s in self.args.seeds]
                seeds = [s for s in seeds if s is not None]
                if not seeds:
                    continue
                label = self.table[name].label if name in self.table else row
                if row == "rs_rp":
                    label = f"RS-RP, noise {name[5:]} by English dev"
                elif name.startswith("avg:"):
                    last = min(AVERAGE_LAST, self.epochs(task))
                    label = f"average of the last {last} checkpoints of {name[4:]}"
                collapsed = sum(s["collapsed"] for s in seeds)
                if collapsed:
                    label += f" (collapsed to a constant: {collapsed} seed(s))"
                rows.append({"method": row, "run": name, "label": label, "seeds": seeds})
                rows[-1]["collapsed_seeds"] = collapsed
                for key in ("cost", "english_dev", "clean_target", "attacked_target"):
                    rows[-1][key] = interval([s[key] for s in seeds])
            result[task] = rows
        return result


def interval(values: List[float]) -> Dict[str, Any]:
    """Mean and 95% t-interval half-width over seeds (None with one seed)."""
    from allennlp_robust_xlt.analysis.statistics import t_half_width

    mean = statistics.mean(values)
    if len(values) < 2:
        return {"mean": mean, "half_width": None, "n": len(values)}
    return {"mean": mean, "half_width": t_half_width(values), "n": len(values)}


def cell(value: Dict[str, Any], digits: int = 1) -> str:
    shown = f"{value['mean']:.{digits}f}"
    return shown if value["half_width"] is None else f"{shown} ± {value['half_width']:.{digits}f}"


def goal(rows: List[Dict[str, Any]]) -> List[str]:
    """
    Methods at <= 1.3x the baseline's cost, attacked within 1 point of PGD-3, clean >= PGD-3;
    none when PGD-3 is missing or collapsed, never a collapsed method.
    """
    pgd3 = next((r for r in rows if r["method"] == "pgd3"), None)
    if pgd3 is None or pgd3.get("collapsed_seeds"):
        return []
    return [
        r["method"]
        for r in rows
        if r["method"] != "pgd3"
        and not r.get("collapsed_seeds")
        and r["cost"]["mean"] <= GOAL_COST
        and r["attacked_target"]["mean"] >= pgd3["attacked_target"]["mean"] - 1.0
        and r["clean_target"]["mean"] >= pgd3["clean_target"]["mean"]
    ]


def markdown(results: Dict[str, List[Dict[str, Any]]]) -> str:
    lines = []
    for task, rows in results.items():
        lines += [
            f"**{task}** (scores x 100; mean ± 95% t-interval half-width over seeds)",
            "",
            "| method | seeds | training CPU, x baseline | English dev | clean target avg"
            " | attacked target avg |",
            "|---|---|---|---|---|---|",
        ]
        for r in rows:
            cells = [r["label"], str(len(r["seeds"])), cell(r["cost"], 2)]
            cells += [cell(r[k]) for k in ("english_dev", "clean_target", "attacked_target")]
            lines.append("| " + " | ".join(cells) + " |")
        met = goal(rows)
        lines += ["", f"Goal met by: {', '.join(met) if met else 'none'}.", ""]
    return "\n".join(lines)


def plot(results: Dict[str, List[Dict[str, Any]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(results), figsize=(6.5 * len(results), 5), squeeze=False)
    for axis, (task, rows) in zip(axes[0], results.items()):
        for r in rows:
            x, y = r["cost"], r["attacked_target"]
            axis.errorbar(
                x["mean"], y["mean"], xerr=x["half_width"] or 0, yerr=y["half_width"] or 0,
                fmt="o", capsize=3,
            )  # fmt: skip
            axis.annotate(r["method"], (x["mean"], y["mean"]), fontsize=8, xytext=(4, 4),
                          textcoords="offset points")  # fmt: skip
        axis.axvline(GOAL_COST, color="grey", linestyle=":", linewidth=1)
        axis.set_xlabel("training CPU, x baseline (equal epochs)")
        axis.set_ylabel(f"attacked target average (eps {ATTACK['epsilon']:g})")
        axis.set_title(task)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny world, 1 seed, few methods")
    parser.add_argument("--tasks", nargs="+", default=["pawsx", "udpos"])
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--methods", nargs="+", choices=ALL, default=None)
    parser.add_argument("--epochs-scale", type=float, default=1.0, help="x the demo's epochs")
    parser.add_argument("--world-size", type=float, default=1.0, help="x the demo's train sizes")
    parser.add_argument(
        "--test-size", type=int, default=None, help="test inputs per language (demo: 400, 300)"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: the tables and plot of the runs done so far (runs.json)",
    )
    parser.add_argument("--output-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    args.seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    args.methods = args.methods or (QUICK if args.quick else ALL)
    if args.methods[0] != "baseline":
        parser.error("--methods must start with baseline (the reference of every ratio)")
    name = "robust_frontier" + ("_quick" if args.quick else "")
    args.output_dir = (args.output_dir or CACHE / name).resolve()
    args.output_dir.mkdir(parents=True, exist_ok=True)

    demo = load_demo()
    sizes: Dict[str, Any] = dict(demo.QUICK_WORLD) if args.quick else {}
    if not args.quick and args.world_size != 1.0:
        sizes = {"train_size": round(3000 * args.world_size)}
        sizes["tagging_train_size"] = round(1500 * args.world_size)
    if not args.quick and args.test_size:
        sizes.update(test_size=args.test_size, tagging_test_size=args.test_size)
    world = args.output_dir / "world"
    config = demo.prepare_world(world, demo.world_config(0, **sizes))
    frontier = Frontier(args, demo, world, config)
    started = time.time()
    if not args.report_only:
        frontier.run()
    results = frontier.rows()
    summary = {
        "date": time.strftime("%Y-%m-%d"),
        "minutes": (time.time() - started) / 60,
        "settings": {
            "quick": args.quick, "seeds": args.seeds, "epochs": {t: frontier.epochs(t) for t in args.tasks},
            "train_sizes": frontier.train_sizes, "attack": ATTACK, "epsilon": EPSILON,
            "rs_rp_grid": list(RS_RP_GRID), "average_last": AVERAGE_LAST,
        },  # fmt: skip
        "rs_rp_grid_english_dev": {task: frontier.grid(task) for task in args.tasks},
        "goal_met_by": {task: goal(rows) for task, rows in results.items()},
        "results": results,
    }
    (args.output_dir / "results.json").write_text(json.dumps(summary, indent=1))
    table = markdown(results)
    (args.output_dir / "results.md").write_text(table + "\n")
    plot(results, args.output_dir / "frontier.png")
    print(table)
    return summary


if __name__ == "__main__":
    main()
