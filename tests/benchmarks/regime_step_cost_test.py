"""`benchmarks/regime_step_cost.py` runs as a module (no timing here)."""

import subprocess
import sys

from benchmarks.common import PROJECT_ROOT


def test_runs_as_a_module() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.regime_step_cost", "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "--json" in completed.stdout and "--rounds" in completed.stdout
