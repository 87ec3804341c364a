"""
Figure 4: evaluating a model on the 15 XNLI languages with one `xtreme-report` run (the model
loaded once) against 15 separate `allennlp evaluate` calls (what users would otherwise run),
each as a subprocess, as a user would run them.

Model: the tiny XLM-R-style model, trained here for one epoch on the fixture data with
`training_configs/xnli_baseline.jsonnet`; test files: `--lines` pairs per language, made from
the fixture test sets. Both sides run `python -m allennlp_robust_xlt ...` (AllenNLP's CLI with
the plugin), with the torch thread count of the other figures (`OMP_NUM_THREADS`). Timing: the
CPU time of the child processes (`getrusage(RUSAGE_CHILDREN)`), and wall-clock time for
information. Goal: the report run costs at most a fifth of the 15 calls (ratio >= 5): it pays
the start-up (imports, archive extraction, model loading) once instead of 15 times. The two sides are measured in
turn, `--rounds` times; medians.

    python -m benchmarks.evaluate_languages [--lines 100] [--rounds 1]
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Sequence, Tuple

from benchmarks.common import (
    CONFIGS,
    FIXTURE_DATA,
    PROJECT_ROOT,
    THREADS,
    TINY,
    FigureResult,
    children_cpu_seconds,
    figure_main,
    local_model,
)

GOAL = 5.0
XNLI_LANGUAGES = (
    "en",
    "ar",
    "bg",
    "de",
    "el",
    "es",
    "fr",
    "hi",
    "ru",
    "sw",
    "th",
    "tr",
    "ur",
    "vi",
    "zh",
)


def test_files(directory: Path, lines: int) -> List[Path]:
    """`test-{lang}.tsv` for the 15 XNLI languages, `lines` pairs each, from the fixture test sets."""
    rows: List[str] = []
    for path in sorted((FIXTURE_DATA / "xnli").glob("test-*.tsv")):
        rows += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for offset, code in enumerate(XNLI_LANGUAGES):
        path = directory / f"test-{code}.tsv"
        path.write_text(
            "".join(rows[(offset + index) % len(rows)] + "\n" for index in range(lines)),
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def cli(*args: str) -> Tuple[float, float]:
    """Runs `python -m allennlp_robust_xlt ARGS` as a subprocess: (its CPU seconds, wall seconds)."""
    # The same thread count as every other figure (torch's default, one per core, mostly spins
    # on this shared 2-core machine with the tiny model's small matrices).
    env = {**os.environ, "OMP_NUM_THREADS": str(THREADS), "MKL_NUM_THREADS": str(THREADS)}
    cpu, wall = children_cpu_seconds(), time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "allennlp_robust_xlt", *args],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return children_cpu_seconds() - cpu, time.perf_counter() - wall


def train_archive(model: Path, serialization_dir: Path) -> Path:
    from allennlp_robust_xlt.testing.cli import run_allennlp

    os.environ.update(
        XLT_TRANSFORMER=str(model),
        XLT_TRANSFORMER_DIM=str(TINY["hidden_size"]),
        XLT_DATA_DIR=str(FIXTURE_DATA),
    )
    run_allennlp(
        "train",
        str(CONFIGS / "xnli_baseline.jsonnet"),
        "-s",
        str(serialization_dir),
        "-o",
        json.dumps({"trainer.num_epochs": 1}),
    )
    return serialization_dir / "model.tar.gz"


def separate_calls(archive: Path, paths: Sequence[Path], output: Path) -> Tuple[float, float]:
    cpu = wall = 0.0
    for path in paths:
        call_cpu, call_wall = cli(
            "evaluate", str(archive), str(path), "--output-file", str(output / f"{path.stem}.json")
        )
        cpu, wall = cpu + call_cpu, wall + call_wall
    return cpu, wall


def run(lines: int = 100, rounds: int = 1) -> FigureResult:
    model = local_model("tiny-xlmr", **TINY)
    result = FigureResult(
        "4. Evaluating 15 languages: one `xtreme-report` run vs 15 `allennlp evaluate` calls",
        "benchmarks/evaluate_languages.py",
    )
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        archive = train_archive(model, root / "model")
        paths = test_files(root / "data" / "xnli", lines)
        separate: List[Tuple[float, float]] = []
        report: List[Tuple[float, float]] = []
        for round_ in range(rounds):
            (root / f"evaluate-{round_}").mkdir()
            separate.append(separate_calls(archive, paths, root / f"evaluate-{round_}"))
            report.append(
                cli(
                    "xtreme-report",
                    str(archive),
                    str(root / "data"),
                    "--task",
                    "xnli",
                    "--output-dir",
                    str(root / f"report-{round_}"),
                )
            )
        # Same numbers either way.
        reported = json.loads((root / "report-0" / "metrics.json").read_text())["languages"]
        for path in paths:
            evaluated = json.loads((root / "evaluate-0" / f"{path.stem}.json").read_text())
            code = path.stem.split("-")[1]
            assert abs(evaluated["accuracy"] - reported[code]["accuracy"]) < 1e-9, (
                code,
                evaluated,
                reported[code],
            )
    separate_cpu = statistics.median(cpu for cpu, _ in separate)
    report_cpu = statistics.median(cpu for cpu, _ in report)
    ratio = separate_cpu / report_cpu
    result.add(
        "15 x `allennlp evaluate` / one `xtreme-report`, CPU s",
        f"{separate_cpu:.1f} s",
        f"report {report_cpu:.1f} s",
        ratio,
        f">= {GOAL:.0f}",
        ratio >= GOAL,
        "children CPU" + (f", median of {rounds}" if rounds > 1 else ""),
    )
    separate_wall = statistics.median(wall for _, wall in separate)
    report_wall = statistics.median(wall for _, wall in report)
    result.notes.append(
        f"Tiny XLM-R-style model, {lines} pairs per language, {THREADS} torch thread(s) per"
        f" process; wall clock {separate_wall:.1f} s against {report_wall:.1f} s"
        f" ({separate_wall / report_wall:.1f}x). Both give the same accuracy for every language"
        " (checked)."
    )
    return result


if __name__ == "__main__":
    figure_main(
        run,
        (__doc__ or "").strip().split("\n\n")[0],
        [
            ("--lines", dict(type=int, default=100, help="test pairs per language")),
            ("--rounds", dict(type=int, default=1, help="measured rounds of both sides")),
        ],
    )
