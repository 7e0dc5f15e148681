"""``cluetrain agencies``: the index as a table and as CSV, pairing through the services."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cluetrain.agencies.models import Shadowing
from tests.conftest import Cast
from tests.support import agencies as make


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("agencies", *args, stdout=out)
    return out.getvalue()


def test_the_index_is_printed_as_a_table_and_as_csv(cast: Cast) -> None:
    make.published(cast.acme, cast.agency, datetime(2026, 2, 3, 9, tzinfo=UTC))
    make.published(cast.acme, cast.member, datetime(2026, 2, 4, 9, tzinfo=UTC))
    make.published(cast.acme, cast.member, datetime(2026, 2, 5, 9, tzinfo=UTC))
    table = run("index", "--org", "acme", "--from", "2026-01-01", "--to", "2026-02-28")
    assert "2026-01         0       0       —" in table
    assert "2026-02         2       1  66.7 %" in table
    csv = run("index", "--org", "acme", "--from", "2026-02-01", "--to", "2026-02-28", "--csv")
    assert "2026-02,all,2,1,3,0,66.7" in csv


def test_bad_arguments_are_refused_plainly(cast: Cast) -> None:
    with pytest.raises(CommandError, match="not a date"):
        run("index", "--org", "acme", "--from", "2026-02-30")
    with pytest.raises(CommandError, match="No organisation"):
        run("index", "--org", "nowhere")
    with pytest.raises(CommandError, match="no department"):
        run("index", "--org", "acme", "--department", "ghosts")


def test_pairing_from_the_command_line_checks_who_asks(cast: Cast) -> None:
    args = ["--org", "acme", "--agency-person", cast.agency.email, "--shadow", cast.member.email]
    with pytest.raises(CommandError, match="director or a coordinator"):
        run("pair", "--as", cast.trainee.email, *args)
    assert "now shadows" in run("pair", "--as", cast.director.email, *args)
    assert Shadowing.objects.filter(agency_person=cast.agency, shadow=cast.member).exists()
    assert "0 notice(s) sent." in run("notify-shadows")
    assert "Pairing ended." in run("unpair", "--as", cast.coordinator.email, *args)
    assert not Shadowing.objects.exists()
