from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.backups.archive import BackupError
from cluetrain.backups.services import KEEP_KEYS_NOTE, default_archive_name, do_backup


class Command(BaseCommand):
    help = "Write one consistent archive of the database and media (safe while Cluetrain runs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            nargs="?",
            help="where to write the archive (default: cluetrain-backup-<UTC time>.tar.gz here)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"] or default_archive_name())
        if path.is_dir():
            path = path / default_archive_name()
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent}: no such folder")
        try:
            result = do_backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Wrote {result.path} ({result.size / 1e6:.1f} MB): {result.tables} tables, "
            f"{result.rows} rows, {result.media_files} media files."
        )
        if result.missing_media:
            self.stderr.write(
                f"{len(result.missing_media)} media file(s) named in the database were not in "
                f"the media storage: {', '.join(result.missing_media[:5])}"
            )
        self.stdout.write(KEEP_KEYS_NOTE)
