"""Departures counted in the engine for the measures: who had left by a day and in which order, who was still
there, who left or joined in a window (and how many, with the time at risk, in calendar windows), within a base
rate's years, in the busiest window, to which destination, by each definition of a founding team, and day by day.

Each query is a named `Relation` with its output columns declared (tests/test_core_relations.py holds the engine
to them), or one of `attrition.core.relations`' builders; the functions here run them on the dataset's engine
and hand back rows, people or frames, so the measures never write SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from attrition.core import relations
from attrition.core.named import Relation, first
from attrition.core.scope import Scope
from attrition.core.tables import (
    day_spells,
    id_lists,
    lasting_table,
    listed_people,
    people_where,
    prepare_days,
    spells_table,
)
from attrition.io.dataset import Dataset

UNKNOWN = "unknown"
"""The destination of a departure no source places."""


def latest(ds: Dataset, scope: Scope) -> tuple[str, str, list]:
    """Where each person's most recent spell at the scope's company that had (possibly) started by its day is:
    the table, the condition choosing the scope's, and its parameters."""
    where, params = scope.where()
    return day_spells(ds, scope), f"{where} AND latest AND as_of = ?", [*params, scope.day]


def departed(ds: Dataset, scope: Scope) -> tuple[tuple, dict[str, list[str]]]:
    """`relations.departure_bounds` of the scope's latest spells (num_lo, num_hi, den_lo, den_hi, share_lo,
    share_hi) and the people behind them: counted, departed, uncertain (or possibly not joined yet by its day),
    join_uncertain."""
    table, where, params = latest(ds, scope)
    s = relations.standing(scope.day)
    lists = id_lists(ds, {"counted": "true", "departed": s["departed"], "uncertain": f"({s['uncertain']}) OR ({s['late']})",
                          "join_uncertain": s["join_uncertain"]})
    row = ds.engine.rows(relations.departure_bounds(table, scope.day, where=where, extra=lists), params)[0]
    return row[:6], listed_people(row, lists)


def remaining(ds: Dataset, scope: Scope) -> dict[str, list[str]]:
    """The people of the scope's latest spells a source shows there on or after its day (`remaining`), those who
    may be there (`uncertain`: a join or leave date straddles the day) and those not observed since an earlier
    sighting (`unseen`)."""
    table, where, params = latest(ds, scope)
    s = relations.standing(scope.day)
    return people_where(ds, table, where, params, {
        "remaining": s["active"], "uncertain": f"({s['uncertain']}) OR ({s['maybe_here']})", "unseen": s["unseen"]})


def left_between(ds: Dataset, scope: Scope, first: int) -> dict[str, list[str]]:
    """The people of the scope whose departure lies surely inside [first, the scope's day] (`departed`), and those
    whose departure only may (`uncertain`), among their spells as of that day."""
    where, params = scope.where()
    h = relations.horizon(scope.day)
    inside = f"end_lo >= {first} AND end_hi <= {h}"
    overlap = f"end_hi >= {first} AND end_lo <= {h}"
    return people_where(ds, day_spells(ds, scope), f"{where} AND as_of = ?", [*params, scope.day],
                        {"departed": inside, "uncertain": f"({overlap}) AND NOT ({inside})"})


def joined_between(ds: Dataset, scope: Scope, first: int) -> tuple[list[str], list[str]]:
    """Named hires (first spells of cohorts other than founders) of the scope whose join lies surely inside
    [first, the scope's day], and those whose join only may: departures' mirror, counted the same way."""
    where, params = scope.where()
    h = relations.horizon(scope.day)
    inside = f"start_lo >= {first} AND start_hi <= {h}"
    found = people_where(ds, day_spells(ds, scope), f"{where} AND as_of = ? AND cohort <> 'founder' AND spell = 1",
                         [*params, scope.day], {"sure": inside,
                                                "maybe": f"start_hi >= {first} AND start_lo <= {h} AND NOT ({inside})"})
    return found["sure"], found["maybe"]


LEAVER = Relation("leaver", ("name", "end_lo", "end_hi"),
                  "SELECT name, end_lo, end_hi FROM {spells} {where} AND status IN ('departed', 'uncertain') "
                  "AND person_id = ?")
"""One person's departure, if they had (possibly) left by the day (`spells`, `where`: from `latest`)."""

RANKED = Relation("ranked", ("n", "earlier", "maybe_earlier"),
                  "SELECT count(*) AS n, {earlier} AS earlier, {maybe_earlier} AS maybe_earlier FROM {spells} {where}")
"""How many the scope counts, and (as `id_lists`) those surely and possibly gone before someone."""


def rank(ds: Dataset, scope: Scope, person_id: str) -> tuple[str, int, dict[str, list[str]]] | None:
    """A leaver's name, how many the scope counts, and those who surely left before them (`earlier`, their end's
    latest day before the leaver's earliest) or may have (`maybe_earlier`, the leaver among them); None for
    someone who had not left by the scope's day."""
    table, where, params = latest(ds, scope)
    me = first(LEAVER.rows(ds, [*params, person_id], spells=table, where=where))
    if me is None:
        return None
    name, end_lo, end_hi = me
    cutoff = scope.day
    lists = id_lists(ds, {"earlier": f"end_hi <= {cutoff} AND end_hi < {end_lo}",
                          "maybe_earlier": f"end_lo <= {cutoff} AND NOT end_hi < {end_lo} AND end_lo <= {end_hi}"})
    row = RANKED.rows(ds, params, spells=table, where=where, **lists)[0]
    return name, int(row[0]), listed_people(row, lists)


GONE_WITHIN = Relation("gone within", ("company", "n", "gone_lo", "gone_hi", "unfollowed"), """
    SELECT company, count(*) AS n, count(CASE WHEN end_hi <= {cutoff} AND end_hi - start_lo <= {days} THEN 1 END) AS gone_lo,
           count(CASE WHEN end_lo <= {cutoff} AND end_lo - start_hi <= {days} THEN 1 END) AS gone_hi,
           count(CASE WHEN start_hi + {days} > {cutoff} THEN 1 END) AS unfollowed
    FROM {lasting} {where} GROUP BY company ORDER BY company""")
"""Per company: people in scope, how many surely and possibly left (first lasting departures) within `days` of
joining by day `cutoff`, and how many had not been followed that long."""


def gone_within(ds: Dataset, scope: Scope, days: float) -> list[tuple]:
    """GONE_WITHIN's rows for the scope as of its day."""
    where, params = scope.where()
    return GONE_WITHIN.rows(ds, params, cutoff=scope.day, days=days, lasting=lasting_table(ds, scope), where=where)


BUSIEST = Relation("busiest window", ("company", "end_lo", "n"), """
    WITH ends AS (SELECT company, end_lo, end_hi FROM {spells} {where} AND end_lo IS NOT NULL)
    SELECT a.company, a.end_lo, count(*) AS n FROM ends AS a JOIN ends AS b
        ON b.company = a.company AND b.end_lo >= a.end_lo AND b.end_hi <= a.end_lo + {last}
    GROUP BY a.company, a.end_lo ORDER BY n DESC, a.end_lo, a.company LIMIT 1""")
"""The window of `last` + 1 days, starting on a departure's earliest day, in which most departures surely fell;
ties to the earliest window, then the company first by id."""


def busiest_window(ds: Dataset, scope: Scope, days: int) -> tuple | None:
    """(company, first day, departures) of BUSIEST for windows of `days` days, or None when no one left."""
    where, params = scope.where()
    return first(BUSIEST.rows(ds, params, spells=spells_table(ds, scope), where=where, last=days - 1))


DESTINATIONS = Relation("destinations", ("person_id", "company", "category", "destination", "destination_company"), f"""
    SELECT r.person_id, r.company, CASE WHEN r.left_flag = 1 THEN coalesce(m.category, '{UNKNOWN}') ELSE '' END AS category,
           CASE WHEN r.left_flag = 1 THEN coalesce(m.destination, '') ELSE '' END AS destination,
           CASE WHEN r.left_flag = 1 THEN coalesce(m.destination_company, '') ELSE '' END AS destination_company
    FROM ({{left}}) AS r
    LEFT JOIN (SELECT person_id, company, category, destination, destination_company,
                      row_number() OVER (PARTITION BY person_id, company
                                         ORDER BY spell, latest NULLS LAST, source_id, rec) AS nth
               FROM moves) AS m ON m.person_id = r.person_id AND m.company = r.company AND m.nth = 1""")
"""Everyone in a tenure table (`left`: `relations.readings` on date midpoints) and, for those who left, where
they went: the first moves row of their person and company (by spell, date, source) gives the category, the
organisation and its id when it is a company of the data ("" if not); all three "" for those still there."""

FLOWS = Relation("flows", ("company", "to", "to_company", "people"), """
    SELECT company, "to", to_company, count(*) AS people
    FROM (SELECT company, CASE WHEN destination_company <> '' THEN destination_company ELSE category END AS "to",
                 destination_company <> '' AS to_company FROM ({destinations}) AS d WHERE category <> '') AS gone
    GROUP BY company, "to", to_company ORDER BY company, "to", to_company""")
"""Departures from each company to each other company of the data (`to_company`), or outside it by category."""

DESTINATION_TOTALS = Relation("destination totals", ("n", "companies", "gone"), """
    SELECT count(*) AS n, count(DISTINCT company) AS companies, count(CASE WHEN category <> '' THEN 1 END) AS gone
    FROM ({destinations}) AS d""")
"""How many DESTINATIONS holds, at how many companies, and how many of them left."""


def destinations(ds: Dataset, scope: Scope) -> tuple[str, list]:
    """DESTINATIONS for everyone in the scope's tenure table (`survival.tenures`), and its parameters."""
    where, params = scope.where()
    left = relations.readings(lasting_table(ds, scope), scope.day, "person_id, company", where, only=("midpoint",))
    return DESTINATIONS.sql(left=left), params


def destinations_frame(ds: Dataset, scope: Scope):
    """DESTINATIONS as a pandas frame."""
    sql, params = destinations(ds, scope)
    return ds.engine.frame(sql, params)


def flows(ds: Dataset, scope: Scope) -> list[dict[str, object]]:
    """FLOWS' rows for the scope, by column name."""
    sql, params = destinations(ds, scope)
    return [dict(zip(FLOWS.columns, row)) for row in FLOWS.rows(ds, params, destinations=sql)]


def destination_count(ds: Dataset, scope: Scope, category: str | None,
                      to_company: str | None) -> tuple[tuple, list[str]]:
    """DESTINATION_TOTALS for the scope, and the people who left for `category` and `to_company` (each if given)."""
    sql, params = destinations(ds, scope)
    totals = DESTINATION_TOTALS.rows(ds, params, destinations=sql)[0]
    chosen = " AND ".join(["category <> ''", *(["category = ?"] if category is not None else []),
                           *(["destination_company = ?"] if to_company is not None else [])])
    asked = [value for value in (category, to_company) if value is not None]
    counted = people_where(ds, f"({sql}) AS d WHERE {chosen}", "", [*params, *asked], {"counted": "true"})["counted"]
    return totals, counted


VARIANT_NAMES = Relation("variant names", ("company", "variant", "name"), """
    SELECT company, variant, name FROM {joined} ORDER BY name""")
"""The members of each founding-team variant, by name (`joined`: from `variant_departures`)."""


def variant_departures(ds: Dataset, scope: Scope, members):
    """For each (company, variant) of `members` (a frame of person_id, company, variant): departure_bounds of its
    members' latest spells as of the scope's day, and their names (VARIANT_NAMES), as two pandas frames."""
    ds.engine.load_frame("variant_members", members)
    joined = (f"(SELECT s.*, m.variant FROM {day_spells(ds, scope)} AS s JOIN variant_members AS m "
              f"ON m.company = s.company AND m.person_id = s.person_id WHERE s.latest AND s.as_of = {scope.day}) AS joined")
    bounds = ds.engine.frame(relations.departure_bounds(joined, scope.day, "company, variant"))
    return bounds, VARIANT_NAMES.frame(ds, joined=joined)


def variant_departed(ds: Dataset, scope: Scope, variant: str | None) -> tuple:
    """departure_bounds (num_lo, num_hi, den_lo, den_hi, share_lo, share_hi) of one founding-team variant's latest
    spells at the scope's company as of its day: the founders (`variant` None: the dataset's own team), or those
    people.csv tags with the variant's letter (team_variants, separated by ';')."""
    member, values = ("p.cohort = 'founder'", []) if variant is None else \
        ("';' || coalesce(p.team_variants, '') || ';' LIKE ?", [f"%;{variant};%"])
    joined = (f"(SELECT s.* FROM {day_spells(ds, scope)} AS s JOIN people AS p ON p.company = s.company AND "
              f"p.person_id = s.person_id WHERE s.company = ? AND s.latest AND s.as_of = ? AND {member}) AS joined")
    return tuple(ds.engine.rows(relations.departure_bounds(joined, scope.day), [scope.company, scope.day, *values])[0])


def departed_by_day(ds: Dataset, scope: Scope, days: list[int]):
    """departure_bounds of the scope's latest spells as of each of `days` (a pandas frame, a row per day in
    column `as_of`): the spells of every day are made in one query (`tables.prepare_days`)."""
    prepare_days(ds, days, scope.company)
    tables = sorted({day_spells(ds, scope.on(n)) for n in days})
    spells_sql = " UNION ALL ".join(f"SELECT * FROM {t}" for t in tables)
    where, params = scope.where()
    ds.engine.load_integers("series_days", {"day": days})
    return ds.engine.frame(relations.departure_bounds(
        f"({spells_sql}) AS s", "as_of", "as_of",
        f"{where} AND latest AND as_of IN (SELECT day FROM series_days)"), params)


REHIRES = Relation("rehires", ("returned", "surely", "maybe", "returners"), """
    WITH scoped AS (SELECT person_id, status, CASE WHEN spell > 1 AND joined = 'yes' THEN 1 ELSE 0 END AS back,
                           spell = max(spell) OVER (PARTITION BY company, person_id) AS is_latest
                    FROM {spells} {where} AND as_of = ?),
         by_person AS (SELECT person_id, max(back) AS back,
                           max(CASE WHEN is_latest AND status = 'departed' THEN 1 ELSE 0 END) AS departed,
                           max(CASE WHEN is_latest AND status = 'uncertain' THEN 1 ELSE 0 END) AS uncertain
                    FROM scoped GROUP BY person_id)
    SELECT count(CASE WHEN back = 1 THEN 1 END) AS returned, count(CASE WHEN back = 1 OR departed = 1 THEN 1 END) AS surely,
           count(CASE WHEN back = 0 AND departed = 0 AND uncertain = 1 THEN 1 END) AS maybe, {returners} AS returners
    FROM by_person""")
"""Among the people of the scope's spells as of a day (`spells`: `day_spells`; `where`: the scope's clause): how many
came back (a later spell surely begun), how many surely left (they came back, or their latest spell in the scope
had ended) and how many only may have, and (as `id_lists`) those who came back."""

RETURNS = Relation("returns", ("person_id", "away_lo", "away_hi", "away_mid"), """
    SELECT person_id, CASE WHEN start_lo - left_hi < 0 THEN 0 ELSE start_lo - left_hi END AS away_lo,
           start_hi - left_lo AS away_hi, floor((start_lo + start_hi - left_lo - left_hi) / 2) AS away_mid
    FROM (SELECT person_id, "group", spell, joined, start_lo, start_hi,
                 lag(end_lo) OVER (PARTITION BY company, person_id ORDER BY spell) AS left_lo,
                 lag(end_hi) OVER (PARTITION BY company, person_id ORDER BY spell) AS left_hi
          FROM {spells} {where} AND as_of = ?) AS s
    WHERE spell > 1 AND joined = 'yes'{group}
    ORDER BY person_id, spell""")
"""Each return surely begun by a day (a later spell of the same person), and the days away from the end of the spell
before: the range dated intervals allow (`away_lo`, never below 0; `away_hi`) and from date midpoints, whole days
(`away_mid`). The spell before may be in another group: `where` leaves the group out and `group` (" AND \"group\" =
?", or nothing) chooses the returning spell's."""


def rehires(ds: Dataset, scope: Scope) -> tuple[int, int, int, list[str]]:
    """REHIRES for the scope as of its day: came back, surely left, may have left, and those who came back."""
    where, params = scope.where()
    lists = id_lists(ds, {"returners": "back = 1"})
    row = REHIRES.rows(ds, [*params, scope.day], spells=day_spells(ds, scope), where=where, **lists)[0]
    return int(row[0]), int(row[1]), int(row[2]), listed_people(row, lists)["returners"]


def returns(ds: Dataset, scope: Scope) -> list[tuple]:
    """RETURNS' rows for the scope as of its day: the spells before come from every group."""
    where, params = replace(scope, group=None).where()
    group, chosen = (' AND "group" = ?', [scope.group]) if scope.group is not None else ("", [])
    return RETURNS.rows(ds, [*params, scope.day, *chosen], spells=day_spells(ds, scope), where=where, group=group)


WINDOW_LEAVERS = Relation("leavers in windows", ("nth", "leavers", "at_risk_2"), """
    SELECT w.nth, count(CASE WHEN r.left_flag = 1 AND r.end_2 >= 2 * w.first_day AND r.end_2 < 2 * w.after_day
                             THEN 1 END) AS leavers,
           sum(greatest(least(r.start_2 + r.days_2, 2 * w.after_day) - greatest(r.start_2 + r.entry_2, 2 * w.first_day),
                        0)) AS at_risk_2
    FROM {windows} AS w CROSS JOIN ({readings}) AS r
    GROUP BY w.nth ORDER BY w.nth""")
"""For each calendar window [first_day, after_day) of `windows` (its number `nth`), over a tenure table's people
(`readings`: `relations.readings` on date midpoints, with each one's start and end as half-day sums `start_2`,
`end_2`): who left inside it (their end's midpoint), and the half-days they were at risk in it, from when observation
began (late entry) to leaving or censoring. No rows when the table holds no one."""

WINDOW_JOINS = Relation("joins in windows", ("nth", "joined"), """
    SELECT w.nth, count(s.start_lo) AS joined
    FROM {windows} AS w LEFT JOIN (SELECT start_lo, start_hi FROM {spells} {where} AND spell = 1) AS s
        ON s.start_lo >= w.first_day AND s.start_hi < w.after_day
    GROUP BY w.nth ORDER BY w.nth""")
"""For each calendar window of `windows`, the first joins (spell 1 of `spells`, chosen by `where`) dated wholly
inside it: as the joins chart counts them."""


def _windows(ds: Dataset, windows: Sequence[tuple[int, int]]) -> str:
    """The windows (first day, day after the last) as a table of the engine, numbered in order (`nth`)."""
    firsts, afters = zip(*windows)
    return ds.engine.load_integers("rate_windows", {"nth": list(range(len(windows))), "first_day": list(firsts),
                                                    "after_day": list(afters)})


def leavers_in_windows(ds: Dataset, scope: Scope, windows: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(leavers, half-days at risk) of the scope's tenure table (first lasting departures as of its day, date
    midpoints, as `survival.window_rate` counts them) in each window [first day, day after); [] when the scope holds
    no one. Half-days keep every sum exact."""
    where, params = scope.where()
    readings = relations.readings(lasting_table(ds, scope), scope.day, "start_lo + start_hi AS start_2, "
                                  "end_lo + end_hi AS end_2", where, only=("midpoint",), censoring=scope.censoring)
    rows = WINDOW_LEAVERS.rows(ds, params, windows=_windows(ds, windows), readings=readings)
    return [(int(leavers), int(at_risk)) for _, leavers, at_risk in rows]


def joins_in_windows(ds: Dataset, scope: Scope, windows: Sequence[tuple[int, int]]) -> list[int]:
    """How many of the scope's first spells as of its day began surely inside each window [first day, day after)."""
    where, params = scope.where()
    rows = WINDOW_JOINS.rows(ds, params, windows=_windows(ds, windows), spells=spells_table(ds, scope), where=where)
    return [int(joined) for _, joined in rows]


RELATIONS = (LEAVER, RANKED, GONE_WITHIN, BUSIEST, DESTINATIONS, FLOWS, DESTINATION_TOTALS, VARIANT_NAMES, REHIRES,
             RETURNS, WINDOW_LEAVERS, WINDOW_JOINS)
"""Every relation of this module, for the tests."""
