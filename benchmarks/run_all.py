"""
Runs every figure of `benchmarks/` (each in its own subprocess, in order) and rewrites the
results table of `benchmarks/README.md` between `<!-- results -->` and `<!-- /results -->`;
also writes `benchmarks/results.json`. `make bench` runs this. With `--only`, the figures run
replace their earlier results and the others' are kept; every figure names the date and stack
(torch) it was measured on. Figure 1 also has a row per stack in the table between
`<!-- figure1-stacks -->` and `<!-- /figure1-stacks -->`: a run of figure 1 replaces the row
of its own stack and keeps the others; `--figure1-row` runs figure 1 alone and writes that row
only (`make bench STACK=pinned BENCH_ARGS=--figure1-row`).

    python -m benchmarks.run_all [--only train_throughput ...] [--figure1-row] [--no-write]
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List

from benchmarks.common import (
    PROJECT_ROOT,
    FigureResult,
    machine,
    markdown_table,
    verdict,
)

FIGURES = (
    "train_throughput",
    "tagging_throughput",
    "qa_throughput",
    "robust_step_time",
    "regime_step_cost",
    "reader_throughput",
    "family_reading",
    "evaluate_languages",
    "qa_report",
    "attack_cost",
    "retrieval_throughput",
    "retrieval_search_memory",
    "alignment_throughput",
)
# Arguments of a figure under `make bench`: BUCC-scale mining with 2,000 query rows against the
# full 200k (the same memory profile as all 200k rows, a hundredth of the time; the full run is
# `python -m benchmarks.retrieval_search_memory`, 100 times the work: see benchmarks/README.md).
FIGURE_ARGS = {"retrieval_search_memory": ["--query-rows", "2000"]}
README = PROJECT_ROOT / "benchmarks" / "README.md"
RESULTS = PROJECT_ROOT / "benchmarks" / "results.json"
MARKERS = re.compile(r"(<!-- results -->\n).*?(<!-- /results -->)", re.DOTALL)
STACK_MARKERS = re.compile(r"(<!-- figure1-stacks -->\n)(.*?)(<!-- /figure1-stacks -->)", re.DOTALL)
STACK_HEADER = [
    "stack",
    "torch",
    "measured",
    "allennlp train",
    "plain loop",
    "ratio",
    "goal",
    "met",
]


def run_figure(name: str) -> FigureResult:
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / f"{name}.json"
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", f"benchmarks.{name}", "--json", str(output)]
            + FIGURE_ARGS.get(name, []),
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0 or not output.exists():
            sys.stderr.write(completed.stderr[-4000:])
            raise SystemExit(f"benchmarks/{name}.py failed (exit code {completed.returncode})")
        result = FigureResult.from_json(json.loads(output.read_text(encoding="utf-8")))
        details = machine()
        result.measured = f"{details['date']}, torch {details['torch']} ({details['stack']} stack)"
        print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)
        print(result.markdown(), flush=True)
        return result


def merged(results: List[FigureResult]) -> List[FigureResult]:
    """
    `results` with the earlier results of the figures not run (from `results.json`), in the
    order of FIGURES: a run of some figures keeps the others' rows.
    """
    earlier = []
    if RESULTS.exists():
        earlier = [FigureResult.from_json(data) for data in json.loads(RESULTS.read_text())]
    by_script = {result.script: result for result in earlier}
    by_script.update({result.script: result for result in results})
    order = {f"benchmarks/{name}.py": index for index, name in enumerate(FIGURES)}
    return sorted(by_script.values(), key=lambda result: order.get(result.script, len(order)))


def results_markdown(results: List[FigureResult], seconds: float, ran: str) -> str:
    details = machine()
    header = ["figure", "measure", "value", "anchor", "ratio", "goal", "met", "timing"]
    rows = []
    for result in results:
        for row in result.rows:
            ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
            rows.append(
                [
                    result.figure.split(":")[0],
                    row.measure,
                    row.value,
                    row.anchor,
                    ratio,
                    row.goal,
                    verdict(row.met),
                    row.timing,
                ]
            )
    lines = [
        (
            f"Last run on {details['date']}: {details['cpu']}, {details['cores']} cores (shared"
            f" with other jobs), {details['torch threads']} torch thread(s), Python"
            f" {details['python']}, torch {details['torch']} ({details['stack']} stack); it"
            f" ran {ran} and took {seconds / 60:.1f} min. Each figure's note names the date and"
            " stack it was measured on."
        ),
        "",
        markdown_table(header, rows),
        "",
    ]
    for result in results:
        lines += [
            f"- {result.figure.split(':')[0]} (`{result.script}`, {result.seconds:.0f} s"
            + (f"; {result.measured}" if result.measured else "")
            + "): "
            + " ".join(result.notes)
        ]
    return "\n".join(lines) + "\n"


def figure1_stack_rows(readme: str, result: FigureResult) -> str:
    """
    The per-stack table of figure 1 in `readme` with the row of this run's stack replaced (or
    added), from figure 1's first row (`allennlp train` against the plain loop).
    """
    match = STACK_MARKERS.search(readme)
    if not match:
        raise SystemExit(f"{README}: no <!-- figure1-stacks --> ... markers")
    details = machine()
    row = result.rows[0]
    ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
    new = [
        details["stack"],
        details["torch"],
        details["date"],
        f"{row.value} instances/s",
        row.anchor.replace("plain loop ", "") + " instances/s",
        ratio,
        row.goal,
        verdict(row.met),
    ]
    rows = []
    for line in match.group(2).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells != STACK_HEADER and not set(line) <= set("|-"):
            rows.append(cells)
    rows = [cells for cells in rows if cells[0] != new[0]] + [new]
    rows.sort(key=lambda cells: cells[0])
    table = markdown_table(STACK_HEADER, rows) + "\n"
    return readme[: match.start(2)] + table + readme[match.end(2) :]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=FIGURES, help="run only these figures")
    parser.add_argument(
        "--no-write", action="store_true", help="do not rewrite README.md / results.json"
    )
    parser.add_argument(
        "--figure1-row",
        action="store_true",
        help="run figure 1 only and write only its row for this stack",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    names = ["train_throughput"] if args.figure1_row else list(args.only or FIGURES)
    results = [run_figure(name) for name in names]
    seconds = time.perf_counter() - started
    ran = "every figure" if names == list(FIGURES) else "figures " + ", ".join(names)
    table = results_markdown(merged(results), seconds, ran)
    print(table)
    if args.no_write:
        return
    if "train_throughput" in names:
        readme = README.read_text(encoding="utf-8")
        README.write_text(
            figure1_stack_rows(readme, results[names.index("train_throughput")]),
            encoding="utf-8",
        )
        print(f"wrote figure 1's row for the {machine()['stack']} stack to {README}")
    if args.figure1_row:
        return
    RESULTS.write_text(
        json.dumps([result.to_json() for result in merged(results)], indent=2) + "\n",
        encoding="utf-8",
    )
    readme = README.read_text(encoding="utf-8")
    if not MARKERS.search(readme):
        raise SystemExit(
            f"{README}: no <!-- results --> ... <!-- /results --> markers to write the table"
            " between"
        )
    README.write_text(
        MARKERS.sub(lambda match: match.group(1) + table + match.group(2), readme), encoding="utf-8"
    )
    print(f"wrote the table to {README} and {RESULTS} ({seconds / 60:.1f} min)")


if __name__ == "__main__":
    main()
