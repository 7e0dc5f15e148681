"""``cluetrain practice`` on the command line: scenarios, progress, waiting work, grading."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cluetrain.practice.models import Grade
from tests.conftest import Cast
from tests.support.practice import LATE_TRAIN, submitted

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("practice", *args, stdout=out)
    return out.getvalue()


def test_the_scenarios_are_listed(cast: Cast) -> None:
    assert LATE_TRAIN in _run("scenarios")


def test_a_mentor_sees_waiting_work_grades_it_and_sees_progress(cast: Cast) -> None:
    message = submitted(cast.trainee, cast.acme, "Sorry about today's delay")
    assert str(message.pk) in _run("waiting", "--org", "acme", "--as", cast.mentor.email)
    _run("grade", str(message.pk), "--as", cast.mentor.email, "--outcome", "pass", "--score", "70")
    assert Grade.objects.get(message=message).score == 70
    [row] = json.loads(_run("progress", "--org", "acme", "--as", cast.mentor.email, "--json"))
    assert row == {
        "email": cast.trainee.email,
        "person_id": cast.trainee.pk,
        "submitted": 1,
        "graded": 1,
        "passed": 1,
        "awaiting_feedback": 0,
    }


def test_a_trainee_cannot_grade_from_the_command_line(cast: Cast) -> None:
    message = submitted(cast.member, cast.acme)
    with pytest.raises(CommandError, match="Only people"):
        _run("grade", str(message.pk), "--as", cast.trainee.email, "--outcome", "pass")
