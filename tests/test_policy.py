"""Who may post through which voice, and who may do what in an organisation."""

from __future__ import annotations

import pytest

from cluetrain.core.errors import NotAllowed
from cluetrain.organizations import policy
from cluetrain.organizations.policy import Permission
from cluetrain.publishing.models import Post
from cluetrain.publishing.services import do_publish
from tests.conftest import Cast


def test_the_owner_posts_from_their_personal_voice(cast: Cast) -> None:
    post = do_publish(cast.member, cast.member_voice, "Hello from my own account")
    assert post.author == cast.member
    assert [d.voice for d in post.deliveries.all()] == [cast.member_voice]


@pytest.mark.parametrize(
    "intruder", ["admin", "director", "coordinator", "mentor", "agency", "outsider"]
)
def test_nobody_else_posts_from_a_personal_voice(cast: Cast, intruder: str) -> None:
    person = getattr(cast, intruder)
    assert not policy.can_post_as(person, cast.member_voice)
    with pytest.raises(NotAllowed, match="Only Milo Member can post from their personal voice"):
        do_publish(person, cast.member_voice, "Pretending to be Milo")
    assert not Post.objects.filter(deliveries__voice=cast.member_voice).exists()


def test_an_admin_who_is_also_superuser_cannot_post_from_a_members_personal_voice(
    cast: Cast,
) -> None:
    assert cast.admin.is_superuser
    assert cast.admin.is_staff
    with pytest.raises(NotAllowed):
        do_publish(cast.admin, cast.member_voice, "I am the administrator")
    assert Post.objects.filter(author=cast.admin).count() == 0


def test_an_inactive_owner_cannot_post(cast: Cast) -> None:
    cast.member.is_active = False
    cast.member.save()
    assert not policy.can_post_as(cast.member, cast.member_voice)


def test_a_personal_voice_owner_who_left_the_organisation_cannot_post_through_it(
    cast: Cast,
) -> None:
    cast.member.memberships.filter(organization=cast.acme).update(is_active=False)
    with pytest.raises(NotAllowed):
        do_publish(cast.member, cast.member_voice, "Still here?")


def test_only_people_on_the_list_post_as_an_official_voice(cast: Cast) -> None:
    assert policy.can_post_as(cast.mentor, cast.care_voice)
    do_publish(cast.mentor, cast.care_voice, "We are looking into it.")
    # Being director does not put you on the list.
    with pytest.raises(NotAllowed, match="not on the list"):
        do_publish(cast.director, cast.care_voice, "Hello")


def test_an_outsider_is_refused_everything_in_another_organisation(cast: Cast) -> None:
    for permission in Permission:
        assert not policy.can(cast.outsider, cast.acme, permission)
    with pytest.raises(NotAllowed, match="not a member of Acme"):
        policy.require(cast.outsider, cast.acme, Permission.VIEW_ORGANIZATION)


def test_roles_grant_what_the_rules_say(cast: Cast) -> None:
    assert policy.can(cast.director, cast.acme, Permission.OVERRIDE_BLOCK)
    assert not policy.can(cast.coordinator, cast.acme, Permission.OVERRIDE_BLOCK)
    assert policy.can(cast.operations, cast.acme, Permission.DECLARE_INCIDENT)
    assert not policy.can(cast.trainee, cast.acme, Permission.DECLARE_INCIDENT)
    assert policy.can(cast.coordinator, cast.acme, Permission.INVITE_PEOPLE)
    assert not policy.can(cast.member, cast.acme, Permission.INVITE_PEOPLE)
    # Roles are per organisation: the agency person is no director anywhere.
    assert not policy.can(cast.agency, cast.globex, Permission.MANAGE_ROLES)


def test_a_message_names_the_roles_that_may(cast: Cast) -> None:
    with pytest.raises(NotAllowed, match="director"):
        policy.require(cast.member, cast.acme, Permission.OVERRIDE_BLOCK)


def test_the_publish_page_refuses_a_forged_voice_and_changes_nothing(cast: Cast) -> None:
    response = cast.client(cast.admin).post(
        "/publish/", {"voice": cast.member_voice.pk, "text": "forged"}
    )
    assert response.status_code == 403
    assert "Only Milo Member can post" in response.content.decode()
    assert not Post.objects.filter(text="forged").exists()


def test_the_publish_page_offers_only_the_persons_own_voices(cast: Cast) -> None:
    page = cast.client(cast.mentor).get("/publish/").content.decode()
    assert "Acme Customer care" in page
    assert f'value="{cast.member_voice.pk}"' not in page


def test_the_postable_voices_query_agrees_with_the_rule(cast: Cast) -> None:
    from cluetrain.voices.models import Voice

    for person in [cast.member, cast.mentor, cast.admin, cast.director, cast.outsider]:
        listed = set(policy.postable_voices(person, cast.acme))
        allowed = {
            v for v in Voice.objects.filter(organization=cast.acme) if policy.can_post_as(person, v)
        }
        assert listed == allowed, person
