"""Posts pass the organisation's guidelines on the way out: blocked, overridden, kept."""

from __future__ import annotations

import pytest

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.core.models import AuditEvent
from cluetrain.guidelines.services import do_import_yaml
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import Post, PostStatus
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post
from tests.conftest import Cast
from tests.support.guidelines import FALCON_AND_Q3

RULES = FALCON_AND_Q3


@pytest.fixture
def rules(cast: Cast) -> None:
    do_import_yaml(cast.director, cast.acme, RULES)


def test_a_blocking_finding_stops_the_post_with_the_reason(cast: Cast, rules: None) -> None:
    with pytest.raises(ServiceError, match=r"Cannot be published.*Falcon is unannounced") as caught:
        do_create_post(
            cast.mentor,
            cast.acme,
            Draft(text="Sneak peek: Pr0ject F-a-l-c-o-n lands soon", voices=[cast.care_voice]),
            Schedule(When.NOW),
        )
    assert caught.value.code == "blocked"
    assert not Post.objects.exists()


def test_a_variant_is_checked_too(cast: Cast, rules: None) -> None:
    with pytest.raises(ServiceError, match="Cannot be published"):
        do_create_post(
            cast.mentor,
            cast.acme,
            Draft(
                text="All fine here",
                voices=[cast.care_voice],
                variants={"practice": "But Project Falcon here"},
            ),
        )


def test_only_a_director_overrides_a_block_and_it_is_audited(cast: Cast, rules: None) -> None:
    draft = Draft(
        text="Project Falcon is announced today!",
        voices=[cast.care_voice],
        override_reason="Announced at the press conference this morning.",
    )
    with pytest.raises(NotAllowed, match="Only a director"):
        do_create_post(cast.mentor, cast.acme, draft, Schedule(When.NOW))
    cast.care_voice.access.create(person=cast.director)
    post = do_create_post(cast.director, cast.acme, draft, Schedule(When.NOW))
    assert post.check_verdict == "block"
    assert post.override_reason.startswith("Announced")
    event = AuditEvent.objects.get(verb="guidelines.override")
    assert event.actor == cast.director
    assert "press conference" in event.data["reason"]


def test_the_verdict_findings_and_rules_version_are_kept_with_the_post(
    cast: Cast, rules: None
) -> None:
    post = do_create_post(
        cast.mentor,
        cast.acme,
        Draft(text="Our Q3 revenue call is on Monday", voices=[cast.care_voice]),
        Schedule(When.NOW),
    )
    assert post.check_verdict == "review"
    assert post.check_version.startswith(f"{cast.acme.slug}@")
    [finding] = post.findings
    assert finding["rule"] == "q3-numbers"
    assert finding["match"] == "Q3 revenue"
    assert post.status in (PostStatus.SCHEDULED, PostStatus.REVIEW)


def test_default_detectors_run_without_organisation_rules(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="Cannot be published"):
        do_create_post(
            cast.member,
            cast.acme,
            Draft(text="My card is 4111 1111 1111 1111, thanks", voices=[cast.member_voice]),
        )


def test_a_director_overrides_from_the_composer_and_others_are_not_offered_it(
    cast: Cast, rules: None
) -> None:
    cast.care_voice.access.create(person=cast.director)
    assert (
        "Override a blocking finding"
        not in cast.client(cast.mentor).get("/publish/").content.decode()
    )
    client = cast.client(cast.director)
    assert "Override a blocking finding" in client.get("/publish/").content.decode()
    form = {
        "text": "Project Falcon is out today",
        "voice": [cast.care_voice.pk],
        "when": "now",
        "category": "announcement",
    }
    refused = client.post("/publish/", form)
    assert refused.status_code == 200
    assert "Cannot be published" in refused.content.decode()
    assert not Post.objects.exists()
    client.post("/publish/", {**form, "override_reason": "Announced on stage at 9:00."})
    post = Post.objects.get()
    assert post.override_reason == "Announced on stage at 9:00."


def test_the_api_takes_a_directors_override(cast: Cast, rules: None) -> None:
    from cluetrain.api.services import do_create_token

    cast.care_voice.access.create(person=cast.director)
    _, secret = do_create_token(cast.director, cast.acme, "laptop")
    body = {"text": "Project Falcon is here", "voice_ids": [cast.care_voice.pk]}
    client = cast.client(cast.director)
    client.logout()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    refused = client.post("/api/posts", body, content_type="application/json", **headers)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "blocked"
    made = client.post(
        "/api/posts",
        {**body, "override_reason": "Public since this morning."},
        content_type="application/json",
        **headers,
    )
    assert made.status_code == 201
