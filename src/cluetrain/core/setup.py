"""Bring a database and static files up to date; safe to run on every start."""

from __future__ import annotations

from django.core.management import call_command


def prepare(*, verbosity: int = 0) -> None:
    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("createcachetable", verbosity=verbosity)
    call_command("collectstatic", interactive=False, verbosity=verbosity)
