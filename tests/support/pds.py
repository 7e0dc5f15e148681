"""A pytest plugin with the ``pds`` fixture: a real Bluesky Personal Data Server on loopback.

The server is the reference implementation from the npm registry (``@atproto/dev-env``, pinned
in ``tests/support/pds/package-lock.json``), started once per test session with its own PLC
directory and throwaway SQLite data. ``./run tests`` installs it; by hand:
``cd tests/support/pds && npm ci --nodedir=/usr``.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

HERE = Path(__file__).resolve().parent / "pds"
READY_TIMEOUT = 60.0
INSTALL_HINT = "run ./run tests, or: cd tests/support/pds && npm ci --nodedir=/usr"


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdin is not None:
        proc.stdin.close()


def start_pds(stderr: IO[str]) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start the server, its stderr going to ``stderr``, and wait for its ready line.

    Fails (never skips) the tests that need it when it cannot start.
    """
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            f"Node.js is not installed, so the Bluesky test server cannot run ({INSTALL_HINT})"
        )
    if not (HERE / "node_modules" / "@atproto" / "dev-env").is_dir():
        pytest.fail(f"The Bluesky test server is not installed in {HERE} ({INSTALL_HINT})")
    proc = subprocess.Popen(
        [node, "start-pds.mjs"],
        cwd=HERE,
        env={**os.environ, "PLC_PORT": "0", "PDS_PORT": "0"},
        # The server stops when its stdin closes, so it cannot outlive a killed test run.
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True).start()
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
                continue  # a log line before the ready line
            if isinstance(info, dict) and info.get("ready"):
                return proc, info
            continue
        _stop(proc)
        stderr.seek(0)
        tail = stderr.read()[-3000:]
        pytest.fail(f"The Bluesky test server {why}.\n--- its stderr ---\n{tail}")


@pytest.fixture(scope="session")
def pds_network() -> Iterator[dict[str, Any]]:
    """The running test network's addresses: ``pds`` and its PLC directory ``plc``, each
    ``http://127.0.0.1:PORT``; it lives for the whole test session."""
    with tempfile.TemporaryFile(mode="w+", prefix="cluetrain-pds-stderr-") as stderr:
        proc, info = start_pds(stderr)
        try:
            yield info
        finally:
            _stop(proc)


@pytest.fixture(autouse=True)
def _loopback_servers_allowed(request: pytest.FixtureRequest) -> None:
    """A test that uses the local network talks to loopback on purpose: allow private
    addresses for it (a test about refusing them sets the setting back itself)."""
    if "pds_network" in request.fixturenames:
        request.getfixturevalue("settings").ALLOW_PRIVATE_URLS = True


@pytest.fixture(scope="session")
def pds(pds_network: dict[str, Any]) -> str:
    """The base URL (``http://127.0.0.1:PORT``) of a PDS that lives for the whole test session."""
    return str(pds_network["pds"])


@pytest.fixture(scope="session")
def plc(pds_network: dict[str, Any]) -> str:
    """The base URL of the test network's PLC directory (where its did:plc documents live)."""
    return str(pds_network["plc"])


@pytest.fixture
def acme_on_bluesky(cast: Any, pds: str) -> Any:
    """Acme's official voice on the test PDS (a fresh account), and that account:
    ``(voice, member)``."""
    from cluetrain.voices.models import Network, Voice, VoiceKind
    from tests import test_bluesky as bsky

    member = bsky.create_account(pds)
    voice = Voice(
        organization=cast.acme,
        kind=VoiceKind.OFFICIAL,
        network=Network.BLUESKY,
        handle=member.handle,
        name="Acme on Bluesky",
    )
    voice.set_credential(
        {
            "handle": member.handle,
            "app_password": "x",
            "service": pds,
            "session": member.session(pds),
        }
    )
    voice.save()
    return voice, member
