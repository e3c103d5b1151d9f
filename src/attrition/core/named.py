"""A named query with its output columns declared: what the core hands the measures and claims instead of SQL.

`attrition.core.lookups` (records by key) and `attrition.core.departures` (departures counted) declare their
queries this way; tests/test_core_relations.py runs each on the shipped data and holds the columns the engine
gives to the declared ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from attrition.io.dataset import Dataset


@dataclass(frozen=True)
class Relation:
    """A named query: SQL with `?` for the values asked about and `{slots}` for the derived tables it reads (their
    names depend on the dataset and the day), and the columns it gives, in order."""

    name: str
    columns: tuple[str, ...]
    template: str

    def sql(self, **slots: object) -> str:
        """The query, its slots filled (the tables it reads, a scope's clause, a day number...)."""
        return self.template.format(**slots)

    def rows(self, ds: Dataset, params: Sequence[object] = (), **slots: object) -> list[tuple]:
        return ds.engine.rows(self.sql(**slots), list(params))

    def frame(self, ds: Dataset, params: Sequence[object] = (), **slots: object):
        """The rows as a pandas frame (for measures that go on in pandas)."""
        return ds.engine.frame(self.sql(**slots), list(params))


def first(rows: list[tuple]) -> tuple | None:
    """The first row, or None when there is none."""
    return rows[0] if rows else None
