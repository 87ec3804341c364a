"""
What n buys: the smallest correlation that a two-sided test at level alpha can call significant
among n languages (docs/languages-beyond-xtreme.md, "Typology at n").

- `critical_pearson(n, alpha)`: Pearson's r, exact for bivariate normal data: under the null,
  t = r sqrt((n - 2) / (1 - r^2)) follows Student's t with n - 2 degrees of freedom, so the
  critical r is t_c / sqrt(n - 2 + t_c^2), t_c the two-sided quantile.
- `critical_spearman_exact(n, alpha)`: Spearman's rho, exact, from its permutation
  distribution (every ranking of n items equally likely, no ties): the number of permutations
  with each sum of squared rank differences S, counted by dynamic programming over the set of
  ranks used (2^n states; n <= 16), rho = 1 - 6 S / (n (n^2 - 1)). The critical rho is the
  smallest |rho| whose two-sided p (the share of permutations at least as extreme) is <= alpha.
- `critical_spearman(n, alpha)`: the exact value up to n = 16, else the t approximation (the
  same formula as Pearson's, which `scipy.stats.spearmanr` uses for its p-value).

`python -m allennlp_robust_xlt.analysis.significance 14 48 200` prints the table.
"""

import sys
from typing import List, Sequence, Tuple

import numpy
from scipy import stats

EXACT_SPEARMAN_MAX_N = 16


def critical_pearson(n: int, alpha: float = 0.05) -> float:
    """The smallest |r| significant at `alpha` (two-sided) among n pairs (normal data)."""
    if n < 3:
        raise ValueError(f"n must be at least 3, got {n}")
    t = float(stats.t.ppf(1 - alpha / 2, n - 2))
    return t / float(numpy.sqrt(n - 2 + t * t))


def spearman_null_counts(n: int) -> numpy.ndarray:
    """Number of permutations of n ranks by S = sum of squared rank differences (index S)."""
    if not 1 <= n <= EXACT_SPEARMAN_MAX_N:
        raise ValueError(f"exact counts need 1 <= n <= {EXACT_SPEARMAN_MAX_N}, got {n}")
    size = n * (n * n - 1) // 3 + 1
    counts = {0: numpy.zeros(size, dtype=numpy.int64)}
    counts[0][0] = 1
    current = counts[0]
    # Position `pos` takes rank j; masks in increasing order, so every mask is complete when read.
    for mask in range(1 << n):
        current = counts.pop(mask)
        pos = bin(mask).count("1")
        for rank in range(n):
            if mask >> rank & 1:
                continue
            shift = (pos - rank) ** 2
            target = counts.setdefault(mask | 1 << rank, numpy.zeros(size, dtype=numpy.int64))
            if shift:
                target[shift:] += current[:-shift]
            else:
                target += current
    return current


def critical_spearman_exact(n: int, alpha: float = 0.05) -> Tuple[float, float]:
    """`(smallest significant |rho|, its exact two-sided p)` among n pairs without ties."""
    counts = spearman_null_counts(n)
    rho = 1 - 6 * numpy.arange(len(counts)) / (n * (n * n - 1))
    total = counts.sum()
    for value in numpy.unique(numpy.round(numpy.abs(rho[counts > 0]), 12)):
        p = counts[numpy.abs(rho) >= value - 1e-12].sum() / total
        if p <= alpha:
            return float(value), float(p)
    raise ValueError(f"no |rho| is significant at {alpha} with n = {n}")


def critical_spearman(n: int, alpha: float = 0.05) -> float:
    """Exact up to n = 16, else the t approximation."""
    if n <= EXACT_SPEARMAN_MAX_N:
        return critical_spearman_exact(n, alpha)[0]
    return critical_pearson(n, alpha)


def table(sizes: Sequence[int], alphas: Sequence[float] = (0.05, 0.01)) -> List[str]:
    """Markdown rows: n, then Pearson's and Spearman's critical values at each alpha."""
    header = ["n"] + [f"{name} at {alpha}" for alpha in alphas for name in ("r", "rho")]
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for n in sizes:
        cells = [str(n)]
        for alpha in alphas:
            cells += [f"{critical_pearson(n, alpha):.3f}", f"{critical_spearman(n, alpha):.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    print("\n".join(table([int(n) for n in sys.argv[1:]] or [14, 48, 200])))
