"""Writers take turns on SQLite without SQLite's sleeping busy handler.

SQLite lets one writer in at a time; a second one that finds the lock taken sleeps and retries
in growing steps (up to 100 ms each), so two busy processes spend much of their time asleep
while the lock is free. The listening pipeline's write transactions therefore queue on an
operating-system file lock beside the database first: the next writer wakes the moment the
lock is released. On PostgreSQL, whose writers do not block each other this way, it does
nothing.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

_local = threading.local()
_files: dict[str, int] = {}
_files_lock = threading.Lock()


def _descriptor(database: str) -> int:
    with _files_lock:
        fd = _files.get(database)
        if fd is None:
            path = Path(database).with_name(Path(database).name + ".writers")
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            _files[database] = fd
        return fd


@contextmanager
def one_at_a_time() -> Iterator[None]:
    """Hold the database's writer turn for the duration (re-entrant within a thread)."""
    database = str(connection.settings_dict.get("NAME") or "")
    if (
        connection.vendor != "sqlite"
        or not database
        or database.startswith(":memory:")
        or ("mode=memory" in database)
    ):
        yield
        return
    depth = getattr(_local, "depth", 0)
    if depth or connection.in_atomic_block:
        # Already our turn, or inside a transaction that may hold SQLite's own lock: taking
        # the file lock now could wait on a writer that waits on us.
        _local.depth = depth + 1
        try:
            yield
        finally:
            _local.depth -= 1
        return
    fd = _descriptor(database)
    # flock is per open file description: threads of one process share it, so a thread lock
    # keeps them in turn too.
    with _thread_turn:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _local.depth = 1
        try:
            yield
        finally:
            _local.depth = 0
            fcntl.flock(fd, fcntl.LOCK_UN)


_thread_turn = threading.Lock()
