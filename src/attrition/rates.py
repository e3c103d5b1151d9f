"""Exact inference for counts of rare events (departures, hires) over a stretch of time."""

from __future__ import annotations

from attrition.result import MetricError


def poisson_ci(k: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood) confidence interval for a Poisson count k."""
    from scipy.stats import chi2

    lo = chi2.ppf(alpha / 2, 2 * k) / 2 if k > 0 else 0.0
    hi = chi2.ppf(1 - alpha / 2, 2 * (k + 1)) / 2
    return float(lo), float(hi)


def rate_ratio_test(k_a: int, exposure_a: float, k_b: int, exposure_b: float) -> dict[str, float]:
    """Compare two Poisson rates exactly: given k_a + k_b events, k_a is binomial under equal rates.

    Returns the ratio rate_a / rate_b, its exact 95% interval and the two-sided p-value.
    """
    from scipy.stats import binomtest

    if exposure_a <= 0 or exposure_b <= 0:
        raise MetricError("both periods need time at risk to compare their rates")
    n = k_a + k_b
    ratio = (k_a / exposure_a) / (k_b / exposure_b) if k_b else float("inf")
    if n == 0:
        return {"rate_ratio": float("nan"), "p_value": 1.0, "ci_lower": 0.0, "ci_upper": float("inf"), "n": 0}
    test = binomtest(k_a, n, exposure_a / (exposure_a + exposure_b))
    ci = test.proportion_ci(confidence_level=0.95, method="exact")
    to_ratio = lambda p: (p / (1 - p)) * (exposure_b / exposure_a) if p < 1 else float("inf")
    return {"rate_ratio": ratio, "p_value": float(test.pvalue), "ci_lower": to_ratio(ci.low),
            "ci_upper": to_ratio(ci.high), "n": n}
