"""Founding teams as sources define them: companies.csv's team_variants ("A: ...; B: ...") beside the team the
dataset itself counts as founders (its rule), and the share of one definition that had left.

The definitions are read here, once: `peers.team_variant_table` (every lab's, for the pages) and `variant_share`
(one, for the claims) both split companies.csv's text with these patterns.
"""

from __future__ import annotations

import re
from datetime import date

from attrition.core import departures, lookups
from attrition.core.scope import Scope
from attrition.io.dataset import Dataset
from attrition.result import MetricError, MetricResult

RULE = "rule"
"""The variant that is the dataset's own founding team (cohort `founder`)."""
RULE_DEFINITION = "the team this dataset counts as founders (its rule)"
SEPARATOR = r";\s*(?=[A-Z]: )"
"""Between two definitions of companies.csv's team_variants: a semicolon before the next "X: "."""
LISTED = r"[A-Z]: "
"""How a definition starts: its letter, a colon and a space."""


def definitions(text: str | None) -> dict[str, str]:
    """A company's founding-team definitions by variant, the rule first; none when companies.csv lists none."""
    listed: dict[str, str] = {}
    for part in (p.strip() for p in re.split(SEPARATOR, text or "")):
        if re.match(LISTED, part):
            listed.setdefault(part[0], part[3:])
    return {RULE: RULE_DEFINITION, **listed} if listed else {}


def variant_share(ds: Dataset, company: str, variant: str, as_of: date | str | None = None) -> MetricResult:
    """The share of one founding-team definition (companies.csv team_variants; `rule` is the dataset's own
    team) that had left by `as_of`, by the rule departed_share uses (`peers.team_variant_table`)."""
    scope = Scope.of(ds, company, as_of=as_of)
    day = scope.date
    known = definitions(lookups.team_variants(ds, company))
    if variant not in known:
        raise MetricError(f"{company} has no founding-team variant {variant!r} in companies.csv")
    num_lo, num_hi, den_lo, den_hi, share_lo, share_hi = departures.variant_departed(
        ds, scope, None if variant == RULE else variant)
    if den_hi == 0:
        return MetricResult(metric="variant_share", company=company, cohort="founder", as_of=day.isoformat(), lo=None,
                            hi=None, unit="share", text=f"variant {variant} of {company} names no one: no share")
    lo, hi = float(share_lo), float(share_hi)
    span = f"{lo:.0%}" if lo == hi else f"{lo:.0%} to {hi:.0%}"
    return MetricResult(metric="variant_share", company=company, cohort="founder", as_of=day.isoformat(), lo=lo, hi=hi,
                        unit="share", text=f"{span} of {ds.company_names[company]}'s founding team ({variant}) had left "
                                           f"as of {day}",
                        numerator={"lo": int(num_lo), "hi": int(num_hi)},
                        denominator={"lo": int(den_lo), "hi": int(den_hi)},
                        details={"variant": variant, "definition": known[variant]})
