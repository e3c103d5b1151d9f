"""The relational core: resolution, spells as of a day, first lasting departures, life tables, headcount.

Each function returns one SQL query over the canonical tables (`people`, `evidence`, `milestones`),
written once in portable SQL: dates are integer day numbers (days since 1970-01-01), so the only
date arithmetic is integer arithmetic, and the one construct engines spell differently (a sorted
list of source ids) comes from the engine. Nothing here loops over people or companies; every
query works on whole tables, and only aggregates or requested slices leave the engine.

Half-days: the midpoint of [lo, hi] is (lo + hi) / 2, so durations that involve midpoints are kept
as integer half-days (`*_2` columns) and halved in Python, keeping every sum exact.
"""

from __future__ import annotations

from attrition.schema import END_EVENTS, START_EVENTS

INTERRUPTION_DAYS = 180
"""A departure followed by a return within this many days is an interruption, not leaving."""

_STARTS = ", ".join(f"'{e}'" for e in START_EVENTS)
_ENDS = ", ".join(f"'{e}'" for e in END_EVENTS)


SOURCE_RULE = ("An event's date comes from its best-graded sources (A before B before C): the part all of them allow "
               "where their ranges overlap, the whole span between them where they cannot all be true. A lower-graded "
               "source never narrows that date; one that contradicts it is kept, shown as a conflict, and the date "
               "then spans both.")
"""How sources of different grades combine into one date, in words (the methodology page quotes it)."""


def resolved(ids: str, table: str, key: str, where: str = "", extra: tuple[tuple[str, str], ...] = ()) -> str:
    """Many sources -> one interval per key, by SOURCE_RULE: the best-graded sources' intersection where they
    overlap (their hull where they conflict), widened to any lower-graded source that contradicts it;
    `conflict` flags both kinds of disagreement.

    `extra` adds aggregate columns over every source, as (expression, name) pairs: e.g. the reason sources
    give for a departure, or the group they give a spell.
    """
    inner = "".join(f", {expression} AS {name}" for expression, name in extra)
    keys = [k.strip() for k in key.split(",")]
    g_key = ", ".join(f"g.{k}" for k in keys)
    return f"""
    WITH graded AS (
        SELECT t.*, min(t.grade) OVER (PARTITION BY {key}) AS best_grade
        FROM (SELECT r.*, coalesce(nullif(s.grade, ''), 'C') AS grade
              FROM (SELECT * FROM {table} {where}) AS r LEFT JOIN sources AS s ON s.source_id = r.source_id) AS t),
    best AS (
        SELECT {key}, max(earliest) > min(latest) AS split,
               CASE WHEN max(earliest) > min(latest) THEN min(earliest) ELSE max(earliest) END AS lo,
               CASE WHEN max(earliest) > min(latest) THEN max(latest) ELSE min(latest) END AS hi
        FROM graded WHERE grade = best_grade GROUP BY {key})
    SELECT {g_key}, least(b.lo, coalesce(min(CASE WHEN g.latest < b.lo THEN g.earliest END), b.lo)) AS earliest,
           greatest(b.hi, coalesce(max(CASE WHEN g.earliest > b.hi THEN g.latest END), b.hi)) AS latest,
           b.split OR bool_or(g.earliest > b.hi OR g.latest < b.lo) AS conflict,
           count(*) AS n_sources, {ids} AS source_ids{inner}
    FROM graded AS g JOIN best AS b ON {' AND '.join(f'g.{k} = b.{k}' for k in keys)}
    GROUP BY {g_key}, b.lo, b.hi, b.split"""


def one_grade_resolution(groups: str, key: str, extra: str = "") -> str:
    """`resolved` for keys whose sources all have one grade, from each key's bounds in `groups` (`lo_max`,
    `lo_min`, `hi_max`, `hi_min`) without reading the sources again: the best-graded sources are then all of
    them, and none can contradict their intersection (or their hull), so SOURCE_RULE gives that intersection,
    or the hull on conflict. `extra` names more columns of `groups` to keep."""
    return f"""
    SELECT {key},
           CASE WHEN lo_max > hi_min THEN lo_min ELSE lo_max END AS earliest,
           CASE WHEN lo_max > hi_min THEN hi_max ELSE hi_min END AS latest,
           lo_max > hi_min AS conflict, n_sources, source_ids{extra}
    FROM {groups}"""


def events(groups: str, ids: str) -> str:
    """One row per person, company, spell and event type (observations are not events), resolved by SOURCE_RULE
    from the evidence grouped by event (`attrition.io.checks.event_groups`, whose `one_grade` says whether a
    group's sources share one grade): such a group is resolved from its bounds (`one_grade_resolution`), and
    only the evidence of the others is read again, by `resolved` (`ids`: the engine's sorted list of ids).

    A spell's group is the one its join or return evidence gives (groups belong to spells: someone can move
    from one department or party to another between spells), else the person's group in people.csv."""
    key = "person_id, company, spell, event"
    plain = one_grade_resolution(f"(SELECT * FROM {groups} WHERE event <> 'observed' AND one_grade) AS grouped",
                                 key, ", reason, spell_group")
    match = " AND ".join(f"g.{k} = e.{k}" for k in ("person_id", "company", "spell", "event"))
    mixed = (f"(SELECT e.* FROM evidence AS e JOIN {groups} AS g ON {match} "
             "WHERE e.event <> 'observed' AND NOT g.one_grade) AS mixed")
    graded = resolved(ids, mixed, key, extra=(("min(nullif(reason, ''))", "reason"),
                                              ("min(nullif(\"group\", ''))", "spell_group")))
    return f"""
    SELECT e.person_id, e.company, p.name, p.cohort, coalesce(e.spell_group, p."group") AS "group", e.spell, e.event,
           e.earliest, e.latest, e.conflict,
           e.n_sources, e.source_ids, coalesce(e.reason, '') AS reason
    FROM (SELECT * FROM ({plain}) AS plain UNION ALL SELECT * FROM ({graded}) AS graded) AS e
    JOIN people AS p ON p.person_id = e.person_id AND p.company = e.company"""


def milestones(ids: str) -> str:
    """Company milestones resolved like events; the label is that of the earliest-dated version."""
    body = resolved(ids, "milestones", "company, milestone_id")
    return f"""
    SELECT m.company, m.milestone_id, l.label, m.earliest, m.latest, m.conflict, m.n_sources, m.source_ids
    FROM ({body}) AS m JOIN (
        SELECT company, milestone_id, label FROM (
            SELECT company, milestone_id, label,
                   row_number() OVER (PARTITION BY company, milestone_id ORDER BY earliest, latest, source_id) AS rn
            FROM milestones) AS ranked WHERE rn = 1) AS l
      ON l.company = m.company AND l.milestone_id = m.milestone_id"""


def spell_ends(events_source: str = "events") -> str:
    """Each spell's end: its earliest-dated end event (a leave or a step back). It does not depend on the
    as-of day, so it is made once per dataset and joined by `spells` for any day."""
    return f"""
    SELECT person_id, company, spell, event AS end_event, earliest AS end_lo, latest AS end_hi,
           conflict AS end_conflict, source_ids AS end_sources, reason AS end_reason
    FROM (SELECT *, row_number() OVER (PARTITION BY person_id, company, spell ORDER BY earliest, event) AS rn
          FROM {events_source} WHERE event IN ({_ENDS})) AS ranked
    WHERE rn = 1"""


def sightings() -> str:
    """Each spell's last dated sighting: the latest day an `observed` row's source shows the person there.
    It does not depend on the as-of day, so it is made once per dataset, like `spell_ends`."""
    return """
    SELECT person_id, company, spell, max(earliest) AS seen
    FROM evidence WHERE event = 'observed' GROUP BY person_id, company, spell"""


def spells(cutoff: int | str, events_source: str = "events", ends_source: str = "spell_ends",
           seen_source: str = "spell_sightings") -> str:
    """One row per person and spell that had (possibly) started by day `cutoff` (from the resolved events).

    The spell's end is the one `spell_ends` picked; status and tenure bounds are as of the company's
    horizon (`horizon`: `cutoff`, or the company's end of observation if earlier), where a spell still
    open is censored. `seen_until` is the last day a source shows the person there (their join, a
    sighting, or a later end). `cutoff` is a day number, or the name of a column of `events_source`
    holding each row's day (kept as `as_of`): then one query makes spells as of many days.
    """
    day = cutoff if isinstance(cutoff, int) else f"s.{cutoff}"
    as_of = "" if isinstance(cutoff, int) else f"{day} AS as_of, "
    h = horizon(day, "c.observed_until")
    seen = "greatest(s.latest, coalesce(w.seen, s.latest), coalesce(e.end_lo, s.latest))"
    return f"""
    SELECT {as_of}s.person_id, s.name, s.company, s.cohort, s."group", s.spell, s.earliest AS start_lo, s.latest AS start_hi,
           CASE WHEN s.latest <= {h} THEN 'yes' ELSE 'uncertain' END AS joined,
           coalesce(e.end_event, '') AS end_event, e.end_lo, e.end_hi,
           {_status('e.end_lo', 'e.end_hi', h, seen)} AS status, {seen} AS seen_until,
           {_tenure('s.earliest', 's.latest', 'e.end_lo', 'e.end_hi', h, seen)},
           s.conflict AS start_conflict, coalesce(e.end_conflict, false) AS end_conflict,
           s.source_ids AS start_sources, coalesce(e.end_sources, '') AS end_sources,
           coalesce(e.end_reason, '') AS end_reason, c.observed_until AS company_end
    FROM {events_source} AS s
    LEFT JOIN {ends_source} AS e ON e.person_id = s.person_id AND e.company = s.company AND e.spell = s.spell
    LEFT JOIN {seen_source} AS w ON w.person_id = s.person_id AND w.company = s.company AND w.spell = s.spell
    LEFT JOIN companies AS c ON c.company = s.company
    WHERE s.event IN ({_STARTS}) AND s.earliest <= {h}"""


def horizon(cutoff: int | str, company_end: str = "company_end") -> str:
    """The day a company's people are counted as of: the as-of day `cutoff`, or the company's end of
    observation (closure, merger) if earlier. The one rule behind every measure: counts, shares, ranks,
    headcounts and survival curves all stop there, and a departure after it is not a departure."""
    return f"least({cutoff}, coalesce({company_end}, {cutoff}))"


def _status(end_lo: str, end_hi: str, cutoff: int | str, seen_until: str) -> str:
    return (f"CASE WHEN {end_hi} <= {cutoff} THEN 'departed' WHEN {end_lo} <= {cutoff} THEN 'uncertain' "
            f"WHEN {end_lo} IS NULL AND {seen_until} < {cutoff} THEN 'unseen' ELSE 'active' END")


def _tenure(start_lo: str, start_hi: str, end_lo: str, end_hi: str, cutoff: int | str, seen_until: str) -> str:
    """Tenure bounds in days: an end after `cutoff` is censored at `cutoff`; with no end, the lower bound
    stops at the last sighting (still there holds only up to it) and the upper at `cutoff`."""
    lo = (f"CASE WHEN {end_lo} <= {cutoff} THEN {end_lo} WHEN {end_lo} IS NULL THEN least({seen_until}, {cutoff}) "
          f"ELSE {cutoff} END")
    hi = f"CASE WHEN {end_hi} <= {cutoff} THEN {end_hi} ELSE {cutoff} END"
    return f"greatest({lo} - {start_hi}, 0) AS tenure_lo_days, {hi} - {start_lo} AS tenure_hi_days"


def standing(cutoff: int) -> dict[str, str]:
    """Conditions on a person's latest spell as of `cutoff` (see `spells`, whose rows carry `company_end`):
    surely gone (`departed`), maybe gone (`uncertain`), surely there (`active`), not observed since an earlier
    sighting (`unseen`), joining not sure by then (`join_uncertain`); `late`: joining not sure, yet surely or
    maybe gone by then; `maybe_here`: joining not sure and not surely gone. "By then" is the company's horizon
    (`horizon`)."""
    h = horizon(cutoff)
    return {
        "departed": "joined = 'yes' AND status = 'departed'",
        "uncertain": "joined = 'yes' AND status = 'uncertain'",
        "active": "joined = 'yes' AND status = 'active'",
        "unseen": "joined = 'yes' AND status = 'unseen'",
        "join_uncertain": "joined <> 'yes'",
        "late": f"joined <> 'yes' AND end_lo <= {h}",
        "maybe_here": f"joined <> 'yes' AND NOT coalesce(end_hi <= {h}, false)",
    }


def departure_bounds(latest: str, cutoff: int, by: str = "", where: str = "", extra: dict[str, str] | None = None) -> str:
    """Per group (`by`, columns; none: one row) of latest spells as of `cutoff`: who had left for sure (`num_lo`),
    who may have (`num_hi`), how many count (`den_lo`, `den_hi`: a person whose joining straddles the day may
    not count) and the share's bounds (`share_lo`, `share_hi`), in one GROUP BY however many groups; then the
    `extra` aggregates (name: expression), if any.

    A person whose joining straddles the day but who left for sure by then counts in the upper bound
    and, when they do, in its denominator.
    """
    s = standing(cutoff)
    count = lambda condition: f"count(CASE WHEN {condition} THEN 1 END)"
    keys, group = (f"{by}, ", f"GROUP BY {by}") if by else ("", "")
    extra = extra or {}
    counts = f"""
        SELECT {keys}{count(s['departed'])} AS num_lo,
               {count(f"({s['departed']}) OR ({s['uncertain']}) OR ({s['late']})")} AS num_hi,
               {count("joined = 'yes'")} AS den_lo, count(*) AS den_hi, {count(s['late'])} AS late
               {"".join(f", {expression} AS {name}" for name, expression in extra.items())}
        FROM {latest} {where} {group}"""
    share_lo = "CAST(num_lo AS DOUBLE) / nullif(den_hi, 0)"
    return f"""
    SELECT {keys}num_lo, num_hi, den_lo, den_hi, {share_lo} AS share_lo,
           CASE WHEN den_lo + late > 0 THEN CAST(num_hi AS DOUBLE) / (den_lo + late) ELSE {share_lo} END AS share_hi
           {"".join(f", {name}" for name in extra)}
    FROM ({counts}) AS counted"""


def lasting(spells_table: str, cutoff: int) -> str:
    """One row per person and company (spell 1 surely joined by `cutoff`), ended by the first lasting departure.

    A spell's end is lasting unless the person's next spell starts within INTERRUPTION_DAYS of it;
    `interruptions` counts the ends skipped. The start is spell 1's; status and tenure are as of `cutoff`.
    No window: the checks number spells 1, 2, 3 and end every spell before the last, so the next spell is
    spell + 1 and the ends skipped are those before the first lasting one. Most people have one spell, which
    is their row as it is; only the few with more go through the join with the next spell and a GROUP BY.
    Only people with an `observed_from` are joined for it (most have none): the engine then builds its join on
    those few, not on a million wide rows.
    """
    pick = lambda column: f"min_by({column}, CASE WHEN lasting THEN spell END)"
    first = lambda column: f"max(CASE WHEN spell = 1 THEN {column} END)"
    stored = spells_table.isidentifier()  # a stored table is read as it is; a query is named once, as a CTE
    spells = spells_table if stored else "spells"
    own = lambda column: f"CASE WHEN end_lo IS NOT NULL THEN {column} END"
    seen = "greatest(p.last_start, coalesce(s.observed, p.last_start), coalesce(p.end_lo, p.last_start))"
    return f"""
    WITH {"" if stored else f"spells AS (SELECT * FROM {spells_table}),"}
    returned AS (SELECT DISTINCT person_id, company FROM {spells} WHERE spell > 1),
    marked AS (
        SELECT s.*, s.end_lo IS NOT NULL AND (n.start_lo IS NULL OR n.start_lo - s.end_hi > {INTERRUPTION_DAYS}) AS lasting
        FROM (SELECT * FROM {spells} AS a WHERE EXISTS (SELECT 1 FROM returned AS r
                  WHERE r.person_id = a.person_id AND r.company = a.company)) AS s
        LEFT JOIN (SELECT * FROM {spells} WHERE spell > 1) AS n
            ON n.person_id = s.person_id AND n.company = s.company AND n.spell = s.spell + 1),
    persons AS (
        SELECT person_id, company, {first('name')} AS name, {first('cohort')} AS cohort, {first('"group"')} AS "group",
               {first('start_lo')} AS start_lo, {first('start_hi')} AS start_hi, {first('joined')} AS joined,
               coalesce({pick('end_event')}, '') AS end_event, {pick('end_lo')} AS end_lo, {pick('end_hi')} AS end_hi,
               coalesce({pick('end_conflict')}, false) AS end_conflict, coalesce({pick('end_sources')}, '') AS end_sources,
               coalesce({pick('end_reason')}, '') AS end_reason, max(start_hi) AS last_start,
               coalesce(min(CASE WHEN lasting THEN spell END), max(spell)) - 1 AS interruptions
        FROM marked GROUP BY person_id, company
        UNION ALL
        SELECT person_id, company, name, cohort, "group", start_lo, start_hi, joined,
               coalesce({own('end_event')}, ''), end_lo, {own('end_hi')}, coalesce({own('end_conflict')}, false),
               coalesce({own('end_sources')}, ''), coalesce({own('end_reason')}, ''), start_hi, spell - 1
        FROM {spells} AS a WHERE spell = 1 AND NOT EXISTS (SELECT 1 FROM returned AS r
            WHERE r.person_id = a.person_id AND r.company = a.company)),
    seen AS (
        SELECT person_id, company, max(earliest) AS observed FROM evidence WHERE event = 'observed'
        GROUP BY person_id, company)
    SELECT p.person_id, p.name, p.company, p.cohort, p."group", p.start_lo, p.start_hi, p.end_event, p.end_lo, p.end_hi,
           p.end_conflict, p.end_sources, p.end_reason, p.interruptions,
           {_status('p.end_lo', 'p.end_hi', horizon(cutoff, 'c.observed_until'), seen)} AS status,
           {_tenure('p.start_lo', 'p.start_hi', 'p.end_lo', 'p.end_hi', horizon(cutoff, 'c.observed_until'), seen)},
           {seen} AS seen_until, c.observed_until AS company_end, r.observed_from AS entry
    FROM persons AS p
    LEFT JOIN seen AS s ON s.person_id = p.person_id AND s.company = p.company
    LEFT JOIN companies AS c ON c.company = p.company
    LEFT JOIN (SELECT person_id, company, observed_from FROM people WHERE observed_from IS NOT NULL) AS r
        ON r.person_id = p.person_id AND r.company = p.company
    WHERE p.joined = 'yes'"""


READINGS = ("midpoint", "shortest", "longest")
"""Three readings of uncertain dates: every range at its midpoint, tenures as short, or as long, as allowed."""


CENSORING = ("observed", "freeze")
"""Where someone still there stops counting: at their own last observation (a dated source, or their
join), or at the as-of day as if everyone had been checked on it; both stop at a company's end of
observation (closure, merger), after which a departure is no longer a departure."""


def _censor_day(cutoff: int, censoring: str) -> str:
    if censoring not in CENSORING:
        raise ValueError(f"unknown censoring {censoring!r}")
    return f"least({horizon(cutoff)}, seen_until)" if censoring == "observed" else horizon(cutoff)


def readings(lasting_table: str, cutoff: int, columns: str, where: str = "", origin: int | None = None,
             only: tuple[str, ...] = READINGS, censoring: str = "observed") -> str:
    """Per person and reading: whether they left (`left_flag`), time to leaving or censoring (`days_2`) and
    time at which observation began (`entry_2`, late entry: 0 unless people.csv gives observed_from after the
    start), in half-days.

    A departure counts when it falls on or before the horizon (the as-of day, or the company's end of
    observation if earlier); anyone else is censored (see CENSORING). `origin`, if given, replaces
    every start: time is then measured from that day; `only` limits the readings.
    """
    lo, hi = ("start_lo", "start_hi") if origin is None else (str(origin), str(origin))
    h, censor = horizon(cutoff), _censor_day(cutoff, censoring)
    mid_end = "end_lo + end_hi"
    left = {"midpoint": f"end_lo IS NOT NULL AND {mid_end} <= 2 * {h}", "shortest": f"end_lo <= {h}",
            "longest": f"end_hi <= {h}"}
    stop = {"midpoint": f"CASE WHEN {left['midpoint']} THEN {mid_end} ELSE 2 * {censor} END",
            "shortest": f"2 * CASE WHEN {left['shortest']} THEN end_lo ELSE {censor} END",
            "longest": f"2 * CASE WHEN {left['longest']} THEN end_hi ELSE {censor} END"}
    start = {"midpoint": f"{lo} + {hi}", "shortest": f"2 * {hi}", "longest": f"2 * {lo}"}
    parts = [f"SELECT {columns}, '{r}' AS reading, CASE WHEN {left[r]} THEN 1 ELSE 0 END AS left_flag, "
             f"greatest({stop[r]} - ({start[r]}), 0) AS days_2, "
             f"CASE WHEN entry IS NULL THEN 0 ELSE greatest(2 * entry - ({start[r]}), 0) END AS entry_2 "
             f"FROM {lasting_table} {where}" for r in only]
    return "\nUNION ALL\n".join(parts)


def life_table(readings_sql: str, by: str) -> str:
    """Departures, censorings and entries per group, reading and duration: all a Kaplan-Meier fit needs.

    Everyone enters the risk set at their `entry_2` (0, or later on a roster that began observing after they
    joined: delayed entry, as lifelines' `entry=`); someone whose observation began after they left was never
    seen at risk and is left out."""
    return f"""
    WITH r AS (SELECT * FROM ({readings_sql}) AS q WHERE entry_2 <= days_2)
    SELECT {by}, reading, days_2, sum(events) AS events, sum(censored) AS censored, sum(entered) AS entered FROM (
        SELECT {by}, reading, days_2, left_flag AS events, 1 - left_flag AS censored, 0 AS entered FROM r
        UNION ALL SELECT {by}, reading, entry_2, 0, 0, 1 FROM r) AS counted
    GROUP BY {by}, reading, days_2"""


def interval_bounds(lasting_table: str, cutoff: int, columns: str, where: str = "", censoring: str = "observed") -> str:
    """Per person: [lower, upper] tenure bounds for the interval-censored fit (upper NULL while open).

    Someone surely gone by the horizon has both bounds; someone who may have gone has a lower bound at
    the earliest possible end; anyone else is censored as in `readings`.
    """
    h, censor = horizon(cutoff), _censor_day(cutoff, censoring)
    return f"""
    SELECT {columns}, greatest(CASE WHEN end_lo <= {h} THEN end_lo ELSE {censor} END - start_hi, 0) AS lower,
           CASE WHEN end_hi <= {h} THEN end_hi - start_lo END AS upper
    FROM {lasting_table} {where}"""


def interval_table(bounds_sql: str, by: str) -> str:
    """Unique [lower, upper] bounds per group with their counts: what the interval-censored fit needs."""
    return f"SELECT {by}, lower, upper, count(*) AS n FROM ({bounds_sql}) AS b GROUP BY {by}, lower, upper"


def headcount(spells_table: str, calendar: str, grid: str, where: str = "", first_grid: int | None = None) -> str:
    """People surely (`lo`) and possibly (`hi`) at each company on each grid day, by running sums.

    Surely there on day d: start_hi <= d and not end_lo <= d, and, with no end recorded, d no later than the
    last sighting (`seen_until`: still there holds only up to it); possibly: start_lo <= d and not end_hi <= d.
    Each is a count of spells whose one date is <= d minus those whose other date is, so each spell
    adds +1/-1 at the first grid day on or after those dates (`calendar` maps a day to it). Each
    company's grid starts at its first join, or at `first_grid` for every company when given, and
    ends at its end of observation, if it has one (`horizon`).
    """
    first = (f"SELECT company, {first_grid} AS first_grid, max(company_end) AS company_end FROM s GROUP BY company"
             if first_grid is not None else
             f"SELECT s.company, min(c.grid_day) AS first_grid, max(s.company_end) AS company_end FROM s "
             f"JOIN {calendar} AS c ON c.day = s.start_lo GROUP BY s.company")
    return f"""
    WITH s AS (SELECT * FROM {spells_table} {where}),
    marks AS (
        SELECT company, start_hi AS day, 1 AS d_lo, 0 AS d_hi FROM s
        UNION ALL SELECT company, greatest(start_hi, end_lo), -1, 0 FROM s WHERE end_lo IS NOT NULL
        UNION ALL SELECT company, seen_until + 1, -1, 0 FROM s WHERE end_lo IS NULL
        UNION ALL SELECT company, start_lo, 0, 1 FROM s
        UNION ALL SELECT company, greatest(start_lo, end_hi), 0, -1 FROM s WHERE end_hi IS NOT NULL),
    steps AS (
        SELECT m.company, c.grid_day, sum(m.d_lo) AS d_lo, sum(m.d_hi) AS d_hi
        FROM marks AS m JOIN {calendar} AS c ON c.day = m.day GROUP BY m.company, c.grid_day),
    first_day AS ({first})
    SELECT g.company, g.grid_day AS day,
           sum(coalesce(st.d_lo, 0)) OVER (PARTITION BY g.company ORDER BY g.grid_day ROWS UNBOUNDED PRECEDING) AS lo,
           sum(coalesce(st.d_hi, 0)) OVER (PARTITION BY g.company ORDER BY g.grid_day ROWS UNBOUNDED PRECEDING) AS hi
    FROM (SELECT f.company, gr.grid_day FROM first_day AS f JOIN {grid} AS gr
          ON gr.grid_day >= f.first_grid AND gr.grid_day <= {horizon('gr.grid_day', 'f.company_end')}) AS g
    LEFT JOIN steps AS st ON st.company = g.company AND st.grid_day = g.grid_day"""


def moves_between(lasting_table: str) -> str:
    """Moves from one company of a roster to another, counted per (company, to_company), as the same
    person's spells show them: for roster data without a moves table (an open roster, an HR export).

    `people` surely left and then joined the other company (on or after the earliest day they may
    have left); `still_listed` joined the other company later while the roster has no end for their
    first spell: a move the roster has not recorded, or two roles at once. Each person counts once
    per company left, towards the first company joined after it.
    """
    return f"""
    WITH pairs AS (
        SELECT g.company, j.company AS to_company, g.end_lo IS NOT NULL AS surely,
               row_number() OVER (PARTITION BY g.person_id, g.company ORDER BY j.start_lo, j.company) AS nth
        FROM {lasting_table} AS g JOIN {lasting_table} AS j ON j.person_id = g.person_id AND j.company <> g.company
        WHERE (g.status = 'departed' AND j.start_hi >= g.end_lo) OR (g.end_lo IS NULL AND j.start_lo > g.start_hi))
    SELECT company, to_company, sum(CASE WHEN surely THEN 1 ELSE 0 END) AS people,
           sum(CASE WHEN surely THEN 0 ELSE 1 END) AS still_listed
    FROM pairs WHERE nth = 1 GROUP BY company, to_company"""
