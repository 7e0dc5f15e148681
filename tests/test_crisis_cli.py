"""``cluetrain incident``: the same services from the command line."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cluetrain.crisis.models import Incident, IncidentStatus
from cluetrain.publishing.models import Delivery, PostStatus
from tests.conftest import Cast
from tests.test_crisis_pause import official, schedule


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("incident", *args, stdout=out)
    return out.getvalue()


def test_declare_list_update_and_end_from_the_command_line(cast: Cast) -> None:
    voice = official(cast, "@acme.cli", department=cast.care)
    post = schedule(cast, voice)
    said = run(
        "declare",
        "--org",
        "acme",
        "--as",
        "operations@example.com",
        "--title",
        "Lift failure",
        "--department",
        "customer-care",
    )
    incident = Incident.objects.get(title="Lift failure")
    assert f"Incident {incident.pk} declared, covering department Customer care" in said
    assert "1 paused" in said
    assert Delivery.objects.get(post=post).status == PostStatus.PAUSED
    [row] = json.loads(run("list", "--org", "acme", "--json"))
    assert row["id"] == incident.pk
    assert row["status"] == "open"
    assert "Update" in run(
        "update", str(incident.pk), "--as", "director@example.com", "--text", "Lifts fixed soon."
    )
    ended = run("end", str(incident.pk), "--as", "director@example.com")
    assert "Nothing resumes by itself" in ended
    assert "@acme.cli" in ended
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ENDED
    assert Delivery.objects.get(post=post).status == PostStatus.PAUSED


@pytest.mark.parametrize(
    "args",
    [
        ("declare", "--org", "nope", "--as", "director@example.com", "--title", "x"),
        ("declare", "--org", "acme", "--as", "nobody@example.com", "--title", "x"),
        ("declare", "--org", "acme", "--as", "member@example.com", "--title", "x"),
        ("declare", "--org", "acme", "--as", "director@example.com", "--title", " "),
        (
            "declare",
            "--org",
            "acme",
            "--as",
            "director@example.com",
            "--title",
            "x",
            "--department",
            "nope",
        ),
        ("end", "999999", "--as", "director@example.com"),
    ],
)
def test_bad_input_is_refused_plainly(cast: Cast, args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        run(*args)
    assert not Incident.objects.filter(organization=cast.acme).exists()
