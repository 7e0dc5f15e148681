"""The inbox's lists: filters, keyset pages, permissions and a constant query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.inbox.filters import MAX_QUERY_CHARS, Filters, InvalidFilter, parse_filters
from cluetrain.inbox.models import Conversation, SavedView
from cluetrain.inbox.queues import (
    conversation_page,
    count_conversations,
    decode_cursor,
    encode_cursor,
)
from cluetrain.organizations.models import Department, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from tests.conftest import Cast
from tests.support.inbox import BASE, conversation, conversations


def ids(page: object) -> list[int]:
    return [c.pk for c in page.rows]  # type: ignore[attr-defined]


def every_page(cast: Cast, filters: Filters, limit: int) -> list[int]:
    seen: list[int] = []
    after = None
    for _ in range(100):
        page = conversation_page(cast.acme, cast.member, filters, after=after, limit=limit)
        seen += ids(page)
        if not page.has_more:
            assert page.next_cursor is None
            return seen
        after = page.next_cursor
    raise AssertionError("the pages never ended")


# --- parsing filters ------------------------------------------------------------------------


def test_no_parameters_mean_the_open_queue() -> None:
    filters = parse_filters(QueryDict(""))
    assert filters == Filters()
    assert filters.statuses == ("new", "open")
    assert (filters.snoozed, filters.sort, filters.q) == (False, "recent", "")
    assert filters.assignee is None


def test_statuses_are_read_repeated_or_comma_separated_in_a_fixed_order() -> None:
    assert parse_filters(QueryDict("status=open&status=new")).statuses == ("new", "open")
    assert parse_filters(QueryDict("status=waiting,resolved")).statuses == ("waiting", "resolved")
    assert parse_filters({"status": "all"}).statuses == ("new", "open", "waiting", "resolved")
    assert parse_filters({"status": ["OPEN"]}).statuses == ("open",)


def test_the_snoozed_view_includes_waiting_conversations_by_default() -> None:
    assert parse_filters({"snoozed": "yes"}).statuses == ("new", "open", "waiting")


def test_every_parameter_is_read_from_a_query_string() -> None:
    filters = parse_filters(
        QueryDict(
            "assignee=me&department=3&department=1,2&tag=refund-claim&intent=Complaint"
            "&urgency=high&sentiment=negative&incident=yes&q=+lost++bag+&sort=due&after=x"
        )
    )
    assert filters.assignee == "me"
    assert filters.departments == (1, 2, 3)
    assert (filters.tag, filters.intent, filters.urgency) == ("refund-claim", "complaint", "high")
    assert (filters.sentiment_label, filters.incident) == ("negative", True)
    assert (filters.q, filters.sort) == ("lost bag", "due")


def test_a_saved_view_json_round_trips() -> None:
    original = Filters(
        statuses=("open",), assignee=7, departments=(2,), tag="press", incident=False, q="x"
    )
    stored = original.as_dict()
    assert stored == {
        "status": ["open"],
        "assignee": 7,
        "department": [2],
        "tag": "press",
        "incident": False,
        "q": "x",
    }
    assert parse_filters(stored) == original
    assert Filters().as_dict() == {}


@pytest.mark.parametrize(
    ("data", "parameter"),
    [
        ({"status": "closed"}, "status"),
        ({"status": "new;drop table"}, "status"),
        ({"assignee": "someone"}, "assignee"),
        ({"assignee": "-4"}, "assignee"),
        ({"assignee": "0"}, "assignee"),
        ({"assignee": "1e3"}, "assignee"),
        ({"assignee": "١٢"}, "assignee"),  # Arabic-Indic digits: isdigit() but not a number here
        ({"assignee": "99999999999999999999"}, "assignee"),
        ({"assignee": True}, "assignee"),
        ({"assignee": ["me", "unassigned"]}, "assignee"),
        ({"department": "care"}, "department"),
        ({"department": [1.5]}, "department"),
        ({"department": ",".join(str(n) for n in range(1, 60))}, "department"),
        ({"tag": "x" * 61}, "tag"),
        ({"tag": "a\x00b"}, "tag"),
        ({"intent": "<script>"}, "intent"),
        ({"urgency": "h" * 30}, "urgency"),
        ({"sentiment": "très négatif"}, "sentiment"),
        ({"incident": "maybe"}, "incident"),
        ({"snoozed": "2"}, "snoozed"),
        ({"sort": "oldest"}, "sort"),
        ({"sort": {"by": "due"}}, "sort"),
        ({"q": ["a", "b"]}, "q"),
    ],
)
def test_bad_values_are_refused_naming_the_parameter(data: dict, parameter: str) -> None:
    with pytest.raises(InvalidFilter) as refused:
        parse_filters(data)
    assert refused.value.parameter == parameter
    assert isinstance(refused.value, ServiceError)
    assert str(refused.value).startswith(f"{parameter}: ")


def test_a_giant_search_text_is_cut_at_a_word_boundary() -> None:
    filters = parse_filters({"q": "refund " * 2000})
    assert len(filters.q) <= MAX_QUERY_CHARS
    assert filters.q.endswith("refund")
    assert parse_filters({"q": "x" * 10_000}).q == "x" * MAX_QUERY_CHARS


def test_control_characters_in_the_search_text_become_spaces() -> None:
    assert parse_filters({"q": "lost\x00bag\u202e\n\tnow"}).q == "lost bag now"


# --- each filter ----------------------------------------------------------------------------


def test_the_open_queue_lists_new_and_open_conversations_latest_first(cast: Cast) -> None:
    new = conversation(cast.acme, status="new", at=BASE)
    open_ = conversation(cast.acme, status="open", at=BASE + timedelta(hours=2))
    conversation(cast.acme, status="waiting", at=BASE + timedelta(hours=3))
    conversation(cast.acme, status="resolved", at=BASE + timedelta(hours=4))
    conversation(cast.globex, status="new", at=BASE + timedelta(hours=5))
    page = conversation_page(cast.acme, cast.member, Filters())
    assert ids(page) == [open_.pk, new.pk]
    assert not page.has_more
    assert page.next_cursor is None


def test_the_status_filter_shows_exactly_those_statuses(cast: Cast) -> None:
    made = {s: conversation(cast.acme, status=s) for s in ("new", "open", "waiting", "resolved")}
    page = conversation_page(cast.acme, cast.member, parse_filters({"status": "waiting,resolved"}))
    assert set(ids(page)) == {made["waiting"].pk, made["resolved"].pk}
    every = conversation_page(cast.acme, cast.member, parse_filters({"status": "all"}))
    assert set(ids(every)) == {c.pk for c in made.values()}


def test_the_assignee_filter_knows_me_unassigned_and_a_person(cast: Cast) -> None:
    mine = conversation(cast.acme, status="open", assignee=cast.member)
    theirs = conversation(cast.acme, status="open", assignee=cast.mentor)
    nobody = conversation(cast.acme, status="new")

    def shown(value: object) -> list[int]:
        return ids(conversation_page(cast.acme, cast.member, parse_filters({"assignee": value})))

    assert shown("me") == [mine.pk]
    assert shown("unassigned") == [nobody.pk]
    assert shown(str(cast.mentor.pk)) == [theirs.pk]
    assert set(shown("anyone")) == {mine.pk, theirs.pk, nobody.pk}


def test_the_department_filter_takes_one_or_several(cast: Cast) -> None:
    ops = Department.objects.create(organization=cast.acme, name="Operations", slug="ops")
    care = conversation(cast.acme, department=cast.care)
    operations = conversation(cast.acme, department=ops)
    conversation(cast.acme)

    def shown(value: object) -> set[int]:
        filters = parse_filters({"department": value})
        return set(ids(conversation_page(cast.acme, cast.member, filters)))

    assert shown(cast.care.pk) == {care.pk}
    assert shown([cast.care.pk, ops.pk]) == {care.pk, operations.pk}


def test_the_tag_filter_matches_the_tag_name_in_this_organisation_only(cast: Cast) -> None:
    tagged = conversation(cast.acme, tags=("refund-claim", "press"))
    conversation(cast.acme, tags=("press",))
    conversation(cast.globex, tags=("refund-claim",))
    filters = parse_filters({"tag": "refund-claim"})
    assert ids(conversation_page(cast.acme, cast.member, filters)) == [tagged.pk]
    missing = parse_filters({"tag": "no-such-tag"})
    assert ids(conversation_page(cast.acme, cast.member, missing)) == []


def test_the_chip_filters_match_intent_urgency_sentiment_and_incident(cast: Cast) -> None:
    match = conversation(
        cast.acme, intent="complaint", urgency="high", sentiment_label="negative", incident=True
    )
    conversation(cast.acme, intent="complaint", urgency="high", sentiment_label="negative")
    conversation(cast.acme, intent="question", urgency="high", sentiment_label="negative")
    conversation(cast.acme, intent="complaint", urgency="low", sentiment_label="negative")
    conversation(cast.acme, intent="complaint", urgency="high", sentiment_label="neutral")
    filters = parse_filters(
        {"intent": "complaint", "urgency": "high", "sentiment": "negative", "incident": "yes"}
    )
    assert ids(conversation_page(cast.acme, cast.member, filters)) == [match.pk]
    not_incident = parse_filters({"intent": "complaint", "urgency": "high", "incident": "no"})
    assert len(conversation_page(cast.acme, cast.member, not_incident).rows) == 2


def test_snoozed_conversations_hide_until_their_time_and_show_in_the_snoozed_view(
    cast: Cast,
) -> None:
    now = timezone.now()
    later = conversation(cast.acme, status="open", snoozed_until=now + timedelta(hours=2))
    woke = conversation(cast.acme, status="open", snoozed_until=now - timedelta(minutes=1))
    plain = conversation(cast.acme, status="open")
    waiting = conversation(cast.acme, status="waiting", snoozed_until=now + timedelta(days=1))
    default = conversation_page(cast.acme, cast.member, Filters())
    assert set(ids(default)) == {woke.pk, plain.pk}
    snoozed = conversation_page(cast.acme, cast.member, parse_filters({"snoozed": "1"}))
    assert set(ids(snoozed)) == {later.pk, waiting.pk}


def test_sorting_by_due_lists_clocked_conversations_soonest_first(cast: Cast) -> None:
    soon = conversation(cast.acme, due_at=BASE + timedelta(minutes=5))
    late = conversation(cast.acme, due_at=BASE + timedelta(hours=5))
    overdue = conversation(cast.acme, due_at=BASE - timedelta(hours=1))
    tie = conversation(cast.acme, due_at=BASE + timedelta(minutes=5))
    conversation(cast.acme)  # no service level: no clock
    page = conversation_page(cast.acme, cast.member, parse_filters({"sort": "due"}))
    assert ids(page) == [overdue.pk, soon.pk, tie.pk, late.pk]
    assert every_page(cast, parse_filters({"sort": "due"}), 1) == ids(page)


def test_a_page_row_carries_everything_the_list_shows(cast: Cast) -> None:
    made = conversation(
        cast.acme,
        text="My train is late again",
        status="open",
        assignee=cast.mentor,
        department=cast.care,
        intent="complaint",
        sentiment_label="negative",
        urgency="high",
        incident=True,
        due_at=BASE,
        first_response_due=BASE,
        tags=("late",),
    )
    row = conversation_page(cast.acme, cast.member, Filters()).rows[0]
    with CaptureQueriesContext(connection) as captured:
        assert row.pk == made.pk
        assert row.author.handle == made.author.handle
        assert row.author.display_name
        assert row.subject == "My train is late again"
        assert (row.intent, row.sentiment_label, row.urgency, row.incident) == (
            "complaint",
            "negative",
            "high",
            True,
        )
        assert (row.status, row.assignee.full_name, row.department.name) == (
            "open",
            "Mona Mentor",
            "Customer care",
        )
        assert row.due_at == BASE == row.first_response_due
        assert [t.name for t in row.tags.all()] == ["late"]
    assert len(captured) == 0


# --- keyset pages ---------------------------------------------------------------------------


def test_pages_with_ties_show_every_conversation_once_in_order(cast: Cast) -> None:
    made = conversations(cast.acme, 25, at=BASE, status="open")
    made += conversations(cast.acme, 4, at=BASE - timedelta(days=1), status="new")
    seen = every_page(cast, Filters(), 10)
    expected = sorted((c for c in made), key=lambda c: (c.last_message_at, c.pk), reverse=True)
    assert seen == [c.pk for c in expected]
    assert len(set(seen)) == 29


def test_a_conversation_arriving_between_pages_neither_repeats_nor_hides_a_row(
    cast: Cast,
) -> None:
    made = conversations(cast.acme, 12, status="open")
    first = conversation_page(cast.acme, cast.member, Filters(), limit=5)
    conversation(cast.acme, status="new", at=BASE + timedelta(days=30))  # newer than all
    bumped = made[0]  # the oldest gets a new message: it moves to the top
    Conversation.objects.filter(pk=bumped.pk).update(last_message_at=BASE + timedelta(days=31))
    rest = []
    after = first.next_cursor
    while after:
        page = conversation_page(cast.acme, cast.member, Filters(), after=after, limit=5)
        rest += ids(page)
        after = page.next_cursor
    shown = ids(first) + rest
    assert len(shown) == len(set(shown))
    # Every conversation that was there before, and did not move above the first page, shows.
    assert {c.pk for c in made} - {bumped.pk} <= set(shown)


def test_a_bad_cursor_is_refused_not_a_server_error(cast: Cast) -> None:
    conversations(cast.acme, 3)
    for cursor in ["garbage", "!!!", "x" * 500, "W10", "WyJyIl0", "WyJyIiwiMjAyNiIsMV0"]:
        with pytest.raises(InvalidFilter):
            conversation_page(cast.acme, cast.member, Filters(), after=cursor)
    due_cursor = encode_cursor("due", conversations(cast.acme, 1, due_at=BASE)[0])
    with pytest.raises(InvalidFilter, match="not valid for this list"):
        conversation_page(cast.acme, cast.member, Filters(), after=due_cursor)


def test_cursors_round_trip_their_sort_key(cast: Cast) -> None:
    row = conversation(cast.acme, due_at=BASE)
    assert decode_cursor(encode_cursor("recent", row), "recent") == (row.last_message_at, row.pk)
    assert decode_cursor(encode_cursor("due", row), "due") == (BASE, row.pk)
    assert decode_cursor(encode_cursor("search", row), "search") == (row.pk,)


def test_the_page_size_is_bounded(cast: Cast) -> None:
    conversations(cast.acme, 3)
    assert len(conversation_page(cast.acme, cast.member, Filters(), limit=0).rows) == 1
    assert len(conversation_page(cast.acme, cast.member, Filters(), limit=-5).rows) == 1


# --- permissions ----------------------------------------------------------------------------


def test_someone_outside_the_organisation_is_refused(cast: Cast) -> None:
    conversations(cast.acme, 2)
    with pytest.raises(NotAllowed, match="not a member"):
        conversation_page(cast.acme, cast.outsider, Filters())
    with pytest.raises(NotAllowed):
        count_conversations(cast.acme, cast.outsider, Filters())


def test_a_manager_without_the_inbox_permission_is_refused(cast: Cast) -> None:
    manager = Person.objects.create_user("manager@example.com", full_name="Max Manager")
    do_add_member(cast.acme, manager, [Role.MANAGER])
    with pytest.raises(NotAllowed, match="work the inbox"):
        conversation_page(cast.acme, manager, Filters())


def test_every_role_that_works_the_inbox_sees_the_list(cast: Cast) -> None:
    made = conversation(cast.acme)
    for person in (cast.director, cast.trainee, cast.agency, cast.operations):
        assert ids(conversation_page(cast.acme, person, Filters())) == [made.pk]


# --- query counts ---------------------------------------------------------------------------


def queries_for_a_page(cast: Cast, limit: int, filters: Filters) -> int:
    viewer = Person.objects.get(pk=cast.member.pk)  # roles not yet cached, as in a request
    with CaptureQueriesContext(connection) as captured:
        page = conversation_page(cast.acme, viewer, filters, limit=limit)
        for row in page.rows:
            _ = (row.author.handle, row.subject, [t.name for t in row.tags.all()])
            _ = (row.assignee and row.assignee.full_name, row.department and row.department.name)
    assert len(page.rows) == limit
    return len(captured)


@pytest.mark.parametrize(
    "params",
    [{}, {"status": "all", "tag": "bulk"}, {"sort": "due"}, {"q": "bulk"}, {"assignee": "me"}],
)
def test_the_query_count_is_the_same_for_10_and_1000_rows(cast: Cast, params: dict) -> None:
    who = conversation(cast.acme, tags=("bulk",)).author
    made = conversations(
        cast.acme,
        1000,
        who=who,
        text="bulk row",
        status="open",
        assignee=cast.member,
        department=cast.care,
        due_at=BASE,
    )
    Conversation.tags.through.objects.bulk_create(
        Conversation.tags.through(conversation_id=c.pk, tag_id=cast.acme.tags.get().pk)
        for c in made
    )
    filters = parse_filters(params)
    small = queries_for_a_page(cast, 10, filters)
    large = queries_for_a_page(cast, 1000, filters)
    assert small == large
    assert large <= 3  # the viewer's roles, the page, its tags


def test_counts_are_bounded(cast: Cast) -> None:
    conversations(cast.acme, 7, status="open")
    assert str(count_conversations(cast.acme, cast.member, Filters(), cap=5)) == "5+"
    exact = count_conversations(cast.acme, cast.member, Filters(), cap=50)
    assert (exact.value, exact.more, str(exact)) == (7, False, "7")


def test_a_saved_views_filters_drive_the_list(cast: Cast) -> None:
    mine = conversation(cast.acme, status="open", assignee=cast.member, urgency="high")
    conversation(cast.acme, status="open", assignee=cast.member, urgency="low")
    view = SavedView.objects.create(
        organization=cast.acme,
        owner=cast.member,
        name="My urgent",
        filters={"assignee": "me", "urgency": "high"},
    )
    page = conversation_page(cast.acme, cast.member, parse_filters(view.filters))
    assert ids(page) == [mine.pk]
