"""Secrets generated on first run and kept in the data folder.

A deployment may pass its own through environment variables; otherwise the
first start writes random values to files readable by the owner only, so no
two installations share a key and none is a constant in the code.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = ""
    except OSError as exc:
        raise ImproperlyConfigured(f"cannot read {path}: {exc}") from exc
    if value:
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    # O_EXCL: when web and worker start together, only one of them writes;
    # the other reads what the first wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process is writing it: give it a moment. A file still empty after that
        # was left by a process that died between creating and writing; take it over.
        for _ in range(20):
            time.sleep(0.05)
            if existing := path.read_text(encoding="utf-8").strip():
                return existing
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def make_secret_key() -> str:
    return secrets.token_urlsafe(50)


def make_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")
