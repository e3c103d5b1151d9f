"""Calendar days and the engines' day numbers (days since 1970-01-01), converted in one place."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from attrition import schema
from attrition.schema import EPOCH


def calendar_date(value: date | str) -> date:
    """A date, a datetime (a pandas Timestamp is one) or ISO text as a calendar day; ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.fromisoformat(text).date()


def day_number(value: date | str) -> int:
    """Days since 1970-01-01, the engine's representation of a date, for any value `calendar_date` takes."""
    return schema.day_number(calendar_date(value))


def day_date(day: int) -> date:
    """A day number (days since 1970-01-01) as a calendar day."""
    return EPOCH + timedelta(days=day)


MOST_DAYS = 200 * 365.25
"""The longest tenure a question may name: 200 years (73,050 days)."""


def tenure_days(value: object) -> int | float | None:
    """`value` as a number of days from 0 to MOST_DAYS (a whole number as an int), or None when it is not one:
    the one rule for --days on the command line, in claims and from Python."""
    try:
        number = float(value) + 0.0  # + 0.0: -0.0 is 0
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or not 0 <= number <= MOST_DAYS:
        return None
    return int(number) if number.is_integer() else number
