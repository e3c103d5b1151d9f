"""What every metric returns (`MetricResult`) and raises (`MetricError`): the contract between measures and readers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class MetricResult:
    """A metric's value as a [lo, hi] range, with the counts and people behind it."""

    metric: str
    company: str
    cohort: str | None
    as_of: str
    lo: float | int | str | None
    hi: float | int | str | None
    unit: str
    text: str
    numerator: dict[str, int] | None = None
    denominator: dict[str, int] | None = None
    window: dict[str, object] | None = None
    person_ids: dict[str, list[str]] = field(default_factory=dict)
    excluded: list[str] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)

    @property
    def is_range(self) -> bool:
        return self.lo != self.hi

    def to_dict(self) -> dict:
        return asdict(self)


class MetricError(ValueError):
    """A metric was asked for something the data cannot answer (unknown company, empty cohort...)."""
