"""A runbook's Slack and Teams webhook addresses are secrets: encrypted at rest, re-encrypted by
``cluetrain rotate_keys``, and never shown whole on the runbook page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cluetrain.core import crypto
from cluetrain.crisis.models import Runbook
from tests.conftest import Cast

SLACK = "https://hooks.slack.com/services/T0001/B0002/s3cretTokenXYZw"
TEAMS = "https://acme.webhook.office.com/webhookb2/abc/IncomingWebhook/t0k3n/Q7rZ"


@pytest.fixture(autouse=True)
def _public_addresses(settings: Any) -> None:
    # The test hosts are not resolved: the address guard is tested on its own.
    settings.ALLOW_PRIVATE_URLS = True


def save(cast: Cast, **fields: str) -> Any:
    return cast.client(cast.director).post(
        "/crisis/runbook/", {"paged_people": [str(cast.director.pk)], **fields}
    )


def stored_row(runbook: Runbook) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM crisis_runbook WHERE id = %s", [runbook.pk])
        return repr(cursor.fetchone())


def test_a_webhook_address_is_stored_encrypted(cast: Cast) -> None:
    assert save(cast, slack_webhook_url=SLACK, teams_webhook_url=TEAMS).status_code == 302
    book = Runbook.objects.get(organization=cast.acme)
    row = stored_row(book)
    assert "s3cretTokenXYZw" not in row
    assert "hooks.slack.com" not in row
    assert "t0k3n" not in row
    assert (book.webhook("slack"), book.webhook("teams")) == (SLACK, TEAMS)


def test_the_runbook_page_says_a_webhook_is_set_without_showing_it(cast: Cast) -> None:
    save(cast, slack_webhook_url=SLACK)
    page = cast.client(cast.director).get("/crisis/runbook/").content.decode()
    assert "Set — hooks.slack.com, ends …XYZw" in page
    assert "s3cretTokenXYZw" not in page
    assert "/services/T0001" not in page
    assert "Remove the Slack webhook" in page
    assert "Remove the Teams webhook" not in page  # none set


def test_an_address_typed_into_a_refused_form_is_not_sent_back(cast: Cast, settings: Any) -> None:
    save(cast, slack_webhook_url=SLACK)
    settings.ALLOW_PRIVATE_URLS = False
    refused = save(cast, teams_webhook_url="http://10.0.0.7/hook/Pr1vateSecret")
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "private" in page
    assert "Pr1vateSecret" not in page
    assert "s3cretTokenXYZw" not in page


def test_an_empty_field_keeps_the_webhook_a_new_one_replaces_it_and_remove_clears_it(
    cast: Cast,
) -> None:
    save(cast, slack_webhook_url=SLACK, teams_webhook_url=TEAMS)
    save(cast)
    book = Runbook.objects.get(organization=cast.acme)
    assert (book.webhook("slack"), book.webhook("teams")) == (SLACK, TEAMS)
    save(cast, slack_webhook_url=SLACK + "2", clear_teams_webhook="on")
    book.refresh_from_db()
    assert (book.webhook("slack"), book.webhook("teams")) == (SLACK + "2", "")
    assert not book.has_webhook("teams")


def test_rotate_keys_re_encrypts_webhook_addresses(cast: Cast, settings: Any) -> None:
    save(cast, slack_webhook_url=SLACK, teams_webhook_url=TEAMS)
    before = Runbook.objects.get(organization=cast.acme)
    new_key = crypto.Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new_key, *settings.ENCRYPTION_KEYS]
    call_command("rotate_keys", verbosity=0)
    # Only the new key is needed from now on.
    settings.ENCRYPTION_KEYS = [new_key]
    after = Runbook.objects.get(pk=before.pk)
    assert after.slack_webhook_ciphertext != before.slack_webhook_ciphertext
    assert (after.webhook("slack"), after.webhook("teams")) == (SLACK, TEAMS)


def test_a_webhook_under_a_lost_key_is_shown_as_needing_replacement(
    cast: Cast, settings: Any
) -> None:
    save(cast, slack_webhook_url=SLACK)
    settings.ENCRYPTION_KEYS = [crypto.Fernet.generate_key().decode()]
    page = cast.client(cast.director).get("/crisis/runbook/").content.decode()
    assert "cannot be decrypted with the configured keys" in page


def test_the_migration_encrypts_addresses_stored_in_clear_and_back(
    transactional_db: None, cast: Cast
) -> None:
    Runbook.objects.update_or_create(organization=cast.acme)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("crisis", "0002_status_update_posts")])
        old = executor.loader.project_state(("crisis", "0002_status_update_posts")).apps
        old.get_model("crisis", "Runbook").objects.filter(organization_id=cast.acme.pk).update(
            slack_webhook_url=SLACK, teams_webhook_url=""
        )
        executor.loader.build_graph()
        executor.migrate([("crisis", "0003_encrypted_webhooks")])
        book = Runbook.objects.get(organization=cast.acme)
        assert "s3cretTokenXYZw" not in stored_row(book)
        assert (book.webhook("slack"), book.webhook("teams")) == (SLACK, "")

        executor.loader.build_graph()
        executor.migrate([("crisis", "0002_status_update_posts")])
        with connection.cursor() as cursor:
            cursor.execute("SELECT slack_webhook_url FROM crisis_runbook WHERE id = %s", [book.pk])
            assert cursor.fetchone() == (SLACK,)
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
