"""The archive's format: a gzipped tar of ``manifest.json``, the database and ``media/``.

The manifest is written last and lists every other member with its size and SHA-256, so a
restore can tell a complete archive from a truncated or altered one before it touches
anything. Members are read into a temporary folder while their checksums are computed.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = "cluetrain-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be written, or an archive cannot be restored; the message says why."""


class _HashingReader(io.RawIOBase):
    """Passes a file's bytes through to ``tarfile`` while hashing them on the way."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


@dataclass
class ArchiveWriter:
    """Adds members to a new archive and remembers their checksums for the manifest."""

    tar: tarfile.TarFile
    members: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_file(self, name: str, source: IO[bytes], size: int, mtime: float = 0) -> None:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(mtime)
        info.mode = 0o600
        reader = _HashingReader(source)
        self.tar.addfile(info, reader)
        if reader.size != size:
            # The file changed size while it was read: the member would not match its header.
            raise BackupError(f"{name} changed while it was being archived; run the backup again")
        self.members[name] = {"size": size, "sha256": reader.digest.hexdigest()}

    def add_path(self, name: str, path: Path) -> None:
        with path.open("rb") as source:
            self.add_file(name, source, path.stat().st_size, path.stat().st_mtime)

    def add_manifest(self, manifest: dict[str, Any]) -> None:
        body = json.dumps({**manifest, "members": self.members}, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        info.mode = 0o600
        self.tar.addfile(info, io.BytesIO(body))


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(
            f"the archive holds an unsafe path {name!r}; it was not made by Cluetrain"
        )
    return path


@dataclass
class UnpackedArchive:
    """An archive read into ``folder`` and checked against its manifest."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def database_file(self) -> Path:
        return self.folder / str(self.manifest["database"]["file"])

    def media_files(self) -> list[tuple[str, Path]]:
        """(storage name, unpacked path) of every media file in the archive."""
        return [
            (name[len(MEDIA_PREFIX) :], self.folder / name)
            for name in sorted(self.manifest["members"])
            if name.startswith(MEDIA_PREFIX)
        ]


def unpack(archive: Path, folder: Path) -> UnpackedArchive:
    """Read every member into ``folder``; raise ``BackupError`` unless all match the manifest."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    seen: dict[str, dict[str, Any]] = {}
    manifest_body: bytes | None = None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                path = _safe_name(member.name)
                if not member.isfile():
                    raise BackupError(f"the archive holds {member.name!r}, which is not a file")
                source = tar.extractfile(member)
                assert source is not None  # a regular file always has contents
                if member.name == MANIFEST:
                    manifest_body = source.read()
                    continue
                target = folder / path
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                seen[member.name] = {"size": member.size, "sha256": digest.hexdigest()}
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(f"{archive}: the archive is truncated or corrupt ({exc})") from exc
    if manifest_body is None:
        raise BackupError(
            f"{archive}: no manifest; the archive is truncated or was not made by cluetrain backup"
        )
    manifest = _read_manifest(archive, manifest_body)
    expected: dict[str, dict[str, Any]] = manifest["members"]
    missing = sorted(set(expected) - set(seen))
    if missing:
        raise BackupError(f"{archive}: missing from the archive: {', '.join(missing[:5])}")
    unexpected = sorted(set(seen) - set(expected))
    if unexpected:
        raise BackupError(f"{archive}: not in the manifest: {', '.join(unexpected[:5])}")
    damaged = sorted(name for name, sums in seen.items() if sums != expected[name])
    if damaged:
        raise BackupError(
            f"{archive}: checksum mismatch (the archive was altered or damaged): "
            + ", ".join(damaged[:5])
        )
    return UnpackedArchive(folder=folder, manifest=manifest)


def _read_manifest(archive: Path, body: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(body)
    except ValueError as exc:
        raise BackupError(f"{archive}: the manifest is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: not a Cluetrain backup (no {FORMAT!r} manifest)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{archive}: archive format {manifest.get('format_version')!r}; this Cluetrain "
            f"reads format {FORMAT_VERSION}"
        )
    for key in ("members", "database", "migrations", "key_check"):
        if key not in manifest:
            raise BackupError(f"{archive}: the manifest has no {key!r}")
    return manifest
