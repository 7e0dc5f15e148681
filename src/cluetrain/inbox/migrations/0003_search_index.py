"""Full-text search over conversations: FTS5 on SQLite, a GIN index on PostgreSQL.

The SQL lives in cluetrain.inbox.search, which also runs it again after every migrate.
"""

from django.db import migrations


def install(apps, schema_editor):
    from cluetrain.inbox import search

    search.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from cluetrain.inbox import search

    search.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("inbox", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
