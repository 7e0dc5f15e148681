"""Triage learns from people: corrections stored as labelled examples, shown at once, routed
again when the department changes, and retrained into the organisation's own model."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.inbox.models import Conversation, ConversationEvent, Status
from cluetrain.listening.models import Direction, Message
from cluetrain.organizations.models import Department
from cluetrain.triage import learning, tasks
from cluetrain.triage.engine import Triager
from cluetrain.triage.models import Correction, Field, TrainedModel
from cluetrain.triage.services import do_correct, do_correct_routing
from tests.conftest import Cast
from tests.support.routing import availability, conversation, message


@pytest.fixture(autouse=True)
def _fresh_models() -> None:
    # Database ids repeat across rolled-back tests; the per-process model cache must not.
    learning.forget()


def _heard(cast: Cast, text: str = "My suitcase never arrived", **fields: object) -> Message:
    return message(conversation(cast.acme, **fields), text, intent="question", urgency="normal")


def test_a_correction_is_stored_with_its_text_and_shown_at_once(cast: Cast) -> None:
    heard = _heard(cast)
    correction = do_correct(cast.member, heard, "intent", "Complaint")
    assert correction is not None
    assert (correction.field, correction.old_value, correction.new_value) == (
        Field.INTENT,
        "question",
        "complaint",
    )
    assert correction.text == "My suitcase never arrived"
    assert correction.made_by == cast.member
    heard.refresh_from_db()
    assert heard.intent == "complaint"
    assert Conversation.objects.get(pk=heard.conversation_id).intent == "complaint"
    event = ConversationEvent.objects.get(conversation_id=heard.conversation_id, kind="corrected")
    assert event.detail == {
        "field": "intent",
        "from": "question",
        "to": "complaint",
        "message": heard.pk,
    }


def test_the_same_value_again_changes_nothing(cast: Cast) -> None:
    heard = _heard(cast)
    assert do_correct(cast.member, heard, "urgency", "normal") is None
    assert not Correction.objects.exists()


def test_an_older_message_leaves_the_conversations_chips_alone(cast: Cast) -> None:
    heard = _heard(cast)
    message(heard.conversation, "Any news?", urgency="normal")
    Message.objects.filter(pk=heard.pk).update(created_at=heard.created_at.replace(year=2024))
    heard.refresh_from_db()
    do_correct(cast.member, heard, "urgency", "high")
    assert Conversation.objects.get(pk=heard.conversation_id).urgency == ""


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("mood", "sad", "not part of a triage decision"),
        ("intent", "<script>alert(1)</script>", "must be one of"),
        ("urgency", "URGENT!!!", "must be one of"),
        ("complaint", "perhaps", "yes or no"),
        ("language", "English please", "a code such as"),
        ("department", "99999999", "no such department"),
        ("topic", "‮!!", "letters or digits"),
    ],
)
def test_values_that_do_not_fit_the_field_are_refused(
    cast: Cast, field: str, value: str, error: str
) -> None:
    with pytest.raises(ServiceError, match=error):
        do_correct(cast.member, _heard(cast), field, value)
    assert not Correction.objects.exists()


def test_a_department_of_another_organisation_is_refused(cast: Cast) -> None:
    elsewhere = Department.objects.create(organization=cast.globex, name="Sales", slug="sales")
    with pytest.raises(ServiceError, match="no such department"):
        do_correct(cast.member, _heard(cast), "department", elsewhere.pk)


def test_flags_topics_and_languages_are_stored_as_the_engine_reads_them(cast: Cast) -> None:
    heard = _heard(cast)
    assert do_correct(cast.member, heard, "complaint", "yes").new_value == "true"
    assert do_correct(cast.member, heard, "topic", "Lost Luggage").new_value == "lost-luggage"
    assert do_correct(cast.member, heard, "language", "PT-BR").new_value == "pt-br"
    heard.refresh_from_db()
    assert (heard.complaint, heard.topic, heard.language) == (True, "lost-luggage", "pt-br")


def test_outsiders_and_managers_may_not_correct(cast: Cast) -> None:
    from cluetrain.organizations.roles import Role
    from cluetrain.organizations.services import do_add_member

    manager = type(cast.member).objects.create_user("manager@example.com", "x", full_name="Max")
    do_add_member(cast.acme, manager, [Role.MANAGER])
    heard = _heard(cast)
    for person in (cast.outsider, manager):
        with pytest.raises(NotAllowed):
            do_correct(person, heard, "intent", "praise")
    assert not Correction.objects.exists()


def test_our_own_replies_have_no_triage_to_correct(cast: Cast) -> None:
    reply = message(conversation(cast.acme), "Sorry to hear that", direction=Direction.OUTBOUND)
    with pytest.raises(ServiceError, match="not our replies"):
        do_correct(cast.member, reply, "intent", "praise")


def test_a_new_department_routes_the_conversation_to_that_departments_expert(cast: Cast) -> None:
    availability(cast.acme, cast.mentor, last_seen_at=timezone.now())
    heard = _heard(cast, assignee=cast.member)
    do_correct(cast.coordinator, heard, "department", "customer-care")
    moved = Conversation.objects.get(pk=heard.conversation_id)
    assert (moved.department, moved.assignee) == (cast.care, cast.mentor)
    assert Correction.objects.get().new_value == "customer-care"
    event = ConversationEvent.objects.get(conversation=moved, kind="rerouted")
    assert event.actor == cast.coordinator


def test_someone_already_working_on_it_keeps_it_when_the_department_changes(cast: Cast) -> None:
    heard = _heard(cast, assignee=cast.member, status=Status.OPEN)
    do_correct(cast.coordinator, heard, "department", str(cast.care.pk))
    kept = Conversation.objects.get(pk=heard.conversation_id)
    assert (kept.department, kept.assignee) == (cast.care, cast.member)


def test_routing_by_hand_is_stored_as_examples(cast: Cast) -> None:
    heard = _heard(cast, topic="baggage", status=Status.OPEN)
    assert do_correct_routing(cast.coordinator, heard.conversation, department=cast.care) == 1
    assert Correction.objects.get().field == Field.DEPARTMENT
    assert do_correct_routing(cast.coordinator, heard.conversation, assignee=cast.trainee) == 1
    c = Conversation.objects.get(pk=heard.conversation_id)
    assert (c.department, c.assignee) == (cast.care, cast.trainee)
    assert cast.trainee.memberships.get(organization=cast.acme).expertise.get().topic == "baggage"
    with pytest.raises(NotAllowed):
        do_correct_routing(cast.outsider, c, department=cast.care)


def test_the_latest_correction_of_a_messages_field_wins(cast: Cast) -> None:
    heard = _heard(cast)
    do_correct(cast.member, heard, "intent", "complaint")
    do_correct(cast.member, heard, "urgency", "high")
    do_correct(cast.trainee, heard, "intent", "request")
    examples, read = learning.examples_of(cast.acme.pk)
    assert read == 3
    assert examples == [("My suitcase never arrived", {"intent": "request", "urgency": "high"})]


def test_a_message_deleted_since_keeps_its_example(cast: Cast) -> None:
    heard = _heard(cast)
    do_correct(cast.member, heard, "intent", "complaint")
    heard.delete()
    assert learning.examples_of(cast.acme.pk)[0] == [
        ("My suitcase never arrived", {"intent": "complaint"})
    ]


BAGGAGE = [
    "My suitcase never arrived at the carousel",
    "Lost luggage after my flight, bag still missing",
    "The baggage belt lost my bag again",
    "Where is my suitcase? luggage desk closed",
    "Bag damaged and luggage handle broken",
    "My luggage went to another airport",
]
FARES = [
    "Why is the ticket price so high today",
    "Fare went up between search and checkout, ticket cost",
    "Can I get a cheaper fare for my ticket",
    "The price of a return ticket doubled",
    "Discount code for the ticket fare not working",
    "Ticket price refund of the fare difference",
]


def test_retraining_learns_the_corrections_and_changes_the_next_prediction(cast: Cast) -> None:
    sales = Department.objects.create(organization=cast.acme, name="Sales", slug="sales")
    text = "help, luggage lost and my bag is missing"
    before = Triager(org_model=learning.model_for(cast.acme.pk)).classify_one(text)
    assert learning.model_for(cast.acme.pk) is None
    for texts, department in ((BAGGAGE, cast.care), (FARES, sales)):
        for line in texts:
            do_correct(cast.member, _heard(cast, line), "department", department.slug)

    stored = learning.retrain(cast.acme.pk)
    assert stored is not None
    assert (stored.version, stored.examples, stored.fields) == (1, 12, ["department"])
    model = learning.model_for(cast.acme.pk)
    assert model is not None
    after = Triager(org_model=model).classify_one(text)
    assert after.department == "customer-care"
    assert after.department != before.department
    assert Triager(org_model=model).classify_one("ticket fare price too high").department == "sales"


def test_retraining_without_new_corrections_stores_nothing(cast: Cast) -> None:
    assert learning.retrain(cast.acme.pk) is None  # no corrections at all
    do_correct(cast.member, _heard(cast), "intent", "complaint")
    first = learning.retrain(cast.acme.pk)
    assert first is not None
    assert learning.retrain(cast.acme.pk) is None
    assert tasks.retrain_organization.call(cast.acme.pk) == 0
    assert learning.organizations_to_retrain() == []
    TrainedModel.objects.filter(pk=first.pk).update(trained_at=first.trained_at.replace(year=2020))
    assert learning.organizations_to_retrain() == [cast.acme.pk]
    assert learning.retrain(cast.acme.pk).version == 2


def test_only_the_last_few_versions_are_kept(cast: Cast) -> None:
    do_correct(cast.member, _heard(cast), "intent", "complaint")
    for _ in range(learning.KEEP_VERSIONS + 2):
        learning.retrain(cast.acme.pk, force=True)
    versions = list(
        TrainedModel.objects.filter(organization=cast.acme).values_list("version", flat=True)
    )
    assert versions == [7, 6, 5, 4, 3]


def test_each_process_loads_a_model_once_and_reloads_a_newer_one(cast: Cast) -> None:
    do_correct(cast.member, _heard(cast), "intent", "complaint")
    learning.retrain(cast.acme.pk)
    first = learning.model_for(cast.acme.pk)
    assert learning.model_for(cast.acme.pk) is first
    learning.retrain(cast.acme.pk, force=True)
    assert learning.model_for(cast.acme.pk) is not first
    assert learning.model_for(cast.globex.pk) is None


def test_an_unreadable_stored_model_is_not_used(cast: Cast) -> None:
    TrainedModel.objects.create(
        organization=cast.acme, version=1, data=b"\x00not a model", examples=1, fields=[]
    )
    assert learning.model_for(cast.acme.pk) is None


def test_a_burst_of_corrections_asks_for_one_retraining(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        for intent in ("complaint", "praise", "request"):
            do_correct(cast.member, _heard(cast), "intent", intent)
    jobs = DBTaskResult.objects.filter(task_path="cluetrain.triage.tasks.retrain_organization")
    assert jobs.count() == 1
    assert jobs.get().run_after > timezone.now()
