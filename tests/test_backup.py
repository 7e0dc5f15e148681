"""cluetrain backup and restore: one consistent archive, brought back on a fresh installation.

The round trip restores into a real fresh installation: a ``cluetrain restore`` process with
its own data folder and its own empty database (SQLite file or PostgreSQL database), which is
then described by another process and compared with the original, model by model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, connections
from PIL import Image

from cluetrain.backups.archive import unpack
from cluetrain.backups.database import check_sqlite_file
from cluetrain.backups.services import do_backup
from cluetrain.core.demo import load_demo
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.publishing.models import Post, PostMedia
from cluetrain.voices.models import Voice

ROOT = Path(__file__).resolve().parent.parent
# Run by the fresh installation once restored: what it holds, then a second restore of the
# same archive, which must be refused (one process for both: start-up is the slow part).
DESCRIBE_THEN_RESTORE_AGAIN = """
import json
from django.core.management import CommandError, call_command
from tests.test_backup import describe
described = describe()
try:
    call_command("restore", {archive!r})
except CommandError as exc:
    described["restore_again"] = str(exc)
print(json.dumps(described))
"""


def describe() -> dict[str, Any]:
    """What an installation holds: rows of every model, a sample of contents, media files."""
    models = sorted(apps.get_models(), key=lambda m: m._meta.label)
    counts = {model._meta.label: model._default_manager.count() for model in models}
    media = {}
    for item in PostMedia.objects.order_by("pk"):
        with default_storage.open(item.file.name, "rb") as handle:
            media[item.file.name] = hashlib.sha256(handle.read()).hexdigest()
    return {
        "counts": counts,
        "people": sorted(Person.objects.values_list("email", "full_name")),
        "organizations": sorted(Organization.objects.values_list("slug", "name", "time_zone")),
        "voices": sorted(Voice.objects.values_list("handle", "kind", "status", "owner__email")),
        "posts": sorted(
            [text, status, str(scheduled)]
            for text, status, scheduled in Post.objects.values_list(
                "text", "status", "scheduled_at"
            )
        ),
        "credentials": sorted(
            json.dumps(voice.get_credential(), sort_keys=True)
            for voice in Voice.objects.exclude(credential_ciphertext="")
        ),
        "media": media,
    }


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def fresh_install(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a fresh installation with this one's encryption keys."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLUETRAIN_", "DATABASE_", "REDIS_"))
    }
    env["CLUETRAIN_DATA_DIR"] = str(tmp_path / "fresh")
    env["CLUETRAIN_ENCRYPTION_KEYS"] = ",".join(settings.ENCRYPTION_KEYS)
    env["CLUETRAIN_LOG_LEVEL"] = "warning"
    if connection.vendor != "postgresql":
        yield env
        return
    name = f"{connection.settings_dict['NAME']}_fresh_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    source = urlsplit(os.environ["DATABASE_URL"])
    env["DATABASE_URL"] = urlunsplit(source._replace(path=f"/{name}"))
    try:
        yield env
    finally:
        connections.close_all()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cluetrain(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cluetrain", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def add_media_and_a_credential(organization: Organization) -> None:
    post = Post.objects.filter(organization=organization).order_by("pk").first()
    assert post is not None
    data = png()
    name = default_storage.save(
        f"posts/{organization.pk}/{uuid.uuid4().hex}.png", ContentFile(data)
    )
    PostMedia.objects.create(
        post=post,
        file=name,
        alt_text="A red square",
        content_type="image/png",
        size=len(data),
        width=8,
        height=6,
    )
    voice = Voice.objects.filter(organization=organization).order_by("pk").first()
    assert voice is not None
    voice.set_credential({"app_password": "abcd-efgh-ijkl-mnop", "handle": "dana.test"})
    voice.save(update_fields=["credential_ciphertext"])


def test_the_demo_organisation_comes_back_on_a_fresh_installation_with_nothing_lost(
    transactional_db: None, media_root: Path, fresh_install: dict[str, str], tmp_path: Path
) -> None:
    add_media_and_a_credential(load_demo())
    before = describe()
    archive = tmp_path / "acme.tar.gz"

    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "1 media files" in out.getvalue()
    assert "encryption keys" in out.getvalue()

    restored = cluetrain(fresh_install, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "1 media files" in restored.stdout
    code = DESCRIBE_THEN_RESTORE_AGAIN.format(archive=str(archive))
    after = cluetrain(fresh_install, "shell", "-c", code)
    assert after.returncode == 0, after.stderr
    described = json.loads(after.stdout.strip().splitlines()[-1])

    # The restore adds its own event to each organisation's audit log, after the restore.
    organizations = before["counts"]["organizations.Organization"]
    restored_events = described["counts"].pop("core.AuditEvent")
    assert restored_events == before["counts"].pop("core.AuditEvent") + organizations
    assert described["counts"] == before["counts"]
    assert before["counts"]["organizations.Person"] >= 12
    assert before["counts"]["publishing.Post"] > 0
    for key in ("people", "organizations", "voices", "posts", "credentials", "media"):
        assert described[key] == json.loads(json.dumps(before[key])), key
    assert len(described["media"]) == 1
    assert "dana.test" in described["credentials"][0]

    assert "--force" in described["restore_again"]


WRITER_PREFIX = "written-during-backup-"


def write_until(stop: threading.Event, written: list[int]) -> None:
    """Organisations with a department each, one transaction per pair, as fast as it can."""
    from django.db import transaction

    try:
        n = 0
        while not stop.is_set():
            with transaction.atomic():
                organization = Organization.objects.create(
                    name=f"Writer {n}", slug=f"{WRITER_PREFIX}{n}"
                )
                Department.objects.create(organization=organization, name="Desk", slug="desk")
            n += 1
            written.append(n)
    finally:
        connections.close_all()


def test_a_backup_taken_while_people_write_is_one_consistent_instant(
    transactional_db: None, media_root: Path, tmp_path: Path
) -> None:
    from cluetrain.backups.services import do_restore

    stop, written = threading.Event(), list[int]()
    base_orgs = Organization.objects.count()
    base_departments = Department.objects.count()
    writer = threading.Thread(target=write_until, args=(stop, written))
    writer.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        started_at = len(written)
        result = do_backup(tmp_path / "busy.tar.gz")
        ended_at = len(written)
    finally:
        stop.set()
        writer.join()
    assert ended_at > started_at, "the writer must have written during the backup"

    unpacked = unpack(result.path, tmp_path / "unpacked")
    tables = unpacked.manifest["database"]["tables"]
    in_snapshot = tables["organizations_organization"] - base_orgs
    # Every pair was written in one transaction: a torn copy would hold an unequal number.
    assert tables["organizations_department"] - base_departments == in_snapshot
    assert started_at <= in_snapshot <= ended_at
    if connection.vendor == "sqlite":
        check_sqlite_file(unpacked.database_file)  # integrity and foreign keys

    # The archive brings back exactly the pairs of that instant. Restored here, in this
    # process: the round trip into a fresh installation's own process is the demo's test.
    Organization.objects.create(name="After the backup", slug=f"{WRITER_PREFIX}after")
    do_restore(result.path, force=True)
    writers = Organization.objects.filter(slug__startswith=WRITER_PREFIX)
    assert writers.count() == in_snapshot
    assert Department.objects.filter(organization__in=writers).count() == in_snapshot
    assert not writers.filter(slug=f"{WRITER_PREFIX}after").exists()


def test_restore_with_force_replaces_a_database_in_use(
    transactional_db: None, media_root: Path, tmp_path: Path
) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from cluetrain.backups.services import do_restore

    Organization.objects.create(name="Kept", slug="kept")
    default_storage.save("posts/kept.png", ContentFile(b"kept image"))
    archive = do_backup(tmp_path / "kept.tar.gz").path
    Organization.objects.create(name="Later", slug="later")
    default_storage.save("posts/later.png", ContentFile(b"uploaded after the backup"))
    default_storage.delete("posts/kept.png")

    result = do_restore(archive, force=True)

    assert result.rows > 0
    assert Organization.objects.filter(slug="kept").exists()
    assert not Organization.objects.filter(slug="later").exists()
    # The media are the archive's too: the deleted file is back, the newer one is gone.
    assert default_storage.open("posts/kept.png").read() == b"kept image"
    assert not default_storage.exists("posts/later.png")
    assert (result.media_files, result.media_removed) == (1, 1)
