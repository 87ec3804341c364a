"""
MLQA's generalized setting: the 49 question-language x context-language files of a split
evaluated by one `xtreme-report --task mlqa --generalized` run (the model loaded once) against
49 separate `allennlp evaluate` calls, each as a subprocess, as a user would run them.

Model: the tiny XLM-R-style model (512 positions), trained here for one epoch on the fixture
SQuAD file with `training_configs/squad_baseline.jsonnet` (XTREME's windows); data: the fixture
MLQA dev files with each question repeated `--copies` times (new ids). Both sides run
`python -m allennlp_robust_xlt ...` with one torch thread. Timing: the CPU time of the child
processes, and wall-clock time for information. Goal: the report costs at most a tenth of the
49 calls (ratio >= 10). Both must give the same F1 and exact match for every file (checked).

    python -m benchmarks.qa_report [--copies 10]
"""

import json
import os
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

from benchmarks.common import (
    CONFIGS,
    FIXTURE_DATA,
    THREADS,
    TINY,
    FigureResult,
    figure_main,
    local_model,
)
from benchmarks.evaluate_languages import cli

GOAL = 10.0


def mlqa_files(root: Path, copies: int) -> Dict[Tuple[str, str], Path]:
    """`(question, context) -> file` in MLQA's layout under `root/mlqa`, questions repeated."""
    from allennlp_robust_xlt.tasks import TASKS

    mlqa = TASKS["mlqa"]
    files = {}
    for question in mlqa.languages:
        for context in mlqa.languages:
            pair = f"{question}-{context}"
            source = mlqa.file_path(FIXTURE_DATA, "dev", pair)
            document = json.loads(source.read_text(encoding="utf-8"))
            articles = []
            for copy in range(copies):
                for article in document["data"]:
                    article = json.loads(json.dumps(article))
                    for paragraph in article["paragraphs"]:
                        for qa in paragraph["qas"]:
                            qa["id"] = f"{qa['id']}-{copy}"
                    articles.append(article)
            target = mlqa.file_path(root, "dev", pair)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps({"version": "1.0", "data": articles}), encoding="utf-8")
            files[(question, context)] = target
    return files


def train_archive(model: Path, serialization_dir: Path) -> Path:
    from allennlp_robust_xlt.testing.cli import run_allennlp

    os.environ.update(
        XLT_TRANSFORMER=str(model),
        XLT_TRANSFORMER_DIM=str(TINY["hidden_size"]),
        XLT_DATA_DIR=str(FIXTURE_DATA),
    )
    run_allennlp(
        "train",
        str(CONFIGS / "squad_baseline.jsonnet"),
        "-s",
        str(serialization_dir),
        "-o",
        json.dumps({"trainer.num_epochs": 1, "trainer.num_gradient_accumulation_steps": 1}),
    )
    return serialization_dir / "model.tar.gz"


def run(copies: int = 10) -> FigureResult:
    model = local_model("tiny-xlmr", **TINY)
    result = FigureResult(
        "4b. MLQA G-XLT, 49 files: one `xtreme-report --generalized` run vs 49 `allennlp evaluate`"
        " calls",
        "benchmarks/qa_report.py",
    )
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        archive = train_archive(model, root / "model")
        files = mlqa_files(root / "data" / "mlqa", copies)
        separate_cpu = separate_wall = 0.0
        scores: Dict[Tuple[str, str], Dict[str, float]] = {}
        (root / "evaluate").mkdir()
        for pair, path in files.items():
            output = root / "evaluate" / f"{pair[0]}-{pair[1]}.json"
            cpu, wall = cli("evaluate", str(archive), str(path), "--output-file", str(output))
            separate_cpu, separate_wall = separate_cpu + cpu, separate_wall + wall
            scores[pair] = json.loads(output.read_text())
        report_cpu, report_wall = cli(
            "xtreme-report", str(archive), str(root / "data"), "--task", "mlqa", "--split", "dev",
            "--generalized", "--output-dir", str(root / "report"),
        )  # fmt: skip
        reported = json.loads((root / "report" / "metrics.json").read_text())["pairs"]
        for (question, context), evaluated in scores.items():
            for metric in ("f1", "exact_match"):
                difference = abs(evaluated[metric] - reported[f"{question}-{context}"][metric])
                assert difference < 1e-9, (question, context, metric)
    ratio = separate_cpu / report_cpu
    result.add(
        "49 x `allennlp evaluate` / one `xtreme-report --generalized`, CPU s",
        f"{separate_cpu:.1f} s",
        f"report {report_cpu:.1f} s",
        ratio,
        f">= {GOAL:.0f}",
        ratio >= GOAL,
        "children CPU",
    )
    questions: List[int] = [3 * copies]
    result.notes.append(
        f"Tiny XLM-R-style model, {questions[0]} questions per file, 49 dev files, {THREADS}"
        f" torch thread(s) per process; wall clock {separate_wall:.1f} s against"
        f" {report_wall:.1f} s ({separate_wall / report_wall:.1f}x). Both give the same F1 and"
        " exact match for every file (checked)."
    )
    return result


if __name__ == "__main__":
    figure_main(
        run,
        (__doc__ or "").strip().split("\n\n")[0],
        [("--copies", dict(type=int, default=10, help="copies of each fixture question"))],
    )
