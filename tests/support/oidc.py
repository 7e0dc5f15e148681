"""A real OpenID Connect provider on loopback for the sign-on tests, and a browser stand-in.

The provider is django-oauth-toolkit in its own tiny Django project (``oidc_provider/``),
started in a subprocess with a fresh RSA key, users and registered clients; it stops when its
stdin closes, so it cannot outlive a killed test run.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

import httpx
import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
PASSWORD = "provider-password-1"


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@contextmanager
def running_provider(users: list[dict[str, str]], clients: list[dict[str, Any]]) -> Iterator[str]:
    """Run the provider while the block runs; yields its issuer (``http://127.0.0.1:PORT/o``)."""
    setup = {
        "users": [{"password": PASSWORD, **user} for user in users],
        "clients": clients,
    }
    with (
        tempfile.TemporaryDirectory(prefix="cluetrain-oidc-") as data_dir,
        tempfile.TemporaryFile(mode="w+", prefix="cluetrain-oidc-stderr-") as stderr,
    ):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "CLUETRAIN_", "DATABASE_"))
        }
        env |= {"OIDC_PROVIDER_DATA_DIR": data_dir, "OIDC_PROVIDER_SETUP": json.dumps(setup)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.oidc_provider.serve"],
            cwd=REPOSITORY,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdin is not None
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True).start()
        try:
            yield _wait_ready(proc, lines, stderr)
        finally:
            proc.stdin.close()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(
    proc: subprocess.Popen[str], lines: queue.Queue[str | None], stderr: IO[str]
) -> str:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            line, why = None, f"did not say it was ready within {READY_TIMEOUT:.0f} s"
        else:
            why = f"exited with code {proc.wait()}" if line is None else ""
        if line:
            try:
                info = json.loads(line)
            except ValueError:
                continue
            if isinstance(info, dict) and info.get("ready"):
                return str(info["issuer"])
            continue
        stderr.seek(0)
        pytest.fail(f"The test OIDC provider {why}.\n--- its stderr ---\n{stderr.read()[-3000:]}")


def sign_in_at_provider(authorize_url: str, username: str) -> str:
    """Play the browser at the provider: follow redirects by hand, fill in its sign-in form.

    Returns the address the provider sends the browser back to (Cluetrain's callback).
    """
    with httpx.Client(timeout=10.0) as browser:
        url = authorize_url
        for _ in range(10):
            response = browser.get(url)
            if response.status_code == 200 and "csrfmiddlewaretoken" in response.text:
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
                next_field = re.search(r'name="next" value="([^"]*)"', response.text)
                assert token is not None
                assert next_field is not None
                response = browser.post(
                    url,
                    data={
                        "csrfmiddlewaretoken": token.group(1),
                        "username": username,
                        "password": PASSWORD,
                        "next": next_field.group(1).replace("&amp;", "&"),
                    },
                )
            assert response.status_code == 302, (response.status_code, response.text[:500])
            location = urljoin(url, response.headers["location"])
            if not location.startswith(authorize_url.split("/o/", 1)[0] + "/"):
                return location  # leaving the provider: back to Cluetrain
            url = location
    raise AssertionError("the provider kept redirecting")
