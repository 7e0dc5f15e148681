"""``cluetrain cohort list|show|rota``."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from cluetrain.cohorts.models import Shift
from tests.conftest import Cast
from tests.support.cohorts import running_cohort


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("cohort", *args, stdout=out)
    return out.getvalue()


def test_cohorts_are_listed_as_text_and_json(cast: Cast) -> None:
    cohort = running_cohort(cast)
    assert "Spring cohort  (Customer care" in _run("list", "--org", "acme")
    (row,) = json.loads(_run("list", "--org", "acme", "--json"))
    assert row == {
        "id": cohort.pk,
        "name": "Spring cohort",
        "centre": "Customer care",
        "starts_on": cohort.starts_on.isoformat(),
        "ends_on": cohort.ends_on.isoformat(),
        "status": "running",
        "immersed": 2,
        "placed": 0,
    }
    with pytest.raises(CommandError, match="no organisation"):
        _run("list", "--org", "nowhere")


def test_a_cohort_is_shown_to_those_who_follow_it(cast: Cast) -> None:
    cohort = running_cohort(cast)
    shown = _run("show", str(cohort.pk), "--as", cast.mentor.email)
    assert "Tess Trainee: Immersed in the centre, not placed yet; 0 shifts this week" in shown
    with pytest.raises(CommandError, match="follow cohorts"):
        _run("show", str(cohort.pk), "--as", cast.trainee.email)
    with pytest.raises(CommandError, match="no cohort"):
        _run("show", "999999", "--as", cast.mentor.email)


def test_the_rota_is_planned_from_the_command_line_once(cast: Cast) -> None:
    cohort = running_cohort(cast)
    first = _run("rota", str(cohort.pk), "--as", cast.coordinator.email, "--weeks", "1")
    planned = Shift.objects.filter(member__cohort=cohort).count()
    assert first.startswith(f"{planned} shifts planned")
    assert planned >= 1
    again = _run("rota", str(cohort.pk), "--as", cast.coordinator.email, "--weeks", "1")
    assert again.startswith("0 shifts planned")
    with pytest.raises(CommandError, match="Only people with one of these roles"):
        _run("rota", str(cohort.pk), "--as", cast.trainee.email)
    with pytest.raises(CommandError, match="HH:MM"):
        _run("rota", str(cohort.pk), "--as", cast.coordinator.email, "--from", "nine")
    with pytest.raises(CommandError, match="ends after it starts"):
        _run("rota", str(cohort.pk), "--as", cast.coordinator.email, "--from", "14:00")
    assert Shift.objects.filter(member__cohort=cohort).count() == planned
    assert all(s.starts_at > dt.datetime.now(dt.UTC) for s in Shift.objects.all())
