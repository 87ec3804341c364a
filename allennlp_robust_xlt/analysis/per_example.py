"""
Per-example results of an `xtreme-report` directory, and how each metric is recomputed from them.

`per_example/{lang}.jsonl` (and `per_example/{l1}-{l2}.jsonl` for the pairs of the generalized
setting) hold one JSON object per test example, in the order of the test file:
`{"id": ..., <fields>}`. The fields are the example's contribution to the language's metrics:

- classification and multiple choice: `correct` (0/1); accuracy = mean of `correct`.
- under attack (any task): the same fields prefixed `attacked_` (`attacked_correct`,
  `attacked_f1`, `attacked_tp`...); each `attacked_<metric>` is computed from them as the
  metric is from the clean fields.
- QA: `exact_match`, `f1` (0..1 each); exact_match and f1 = their means over the examples.
- tagging: `tp`, `fp`, `fn` (entity counts, as seqeval counts them), `correct_tokens`,
  `tokens`; f1 = micro F1 of the summed counts (seqeval's), precision, recall, and
  accuracy = sum(correct_tokens) / sum(tokens).

Every metric is a function of the sums of the fields over the examples (`RECIPES`), so a
bootstrap replicate, which draws each example a number of times, is the same function of
`counts @ field_values`. `xtreme-report` writes these files with `write_per_example` (checking
with `recompute` that they reproduce its metrics); `xtreme-compare` reads them with
`read_per_example` and checks the same.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy

from allennlp_robust_xlt.common.errors import InputFileError

PER_EXAMPLE_DIR = "per_example"

EXAMPLE_FIELDS: Dict[str, Tuple[str, ...]] = {
    "classification": ("correct",),
    "qa": ("exact_match", "f1"),
    "tagging": ("tp", "fp", "fn", "correct_tokens", "tokens"),
}
"""The fields each kind of task writes per example (`attacked_correct` may be added to any)."""

Sums = Mapping[str, numpy.ndarray]


def _ratio(numerator: numpy.ndarray, denominator: numpy.ndarray) -> numpy.ndarray:
    with numpy.errstate(invalid="ignore", divide="ignore"):
        return numpy.where(
            denominator > 0, numerator / numpy.where(denominator > 0, denominator, 1), 0.0
        )


def _mean_of(field: str) -> Callable[[Sums, numpy.ndarray], numpy.ndarray]:
    return lambda sums, count: sums[field] / count


def _micro_f1(sums: Sums, count: numpy.ndarray) -> numpy.ndarray:
    return _ratio(2 * sums["tp"], 2 * sums["tp"] + sums["fp"] + sums["fn"])


@dataclass(frozen=True)
class Recipe:
    """How `metric` is computed from the sums of `fields` over the examples (and their count)."""

    metric: str
    fields: Tuple[str, ...]
    compute: Callable[[Sums, numpy.ndarray], numpy.ndarray]


RECIPES: Tuple[Recipe, ...] = (
    Recipe("accuracy", ("correct",), _mean_of("correct")),
    Recipe("attacked_accuracy", ("attacked_correct",), _mean_of("attacked_correct")),
    Recipe("exact_match", ("exact_match",), _mean_of("exact_match")),
    Recipe("f1", ("tp", "fp", "fn"), _micro_f1),
    Recipe("precision", ("tp", "fp"), lambda s, n: _ratio(s["tp"], s["tp"] + s["fp"])),
    Recipe("recall", ("tp", "fn"), lambda s, n: _ratio(s["tp"], s["tp"] + s["fn"])),
    Recipe(
        "accuracy",
        ("correct_tokens", "tokens"),
        lambda s, n: _ratio(s["correct_tokens"], s["tokens"]),
    ),
    Recipe("f1", ("f1",), _mean_of("f1")),
)
"""Metric recipes; for a metric the first whose fields the examples have is used."""


ATTACKED_PREFIX = "attacked_"


def _attacked(recipe: Recipe) -> Recipe:
    """`attacked_<metric>` from the `attacked_<field>`s, as `metric` from the fields."""
    fields = tuple(ATTACKED_PREFIX + name for name in recipe.fields)

    def compute(sums: Sums, count: numpy.ndarray) -> numpy.ndarray:
        return recipe.compute({name: sums[ATTACKED_PREFIX + name] for name in recipe.fields}, count)

    return Recipe(ATTACKED_PREFIX + recipe.metric, fields, compute)


def recipe_for(metric: str, fields: Iterable[str]) -> Optional[Recipe]:
    """
    The recipe of `metric` for examples with these fields (None if none fits); under an attack,
    `attacked_<metric>` is the metric's recipe on the `attacked_<field>`s (e.g. a tagger's
    `attacked_f1` from `attacked_tp`, `attacked_fp`, `attacked_fn`).
    """
    present = set(fields)
    candidates = list(RECIPES)
    if metric.startswith(ATTACKED_PREFIX):
        candidates += [_attacked(recipe) for recipe in RECIPES]
    for recipe in candidates:
        if recipe.metric == metric and set(recipe.fields) <= present:
            return recipe
    return None


@dataclass
class PerExample:
    """The per-example results of one language (or pair) of one run."""

    path: str
    ids: List[Any]
    values: Dict[str, numpy.ndarray]
    """Field -> one value per example, in file order."""

    def __len__(self) -> int:
        return len(self.ids)

    def metric(self, metric: str) -> float:
        """The metric recomputed from all examples."""
        counts = numpy.ones((1, len(self)))
        return float(self.replicates(metric, counts)[0])

    def replicates(self, metric: str, counts: numpy.ndarray) -> numpy.ndarray:
        """
        The metric of each bootstrap replicate, given how often each example is drawn in it
        (`counts`, shape (B, n)).
        """
        recipe = recipe_for(metric, self.values)
        if recipe is None:
            raise InputFileError(
                self.path,
                None,
                f"cannot recompute {metric} from the fields {', '.join(sorted(self.values))}"
                f" (see allennlp_robust_xlt.analysis.per_example)",
            )
        sums = {field: counts @ self.values[field] for field in recipe.fields}
        return recipe.compute(sums, counts.sum(axis=1).astype(float))


def recompute(examples: Sequence[Mapping[str, Any]], metric: str) -> float:
    """The metric of in-memory per-example records (as `write_per_example` takes them)."""
    return _from_records("<examples>", examples).metric(metric)


def _from_records(
    path: str, records: Sequence[Mapping[str, Any]], lines: Optional[Sequence[int]] = None
) -> PerExample:
    if not records:
        raise InputFileError(path, None, "has no examples")
    fields = [key for key in records[0] if key != "id"]
    if not fields:
        raise InputFileError(path, lines[0] if lines else 1, "an example without result fields")
    values = {field: numpy.zeros(len(records)) for field in fields}
    for index, record in enumerate(records):
        line = lines[index] if lines else index + 1
        if "id" not in record:
            raise InputFileError(path, line, 'an example without an "id"')
        if set(record) - {"id"} != set(fields):
            raise InputFileError(
                path,
                line,
                f"has the fields {', '.join(sorted(set(record) - {'id'}))}; the first example has"
                f" {', '.join(sorted(fields))}",
            )
        for field in fields:
            value = record[field]
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise InputFileError(path, line, f"{field} is {value!r}, not a finite number")
            values[field][index] = value
    return PerExample(path, [record["id"] for record in records], values)


def read_per_example(path: Union[str, Path]) -> PerExample:
    """A `per_example/*.jsonl` file; errors name the file and line."""
    records: List[Dict[str, Any]] = []
    lines: List[int] = []
    try:
        with open(path, encoding="utf-8") as data:
            for line_number, line in enumerate(data, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputFileError(path, line_number, f"invalid JSON ({error.msg})") from None
                if not isinstance(record, dict):
                    raise InputFileError(path, line_number, "expected a JSON object per line")
                records.append(record)
                lines.append(line_number)
    except FileNotFoundError:
        raise InputFileError(path, None, "file not found") from None
    except UnicodeDecodeError:
        raise InputFileError(path, None, "not UTF-8 text") from None
    return _from_records(str(path), records, lines)


def write_per_example(path: Union[str, Path], examples: Iterable[Mapping[str, Any]]) -> None:
    """One JSON line per example (`{"id": ..., <fields>}`), checked as `read_per_example` checks."""
    records = [dict(example) for example in examples]
    _from_records(str(path), records)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def check_reproduces(per_example: PerExample, metric: str, expected: float, where: str) -> None:
    """An error naming the file if the per-example results do not give the reported metric."""
    value = per_example.metric(metric)
    if not math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-6):
        raise InputFileError(
            per_example.path,
            None,
            f"gives {metric} = {value:.6f} over its {len(per_example)} examples, but {where}"
            f" reports {expected:.6f}",
        )
