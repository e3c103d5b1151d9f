-- events
SELECT e.person_id, e.company, p.name, p.cohort, coalesce(e.spell_group, p."group") AS "group", e.spell, e.event,
       e.earliest, e.latest, e.conflict,
       e.n_sources, e.source_ids, coalesce(e.reason, '') AS reason
FROM (SELECT * FROM (
SELECT person_id, company, spell, event,
       CASE WHEN lo_max > hi_min THEN lo_min ELSE lo_max END AS earliest,
       CASE WHEN lo_max > hi_min THEN hi_max ELSE hi_min END AS latest,
       lo_max > hi_min AS conflict, n_sources, source_ids, reason, spell_group
FROM (SELECT * FROM event_groups WHERE event <> 'observed' AND one_grade) AS grouped) AS plain UNION ALL SELECT * FROM (
WITH graded AS (
    SELECT t.*, min(t.grade) OVER (PARTITION BY person_id, company, spell, event) AS best_grade
    FROM (SELECT r.*, coalesce(nullif(s.grade, ''), 'C') AS grade
          FROM (SELECT * FROM (SELECT e.* FROM evidence AS e JOIN event_groups AS g ON g.person_id = e.person_id AND g.company = e.company AND g.spell = e.spell AND g.event = e.event WHERE e.event <> 'observed' AND NOT g.one_grade) AS mixed ) AS r LEFT JOIN sources AS s ON s.source_id = r.source_id) AS t),
best AS (
    SELECT person_id, company, spell, event, max(earliest) > min(latest) AS split,
           CASE WHEN max(earliest) > min(latest) THEN min(earliest) ELSE max(earliest) END AS lo,
           CASE WHEN max(earliest) > min(latest) THEN max(latest) ELSE min(latest) END AS hi
    FROM graded WHERE grade = best_grade GROUP BY person_id, company, spell, event)
SELECT g.person_id, g.company, g.spell, g.event, least(b.lo, coalesce(min(CASE WHEN g.latest < b.lo THEN g.earliest END), b.lo)) AS earliest,
       greatest(b.hi, coalesce(max(CASE WHEN g.earliest > b.hi THEN g.latest END), b.hi)) AS latest,
       b.split OR bool_or(g.earliest > b.hi OR g.latest < b.lo) AS conflict,
       count(*) AS n_sources, array_to_string(list_sort(list(source_id)), ';') AS source_ids, min(nullif(reason, '')) AS reason, min(nullif("group", '')) AS spell_group
FROM graded AS g JOIN best AS b ON g.person_id = b.person_id AND g.company = b.company AND g.spell = b.spell AND g.event = b.event
GROUP BY g.person_id, g.company, g.spell, g.event, b.lo, b.hi, b.split) AS graded) AS e
JOIN people AS p ON p.person_id = e.person_id AND p.company = e.company

-- milestones
SELECT m.company, m.milestone_id, l.label, m.earliest, m.latest, m.conflict, m.n_sources, m.source_ids
FROM (
WITH graded AS (
    SELECT t.*, min(t.grade) OVER (PARTITION BY company, milestone_id) AS best_grade
    FROM (SELECT r.*, coalesce(nullif(s.grade, ''), 'C') AS grade
          FROM (SELECT * FROM milestones ) AS r LEFT JOIN sources AS s ON s.source_id = r.source_id) AS t),
best AS (
    SELECT company, milestone_id, max(earliest) > min(latest) AS split,
           CASE WHEN max(earliest) > min(latest) THEN min(earliest) ELSE max(earliest) END AS lo,
           CASE WHEN max(earliest) > min(latest) THEN max(latest) ELSE min(latest) END AS hi
    FROM graded WHERE grade = best_grade GROUP BY company, milestone_id)
SELECT g.company, g.milestone_id, least(b.lo, coalesce(min(CASE WHEN g.latest < b.lo THEN g.earliest END), b.lo)) AS earliest,
       greatest(b.hi, coalesce(max(CASE WHEN g.earliest > b.hi THEN g.latest END), b.hi)) AS latest,
       b.split OR bool_or(g.earliest > b.hi OR g.latest < b.lo) AS conflict,
       count(*) AS n_sources, array_to_string(list_sort(list(source_id)), ';') AS source_ids
FROM graded AS g JOIN best AS b ON g.company = b.company AND g.milestone_id = b.milestone_id
GROUP BY g.company, g.milestone_id, b.lo, b.hi, b.split) AS m JOIN (
    SELECT company, milestone_id, label FROM (
        SELECT company, milestone_id, label,
               row_number() OVER (PARTITION BY company, milestone_id ORDER BY earliest, latest, source_id) AS rn
        FROM milestones) AS ranked WHERE rn = 1) AS l
  ON l.company = m.company AND l.milestone_id = m.milestone_id

-- spell_ends
SELECT person_id, company, spell, event AS end_event, earliest AS end_lo, latest AS end_hi,
       conflict AS end_conflict, source_ids AS end_sources, reason AS end_reason
FROM (SELECT *, row_number() OVER (PARTITION BY person_id, company, spell ORDER BY earliest, event) AS rn
      FROM events WHERE event IN ('leave', 'step_back')) AS ranked
WHERE rn = 1

-- sightings
SELECT person_id, company, spell, max(earliest) AS seen
FROM evidence WHERE event = 'observed' GROUP BY person_id, company, spell

-- spells
SELECT s.person_id, s.name, s.company, s.cohort, s."group", s.spell, s.earliest AS start_lo, s.latest AS start_hi,
       CASE WHEN s.latest <= least(20454, coalesce(c.observed_until, 20454)) THEN 'yes' ELSE 'uncertain' END AS joined,
       coalesce(e.end_event, '') AS end_event, e.end_lo, e.end_hi,
       CASE WHEN e.end_hi <= least(20454, coalesce(c.observed_until, 20454)) THEN 'departed' WHEN e.end_lo <= least(20454, coalesce(c.observed_until, 20454)) THEN 'uncertain' WHEN e.end_lo IS NULL AND greatest(s.latest, coalesce(w.seen, s.latest), coalesce(e.end_lo, s.latest)) < least(20454, coalesce(c.observed_until, 20454)) THEN 'unseen' ELSE 'active' END AS status, greatest(s.latest, coalesce(w.seen, s.latest), coalesce(e.end_lo, s.latest)) AS seen_until,
       greatest(CASE WHEN e.end_lo <= least(20454, coalesce(c.observed_until, 20454)) THEN e.end_lo WHEN e.end_lo IS NULL THEN least(greatest(s.latest, coalesce(w.seen, s.latest), coalesce(e.end_lo, s.latest)), least(20454, coalesce(c.observed_until, 20454))) ELSE least(20454, coalesce(c.observed_until, 20454)) END - s.latest, 0) AS tenure_lo_days, CASE WHEN e.end_hi <= least(20454, coalesce(c.observed_until, 20454)) THEN e.end_hi ELSE least(20454, coalesce(c.observed_until, 20454)) END - s.earliest AS tenure_hi_days,
       s.conflict AS start_conflict, coalesce(e.end_conflict, false) AS end_conflict,
       s.source_ids AS start_sources, coalesce(e.end_sources, '') AS end_sources,
       coalesce(e.end_reason, '') AS end_reason, c.observed_until AS company_end
FROM events AS s
LEFT JOIN spell_ends AS e ON e.person_id = s.person_id AND e.company = s.company AND e.spell = s.spell
LEFT JOIN spell_sightings AS w ON w.person_id = s.person_id AND w.company = s.company AND w.spell = s.spell
LEFT JOIN companies AS c ON c.company = s.company
WHERE s.event IN ('join', 'return') AND s.earliest <= least(20454, coalesce(c.observed_until, 20454))

-- spells on days asked
SELECT s.day AS as_of, s.person_id, s.name, s.company, s.cohort, s."group", s.spell, s.earliest AS start_lo, s.latest AS start_hi,
       CASE WHEN s.latest <= least(s.day, coalesce(c.observed_until, s.day)) THEN 'yes' ELSE 'uncertain' END AS joined,
       coalesce(e.end_event, '') AS end_event, e.end_lo, e.end_hi,
       CASE WHEN e.end_hi <= least(s.day, coalesce(c.observed_until, s.day)) THEN 'departed' WHEN e.end_lo <= least(s.day, coalesce(c.observed_until, s.day)) THEN 'uncertain' WHEN e.end_lo IS NULL AND greatest(s.latest, coalesce(w.seen, s.latest), coalesce(e.end_lo, s.latest)) < least(s.day, coalesce(c.observed_until, s.day)) THEN 'unseen' ELSE 'active' END AS status, greatest(s.latest, coalesce(w.seen, s.latest), coalesce(e.end_lo, s.latest)) AS seen_until,
       greatest(CASE WHEN e.end_lo <= least(s.day, coalesce(c.observed_until, s.day)) THEN e.end_lo WHEN e.end_lo IS NULL THEN least(greatest(s.latest, coalesce(w.seen, s.latest), coalesce(e.end_lo, s.latest)), least(s.day, coalesce(c.observed_until, s.day))) ELSE least(s.day, coalesce(c.observed_until, s.day)) END - s.latest, 0) AS tenure_lo_days, CASE WHEN e.end_hi <= least(s.day, coalesce(c.observed_until, s.day)) THEN e.end_hi ELSE least(s.day, coalesce(c.observed_until, s.day)) END - s.earliest AS tenure_hi_days,
       s.conflict AS start_conflict, coalesce(e.end_conflict, false) AS end_conflict,
       s.source_ids AS start_sources, coalesce(e.end_sources, '') AS end_sources,
       coalesce(e.end_reason, '') AS end_reason, c.observed_until AS company_end
FROM events_on_days AS s
LEFT JOIN spell_ends AS e ON e.person_id = s.person_id AND e.company = s.company AND e.spell = s.spell
LEFT JOIN spell_sightings AS w ON w.person_id = s.person_id AND w.company = s.company AND w.spell = s.spell
LEFT JOIN companies AS c ON c.company = s.company
WHERE s.event IN ('join', 'return') AND s.earliest <= least(s.day, coalesce(c.observed_until, s.day))

-- lasting
WITH
returned AS (SELECT DISTINCT person_id, company FROM spells WHERE spell > 1),
marked AS (
    SELECT s.*, s.end_lo IS NOT NULL AND (n.start_lo IS NULL OR n.start_lo - s.end_hi > 180) AS lasting
    FROM (SELECT * FROM spells AS a WHERE EXISTS (SELECT 1 FROM returned AS r
              WHERE r.person_id = a.person_id AND r.company = a.company)) AS s
    LEFT JOIN (SELECT * FROM spells WHERE spell > 1) AS n
        ON n.person_id = s.person_id AND n.company = s.company AND n.spell = s.spell + 1),
persons AS (
    SELECT person_id, company, max(CASE WHEN spell = 1 THEN name END) AS name, max(CASE WHEN spell = 1 THEN cohort END) AS cohort, max(CASE WHEN spell = 1 THEN "group" END) AS "group",
           max(CASE WHEN spell = 1 THEN start_lo END) AS start_lo, max(CASE WHEN spell = 1 THEN start_hi END) AS start_hi, max(CASE WHEN spell = 1 THEN joined END) AS joined,
           coalesce(min_by(end_event, CASE WHEN lasting THEN spell END), '') AS end_event, min_by(end_lo, CASE WHEN lasting THEN spell END) AS end_lo, min_by(end_hi, CASE WHEN lasting THEN spell END) AS end_hi,
           coalesce(min_by(end_conflict, CASE WHEN lasting THEN spell END), false) AS end_conflict, coalesce(min_by(end_sources, CASE WHEN lasting THEN spell END), '') AS end_sources,
           coalesce(min_by(end_reason, CASE WHEN lasting THEN spell END), '') AS end_reason, max(start_hi) AS last_start,
           coalesce(min(CASE WHEN lasting THEN spell END), max(spell)) - 1 AS interruptions
    FROM marked GROUP BY person_id, company
    UNION ALL
    SELECT person_id, company, name, cohort, "group", start_lo, start_hi, joined,
           coalesce(CASE WHEN end_lo IS NOT NULL THEN end_event END, ''), end_lo, CASE WHEN end_lo IS NOT NULL THEN end_hi END, coalesce(CASE WHEN end_lo IS NOT NULL THEN end_conflict END, false),
           coalesce(CASE WHEN end_lo IS NOT NULL THEN end_sources END, ''), coalesce(CASE WHEN end_lo IS NOT NULL THEN end_reason END, ''), start_hi, spell - 1
    FROM spells AS a WHERE spell = 1 AND NOT EXISTS (SELECT 1 FROM returned AS r
        WHERE r.person_id = a.person_id AND r.company = a.company)),
seen AS (
    SELECT person_id, company, max(earliest) AS observed FROM evidence WHERE event = 'observed'
    GROUP BY person_id, company)
SELECT p.person_id, p.name, p.company, p.cohort, p."group", p.start_lo, p.start_hi, p.end_event, p.end_lo, p.end_hi,
       p.end_conflict, p.end_sources, p.end_reason, p.interruptions,
       CASE WHEN p.end_hi <= least(20454, coalesce(c.observed_until, 20454)) THEN 'departed' WHEN p.end_lo <= least(20454, coalesce(c.observed_until, 20454)) THEN 'uncertain' WHEN p.end_lo IS NULL AND greatest(p.last_start, coalesce(s.observed, p.last_start), coalesce(p.end_lo, p.last_start)) < least(20454, coalesce(c.observed_until, 20454)) THEN 'unseen' ELSE 'active' END AS status,
       greatest(CASE WHEN p.end_lo <= least(20454, coalesce(c.observed_until, 20454)) THEN p.end_lo WHEN p.end_lo IS NULL THEN least(greatest(p.last_start, coalesce(s.observed, p.last_start), coalesce(p.end_lo, p.last_start)), least(20454, coalesce(c.observed_until, 20454))) ELSE least(20454, coalesce(c.observed_until, 20454)) END - p.start_hi, 0) AS tenure_lo_days, CASE WHEN p.end_hi <= least(20454, coalesce(c.observed_until, 20454)) THEN p.end_hi ELSE least(20454, coalesce(c.observed_until, 20454)) END - p.start_lo AS tenure_hi_days,
       greatest(p.last_start, coalesce(s.observed, p.last_start), coalesce(p.end_lo, p.last_start)) AS seen_until, c.observed_until AS company_end, r.observed_from AS entry
FROM persons AS p
LEFT JOIN seen AS s ON s.person_id = p.person_id AND s.company = p.company
LEFT JOIN companies AS c ON c.company = p.company
LEFT JOIN (SELECT person_id, company, observed_from FROM people WHERE observed_from IS NOT NULL) AS r
    ON r.person_id = p.person_id AND r.company = p.company
WHERE p.joined = 'yes'

-- lasting of one company
WITH spells AS (SELECT * FROM (SELECT * FROM spells WHERE company = ?) AS spells),
returned AS (SELECT DISTINCT person_id, company FROM spells WHERE spell > 1),
marked AS (
    SELECT s.*, s.end_lo IS NOT NULL AND (n.start_lo IS NULL OR n.start_lo - s.end_hi > 180) AS lasting
    FROM (SELECT * FROM spells AS a WHERE EXISTS (SELECT 1 FROM returned AS r
              WHERE r.person_id = a.person_id AND r.company = a.company)) AS s
    LEFT JOIN (SELECT * FROM spells WHERE spell > 1) AS n
        ON n.person_id = s.person_id AND n.company = s.company AND n.spell = s.spell + 1),
persons AS (
    SELECT person_id, company, max(CASE WHEN spell = 1 THEN name END) AS name, max(CASE WHEN spell = 1 THEN cohort END) AS cohort, max(CASE WHEN spell = 1 THEN "group" END) AS "group",
           max(CASE WHEN spell = 1 THEN start_lo END) AS start_lo, max(CASE WHEN spell = 1 THEN start_hi END) AS start_hi, max(CASE WHEN spell = 1 THEN joined END) AS joined,
           coalesce(min_by(end_event, CASE WHEN lasting THEN spell END), '') AS end_event, min_by(end_lo, CASE WHEN lasting THEN spell END) AS end_lo, min_by(end_hi, CASE WHEN lasting THEN spell END) AS end_hi,
           coalesce(min_by(end_conflict, CASE WHEN lasting THEN spell END), false) AS end_conflict, coalesce(min_by(end_sources, CASE WHEN lasting THEN spell END), '') AS end_sources,
           coalesce(min_by(end_reason, CASE WHEN lasting THEN spell END), '') AS end_reason, max(start_hi) AS last_start,
           coalesce(min(CASE WHEN lasting THEN spell END), max(spell)) - 1 AS interruptions
    FROM marked GROUP BY person_id, company
    UNION ALL
    SELECT person_id, company, name, cohort, "group", start_lo, start_hi, joined,
           coalesce(CASE WHEN end_lo IS NOT NULL THEN end_event END, ''), end_lo, CASE WHEN end_lo IS NOT NULL THEN end_hi END, coalesce(CASE WHEN end_lo IS NOT NULL THEN end_conflict END, false),
           coalesce(CASE WHEN end_lo IS NOT NULL THEN end_sources END, ''), coalesce(CASE WHEN end_lo IS NOT NULL THEN end_reason END, ''), start_hi, spell - 1
    FROM spells AS a WHERE spell = 1 AND NOT EXISTS (SELECT 1 FROM returned AS r
        WHERE r.person_id = a.person_id AND r.company = a.company)),
seen AS (
    SELECT person_id, company, max(earliest) AS observed FROM evidence WHERE event = 'observed'
    GROUP BY person_id, company)
SELECT p.person_id, p.name, p.company, p.cohort, p."group", p.start_lo, p.start_hi, p.end_event, p.end_lo, p.end_hi,
       p.end_conflict, p.end_sources, p.end_reason, p.interruptions,
       CASE WHEN p.end_hi <= least(20454, coalesce(c.observed_until, 20454)) THEN 'departed' WHEN p.end_lo <= least(20454, coalesce(c.observed_until, 20454)) THEN 'uncertain' WHEN p.end_lo IS NULL AND greatest(p.last_start, coalesce(s.observed, p.last_start), coalesce(p.end_lo, p.last_start)) < least(20454, coalesce(c.observed_until, 20454)) THEN 'unseen' ELSE 'active' END AS status,
       greatest(CASE WHEN p.end_lo <= least(20454, coalesce(c.observed_until, 20454)) THEN p.end_lo WHEN p.end_lo IS NULL THEN least(greatest(p.last_start, coalesce(s.observed, p.last_start), coalesce(p.end_lo, p.last_start)), least(20454, coalesce(c.observed_until, 20454))) ELSE least(20454, coalesce(c.observed_until, 20454)) END - p.start_hi, 0) AS tenure_lo_days, CASE WHEN p.end_hi <= least(20454, coalesce(c.observed_until, 20454)) THEN p.end_hi ELSE least(20454, coalesce(c.observed_until, 20454)) END - p.start_lo AS tenure_hi_days,
       greatest(p.last_start, coalesce(s.observed, p.last_start), coalesce(p.end_lo, p.last_start)) AS seen_until, c.observed_until AS company_end, r.observed_from AS entry
FROM persons AS p
LEFT JOIN seen AS s ON s.person_id = p.person_id AND s.company = p.company
LEFT JOIN companies AS c ON c.company = p.company
LEFT JOIN (SELECT person_id, company, observed_from FROM people WHERE observed_from IS NOT NULL) AS r
    ON r.person_id = p.person_id AND r.company = p.company
WHERE p.joined = 'yes'

-- readings
SELECT person_id, company, 'midpoint' AS reading, CASE WHEN end_lo IS NOT NULL AND end_lo + end_hi <= 2 * least(20454, coalesce(company_end, 20454)) THEN 1 ELSE 0 END AS left_flag, greatest(CASE WHEN end_lo IS NOT NULL AND end_lo + end_hi <= 2 * least(20454, coalesce(company_end, 20454)) THEN end_lo + end_hi ELSE 2 * least(least(20454, coalesce(company_end, 20454)), seen_until) END - (start_lo + start_hi), 0) AS days_2, CASE WHEN entry IS NULL THEN 0 ELSE greatest(2 * entry - (start_lo + start_hi), 0) END AS entry_2 FROM lasting WHERE company = ?
UNION ALL
SELECT person_id, company, 'shortest' AS reading, CASE WHEN end_lo <= least(20454, coalesce(company_end, 20454)) THEN 1 ELSE 0 END AS left_flag, greatest(2 * CASE WHEN end_lo <= least(20454, coalesce(company_end, 20454)) THEN end_lo ELSE least(least(20454, coalesce(company_end, 20454)), seen_until) END - (2 * start_hi), 0) AS days_2, CASE WHEN entry IS NULL THEN 0 ELSE greatest(2 * entry - (2 * start_hi), 0) END AS entry_2 FROM lasting WHERE company = ?
UNION ALL
SELECT person_id, company, 'longest' AS reading, CASE WHEN end_hi <= least(20454, coalesce(company_end, 20454)) THEN 1 ELSE 0 END AS left_flag, greatest(2 * CASE WHEN end_hi <= least(20454, coalesce(company_end, 20454)) THEN end_hi ELSE least(least(20454, coalesce(company_end, 20454)), seen_until) END - (2 * start_lo), 0) AS days_2, CASE WHEN entry IS NULL THEN 0 ELSE greatest(2 * entry - (2 * start_lo), 0) END AS entry_2 FROM lasting WHERE company = ?

-- life table
WITH r AS (SELECT * FROM (SELECT person_id, company, 'midpoint' AS reading, CASE WHEN end_lo IS NOT NULL AND end_lo + end_hi <= 2 * least(20454, coalesce(company_end, 20454)) THEN 1 ELSE 0 END AS left_flag, greatest(CASE WHEN end_lo IS NOT NULL AND end_lo + end_hi <= 2 * least(20454, coalesce(company_end, 20454)) THEN end_lo + end_hi ELSE 2 * least(least(20454, coalesce(company_end, 20454)), seen_until) END - (start_lo + start_hi), 0) AS days_2, CASE WHEN entry IS NULL THEN 0 ELSE greatest(2 * entry - (start_lo + start_hi), 0) END AS entry_2 FROM lasting WHERE company = ?
UNION ALL
SELECT person_id, company, 'shortest' AS reading, CASE WHEN end_lo <= least(20454, coalesce(company_end, 20454)) THEN 1 ELSE 0 END AS left_flag, greatest(2 * CASE WHEN end_lo <= least(20454, coalesce(company_end, 20454)) THEN end_lo ELSE least(least(20454, coalesce(company_end, 20454)), seen_until) END - (2 * start_hi), 0) AS days_2, CASE WHEN entry IS NULL THEN 0 ELSE greatest(2 * entry - (2 * start_hi), 0) END AS entry_2 FROM lasting WHERE company = ?
UNION ALL
SELECT person_id, company, 'longest' AS reading, CASE WHEN end_hi <= least(20454, coalesce(company_end, 20454)) THEN 1 ELSE 0 END AS left_flag, greatest(2 * CASE WHEN end_hi <= least(20454, coalesce(company_end, 20454)) THEN end_hi ELSE least(least(20454, coalesce(company_end, 20454)), seen_until) END - (2 * start_lo), 0) AS days_2, CASE WHEN entry IS NULL THEN 0 ELSE greatest(2 * entry - (2 * start_lo), 0) END AS entry_2 FROM lasting WHERE company = ?) AS q WHERE entry_2 <= days_2)
    SELECT company, reading, days_2, sum(events) AS events, sum(censored) AS censored, sum(entered) AS entered FROM (
        SELECT company, reading, days_2, left_flag AS events, 1 - left_flag AS censored, 0 AS entered FROM r
        UNION ALL SELECT company, reading, entry_2, 0, 0, 1 FROM r) AS counted
    GROUP BY company, reading, days_2

-- interval bounds
SELECT person_id, company, greatest(CASE WHEN end_lo <= least(20454, coalesce(company_end, 20454)) THEN end_lo ELSE least(least(20454, coalesce(company_end, 20454)), seen_until) END - start_hi, 0) AS lower,
       CASE WHEN end_hi <= least(20454, coalesce(company_end, 20454)) THEN end_hi - start_lo END AS upper
FROM lasting WHERE company = ?

-- interval table
SELECT company, lower, upper, count(*) AS n FROM (
SELECT person_id, company, greatest(CASE WHEN end_lo <= least(20454, coalesce(company_end, 20454)) THEN end_lo ELSE least(least(20454, coalesce(company_end, 20454)), seen_until) END - start_hi, 0) AS lower,
       CASE WHEN end_hi <= least(20454, coalesce(company_end, 20454)) THEN end_hi - start_lo END AS upper
FROM lasting WHERE company = ?) AS b GROUP BY company, lower, upper

-- departure bounds
SELECT company, num_lo, num_hi, den_lo, den_hi, CAST(num_lo AS DOUBLE) / nullif(den_hi, 0) AS share_lo,
       CASE WHEN den_lo + late > 0 THEN CAST(num_hi AS DOUBLE) / (den_lo + late) ELSE CAST(num_lo AS DOUBLE) / nullif(den_hi, 0) END AS share_hi
       , departed
FROM (
    SELECT company, count(CASE WHEN joined = 'yes' AND status = 'departed' THEN 1 END) AS num_lo,
           count(CASE WHEN (joined = 'yes' AND status = 'departed') OR (joined = 'yes' AND status = 'uncertain') OR (joined <> 'yes' AND end_lo <= least(20454, coalesce(company_end, 20454))) THEN 1 END) AS num_hi,
           count(CASE WHEN joined = 'yes' THEN 1 END) AS den_lo, count(*) AS den_hi, count(CASE WHEN joined <> 'yes' AND end_lo <= least(20454, coalesce(company_end, 20454)) THEN 1 END) AS late
           , array_to_string(list_sort(list(CASE WHEN joined = 'yes' AND status = 'departed' THEN person_id END)), ';') AS departed
    FROM latest_spells WHERE company = ? GROUP BY company) AS counted

-- headcount
WITH s AS (SELECT * FROM spells WHERE company = ?),
marks AS (
    SELECT company, start_hi AS day, 1 AS d_lo, 0 AS d_hi FROM s
    UNION ALL SELECT company, greatest(start_hi, end_lo), -1, 0 FROM s WHERE end_lo IS NOT NULL
    UNION ALL SELECT company, seen_until + 1, -1, 0 FROM s WHERE end_lo IS NULL
    UNION ALL SELECT company, start_lo, 0, 1 FROM s
    UNION ALL SELECT company, greatest(start_lo, end_hi), 0, -1 FROM s WHERE end_hi IS NOT NULL),
steps AS (
    SELECT m.company, c.grid_day, sum(m.d_lo) AS d_lo, sum(m.d_hi) AS d_hi
    FROM marks AS m JOIN calendar AS c ON c.day = m.day GROUP BY m.company, c.grid_day),
first_day AS (SELECT s.company, min(c.grid_day) AS first_grid, max(s.company_end) AS company_end FROM s JOIN calendar AS c ON c.day = s.start_lo GROUP BY s.company)
SELECT g.company, g.grid_day AS day,
       sum(coalesce(st.d_lo, 0)) OVER (PARTITION BY g.company ORDER BY g.grid_day ROWS UNBOUNDED PRECEDING) AS lo,
       sum(coalesce(st.d_hi, 0)) OVER (PARTITION BY g.company ORDER BY g.grid_day ROWS UNBOUNDED PRECEDING) AS hi
FROM (SELECT f.company, gr.grid_day FROM first_day AS f JOIN grid AS gr
      ON gr.grid_day >= f.first_grid AND gr.grid_day <= least(gr.grid_day, coalesce(f.company_end, gr.grid_day))) AS g
LEFT JOIN steps AS st ON st.company = g.company AND st.grid_day = g.grid_day

-- moves between
WITH pairs AS (
    SELECT g.company, j.company AS to_company, g.end_lo IS NOT NULL AS surely,
           row_number() OVER (PARTITION BY g.person_id, g.company ORDER BY j.start_lo, j.company) AS nth
    FROM lasting AS g JOIN lasting AS j ON j.person_id = g.person_id AND j.company <> g.company
    WHERE (g.status = 'departed' AND j.start_hi >= g.end_lo) OR (g.end_lo IS NULL AND j.start_lo > g.start_hi))
SELECT company, to_company, sum(CASE WHEN surely THEN 1 ELSE 0 END) AS people,
       sum(CASE WHEN surely THEN 0 ELSE 1 END) AS still_listed
FROM pairs WHERE nth = 1 GROUP BY company, to_company

-- lookup: person
SELECT name, cohort, coalesce(prior_affiliations, '') AS prior_affiliations FROM people WHERE company = ? AND person_id = ?

-- lookup: event
SELECT name, earliest, latest, conflict, source_ids FROM {events} WHERE company = ? AND person_id = ? AND event = ? AND spell = ?

-- lookup: event sources
SELECT source_ids FROM {events} WHERE company = ? AND person_id = ? AND event = ? ORDER BY spell LIMIT 1

-- lookup: milestone
SELECT label, earliest, latest, conflict, source_ids FROM {milestones} WHERE company = ? AND milestone_id = ?

-- lookup: listed milestone
SELECT milestone_id FROM milestones WHERE company = ? AND milestone_id = ?

-- lookup: reported count
SELECT company, measure, value, source_id, "end" FROM counts WHERE count_id = ?

-- lookup: reported hires
SELECT count_id, value, qualifier, source_id, scope_note FROM counts WHERE company = ? AND measure = 'hires' AND "start" = ? AND "end" = ? ORDER BY count_id

-- lookup: reported hire windows
SELECT count_id, "start", "end" FROM counts WHERE company = ? AND measure = 'hires' ORDER BY rec

-- lookup: own hire counts
SELECT count(*) AS n FROM counts WHERE company = ? AND measure = 'hires' AND source_id = ?

-- lookup: team variants
SELECT coalesce(team_variants, '') AS team_variants FROM companies WHERE company = ?

-- lookup: publisher
SELECT publisher FROM sources WHERE source_id = ?

-- lookup: people
SELECT count(*) AS n FROM people WHERE company = ?{cohort}

-- lookup: evidence
SELECT count(*) AS n FROM evidence WHERE company = ?

-- lookup: sources cited
SELECT count(DISTINCT source_id) AS n FROM evidence WHERE company = ?

-- lookup: conflicts
SELECT count(*) AS n FROM {events} WHERE company = ? AND conflict

-- lookup: reasons given
SELECT count(*) AS n FROM evidence WHERE coalesce(reason, '') <> '' {where}

-- lookup: latest sighting
SELECT name, spell, seen_until, end_lo FROM {spells} WHERE company = ? AND person_id = ? AND as_of = ? AND latest

-- lookup: spell sighting
SELECT name, spell, seen_until, end_lo FROM {spells} WHERE company = ? AND person_id = ? AND as_of = ? AND spell = ?

-- lookup: first join
SELECT name, start_lo, start_hi, start_sources FROM {spells} {where} AND as_of = ? AND person_id = ? AND spell = 1

-- lookup: interruptions
SELECT name, interruptions FROM {lasting} WHERE company = ? AND person_id = ?

-- lookup: base rate
SELECT b.rate_id, b.source_id, b.study, b.stated_as, b.share, b.measure, b.horizon_years, b.clock, b.population,
       b.sample, b.definition, s.publisher
FROM base_rates AS b LEFT JOIN sources AS s ON s.source_id = b.source_id WHERE b.rate_id = ?

-- lookup: base rate ids
SELECT rate_id, horizon_years FROM base_rates ORDER BY rec

-- lookup: claims
SELECT c.rec, c.claim_id, s.publisher, s.published, c.as_of, c.claim, c.metric, c.params, c.reported, c.reading,
       c.tolerance, c.note, c.source_id, s.url
FROM claims AS c LEFT JOIN sources AS s ON s.source_id = c.source_id {where}ORDER BY c.rec

-- lookup: claims to check
SELECT rec, reading, note, params, metric, as_of, reported, tolerance FROM claims ORDER BY rec

-- lookup: publication days
SELECT DISTINCT s.published FROM sources AS s JOIN (SELECT source_id, company FROM evidence UNION SELECT source_id, company FROM milestones UNION SELECT source_id, company FROM counts UNION SELECT source_id, company FROM moves) AS a ON a.source_id = s.source_id WHERE s.published > ? AND s.published <= ?{about} ORDER BY 1

-- lookup: sources about
SELECT DISTINCT s.source_id FROM sources AS s JOIN ({about}) AS a ON a.source_id = s.source_id WHERE {when} ORDER BY 1

-- departures: leaver
SELECT name, end_lo, end_hi FROM {spells} {where} AND status IN ('departed', 'uncertain') AND person_id = ?

-- departures: ranked
SELECT count(*) AS n, {earlier} AS earlier, {maybe_earlier} AS maybe_earlier FROM {spells} {where}

-- departures: gone within
SELECT company, count(*) AS n, count(CASE WHEN end_hi <= {cutoff} AND end_hi - start_lo <= {days} THEN 1 END) AS gone_lo,
       count(CASE WHEN end_lo <= {cutoff} AND end_lo - start_hi <= {days} THEN 1 END) AS gone_hi,
       count(CASE WHEN start_hi + {days} > {cutoff} THEN 1 END) AS unfollowed
FROM {lasting} {where} GROUP BY company ORDER BY company

-- departures: busiest window
WITH ends AS (SELECT company, end_lo, end_hi FROM {spells} {where} AND end_lo IS NOT NULL)
SELECT a.company, a.end_lo, count(*) AS n FROM ends AS a JOIN ends AS b
    ON b.company = a.company AND b.end_lo >= a.end_lo AND b.end_hi <= a.end_lo + {last}
GROUP BY a.company, a.end_lo ORDER BY n DESC, a.end_lo, a.company LIMIT 1

-- departures: destinations
SELECT r.person_id, r.company, CASE WHEN r.left_flag = 1 THEN coalesce(m.category, 'unknown') ELSE '' END AS category,
       CASE WHEN r.left_flag = 1 THEN coalesce(m.destination, '') ELSE '' END AS destination,
       CASE WHEN r.left_flag = 1 THEN coalesce(m.destination_company, '') ELSE '' END AS destination_company
FROM ({left}) AS r
LEFT JOIN (SELECT person_id, company, category, destination, destination_company,
                  row_number() OVER (PARTITION BY person_id, company
                                     ORDER BY spell, latest NULLS LAST, source_id, rec) AS nth
           FROM moves) AS m ON m.person_id = r.person_id AND m.company = r.company AND m.nth = 1

-- departures: flows
SELECT company, "to", to_company, count(*) AS people
FROM (SELECT company, CASE WHEN destination_company <> '' THEN destination_company ELSE category END AS "to",
             destination_company <> '' AS to_company FROM ({destinations}) AS d WHERE category <> '') AS gone
GROUP BY company, "to", to_company ORDER BY company, "to", to_company

-- departures: destination totals
SELECT count(*) AS n, count(DISTINCT company) AS companies, count(CASE WHEN category <> '' THEN 1 END) AS gone
FROM ({destinations}) AS d

-- departures: variant names
SELECT company, variant, name FROM {joined} ORDER BY name

-- departures: rehires
WITH scoped AS (SELECT person_id, status, CASE WHEN spell > 1 AND joined = 'yes' THEN 1 ELSE 0 END AS back,
                       spell = max(spell) OVER (PARTITION BY company, person_id) AS is_latest
                FROM {spells} {where} AND as_of = ?),
     by_person AS (SELECT person_id, max(back) AS back,
                       max(CASE WHEN is_latest AND status = 'departed' THEN 1 ELSE 0 END) AS departed,
                       max(CASE WHEN is_latest AND status = 'uncertain' THEN 1 ELSE 0 END) AS uncertain
                FROM scoped GROUP BY person_id)
SELECT count(CASE WHEN back = 1 THEN 1 END) AS returned, count(CASE WHEN back = 1 OR departed = 1 THEN 1 END) AS surely,
       count(CASE WHEN back = 0 AND departed = 0 AND uncertain = 1 THEN 1 END) AS maybe, {returners} AS returners
FROM by_person

-- departures: returns
SELECT person_id, CASE WHEN start_lo - left_hi < 0 THEN 0 ELSE start_lo - left_hi END AS away_lo,
       start_hi - left_lo AS away_hi, floor((start_lo + start_hi - left_lo - left_hi) / 2) AS away_mid
FROM (SELECT person_id, "group", spell, joined, start_lo, start_hi,
             lag(end_lo) OVER (PARTITION BY company, person_id ORDER BY spell) AS left_lo,
             lag(end_hi) OVER (PARTITION BY company, person_id ORDER BY spell) AS left_hi
      FROM {spells} {where} AND as_of = ?) AS s
WHERE spell > 1 AND joined = 'yes'{group}
ORDER BY person_id, spell

-- departures: leavers in windows
SELECT w.nth, count(CASE WHEN r.left_flag = 1 AND r.end_2 >= 2 * w.first_day AND r.end_2 < 2 * w.after_day
                         THEN 1 END) AS leavers,
       sum(greatest(least(r.start_2 + r.days_2, 2 * w.after_day) - greatest(r.start_2 + r.entry_2, 2 * w.first_day),
                    0)) AS at_risk_2
FROM {windows} AS w CROSS JOIN ({readings}) AS r
GROUP BY w.nth ORDER BY w.nth

-- departures: joins in windows
SELECT w.nth, count(s.start_lo) AS joined
FROM {windows} AS w LEFT JOIN (SELECT start_lo, start_hi FROM {spells} {where} AND spell = 1) AS s
    ON s.start_lo >= w.first_day AND s.start_hi < w.after_day
GROUP BY w.nth ORDER BY w.nth

-- lineage: prior affiliations
WITH named AS (
    SELECT company, words,
           row_number() OVER (PARTITION BY words ORDER BY is_alias DESC, rec DESC, company DESC) AS nth
    FROM (SELECT p.company, lower(coalesce(nullif(c.name, ''), p.company)) AS words, 0 AS is_alias, 0 AS rec
          FROM (SELECT DISTINCT company FROM people) AS p LEFT JOIN companies AS c ON c.company = p.company
          UNION ALL
          SELECT c.company, lower({alias}) AS words, 1 AS is_alias, c.rec
          FROM companies AS c{aliases}) AS k
    WHERE words <> ''),
prior AS (
    SELECT p.rec, p.person_id, p.name, p.company, {origin} AS origin
    FROM people AS p{affiliations} WHERE p.cohort = 'founder')
SELECT o.person_id, o.name, o.company, o.origin, coalesce(n.company, '') AS from_company
FROM prior AS o LEFT JOIN named AS n ON n.words = lower({plain}) AND n.nth = 1
WHERE o.origin <> ''
ORDER BY o.rec, o.origin

-- lineage: alumni labs
SELECT DISTINCT company FROM ({prior}) AS p WHERE from_company = ? AND company <> from_company ORDER BY company

-- lineage: prior affiliations, spelt
WITH named AS (
    SELECT company, words,
           row_number() OVER (PARTITION BY words ORDER BY is_alias DESC, rec DESC, company DESC) AS nth
    FROM (SELECT p.company, lower(coalesce(nullif(c.name, ''), p.company)) AS words, 0 AS is_alias, 0 AS rec
          FROM (SELECT DISTINCT company FROM people) AS p LEFT JOIN companies AS c ON c.company = p.company
          UNION ALL
          SELECT c.company, lower(regexp_replace(v.part, '^[\s\p{Z}\x0b\x1c-\x1f\x{85}]+|[\s\p{Z}\x0b\x1c-\x1f\x{85}]+$', '', 'g')) AS words, 1 AS is_alias, c.rec
          FROM companies AS c, LATERAL (SELECT unnest(string_split(coalesce(c.aliases, ''), ';')) AS part) AS v) AS k
    WHERE words <> ''),
prior AS (
    SELECT p.rec, p.person_id, p.name, p.company, regexp_replace(a.part, '^[\s\p{Z}\x0b\x1c-\x1f\x{85}]+|[\s\p{Z}\x0b\x1c-\x1f\x{85}]+$', '', 'g') AS origin
    FROM people AS p, LATERAL (SELECT unnest(string_split(coalesce(p.prior_affiliations, ''), ';')) AS part) AS a WHERE p.cohort = 'founder')
SELECT o.person_id, o.name, o.company, o.origin, coalesce(n.company, '') AS from_company
FROM prior AS o LEFT JOIN named AS n ON n.words = lower(regexp_replace(o.origin, '[\s\p{Z}\x0b\x1c-\x1f\x{85}]*\([^)]*\)$', '', 'g')) AND n.nth = 1
WHERE o.origin <> ''
ORDER BY o.rec, o.origin
