"""The periods an objective is read over: the last 30 days, a calendar month or a quarter, as
inclusive dates in the organisation's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from cluetrain.campaigns.models import PeriodKind
from cluetrain.core.dates import month_end, quarter_start, shift_months


@dataclass(frozen=True)
class Span:
    """Inclusive dates; ``elapsed`` is the share of it already lived (1.0 once it is over)."""

    start: date
    end: date
    elapsed: float = 1.0

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def finished(self) -> bool:
        return self.elapsed >= 1.0

    @property
    def label(self) -> str:
        if self.start.day == 1 and self.end == month_end(self.start):
            return self.start.strftime("%Y-%m")
        if self.start.day == 1 and self.start.month % 3 == 1 and self.days > 80:
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%d %b} to {self.end:%d %b %Y}"


def current(kind: str, today: date) -> Span:
    """The period holding ``today``, with how much of it has passed (today counted whole)."""
    if kind == PeriodKind.ROLLING_30:
        return Span(today - timedelta(days=29), today, 1.0)
    if kind == PeriodKind.MONTH:
        start, end = today.replace(day=1), month_end(today)
    elif kind == PeriodKind.QUARTER:
        start = quarter_start(today)
        end = shift_months(start, 3) - timedelta(days=1)
    else:
        raise ValueError(f"Unknown period {kind!r}")
    return Span(start, end, ((today - start).days + 1) / ((end - start).days + 1))


def history(kind: str, today: date, count: int) -> list[Span]:
    """The ``count`` periods before the current one, oldest first, each finished."""
    spans: list[Span] = []
    span = current(kind, today)
    for _ in range(count):
        if kind == PeriodKind.ROLLING_30:
            span = Span(span.start - timedelta(days=30), span.start - timedelta(days=1))
        elif kind == PeriodKind.MONTH:
            start = shift_months(span.start, -1)
            span = Span(start, month_end(start))
        else:
            start = shift_months(span.start, -3)
            span = Span(start, span.start - timedelta(days=1))
        spans.append(span)
    return list(reversed(spans))
