"""Exact inference for counts of rare events (departures, hires) over a stretch of time.

Built on scipy.special (incomplete gamma and beta functions), which imports in a fraction of the
time scipy.stats takes; tests hold every result equal to scipy.stats' own chi2 and binomtest, to the
decimals every result is snapped to (attrition.precision).
"""

from __future__ import annotations

import math

from attrition.precision import snap, snap_significant
from attrition.result import MetricError


def poisson_ci(k, alpha: float = 0.05):
    """Exact (Garwood) confidence interval for a Poisson count k: chi2 quantiles, as gamma quantiles.

    `k` is one count (giving two floats) or an array of counts (giving two arrays), so a chart's
    whole series of counts gets its intervals in one call.
    """
    import numpy as np
    from scipy.special import gammaincinv

    counts = np.asarray(k, dtype=float)
    lo = np.where(counts > 0, gammaincinv(np.maximum(counts, 1), alpha / 2), 0.0)
    hi = gammaincinv(counts + 1, 1 - alpha / 2)
    return (snap(float(lo)), snap(float(hi))) if counts.ndim == 0 else (snap(lo), snap(hi))


def _binomial_p_value(k: int, n: int, p: float) -> float:
    """Two-sided exact binomial test, by scipy's rule: sum the outcomes no more likely than k."""
    from scipy.special import bdtr, bdtrc, gammaln

    def pmf(j: float) -> float:
        if j < 0 or j > n:
            return 0.0
        log = gammaln(n + 1) - gammaln(j + 1) - gammaln(n - j + 1)
        return math.exp(log + (j * math.log(p) if j else 0.0) + ((n - j) * math.log1p(-p) if n - j else 0.0))

    def search(f, d: float, lo: float, hi: float) -> float:
        while lo < hi:
            mid = lo + (hi - lo) // 2
            value = f(mid)
            if value < d:
                lo = mid + 1
            elif value > d:
                hi = mid - 1
            else:
                return mid
        return lo if f(lo) <= d else lo - 1

    def cdf(j: float) -> float:
        return 0.0 if j < 0 else 1.0 if j >= n else float(bdtr(j, n, p))

    def sf(j: float) -> float:
        return 1.0 if j < 0 else 0.0 if j >= n else float(bdtrc(j, n, p))

    d, rerr = pmf(k), 1 + 1e-7
    if k == p * n:
        return 1.0
    if k < p * n:
        ix = search(lambda j: -pmf(j), -d * rerr, math.ceil(p * n), n)
        y = n - ix + int(d * rerr == pmf(ix))
        value = cdf(k) + sf(n - y)
    else:
        y = search(pmf, d * rerr, 0, math.floor(p * n)) + 1
        value = cdf(y - 1) + sf(k - 1)
    return min(1.0, float(value))


def rate_ratio_test(k_a: int, exposure_a: float, k_b: int, exposure_b: float) -> dict[str, float]:
    """Compare two Poisson rates exactly: given k_a + k_b events, k_a is binomial under equal rates.

    Returns the ratio rate_a / rate_b, its exact 95% interval (Clopper-Pearson, mapped from the
    binomial proportion) and the two-sided p-value.
    """
    from scipy.special import betaincinv

    if exposure_a <= 0 or exposure_b <= 0:
        raise MetricError("both periods need time at risk to compare their rates")
    n = k_a + k_b
    ratio = (k_a / exposure_a) / (k_b / exposure_b) if k_b else float("inf")
    if n == 0:
        return {"rate_ratio": float("nan"), "p_value": 1.0, "ci_lower": 0.0, "ci_upper": float("inf"), "n": 0}
    share = exposure_a / (exposure_a + exposure_b)
    low = float(betaincinv(k_a, n - k_a + 1, 0.025)) if k_a > 0 else 0.0
    high = float(betaincinv(k_a + 1, n - k_a, 0.975)) if k_a < n else 1.0
    to_ratio = lambda q: (q / (1 - q)) * (exposure_b / exposure_a) if q < 1 else float("inf")
    return {"rate_ratio": snap(ratio), "p_value": snap_significant(_binomial_p_value(k_a, n, share)),
            "ci_lower": snap(to_ratio(low)), "ci_upper": snap(to_ratio(high)), "n": n}


def binomial_ci(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) confidence interval for a proportion k of n."""
    from scipy.special import betaincinv

    if n <= 0:
        raise MetricError("a share of no one has no interval")
    low = float(betaincinv(k, n - k + 1, alpha / 2)) if k > 0 else 0.0
    high = float(betaincinv(k + 1, n - k, 1 - alpha / 2)) if k < n else 1.0
    return snap(low), snap(high)
