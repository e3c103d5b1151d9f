"""How numbers and dates are written for readers, in one place so every output says them alike."""

from __future__ import annotations

import calendar
import math
from datetime import date


def range_text(lo: float, hi: float, fmt: str = "{:,.0f}") -> str:
    """'6' when both bounds agree, '5 to 6' when they do not; thousands separated ('2,229')."""
    return fmt.format(lo) if lo == hi else f"{fmt.format(lo)} to {fmt.format(hi)}"


def days_and_years(value: float | None) -> str:
    """A tenure: '944 days (2.6 years)', or 'not reached' when the median does not exist yet."""
    try:
        missing = value is None or math.isnan(value)
    except TypeError:  # pandas' NA, which is no float
        missing = True
    return "not reached" if missing else f"{value:,.0f} days ({value / 365.25:.1f} years)"


def format_interval(lo: date, hi: date) -> str:
    """A date interval as a reader says it: one day, one month, one year, or 'from to' (dates or pandas Timestamps)."""
    if lo == hi:
        return lo.strftime("%Y-%m-%d")
    if (lo.month, lo.day, hi.month, hi.day) == (1, 1, 12, 31) and lo.year == hi.year:
        return str(lo.year)
    if lo.day == 1 and (hi.year, hi.month, hi.day) == (lo.year, lo.month, calendar.monthrange(lo.year, lo.month)[1]):
        return lo.strftime("%b %Y")
    return f"{lo:%Y-%m-%d} to {hi:%Y-%m-%d}"


def p_value_text(p: float) -> str:
    """'p = 0.023', or 'p < 0.001' rather than a row of zeros."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def tenure_range(lo: float | None, hi: float | None) -> str:
    """Two tenures as a range ('944 days (2.6 years) to 1,000 days (2.7 years)'), one when they agree; 'not reached'
    once, not twice, when neither end exists."""
    low, high = days_and_years(lo), days_and_years(hi)
    return low if low == high else f"{low} to {high}"


PLURAL = {"founder": "founders", "hire": "hires", "executive": "executives", None: "people"}
END_WORDS = {"leave": "left", "step_back": "stepped back"}
REASON_WORDS = {"voluntary": "left of their own accord", "dismissed": "were dismissed", "retired": "retired",
                "death or health": "died or left for health reasons", "end of term": "reached the end of their term",
                "moved to another organisation": "moved to another organisation",
                "unknown": "left for a reason not recorded"}
"""What people who left for each standard reason category did, as a sentence says it."""


def count_words(n: int, word: str, plural: str | None = None) -> str:
    """'1 source', '2,229 sources' ('1 company', '2 companies' with `plural` given)."""
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def cohort_noun(cohort: str | None, lo: int, hi: int | None = None) -> str:
    """The cohort's noun for a count from `lo` to `hi` (just `lo` if None): 'founder' for exactly one, else
    'founders' ('1 founder departed', '1 to 2 founders', '0 founders')."""
    return (cohort or "person") if lo == 1 and (hi is None or hi == 1) else PLURAL[cohort]


def reason_words(reason: str) -> str:
    """'retired', 'left of their own accord'... or, for a roster's own category, 'left for the reason “other”'."""
    return REASON_WORDS.get(reason, f"left for the reason “{reason}”")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st..."""
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


MARKDOWN_SPECIAL = set("\\`*_[]!|~#")
"""Characters that make Markdown markup anywhere in a line (links, images, emphasis, code, tables)."""


def md(value: object) -> str:
    """Text from the data, safe inside Markdown: characters Markdown could act on are escaped and HTML's
    are written as entities, so a name like `[x](javascript:...)` or `![](http://...)` stays literal text."""
    out = []
    for i, ch in enumerate(str(value)):
        if ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == "&":
            out.append("&amp;")
        elif ch in MARKDOWN_SPECIAL or (i == 0 and ch in "-+"):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)



def possessive(name: str) -> str:
    """"xAI's", but "U.S. Courts of Appeals'" for a name ending in s."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def listing(items: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def did_you_mean(value: object, choices: list[str] | tuple[str, ...] | dict[str, str]) -> str:
    """' (did you mean tony-wu?)' for the nearest of `choices` to a mistyped `value` (case aside), or ''.

    `choices` may map other spellings (a display name, "xAI") to the value to suggest ("xai")."""
    import difflib

    spelled = choices if isinstance(choices, dict) else {c: c for c in choices}
    by_lower = {k.lower(): v for k, v in spelled.items()}
    text = str(value).lower()
    if text in by_lower:
        return f" (did you mean {by_lower[text]}?)"
    close = difflib.get_close_matches(text, list(by_lower), n=1, cutoff=0.6)
    if not close:
        close = [k for k in by_lower if text and (k.startswith(text) or text in k.split("-"))][:1]
    return f" (did you mean {by_lower[close[0]]}?)" if close else ""
