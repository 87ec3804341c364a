"""
`make demo`: which robust method helps under which kind of misalignment, offline, on a CPU.

An example that uses the plugin (as Hugging Face's `examples/` use `transformers`): it is not
part of the installed package, and runs from a clone (`make demo`, or `python
examples/demo/run_demo.py` with the plugin installed). A CPU cannot fine-tune XLM-R in minutes
and no model hub is reachable offline, so the demo shows the paper's *mechanism* on the
synthetic world of `allennlp_robust_xlt.data.synthetic_xlt` (its docstring defines it): target
languages at a known misalignment from English in a tiny local encoder's embedding space, the
direction of that misalignment set by a *synonym-ward share* (0: random, today's benchmark; 1:
straight towards an English synonym, the premise of RS-DA), in families. The demo

1. writes the world (`WORLD`: a share sweep at one misalignment size, each with a child
   language, plus a near language) with a pair task (PAWS-X's layout) and a token-level task
   (UD-POS's layout), if it is absent;
2. trains the baseline, adversarial training (PGD), RS-RP and RS-DA on each task with the
   project's own `training_configs/{task}_{method}.jsonnet` through `allennlp train`, overriding
   only the model (the synthetic encoder, its word-embedding table frozen so the misalignment
   stays what the world set), the data, the size (`SIZES`) and the perturbation sizes (below);
3. evaluates every language (and, for the pair task, the generalized language-pair matrix) with
   `xtreme-report`, every language under the `embedding_attack` evaluator (`xtreme-report
   --attack`), measures the encoder's alignment before and after each method with
   `xtreme-alignment`, and compares the methods with `xtreme-compare --distances` (the world's
   known misalignment and shares) `--families` (its families) `--alignment`;
4. prints one summary, writes `results.md`, `results.json` and the plots (`PLOTS`).

Perturbation sizes never come from target-language results: PGD's epsilon is the best of 0.05,
0.1 and 0.2 by English dev accuracy on the pair task (tuned with `allennlp tune` and
`training_configs/tuning/`, see the README), used as is on the tagging task (not tuned there);
RS-RP's noise norm per word is the synonym distance (0.5), the one noise scale visible in
English.

    python examples/demo/run_demo.py [--output-dir demo_output] [--seeds 0 1 2]
        [--methods baseline adv ...] [--tasks pawsx udpos] [--threads N] [--heads-only]
        [--quick]
    python examples/demo/run_demo.py --real [examples/real/run_real.py's arguments]

This is a simulation of the mechanism, not a reproduction of the paper's XNLI/PAWS-X numbers.
"""

import argparse
import contextlib
import json
import logging
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = PROJECT_ROOT / "training_configs"

SYNONYM_DISTANCE = 0.5
EMBEDDING_DIM = 64  # hidden size of the synthetic encoder
# The premise sweep: target languages at one misalignment size whose offsets point towards an
# English synonym by these shares; each has a child language (its own offset added, same share),
# and one near language (random direction) completes the misalignment axis.
SWEEP_SIZE = 1.0
SHARES = (0.0, 0.5, 1.0)
CHILD_OFFSET = 0.75
NEAR_SIZE = 0.5
# `--quick`: a world small enough to check the whole pipeline in about a minute.
QUICK_WORLD = dict(
    num_groups=40,
    train_size=64,
    dev_size=32,
    test_size=24,
    tagging_train_size=32,
    tagging_dev_size=16,
    tagging_test_size=16,
)


def world_config(seed: int, **sizes: Any):
    """The demo's synthetic world (`SyntheticXltConfig`): the sweep, its children, a near language."""
    from allennlp_robust_xlt.data.synthetic_xlt import SOURCE_LANGUAGE, SyntheticXltConfig

    codes = SyntheticXltConfig(misalignments=(0.0,) * (2 * len(SHARES) + 1)).target_codes()
    misalignments = [SWEEP_SIZE] * len(SHARES) + [CHILD_OFFSET] * len(SHARES) + [NEAR_SIZE]
    shares = list(SHARES) * 2 + [0.0]
    parents = [SOURCE_LANGUAGE] * len(SHARES) + codes[: len(SHARES)] + [SOURCE_LANGUAGE]
    defaults: Dict[str, Any] = dict(train_size=3000, test_size=400, tagging_train_size=1500)
    defaults.update(sizes)
    return SyntheticXltConfig(
        seed=seed,
        misalignments=tuple(misalignments),
        synonym_shares=tuple(shares),
        parents=tuple(parents),
        synonym_distance=SYNONYM_DISTANCE,
        hidden_size=EMBEDDING_DIM,
        **defaults,
    )


@dataclass(frozen=True)
class TaskRun:
    """How the demo trains one task: epochs and batch size (the rest is `common_overrides`)."""

    name: str
    epochs: int
    batch_size: int
    metric: str
    generalized: bool


# TASK TABLE: the demo's two tasks of the synthetic world and their sizes. One seed of the
# whole demo (8 trainings and the evaluations) is measured in the README.
SIZES: Dict[str, TaskRun] = {
    "pawsx": TaskRun("pawsx", epochs=16, batch_size=32, metric="accuracy", generalized=True),
    "udpos": TaskRun("udpos", epochs=12, batch_size=32, metric="f1", generalized=False),
}
LEARNING_RATE = 1e-3
# Clean steps before PGD starts: a quarter of training (the encoder starts from random weights,
# and an adversary keeps a model that has learnt nothing yet at chance; see the README).
WARMUP_SHARE = 0.25
RS_DA_COPIES = 4  # for epochs / 4: the same number of optimizer steps as the other methods
PGD_EPSILON = 0.05
# Twice the PGD radius: the attack the adversarially trained model was not trained against.
ATTACK = {"type": "embedding_attack", "norm": "l2", "epsilon": 0.1, "steps": 5}


@dataclass(frozen=True)
class Method:
    """A method: its config suffix (`{task}_{suffix}.jsonnet`) and its setting."""

    label: str
    suffix: str
    setting: str = ""
    callback: Dict[str, Any] = field(default_factory=dict)


METHODS: Dict[str, Method] = {
    "baseline": Method("baseline", "baseline"),
    "adv": Method(
        "adversarial (PGD)",
        "adv",
        f"PGD-3, epsilon {PGD_EPSILON} (L2 per example), alpha epsilon/2, after a clean warm-up",
        {"method": "pgd", "epsilon": PGD_EPSILON, "alpha": PGD_EPSILON / 2},
    ),
    "rs_rp": Method(
        "RS-RP",
        "rs_rp",
        f"Gaussian noise of norm {SYNONYM_DISTANCE} per word (scale * sqrt(hidden size))",
        {"scale": SYNONYM_DISTANCE / math.sqrt(EMBEDDING_DIM)},
    ),
    "rs_da": Method(
        "RS-DA", "rs_da", f"{RS_DA_COPIES} synonym-substituted copies for a quarter of the epochs"
    ),
}


def overrides(
    task: str, method: str, seed: int, train_size: int, epochs: Optional[int] = None
) -> Dict[str, Any]:
    """The `-o` of `allennlp train` for one task, method and seed (`epochs`: SIZES' by default)."""
    from allennlp_robust_xlt.data.synthetic_xlt import TRAINING_OVERRIDES

    run = SIZES[task] if epochs is None else replace(SIZES[task], epochs=epochs)
    result: Dict[str, Any] = dict(TRAINING_OVERRIDES)
    result.update(
        {
            "trainer.num_epochs": run.epochs,
            "trainer.optimizer.lr": LEARNING_RATE,
            "data_loader.batch_sampler.batch_size": run.batch_size,
            "random_seed": seed,
            "numpy_seed": seed,
            "pytorch_seed": seed,
        }
    )
    chosen = METHODS[method]
    for key, value in chosen.callback.items():
        result[f"trainer.callbacks.0.{key}"] = value
    if method == "adv":
        steps_per_epoch = math.ceil(train_size / run.batch_size)
        result["trainer.callbacks.0.warmup_steps"] = int(
            WARMUP_SHARE * run.epochs * steps_per_epoch
        )
    if method == "rs_da":
        result["dataset_reader.copies"] = RS_DA_COPIES
        result["trainer.num_epochs"] = max(1, run.epochs // RS_DA_COPIES)
    return result


def run_one(
    task: str,
    method: str,
    seed: int,
    world: Path,
    run_dir: Path,
    train_size: int,
    epochs: Optional[int] = None,
) -> Dict[str, Path]:
    """Trains one method on one task; its clean and attacked `xtreme-report` directories."""
    from allennlp_robust_xlt.testing.cli import run_allennlp

    config = CONFIGS / f"{task}_{METHODS[method].suffix}.jsonnet"
    # The run directory belongs to the demo: it is rewritten on each run (--force).
    run_allennlp(
        "train", str(config), "-s", str(run_dir), "--force",
        "-o", json.dumps(overrides(task, method, seed, train_size, epochs)),
    )  # fmt: skip
    languages = json.loads((world / "languages.json").read_text())["languages"]
    reports = {"clean": run_dir / "report", "attack": run_dir / "attack"}
    common = [str(run_dir / "model.tar.gz"), str(world), "--task", task, "--force"]
    run_allennlp(
        "xtreme-report", *common, "--languages", *languages,
        *(["--generalized"] if SIZES[task].generalized else []),
        "--output-dir", str(reports["clean"]),
    )  # fmt: skip
    run_allennlp(
        "xtreme-report", *common, "--languages", *languages,
        "--attack", json.dumps(ATTACK), "--output-dir", str(reports["attack"]),
    )  # fmt: skip
    return reports


def alignment(world: Path, runs: Dict[str, List[Path]], output: Path, seeds: List[int]) -> Path:
    """
    `xtreme-alignment` of the synthetic encoder before (`pretrained`: the world's `encoder/`) and
    after each method's training (`METHOD#SEED`: the runs' archives, the names `xtreme-compare
    --alignment` averages per method), on the pair task's parallel test sentences (every task's
    encoder reads the same words), every layer; returns the output directory.
    """
    from allennlp_robust_xlt.testing.cli import run_allennlp

    models = [f"pretrained={world / 'encoder'}"]
    for method, report_dirs in runs.items():
        for seed, report_dir in zip(seeds, report_dirs):
            models.append(f"{method}#{seed}={report_dir.parent / 'model.tar.gz'}")
    languages = json.loads((world / "languages.json").read_text())["languages"]
    languages = [code for code in languages if code != "en"]  # each is compared with English
    run_allennlp(
        "xtreme-alignment", *models, str(world), "--task", "pawsx", "--split", "test",
        "--languages", *languages, "--output-dir", str(output), "--force",
    )  # fmt: skip
    return output


def compare_task(
    task: str, world: Path, runs: Dict[str, List[Path]], output: Path, alignment: Optional[Path]
) -> Path:
    """`xtreme-compare` of one task's clean reports with the world's distances and families."""
    from allennlp_robust_xlt.testing.cli import run_allennlp

    run_allennlp(
        "xtreme-compare", "--runs",
        *(f"{method}={','.join(str(d) for d in dirs)}" for method, dirs in runs.items()),
        "--reference", "baseline", "--distances", str(world / "distances.csv"),
        "--families", str(world / "families.csv"), "--lang2vec", "none",
        *(["--alignment", str(alignment)] if alignment is not None else []),
        "--output-dir", str(output), "--force", "--bootstrap", "500", "--permutations", "500",
    )  # fmt: skip
    return output


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if "--real" in arguments:  # the real encoder on real text: examples/real/run_real.py
        arguments.remove("--real")
        return load_real_runner().main(arguments)
    parser = argparse.ArgumentParser(
        description="Train and compare the robust methods on the synthetic world."
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="run examples/real/run_real.py (a real encoder on real text) with the other arguments",
    )
    parser.add_argument("--output-dir", type=Path, default=Path("demo_output"))
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0], help="training seeds (0 1 2: mean and std)"
    )
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--tasks", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--world-seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--heads-only",
        action="store_true",
        help="a world whose texts use only each synonym group's head (text_synonyms=False)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a tiny world and one epoch: checks the pipeline in a minute (meaningless numbers)",
    )
    args = parser.parse_args(arguments)
    if args.methods[0] != "baseline":
        parser.error("--methods must start with baseline (the reference of every gain)")

    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.disable(logging.INFO)  # AllenNLP's logs and progress bars go to demo_output/demo.log

    import torch

    torch.set_num_threads(args.threads)
    started = time.time()
    output_dir = args.output_dir.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    sizes: Dict[str, Any] = dict(QUICK_WORLD) if args.quick else {}
    if args.heads_only:
        sizes["text_synonyms"] = False
    suffix = ("-quick" if args.quick else "") + ("-heads" if args.heads_only else "")
    world = output_dir / f"world-{args.world_seed}{suffix}"
    config = prepare_world(world, world_config(args.world_seed, **sizes))
    epochs = 1 if args.quick else None
    return run_demo(
        args.tasks, args.methods, args.seeds, world, config, output_dir, started, epochs
    )


def load_real_runner() -> Any:
    """`examples/real/run_real.py` as a module (it is an example, not part of the package)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "real" / "run_real.py"
    spec = importlib.util.spec_from_file_location("run_real", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_real"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def prepare_world(world: Path, config) -> Any:
    """Writes the world if absent and points the configs at it; returns its config."""
    from allennlp_robust_xlt.data.synthetic_xlt import write_benchmark

    if not (world / "languages.json").exists():
        print(f"demo: writing the synthetic world to {world}")
        write_benchmark(world, config)
    os.environ.update(
        {
            "XLT_TRANSFORMER": str(world / "encoder"),
            "XLT_TRANSFORMER_DIM": str(config.hidden_size),
            "XLT_DATA_DIR": str(world),
            "XLT_NEIGHBORS": str(world / "neighbors.json"),
        }
    )
    return config


def run_demo(
    tasks: List[str],
    methods: List[str],
    seeds: List[int],
    world: Path,
    config: Any,
    output_dir: Path,
    started: float,
    epochs: Optional[int] = None,
) -> Dict[str, Any]:
    """Trains, evaluates and compares; writes and prints the summary."""
    reports: Dict[str, Dict[str, Dict[str, List[Path]]]] = {
        task: {kind: {m: [] for m in methods} for kind in ("clean", "attack")} for task in tasks
    }
    train_sizes = {"pawsx": config.train_size, "udpos": config.tagging_train_size}
    log_path = output_dir / "demo.log"
    with open(log_path, "w", encoding="utf-8") as log:
        for seed in seeds:
            for task in tasks:
                for method in methods:
                    method_started = time.time()
                    run_dir = output_dir / "runs" / f"{task}-{method}-seed{seed}"
                    with contextlib.redirect_stderr(log), contextlib.redirect_stdout(log):
                        done = run_one(
                            task, method, seed, world, run_dir, train_sizes[task], epochs
                        )
                    for kind, directory in done.items():
                        reports[task][kind][method].append(directory)
                    print(
                        f"demo: {task}, {METHODS[method].label}, seed {seed}:"
                        f" {time.time() - method_started:.0f}s"
                    )
        comparisons: Dict[str, Path] = {}
        for task in tasks:
            with contextlib.redirect_stderr(log), contextlib.redirect_stdout(log):
                aligned = alignment(
                    world, reports[task]["clean"], output_dir / f"alignment-{task}", seeds
                )
                comparisons[task] = compare_task(
                    task, world, reports[task]["clean"], output_dir / f"compare-{task}", aligned
                )
    summary = summarize(world, reports, comparisons, output_dir, seeds)
    print("\n" + summary)
    print(
        f"\ndemo: done in {time.time() - started:.0f}s. Results: {output_dir / 'results.md'};"
        f" runs under {output_dir / 'runs'}; log: {log_path}"
    )
    return {"reports": reports, "comparisons": comparisons}


# -- the summary ------------------------------------------------------------------------------


def read_scores(
    directories: Dict[str, List[Path]], metric: str
) -> Dict[str, Dict[str, List[float]]]:
    """method -> language (or pair `l1-l2`) -> one score per seed, from `xtreme-report` outputs."""
    scores: Dict[str, Dict[str, List[float]]] = {}
    for method, dirs in directories.items():
        per_key: Dict[str, List[float]] = {}
        for directory in dirs:
            metrics = json.loads((directory / "metrics.json").read_text())
            for code, values in metrics["languages"].items():
                per_key.setdefault(code, []).append(values[metric])
            for key, values in metrics.get("pairs", {}).items():
                per_key.setdefault(key, []).append(values[metric])
        scores[method] = per_key
    return scores


def world_languages(world: Path) -> Dict[str, Dict[str, Any]]:
    """code -> misalignment, share, family, parent (from the world's files)."""
    from allennlp_robust_xlt.analysis.language_distances import read_distance_table

    table = read_distance_table(world / "distances.csv")
    families = {}
    for line in (world / "families.csv").read_text().splitlines()[1:]:
        code, family, _ = line.split(",")
        families[code] = family
    return {
        code: {
            "misalignment": table["misalignment"][code].value,
            "share": table["synonym_share"][code].value,
            "synonym_gap": table["synonym_gap"][code].value,
            "family": families.get(code, "English"),
        }
        for code in table["misalignment"]
    }


def _cell(values: List[float]) -> str:
    if len(values) == 1:
        return f"{100 * values[0]:.1f}"
    return f"{100 * statistics.mean(values):.1f} ± {100 * statistics.stdev(values):.1f}"


def _targets(languages: Dict[str, Dict[str, Any]]) -> List[str]:
    return [code for code in languages if code != "en"]


def _seed_means(per_key: Dict[str, List[float]], codes: List[str]) -> List[float]:
    return [
        statistics.mean(per_key[code][i] for code in codes) for i in range(len(per_key[codes[0]]))
    ]


def language_table(
    scores: Dict[str, Dict[str, List[float]]], languages: Dict[str, Dict[str, Any]], metric: str
) -> str:
    """Score (%) per language (rows) and method (columns), the target average and the gains."""
    methods = list(scores)
    lines = [
        "| language | family | synonym-ward share | misalignment | "
        + " | ".join(METHODS[m].label for m in methods)
        + " |",
        "|---|---|---:|---:|" + "---:|" * len(methods),
    ]
    for code, facts in languages.items():
        cells = [_cell(scores[m][code]) for m in methods]
        lines.append(
            f"| {code} | {facts['family']} | {facts['share']:.1f} | {facts['misalignment']:.2f} | "
            + " | ".join(cells)
            + " |"
        )
    averages = {m: _seed_means(scores[m], _targets(languages)) for m in methods}
    lines.append(
        "| **target average** | | | | "
        + " | ".join(f"**{_cell(averages[m])}**" for m in methods)
        + " |"
    )
    base = averages[methods[0]]
    lines.append(
        f"| difference from {METHODS[methods[0]].label} | | | | "
        + " | ".join(_cell([a - b for a, b in zip(averages[m], base)]) for m in methods)
        + " |"
    )
    return "\n".join(lines)


def share_sweep_table(
    scores: Dict[str, Dict[str, List[float]]], languages: Dict[str, Dict[str, Any]]
) -> str:
    """Each method's gain over the baseline at the sweep size, by synonym-ward share."""
    methods = list(scores)
    sweep = [
        code
        for code, facts in languages.items()
        if code != "en"
        and facts["family"] == f"Synthetic-{code}"
        and abs(facts["misalignment"] - SWEEP_SIZE) < 1e-6
    ]
    lines = [
        "| synonym-ward share | language | distance to nearest synonym | baseline | "
        + " | ".join(f"{METHODS[m].label} gain" for m in methods[1:])
        + " |",
        "|---:|---|---:|---:|" + "---:|" * (len(methods) - 1),
    ]
    for code in sorted(sweep, key=lambda c: languages[c]["share"]):
        base = scores[methods[0]][code]
        gains = [_cell([a - b for a, b in zip(scores[m][code], base)]) for m in methods[1:]]
        lines.append(
            f"| {languages[code]['share']:.1f} | {code} | {languages[code]['synonym_gap']:.2f} |"
            f" {_cell(base)} | " + " | ".join(gains) + " |"
        )
    return "\n".join(lines)


def generalized_table(
    scores: Dict[str, Dict[str, List[float]]], languages: Dict[str, Dict[str, Any]]
) -> str:
    """Mean score over ordered pairs of different languages, by the pair's larger misalignment."""
    methods = list(scores)
    pairs = [k for k in scores[methods[0]] if "-" in k and k.split("-")[0] != k.split("-")[1]]
    bins = [(0.0, 0.75), (0.75, 1.25), (1.25, 10.0)]
    lines = [
        "| larger misalignment of the pair | pairs | "
        + " | ".join(METHODS[m].label for m in methods)
        + " |",
        "|---|---:|" + "---:|" * len(methods),
    ]
    for low, high in bins:
        chosen = [
            k
            for k in pairs
            if low <= max(languages[c]["misalignment"] for c in k.split("-")) < high
        ]
        if not chosen:
            continue
        cells = [
            f"{100 * statistics.mean(statistics.mean(scores[m][k]) for k in chosen):.1f}"
            for m in methods
        ]
        label = f"[{low:.2f}, {high:.2f})" if high < 10 else f">= {low:.2f}"
        lines.append(f"| {label} | {len(chosen)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def attack_table(
    clean: Dict[str, Dict[str, List[float]]],
    attacked: Dict[str, Dict[str, List[float]]],
    languages: Dict[str, Dict[str, Any]],
) -> str:
    """Clean and attacked scores on English and on the target average, per method."""
    targets = _targets(languages)
    lines = [
        "| method | English | English, attacked | target average | target average, attacked |",
        "|---|---:|---:|---:|---:|",
    ]
    for m in clean:
        lines.append(
            f"| {METHODS[m].label} | {_cell(clean[m]['en'])} | {_cell(attacked[m]['en'])} |"
            f" {_cell(_seed_means(clean[m], targets))} | {_cell(_seed_means(attacked[m], targets))} |"
        )
    return "\n".join(lines)


def comparison_tables(directory: Path) -> str:
    """Family gains and per-language gain correlations from an `xtreme-compare` output."""
    import csv

    with open(directory / "families.csv", newline="", encoding="utf-8") as data:
        families = [r for r in csv.DictReader(data) if r["level"] in ("family", "average")]
    with open(directory / "correlations.csv", newline="", encoding="utf-8") as data:
        correlations = [
            r for r in csv.DictReader(data) if r["quantity"] == "gain" and r["unit"] == "language"
        ]

    def number(text: str, scale: float = 1.0, digits: int = 2) -> str:
        return f"{scale * float(text):+.{digits}f}" if text else "n/a"

    lines = [
        "| family | languages | method | gain (points) [95% CI] |",
        "|---|---|---|---:|",
    ]
    for r in families:
        if r["method"] == "baseline":
            continue
        interval = (
            f" [{number(r['ci_low'], 100, 1)}, {number(r['ci_high'], 100, 1)}]"
            if r["ci_low"]
            else ""
        )
        lines.append(
            f"| {r['group']} | {r['languages']} | {METHODS[r['method']].label} |"
            f" {number(r['gain'], 100, 1)}{interval} |"
        )
    lines += [
        "",
        "| method | predictor | n | Spearman [95% CI] | Pearson | p (Holm) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in correlations:
        interval = (
            f" [{number(r['spearman_ci_low'])}, {number(r['spearman_ci_high'])}]"
            if r["spearman_ci_low"]
            else ""
        )
        p = f"{float(r['p_holm']):.3f}" if r["p_holm"] else "n/a"
        lines.append(
            f"| {METHODS[r['method']].label} | {r['predictor']} | {r['n']} |"
            f" {number(r['spearman'])}{interval} | {number(r['pearson'])} | {p} |"
        )
    lines.append(
        f"\nFull comparison: `{directory.name}/comparison.md`; plots"
        f" `{directory.name}/gain_vs_distance.png` (with the fitted lines),"
        f" `{directory.name}/families.png`."
    )
    aligned = directory.parent / directory.name.replace("compare-", "alignment-", 1)
    if (aligned / "alignment.md").exists():
        lines.append(
            f"Alignment of the encoder before (`pretrained`) and after each method (the"
            f" `alignment:` predictors above): `{aligned.name}/alignment.md`, plots"
            f" `{aligned.name}/alignment_layers.png`, `{aligned.name}/alignment_languages.png`."
        )
    return "\n".join(lines)


def summarize(
    world: Path,
    reports: Dict[str, Dict[str, Dict[str, List[Path]]]],
    comparisons: Dict[str, Path],
    output_dir: Path,
    seeds: List[int],
) -> str:
    """Writes `results.md`, `results.json` and the plots; returns the summary it prints."""
    languages = world_languages(world)
    seeds_note = f"mean ± std over {len(seeds)} seeds" if len(seeds) > 1 else "one seed"
    sections = [f"# Demo results ({seeds_note}; world {world.name})"]
    everything: Dict[str, Any] = {"seeds": seeds, "languages": languages, "tasks": {}}
    for task, kinds in reports.items():
        run = SIZES[task]
        clean = read_scores(kinds["clean"], run.metric)
        attacked = read_scores(kinds["attack"], f"attacked_{run.metric}")
        everything["tasks"][task] = {"metric": run.metric, "clean": clean, "attacked": attacked}
        sections.append(f"## {task}: {run.metric} (%) per language")
        sections.append(language_table(clean, languages, run.metric))
        sections.append(
            f"### {task}: the premise sweep (misalignment {SWEEP_SIZE}, gain over the baseline)"
        )
        sections.append(share_sweep_table(clean, languages))
        if run.generalized:
            sections.append(f"### {task}: generalized setting ({run.metric}, %)")
            sections.append(generalized_table(clean, languages))
        sections.append(f"### {task}: under the embedding attack ({json.dumps(ATTACK)})")
        sections.append(attack_table(clean, attacked, languages))
        if task in comparisons:
            sections.append(
                f"### {task}: xtreme-compare (families, correlations with the known distances)"
            )
            sections.append(comparison_tables(comparisons[task]))
        plot_task(task, clean, languages, output_dir)
    text = "\n\n".join(sections) + "\n"
    (output_dir / "results.md").write_text(text, encoding="utf-8")
    (output_dir / "results.json").write_text(json.dumps(everything, indent=2), encoding="utf-8")
    return text


PLOTS = ("{task}_accuracy_vs_misalignment.png", "{task}_gain_vs_share.png")


def plot_task(
    task: str,
    scores: Dict[str, Dict[str, List[float]]],
    languages: Dict[str, Dict[str, Any]],
    output_dir: Path,
) -> None:
    """Score against misalignment per method; each method's gain against the share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric = SIZES[task].metric
    codes = sorted(_targets(languages), key=lambda c: languages[c]["misalignment"])
    figure, axes = plt.subplots(figsize=(6, 4))
    for method, per_key in scores.items():
        xs = [languages[c]["misalignment"] for c in codes]
        ys = [100 * statistics.mean(per_key[c]) for c in codes]
        axes.plot(xs, ys, marker="o", label=METHODS[method].label)
    axes.set_xlabel("misalignment from English (mean embedding distance; synonyms ~0.45)")
    axes.set_ylabel(f"{metric} (%)")
    axes.set_title(f"{task}: zero-shot transfer on the synthetic world")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(output_dir / PLOTS[0].format(task=task), dpi=110)
    plt.close(figure)

    methods = list(scores)
    sweep = [
        c
        for c in _targets(languages)
        if languages[c]["family"] == f"Synthetic-{c}"
        and abs(languages[c]["misalignment"] - SWEEP_SIZE) < 1e-6
    ]
    sweep.sort(key=lambda c: languages[c]["share"])
    figure, axes = plt.subplots(figsize=(6, 4))
    for method in methods[1:]:
        gains = [
            100 * statistics.mean(scores[method][c]) - 100 * statistics.mean(scores[methods[0]][c])
            for c in sweep
        ]
        axes.plot(
            [languages[c]["share"] for c in sweep], gains, marker="o", label=METHODS[method].label
        )
    axes.axhline(0.0, color="grey", linewidth=0.8)
    axes.set_xlabel(f"synonym-ward share of the offset (misalignment {SWEEP_SIZE})")
    axes.set_ylabel(f"gain over the baseline ({metric}, points)")
    axes.set_title(f"{task}: which method helps under which misalignment")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(output_dir / PLOTS[1].format(task=task), dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    main()
