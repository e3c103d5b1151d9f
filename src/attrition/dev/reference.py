"""The yardstick `make bench` sets beside the tool: what a skilled user would write instead.

One DuckDB SQL script, straight from a dataset's CSV files, with no checks and nothing of this
package: sources resolved per person, company, spell and event (intersection, hull on conflict),
each spell's earliest end, spells as of the freeze day, the first lasting departure (the 180-day
rule); then three answers, for company co-0001 and for the founders of every company, with
lifelines fitting the Kaplan-Meier curves. `prepare` stops after keeping the resolved tables as
Parquet (what `validate` and `build` do, less the checks and the tidy CSV files); `answers` goes from
the CSV files to the answers in one process and prints them as JSON (what `validate`, `build` and
three `metric` commands do). A test holds the answers equal to the tool's.

    python -m attrition.dev.reference prepare DATA_DIR OUT_DIR
    python -m attrition.dev.reference answers DATA_DIR
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

INTERRUPTION_DAYS = 180
EPOCH = "DATE '1970-01-01'"
COMPANY = "co-0001"


def _freeze(data: Path) -> int:
    import datetime

    day = tomllib.loads((data / "dataset.toml").read_text())["dataset"]["freeze_date"]
    return (datetime.date.fromisoformat(str(day)) - datetime.date(1970, 1, 1)).days


def resolve(con, data: Path, freeze: int) -> None:
    """Tables `spells` (as of the freeze day) and `lasting` (one row per person and company) from the CSV files."""
    con.execute("SET enable_progress_bar = false")
    con.execute(f"""
        CREATE TEMP TABLE ev AS
        SELECT person_id, company, spell, event, CAST(earliest - {EPOCH} AS INTEGER) AS earliest,
               CAST(latest - {EPOCH} AS INTEGER) AS latest
        FROM read_csv('{data / 'evidence.csv'}', header = true, columns = {{'person_id': 'VARCHAR',
             'company': 'VARCHAR', 'spell': 'INTEGER', 'event': 'VARCHAR', 'earliest': 'DATE', 'latest': 'DATE',
             'source_id': 'VARCHAR', 'paraphrase': 'VARCHAR', 'note': 'VARCHAR'}});
        CREATE TEMP TABLE people AS SELECT person_id, company, cohort
        FROM read_csv('{data / 'people.csv'}', header = true, all_varchar = true);
        CREATE TEMP TABLE spells AS
        WITH r AS (SELECT person_id, company, spell, event,
                          CASE WHEN max(earliest) > min(latest) THEN min(earliest) ELSE max(earliest) END AS lo,
                          CASE WHEN max(earliest) > min(latest) THEN max(latest) ELSE min(latest) END AS hi
                   FROM ev WHERE event <> 'observed' GROUP BY ALL),
        ends AS (SELECT person_id, company, spell, lo AS end_lo, hi AS end_hi FROM r
                 WHERE event IN ('leave', 'step_back')
                 QUALIFY row_number() OVER (PARTITION BY person_id, company, spell ORDER BY lo, event) = 1)
        SELECT s.person_id, s.company, p.cohort, s.spell, s.lo AS start_lo, s.hi AS start_hi, e.end_lo, e.end_hi
        FROM r AS s JOIN people AS p USING (person_id, company) LEFT JOIN ends AS e USING (person_id, company, spell)
        WHERE s.event IN ('join', 'return') AND s.lo <= {freeze};
        CREATE TEMP TABLE lasting AS
        WITH m AS (SELECT *, end_lo IS NOT NULL AND (lead(start_lo) OVER w IS NULL
                                                     OR lead(start_lo) OVER w - end_hi > {INTERRUPTION_DAYS}) AS lasting
                   FROM spells WINDOW w AS (PARTITION BY person_id, company ORDER BY spell)),
        g AS (SELECT person_id, company, any_value(cohort) AS cohort,
                     max(CASE WHEN spell = 1 THEN start_lo END) AS start_lo,
                     max(CASE WHEN spell = 1 THEN start_hi END) AS start_hi,
                     min_by(end_lo, CASE WHEN lasting THEN spell END) AS end_lo,
                     min_by(end_hi, CASE WHEN lasting THEN spell END) AS end_hi,
                     max(start_hi) AS last_start FROM m GROUP BY person_id, company),
        seen AS (SELECT person_id, company, max(earliest) AS observed FROM ev WHERE event = 'observed' GROUP BY ALL)
        SELECT g.*, greatest(g.last_start, coalesce(seen.observed, g.last_start)) AS seen_until
        FROM g LEFT JOIN seen USING (person_id, company) WHERE g.start_hi <= {freeze}""")


def prepare(data: Path, out: Path) -> None:
    """CSV files -> the resolved tables, kept on disk as Parquet."""
    import duckdb

    con = duckdb.connect()
    resolve(con, data, _freeze(data))
    out.mkdir(parents=True, exist_ok=True)
    for table in ("spells", "lasting"):
        con.execute(f"COPY {table} TO '{out / (table + '.parquet')}' (FORMAT parquet)")


def _life_tables(con, freeze: int, where: str, by: str, censor: str) -> dict:
    """Per group and reading: the (days, events, censored) life table, from one GROUP BY."""
    left = {"midpoint": f"end_lo + end_hi <= {2 * freeze}", "shortest": f"end_lo <= {freeze}",
            "longest": f"end_hi <= {freeze}"}
    stop = {"midpoint": f"CASE WHEN {left['midpoint']} THEN end_lo + end_hi ELSE 2 * {censor} END",
            "shortest": f"2 * CASE WHEN {left['shortest']} THEN end_lo ELSE {censor} END",
            "longest": f"2 * CASE WHEN {left['longest']} THEN end_hi ELSE {censor} END"}
    start = {"midpoint": "start_lo + start_hi", "shortest": "2 * start_hi", "longest": "2 * start_lo"}
    readings = " UNION ALL ".join(
        f"SELECT {by} AS grp, '{r}' AS reading, coalesce({left[r]}, false) AS left_flag, "
        f"greatest({stop[r]} - ({start[r]}), 0) AS t FROM lasting WHERE {where}" for r in left)
    rows = con.execute(f"SELECT grp, reading, t / 2, count(*) FILTER (WHERE left_flag), "
                       f"count(*) FILTER (WHERE NOT left_flag) FROM ({readings}) GROUP BY ALL ORDER BY ALL").fetchall()
    tables: dict = {}
    for grp, reading, days, events, censored in rows:
        tables.setdefault((grp, reading), []).append((days, events, censored))
    return tables


def _fit(table: list):
    import numpy as np
    from lifelines import KaplanMeierFitter

    days, events, censored = (np.array(column, dtype=float) for column in zip(*table))
    durations = np.concatenate([days, days])
    flags = np.concatenate([np.ones(len(days)), np.zeros(len(days))])
    weights = np.concatenate([events, censored])
    keep = weights > 0
    return KaplanMeierFitter().fit(durations[keep], flags[keep], weights=weights[keep])


def _median(kmf) -> float | None:
    """The first time the curve drops to one half or below, read at nine decimals (as the tool reports its
    fits): 5/6 * 4/5 * 3/4 is one half, although its floating-point product is not."""
    survival = kmf.survival_function_.iloc[:, 0].round(9)
    below = survival[survival <= 0.5]
    return float(below.index[0]) if len(below) else None


def answers(data: Path) -> dict:
    """CSV files -> departed_share and median_tenure at co-0001, and the founders of every company compared."""
    import duckdb
    from lifelines.utils import median_survival_times

    freeze = _freeze(data)
    con = duckdb.connect()
    resolve(con, data, freeze)
    latest = f"""(SELECT * FROM spells WHERE company = '{COMPANY}'
                  QUALIFY spell = max(spell) OVER (PARTITION BY person_id)) AS latest"""
    num_lo, num_hi, den_lo, den_hi = con.execute(f"""
        SELECT count(*) FILTER (WHERE start_hi <= {freeze} AND end_hi <= {freeze}),
               count(*) FILTER (WHERE end_lo <= {freeze}), count(*) FILTER (WHERE start_hi <= {freeze}), count(*)
        FROM {latest}""").fetchone()
    result: dict = {"departed_share": {"num_lo": num_lo, "num_hi": num_hi, "den_lo": den_lo, "den_hi": den_hi}}
    observed = f"least({freeze}, seen_until)"
    fits = {key: _fit(t) for key, t in _life_tables(con, freeze, f"company = '{COMPANY}'", "company", observed).items()}
    mid = fits[(COMPANY, "midpoint")]
    ci = median_survival_times(mid.confidence_interval_)
    freeze_mid = _fit(_life_tables(con, freeze, f"company = '{COMPANY}'", "company", str(freeze))[(COMPANY, "midpoint")])
    n, left = con.execute(f"SELECT count(*), count(*) FILTER (WHERE end_lo + end_hi <= {2 * freeze}) FROM lasting "
                          f"WHERE company = '{COMPANY}'").fetchone()
    result["median_tenure"] = {
        "lo": _median(fits[(COMPANY, "shortest")]), "hi": _median(fits[(COMPANY, "longest")]),
        "midpoint": _median(mid), "ci": [float(v) if v != float("inf") else None for v in ci.iloc[0]],
        "followed_to_as_of": _median(freeze_mid), "n": n, "left": left}
    labs = {}
    founders = _life_tables(con, freeze, "cohort = 'founder'", "company", observed)
    for (company, reading), table in founders.items():
        kmf = _fit(table)
        lab = labs.setdefault(company, {"n": sum(e + c for _, e, c in table) if reading == "midpoint" else None})
        lab[f"median_{reading}"] = _median(kmf)
        if reading == "midpoint":
            lab["n"], lab["left"] = sum(e + c for _, e, c in table), sum(e for _, e, _ in table)
            for years in (1, 2, 3):
                day = years * 365.25
                lab[f"gone_{years}y"] = 1 - float(kmf.survival_function_at_times(day).iloc[0])
                band = kmf.confidence_interval_survival_function_
                row = band[band.index <= day].iloc[-1]
                lab[f"gone_{years}y_ci"] = [1 - float(row.iloc[1]), 1 - float(row.iloc[0])]
    result["compare_labs"] = labs
    return result


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "prepare":
        prepare(Path(argv[1]), Path(argv[2]))
    elif len(argv) == 2 and argv[0] == "answers":
        print(json.dumps(answers(Path(argv[1])), indent=1, sort_keys=True))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
