"""Runbooks' Slack and Teams webhook addresses encrypted at rest; incidents keep how paging went.

A Slack or Teams incoming webhook's address is its secret. The addresses stored in clear are
encrypted with the primary key (``CLUETRAIN_ENCRYPTION_KEYS``), then the plain columns go.
Migrating back decrypts them into plain columns again.
"""

from django.db import migrations, models

CHANNELS = ("slack", "teams")


def encrypt(apps, schema_editor):
    from cluetrain.core import crypto

    Runbook = apps.get_model("crisis", "Runbook")
    for runbook in Runbook.objects.all().iterator():
        changed = {}
        for channel in CHANNELS:
            address = getattr(runbook, f"{channel}_webhook_url").strip()
            if address:
                changed[f"{channel}_webhook_ciphertext"] = crypto.encrypt_json({"url": address})
        if changed:
            Runbook.objects.filter(pk=runbook.pk).update(**changed)


def decrypt(apps, schema_editor):
    from cluetrain.core import crypto

    Runbook = apps.get_model("crisis", "Runbook")
    for runbook in Runbook.objects.all().iterator():
        changed = {}
        for channel in CHANNELS:
            token = getattr(runbook, f"{channel}_webhook_ciphertext")
            if token:
                changed[f"{channel}_webhook_url"] = crypto.decrypt_json(token).get("url", "")
        if changed:
            Runbook.objects.filter(pk=runbook.pk).update(**changed)


class Migration(migrations.Migration):
    dependencies = [
        ("crisis", "0002_status_update_posts"),
    ]

    operations = [
        migrations.AddField(
            model_name="runbook",
            name="slack_webhook_ciphertext",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="runbook",
            name="teams_webhook_ciphertext",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="incident",
            name="paged",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.RunPython(encrypt, decrypt),
        migrations.RemoveField(
            model_name="runbook",
            name="slack_webhook_url",
        ),
        migrations.RemoveField(
            model_name="runbook",
            name="teams_webhook_url",
        ),
    ]
