from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import Cast


def test_help_lists_every_verb_with_one_line_each() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cluetrain", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for verb in ["demo", "serve", "worker", "rotate_keys", "invite", "migrate", "createsuperuser"]:
        matching = [line for line in lines if line.strip().split(" ")[0] == verb]
        assert len(matching) == 1, verb
        assert len(matching[0].split()) > 1, f"{verb} has no description"


def test_invite_from_the_command_line(cast: Cast, mailoutbox: list) -> None:  # type: ignore[type-arg]
    call_command(
        "invite", "acme", "new.person@example.com", "--role", "member", "--as", cast.director.email
    )
    assert mailoutbox[0].to == ["new.person@example.com"]


def test_invite_refuses_an_outsider_with_a_clear_error(cast: Cast) -> None:
    with pytest.raises(CommandError, match="not a member of Acme"):
        call_command(
            "invite", "acme", "x@example.com", "--role", "member", "--as", cast.outsider.email
        )


def test_invite_names_an_unknown_organisation(cast: Cast) -> None:
    with pytest.raises(CommandError, match="No organisation"):
        call_command(
            "invite", "nope", "x@example.com", "--role", "member", "--as", cast.director.email
        )


def test_every_command_of_cluetrain_apps_is_listed_as_a_product_verb() -> None:
    from django.core.management import get_commands

    from cluetrain.cli import PRODUCT_VERBS

    own = {name for name, app in get_commands().items() if app.startswith("cluetrain")}
    assert own, "no product commands found"
    assert own - set(PRODUCT_VERBS) == set()
    assert set(PRODUCT_VERBS) - own == set(), "a listed verb has no command"


def test_help_lists_the_product_verbs_before_djangos_own() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cluetrain", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    product_part = result.stdout.split("Django's own commands")[0]
    for verb in ["academy", "practice", "facts", "agencies", "campaigns", "insights", "cohort"]:
        assert f"\n  {verb} " in product_part, verb
