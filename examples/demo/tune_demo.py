"""
Chooses the demo's strengths on English dev: `allennlp tune` (allennlp-optuna) of each tuned
method on each task of the demo's world, writing `examples/demo/strengths.json`, which
`run_demo.py` reads. Target-language data are never looked at.

Each study is one of the project's tuning configs (`training_configs/tuning/{study}.jsonnet`)
with its own search space (`{study}.json`), evaluated on a grid of points inside that space
(Optuna's `GridSampler`, `GRIDS`) so that the choice is reproducible and every strength's dev
score can be shown; every trial trains with the demo's own settings for the task (epochs, batch
size, learning rate, the frozen word embeddings, the clean warm-up) and seed 0, and is scored by
its best English dev epoch (`best_validation_{accuracy,f1}`). The chosen point is the best dev
score; a tie goes to the point listed first (the weakest). SMART + unlabelled target text takes
SMART's choice (its unlabelled inputs carry no label to tune on).

    python examples/demo/tune_demo.py [--output-dir demo_output] [--tasks pawsx udpos]
        [--studies pgd rs_rp r3f smart] [--jobs 2] [--strengths examples/demo/strengths.json]
        [--all-synonyms] [--quick]

The trials are kept under `OUTPUT_DIR/tune-{task}-{study}/` (`trial_N/`, `study.db`).
"""

import argparse
import json
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_demo  # noqa: E402 -- the demo's world, sizes and overrides

TUNING = run_demo.CONFIGS / "tuning"
# Points inside the search spaces of training_configs/tuning/{study}.json, weakest first.
GRIDS: Dict[str, Dict[str, List[float]]] = {
    # L2 radius per example; the step is half of it
    "pgd": {"epsilon": [0.05, 0.1, 0.2], "alpha_fraction": [0.5]},
    # Gaussian noise per coordinate: per-word norms 0.125, 0.25, 0.5 in the 64-dim embeddings
    "rs_rp": {"scale": [0.125 / 8, 0.25 / 8, 0.5 / 8]},
    # uniform noise per coordinate: fairseq's 1e-5 and one at the embeddings' own scale
    "r3f": {"epsilon": [1e-5, 0.02], "kl_weight": [1.0, 3.0]},
    # L-inf radius (one step reaches it): the paper's 1e-5 and one at the embeddings' scale
    "smart": {"epsilon": [1e-5, 0.02], "kl_weight": [1.0, 3.0]},
}
WARMED_UP = {"pgd", "r3f", "smart"}  # their method's callback takes the clean warm-up
QUICK_GRIDS: Dict[str, Dict[str, List[float]]] = {
    study: {name: values[:1] if name != "epsilon" else values[:2] for name, values in grid.items()}
    for study, grid in GRIDS.items()
}


def points(grid: Dict[str, List[float]]) -> List[Dict[str, float]]:
    """The grid's points, in order: the first parameter varies slowest."""
    result: List[Dict[str, float]] = [{}]
    for name, values in grid.items():
        result = [{**point, name: value} for point in result for value in values]
    return result


def study_job(
    task: str, study: str, grid: Dict[str, List[float]], output: Path, epochs: int, train_size: int
) -> Tuple[List[str], Dict[str, str], Path]:
    """
    The `allennlp tune` command line of one study, the environment it adds (the world's comes
    from `run_demo.prepare_world`) and its directory.
    """
    directory = output / f"tune-{task}-{study}"
    directory.mkdir(parents=True, exist_ok=True)
    sampler = directory / "grid.json"
    sampler.write_text(json.dumps({"sampler": {"type": "GridSampler", "attributes": grid}}))
    metric = "accuracy" if run_demo.SIZES[task].metric == "accuracy" else "f1"
    command = [
        "tune", str(TUNING / f"{study}.jsonnet"), str(TUNING / f"{study}.json"),
        "--optuna-param-path", str(sampler), "--serialization-dir", str(directory),
        "--study-name", f"demo-{task}-{study}", "--storage", f"sqlite:///{directory / 'study.db'}",
        "--metrics", f"best_validation_{metric}", "--direction", "maximize",
        "--n-trials", str(len(points(grid))),
    ]  # fmt: skip
    callback = {}
    if study in WARMED_UP:
        callback["warmup_steps"] = run_demo.warmup_steps(task, train_size, epochs)
    environment = {
        "XLT_TASK": task,
        "XLT_TUNE_CALLBACK": json.dumps(callback),
        "XLT_TUNE_OVERRIDES": json.dumps(run_demo.base_overrides(task, 0, epochs)),
    }
    return command, environment, directory


def read_study(directory: Path, task: str, study: str) -> Dict[str, Any]:
    """Every trial's point and English dev score, and the chosen point."""
    import optuna

    storage = f"sqlite:///{directory / 'study.db'}"
    loaded = optuna.load_study(study_name=f"demo-{task}-{study}", storage=storage)
    trials = [
        {"params": trial.params, "english_dev": trial.value}
        for trial in loaded.trials
        if trial.state == optuna.trial.TrialState.COMPLETE
    ]
    order = [json.dumps(point, sort_keys=True) for point in points(read_grid(directory))]
    trials.sort(key=lambda t: order.index(json.dumps(t["params"], sort_keys=True)))
    best = max(trials, key=lambda t: t["english_dev"])  # the first of equals: the weakest
    return {"chosen": best["params"], "trials": trials}


def read_grid(directory: Path) -> Dict[str, List[float]]:
    return json.loads((directory / "grid.json").read_text())["sampler"]["attributes"]


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description="Choose the demo's strengths on English dev.")
    parser.add_argument("--output-dir", type=Path, default=Path("demo_output"))
    parser.add_argument(
        "--tasks", nargs="+", choices=list(run_demo.SIZES), default=list(run_demo.SIZES)
    )
    parser.add_argument("--studies", nargs="+", choices=list(GRIDS), default=list(GRIDS))
    parser.add_argument("--jobs", type=int, default=2, help="studies at once, one thread each")
    parser.add_argument("--strengths", type=Path, default=run_demo.STRENGTHS)
    parser.add_argument("--world-seed", type=int, default=0)
    parser.add_argument("--all-synonyms", action="store_true", help="the earlier world")
    parser.add_argument("--quick", action="store_true", help="a tiny world, one epoch, 2 points")
    args = parser.parse_args(argv)
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(name, "1")
    logging.disable(logging.INFO)

    import allennlp_optuna  # noqa: F401 -- its `tune` command, before the jobs fork
    import torch

    import allennlp_robust_xlt  # noqa: F401

    torch.set_num_threads(1)
    started = time.time()
    output = args.output_dir.resolve()
    output.mkdir(parents=True, exist_ok=True)
    world, config = run_demo.demo_world(output, args.world_seed, args.quick, not args.all_synonyms)
    config = run_demo.prepare_world(world, config)
    train_sizes = {"pawsx": config.train_size, "udpos": config.tagging_train_size}
    grids = QUICK_GRIDS if args.quick else GRIDS
    jobs, directories = [], {}
    for task in args.tasks:
        epochs = 1 if args.quick else run_demo.SIZES[task].epochs
        for study in sorted(args.studies, key=lambda s: -math.prod(map(len, grids[s].values()))):
            command, environment, directory = study_job(
                task, study, grids[study], output, epochs, train_sizes[task]
            )
            if (directory / "study.db").exists():
                (directory / "study.db").unlink()  # the demo's own directory: a new study
            directories[(task, study)] = directory
            jobs.append((f"tune {task} {study}", [command], environment, directory / "tune.log"))
    run_demo.run_jobs(jobs, args.jobs)
    strengths = run_demo.load_strengths(args.strengths)
    for (task, study), directory in directories.items():
        strengths.setdefault(task, {})[study] = read_study(directory, task, study)
    strengths["protocol"] = (
        "examples/demo/tune_demo.py: allennlp tune of training_configs/tuning/{study}.jsonnet on"
        f" the grid GRIDS, the demo's settings, seed 0, best English dev epoch; world {world.name}"
    )
    args.strengths.write_text(json.dumps(strengths, indent=1, sort_keys=True) + "\n")
    for task, study in directories:
        print(f"tune_demo: {task} {study}: {strengths[task][study]['chosen']}")
    print(f"tune_demo: done in {time.time() - started:.0f}s; wrote {args.strengths}")
    return strengths


if __name__ == "__main__":
    main()
