"""The inbox page: three panes, escaped text, constant query counts, and the actions' answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cluetrain.inbox import services
from cluetrain.inbox.models import Conversation, SavedReply, SavedView, Status
from cluetrain.organizations.models import Person
from tests.conftest import Cast
from tests.support.inbox_ui import add_message, make_author, make_conversation

HOSTILE_NAME = '<img src=x onerror="alert(1)">Mallory'
HOSTILE_TEXT = "<script>alert('owned')</script> my bag is lost & <b>bold</b>"
HTMX = {"HTTP_HX_REQUEST": "true"}


def hostile_conversation(cast: Cast) -> Conversation:
    author = make_author(cast.acme, name=HOSTILE_NAME, handle='"><svg onload=alert(2)>')
    return make_conversation(cast.acme, HOSTILE_TEXT, author=author)


def test_the_inbox_shows_three_panes(cast: Cast) -> None:
    c = make_conversation(cast.acme, "Where is my refund?")
    page = cast.client(cast.member).get("/inbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="inbox-queues"' in html
    assert 'id="inbox-list"' in html
    assert 'id="conversation-pane"' in html
    assert f'id="row-{c.pk}"' in html
    assert "Where is my refund?" in html
    assert 'id="inbox-help"' in html


def test_a_manager_and_an_outsider_are_refused(cast: Cast, manager: Person) -> None:
    assert cast.client(manager).get("/inbox/").status_code == 403
    c = make_conversation(cast.acme)
    assert cast.client(cast.outsider).get(f"/inbox/c/{c.pk}/", **HTMX).status_code in (403, 404)


def test_another_organisations_conversation_is_not_found(cast: Cast) -> None:
    theirs = make_conversation(cast.globex)
    response = cast.client(cast.member).get(f"/inbox/c/{theirs.pk}/", **HTMX)
    assert response.status_code == 404


def test_hostile_html_in_names_and_text_is_escaped_in_list_and_pane(cast: Cast) -> None:
    c = hostile_conversation(cast)
    services.do_add_note(cast.member, c, "<script>alert('note')</script>")
    services.do_tag(cast.member, c, "<b>vip</b>")
    client = cast.client(cast.member)
    for html in (
        client.get("/inbox/").content.decode(),
        client.get(f"/inbox/?c={c.pk}").content.decode(),
        client.get(f"/inbox/c/{c.pk}/", **HTMX).content.decode(),
    ):
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "<svg onload" not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Mallory" in html
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#x27;note&#x27;)&lt;/script&gt;" in html


def test_the_list_costs_the_same_queries_for_3_or_40_conversations(cast: Cast) -> None:
    client = cast.client(cast.member)
    for _ in range(3):
        c = make_conversation(cast.acme)
        services.do_tag(cast.member, c, "first")
    client.get("/inbox/")  # warm caches (sessions, roles)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/inbox/").status_code == 200
    for _ in range(37):
        c = make_conversation(cast.acme)
        services.do_tag(cast.member, c, "second")
        services.do_claim(cast.director, c)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/inbox/")
    assert response.content.decode().count('class="inbox-row') == 40
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 15


def test_the_conversation_pane_reads_a_fixed_number_of_queries(cast: Cast) -> None:
    client = cast.client(cast.member)
    small = make_conversation(cast.acme)
    services.do_add_note(cast.director, small, "one note @member")
    big = make_conversation(cast.acme)
    for n in range(20):
        add_message(big, f"message {n}")
        services.do_add_note(cast.director, big, f"note {n} @member")
        services.do_tag(cast.member, big, f"tag{n}")
    for _ in range(5):
        make_conversation(cast.acme, author=big.author)
    client.get(f"/inbox/c/{small.pk}/", **HTMX)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/inbox/c/{small.pk}/", **HTMX)
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/inbox/c/{big.pk}/", **HTMX)
    assert response.content.decode().count('class="message theirs"') == 21
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 25


def test_the_next_page_of_rows_follows_the_cursor(cast: Cast) -> None:
    for _ in range(55):
        make_conversation(cast.acme)
    client = cast.client(cast.member)
    first = client.get("/inbox/").content.decode()
    assert first.count('class="inbox-row') == 50
    assert "More conversations" in first
    import re

    cursor = re.search(r"after=([\w%-]+)", first)
    assert cursor is not None
    more = client.get(f"/inbox/rows/?after={cursor.group(1)}").content.decode()
    assert more.count('class="inbox-row') == 5


def test_bad_filters_say_what_is_wrong_instead_of_failing(cast: Cast) -> None:
    client = cast.client(cast.member)
    response = client.get("/inbox/?status=<script>&after=garbage")
    assert response.status_code == 200
    assert "status:" in response.content.decode()
    assert "<script>" not in response.content.decode().split('id="inbox-list"')[1][:2000]
    assert client.get("/inbox/rows/?after=%00%ff").status_code == 200


def test_the_queue_pane_counts_each_queue(cast: Cast) -> None:
    make_conversation(cast.acme)
    mine = make_conversation(cast.acme)
    services.do_claim(cast.member, mine)
    services.do_save_view(cast.member, cast.acme, "Complaints", {"intent": "complaint"})
    html = cast.client(cast.member).get("/inbox/queues/").content.decode()
    assert 'data-queue="mine"' in html
    assert "Complaints" in html


def test_resolving_from_the_pane_answers_with_the_pane_and_its_row(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    response = cast.client(cast.member).post(
        f"/inbox/c/{c.pk}/status/", {"status": "resolved"}, **HTMX
    )
    html = response.content.decode()
    assert "Marked resolved." in html
    assert f'id="row-{c.pk}"' in html
    assert 'hx-swap-oob="true"' in html
    c.refresh_from_db()
    assert c.status == Status.RESOLVED


def test_assign_claim_tag_snooze_and_note_from_the_pane(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    client = cast.client(cast.member)
    client.post(f"/inbox/c/{c.pk}/assign/", {"assignee": str(cast.mentor.pk)}, **HTMX)
    c.refresh_from_db()
    assert c.assignee == cast.mentor
    client.post(f"/inbox/c/{c.pk}/claim/", **HTMX)
    c.refresh_from_db()
    assert c.assignee == cast.member
    client.post(f"/inbox/c/{c.pk}/assign/", {"department": str(cast.care.pk)}, **HTMX)
    c.refresh_from_db()
    assert (c.assignee, c.department) == (None, cast.care)
    client.post(f"/inbox/c/{c.pk}/tag/", {"tag": "Lost bag"}, **HTMX)
    assert list(c.tags.values_list("name", flat=True)) == ["lost-bag"]
    html = client.post(f"/inbox/c/{c.pk}/snooze/", {"until": "tomorrow"}, **HTMX).content.decode()
    assert "Snoozed until" in html
    c.refresh_from_db()
    assert c.snoozed_until is not None
    assert c.snoozed_until > timezone.now()
    html = client.post(f"/inbox/c/{c.pk}/note/", {"body": "ask @director"}, **HTMX).content
    assert b"told Diane Director" in html


def test_a_refused_action_is_said_in_the_pane(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    html = (
        cast.client(cast.member)
        .post(f"/inbox/c/{c.pk}/tag/", {"tag": "###"}, **HTMX)
        .content.decode()
    )
    assert 'role="alert"' in html
    assert "at least one letter" in html


def test_bulk_from_the_page(cast: Cast) -> None:
    a, b = make_conversation(cast.acme), make_conversation(cast.acme)
    response = cast.client(cast.member).post(
        "/inbox/bulk/", {"ids": [a.pk, b.pk], "action": "resolve"}, **HTMX
    )
    assert "2 conversations changed." in response.content.decode()
    assert response["HX-Trigger"] == "inbox:refresh"
    assert Conversation.objects.filter(pk__in=[a.pk, b.pk], status="resolved").count() == 2
    tagged = cast.client(cast.member).post(
        "/inbox/bulk/", {"ids": [a.pk], "action": "tag", "tag_value": "press"}, **HTMX
    )
    assert "1 conversation changed." in tagged.content.decode()


def test_saving_a_view_from_the_page_then_opening_it(cast: Cast) -> None:
    make_conversation(cast.acme, "praise here", intent="praise")
    make_conversation(cast.acme, "complaint here", intent="complaint")
    client = cast.client(cast.member)
    response = client.post("/inbox/views/save/", {"name": "Praise", "query": "intent=praise"})
    view = SavedView.objects.get(owner=cast.member, name="Praise")
    assert response["Location"] == f"/inbox/?view={view.pk}"
    html = client.get(f"/inbox/?view={view.pk}").content.decode()
    assert "praise here" in html
    assert "complaint here" not in html


def test_a_saved_reply_is_offered_filled_in(cast: Cast) -> None:
    author = make_author(cast.acme, name="<b>Jo</b>")
    c = make_conversation(cast.acme, author=author)
    SavedReply.objects.create(organization=cast.acme, name="Hello", text="Hi {author_name}!")
    html = cast.client(cast.member).get(f"/inbox/c/{c.pk}/", **HTMX).content.decode()
    assert 'data-text="Hi &lt;b&gt;Jo&lt;/b&gt;!"' in html


def test_the_heartbeat_notes_the_person_is_here(cast: Cast) -> None:
    from cluetrain.inbox.models import Availability

    response = cast.client(cast.member).post("/inbox/heartbeat/")
    assert response.json() == {"ok": True}
    seen = Availability.objects.get(
        membership__person=cast.member, membership__organization=cast.acme
    )
    assert seen.last_seen_at is not None
    assert timezone.now() - seen.last_seen_at < timedelta(minutes=1)


@pytest.mark.parametrize("text", ["", "x" * 20000, "👨‍👩‍👧‍👦 call me on 020 7946 0958"])
def test_the_live_reply_check_takes_any_text(cast: Cast, text: str) -> None:
    c = make_conversation(cast.acme, "my number is 020 7946 0958, call me")
    response = cast.client(cast.member).post(
        f"/inbox/c/{c.pk}/reply/check/", {"text": text, "voice": cast.member_voice.pk}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    if "0958" in text:
        assert "personal data" in html
    if text:
        assert "/ 500" in html


def test_one_click_on_a_triage_chip_corrects_it_and_teaches_the_model(cast: Cast) -> None:
    from cluetrain.triage.models import Correction

    c = make_conversation(cast.acme, "Where is my refund?", intent="complaint")
    message = c.messages.get()
    pane = cast.client(cast.member).get(f"/inbox/c/{c.pk}/", **HTMX).content.decode()
    assert "Intent: complaint" in pane
    assert '"value": "question"' in pane
    html = (
        cast.client(cast.member)
        .post(
            f"/inbox/c/{c.pk}/correct/",
            {"field": "intent", "value": "question", "message": message.pk},
            **HTMX,
        )
        .content.decode()
    )
    assert "Intent: question" in html
    assert "the triage learns from it" in html
    correction = Correction.objects.get(message=message)
    assert (correction.old_value, correction.new_value) == ("complaint", "question")
    c.refresh_from_db()
    assert c.intent == "question"


def test_a_chip_cannot_be_set_to_nonsense(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    html = (
        cast.client(cast.member)
        .post(
            f"/inbox/c/{c.pk}/correct/",
            {"field": "intent", "value": "<script>", "message": c.messages.get().pk},
            **HTMX,
        )
        .content.decode()
    )
    assert 'role="alert"' in html
    assert "<script>" not in html.split('role="alert"')[1][:300]


def test_asking_a_colleague_from_the_conversation(cast: Cast) -> None:
    from cluetrain.inbox.models import Question

    c = make_conversation(cast.acme, topic="refunds")
    html = (
        cast.client(cast.member)
        .post(f"/inbox/c/{c.pk}/ask/", {"question": "Do we refund <b>twice</b>?"}, **HTMX)
        .content.decode()
    )
    assert "Asked;" in html
    question = Question.objects.get(conversation=c)
    assert question.asked_by == cast.member
    assert "Do we refund &lt;b&gt;twice&lt;/b&gt;?" in html


def test_staff_see_conversations_in_the_admin(cast: Cast) -> None:
    c = hostile_conversation(cast)
    services.do_add_note(cast.member, c, "a note")
    client = cast.client(cast.admin)
    assert client.get("/admin/inbox/conversation/").status_code == 200
    page = client.get(f"/admin/inbox/conversation/{c.pk}/change/")
    assert page.status_code == 200
    assert b"<script>alert(" not in page.content


def test_a_reply_is_saved_from_the_pane_and_offered_next_time(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    client = cast.client(cast.member)
    response = client.post(
        "/inbox/saved-replies/save/",
        {"name": "Refund", "text": "Hi {author_name}, refunds take 3 days.", "conversation": c.pk},
    )
    assert response["Location"] == f"/inbox/?c={c.pk}"
    html = client.get(f"/inbox/c/{c.pk}/", **HTMX).content.decode()
    assert 'data-text="Hi Casey Customer, refunds take 3 days."' in html
    assert client.post("/inbox/saved-replies/save/", {"name": "", "text": ""}).status_code == 302
    assert SavedReply.objects.filter(organization=cast.acme).count() == 1


def test_replying_from_the_pane_warns_then_sends_once_confirmed(cast: Cast) -> None:
    from cluetrain.listening.models import Direction, Message
    from cluetrain.reviews.autonomy import do_set_level

    do_set_level(cast.coordinator, cast.member, cast.acme, "autonomous", reason="Alone.")
    c = make_conversation(cast.acme, "Call me on 020 7946 0958")
    client = cast.client(cast.member)
    form = {"text": "Calling 020 7946 0958 now", "voice": cast.member_voice.pk}
    html = client.post(f"/inbox/c/{c.pk}/reply/", form, **HTMX).content.decode()
    assert "repeats the customer&#x27;s personal data" in html
    assert 'name="confirm_personal_data"' in html
    assert "Calling 020 7946 0958 now</textarea>" in html  # what was typed is kept
    assert not Message.objects.filter(conversation=c, direction=Direction.OUTBOUND).exists()
    html = client.post(
        f"/inbox/c/{c.pk}/reply/", {**form, "confirm_personal_data": "1"}, **HTMX
    ).content.decode()
    assert "Replied from Milo Member." in html
    assert 'class="message ours"' in html
    assert Message.objects.filter(conversation=c, direction=Direction.OUTBOUND).count() == 1


def test_a_reply_from_someone_elses_voice_is_a_403(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    response = cast.client(cast.director).post(
        f"/inbox/c/{c.pk}/reply/", {"text": "Hi", "voice": cast.member_voice.pk}, **HTMX
    )
    assert response.status_code == 403


def test_the_people_type_ahead_finds_colleagues_by_name_or_handle(cast: Cast) -> None:
    client = cast.client(cast.member)
    found = client.get("/inbox/people/?q=mona").json()["people"]
    assert [p["handle"] for p in found] == ["mentor"]
    assert found[0]["inbox"] is True
    assert client.get("/inbox/people/?q=oscar").json()["people"] == []  # another organisation
    assert client.get("/inbox/people/?q=" + "%00" * 100).status_code == 200


def test_the_saved_views_page_lists_mine_and_shared_ones(cast: Cast) -> None:
    services.do_save_view(cast.member, cast.acme, "<i>Mine</i>", {})
    services.do_save_view(cast.mentor, cast.acme, "Shared", {}, shared=True)
    services.do_save_view(cast.mentor, cast.acme, "Private", {})
    html = cast.client(cast.member).get("/inbox/views/").content.decode()
    assert "&lt;i&gt;Mine&lt;/i&gt;" in html
    assert "Shared" in html
    assert "Private" not in html
