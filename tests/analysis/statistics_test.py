"""The statistics against independent computations (scipy, enumeration, textbook formulas)."""

import itertools
import math

import numpy
import pytest
from scipy import stats

from allennlp_robust_xlt.analysis import statistics


def sample(n: int, seed: int, ties: bool = False):
    rng = numpy.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 0.6 * x + rng.normal(size=n)
    if ties:
        x = numpy.round(x, 0)
    return x, y


@pytest.mark.parametrize("ties", [False, True])
def test_correlations_equal_scipy(ties: bool):
    x, y = sample(15, 3, ties)
    assert statistics.spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert statistics.pearson(x, y) == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)


def enumerated_p_value(x, y, correlation) -> float:
    """Two-sided p over all n! pairings, counted by hand: 2 min(P(T >= t), P(T <= t)), at most 1."""
    observed = correlation(x, y)
    values = numpy.array([correlation(numpy.array(p), y) for p in itertools.permutations(x)])
    tolerance = 1e-12
    greater = numpy.mean(values >= observed - tolerance)
    less = numpy.mean(values <= observed + tolerance)
    return min(1.0, 2 * min(greater, less))


@pytest.mark.parametrize("statistic", ["spearman", "pearson"])
def test_exact_permutation_p_value_equals_enumeration(statistic: str):
    x, y = sample(6, 5)
    correlation = {
        "spearman": lambda a, b: stats.spearmanr(a, b).statistic,
        "pearson": lambda a, b: stats.pearsonr(a, b).statistic,
    }[statistic]
    p, exact = statistics.permutation_p_value(x, y, statistic, seed=0)
    assert exact
    assert p == pytest.approx(enumerated_p_value(x, y, correlation), abs=1e-12)
    # Exact: the seed does not matter.
    assert statistics.permutation_p_value(x, y, statistic, seed=7)[0] == p


def test_monte_carlo_permutation_p_value_is_seeded_and_agrees_with_scipy():
    x, y = sample(14, 11)
    p, exact = statistics.permutation_p_value(x, y, "spearman", seed=1)
    assert not exact
    assert statistics.permutation_p_value(x, y, "spearman", seed=1)[0] == p
    reference = stats.pearsonr(
        stats.rankdata(x),
        stats.rankdata(y),
        method=stats.PermutationMethod(n_resamples=9999, random_state=123),
    ).pvalue
    assert p == pytest.approx(reference, abs=0.015)
    # ... and with the t approximation, which is close at this n.
    assert p == pytest.approx(stats.spearmanr(x, y).pvalue, abs=0.03)


def test_holm_by_hand():
    # m = 4 tests (None is no test): 0.01*4, 0.03*3, max(0.04*2, 0.09), max(0.5*1, 0.09)
    assert statistics.holm([0.01, 0.04, None, 0.03, 0.5]) == pytest.approx(
        [0.04, 0.09, math.nan, 0.09, 0.5], nan_ok=True
    )
    assert statistics.holm([0.3, 0.6]) == pytest.approx([0.6, 0.6])
    assert statistics.holm([]) == []


def test_holm_against_its_definition():
    rng = numpy.random.default_rng(0)
    p = rng.uniform(0, 0.2, size=9)
    m = len(p)
    order = numpy.argsort(p)
    expected = numpy.empty(m)
    for rank, index in enumerate(order):
        expected[index] = max(min(1.0, (m - j) * p[order[j]]) for j in range(rank + 1))
    assert statistics.holm(p.tolist()) == pytest.approx(expected.tolist())


def test_fisher_z_interval_by_formula():
    x, y = sample(15, 2)
    r = stats.pearsonr(x, y).statistic
    z, half = math.atanh(r), stats.norm.ppf(0.975) / math.sqrt(15 - 3)
    low, high = statistics.fisher_z_interval(x, y)
    assert (low, high) == pytest.approx((math.tanh(z - half), math.tanh(z + half)), abs=1e-9)


def test_resample_counts_are_the_resampled_indices():
    n, b = 7, 50
    counts = statistics.resample_counts(n, b, statistics.rng_for(4, "de"))
    indices = statistics.resample_indices(n, b, statistics.rng_for(4, "de"))
    assert counts.shape == (b, n) and (counts.sum(axis=1) == n).all()
    assert (counts == numpy.array([numpy.bincount(row, minlength=n) for row in indices])).all()


def test_rng_depends_on_seed_and_keys_only():
    first = statistics.rng_for(0, "de").integers(0, 1000, 5)
    assert (statistics.rng_for(0, "de").integers(0, 1000, 5) == first).all()
    assert not (statistics.rng_for(0, "fr").integers(0, 1000, 5) == first).all()
    assert not (statistics.rng_for(1, "de").integers(0, 1000, 5) == first).all()


def test_percentile_bootstrap_of_a_mean_agrees_with_scipy():
    values = numpy.random.default_rng(8).normal(0.3, 1.0, size=40)
    counts = statistics.resample_counts(len(values), 20000, statistics.rng_for(0))
    ours = statistics.percentile_interval(counts @ values / len(values))
    theirs = stats.bootstrap(
        (values,), numpy.mean, method="percentile", n_resamples=20000, random_state=1
    ).confidence_interval
    assert ours == pytest.approx((theirs.low, theirs.high), abs=0.03)
    assert statistics.percentile_interval([1.0, math.nan]) == pytest.approx(
        (math.nan, math.nan), nan_ok=True
    )


def test_bootstrap_spearman_interval_agrees_with_scipy():
    x, y = sample(15, 9)
    ours = statistics.bootstrap_spearman_interval(x, y, n_resamples=5000, seed=0)
    theirs = stats.bootstrap(
        (x, y),
        lambda a, b: stats.spearmanr(a, b).statistic,
        paired=True,
        vectorized=False,
        method="percentile",
        n_resamples=2000,
        random_state=0,
    ).confidence_interval
    assert ours == pytest.approx((theirs.low, theirs.high), abs=0.06)
    assert ours[0] < stats.spearmanr(x, y).statistic < ours[1]


def test_correlate_is_deterministic_and_says_when_undefined():
    x, y = sample(14, 1)
    first = statistics.correlate(x, y, seed=3)
    assert statistics.correlate(x, y, seed=3) == first
    assert first.n == 14 and not first.note
    assert first.spearman_ci[0] < first.spearman < first.spearman_ci[1]
    assert first.pearson_ci[0] < first.pearson < first.pearson_ci[1]
    constant = statistics.correlate(x, numpy.full(14, 0.5))
    assert math.isnan(constant.spearman) and math.isnan(constant.p_spearman)
    assert constant.note == "y constant: correlation undefined"
    assert statistics.correlate([1.0, 2.0], [2.0, 1.0]).note.startswith("n = 2")
    with pytest.raises(ValueError):
        statistics.correlate([1.0, math.nan, 2.0], [1.0, 2.0, 3.0])


def test_t_half_width_is_students_interval_of_the_mean():
    values = [1.0, 3.0]  # sd sqrt(2), n 2: t(0.975, 1) = 12.706
    assert statistics.t_half_width(values) == pytest.approx(12.7062047, rel=1e-6)
    values = [0.2, 0.5, 0.4, 0.9]
    expected = stats.t.ppf(0.975, 3) * numpy.std(values, ddof=1) / 2
    assert statistics.t_half_width(values) == pytest.approx(expected)
    assert statistics.t_half_width(values, confidence=0.9) < expected
    assert math.isnan(statistics.t_half_width([0.3]))
