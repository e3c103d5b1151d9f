"""attrition: sourced facts about founding teams and early hires, and what they say about press claims.

Typical use::

    from attrition import load, spells
    from attrition.measures import metrics
    ds = load()                      # the repository's data/, checked
    spells(ds)                       # one row per person and spell, as of the freeze date
    metrics.departed_share(ds, "xai", "founder", as_of="2026-02-11").text

Names are imported on first use, so `attrition --help` and light commands start quickly.
"""

from importlib import import_module

_EXPORTS = {"DataError": "schema", "Dataset": "io.dataset", "load": "core.engines", "conflicts": "core.roster",
            "events": "core.roster", "headcount": "core.roster", "hires": "core.roster", "milestones": "core.roster",
            "spells": "core.roster"}
__all__ = sorted(_EXPORTS)
__version__ = "0.2.0"


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"attrition.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'attrition' has no attribute {name!r}")
