"""attrition: sourced facts about founding teams and early hires, and what they say about press claims.

Typical use::

    from attrition import load, spells, metrics
    ds = load()                      # the repository's data/, checked
    spells(ds)                       # one row per person and spell, as of the freeze date
    metrics.departed_share(ds, "xai", "founder", as_of="2026-02-11").text
"""

from attrition.dataset import DataError, Dataset, load
from attrition.resolve import conflicts, events
from attrition.tables import headcount, hires, spells

__all__ = ["DataError", "Dataset", "conflicts", "events", "headcount", "hires", "load", "spells"]
__version__ = "0.1.0"
