"""attrition: sourced facts about founding teams and early hires, and what they say about press claims.

Typical use::

    from attrition import load, spells, metrics
    ds = load()                      # the repository's data/, checked
    spells(ds)                       # one row per person and spell, as of the freeze date
    metrics.departed_share(ds, "xai", "founder", as_of="2026-02-11").text
"""

from attrition.dataset import Dataset, load
from attrition.roster import conflicts, events, headcount, hires, milestones, spells
from attrition.schema import DataError

__all__ = ["DataError", "Dataset", "conflicts", "events", "headcount", "hires", "load", "milestones", "spells"]
__version__ = "0.2.0"
