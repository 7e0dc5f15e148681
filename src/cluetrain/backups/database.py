"""Consistent snapshots of the database, and putting one back.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page in one step,
inside one read transaction, so the copy is the database as of one instant while the product
keeps writing (WAL readers never block the writer).

PostgreSQL: ``pg_dump`` in its custom format, run on a snapshot exported from a REPEATABLE
READ transaction that also reads the migration state and every table's row count, so the
manifest describes exactly what the dump holds. pg_dump rather than Django's serialisers
because it is the database's own consistent copy with everything in it: the triggers and
check constraints that guard voices, indexes, the search columns, identity sequences, and
tables no model describes; it streams from the server instead of holding every row in
Python; and ``pg_restore`` puts it back in one transaction. It needs the PostgreSQL client
programs (Debian: ``postgresql-client``) of the server's major version or newer.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluetrain.backups.archive import BackupError

# The rows that make a database "in use": restoring over them needs --force.
CONTENT_TABLES = ("organizations_organization", "organizations_person")


@dataclass
class Snapshot:
    """A database copy in a file, with what the manifest says about it."""

    path: Path
    vendor: str
    tables: dict[str, int]
    migrations: dict[str, list[str]]
    server_version: str


def _migrations(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(rows):
        applied.setdefault(app, []).append(name)
    return applied


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_tables(db: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
    ]
    # Names come from sqlite_master itself, quoted as identifiers.
    return {
        name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
        for name in names
    }


def check_sqlite_file(path: Path) -> None:
    """Raise ``BackupError`` unless ``path`` passes SQLite's integrity and foreign-key checks."""
    db = sqlite3.connect(path)
    try:
        problems = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
        if problems != ["ok"]:
            raise BackupError(f"the database fails SQLite's integrity check: {problems[:3]}")
        orphans = db.execute("PRAGMA foreign_key_check").fetchall()
        if orphans:
            raise BackupError(f"the database has {len(orphans)} rows with broken references")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the database file is damaged: {exc}") from exc
    finally:
        db.close()


def snapshot_sqlite(settings_dict: dict[str, Any], target: Path) -> Snapshot:
    source = sqlite3.connect(str(settings_dict["NAME"]), timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, one instant
        tables = _sqlite_tables(copy)
        rows = copy.execute("SELECT app, name FROM django_migrations").fetchall()
        version = sqlite3.sqlite_version
    finally:
        copy.close()
        source.close()
    check_sqlite_file(target)
    return Snapshot(target, "sqlite", tables, _migrations(rows), version)


def sqlite_in_use(settings_dict: dict[str, Any]) -> bool:
    path = Path(str(settings_dict["NAME"]))
    if not path.exists():
        return False
    db = sqlite3.connect(path)
    try:
        present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return any(
            db.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()  # noqa: S608
            for table in CONTENT_TABLES
            if table in present
        )
    finally:
        db.close()


def restore_sqlite(settings_dict: dict[str, Any], snapshot: Path) -> dict[str, int]:
    """Copy ``snapshot`` over the configured database (under its lock); return row counts."""
    path = Path(str(settings_dict["NAME"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(snapshot)
    target = sqlite3.connect(path, timeout=30)
    try:
        source.backup(target)
        tables = _sqlite_tables(target)
    finally:
        target.close()
        source.close()
    check_sqlite_file(path)
    return tables


# --- PostgreSQL --------------------------------------------------------------------------------


def _pg_conninfo(settings_dict: dict[str, Any], *, with_password: bool) -> str:
    from psycopg.conninfo import make_conninfo

    options = settings_dict.get("OPTIONS") or {}
    params = {
        "dbname": settings_dict.get("NAME") or "",
        "host": settings_dict.get("HOST") or "",
        "port": str(settings_dict.get("PORT") or ""),
        "user": settings_dict.get("USER") or "",
        "sslmode": options.get("sslmode", ""),
    }
    if with_password:
        params["password"] = settings_dict.get("PASSWORD") or ""
    return make_conninfo(**{key: value for key, value in params.items() if value})


def _pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    # The password goes through the environment, never the command line (visible in ps).
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return env


def _pg_program(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client programs of your server's "
            "version (Debian and Ubuntu: apt install postgresql-client)"
        )
    return found


def _pg_tables(cursor: Any) -> dict[str, int]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    names = [row[0] for row in cursor.fetchall()]
    counts = {}
    for name in names:
        cursor.execute(f'SELECT count(*) FROM "{name}"')  # noqa: S608 - names from pg_tables
        counts[name] = cursor.fetchone()[0]
    return counts


def snapshot_postgresql(settings_dict: dict[str, Any], target: Path) -> Snapshot:
    import psycopg

    pg_dump = _pg_program("pg_dump")
    with psycopg.connect(_pg_conninfo(settings_dict, with_password=True)) as db:
        db.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        db.read_only = True
        with db.cursor() as cursor:
            # The transaction stays open until pg_dump has read the exported snapshot, so the
            # counts, the migration state and the dump all see the same instant.
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot_id, server_version = cursor.fetchone()  # type: ignore[misc]
            tables = _pg_tables(cursor)
            cursor.execute("SELECT app, name FROM django_migrations")
            rows = cursor.fetchall()
            result = subprocess.run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot_id}",
                    f"--file={target}",
                    f"--dbname={_pg_conninfo(settings_dict, with_password=False)}",
                ],
                env=_pg_env(settings_dict),
                capture_output=True,
                text=True,
                check=False,
            )
        db.rollback()
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[-800:]}")
    return Snapshot(target, "postgresql", tables, _migrations(rows), str(server_version))


def postgresql_in_use(settings_dict: dict[str, Any]) -> bool:
    import psycopg

    with (
        psycopg.connect(_pg_conninfo(settings_dict, with_password=True)) as db,
        db.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename = ANY(%s)",
            [list(CONTENT_TABLES)],
        )
        present = [row[0] for row in cursor.fetchall()]
        for table in present:
            cursor.execute(f'SELECT 1 FROM "{table}" LIMIT 1')  # noqa: S608
            if cursor.fetchone():
                return True
    return False


def restore_postgresql(settings_dict: dict[str, Any], dump: Path) -> dict[str, int]:
    """Replace every table of the configured schema with the dump's; return row counts."""
    import psycopg

    pg_restore = _pg_program("pg_restore")
    with psycopg.connect(_pg_conninfo(settings_dict, with_password=True)) as db:
        with db.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = [row[0] for row in cursor.fetchall()]
            if tables:
                # Tables a fresh install migrated (and any the dump lacks) go, with what
                # refers to them, so the dump's own definitions are the only ones left.
                quoted = ", ".join(f'"{name}"' for name in tables)
                cursor.execute(f"DROP TABLE IF EXISTS {quoted} CASCADE")
        db.commit()
    result = subprocess.run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={_pg_conninfo(settings_dict, with_password=False)}",
            str(dump),
        ],
        env=_pg_env(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            "pg_restore failed (the database's tables were dropped; restore again once the "
            f"cause is fixed): {result.stderr.strip()[-800:]}"
        )
    with psycopg.connect(_pg_conninfo(settings_dict, with_password=True)) as db:
        with db.cursor() as cursor:
            counts = _pg_tables(cursor)
        db.rollback()
    return counts
