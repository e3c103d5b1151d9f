"""Which engine runs the relational core: DuckDB, which read and checked the files, or Spark from the cache."""

from __future__ import annotations

from dataclasses import replace

from attrition.core.scope import as_of_day
from attrition.core.tables import (
    events_table,
    lasting_table,
    spell_ends_table,
    spells_table,
)
from attrition.io import cache
from attrition.io.dataset import Dataset, configured_engine, store_in_cache
from attrition.schema import TABLES


def cached_tables(ds: Dataset) -> list[str]:
    """The derived tables worth keeping in the cache: the events and the spells' ends, from which spells as of any
    day are made, and the spells and lasting departures as of the freeze date (milestones are cheaper to
    resolve again than to read)."""
    cutoff = as_of_day(ds, None)
    return [events_table(ds), spell_ends_table(ds), spells_table(ds, cutoff), lasting_table(ds, cutoff)]


def on_engine(ds: Dataset, name: str | None = None) -> Dataset:
    """The dataset with its relational core run by engine `name` (default: dataset.toml's [engine], else DuckDB).

    DuckDB has read and checked the files either way. For Spark, the checked tables are first kept in
    the cache as `attrition build` keeps them; Spark then reads the canonical tables from that Parquet
    and computes every derived table itself, so nothing DuckDB derived reaches its results.
    """
    name = name or configured_engine(ds.config)
    if name == ds.engine.dialect:
        return ds
    from attrition.backends.spark import SparkEngine

    engine = SparkEngine()
    store_in_cache(ds, cached_tables(ds))
    for table in TABLES:
        engine.load_parquet(table, cache.table_file(ds.fingerprint, table))
    return replace(ds, engine=engine, derived={})
