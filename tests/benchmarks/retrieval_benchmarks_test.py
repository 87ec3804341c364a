"""The retrieval benchmark scripts run as files and take `--json`, as `run_all.py` needs (no timing here)."""

import subprocess
import sys

import pytest

from benchmarks.common import PROJECT_ROOT


@pytest.mark.parametrize("name", ["retrieval_throughput", "retrieval_search_memory"])
def test_script_runs_as_a_module(name: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "--json" in completed.stdout


def test_search_memory_figure_on_a_small_size() -> None:
    from benchmarks.retrieval_search_memory import run

    result = run(size=2000, dim=16)
    assert [row.measure for row in result.rows] == [
        "mine_bitext peak RSS",
        "search memory (peak - after embeddings)",
    ]
    assert result.rows[1].met  # far below the chunk budget at this size
    assert "200 planted translations" in result.notes[0]
