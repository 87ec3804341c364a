import itertools
import math

import numpy
import pytest
from scipy import stats

from allennlp_robust_xlt.analysis.significance import (
    critical_pearson,
    critical_spearman,
    critical_spearman_exact,
    spearman_null_counts,
    table,
)


@pytest.mark.parametrize("n", [3, 5, 7])
def test_exact_counts_equal_enumeration(n: int):
    counts = spearman_null_counts(n)
    expected = numpy.zeros_like(counts)
    for permutation in itertools.permutations(range(n)):
        expected[sum((i - j) ** 2 for i, j in enumerate(permutation))] += 1
    assert (counts == expected).all() and counts.sum() == math.factorial(n)


def test_exact_critical_rho_against_enumerated_p_values():
    n = 7
    rho, p = critical_spearman_exact(n, 0.05)
    ranks = list(itertools.permutations(range(n)))
    values = [stats.spearmanr(range(n), r)[0] for r in ranks]
    share = lambda r: sum(abs(v) >= r - 1e-9 for v in values) / len(values)  # noqa: E731
    assert share(rho) == pytest.approx(p) and p <= 0.05
    below = max(abs(v) for v in values if abs(v) < rho - 1e-9)
    assert share(below) > 0.05  # the next smaller |rho| is not significant


@pytest.mark.parametrize("n", [14, 48, 200])
def test_pearsons_critical_r_has_p_alpha(n: int):
    r = critical_pearson(n, 0.05)
    x = numpy.linspace(-1, 1, n)
    # pearsonr's p of a sample with correlation exactly r.
    noise = numpy.random.default_rng(0).normal(size=n)
    noise -= noise.mean() + numpy.polyfit(x, noise, 1)[0] * (x - x.mean())
    y = r * x / x.std() + math.sqrt(1 - r * r) * noise / noise.std()
    assert stats.pearsonr(x, y)[0] == pytest.approx(r)
    assert stats.pearsonr(x, y)[1] == pytest.approx(0.05, rel=1e-6)


def test_what_n_buys():
    assert round(critical_pearson(14), 3) == 0.532
    assert round(critical_spearman(14), 3) == 0.538  # exact (S is always even)
    assert round(critical_spearman(48), 3) == round(critical_pearson(48), 3) == 0.285
    assert round(critical_pearson(200), 3) == 0.139
    assert critical_spearman(14, 0.01) > critical_spearman(14, 0.05)
    assert table([14])[2].startswith("| 14 | 0.532 | 0.538 |")
