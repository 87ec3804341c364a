"""`benchmarks/robust_frontier.py --quick` end to end on one task, and its pieces."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.common import PROJECT_ROOT
from benchmarks.robust_frontier import goal, interval, markdown


def _row(method: str, cost: float, clean: float, attacked: float) -> dict:
    value = lambda mean: {"mean": mean, "half_width": None, "n": 1}  # noqa: E731
    return {
        "method": method,
        "label": method,
        "seeds": [{}],
        "cost": value(cost),
        "english_dev": value(50.0),
        "clean_target": value(clean),
        "attacked_target": value(attacked),
    }


def test_interval_is_a_t_interval() -> None:
    result = interval([1.0, 2.0, 3.0])
    # t(0.975, 2) = 4.303; sd 1; sqrt(3)
    assert abs(result["mean"] - 2.0) < 1e-12
    assert abs(result["half_width"] - 4.302653 / 3**0.5) < 1e-5
    assert interval([4.0])["half_width"] is None


def test_goal_compares_with_pgd3() -> None:
    rows = [
        _row("baseline", 1.0, 70.0, 40.0),
        _row("pgd3", 3.0, 70.0, 50.0),
        _row("free2", 1.1, 70.5, 49.2),  # met
        _row("fast", 2.0, 71.0, 51.0),  # too costly
        _row("r3f", 1.2, 69.0, 50.0),  # clean below PGD-3's
    ]
    assert goal(rows) == ["free2"]
    assert "Goal met by: free2." in markdown({"pawsx": rows})
    # a collapsed (constant) model meets nothing, and a collapsed PGD-3 is no reference
    rows[2]["collapsed_seeds"] = 1
    assert goal(rows) == []
    rows[2]["collapsed_seeds"] = 0
    rows[1]["collapsed_seeds"] = 1
    assert goal(rows) == []


@pytest.mark.slow  # about a minute of CPU: processes of allennlp train and xtreme-report
def test_quick_mode_writes_sane_outputs(tmp_path: Path) -> None:
    output = tmp_path / "frontier"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.robust_frontier", "--quick", "--tasks", "pawsx"]
        + ["--methods", "baseline", "pgd3", "smart_unlabeled", "avg_baseline"]
        + ["--output-dir", str(output)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    summary = json.loads((output / "results.json").read_text())
    rows = {row["method"]: row for row in summary["results"]["pawsx"]}
    assert set(rows) == {"baseline", "pgd3", "smart_unlabeled", "avg_baseline"}
    assert rows["baseline"]["cost"]["mean"] == 1.0
    for row in rows.values():
        (seed,) = row["seeds"]
        assert seed["train_cpu_s"] > 0
        for key in ("english_dev", "clean_target", "attacked_target"):
            assert 0.0 <= row[key]["mean"] <= 100.0
        # the attack never raises a score (the same test inputs, perturbed)
        assert row["attacked_target"]["mean"] <= row["clean_target"]["mean"] + 1e-9
    # averaging is free on top of the run it averages; PGD-3 costs more than the baseline
    assert rows["avg_baseline"]["cost"]["mean"] >= 1.0
    assert rows["pgd3"]["seeds"][0]["train_cpu_s"] > 0
    # the unlabelled text: fresh target-language pairs, two columns, no label column
    unlabeled = output / "world" / "unlabeled-pawsx"
    files = sorted(unlabeled.glob("*.tsv"))
    assert files and all(f.stem != "en" for f in files)
    test_lines = set(
        (output / "world" / "pawsx" / f"test-{files[0].stem}.tsv").read_text().splitlines()
    )
    lines = files[0].read_text().splitlines()
    assert lines and all(len(line.split("\t")) == 2 for line in lines)
    assert not any(line + "\t0" in test_lines or line + "\t1" in test_lines for line in lines)
    assert (output / "frontier.png").stat().st_size > 0
    assert "| PGD-3" in (output / "results.md").read_text()
