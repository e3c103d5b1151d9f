"""Which engine runs the relational core: DuckDB, which read and checked the files, or Spark from the cache."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from attrition.backends.duckdb import EngineUnavailable
from attrition.core.scope import Scope
from attrition.core.tables import (
    events_table,
    lasting_table,
    sightings_table,
    spell_ends_table,
    spells_table,
)
from attrition.io import cache
from attrition.io.dataset import Dataset, configured_engine, store_in_cache
from attrition.schema import TABLES


def cached_tables(ds: Dataset) -> list[str]:
    """The derived tables worth keeping in the cache: the events, the spells' ends and last sightings, from which
    spells as of any day are made, and the spells and lasting departures as of the freeze date (milestones are
    cheaper to resolve again than to read)."""
    freeze = Scope.at_freeze(ds)
    return [events_table(ds), spell_ends_table(ds), sightings_table(ds), spells_table(ds, freeze),
            lasting_table(ds, freeze)]


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
    try:
        store_in_cache(ds, cached_tables(ds))
    except OSError as err:
        raise EngineUnavailable(f"Spark reads the checked tables from the cache, which cannot be written: {err}") \
            from None
    for table in TABLES:
        engine.load_parquet(table, cache.table_file(ds.fingerprint, table))
    return replace(ds, engine=engine, derived={}, origin=None)


def load(data_dir: Path | str | None = None, known_as_of: date | str | None = None) -> Dataset:
    """The checked dataset in `data_dir` (default: the repository's data/), as it was known on `known_as_of` when
    given (attrition.io.dataset.known_as_of), its relational core on the engine its dataset.toml names ([engine]
    name; DuckDB unless it says otherwise), as every command runs it."""
    from attrition.io.dataset import load as read

    return on_engine(read(data_dir, known_as_of))
