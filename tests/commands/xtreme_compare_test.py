"""`allennlp xtreme-compare` on the command line: its outputs, options and one-line errors."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.data.synthetic_xlt import (
    DISTANCE_NAMES,
    SyntheticXltConfig,
    write_benchmark,
)
from allennlp_robust_xlt.testing.cli import comma_list, run_allennlp
from tests import PROJECT_ROOT
from tests.analysis.fabricate import write_runs

CODES = ["en", "qaa", "qab", "qac", "qad", "qae"]


@pytest.fixture
def synthetic_runs(tmp_path: Path):
    """Synthetic-language runs whose gains grow with a known misalignment table."""
    misalignment = {"qaa": 0.5, "qab": 1.0, "qac": 1.5, "qad": 2.0, "qae": 2.5}
    gains = {"en": 0.0, "qaa": 0.01, "qab": 0.03, "qac": 0.02, "qad": 0.06, "qae": 0.05}
    base = {c: [0.9 - 0.1 * i, 0.92 - 0.1 * i] for i, c in enumerate(CODES)}
    runs = write_runs(
        tmp_path / "runs",
        {
            "baseline": base,
            "pgd": {c: [v + gains[c] for v in base[c]] for c in CODES},
            "rsda": {c: [v - gains[c] for v in base[c]] for c in CODES},
        },
        task="pawsx",
    )
    table = tmp_path / "distances.csv"
    table.write_text(
        "language,distance_name,value\n"
        + "".join(f"{c},misalignment,{v}\n" for c, v in misalignment.items())
    )
    return runs, table, misalignment, gains


def test_compare_from_the_command_line(synthetic_runs, tmp_path: Path, capsys):
    runs, table, misalignment, gains = synthetic_runs
    output = tmp_path / "compare"
    run_allennlp(
        "xtreme-compare", "--runs", *(f"{m}={comma_list(d)}" for m, d in runs.items()),
        "--reference", "baseline", "--distances", str(table), "--lang2vec", "none",
        "--output-dir", str(output), "--seed", "1", "--bootstrap", "200",
    )  # fmt: skip
    assert sorted(p.name for p in output.iterdir()) == [
        "comparison.csv",
        "comparison.md",
        "correlations.csv",
        "distances.csv",
        "families.csv",
        "families.png",
        "gain_vs_distance.png",
    ]
    printed = capsys.readouterr().out
    assert printed.startswith("# Comparison: PAWS-X test, accuracy (%)")
    with open(output / "correlations.csv", newline="") as data:
        rows = {r["method"]: r for r in csv.DictReader(data)}
    targets = sorted(misalignment)
    x = [misalignment[c] for c in targets]
    for method, sign in (("pgd", 1), ("rsda", -1)):
        y = [sign * gains[c] for c in targets]
        assert float(rows[method]["spearman"]) == pytest.approx(stats.spearmanr(x, y).statistic)
        assert float(rows[method]["pearson"]) == pytest.approx(stats.pearsonr(x, y).statistic)
        assert rows[method]["predictor"] == "distance:misalignment" and rows[method]["n"] == "5"
    with pytest.raises(ParameterError, match="exists and is not empty; pass --force"):
        run_allennlp(
            "xtreme-compare", "--runs", *(f"{m}={comma_list(d)}" for m, d in runs.items()),
            "--lang2vec", "none", "--output-dir", str(output),
        )  # fmt: skip
    run_allennlp(
        "xtreme-compare", "--runs", *(f"{m}={comma_list(d)}" for m, d in runs.items()),
        "--lang2vec", "none", "--output-dir", str(output), "--force", "--reference", "pgd",
    )  # fmt: skip
    with open(output / "comparison.csv", newline="") as data:
        rows = list(csv.DictReader(data))
    assert {r["gain"] for r in rows if r["method"] == "pgd"} == {"0.0"}


def test_errors_are_one_line_without_traceback(synthetic_runs, tmp_path: Path):
    runs, _, _, _ = synthetic_runs
    command = [
        sys.executable, "-m", "allennlp_robust_xlt", "xtreme-compare",
        "--runs", f"baseline={comma_list(runs['baseline'])}", "pgd",
        "--output-dir", str(tmp_path / "out"),
    ]  # fmt: skip
    result = subprocess.run(
        command,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "error: xtreme-compare: parameter '--runs' 'pgd' is not NAME=DIR[,DIR...] (one DIR per seed)"
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_synthetic_world_distances_and_families(tmp_path: Path):
    """The world's `distances.csv` and `families.csv` drive the comparison (`--distances`)."""
    world = write_benchmark(
        tmp_path / "world",
        SyntheticXltConfig(
            seed=1,
            num_groups=30,
            train_size=10,
            dev_size=10,
            test_size=10,
            misalignments=(0.5, 0.5, 0.5, 1.0, 0.5),
            synonym_shares=(0.0, 0.0, 1.0, 1.0, 0.5),
            parents=("en", "qaa", "en", "qac", "en"),
        ),
    )
    gains = {"en": 0.0, "qaa": 0.01, "qab": 0.02, "qac": 0.03, "qad": 0.06, "qae": 0.02}
    base = {c: [0.9 - 0.1 * i, 0.92 - 0.1 * i] for i, c in enumerate(CODES)}
    runs = write_runs(
        tmp_path / "runs",
        {"baseline": base, "rsda": {c: [v + gains[c] for v in base[c]] for c in CODES}},
        task="pawsx",
    )
    output = tmp_path / "compare"
    run_allennlp(
        "xtreme-compare", "--runs", *(f"{m}={comma_list(d)}" for m, d in runs.items()),
        "--distances", str(tmp_path / "world" / "distances.csv"), "--lang2vec", "none",
        "--families", str(tmp_path / "world" / "families.csv"),
        "--output-dir", str(output), "--bootstrap", "100",
    )  # fmt: skip
    with open(output / "correlations.csv", newline="") as data:
        rows = {r["predictor"]: r for r in csv.DictReader(data) if r["method"] == "rsda"}
    assert {f"distance:{name}" for name in DISTANCE_NAMES} <= set(rows)
    targets = CODES[1:]
    x = [world.misalignment[c] for c in targets]
    y = [gains[c] for c in targets]
    assert float(rows["distance:misalignment"]["spearman"]) == pytest.approx(
        stats.spearmanr(x, y).statistic
    )
    with open(output / "families.csv", newline="") as data:
        families = {
            r["group"]: r["languages"] for r in csv.DictReader(data) if r["level"] == "family"
        }
    assert families == {
        "Synthetic-qaa": "qaa qab",
        "Synthetic-qac": "qac qad",
        "Synthetic-qae": "qae",
    }


def test_a_bad_distance_line_names_file_and_line(synthetic_runs, tmp_path: Path):
    runs, _, _, _ = synthetic_runs
    table = tmp_path / "mine.csv"
    table.write_text("language,distance_name,value\nqaa,misalignment,0.5\nqab,misalignment,far\n")
    command = [
        sys.executable, "-m", "allennlp_robust_xlt", "xtreme-compare",
        "--runs", *(f"{m}={comma_list(d)}" for m, d in runs.items()),
        "--distances", str(table), "--lang2vec", "none", "--output-dir", str(tmp_path / "out"),
    ]  # fmt: skip
    result = subprocess.run(
        command,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert f"{table}:3:" in last and "value 'far' is not a number" in last, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
