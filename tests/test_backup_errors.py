"""Restore refuses, before it changes anything, archives it cannot trust or cannot take."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from cluetrain.backups.archive import BackupError
from cluetrain.backups.services import do_backup, do_restore
from cluetrain.organizations.models import Organization
from tests.conftest import Cast


@pytest.fixture(scope="module")
def archive(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    with django_db_blocker.unblock():
        return do_backup(tmp_path_factory.mktemp("backup") / "good.tar.gz").path


def rewrite(
    source: Path,
    target: Path,
    *,
    manifest: Callable[[dict[str, Any]], None] | None = None,
    member: Callable[[str, bytes], bytes] | None = None,
    extra: tuple[str, bytes] | None = None,
) -> Path:
    """A copy of ``source`` with its manifest or a member's bytes changed."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for info in old:
            data = old.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == "manifest.json" and manifest:
                body = json.loads(data)
                manifest(body)
                data = json.dumps(body).encode()
            elif member:
                data = member(info.name, data)
            copy = tarfile.TarInfo(info.name)
            copy.size = len(data)
            new.addfile(copy, io.BytesIO(data))
        if extra:
            copy = tarfile.TarInfo(extra[0])
            copy.size = len(extra[1])
            new.addfile(copy, io.BytesIO(extra[1]))
    return target


def refused(path: Path, **options: Any) -> str:
    with pytest.raises(BackupError) as caught:
        do_restore(path, **options)
    return str(caught.value)


def test_a_truncated_archive_is_refused_as_truncated(
    cast: Cast, archive: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert "truncated or corrupt" in refused(cut, force=True)
    assert Organization.objects.filter(slug="acme").exists()


def test_a_damaged_database_member_fails_its_checksum(
    cast: Cast, archive: Path, tmp_path: Path
) -> None:
    def flip(name: str, data: bytes) -> bytes:
        if not name.startswith("database."):
            return data
        return data[:5000] + bytes([data[5000] ^ 0xFF]) + data[5001:]

    damaged = rewrite(archive, tmp_path / "damaged.tar.gz", member=flip)
    message = refused(damaged, force=True)
    assert "checksum mismatch" in message
    assert "database." in message


def test_garbage_and_foreign_archives_are_refused(cast: Cast, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"this is not an archive at all" * 100)
    assert "truncated or corrupt" in refused(garbage)

    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    assert "no manifest" in refused(foreign)

    assert "no such file" in refused(tmp_path / "missing.tar.gz")


def test_a_member_outside_the_archive_folder_is_refused(
    cast: Cast, archive: Path, tmp_path: Path
) -> None:
    evil = rewrite(archive, tmp_path / "evil.tar.gz", extra=("../../escaped.txt", b"x"))
    assert "unsafe path" in refused(evil, force=True)
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_a_member_the_manifest_does_not_list_is_refused(
    cast: Cast, archive: Path, tmp_path: Path
) -> None:
    padded = rewrite(archive, tmp_path / "padded.tar.gz", extra=("media/posts/1/x.png", b"x"))
    assert "not in the manifest" in refused(padded, force=True)


def test_an_archive_from_a_newer_cluetrain_is_refused(
    cast: Cast, archive: Path, tmp_path: Path
) -> None:
    def newer(manifest: dict[str, Any]) -> None:
        manifest["migrations"]["publishing"].append("9999_from_the_future")

    message = refused(rewrite(archive, tmp_path / "newer.tar.gz", manifest=newer), force=True)
    assert "newer Cluetrain" in message
    assert "publishing.9999_from_the_future" in message


def test_an_archive_of_another_kind_of_database_is_refused(
    cast: Cast, archive: Path, tmp_path: Path
) -> None:
    def other(manifest: dict[str, Any]) -> None:
        vendor = manifest["database"]["vendor"]
        manifest["database"]["vendor"] = "postgresql" if vendor == "sqlite" else "sqlite"

    message = refused(rewrite(archive, tmp_path / "other.tar.gz", manifest=other), force=True)
    assert "same kind of database" in message


def test_keys_that_cannot_read_the_credentials_are_refused(
    cast: Cast, archive: Path, settings: Any
) -> None:
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    message = refused(archive, force=True)
    assert "CLUETRAIN_ENCRYPTION_KEYS" in message
    assert "--ignore-key-mismatch" in message


def test_a_database_in_use_is_not_replaced_without_force(cast: Cast, archive: Path) -> None:
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(archive))
    assert Organization.objects.filter(slug="acme").exists()


def test_check_verifies_an_archive_without_changing_anything(
    cast: Cast, archive: Path, tmp_path: Path
) -> None:
    out = io.StringIO()
    call_command("restore", str(archive), "--check", stdout=out)
    assert "complete, checksums match" in out.getvalue()

    copy = shutil.copy(archive, tmp_path / "copy.tar.gz")
    Path(copy).write_bytes(Path(copy).read_bytes()[:-200])
    with pytest.raises(CommandError, match="truncated or corrupt"):
        call_command("restore", str(copy), "--check")


def test_backup_refuses_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such folder"):
        call_command("backup", str(tmp_path / "nowhere" / "b.tar.gz"))


def test_the_archive_is_readable_by_its_owner_only(archive: Path) -> None:
    # It holds password hashes and the encrypted credentials.
    assert archive.stat().st_mode & 0o777 == 0o600
