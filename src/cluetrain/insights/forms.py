"""The date range a dashboard covers: a preset (the last 7, 30 or 90 days, this or last month)
or a custom from-to, read in the organisation's time zone."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

# A dashboard over more than two years is a report nobody reads in a browser; the CLI export
# has the same bound so the page and the file always agree.
MAX_DAYS = 731
DEFAULT_PRESET = "30"
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

PRESETS: list[tuple[str, str]] = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("custom", "From - to"),
]


@dataclass(frozen=True)
class Range:
    """Inclusive first and last day of a dashboard, and the preset that chose them."""

    start: date
    end: date
    preset: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> str:
        """The range as a query string, so links and CSV buttons keep it."""
        if self.preset != "custom":
            return f"range={self.preset}"
        return f"range=custom&from={self.start.isoformat()}&to={self.end.isoformat()}"


def today_in(time_zone: str) -> date:
    try:
        tz = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    return timezone.now().astimezone(tz).date()


def preset_range(preset: str, today: date) -> Range:
    """The days a preset stands for, ending today (months: the calendar month)."""
    if preset == "this_month":
        return Range(today.replace(day=1), today, preset)
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Range(last.replace(day=1), last, preset)
    if preset not in {"7", "30", "90"}:
        preset = DEFAULT_PRESET
    return Range(today - timedelta(days=int(preset) - 1), today, preset)


def check_span(start: date, end: date) -> str | None:
    """Why a from-to cannot be shown, in plain words; None when it can."""
    if start.year < EARLIEST_YEAR or end.year > LATEST_YEAR:
        # Days at the ends of the calendar cannot be turned into instants in every time zone.
        return f"Choose dates between {EARLIEST_YEAR} and {LATEST_YEAR}."
    if end < start:
        return "The end date is before the start date."
    if (end - start).days + 1 > MAX_DAYS:
        return f"Choose at most {MAX_DAYS} days (about two years)."
    return None


class RangeForm(forms.Form):
    """The range picker at the top of every dashboard (GET, so a range can be bookmarked)."""

    range = forms.ChoiceField(choices=PRESETS, required=False, label="Period")
    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def __init__(self, data: Any, *, today: date) -> None:
        # ``from`` is a Python keyword: the fields are start and end, named from and to in the
        # query string (see ``add_prefix``). Values are cut short: a date is ten characters.
        values = {name: (data.get(name) or "")[:20] for name in ("range", "from", "to")}
        if values["range"] == "" and (values["from"] or values["to"]):
            values["range"] = "custom"
        super().__init__(values)
        self.today = today

    def add_prefix(self, field_name: str) -> str:
        return {"start": "from", "end": "to"}.get(field_name, field_name)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        preset = cleaned.get("range") or DEFAULT_PRESET
        cleaned["range"] = preset
        if preset != "custom":
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if self.errors:
            return cleaned
        if start is None or end is None:
            raise forms.ValidationError("Give both a start and an end date (YYYY-MM-DD).")
        problem = check_span(start, end)
        if problem:
            raise forms.ValidationError(problem)
        return cleaned

    def chosen(self) -> Range:
        """The range asked for; call after ``is_valid()`` returned True."""
        preset = self.cleaned_data["range"]
        if preset == "custom":
            return Range(self.cleaned_data["start"], self.cleaned_data["end"], "custom")
        return preset_range(preset, self.today)

    def problems(self) -> list[str]:
        """Every error as one plain sentence, for a message above the dashboard."""
        out: list[str] = []
        for field, errors in self.errors.items():
            label = {"start": "From", "end": "To", "range": "Period"}.get(field, "")
            for error in errors:
                out.append(f"{label}: {error}" if label else str(error))
        return out


def parse_day(text: str) -> date:
    """A YYYY-MM-DD date from the command line; ValueError with a plain message otherwise."""
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a date: use YYYY-MM-DD.") from None
