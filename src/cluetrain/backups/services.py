"""``do_backup`` and ``do_restore``: the archive of one installation, and bringing it back.

A backup is one gzipped tar: the database snapshot (see ``database``), every media file of
the default storage (local folder or S3-compatible bucket), and a manifest with the versions,
the applied migrations, the row count of every table in the snapshot and the checksum of every
member. The database is copied first and the media after it, so every file a row of the
snapshot names is there unless it was deleted in between (those are listed as missing).

Credentials inside the database stay encrypted with the installation's Fernet keys, which
are NOT in the archive: keep ``CLUETRAIN_ENCRYPTION_KEYS`` (or the data folder's
``encryption_key`` file) somewhere else, safely. The manifest carries a token encrypted with
the primary key, so a restore can tell at once whether the keys it has can read them.
"""

from __future__ import annotations

import os
import platform
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import django
from cryptography.fernet import InvalidToken
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.core.management import call_command
from django.db import connections

import cluetrain
from cluetrain.backups import database
from cluetrain.backups.archive import (
    FORMAT,
    FORMAT_VERSION,
    MEDIA_PREFIX,
    ArchiveWriter,
    BackupError,
    UnpackedArchive,
    unpack,
)
from cluetrain.core import audit
from cluetrain.core.crypto import fernet

KEY_CHECK = b"cluetrain backup: the credentials in this archive need this key"
KEEP_KEYS_NOTE = (
    "Credentials are encrypted with the installation's encryption keys, which are not in this "
    "archive: keep CLUETRAIN_ENCRYPTION_KEYS (or DATA_DIR/encryption_key) safely elsewhere."
)


@dataclass
class BackupResult:
    path: Path
    size: int
    tables: int
    rows: int
    media_files: int
    missing_media: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    tables: int
    rows: int
    media_files: int
    migrated: bool
    media_removed: int
    manifest: dict[str, Any]


def default_archive_name(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return f"cluetrain-backup-{moment:%Y%m%d-%H%M%S}.tar.gz"


def _media_names(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return  # no media stored yet
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from _media_names(storage, f"{folder}/{sub}" if folder else sub)


def _referenced_media(snapshot: database.Snapshot) -> set[str]:
    """Media names the snapshot's rows refer to (only on SQLite, where the copy is a file)."""
    if snapshot.vendor != "sqlite" or "publishing_postmedia" not in snapshot.tables:
        return set()
    import sqlite3

    db = sqlite3.connect(snapshot.path)
    try:
        return {row[0] for row in db.execute("SELECT file FROM publishing_postmedia")}
    finally:
        db.close()


def do_backup(path: Path, *, using: str = "default") -> BackupResult:
    """Write one consistent archive of the database ``using`` and the media to ``path``.

    Safe while web servers, workers and listeners run: nothing is locked for writers. The
    archive is written beside ``path`` and renamed into place only once complete.
    """
    settings_dict = connections[using].settings_dict
    vendor = connections[using].vendor
    path = path.resolve()
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="cluetrain-backup-") as work:
        if vendor == "sqlite":
            snapshot = database.snapshot_sqlite(settings_dict, Path(work) / "database.sqlite3")
        elif vendor == "postgresql":
            snapshot = database.snapshot_postgresql(settings_dict, Path(work) / "database.pgdump")
        else:  # settings refuse other engines; kept for a clear message all the same
            raise BackupError(f"cannot back up a {vendor} database")
        media = 0
        try:
            # Readable by its owner only: it holds password hashes and encrypted credentials.
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with (
                os.fdopen(descriptor, "wb") as out,
                tarfile.open(fileobj=out, mode="w:gz", compresslevel=6) as tar,
            ):
                writer = ArchiveWriter(tar)
                writer.add_path(snapshot.path.name, snapshot.path)
                stored = set()
                for name in _media_names(default_storage):
                    with default_storage.open(name, "rb") as source:
                        writer.add_file(MEDIA_PREFIX + name, source, default_storage.size(name))
                    stored.add(name)
                    media += 1
                missing = sorted(_referenced_media(snapshot) - stored)
                writer.add_manifest(_manifest(snapshot, media, missing))
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    result = BackupResult(
        path=path,
        size=path.stat().st_size,
        tables=len(snapshot.tables),
        rows=sum(snapshot.tables.values()),
        media_files=media,
        missing_media=missing,
    )
    # After the snapshot, so only a backup that was written is recorded (the archive itself
    # does not hold its own event). Every organisation's leads learn their data was copied.
    audit.record_everywhere(
        "installation.backed_up",
        path.name,
        using=using,
        archive=str(path),
        size=result.size,
        rows=result.rows,
        media_files=media,
    )
    return result


def _manifest(snapshot: database.Snapshot, media: int, missing: list[str]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(),
        "cluetrain_version": cluetrain.__version__,
        "django_version": django.get_version(),
        "python_version": platform.python_version(),
        "database": {
            "vendor": snapshot.vendor,
            "server_version": snapshot.server_version,
            "file": snapshot.path.name,
            "tables": snapshot.tables,
        },
        "migrations": snapshot.migrations,
        "media": {"files": media, "missing": missing},
        "key_check": fernet().encrypt(KEY_CHECK).decode("ascii"),
        "note": KEEP_KEYS_NOTE,
    }


def check_archive(unpacked: UnpackedArchive, *, using: str = "default") -> list[str]:
    """Reasons this installation cannot take the archive (empty when it can)."""
    manifest = unpacked.manifest
    problems = []
    vendor = connections[using].vendor
    if manifest["database"].get("vendor") != vendor:
        problems.append(
            f"the archive holds a {manifest['database'].get('vendor')} database and this "
            f"installation runs on {vendor}; restore it on the same kind of database"
        )
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        problems.append(
            "the archive was made by a newer Cluetrain (migrations this one does not have: "
            f"{', '.join(unknown[:5])}); upgrade this installation first"
        )
    return problems


def keys_can_read(unpacked: UnpackedArchive) -> bool:
    try:
        fernet().decrypt(str(unpacked.manifest["key_check"]).encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def database_in_use(using: str = "default") -> bool:
    settings_dict = connections[using].settings_dict
    if connections[using].vendor == "sqlite":
        return database.sqlite_in_use(settings_dict)
    return database.postgresql_in_use(settings_dict)


def do_restore(
    archive: Path,
    *,
    force: bool = False,
    ignore_key_mismatch: bool = False,
    using: str = "default",
) -> RestoreResult:
    """Bring back the database and media of ``archive`` on this installation.

    Refuses, before changing anything, an archive that is truncated, altered, for another kind
    of database or from a newer Cluetrain; a database that already holds organisations or
    people unless ``force``; and keys that cannot read the archive's credentials unless
    ``ignore_key_mismatch``. Run it with the web servers, workers and listeners stopped.
    """
    with tempfile.TemporaryDirectory(prefix="cluetrain-restore-") as work:
        unpacked = unpack(archive, Path(work))
        problems = check_archive(unpacked, using=using)
        if problems:
            raise BackupError("; ".join(problems))
        if not ignore_key_mismatch and not keys_can_read(unpacked):
            raise BackupError(
                "this installation's encryption keys cannot read the credentials in the archive: "
                "set CLUETRAIN_ENCRYPTION_KEYS (or copy DATA_DIR/encryption_key) from the old "
                "installation and restore again, or pass --ignore-key-mismatch to restore "
                "anyway (every connected account will then need reconnecting)"
            )
        if not force and database_in_use(using):
            raise BackupError(
                "the database already holds organisations or people; restore into a fresh "
                "installation, or pass --force to replace everything in it"
            )
        connection = connections[using]
        settings_dict = connection.settings_dict
        # The restore replaces the database underneath Django: no connection may stay open.
        connections.close_all()
        if connection.vendor == "sqlite":
            counts = database.restore_sqlite(settings_dict, unpacked.database_file)
        else:
            counts = database.restore_postgresql(settings_dict, unpacked.database_file)
        expected = unpacked.manifest["database"]["tables"]
        differing = sorted(t for t in expected if counts.get(t) != expected[t])
        if differing:
            raise BackupError(
                "the restored database differs from the archive's manifest in "
                + ", ".join(
                    f"{t} ({counts.get(t)} rows, expected {expected[t]})" for t in differing[:5]
                )
            )
        media, removed = _restore_media(unpacked)
        migrated = _migrate_if_behind(unpacked, using)
    # Only now: the restore replaced the whole database, so an event written before it would
    # be gone. Written into the restored database (migrated first, so its table is current).
    audit.record_everywhere(
        "installation.restored",
        archive.name,
        using=using,
        archive=str(archive.resolve()),
        made_at=unpacked.manifest.get("created_at", ""),
        rows=sum(counts.values()),
        media_files=media,
        media_removed=removed,
        forced=force,
        ignored_key_mismatch=ignore_key_mismatch,
    )
    return RestoreResult(
        tables=len(counts),
        rows=sum(counts.values()),
        media_files=media,
        migrated=migrated,
        media_removed=removed,
        manifest=unpacked.manifest,
    )


def _restore_media(unpacked: UnpackedArchive) -> tuple[int, int]:
    """Put the archive's media files in place; (files restored, files removed).

    The storage ends up holding exactly the archive's files: one left over from after the
    backup belongs to a row the restore took away, and would otherwise linger unseen.
    """
    restored: set[str] = set()
    for name, path in unpacked.media_files():
        if default_storage.exists(name):
            default_storage.delete(name)
        with path.open("rb") as source:
            saved = default_storage.save(name, File(source, name=name))
        if saved != name:
            raise BackupError(f"media file {name} was stored as {saved}; check the media storage")
        restored.add(name)
    leftover = [name for name in _media_names(default_storage) if name not in restored]
    for name in leftover:
        default_storage.delete(name)
    return len(restored), len(leftover)


def _migrate_if_behind(unpacked: UnpackedArchive, using: str) -> bool:
    """An archive from an older Cluetrain is brought up to this version's migrations."""
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    applied = {
        (app, name) for app, names in unpacked.manifest["migrations"].items() for name in names
    }
    if known <= applied:
        return False
    call_command("migrate", database=using, interactive=False, verbosity=0)
    return True
