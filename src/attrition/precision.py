"""How precisely numbers leave the measures: rounded to DECIMALS places, so nothing shown depends on the
last bits that a CPU's vectorised log and exp (numpy's AVX-512 paths), a BLAS or a summation order leave.

Fits and tests compute in full double precision; their results are snapped here as they are returned
(survival curves, intervals, incidence, rates, p-values). 1e-9 is far below anything a page shows (at
most six significant digits, shares to a tenth of a percent) and far above the few units in the last
place (about 1e-16 for a share) by which two machines' answers differ. A value within a few units in the
last place of a rounding boundary could still round apart; tests perturb fitted values by such amounts
and require every shown output to stay identical.
"""

from __future__ import annotations

import sys
from typing import TypeVar

import numpy as np

DECIMALS = 9
"""Decimal places kept on every fitted value that leaves a measure."""
SIGNIFICANT = 9
"""Significant digits kept on p-values and test statistics, which can be far smaller than 1e-9."""

T = TypeVar("T")


def snap(value: T) -> T:
    """`value` rounded to DECIMALS places: a float, a numpy array, or a pandas Series or DataFrame (its float
    columns only). -0.0 becomes 0.0; NaN and infinities stay; integers, text and dates are untouched."""
    if isinstance(value, (float, np.floating)):
        return float(round(float(value), DECIMALS)) + 0.0
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind != "f" else np.round(value, DECIMALS) + 0.0
    pd = sys.modules.get("pandas")  # a pandas object means pandas is loaded; a float must not load it
    if pd is not None and isinstance(value, pd.DataFrame):
        out = value.copy()
        for column in out.columns:
            if pd.api.types.is_float_dtype(out[column].dtype):
                out[column] = snap(out[column].to_numpy())
        return out
    if pd is not None and isinstance(value, pd.Series) and pd.api.types.is_float_dtype(value.dtype):
        return pd.Series(snap(value.to_numpy()), index=value.index, name=value.name)
    return value


def snap_significant(value: float) -> float:
    """A p-value or test statistic rounded to SIGNIFICANT digits (so 1e-58 stays 1e-58, not 0)."""
    return float(f"{float(value):.{SIGNIFICANT}g}") + 0.0
