"""A finding: one sentence a page states about the data, rendered from a claim the claims engine checks.

A finding holds its claims (metric, parameters, reading, reported value: the same four fields a row
of claims.csv has), the measured result it was rendered from, its direction where it compares
(`higher`, `lower`, `no clear difference`) and the test behind it. The sentence is written from the
claim: a finding that says "less often" carries the reading `less_than 1`, so when `attrition
report` checks every finding afresh (attrition.site.selfcheck) a sentence whose words the data do
not bear out fails the check and the site is not published.

In a notebook a finding (or a `Statement` of several) displays as Markdown and also carries its claims
as JSON (`MIME`), which the report collects from every page for the self-check and the self-ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attrition.measures.registry import KINDS, compute
from attrition.result import MetricResult
from attrition.text import md

MIME = "application/vnd.attrition.findings+json"
"""The output type under which a notebook cell carries the findings it displays."""


@dataclass(frozen=True)
class Claim:
    """What a sentence asserts, in the claims file's terms; `dataset` names another dataset than the page's
    ("aiwatch": the open roster imported from data/aiwatch)."""

    metric: str
    params: dict[str, object]
    reading: str
    reported: str
    tolerance: float | None = None
    dataset: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"metric": self.metric, "params": params_text(self.params), "reading": self.reading,
                "reported": self.reported, "tolerance": self.tolerance, "dataset": self.dataset}


def params_text(params: dict[str, object]) -> str:
    """Parameters written as in claims.csv, keys sorted: `company=xai; exclude=a|b; at_years=1,2`
    (a list of people joined by `|`, any other list by commas, as each parameter's parser reads it)."""
    def value(key: str, v: object) -> str:
        if isinstance(v, (list, tuple)):
            return ("|" if KINDS.get(key) == "people" else ",").join(f"{x:g}" if isinstance(x, float) else str(x) for x in v)
        return f"{v:g}" if isinstance(v, float) else str(v)
    return "; ".join(f"{k}={value(k, v)}" for k, v in sorted(params.items()) if v is not None and v != [] and v != ())


@dataclass(frozen=True)
class Finding:
    """One sentence about the data, the claims it rests on and what they measured."""

    id: str
    sentence: str
    claims: tuple[Claim, ...]
    results: tuple[MetricResult, ...] = field(default=(), compare=False, repr=False)
    direction: str = ""
    test: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "sentence": self.sentence, "direction": self.direction, "test": self.test,
                "claims": [c.to_dict() for c in self.claims]}

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return Statement((self,))._repr_mimebundle_(include, exclude)


@dataclass(frozen=True)
class Statement:
    """Findings said together as one paragraph, the first in bold when it is a page's answer."""

    findings: tuple[Finding, ...]
    lead: bool = False
    heading: str = ""
    tests: bool = False

    def markdown(self) -> str:
        sentences = [md(f.sentence + (f". {f.test[0].upper()}{f.test[1:]}" if self.tests and f.test else "")) + "."
                     for f in self.findings]
        if self.lead and sentences:
            sentences[0] = f"**{sentences[0]}**"
        body = " ".join(sentences)
        return f"## {md(self.heading)}\n\n{body}" if self.heading else body

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/markdown": self.markdown(), MIME: [f.to_dict() for f in self.findings]}


def measured(metric: str, ds, **params) -> tuple[MetricResult, dict[str, object]]:
    """A metric computed through the registry (checked like every claim), and the parameters it was given."""
    given = {k: v for k, v in params.items() if v is not None and v != () and v != []}
    return compute(metric, ds, **given), given


def between(lo: object, hi: object) -> str:
    """The reported value of a `between` claim: `lo..hi`."""
    return f"{lo}..{hi}"


def about(value: float, decimals: int) -> tuple[str, float]:
    """The reported value and tolerance of a claim on a number shown rounded to `decimals` places: the
    shown number itself, give or take half its last unit, so the check tests exactly what a reader sees."""
    return f"{round(value, decimals):.{decimals}f}", round(0.5 * 10 ** -decimals, decimals + 1)


def span(claim: Claim) -> tuple[str, str]:
    """The two ends of a `between` claim as written."""
    low, _, high = claim.reported.partition("..")
    return low, high


def capitalised(text: str) -> str:
    """A sentence's first letter in upper case, unless its first word already has one (a name like xAI)."""
    first = text.split(" ", 1)[0]
    return text if not text or any(c.isupper() for c in first) else text[0].upper() + text[1:]
