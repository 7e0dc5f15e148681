"""Backups: one consistent archive of the database and the media, and restoring it."""
