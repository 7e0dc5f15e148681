"""Module-wide test data, a live server and Chromium, set up once for many tests.

``tests/test_browser.py``'s fixtures give every test its own flushed database, demo, server and
browser: right for tests that change what they look at, slow for a module of tests that only
read one prepared organisation. These helpers let such a module build its data once
(``persistent_data``), serve it once (``serve``) and launch Chromium once (``chromium``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management import call_command
from django.db import connections

CHROMIUM = os.environ.get("CLUETRAIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def persistent_data(django_db_blocker: Any) -> Iterator[None]:
    """Database access that outlives one test: rows written inside stay until the block ends.

    Afterwards the database is flushed as ``transactional_db`` flushes it, and the shared cast
    (``tests.conftest``'s session setup) is put back, so later tests find what they expect.
    Tests inside the block may use ``db`` with the Django test client (each then runs in a
    transaction over the shared rows, rolled back after it), never ``transactional_db``
    (it would flush them); with a live server, neither: the server's threads cannot see
    what a test's open transaction writes. Mark such tests ``django_db`` all the same:
    pytest-django creates the test database only for tests that ask for one.
    """
    from tests.conftest import build_cast

    with django_db_blocker.unblock():
        try:
            yield
        finally:
            connections.close_all()
            for alias in connections:
                call_command("flush", verbosity=0, interactive=False, database=alias)
            build_cast()


@contextmanager
def serve() -> Iterator[str]:
    """The production stack (Waitress, WhiteNoise, collected static files) on a free port."""
    from django.core.handlers.wsgi import WSGIHandler
    from waitress.server import create_server

    # Server threads close their connections after each request, so none is left
    # open on the test database when it is flushed or dropped.
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    server = create_server(WSGIHandler(), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        # Requests still running (a debounced htmx check, say) finish and close their
        # database connections before the database is flushed.
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=10)
        thread.join(timeout=5)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # live server makes happen in its own threads, so this is safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
                # Playwright runs the tests inside a greenlet, which gets its own database
                # connection: close it here or it outlives the data.
                connections.close_all()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
