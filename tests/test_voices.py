"""Voices: two kinds only, enforced in services and in the database; credentials encrypted."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from cluetrain.core import crypto
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.voices import services
from cluetrain.voices.models import Network, Voice, VoiceAccess, VoiceKind
from tests.conftest import Cast


def test_a_person_connects_their_own_voice(cast: Cast) -> None:
    voice = services.do_connect_personal_voice(
        cast.trainee,
        cast.acme,
        Network.BLUESKY,
        "tess.bsky.social",
        credential={"app_password": "abcd-efgh"},
    )
    assert voice.owner == cast.trainee
    assert voice.kind == VoiceKind.PERSONAL
    assert voice.name == "Tess Trainee"


def test_credentials_are_encrypted_at_rest(cast: Cast) -> None:
    voice = services.do_connect_personal_voice(
        cast.trainee,
        cast.acme,
        Network.BLUESKY,
        "tess.example",
        credential={"app_password": "s3cret-pass"},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT credential_ciphertext FROM voices_voice WHERE id = %s", [voice.pk])
        stored = cursor.fetchone()[0]
    assert "s3cret-pass" not in stored
    assert Voice.objects.get(pk=voice.pk).get_credential() == {"app_password": "s3cret-pass"}


def test_rotation_re_encrypts_with_the_new_key(
    cast: Cast, settings: object, tmp_path: object
) -> None:
    voice = services.do_connect_personal_voice(
        cast.trainee,
        cast.acme,
        Network.MASTODON,
        "@tess@example.social",
        credential={"token": "t0k"},
    )
    old_keys = list(settings.ENCRYPTION_KEYS)  # type: ignore[attr-defined]
    new_key = crypto.Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new_key, *old_keys]  # type: ignore[attr-defined]
    call_command("rotate_keys", verbosity=0)
    # Only the new key is needed from now on.
    settings.ENCRYPTION_KEYS = [new_key]  # type: ignore[attr-defined]
    assert Voice.objects.get(pk=voice.pk).get_credential() == {"token": "t0k"}


def test_a_credential_under_a_lost_key_fails_clearly(cast: Cast, settings: object) -> None:
    voice = services.do_connect_personal_voice(
        cast.trainee, cast.acme, Network.MASTODON, "@t@x.social", credential={"token": "t"}
    )
    settings.ENCRYPTION_KEYS = [crypto.Fernet.generate_key().decode()]  # type: ignore[attr-defined]
    with pytest.raises(crypto.DecryptionFailed):
        Voice.objects.get(pk=voice.pk).get_credential()


def test_the_database_refuses_a_personal_voice_without_an_owner(cast: Cast) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Voice.objects.create(
            organization=cast.acme,
            kind=VoiceKind.PERSONAL,
            network=Network.PRACTICE,
            handle="@ghost",
            name="Ghost",
        )


def test_the_database_refuses_a_third_kind_of_voice(cast: Cast) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Voice.objects.create(
            organization=cast.acme,
            kind="persona",
            network=Network.PRACTICE,
            handle="@persona",
            name="Persona",
        )


def test_the_database_refuses_to_hand_a_personal_voice_to_someone_else(cast: Cast) -> None:
    # Straight SQL, as a careless script or admin shell would: the trigger still refuses.
    with (
        pytest.raises(Exception, match="owner and kind cannot change"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE voices_voice SET owner_id = %s WHERE id = %s",
            [cast.admin.pk, cast.member_voice.pk],
        )
    assert Voice.objects.get(pk=cast.member_voice.pk).owner == cast.member


def test_the_database_refuses_to_turn_an_official_voice_personal(cast: Cast) -> None:
    with pytest.raises(Exception, match="owner and kind cannot change"), transaction.atomic():
        Voice.objects.filter(pk=cast.care_voice.pk).update(
            kind=VoiceKind.PERSONAL, owner=cast.mentor
        )


def test_nobody_can_be_put_on_a_personal_voices_list(cast: Cast) -> None:
    with pytest.raises(NotAllowed, match="owner's alone"):
        services.do_grant_voice_access(cast.admin, cast.member_voice, cast.admin)
    with pytest.raises(Exception, match="only official voices"), transaction.atomic():
        VoiceAccess.objects.create(voice=cast.member_voice, person=cast.admin)
    assert not VoiceAccess.objects.filter(voice=cast.member_voice).exists()


def test_an_official_voice_carries_its_departments_name(cast: Cast) -> None:
    voice = services.do_create_official_voice(
        cast.coordinator, cast.acme, Network.FEED, "care-feed", department=cast.care
    )
    assert voice.name == "Acme Customer care"
    with pytest.raises(ServiceError, match="must carry the name Customer care"):
        services.do_create_official_voice(
            cast.coordinator,
            cast.acme,
            Network.FEED,
            "sneaky",
            department=cast.care,
            name="Jenny from Acme",
        )


def test_only_voice_managers_create_official_voices(cast: Cast) -> None:
    with pytest.raises(NotAllowed):
        services.do_create_official_voice(cast.member, cast.acme, Network.FEED, "my-feed")
    with pytest.raises(NotAllowed):
        services.do_create_official_voice(cast.outsider, cast.acme, Network.FEED, "their-feed")


def test_a_handle_must_be_sane(cast: Cast) -> None:
    for bad in ["", "   ", "two words", "x" * 201]:
        with pytest.raises(ServiceError):
            services.do_connect_personal_voice(cast.member, cast.acme, Network.BLUESKY, bad)
    with pytest.raises(ServiceError, match="not a network"):
        services.do_connect_personal_voice(cast.member, cast.acme, "myspace", "milo")


def test_the_same_handle_twice_is_refused_clearly(cast: Cast) -> None:
    services.do_connect_personal_voice(cast.member, cast.acme, Network.BLUESKY, "milo.bsky.social")
    with pytest.raises(ServiceError, match="already connected"):
        services.do_connect_personal_voice(
            cast.trainee, cast.acme, Network.BLUESKY, "milo.bsky.social"
        )


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("Loving the new Acme trains!", True),
        ("acme's new app is great", True),
        ("Loving the new Acme trains! #iworkatacme", False),
        ("Lovely weather today", False),
        ("Visit acmecorp.example for more", False),
    ],
)
def test_personal_posts_about_the_organisation_carry_its_disclosure(
    cast: Cast, text: str, missing: bool
) -> None:
    if missing:
        with pytest.raises(services.DisclosureMissing, match="#iworkatacme"):
            services.check_disclosure(cast.member_voice, text)
    else:
        services.check_disclosure(cast.member_voice, text)


def test_official_voices_need_no_disclosure(cast: Cast) -> None:
    services.check_disclosure(cast.care_voice, "Acme trains are running on time")


def test_publishing_checks_the_disclosure(cast: Cast) -> None:
    from cluetrain.publishing.services import do_publish

    with pytest.raises(services.DisclosureMissing):
        do_publish(cast.member, cast.member_voice, "Acme is hiring engineers")


def test_only_the_owner_reconnects_a_personal_voice(cast: Cast) -> None:
    services.do_update_credential(cast.member, cast.member_voice, {"app_password": "new"})
    assert Voice.objects.get(pk=cast.member_voice.pk).get_credential() == {"app_password": "new"}
    # Swapping in one's own credential would be posting as someone else by the back door.
    with pytest.raises(NotAllowed, match="Only the owner"):
        services.do_update_credential(cast.admin, cast.member_voice, {"app_password": "mine"})
    assert Voice.objects.get(pk=cast.member_voice.pk).get_credential() == {"app_password": "new"}


def test_voice_managers_reconnect_official_voices(cast: Cast) -> None:
    Voice.objects.filter(pk=cast.care_voice.pk).update(status="needs_reconnect")
    services.do_update_credential(cast.coordinator, cast.care_voice, {"token": "t"})
    assert Voice.objects.get(pk=cast.care_voice.pk).status == "connected"
    with pytest.raises(NotAllowed):
        services.do_update_credential(cast.member, cast.care_voice, {"token": "x"})
