"""Database triggers that keep the voice rules true even for writes that bypass the ORM.

* a voice's owner and kind never change: a personal voice cannot be handed over,
  and no voice turns from official into personal or back;
* only official voices have a list of people who may post.

Installed after every ``migrate`` (SQLite drops a table's triggers when a
migration rebuilds the table, so installing once in a migration is not enough).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

MESSAGE_OWNER = "a voice's owner and kind cannot change"
MESSAGE_ACCESS = "only official voices have a list of people who may post"

# The f-strings below interpolate only the module's own constant messages.
SQLITE = [
    f"""
    CREATE TRIGGER IF NOT EXISTS voices_voice_owner_fixed
    BEFORE UPDATE OF owner_id, kind ON voices_voice
    FOR EACH ROW WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.kind IS NOT NEW.kind
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_OWNER.replace("'", "''")}'); END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS voices_access_official_only
    BEFORE INSERT ON voices_voiceaccess
    FOR EACH ROW WHEN (SELECT kind FROM voices_voice WHERE id = NEW.voice_id) != 'official'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE_ACCESS}'); END
    """,
]

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION voices_voice_owner_fixed() RETURNS trigger AS $$
    BEGIN
        IF NEW.owner_id IS DISTINCT FROM OLD.owner_id OR NEW.kind IS DISTINCT FROM OLD.kind THEN
            RAISE EXCEPTION '{MESSAGE_OWNER.replace("'", "''")}'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS voices_voice_owner_fixed ON voices_voice",
    """
    CREATE TRIGGER voices_voice_owner_fixed BEFORE UPDATE ON voices_voice
    FOR EACH ROW EXECUTE FUNCTION voices_voice_owner_fixed()
    """,
    f"""
    CREATE OR REPLACE FUNCTION voices_access_official_only() RETURNS trigger AS $$
    BEGIN
        IF (SELECT kind FROM voices_voice WHERE id = NEW.voice_id) <> 'official' THEN
            RAISE EXCEPTION '{MESSAGE_ACCESS}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS voices_access_official_only ON voices_voiceaccess",
    """
    CREATE TRIGGER voices_access_official_only BEFORE INSERT OR UPDATE ON voices_voiceaccess
    FOR EACH ROW EXECUTE FUNCTION voices_access_official_only()
    """,
]


def install(connection: BaseDatabaseWrapper) -> None:
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install_after_migrate(using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    connection = connections[using]
    if "voices_voice" in connection.introspection.table_names():
        install(connection)
