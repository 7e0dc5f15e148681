"""Working the inbox: status, assignment, notes and mentions, tags, snooze, bulk, saved views."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.inbox import services
from cluetrain.inbox.filters import parse_filters
from cluetrain.inbox.models import Conversation, ConversationEvent, SavedView, Status, Tag
from cluetrain.inbox.queues import conversation_page
from cluetrain.notifications.models import Notification
from cluetrain.organizations.models import Department, Person
from tests.conftest import Cast
from tests.support.inbox_ui import add_message, make_author, make_conversation


def kinds(conversation: Conversation) -> list[str]:
    return list(conversation.events.values_list("kind", flat=True))


def test_resolving_stamps_the_time_and_records_who_did_it(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    assert services.do_set_status(cast.member, c, Status.RESOLVED) == 1
    c.refresh_from_db()
    assert c.status == Status.RESOLVED
    assert c.resolved_at is not None
    event = c.events.get(kind="status")
    assert event.actor == cast.member
    assert event.detail == {"from": "new", "to": "resolved"}


def test_reopening_clears_the_resolution_time(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    services.do_set_status(cast.member, c, Status.RESOLVED)
    services.do_set_status(cast.member, c, Status.OPEN)
    c.refresh_from_db()
    assert (c.status, c.resolved_at) == (Status.OPEN, None)


def test_setting_the_same_status_again_changes_nothing(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    assert services.do_set_status(cast.member, c, Status.NEW) == 0
    assert kinds(c) == []


def test_an_unknown_status_is_refused(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    with pytest.raises(ServiceError):
        services.do_set_status(cast.member, c, "<script>")


def test_resolving_teaches_the_holder_the_topic(cast: Cast) -> None:
    from cluetrain.inbox.models import Expertise

    c = make_conversation(cast.acme, topic="refunds")
    services.do_assign(cast.director, c, cast.member)
    services.do_set_status(cast.director, c, Status.RESOLVED)
    learned = Expertise.objects.get(membership__person=cast.member, topic="refunds")
    assert learned.weight > 0


def test_outsiders_and_managers_cannot_work_the_inbox(cast: Cast, manager: Person) -> None:
    c = make_conversation(cast.acme)
    for person in (cast.outsider, manager):
        with pytest.raises(NotAllowed):
            services.do_set_status(person, c, Status.RESOLVED)
        with pytest.raises(NotAllowed):
            services.do_claim(person, c)
        with pytest.raises(NotAllowed):
            services.do_add_note(person, c, "hello")
        with pytest.raises(NotAllowed):
            services.do_tag(person, c, "vip")
    c.refresh_from_db()
    assert c.status == Status.NEW
    assert c.assignee is None
    assert not c.notes.exists()
    assert not c.tags.exists()


def test_assigning_to_a_colleague_opens_it_and_tells_them(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    services.do_assign(cast.director, c, cast.member)
    c.refresh_from_db()
    assert c.assignee == cast.member
    assert c.status == Status.OPEN
    assert c.assigned_at is not None
    assert Notification.objects.filter(person=cast.member, kind="inbox.assigned").exists()
    assert c.events.get(kind="assigned").detail["to_id"] == cast.member.pk


def test_a_conversation_cannot_go_to_someone_who_cannot_work_the_inbox(
    cast: Cast, manager: Person
) -> None:
    c = make_conversation(cast.acme)
    with pytest.raises(ServiceError):
        services.do_assign(cast.director, c, manager)
    with pytest.raises(ServiceError):
        services.do_assign(cast.director, c, cast.outsider)
    c.refresh_from_db()
    assert c.assignee is None


def test_a_department_queue_holds_it_without_an_assignee(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    services.do_claim(cast.member, c)
    services.do_assign(cast.director, c, None, department=cast.care)
    c.refresh_from_db()
    assert (c.assignee, c.department) == (None, cast.care)


def test_another_organisations_department_is_refused(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    theirs = Department.objects.create(organization=cast.globex, name="Sales", slug="sales")
    with pytest.raises(NotAllowed):
        services.do_assign(cast.director, c, None, department=theirs)


def test_claiming_takes_it_for_oneself(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    assert services.do_claim(cast.trainee, c) == 1
    c.refresh_from_db()
    assert c.assignee == cast.trainee
    # Nobody is told about their own claim.
    assert not Notification.objects.filter(person=cast.trainee).exists()


def test_a_note_mentions_colleagues_by_handle_and_by_name(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    note = services.do_add_note(
        cast.member, c, "@director can we refund? cc @MonaMentor and @nobody, mail@example.com"
    )
    assert set(note.mentions.all()) == {cast.director, cast.mentor}
    told = Notification.objects.filter(kind="inbox.mention")
    assert set(told.values_list("person", flat=True)) == {cast.director.pk, cast.mentor.pk}
    assert f"?c={c.pk}" in told.first().url  # type: ignore[union-attr]


def test_a_mention_of_someone_outside_the_organisation_tells_nobody(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    note = services.do_add_note(cast.member, c, "@outsider please look")
    assert not note.mentions.exists()
    assert not Notification.objects.filter(person=cast.outsider).exists()


def test_mentioning_oneself_sends_nothing(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    services.do_add_note(cast.member, c, "note to @member: check tomorrow")
    assert not Notification.objects.filter(person=cast.member).exists()


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_empty_or_giant_notes_are_refused(cast: Cast, body: str) -> None:
    c = make_conversation(cast.acme)
    with pytest.raises(ServiceError):
        services.do_add_note(cast.member, c, body)
    assert not c.notes.exists()


def test_tags_are_made_on_the_fly_and_cleaned(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    tag = services.do_tag(cast.member, c, "  #Refund  Claim ")
    assert tag.name == "refund-claim"
    services.do_tag(cast.member, c, "refund-claim")  # twice: still one
    assert list(c.tags.values_list("name", flat=True)) == ["refund-claim"]
    assert kinds(c).count("tagged") == 1
    assert services.do_untag(cast.member, c, "Refund claim") == 1
    assert not c.tags.exists()


@pytest.mark.parametrize("name", ["", "###", "<>", "x" * 41])
def test_tags_without_letters_or_too_long_are_refused(cast: Cast, name: str) -> None:
    c = make_conversation(cast.acme)
    with pytest.raises(ServiceError):
        services.do_tag(cast.member, c, name)
    assert not Tag.objects.filter(organization=cast.acme).exists()


def test_a_snoozed_conversation_leaves_the_queue_until_its_time(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    services.do_snooze(cast.member, c, timezone.now() + timedelta(hours=2))
    queue = conversation_page(cast.acme, cast.member, parse_filters({})).rows
    assert c not in queue
    snoozed = conversation_page(cast.acme, cast.member, parse_filters({"snoozed": "yes"})).rows
    assert c in snoozed
    # Its time passed: it is awake without any job running.
    Conversation.objects.filter(pk=c.pk).update(snoozed_until=timezone.now() - timedelta(1))
    assert c in conversation_page(cast.acme, cast.member, parse_filters({})).rows
    c.refresh_from_db()
    assert services.do_unsnooze(cast.member, c) == 1


@pytest.mark.parametrize("delta", [timedelta(minutes=-1), timedelta(days=400)])
def test_snoozing_into_the_past_or_beyond_a_year_is_refused(cast: Cast, delta: timedelta) -> None:
    c = make_conversation(cast.acme)
    with pytest.raises(ServiceError):
        services.do_snooze(cast.member, c, timezone.now() + delta)


def test_bulk_resolves_many_in_a_few_queries(cast: Cast) -> None:
    many = [make_conversation(cast.acme) for _ in range(30)]
    ids = [c.pk for c in many]
    services.do_bulk(cast.member, cast.acme, ids[:1], "tag", "warm-up")  # roles cached
    with CaptureQueriesContext(connection) as few:
        services.do_bulk(cast.member, cast.acme, ids[:3], "tag", "vip")
    with CaptureQueriesContext(connection) as more:
        services.do_bulk(cast.member, cast.acme, ids, "tag", "vip2")
    assert len(more) == len(few)
    assert Conversation.objects.filter(pk__in=ids, tags__name="vip2").count() == 30
    assert services.do_bulk(cast.member, cast.acme, ids, "resolve", "") == 30
    assert Conversation.objects.filter(pk__in=ids, status=Status.RESOLVED).count() == 30
    assert ConversationEvent.objects.filter(conversation_id__in=ids, kind="status").count() == 30


def test_bulk_assign_snooze_and_department(cast: Cast) -> None:
    a, b = make_conversation(cast.acme), make_conversation(cast.acme)
    services.do_bulk(cast.director, cast.acme, [a.pk, b.pk], "assign", str(cast.member.pk))
    assert set(Conversation.objects.filter(assignee=cast.member)) >= {a, b}
    services.do_bulk(cast.director, cast.acme, [a.pk], "department", str(cast.care.pk))
    a.refresh_from_db()
    assert (a.assignee, a.department) == (None, cast.care)
    later = (timezone.now() + timedelta(days=1)).isoformat()
    assert services.do_bulk(cast.director, cast.acme, [b.pk], "snooze", later) == 1


def test_bulk_refuses_ids_of_another_organisation(cast: Cast) -> None:
    ours = make_conversation(cast.acme)
    theirs = make_conversation(cast.globex)
    with pytest.raises(NotAllowed):
        services.do_bulk(cast.member, cast.acme, [ours.pk, theirs.pk], "resolve", "")
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.status == theirs.status == Status.NEW


@pytest.mark.parametrize(
    ("ids", "action", "value"),
    [
        (["x"], "resolve", ""),
        ([], "resolve", ""),
        (None, "explode", ""),
        (None, "assign", "not-a-number"),
        (None, "snooze", "tomorrow-ish"),
        (None, "snooze", "2030-01-01T09:00"),  # no time zone
    ],
)
def test_bulk_refuses_bad_input(cast: Cast, ids: list[str] | None, action: str, value: str) -> None:
    c = make_conversation(cast.acme)
    with pytest.raises(ServiceError):
        services.do_bulk(cast.member, cast.acme, [c.pk] if ids is None else ids, action, value)


def test_bulk_refuses_a_manager(cast: Cast, manager: Person) -> None:
    c = make_conversation(cast.acme)
    with pytest.raises(NotAllowed):
        services.do_bulk(manager, cast.acme, [c.pk], "resolve", "")


def test_saved_views_are_private_unless_shared(cast: Cast) -> None:
    mine = services.do_save_view(cast.member, cast.acme, "My urgent", {"urgency": "high"})
    shared = services.do_save_view(
        cast.mentor, cast.acme, "Team complaints", {"intent": "complaint"}, shared=True
    )
    private = services.do_save_view(cast.mentor, cast.acme, "Mona's own", {})
    seen = set(services.visible_views(cast.member, cast.acme))
    assert seen == {mine, shared}
    assert private not in seen
    # Saving the same name again replaces the person's own view.
    again = services.do_save_view(cast.member, cast.acme, "My urgent", {"urgency": "urgent"})
    assert again.pk == mine.pk
    assert again.filters == {"urgency": "urgent"}


def test_only_the_owner_or_a_director_deletes_a_view(cast: Cast) -> None:
    shared = services.do_save_view(cast.mentor, cast.acme, "Team", {}, shared=True)
    with pytest.raises(NotAllowed):
        services.do_delete_view(cast.member, shared)
    services.do_delete_view(cast.director, shared)
    assert not SavedView.objects.filter(pk=shared.pk).exists()


@pytest.mark.parametrize("name", ["", "   ", "n" * 81])
def test_a_saved_view_needs_a_reasonable_name(cast: Cast, name: str) -> None:
    with pytest.raises(ServiceError):
        services.do_save_view(cast.member, cast.acme, name, {})


def test_a_manager_cannot_save_views(cast: Cast, manager: Person) -> None:
    with pytest.raises(NotAllowed):
        services.do_save_view(manager, cast.acme, "Mine", {})


def test_saved_replies_fill_their_blanks(cast: Cast) -> None:
    author = make_author(cast.acme, handle="jo.example", name="Jo")
    c = make_conversation(cast.acme, author=author)
    saved = services.do_save_reply(
        cast.member, cast.acme, "Sorry", "Hi {author_name} ({handle}), {my_name} here. {other}"
    )
    filled = services.fill_blanks(saved.text, c, cast.member)
    assert filled == "Hi Jo (@jo.example), Milo Member here. {other}"


def test_the_author_history_lists_their_other_conversations_bounded(cast: Cast) -> None:
    author = make_author(cast.acme)
    older = [make_conversation(cast.acme, author=author) for _ in range(12)]
    current = make_conversation(cast.acme, author=author)
    add_message(current, "and another thing")
    with CaptureQueriesContext(connection) as queries:
        history = services.author_history(current)
    assert len(queries) == 2
    assert len(history["conversations"]) == services.HISTORY_LIMIT
    assert current not in history["conversations"]
    assert set(history["conversations"]) <= set(older)
    assert all(m.conversation_id != current.pk for m in history["messages"])
