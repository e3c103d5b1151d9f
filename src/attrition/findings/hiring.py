"""Findings about hiring pace: an article's own arithmetic, whether its rounding is fair, what the named
roster can confirm in the same window, and how much faster one window was than another."""

from __future__ import annotations

from datetime import date

from attrition.findings.finding import Claim, Finding, about, between, measured, span
from attrition.io.dataset import Dataset
from attrition.text import p_value_text, range_text


def _month_span(start: str, end: str) -> str:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return f"{first:%B}-{last:%B %Y}" if first.year == last.year else f"{first:%B %Y}-{last:%B %Y}"


def own_arithmetic(ds: Dataset, company: str, start: str, end: str) -> Finding:
    """Days per hire on a source's own count for a window (basis `reported`), with its exact interval."""
    result, params = measured("days_per_hire", ds, company=company, start=start, end=end, basis="reported")
    reported, tolerance = about(result.lo, 2)
    low, high = result.details["days_per_hire_ci"]
    sentence = (f"On the article's own count, {result.numerator['lo']} days / {result.denominator['lo']} hires = "
                f"{float(reported):.2f} days per hire (95% interval {low:.1f} to {high:.1f} days)")
    return Finding(f"{company}-{start}-{end}-days-per-hire", sentence,
                   (Claim("days_per_hire", params, "about", reported, tolerance),), (result,))


def rounding(ds: Dataset, company: str, start: str, end: str, stated: int, quoted: str) -> Finding:
    """Whether a source's `quoted` "one every N days" (N = `stated`) is a fair rounding of its own days per hire
    (within half a day)."""
    result, params = measured("days_per_hire", ds, company=company, start=start, end=end, basis="reported")
    value = float(result.lo)
    arithmetic = (f"On its own count, the article's arithmetic is {result.numerator['lo']} days / "
                  f"{result.denominator['lo']} hires = {value:.2f} days per hire")
    if abs(value - stated) <= 0.5:
        claim = Claim("days_per_hire", params, "about", str(stated), 0.5)
        sentence = f"{arithmetic}, which rounds to {stated}: \"{quoted}\" is a fair rounding"
    else:
        reading, bound = ("less_than", stated - 0.5) if value < stated else ("more_than", stated + 0.5)
        claim = Claim("days_per_hire", params, reading, f"{bound:g}")
        sentence = f"{arithmetic}, which does not round to {stated}: \"{quoted}\" is not a fair rounding"
    return Finding(f"{company}-{start}-{end}-rounding", sentence, (claim,), (result,))


def named_in_window(ds: Dataset, company: str, start: str, end: str) -> Finding:
    """How many named hires the roster has joining in a window: certainly, and possibly (join dates that are
    ranges overlapping it), with their names."""
    result, params = measured("hires_between", ds, company=company, start=start, end=end, basis="roster")
    claim = Claim("hires_between", params, "between", between(result.lo, result.hi))
    people = ds.people[ds.people["company"] == company].set_index("person_id")["name"]
    sure = [str(people[p]) for p in result.person_ids["joined"]]
    maybe = [str(people[p]) for p in result.person_ids["maybe_joined"]]
    sentence = (f"On our named roster, {len(sure)} named hire{'s' if len(sure) != 1 else ''} certainly joined in "
                f"{_month_span(start, end)} ({', '.join(sure) or 'none'}), and {len(maybe)} more may have "
                f"({', '.join(maybe) or 'none'}), their join dates being ranges that overlap it")
    return Finding(f"{company}-{start}-{end}-named-hires", sentence, (claim,), (result,))


def confirms(ds: Dataset, company: str, start: str, end: str) -> Finding:
    """The article's count set against how many of those hires the press names (a short form for an answer)."""
    reported, p1 = measured("hires_between", ds, company=company, start=start, end=end, basis="reported")
    roster, p2 = measured("hires_between", ds, company=company, start=start, end=end, basis="roster")
    claims = (Claim("hires_between", p1, "exact", str(reported.lo)),
              Claim("hires_between", p2, "between", between(roster.lo, roster.hi)))
    low, high = span(claims[1])
    sentence = (f"Nothing else confirms the count of {reported.lo} hires in {_month_span(start, end)}: the press names "
                f"only {range_text(int(low), int(high))} of them")
    return Finding(f"{company}-{start}-{end}-confirms", sentence, claims, (reported, roster))


def pace_ratio(ds: Dataset, company: str, start: str, end: str, baseline_start: str, baseline_end: str,
               basis: str = "reported") -> Finding:
    """How many times as fast hiring ran per day in one window as in another, on one basis, with the exact test."""
    result, params = measured("hiring_rate_ratio", ds, company=company, start=start, end=end,
                              baseline_start=baseline_start, baseline_end=baseline_end, basis=basis)
    test = result.details["test"]
    if result.lo == result.hi:
        reported, tolerance = about(result.lo, 1)
        claim = Claim("hiring_rate_ratio", params, "about", reported, tolerance)
        ratio = f"{float(reported):.1f} times"
    else:
        claim = Claim("hiring_rate_ratio", params, "between", between(round(result.lo, 1), round(result.hi, 1)), 0.05)
        ratio = f"{result.lo:.1f} to {result.hi:.1f} times"
    evidence = "" if test is None else (f" (exact 95% interval {test['ci_lower']:.1f} to {test['ci_upper']:.1f}; "
                                        f"{p_value_text(test['p_value'])})")
    counts = "on the article's own counts" if basis == "reported" else "on the named roster"
    sentence = (f"Per day, hiring in {_month_span(start, end)} ran at {ratio} the pace of "
                f"{_month_span(baseline_start, baseline_end)}{evidence}, {counts}")
    return Finding(f"{company}-{start}-{end}-vs-{baseline_start}-pace", sentence, (claim,), (result,),
                   direction="higher" if result.lo > 1 else "lower" if result.hi < 1 else "",
                   test="" if test is None else f"exact conditional binomial test, {p_value_text(test['p_value'])}")


def timeline(ds: Dataset, company: str, start: str, end: str, count_id: str | None) -> Finding:
    """The named hires in a claim's window, and the largest staff count a source reported (its `count_id`)."""
    named_result, params = measured("hires_between", ds, company=company, start=start, end=end, basis="roster")
    claims = [Claim("hires_between", params, "between", between(named_result.lo, named_result.hi))]
    results = [named_result]
    low, high = span(claims[0])
    sentence = f"The press named {range_text(int(low), int(high))} hires in {_month_span(start, end)}, the window of the claim"
    if count_id:
        count, count_params = measured("reported_count", ds, count_id=count_id)
        claims.append(Claim("reported_count", count_params, "exact", str(count.lo)))
        results.append(count)
        sentence += f"; by {date.fromisoformat(count.details['end']):%B %Y} a source reported {count.lo:,} staff"
    return Finding(f"{company}-{start}-{end}-timeline", sentence, tuple(claims), tuple(results))
