from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.backups.archive import BackupError, unpack
from cluetrain.backups.services import check_archive, do_restore, keys_can_read


class Command(BaseCommand):
    help = "Restore an archive written by cluetrain backup (on a fresh installation)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the archive written by cluetrain backup")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds organisations or people",
        )
        parser.add_argument(
            "--ignore-key-mismatch",
            action="store_true",
            help="restore even though the encryption keys cannot read the archive's credentials",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="only verify the archive (checksums, versions, keys); change nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        archive = Path(options["file"])
        try:
            if options["check"]:
                self._check(archive)
                return
            result = do_restore(
                archive,
                force=options["force"],
                ignore_key_mismatch=options["ignore_key_mismatch"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        made = result.manifest["created_at"]
        removed = result.media_removed
        self.stdout.write(
            f"Restored the backup of {made}: {result.tables} tables, {result.rows} rows, "
            f"{result.media_files} media files"
            + (f", {removed} later media files removed" if removed else "")
            + (" (then migrated to this version)." if result.migrated else ".")
        )

    def _check(self, archive: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="cluetrain-check-") as work:
            unpacked = unpack(archive, Path(work))
            problems = check_archive(unpacked)
            if not keys_can_read(unpacked):
                problems.append("this installation's encryption keys cannot read its credentials")
            manifest = unpacked.manifest
            rows = sum(manifest["database"]["tables"].values())
            self.stdout.write(
                f"{archive}: complete, checksums match; made {manifest['created_at']} by "
                f"Cluetrain {manifest['cluetrain_version']} on {manifest['database']['vendor']}, "
                f"{rows} rows, {manifest['media']['files']} media files."
            )
            if problems:
                raise BackupError("; ".join(problems))
