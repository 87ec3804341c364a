"""`benchmarks/regime_step_cost.py` runs as a file (no timing here)."""

import subprocess
import sys

from benchmarks.common import PROJECT_ROOT


def test_runs_as_a_file() -> None:
    completed = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "benchmarks" / "regime_step_cost.py"), "--help"],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "--json" in completed.stdout and "--rounds" in completed.stdout
