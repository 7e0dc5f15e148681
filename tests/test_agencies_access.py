"""Who may see agency staff's activity, who may pair shadows, and the hand-over plan's rules."""

from __future__ import annotations

from datetime import date

import pytest

from cluetrain.agencies import access, services
from cluetrain.agencies.models import Milestone, Shadowing
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.core.models import AuditEvent
from tests.conftest import Cast


def test_a_director_sees_agency_activity(cast: Cast) -> None:
    assert access.can_see_agency_activity(cast.director, cast.acme, cast.agency)


def test_a_coordinator_sees_agency_activity(cast: Cast) -> None:
    assert access.can_see_agency_activity(cast.coordinator, cast.acme, cast.agency)


def test_the_agency_person_sees_their_own_activity(cast: Cast) -> None:
    assert access.can_see_agency_activity(cast.agency, cast.acme, cast.agency)


def test_a_member_does_not_see_agency_activity(cast: Cast) -> None:
    assert not access.can_see_agency_activity(cast.member, cast.acme, cast.agency)
    assert not access.can_see_agency_activity(cast.mentor, cast.acme, cast.agency)


def test_an_administrator_does_not_see_agency_activity(cast: Cast) -> None:
    # The instance operator runs the software; the director oversees the agency.
    assert not access.can_see_agency_activity(cast.admin, cast.acme, cast.agency)


def test_a_shadow_sees_their_partner_only(cast: Cast) -> None:
    services.do_pair(cast.director, cast.acme, cast.agency, cast.member)
    assert access.can_see_agency_activity(cast.member, cast.acme, cast.agency)
    other = _second_agency_person(cast)
    assert not access.can_see_agency_activity(cast.member, cast.acme, other)
    assert list(access.visible_agency_people(cast.member, cast.acme)) == [cast.agency]


def test_another_organisation_sees_nothing(cast: Cast) -> None:
    assert not access.can_see_agency_activity(cast.outsider, cast.acme, cast.agency)
    assert not access.visible_agency_people(cast.outsider, cast.acme).exists()


def test_an_in_house_person_has_no_agency_activity_to_see(cast: Cast) -> None:
    assert not access.can_see_agency_activity(cast.director, cast.acme, cast.member)


def test_a_director_sees_every_agency_person(cast: Cast) -> None:
    other = _second_agency_person(cast)
    visible = set(access.visible_agency_people(cast.director, cast.acme))
    assert visible == {cast.agency, other}
    assert list(access.visible_agency_people(cast.agency, cast.acme)) == [cast.agency]


def _second_agency_person(cast: Cast):  # type: ignore[no-untyped-def]
    from cluetrain.organizations.roles import Role
    from tests.support import agencies as make

    return make.person(cast.acme, "Bea Agency", (Role.AGENCY,))


def test_a_coordinator_pairs_and_unpairs_a_shadow(cast: Cast) -> None:
    pairing = services.do_pair(cast.coordinator, cast.acme, cast.agency, cast.trainee)
    assert AuditEvent.objects.filter(organization=cast.acme, verb="agency.paired").exists()
    services.do_unpair(cast.coordinator, pairing)
    assert not Shadowing.objects.filter(pk=pairing.pk).exists()


def test_a_member_cannot_pair_shadows(cast: Cast) -> None:
    with pytest.raises(NotAllowed):
        services.do_pair(cast.member, cast.acme, cast.agency, cast.trainee)
    with pytest.raises(NotAllowed):
        services.do_pair(cast.agency, cast.acme, cast.agency, cast.trainee)


def test_an_agency_person_cannot_shadow(cast: Cast) -> None:
    other = _second_agency_person(cast)
    with pytest.raises(ServiceError, match="Agency staff cannot shadow"):
        services.do_pair(cast.director, cast.acme, cast.agency, other)


def test_pairing_across_organisations_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="not a member"):
        services.do_pair(cast.director, cast.acme, cast.agency, cast.outsider)
    with pytest.raises(NotAllowed):
        # Globex's director cannot pair in Acme either.
        services.do_pair(cast.outsider, cast.acme, cast.agency, cast.member)


def test_only_agency_staff_can_be_shadowed(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="not agency staff"):
        services.do_pair(cast.director, cast.acme, cast.member, cast.trainee)


def test_pairing_twice_is_refused_plainly(cast: Cast) -> None:
    services.do_pair(cast.director, cast.acme, cast.agency, cast.trainee)
    with pytest.raises(ServiceError, match="already shadows"):
        services.do_pair(cast.director, cast.acme, cast.agency, cast.trainee)


def test_an_agency_is_recorded_with_validated_names(cast: Cast) -> None:
    agency = services.do_create_agency(
        cast.director, cast.acme, "  Brightside\u0000 Social  ", contract_ends_on=date(2027, 6, 30)
    )
    assert agency.name == "Brightside Social"
    with pytest.raises(ServiceError, match="already recorded"):
        services.do_create_agency(cast.director, cast.acme, "brightside social")
    with pytest.raises(ServiceError, match="cannot be empty"):
        services.do_create_agency(cast.director, cast.acme, " \u200b\t ")
    with pytest.raises(ServiceError, match="too long"):
        services.do_create_agency(cast.director, cast.acme, "x" * 121)
    with pytest.raises(NotAllowed):
        services.do_create_agency(cast.mentor, cast.acme, "Shadow Firm")


def test_only_agency_staff_join_an_agency(cast: Cast) -> None:
    agency = services.do_create_agency(cast.director, cast.acme, "Brightside Social")
    services.do_add_agency_member(cast.director, agency, cast.agency)
    assert access.agency_names(cast.acme) == {cast.agency.pk: "Brightside Social"}
    with pytest.raises(ServiceError, match="agency role"):
        services.do_add_agency_member(cast.director, agency, cast.member)


def test_milestones_are_planned_ticked_off_and_undone(cast: Cast) -> None:
    agency = services.do_create_agency(cast.director, cast.acme, "Brightside Social")
    milestone = services.do_add_milestone(
        cast.coordinator,
        agency,
        "Sofia runs the weekly planning",
        description="<script>alert(1)</script> kept as text",
        due_on=date(2026, 1, 15),
        owner=cast.member,
    )
    assert milestone.position == 0
    # The owner may tick off their own step; someone else in-house may not.
    with pytest.raises(NotAllowed):
        services.do_set_milestone_done(cast.trainee, milestone, True)
    services.do_set_milestone_done(cast.member, milestone, True)
    milestone.refresh_from_db()
    assert milestone.done_by == cast.member
    assert milestone.done_at is not None
    services.do_set_milestone_done(cast.director, milestone, False)
    milestone.refresh_from_db()
    assert milestone.done_at is None
    assert milestone.done_by is None


def test_a_milestone_is_owned_in_house_and_needs_a_title(cast: Cast) -> None:
    agency = services.do_create_agency(cast.director, cast.acme, "Brightside Social")
    with pytest.raises(ServiceError, match="in-house"):
        services.do_add_milestone(cast.director, agency, "Hand over", owner=cast.agency)
    with pytest.raises(ServiceError, match="not a member"):
        services.do_add_milestone(cast.director, agency, "Hand over", owner=cast.outsider)
    with pytest.raises(ServiceError, match="empty"):
        services.do_add_milestone(cast.director, agency, "   ")
    with pytest.raises(ServiceError, match="too long"):
        services.do_add_milestone(cast.director, agency, "a" * 201)
    with pytest.raises(NotAllowed):
        services.do_add_milestone(cast.agency, agency, "Agency plans its own exit")
    assert not Milestone.objects.filter(agency=agency).exists()
