"""
Shared pieces of the benchmarks: the compute-bound local model, fixed-length pair data, clocks,
and the result format that `benchmarks/run_all.py` turns into the table of `benchmarks/README.md`.

The training figures use a model big enough to be compute-bound on a CPU (4 layers, hidden
size 256, 4 heads, feed-forward 1024) and pairs that all fill the reference's 128 wordpieces;
the overhead figures use the tiny model of the tests. Times are medians over repetitions after
warm-up, and every ratio compares figures measured in the same process (or the same run), with
the two sides interleaved round by round so that both see the same load on a shared machine.

Every script runs as a module from the project root, `python -m benchmarks.NAME` (`make bench`
runs `python -m benchmarks.run_all`). Not as a file: `python benchmarks/NAME.py` would put
`benchmarks/` itself first on the path, where `import benchmarks` finds the unrelated
`benchmarks` package that fairscale installs into site-packages.
"""

import json
import os
import resource
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PROJECT_ROOT = Path(__file__).resolve().parent.parent

FIXTURE_DATA = PROJECT_ROOT / "tests" / "fixtures" / "data" / "xtreme"
CONFIGS = PROJECT_ROOT / "training_configs"
CACHE = PROJECT_ROOT / ".cache" / "benchmarks"
SEQUENCE_LENGTH = 128
THREADS = int(os.environ.get("BENCH_THREADS", "1"))

COMPUTE_BOUND = dict(
    hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024
)
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
XNLI_LABELS = ("entailment", "neutral", "contradiction")


def local_model(name: str, style: str = "xlmr", **sizes: int) -> Path:
    """A deterministic local model under .cache/benchmarks, built on first use (offline)."""
    from allennlp_robust_xlt.testing.tiny_transformers import build_tiny_transformer, read_corpus

    path = CACHE / name
    if not (path / "config.json").exists():
        corpus = read_corpus(sorted(FIXTURE_DATA.glob("*/*.tsv")))
        build_tiny_transformer(path, style, corpus, max_length=512, **sizes)
    return path


def pair_classifier(
    model_dir: str, hidden: int = COMPUTE_BOUND["hidden_size"], dropout: Optional[float] = 0.1
) -> Dict[str, Any]:
    """
    The `xtreme_pair_classifier` params of the training configs on a local transformer: [CLS]
    pooling, one tanh layer, `dropout` before the output layer (None: the model's default).
    """
    params: Dict[str, Any] = {
        "type": "xtreme_pair_classifier",
        "namespace": "tags",
        "text_field_embedder": {
            "token_embedders": {
                "tokens": {"type": "pretrained_transformer", "model_name": model_dir}
            }
        },
        "seq2vec_encoder": {"type": "cls_pooler", "embedding_dim": hidden},
        "feedforward": {
            "input_dim": hidden,
            "num_layers": 1,
            "hidden_dims": hidden,
            "activations": "tanh",
        },
    }
    if dropout is not None:
        params["dropout"] = dropout
    return params


def fixture_sentences() -> List[str]:
    """The English sentences of the fixture XNLI training file."""
    lines = (FIXTURE_DATA / "xnli" / "train-en.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[0] for line in lines]


def long_pairs_file(path: Path, count: int, seed: int = 0, sentences_per_side: int = 12) -> Path:
    """
    XNLI-style pairs in XTREME's layout. With the default 12 sentences per side, every pair is
    truncated to SEQUENCE_LENGTH wordpieces (so every batch has the same shape); with 1, the
    pairs have the length of ordinary XNLI pairs.
    """
    import random

    rng = random.Random(seed)
    sentences = fixture_sentences()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for index in range(count):
            first = " ".join(rng.choice(sentences) for _ in range(sentences_per_side))
            second = " ".join(rng.choice(sentences) for _ in range(sentences_per_side))
            out.write(f"{first}\t{second}\t{XNLI_LABELS[index % 3]}\n")
    return path


def median_seconds(step: Callable[[], None], repetitions: int, warmup: int = 2) -> float:
    """Median wall-clock seconds of `step` over `repetitions` calls after `warmup` calls."""
    for _ in range(warmup):
        step()
    times: List[float] = []
    for _ in range(repetitions):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def now() -> Tuple[float, float]:
    """(CPU seconds of this process, all threads; wall-clock seconds)."""
    return time.process_time(), time.perf_counter()


def children_cpu_seconds() -> float:
    """CPU seconds (user + system) of the finished child processes of this process."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def own_peak_rss_mb() -> float:
    """
    This process's peak resident set size (`VmHWM`), in MiB. Not `getrusage`'s `ru_maxrss`,
    which Linux carries over an `exec`: a child started by `subprocess` would report at least
    the size of its parent at the fork.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def machine() -> Dict[str, str]:
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "stack": stack_name(torch.__version__),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "torch threads": str(THREADS),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }


# The project's stacks, each one constraints file (see the Makefile's STACK).
STACK_FILES = (("default", "constraints.txt"), ("pinned", "constraints-pinned.txt"))


def stack_name(torch_version: str) -> str:
    """The name of the stack whose constraints file pins this torch ("default", "pinned"), or "other"."""
    release = torch_version.split("+")[0]
    for name, file_name in STACK_FILES:
        path = PROJECT_ROOT / file_name
        if path.exists() and f"torch=={release}" in path.read_text(encoding="utf-8").split():
            return name
    return "other"


def markdown_table(header: List[str], rows: List[List[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# -- results ------------------------------------------------------------------------------------


@dataclass
class Row:
    """One measured ratio of a figure, against its anchor and goal."""

    measure: str  # what is measured, e.g. "allennlp train / plain loop, instances/s"
    value: str  # the measured quantity, formatted, e.g. "10.2 inst/s"
    anchor: str  # what it is compared with, formatted
    ratio: Optional[float]  # value relative to the anchor (None when the row is informative only)
    goal: str  # e.g. ">= 0.95", "<= 2.2 (floor 2)", "-" for none
    met: Optional[bool]  # None when there is no goal
    timing: str  # how it was timed: "process CPU", "wall (interleaved)", "children CPU", "peak RSS"


@dataclass
class FigureResult:
    figure: str  # "1. Training throughput"
    script: str  # "benchmarks/train_throughput.py"
    rows: List[Row] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    seconds: float = 0.0
    measured: str = ""  # "2026-11-30, torch 2.1.2+cu121 (default stack)", set by run_all.py

    def add(
        self,
        measure: str,
        value: str,
        anchor: str,
        ratio: Optional[float],
        goal: str,
        met: Optional[bool],
        timing: str,
    ) -> None:
        self.rows.append(Row(measure, value, anchor, ratio, goal, met, timing))

    def markdown(self) -> str:
        header = ["measure", "value", "anchor", "ratio", "goal", "met", "timing"]
        rows = [
            [
                row.measure,
                row.value,
                row.anchor,
                "-" if row.ratio is None else f"{row.ratio:.2f}",
                row.goal,
                verdict(row.met),
                row.timing,
            ]
            for row in self.rows
        ]
        text = f"### {self.figure}\n\n{markdown_table(header, rows)}\n"
        if self.notes:
            text += "\n" + "\n".join(f"- {note}" for note in self.notes) + "\n"
        return text

    def to_json(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "FigureResult":
        rows = [Row(**row) for row in data.pop("rows")]
        return cls(rows=rows, **data)


def verdict(met: Optional[bool]) -> str:
    return "-" if met is None else ("yes" if met else "**no**")


def figure_main(
    run: Callable[..., FigureResult],
    description: str,
    arguments: Sequence[Tuple[str, Dict[str, Any]]] = (),
) -> None:
    """
    The command line of a figure script: its own `arguments` (`(flag, argparse keywords)`) plus
    `--json FILE` (where `run_all.py` collects the result); prints the figure's table.
    """
    import argparse

    parser = argparse.ArgumentParser(description=description)
    for flag, keywords in arguments:
        parser.add_argument(flag, **keywords)
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this file")
    args = vars(parser.parse_args())
    output = args.pop("json")
    import torch

    torch.set_num_threads(THREADS)
    started = time.perf_counter()
    result = run(**args)
    result.seconds = round(time.perf_counter() - started, 1)
    print(result.markdown())
    print(f"({result.seconds:.0f} s; {', '.join(f'{k} {v}' for k, v in machine().items())})")
    if output is not None:
        output.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")


# -- step-interleaved training figures (1, 1b, 1c) ----------------------------------------------

Steps = List[Tuple[float, float]]
"""One `(CPU s, wall s)` per optimizer step."""


def interleaved_steps(
    config: str, model: Path, data: Path, *, serialization_dir: Path, batch_size: int, between: Any
) -> Tuple[Steps, Steps]:
    """
    One epoch of `allennlp train` with `config` (a file of `training_configs/`) over `data`,
    running `between()` after each of its steps: `(AllenNLP steps, between steps)`.
    """
    from allennlp_robust_xlt.testing.cli import run_allennlp
    from benchmarks.trainer_clock import BatchClock

    os.environ.update(
        XLT_TRANSFORMER=str(model), XLT_TRANSFORMER_DIM=str(COMPUTE_BOUND["hidden_size"])
    )
    overrides = {
        "train_data_path": str(data),
        "validation_data_path": None,
        "trainer.num_epochs": 1,
        "trainer.num_gradient_accumulation_steps": 1,
        "trainer.validation_metric": "-loss",
        "trainer.callbacks": [{"type": "benchmark_batch_clock"}],
        "data_loader.batch_sampler.batch_size": batch_size,
    }
    BatchClock.reset(between)
    try:
        run_allennlp(
            "train",
            str(CONFIGS / config),
            "-s",
            str(serialization_dir),
            "-o",
            json.dumps(overrides),
        )
    finally:
        steps, between_steps = BatchClock.steps, BatchClock.between_steps
        BatchClock.reset()
    return steps, between_steps


@dataclass
class StepRatio:
    """Plain-loop step / AllenNLP step in process CPU, per step pair after the warm-up steps."""

    ratios: List[float]
    wall_ratio: float
    allennlp_cpu: float
    plain_cpu: float

    @classmethod
    def of(cls, allennlp: Steps, plain: Steps, warmup: int) -> "StepRatio":
        pairs = list(zip(allennlp[warmup:], plain[warmup:]))
        return cls(
            ratios=[mine[0] / theirs[0] for theirs, mine in pairs],
            wall_ratio=statistics.median(mine[1] / theirs[1] for theirs, mine in pairs),
            allennlp_cpu=statistics.median(theirs[0] for theirs, _ in pairs),
            plain_cpu=statistics.median(mine[0] for _, mine in pairs),
        )

    @classmethod
    def measure(
        cls,
        config: str,
        model: Path,
        data: Path,
        *,
        plain: Any,
        scratch: Path,
        batch_size: int,
        warmup: int,
    ) -> "StepRatio":
        """`interleaved_steps` with the plain loop's `plain()` step (in `scratch/run`), timed."""
        allennlp, plain_steps = interleaved_steps(
            config,
            model,
            data,
            serialization_dir=scratch / "run",
            batch_size=batch_size,
            between=plain,
        )
        return cls.of(allennlp, plain_steps, warmup)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    def add_row(self, result: "FigureResult", measure: str, batch_size: int, goal: float) -> None:
        """The figure's row: `measure` per second of each loop, the ratio against `goal`."""
        result.add(
            measure,
            f"{batch_size / self.allennlp_cpu:.2f}",
            f"plain loop {batch_size / self.plain_cpu:.2f}",
            self.ratio,
            f">= {goal}",
            self.ratio >= goal,
            "process CPU, step-interleaved",
        )

    def note(self, batch: str, warmup: int) -> str:
        """The figure's note: the model, `batch` (what a batch holds), the medians' spread."""
        return (
            f"Compute-bound model ({COMPUTE_BOUND['num_hidden_layers']} layers, hidden"
            f" {COMPUTE_BOUND['hidden_size']}), batch {batch}, {THREADS} torch thread(s); median"
            f" of {len(self.ratios)} step pairs after {warmup} warm-up steps (per-pair ratios"
            f" {min(self.ratios):.2f}-{max(self.ratios):.2f}; wall-clock ratio"
            f" {self.wall_ratio:.2f})."
        )


def step_options(steps: int, batch_size: int, batch_help: str = "") -> List[Tuple[str, Any]]:
    """The `figure_main` arguments of a step-interleaved figure."""
    batch: Dict[str, Any] = dict(type=int, default=batch_size)
    if batch_help:
        batch["help"] = batch_help
    return [
        ("--steps", dict(type=int, default=steps, help="measured optimizer steps of each loop")),
        ("--warmup", dict(type=int, default=2, help="steps of each loop left out first")),
        ("--batch-size", batch),
    ]


def plain_step(
    encoder: Any, head: Any, loader: Any, loss_of: Callable[..., Any]
) -> Callable[[], None]:
    """
    The reference's optimizer step over an encoder and a head: AdamW (lr 2e-5, eps 1e-8, no
    weight decay), linear decay, gradients clipped at 1.0, the batches of `loader` over and over;
    `loss_of(encoder, head, *batch)` is the family's loss. Returns `step()`.
    """
    import torch
    from transformers import AdamW, get_linear_schedule_with_warmup

    parameters = list(encoder.parameters()) + list(head.parameters())
    optimizer = AdamW(parameters, lr=2e-5, eps=1e-8, weight_decay=0.0)
    scheduler = get_linear_schedule_with_warmup(optimizer, 0, 100_000)
    encoder.train()
    head.train()
    batches = iter(())

    def step() -> None:
        nonlocal batches
        try:
            batch = next(batches)
        except StopIteration:
            batches = iter(loader)
            batch = next(batches)
        optimizer.zero_grad()
        loss_of(encoder, head, *batch).backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        scheduler.step()

    return step


def neighbor_table() -> Path:
    """
    The RS-DA neighbour table the benchmarks use: the local file `XLT_NEIGHBORS` names (e.g. a
    copy of the reference's full counter-fitted table), else the counter-fitted subset shipped
    with the tests (`tests/fixtures/neighbors/`).
    """
    local = os.environ.get("XLT_NEIGHBORS", "")
    if local and Path(local).is_file():
        return Path(local)
    return PROJECT_ROOT / "tests" / "fixtures" / "neighbors" / "counterfitted_neighbors_subset.json"


# -- subprocess runs on the synthetic world (free_frontier, robust_frontier) -------------------


def child_environment(benchmark: Path) -> Dict[str, str]:
    """The environment of a training / report subprocess on a synthetic world (one thread)."""
    description = json.loads((benchmark / "languages.json").read_text())
    environment = dict(os.environ)
    environment.update(
        {
            "XLT_TRANSFORMER": str(benchmark / "encoder"),
            "XLT_TRANSFORMER_DIM": str(description["config"]["hidden_size"]),
            "XLT_DATA_DIR": str(benchmark),
            "XLT_NEIGHBORS": str(benchmark / "neighbors.json"),
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
    )
    return environment


def start(command: List[str], log: Path, environment: Dict[str, str]) -> subprocess.Popen:
    """Starts `command` from the project root, its output into `log`."""
    handle = open(log, "w", encoding="utf-8")
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=environment, stdout=handle, stderr=subprocess.STDOUT
    )


def wait_cpu(process: subprocess.Popen) -> float:
    """Waits for the process; its user + system CPU seconds."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime
