"""The result format of the benchmarks and the README table that `make bench` rewrites (no timing here)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    table = run_all.results_markdown([again], 60.0, "every figure")
    assert (
        "| 1. Training throughput | allennlp train | 10.0 | plain 10.5 | 0.95 | >= 0.95 | yes |"
        " process CPU |" in table
    )
    assert "| **no** |" in table and "1.0 min" in table


def test_a_run_of_some_figures_keeps_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def figure(script: str, value: str, measured: str) -> FigureResult:
        result = FigureResult(f"{script}: x", f"benchmarks/{script}.py", measured=measured)
        result.add("m", value, "a", 1.0, "-", None, "t")
        return result

    earlier = [
        figure("train_throughput", "1", "2026-11-22, torch 1.12.1 (pinned stack)"),
        figure("reader_throughput", "2", "2026-11-22, torch 1.12.1 (pinned stack)"),
    ]
    results = tmp_path / "results.json"
    results.write_text(json.dumps([result.to_json() for result in earlier]))
    monkeypatch.setattr(run_all, "RESULTS", results)
    new = figure("reader_throughput", "3", "2026-11-30, torch 2.1.2 (default stack)")
    merged = run_all.merged([figure("attack_cost", "4", "today"), new])
    # In the order of FIGURES; the figure run replaces its earlier result, the others stay.
    assert [result.script for result in merged] == [
        "benchmarks/train_throughput.py",
        "benchmarks/reader_throughput.py",
        "benchmarks/attack_cost.py",
    ]
    assert [result.rows[0].value for result in merged] == ["1", "3", "4"]
    table = run_all.results_markdown(merged, 6.0, "figures reader_throughput, attack_cost")
    assert "2026-11-22, torch 1.12.1 (pinned stack)" in table
    assert "2026-11-30, torch 2.1.2 (default stack)" in table
    assert "ran figures reader_throughput, attack_cost" in table


def test_readme_has_the_markers_and_scripts_run_as_modules() -> None:
    assert run_all.MARKERS.search(run_all.README.read_text(encoding="utf-8"))
    for name in run_all.FIGURES:
        completed = subprocess.run(
            [sys.executable, "-m", f"benchmarks.{name}", "--help"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        )
        assert completed.returncode == 0, completed.stderr[-2000:]
        assert "--json" in completed.stdout


def test_no_benchmark_script_edits_the_import_path() -> None:
    scripts = sorted((PROJECT_ROOT / "benchmarks").glob("*.py"))
    assert len(scripts) > 10
    editing = [path.name for path in scripts if "sys.path" in path.read_text(encoding="utf-8")]
    assert editing == [], "run them as modules (python -m benchmarks.NAME) instead"
