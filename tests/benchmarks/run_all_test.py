"""The result format of the benchmarks and the README table that `make bench` rewrites (no timing here)."""

import subprocess
import sys

from benchmarks import run_all
from benchmarks.common import PROJECT_ROOT, FigureResult


def test_figure_result_round_trip_and_table() -> None:
    result = FigureResult(
        "1. Training throughput: x", "benchmarks/train_throughput.py", notes=["note"]
    )
    result.add("allennlp train", "10.0", "plain 10.5", 0.952, ">= 0.95", True, "process CPU")
    result.add("fix", "3", "before 2", 1.4, ">= 1.5", False, "process CPU")
    again = FigureResult.from_json(result.to_json())
    assert again == result
    table = run_all.results_markdown([again], 60.0)
    assert (
        "| 1. Training throughput | allennlp train | 10.0 | plain 10.5 | 0.95 | >= 0.95 | yes |"
        " process CPU |" in table
    )
    assert "| **no** |" in table and "1.0 min" in table


def test_readme_has_the_markers_and_scripts_run_as_files() -> None:
    assert run_all.MARKERS.search(run_all.README.read_text(encoding="utf-8"))
    for name in run_all.FIGURES:
        # As a file, `benchmarks` must not resolve to fairscale's package in site-packages.
        completed = subprocess.run(
            [sys.executable, str(PROJECT_ROOT / "benchmarks" / f"{name}.py"), "--help"],
            capture_output=True,
            text=True,
        )
        assert completed.returncode == 0, completed.stderr[-2000:]
        assert "--json" in completed.stdout
