"""The audit log is append-only in the database too, not only in the model.

UPDATE is refused on both databases, except setting the actor to NULL (what deleting a person
does). On PostgreSQL a DELETE is refused as well; TRUNCATE (a restore onto a fresh database,
the test runner's flush) is not a row change and stays possible for the database's owner.
On SQLite a DELETE cannot be refused: Django empties tables with DELETE there (flush), so the
model's refusal is what guards it.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

_CONTENT = ("organization_id", "verb", "target", "data", "created_at", "id")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (NEW.id, NEW.organization_id, NEW.verb, NEW.target, NEW.data::text, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.organization_id, OLD.verb, OLD.target, OLD.data::text, OLD.created_at)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'core_auditevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

_SQLITE_UPDATE = """
CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
WHEN NEW.actor_id IS NOT NULL OR {changed}
BEGIN
    SELECT RAISE(ABORT, 'core_auditevent is append-only: UPDATE refused');
END;
""".format(changed=" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _CONTENT))


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_PG_FUNCTION, params=None)
        schema_editor.execute(
            "CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE "
            "ON core_auditevent FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only()"
        )
    elif vendor == "sqlite":
        schema_editor.execute(_SQLITE_UPDATE)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS core_auditevent_append_only()")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
