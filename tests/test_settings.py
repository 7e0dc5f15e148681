"""Start-up configuration: safe defaults, and a bad value stops start-up naming the variable."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DATABASES['default']['ENGINE'], s.TIME_ZONE, s.SECRET_KEY[:12], "
    "len(s.ENCRYPTION_KEYS))"
)


def start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLUETRAIN_", "DATABASE_", "REDIS_"))
    }
    clean.update(
        {
            "CLUETRAIN_DATA_DIR": str(tmp_path / "data"),
            "DJANGO_SETTINGS_MODULE": "cluetrain.settings",
        }
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", SHOW], env=clean, capture_output=True, text=True, timeout=60
    )


def cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLUETRAIN_", "DATABASE_", "REDIS_"))
    }
    clean.update({"CLUETRAIN_DATA_DIR": str(tmp_path / "data")}, **env)
    return subprocess.run(
        [sys.executable, "-m", "cluetrain", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_defaults_to_sqlite_in_the_data_folder_with_a_generated_secret(tmp_path: Path) -> None:
    first = start(tmp_path)
    assert first.returncode == 0, first.stderr
    engine, time_zone, secret, key_count = first.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert time_zone == "UTC"
    assert key_count == "1"
    secret_file = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    # The same key on the next start: sessions survive a restart.
    assert start(tmp_path).stdout.split()[2] == secret


def test_two_installations_get_different_secrets(tmp_path: Path) -> None:
    one = start(tmp_path / "one").stdout.split()[2]
    two = start(tmp_path / "two").stdout.split()[2]
    assert one != two


def test_it_uses_sqlite_in_wal_mode(db: None) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        assert connection.vendor == "postgresql"
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "not a url", "DATABASE_URL"),
        ("DATABASE_URL", "mysql://u:p@localhost/db", "DATABASE_URL: Cluetrain runs on PostgreSQL"),
        (
            "DATABASE_URL",
            "postgres://user@localhost",
            "DATABASE_URL: the PostgreSQL URL names no database",
        ),
        ("REDIS_URL", "http://localhost:6379", "REDIS_URL"),
        ("CLUETRAIN_TIME_ZONE", "Mars/Olympus_Mons", "CLUETRAIN_TIME_ZONE"),
        ("CLUETRAIN_DEBUG", "maybe", "CLUETRAIN_DEBUG"),
        ("CLUETRAIN_JOB_STALE_AFTER", "soon", "CLUETRAIN_JOB_STALE_AFTER"),
        ("CLUETRAIN_BASE_URL", "ftp://example.com", "CLUETRAIN_BASE_URL"),
        ("CLUETRAIN_ENCRYPTION_KEYS", "too-short", "CLUETRAIN_ENCRYPTION_KEYS"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = cli(tmp_path, "check", **{variable: value})
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-" + "x" * 40)
    result = start(tmp_path, CLUETRAIN_SECRET_KEY_FILE=str(secret))
    assert result.stdout.split()[2] == "from-a-file-"


def test_postgresql_is_chosen_by_database_url(tmp_path: Path) -> None:
    result = start(tmp_path, DATABASE_URL="postgres://u:p@127.0.0.1:5999/cluetrain")
    assert result.stdout.split()[0] == "django.db.backends.postgresql"


def test_the_cache_is_shared_by_every_process(settings: object, db: None) -> None:
    from django.core.cache import cache

    backend = settings.CACHES["default"]["BACKEND"]  # type: ignore[attr-defined]
    if os.environ.get("REDIS_URL"):
        assert backend == "django.core.cache.backends.redis.RedisCache"
    else:
        assert backend == "django.core.cache.backends.db.DatabaseCache"
    cache.set("cluetrain-test", "shared", 5)
    assert cache.get("cluetrain-test") == "shared"


def test_env_example_lists_every_setting_read() -> None:
    import re

    root = Path(__file__).resolve().parent.parent
    source = (root / "src" / "cluetrain" / "settings.py").read_text()
    read = set(re.findall(r'env\w*\(\s*"([A-Z_]+)"', source))
    example = (root / ".env.example").read_text()
    assert read, "no settings found: the pattern no longer matches settings.py"
    missing = sorted(name for name in read if not re.search(rf"\b{name}=", example))
    assert missing == []


def test_an_empty_key_file_left_by_a_crash_is_replaced(tmp_path: Path) -> None:
    from cluetrain.secrets_store import read_or_create

    path = tmp_path / "secret_key"
    path.write_text("")
    value = read_or_create(path, lambda: "fresh-value")
    assert value == "fresh-value"
    assert path.read_text().strip() == "fresh-value"
    assert read_or_create(path, lambda: "other") == "fresh-value"
