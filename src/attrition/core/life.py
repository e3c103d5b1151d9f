"""What a survival fit needs, as columns of numbers: life tables, interval bounds and who a fit follows.

The engine aggregates; only counts per group and duration come back, as numpy arrays, with no pandas in between
(a third of a small command's time). A label column (company, cohort, group, reading) comes back as each row's
position in its sorted values (`Life.labels`), so a million rows carry whole numbers, not strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attrition.core import relations
from attrition.core.scope import Scope
from attrition.core.tables import lasting_table, people_where
from attrition.io.dataset import Dataset

READINGS = sorted(relations.READINGS)
"""The readings of the dates in code order: a life table's `reading` column holds positions in this list."""
CODE = {reading: code for code, reading in enumerate(READINGS)}
"""Each reading's code in a life table's `reading` column."""


@dataclass(frozen=True)
class Life:
    """A query's result as columns (numpy arrays), with the values each label column's codes stand for."""

    columns: dict[str, np.ndarray]
    labels: dict[str, list[str]]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def group(self, by: tuple[str, ...]) -> np.ndarray:
        """One whole number per row for its combination of the label columns `by`, in their sorted order."""
        code = np.zeros(len(self), dtype=np.int64)
        for column in by:
            code = code * len(self.labels[column]) + self.columns[column]
        return code


def life_table(ds: Dataset, scope: Scope, by: tuple[str, ...] = ("company",)) -> Life:
    """Departures (`events`), censorings and entries into the risk set (`entered`) per group, reading and
    duration in `days`, sorted by them: what a fit needs.

    `by` names the label columns that make the groups (company, cohort, group); the scope's `group` selects one.
    """
    where, params = scope.where()
    columns = ", ".join(f'"{c}"' for c in by)
    sql = relations.life_table(relations.readings(lasting_table(ds, scope), scope.day, columns, where, scope.origin,
                                                  censoring=scope.censoring), columns)
    labels = {column: labels_of(ds, column) for column in (*by, "reading")}
    codes, code_params = _codes(ds, labels)
    table = ds.engine.arrays(
        f"SELECT {codes}, days_2, CAST(events AS BIGINT) AS events, CAST(censored AS BIGINT) AS censored, "
        f"CAST(entered AS BIGINT) AS entered FROM ({sql}) AS life ORDER BY {columns}, reading, days_2",
        code_params + params * 3)
    table["days"] = table.pop("days_2") / 2
    return _coded(table, labels)


def interval_bounds(ds: Dataset, scope: Scope, by: tuple[str, ...] = ("company",)) -> Life:
    """Unique [lower, upper] tenure bounds per group of `by`, with their counts `n` (upper = inf while someone may
    still be there), sorted by group and bounds."""
    where, params = scope.where()
    columns = ", ".join(f'"{c}"' for c in by)
    bounds = relations.interval_bounds(lasting_table(ds, scope), scope.day, columns, where, scope.censoring)
    labels = {column: labels_of(ds, column) for column in by}
    codes, code_params = _codes(ds, labels)
    table = ds.engine.arrays(
        f"SELECT {codes}, CAST(lower AS DOUBLE) AS lower, "
        f"coalesce(CAST(upper AS DOUBLE), CAST('Infinity' AS DOUBLE)) AS upper, CAST(n AS BIGINT) AS n "
        f"FROM ({relations.interval_table(bounds, columns)}) AS b ORDER BY {columns}, lower, upper",
        code_params + params)
    return _coded(table, labels)


def _codes(ds: Dataset, labels: dict[str, list[str]]) -> tuple[str, list]:
    """The select expressions giving each label column as codes into its values (`Engine.code`), and their
    parameters, which come first in the query."""
    coded = [ds.engine.code(column, values) for column, values in labels.items()]
    return ", ".join(expression for expression, _ in coded), [value for _, values in coded for value in values]


def _coded(table: dict[str, np.ndarray], labels: dict[str, list[str]]) -> Life:
    """The result with each label column's codes as 64-bit whole numbers, whichever type the engine gave them."""
    return Life({name: values.astype(np.int64) if name in labels else values for name, values in table.items()}, labels)


def labels_of(ds: Dataset, column: str) -> list[str]:
    """The values of a label column (company, cohort, group, reading) in sort order, made once per dataset."""
    if column == "reading":
        return READINGS
    if ("labels", column) not in ds.derived:
        spells = ' UNION SELECT DISTINCT "group" FROM evidence' if column == "group" else ""  # groups belong to spells
        ds.derived[("labels", column)] = [v for (v,) in ds.engine.rows(
            f'SELECT * FROM (SELECT DISTINCT "{column}" FROM people{spells}) AS labels ORDER BY 1')]
    return ds.derived[("labels", column)]


def followed(ds: Dataset, scope: Scope) -> dict[str, list[str]]:
    """The people a fit of the scope follows (`counted`, sorted ids) and those who left by the midpoint reading
    (`left`), listed by the engine: the fits report who they rest on without a row per person."""
    where, params = scope.where()
    sql = relations.readings(lasting_table(ds, scope), scope.day, "person_id", where, scope.origin, ("midpoint",),
                             scope.censoring)
    return people_where(ds, f"({sql}) AS r", "", params, {"counted": "true", "left": "left_flag = 1"})
