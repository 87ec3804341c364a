"""
Statistics for comparing runs over a handful of languages (n = 14 or 15 for XNLI), seeded and
deterministic: the same inputs and seed give the same numbers on every run and machine.

- `correlate(x, y)`: Spearman's rho and Pearson's r with two-sided permutation p-values
  (`scipy.stats.permutation_test`, pairings; exact enumeration when n! <= the number of
  resamples, i.e. n <= 7 at the default 9,999), a percentile bootstrap interval of rho over the
  pairs (x_i, y_i), and the Fisher-z interval of r (`scipy.stats.pearsonr(...).confidence_interval`).
  Spearman's permutation p permutes ranks (the same as permuting the values); ties take average
  ranks as `scipy.stats.spearmanr` does.
- `holm(p_values)`: Holm's step-down adjustment (family-wise error) across tests.
- `t_half_width(values)`: the half-width of Student's t interval of a mean (e.g. over seeds).
- `percentile_interval(replicates)`: the percentile bootstrap interval of a set of replicates;
  `resample_counts` and `resample_indices` draw the bootstrap samples (over test examples or
  over seeds) from `rng_for(seed, *keys)`, a generator that depends only on the seed and the
  keys (e.g. a language), never on the order in which the callers ask.

At n = 15 the critical |r| of a two-sided test at 0.05 is about 0.51: only strong relations can
show, and after a Holm correction over many predictors even fewer. Report the correlations as
exploratory.
"""

import math
import zlib
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy
from scipy import stats

DEFAULT_PERMUTATIONS = 9999
DEFAULT_BOOTSTRAP = 1000
CONFIDENCE = 0.95


def rng_for(seed: int, *keys: str) -> numpy.random.Generator:
    """A generator that depends on `seed` and the `keys` only (stable across runs and orders)."""
    entropy = [int(seed)] + [zlib.crc32(key.encode("utf-8")) for key in keys]
    return numpy.random.default_rng(numpy.random.SeedSequence(entropy))


def _as_pairs(x: Sequence[float], y: Sequence[float]) -> Tuple[numpy.ndarray, numpy.ndarray]:
    x_array = numpy.asarray(x, dtype=float)
    y_array = numpy.asarray(y, dtype=float)
    if x_array.shape != y_array.shape or x_array.ndim != 1:
        raise ValueError(
            f"x and y must be 1-d and of one length, got {x_array.shape}, {y_array.shape}"
        )
    if not (numpy.isfinite(x_array).all() and numpy.isfinite(y_array).all()):
        raise ValueError("x and y must be finite (drop the missing values first)")
    return x_array, y_array


def _pearson_along(x: numpy.ndarray, y: numpy.ndarray, axis: int = -1) -> numpy.ndarray:
    """Pearson's r between each slice of `x` along `axis` and `y` (NaN where a slice is constant)."""
    x_centred = x - x.mean(axis=axis, keepdims=True)
    y_centred = y - y.mean(axis=axis, keepdims=True)
    numerator = (x_centred * y_centred).sum(axis=axis)
    denominator = numpy.sqrt((x_centred**2).sum(axis=axis) * (y_centred**2).sum(axis=axis))
    with numpy.errstate(invalid="ignore", divide="ignore"):
        r = numerator / denominator
    return numpy.where(denominator > 0, r, numpy.nan)


def _is_constant(values: numpy.ndarray) -> bool:
    return bool(numpy.ptp(values) == 0)


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho (average ranks for ties); NaN when x or y is constant or n < 3."""
    x_array, y_array = _as_pairs(x, y)
    if len(x_array) < 3 or _is_constant(x_array) or _is_constant(y_array):
        return math.nan
    return float(_pearson_along(stats.rankdata(x_array), stats.rankdata(y_array)))


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson's r; NaN when x or y is constant or n < 3."""
    x_array, y_array = _as_pairs(x, y)
    if len(x_array) < 3 or _is_constant(x_array) or _is_constant(y_array):
        return math.nan
    return float(_pearson_along(x_array, y_array))


def permutation_p_value(
    x: Sequence[float],
    y: Sequence[float],
    statistic: str = "spearman",
    n_resamples: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
) -> Tuple[float, bool]:
    """
    The two-sided permutation p-value of Spearman's rho (`statistic="spearman"`) or Pearson's r
    (`"pearson"`) under the null hypothesis that x and y are unrelated (every pairing equally
    likely), and whether it is exact (all n! pairings enumerated) rather than Monte Carlo.
    NaN when the statistic is undefined (n < 3 or a constant variable).
    """
    if statistic not in ("spearman", "pearson"):
        raise ValueError(f"statistic must be spearman or pearson, got {statistic!r}")
    x_array, y_array = _as_pairs(x, y)
    n = len(x_array)
    if n < 3 or _is_constant(x_array) or _is_constant(y_array):
        return math.nan, False
    if statistic == "spearman":
        x_array, y_array = stats.rankdata(x_array), stats.rankdata(y_array)

    def correlation(permuted: numpy.ndarray, axis: int) -> numpy.ndarray:
        return _pearson_along(permuted, y_array, axis=axis)

    result = stats.permutation_test(
        (x_array,),
        correlation,
        permutation_type="pairings",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="two-sided",
        random_state=numpy.random.default_rng(seed),
    )
    return float(result.pvalue), math.factorial(n) <= n_resamples


def fisher_z_interval(
    x: Sequence[float], y: Sequence[float], confidence: float = CONFIDENCE
) -> Tuple[float, float]:
    """The Fisher-z confidence interval of Pearson's r (NaN for n < 4 or a constant variable)."""
    x_array, y_array = _as_pairs(x, y)
    if len(x_array) < 4 or _is_constant(x_array) or _is_constant(y_array):
        return math.nan, math.nan
    interval = stats.pearsonr(x_array, y_array).confidence_interval(confidence_level=confidence)
    return float(interval.low), float(interval.high)


def t_half_width(values: Sequence[float], confidence: float = CONFIDENCE) -> float:
    """The half-width of Student's t interval of the mean of `values` (NaN for fewer than 2)."""
    if len(values) < 2:
        return math.nan
    spread = float(numpy.std(numpy.asarray(values, dtype=float), ddof=1))
    return (
        float(stats.t.ppf((1 + confidence) / 2, len(values) - 1)) * spread / math.sqrt(len(values))
    )


def percentile_interval(
    replicates: Sequence[float], confidence: float = CONFIDENCE
) -> Tuple[float, float]:
    """The percentile interval of bootstrap replicates (NaNs left out; NaN if fewer than 2 remain)."""
    values = numpy.asarray(replicates, dtype=float)
    values = values[numpy.isfinite(values)]
    if len(values) < 2:
        return math.nan, math.nan
    tail = 100 * (1 - confidence) / 2
    low, high = numpy.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def resample_indices(n_items: int, n_resamples: int, rng: numpy.random.Generator) -> numpy.ndarray:
    """`n_resamples` bootstrap samples of `range(n_items)` drawn with replacement, shape (B, n)."""
    return rng.integers(0, n_items, size=(n_resamples, n_items))


def resample_counts(n_items: int, n_resamples: int, rng: numpy.random.Generator) -> numpy.ndarray:
    """
    The same bootstrap samples as counts: row b says how often each item is drawn in sample b
    (shape (B, n), rows sum to n). A statistic that is a function of sums over the items (a
    mean, a ratio of sums, a micro F1) is then `counts @ values` per replicate.
    """
    counts = numpy.empty((n_resamples, n_items), dtype=numpy.int32)
    chunk = max(1, 2_000_000 // max(1, n_items))
    for start in range(0, n_resamples, chunk):
        indices = resample_indices(n_items, min(chunk, n_resamples - start), rng)
        rows = len(indices)
        flat = (numpy.arange(rows)[:, None] * n_items + indices).ravel()
        counts[start : start + rows] = numpy.bincount(flat, minlength=rows * n_items).reshape(
            rows, n_items
        )
    return counts


def bootstrap_spearman_interval(
    x: Sequence[float],
    y: Sequence[float],
    n_resamples: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> Tuple[float, float]:
    """
    Percentile bootstrap interval of Spearman's rho over the (x, y) pairs; resamples in which x
    or y is constant (rho undefined) are left out.
    """
    x_array, y_array = _as_pairs(x, y)
    if len(x_array) < 3 or _is_constant(x_array) or _is_constant(y_array):
        return math.nan, math.nan
    indices = resample_indices(len(x_array), n_resamples, numpy.random.default_rng(seed))
    x_ranks = stats.rankdata(x_array[indices], axis=1)
    y_ranks = stats.rankdata(y_array[indices], axis=1)
    return percentile_interval(_pearson_along(x_ranks, y_ranks, axis=1), confidence)


def holm(p_values: Sequence[Optional[float]]) -> List[float]:
    """
    Holm's step-down adjusted p-values, in the order given: the i-th smallest of m p-values
    becomes max over j <= i of min(1, (m - j + 1) p_(j)). NaN (or None) p-values are not
    tests: they stay NaN and do not count in m.
    """
    values = numpy.array([math.nan if p is None else float(p) for p in p_values], dtype=float)
    adjusted = numpy.full(len(values), math.nan)
    valid = numpy.flatnonzero(numpy.isfinite(values))
    m = len(valid)
    if m == 0:
        return adjusted.tolist()
    order = valid[numpy.argsort(values[valid], kind="stable")]
    scaled = numpy.minimum(1.0, (m - numpy.arange(m)) * values[order])
    adjusted[order] = numpy.maximum.accumulate(scaled)
    return adjusted.tolist()


@dataclass(frozen=True)
class Correlation:
    """Both correlations of one x-y relation, their p-values and intervals (NaN where undefined)."""

    n: int
    spearman: float
    pearson: float
    p_spearman: float
    """Two-sided permutation p-value of Spearman's rho."""
    p_pearson: float
    """Two-sided permutation p-value of Pearson's r."""
    exact: bool
    """Whether the p-values enumerate every pairing (else Monte Carlo)."""
    spearman_ci: Tuple[float, float]
    """Percentile bootstrap interval over the (x, y) pairs."""
    pearson_ci: Tuple[float, float]
    """Fisher-z interval."""
    note: str = ""


def correlate(
    x: Sequence[float],
    y: Sequence[float],
    seed: int = 0,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    n_bootstrap: int = DEFAULT_BOOTSTRAP,
    confidence: float = CONFIDENCE,
) -> Correlation:
    """Spearman and Pearson of `x` and `y` with permutation p-values and intervals (see the module)."""
    x_array, y_array = _as_pairs(x, y)
    n = len(x_array)
    nan_pair = (math.nan, math.nan)
    if n < 3:
        note = f"n = {n}: a correlation needs at least 3 points"
        return Correlation(
            n, math.nan, math.nan, math.nan, math.nan, False, nan_pair, nan_pair, note
        )
    constant = [name for name, values in (("x", x_array), ("y", y_array)) if _is_constant(values)]
    if constant:
        note = f"{' and '.join(constant)} constant: correlation undefined"
        return Correlation(
            n, math.nan, math.nan, math.nan, math.nan, False, nan_pair, nan_pair, note
        )
    p_spearman, exact = permutation_p_value(x_array, y_array, "spearman", n_permutations, seed)
    p_pearson, _ = permutation_p_value(x_array, y_array, "pearson", n_permutations, seed)
    return Correlation(
        n=n,
        spearman=spearman(x_array, y_array),
        pearson=pearson(x_array, y_array),
        p_spearman=p_spearman,
        p_pearson=p_pearson,
        exact=exact,
        spearman_ci=bootstrap_spearman_interval(x_array, y_array, n_bootstrap, seed, confidence),
        pearson_ci=fisher_z_interval(x_array, y_array, confidence),
    )
