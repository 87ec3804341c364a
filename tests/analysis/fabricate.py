"""
Fabricated `xtreme-report` directories (the format `allennlp_robust_xlt.analysis.compare.inputs` reads)
with known per-language scores, per-example results and pairs, for the comparison tests.
"""

import csv
import json
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

import numpy

from allennlp_robust_xlt.analysis.per_example import write_per_example
from allennlp_robust_xlt.common.languages import LANGUAGES

XNLI = "en ar bg de el es fr hi ru sw th tr ur vi zh".split()


def write_report(
    directory: Path,
    scores: Mapping[str, float],
    task: str = "xnli",
    split: str = "test",
    metric: str = "accuracy",
    pairs: Optional[Mapping[str, float]] = None,
    per_example: Optional[Mapping[str, Sequence[int]]] = None,
    sources: Sequence[str] = ("en",),
) -> Path:
    """A report directory: metrics.json, report.csv and (optionally) per_example/{key}.jsonl."""
    directory.mkdir(parents=True, exist_ok=True)
    targets = [code for code in scores if code not in sources]
    metrics = {
        "task": task,
        "split": split,
        "metric": metric,
        "metrics": [metric],
        "source": "fabricated",
        "source_languages": list(sources),
        "languages": {code: {metric: value} for code, value in scores.items()},
        "summary": {"avg_without_en": float(numpy.mean([scores[c] for c in targets]))},
        "pairs": {key: {metric: value} for key, value in (pairs or {}).items()},
    }
    (directory / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    with open(directory / "report.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["kind", "key", "name", "family", "script", "languages", metric])
        for code, value in scores.items():
            language = LANGUAGES.get(code)
            family = language.family if language else ""
            writer.writerow(["language", code, code, family, "", code, repr(value)])
    for key, correct in (per_example or {}).items():
        write_per_example(
            directory / "per_example" / f"{key}.jsonl",
            ({"id": f"{key}-{i}", "correct": int(c)} for i, c in enumerate(correct)),
        )
    return directory


def correct_vector(accuracy: float, n: int, rng: numpy.random.Generator) -> List[int]:
    """n 0/1 outcomes with exactly round(accuracy * n) ones, in random order."""
    ones = int(round(accuracy * n))
    vector = numpy.array([1] * ones + [0] * (n - ones))
    rng.shuffle(vector)
    return vector.tolist()


def write_runs(
    root: Path,
    methods: Mapping[str, Mapping[str, Sequence[float]]],
    **kwargs,
) -> Dict[str, List[Path]]:
    """method -> language -> one score per seed; one report directory per method and seed."""
    runs: Dict[str, List[Path]] = {}
    for method, scores in methods.items():
        seeds = len(next(iter(scores.values())))
        runs[method] = [
            write_report(
                root / f"{method}-{seed}",
                {code: values[seed] for code, values in scores.items()},
                **kwargs,
            )
            for seed in range(seeds)
        ]
    return runs
