"""
Adversarial training "for free" against PGD-3 and the baseline on the synthetic benchmark
(`allennlp_robust_xlt/data/synthetic_xlt.py`, the demo's world and sizes): the total training
CPU time of each run, its English dev accuracy (what selects settings), and its test accuracy,
clean and under the `embedding_attack` evaluator, on English and on the target languages.

Every run is `allennlp train` on the project's `training_configs/pawsx_*.jsonnet` with the
demo's overrides (20 epochs of 4000 pairs in batches of 32, lr 1e-3, the word-embedding table
frozen, a clean warm-up of 625 optimizer steps for the adversarial runs), in its own process
(one thread); its CPU time is the process's user + system time (`os.wait4`), so runs can go in
parallel on a shared machine. Then `xtreme-report --attack` evaluates every test language under
each attack radius. `free` keeps the baseline's 20 epochs (each about the next 1/m of a pass over the
data, each batch m times), so it takes exactly the baseline's number of optimizer steps (125 per
epoch) and sees the data 20/m times: the table gives its cost per epoch (`x baseline`) and per
pass over the data (`x baseline per pass`, about m times the former).

    python -m benchmarks.free_frontier [--runs baseline pgd3 free-m4-eps0.1 ...] [--seeds 0]
        [--attack-epsilons 0.05 0.1 0.2] [--jobs 2] [--output-dir .cache/free_frontier]

Writes `results.json` and `results.md` into the output directory. Not part of `make bench` (it
takes about 20 to 40 minutes on 2 cores).
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from benchmarks.common import CACHE, CONFIGS, child_environment, start, wait_cpu

# The sizes of the first demo (now `TRAINING_OVERRIDES` of data/synthetic_xlt.py) and its PGD
# setting.
SIZE: Dict[str, Any] = {
    "trainer.num_epochs": 20,
    "trainer.num_gradient_accumulation_steps": 1,
    "trainer.optimizer.lr": 1e-3,
    "trainer.optimizer.parameter_groups": [[[".*word_embeddings.*"], {"requires_grad": False}]],
    "data_loader.batch_sampler.batch_size": 32,
}
WARMUP_STEPS = 625


def run_settings(name: str) -> Tuple[str, Dict[str, Any]]:
    """`baseline`, `pgdK-epsE` (alpha E/2, the demo's), `free-mM-epsE[-alphaA]`: config and overrides."""
    if name == "baseline":
        return "pawsx_baseline.jsonnet", {}
    parts = dict(
        (part.rstrip("0123456789.") or part, part[len(part.rstrip("0123456789.")) :])
        for part in name.split("-")[1:]
    )
    epsilon = float(parts.get("eps", "0.05"))
    callback: Dict[str, Any] = {
        "trainer.callbacks.0.epsilon": epsilon,
        "trainer.callbacks.0.warmup_steps": WARMUP_STEPS,
    }
    if name.startswith("pgd"):
        steps = int(name.split("-")[0][3:] or 3)
        callback.update(
            {
                "trainer.callbacks.0.method": "pgd",
                "trainer.callbacks.0.steps": steps,
                "trainer.callbacks.0.alpha": float(parts.get("alpha", epsilon / 2)),
            }
        )
    elif name.startswith("free"):
        callback.update(
            {
                "trainer.callbacks.0.method": "free",
                "trainer.callbacks.0.replays": int(parts["m"]),
                "trainer.callbacks.0.alpha": float(parts.get("alpha", epsilon)),
            }
        )
    else:
        raise ValueError(f"unknown run {name!r}")
    return "pawsx_adv.jsonnet", callback


def train_and_evaluate(
    name: str, seed: int, benchmark: Path, output: Path, epsilons: List[float]
) -> List[Tuple[List[str], Path]]:
    """The commands of one run: training, then one report per attack radius."""
    config, callback = run_settings(name)
    run_dir = output / "runs" / f"{name}-seed{seed}"
    overrides = {**SIZE, **callback, "random_seed": seed, "numpy_seed": seed, "pytorch_seed": seed}
    python = [sys.executable, "-m", "allennlp_robust_xlt"]
    commands = [
        (
            python
            + ["train", str(CONFIGS / config), "-s", str(run_dir), "--force"]
            + ["-o", json.dumps(overrides)],
            run_dir.parent / f"{run_dir.name}.train.log",
        )
    ]
    languages = json.loads((benchmark / "languages.json").read_text())["languages"]
    for epsilon in epsilons:
        attack = {"type": "embedding_attack", "norm": "l2", "epsilon": epsilon, "steps": 10}
        commands.append(
            (
                python
                + ["xtreme-report", str(run_dir / "model.tar.gz"), str(benchmark)]
                + ["--task", "pawsx", "--languages", *languages, "--force"]
                + ["--output-dir", str(run_dir / f"attack-{epsilon:g}")]
                + ["--attack", json.dumps(attack)],
                run_dir.parent / f"{run_dir.name}.attack-{epsilon:g}.log",
            )
        )
    return commands


def passes_over_the_data(name: str) -> float:
    """
    How many times run `name` sees the training data: the configured epochs, or for `free` the
    epochs divided by m (each epoch has the baseline's optimizer steps, each batch m times).
    """
    replays = run_settings(name)[1].get("trainer.callbacks.0.replays", 1)
    return SIZE["trainer.num_epochs"] / replays


def collect(name: str, seed: int, output: Path, epsilons: List[float], cpu: float) -> Dict:
    run_dir = output / "runs" / f"{name}-seed{seed}"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    result: Dict[str, Any] = {
        "run": name,
        "seed": seed,
        "train_cpu_s": cpu,
        "passes": passes_over_the_data(name),
        "english_dev": metrics["best_validation_accuracy"],
        "attacks": {},
    }
    for epsilon in epsilons:
        report = json.loads((run_dir / f"attack-{epsilon:g}" / "metrics.json").read_text())
        languages = report["languages"]
        targets = [code for code in languages if code != "en"]
        result["attacks"][f"{epsilon:g}"] = {
            "en": languages["en"]["accuracy"],
            "targets": statistics.mean(languages[c]["accuracy"] for c in targets),
            "attacked_en": languages["en"]["attacked_accuracy"],
            "attacked_targets": statistics.mean(languages[c]["attacked_accuracy"] for c in targets),
        }
    return result


def markdown(results: List[Dict[str, Any]], epsilons: List[float]) -> str:
    """
    The table. `x baseline` compares the training CPU at equal epochs (the same number of
    optimizer steps); `x baseline per pass` compares the CPU per pass over the training data
    (`free` sees the data `epochs / m` times, so its cost per pass is about m times its cost per
    epoch).
    """
    baseline = [r["train_cpu_s"] for r in results if r["run"] == "baseline"]
    base = statistics.mean(baseline) if baseline else None
    base_passes = SIZE["trainer.num_epochs"]
    first = f"{epsilons[0]:g}"
    header = (
        "| run | seed | training CPU (s) | x baseline | passes over the data | x baseline per pass"
        " | English dev | en test | target test |"
        + "".join(f" attacked en, eps {e:g} | attacked targets, eps {e:g} |" for e in epsilons)
    )
    lines = [header, "|---" * (9 + 2 * len(epsilons)) + "|"]
    for r in results:
        ratio = f"{r['train_cpu_s'] / base:.2f}" if base else ""
        passes = r.get("passes", passes_over_the_data(r["run"]))
        per_pass = (
            f"{(r['train_cpu_s'] / passes) / (base / base_passes):.2f}" if base and passes else ""
        )
        cells = [
            r["run"],
            str(r["seed"]),
            f"{r['train_cpu_s']:.0f}",
            ratio,
            f"{passes:g}",
            per_pass,
            f"{100 * r['english_dev']:.1f}",
            f"{100 * r['attacks'][first]['en']:.1f}",
            f"{100 * r['attacks'][first]['targets']:.1f}",
        ]
        for e in epsilons:
            attack = r["attacks"][f"{e:g}"]
            cells += [
                f"{100 * attack['attacked_en']:.1f}",
                f"{100 * attack['attacked_targets']:.1f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", nargs="+", default=["baseline", "pgd3-eps0.05", "free-m2-eps0.05"]
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--attack-epsilons", type=float, nargs="+", default=[0.05, 0.1, 0.2])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--benchmark-seed", type=int, default=0)
    parser.add_argument("--output-dir", type=Path, default=CACHE / "free_frontier")
    args = parser.parse_args(argv)

    from allennlp_robust_xlt.data.synthetic_xlt import SyntheticXltConfig, write_benchmark

    output = args.output_dir.resolve()
    benchmark = output / f"benchmark-{args.benchmark_seed}"
    if not (benchmark / "languages.json").exists():
        write_benchmark(
            benchmark, SyntheticXltConfig(seed=args.benchmark_seed, synonym_distance=0.5)
        )
    (output / "runs").mkdir(parents=True, exist_ok=True)
    environment = child_environment(benchmark)
    pending = [(name, seed) for seed in args.seeds for name in args.runs]
    running: Dict[int, Tuple[subprocess.Popen, str, int, List[Tuple[List[str], Path]]]] = {}
    results_path = output / "results.json"
    results: List[Dict[str, Any]] = (
        json.loads(results_path.read_text()) if results_path.exists() else []
    )
    cpu: Dict[Tuple[str, int], float] = {}
    while pending or running:
        while pending and len(running) < args.jobs:
            name, seed = pending.pop(0)
            commands = train_and_evaluate(name, seed, benchmark, output, args.attack_epsilons)
            command, log = commands.pop(0)
            process = start(command, log, environment)
            running[process.pid] = (process, name, seed, commands)
            print(f"{time.strftime('%H:%M:%S')} started {name} seed {seed}", flush=True)
        pid = next(iter(running))
        process, name, seed, commands = running.pop(pid)
        seconds = wait_cpu(process)
        if process.returncode != 0:
            print(f"{name} seed {seed} failed: see {output / 'runs'}", flush=True)
            continue
        cpu.setdefault((name, seed), seconds)  # the first command is the training
        if commands:
            command, log = commands.pop(0)
            process = start(command, log, environment)
            running[process.pid] = (process, name, seed, commands)
            continue
        result = collect(name, seed, output, args.attack_epsilons, cpu[(name, seed)])
        results = [r for r in results if (r["run"], r["seed"]) != (name, seed)] + [result]
        results_path.write_text(json.dumps(results, indent=2))
        (output / "results.md").write_text(markdown(results, args.attack_epsilons) + "\n")
        print(
            f"{time.strftime('%H:%M:%S')} {name} seed {seed}: {cpu[(name, seed)]:.0f}s CPU to train,"
            f" English dev {100 * result['english_dev']:.1f}",
            flush=True,
        )
    print(markdown(results, args.attack_epsilons))


if __name__ == "__main__":
    main()
