"""Metric names and where they live, kept free of imports so that any module can consult it."""

METRICS: dict[str, str] = {
    "departed_count": "attrition.metrics:departed_count",
    "departed_share": "attrition.metrics:departed_share",
    "remaining_count": "attrition.metrics:remaining_count",
    "departures_between": "attrition.metrics:departures_between",
    "headcount": "attrition.metrics:headcount",
    "median_tenure": "attrition.survival:median_tenure",
    "share_departed_by_tenure": "attrition.survival:share_departed_by_tenure",
    "departure_rank": "attrition.survival:departure_rank",
    "compare_labs": "attrition.peers:compare_labs",
    "hires_between": "attrition.hiring:hires_between",
    "days_per_hire": "attrition.hiring:days_per_hire",
    "hiring_rate_ratio": "attrition.hiring:hiring_rate_ratio",
    "days_before_milestone": "attrition.hiring:days_before_milestone",
    "event_date": "attrition.facts:event_date",
    "milestone_date": "attrition.facts:milestone_date",
    "years_since_milestone": "attrition.facts:years_since_milestone",
    "count_ratio": "attrition.facts:count_ratio",
    "weekly_hours_per_day": "attrition.facts:weekly_hours_per_day",
    "prior_affiliation": "attrition.facts:prior_affiliation",
}
"""Metric name -> "module:function"; modules load on first use so light commands stay quick."""

READINGS = ("exact", "about", "at_least", "more_than", "less_than", "not_evaluated")
"""How a claim's reported value is read: see attrition.claims.verdict."""
