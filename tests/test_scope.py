"""One question's scope is parsed and checked once (`Scope.of`), however deep its metric goes."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable

import pytest

from attrition import load
from attrition.core import scope as scope_module
from attrition.core.scope import Scope
from attrition.measures.registry import compute
from attrition.result import MetricError

CHECKS = ("check_scope", "as_of_day")
"""The scope check and the as-of parse: what a metric used to run again at every layer."""


def _counted(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Count every call of the scope check and the as-of parse, wherever a module of the package imported them."""
    calls: Counter = Counter()
    for name in CHECKS:
        original = getattr(scope_module, name)

        def counting(*args, _name: str = name, _original: Callable = original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("attrition") and getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, counting)
    return calls


@pytest.mark.parametrize("metric", ["median_tenure", "departed_share"])
def test_a_metric_checks_its_scope_once(data_dir, monkeypatch, metric) -> None:
    ds = load(data_dir)
    import attrition.measures.metrics  # noqa: F401 (imported before counting, as the registry would on first use)
    import attrition.measures.survival  # noqa: F401

    calls = _counted(monkeypatch)
    result = compute(metric, ds, company="acme", cohort="founder", as_of="2024-01-01")
    assert result.as_of == "2024-01-01"
    assert calls == Counter({"check_scope": 1, "as_of_day": 1})


def test_the_registry_and_a_direct_call_give_the_same_scope(ds) -> None:
    direct = Scope.of(ds, "acme", "founder", "2024-01-01", exclude=["bob", "alice", "bob"])
    assert direct.exclude == ("alice", "bob")
    assert direct.date.isoformat() == "2024-01-01" and str(direct.timestamp.date()) == "2024-01-01"
    assert direct.where() == ("WHERE company = ? AND cohort = ? AND NOT array_contains(?, person_id)",
                              ["acme", "founder", ["alice", "bob"]])
    assert Scope.of(ds, "acme", "founder", "2024-01-01", exclude=["alice", "bob"]) is direct


def test_a_scope_names_what_is_wrong_as_before(ds) -> None:
    with pytest.raises(MetricError, match="^unknown company 'acm'"):
        Scope.of(ds, "acm")
    with pytest.raises(MetricError, match=r"^as-of date '2024-13-01' is not a date \(YYYY-MM-DD\)$"):
        Scope.of(ds, "acme", as_of="2024-13-01")
    with pytest.raises(MetricError, match="^--company: unknown company 'acm'"):
        compute("median_tenure", ds, company="acm")
    with pytest.raises(MetricError, match="^--as-of: as-of date 2999-01-01 is outside the supported range"):
        compute("departed_share", ds, company="acme", as_of="2999-01-01")
    with pytest.raises(MetricError, match="^--exclude names no one at acme: nobody"):
        compute("departed_share", ds, company="acme", exclude=["nobody"])
