"""Bring a database and static files up to date; safe to run on every start."""

from __future__ import annotations

import gc

from django.core.management import call_command


def prepare(*, verbosity: int = 0) -> None:
    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("createcachetable", verbosity=verbosity)
    call_command("collectstatic", interactive=False, verbosity=verbosity)


def settle() -> None:
    """Call once a long-running process (worker, listener) has loaded what it keeps.

    Moves every object alive now out of the garbage collector's sight (``gc.freeze``): the
    settings, the apps, the triage models and the language detector stay for the whole life
    of the process, and a collector that walks them again at every full collection costs the
    listening pipeline about a tenth of its time.
    """
    gc.collect()
    gc.freeze()
