"""What the people, reviews, conversations and triage endpoints read and return."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Literal

from ninja import Field, Schema

from cluetrain.api.ids import MAX_ID
from cluetrain.organizations.models import Department, Person
from cluetrain.organizations.roles import Role

RoleName = Literal[
    "admin",
    "director",
    "coordinator",
    "mentor",
    "member",
    "trainee",
    "operations",
    "manager",
    "agency",
]
StatusName = Literal["new", "open", "waiting", "resolved"]
MAX_TEXT = 5000
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class PersonRef(Schema):
    id: int
    name: str


class DepartmentRef(Schema):
    id: int
    name: str
    slug: str


def person_ref(person: Person | None) -> PersonRef | None:
    return PersonRef(id=person.pk, name=person.full_name) if person else None


def department_ref(department: Department | None) -> DepartmentRef | None:
    if department is None:
        return None
    return DepartmentRef(id=department.pk, name=department.name, slug=department.slug)


# --- People -----------------------------------------------------------------------------------


class AvailabilityOut(Schema):
    takes_conversations: bool
    capacity: int
    working_days: str = Field(description="Weekday numbers, 1 (Monday) to 7 (Sunday).")
    day_starts: time | None
    day_ends: time | None
    out_of_office_until: datetime | None
    status: str = Field(
        description="'available', or why not: out of office, offline, outside working hours…"
    )


class ExpertiseOut(Schema):
    topic: str
    declared: bool
    weight: float = Field(description="Learned from resolved conversations; 0 when only declared.")


class PersonOut(Schema):
    id: int
    name: str
    email: str
    title: str
    time_zone: str
    roles: list[str]
    departments: list[DepartmentRef]
    works_inbox: bool
    availability: AvailabilityOut
    expertise: list[ExpertiseOut]


class PeopleFilters(Schema):
    role: RoleName | None = Field(None, description="Only people holding this role.")
    department: Id | None = Field(None, description="Only people in this department (its id).")
    q: str | None = Field(None, max_length=100, description="Words of the name or e-mail.")


class RolesIn(Schema):
    roles: list[RoleName] = Field(min_length=1, max_length=len(Role.values))


class InvitationIn(Schema):
    email: str = Field(max_length=254)
    roles: list[RoleName] = Field(min_length=1, max_length=len(Role.values))
    department_ids: list[Id] = Field(default_factory=list, max_length=50)


class InvitationOut(Schema):
    id: int
    email: str
    roles: list[str]
    expires_at: datetime


class AvailabilityIn(Schema):
    takes_conversations: bool | None = None
    capacity: int | None = Field(None, ge=0, le=500)
    working_days: str | None = Field(None, max_length=7, pattern=r"^[1-7]+$")
    day_starts: time | None = None
    day_ends: time | None = None
    out_of_office_until: datetime | None = None


class TopicIn(Schema):
    topic: str = Field(min_length=1, max_length=60)


# --- Reviews ----------------------------------------------------------------------------------


class CommentOut(Schema):
    author: PersonRef | None
    text: str
    created_at: datetime


class ReviewOut(Schema):
    id: int
    status: str
    reason: str
    requested_at: datetime
    due_at: datetime
    post_id: int
    post_text: str
    post_category: str
    author: PersonRef | None
    voices: list[str] = Field(description="The handles the post goes out through.")
    comments: list[CommentOut]


class ReturnIn(Schema):
    comment: str = Field(min_length=1, max_length=MAX_TEXT, description="What should change.")


class CommentIn(Schema):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


# --- Conversations ----------------------------------------------------------------------------


class ConversationFilters(Schema):
    status: list[StatusName] = Field(
        default_factory=list, description="Default: new and open (the open queue)."
    )
    assignee: str | None = Field(
        None,
        max_length=20,
        pattern=r"^(me|unassigned|[0-9]{1,9})$",
        description="'me', 'unassigned' or a person's id.",
    )
    department: list[Id] = Field(default_factory=list, max_length=50)
    tag: str | None = Field(None, max_length=60)
    intent: str | None = Field(None, max_length=20)
    urgency: str | None = Field(None, max_length=20)
    sentiment: str | None = Field(None, max_length=20)
    incident: bool | None = None
    snoozed: bool = Field(False, description="Only snoozed conversations (hidden otherwise).")
    q: str | None = Field(None, max_length=1000, description="Words to search for.")
    sort: Literal["recent", "due"] = "recent"
    after: str | None = Field(
        None, max_length=500, description="The next_cursor of the previous page."
    )
    limit: int = Field(20, ge=1, le=100)


class ConversationOut(Schema):
    id: int
    network: str
    subject: str
    status: str
    author: str = Field(description="The author's handle on the network.")
    assignee: PersonRef | None
    department: DepartmentRef | None
    tags: list[str]
    intent: str
    urgency: str
    sentiment_label: str
    topic: str
    incident: bool
    complaint: bool
    message_count: int
    last_message_at: datetime
    snoozed_until: datetime | None
    due_at: datetime | None


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None = Field(description="Pass as 'after' for the next page.")
    has_more: bool


class MessageOut(Schema):
    id: int
    direction: str = Field(description="in: heard from outside; out: our reply.")
    author: str
    text: str
    url: str
    created_at: datetime
    intent: str
    urgency: str
    sentiment_label: str
    topic: str
    complaint: bool
    incident: bool
    department: DepartmentRef | None
    post_id: int | None = Field(description="For our replies: the post that carries it.")


class NoteOut(Schema):
    id: int
    author: PersonRef | None
    body: str
    created_at: datetime


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]
    notes: list[NoteOut]


class AssignIn(Schema):
    assignee_id: Id | None = Field(None, description="A colleague's id; none: the queue.")
    department_id: Id | None = Field(None, description="Put it in this department's queue.")


class StatusIn(Schema):
    status: StatusName


class SnoozeIn(Schema):
    until: datetime = Field(description="With its offset; at most a year ahead.")


class TagIn(Schema):
    name: str = Field(min_length=1, max_length=60)


class NoteIn(Schema):
    body: str = Field(min_length=1, max_length=MAX_TEXT)


class ReplyIn(Schema):
    voice_id: Id
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    reply_to_message_id: Id | None = Field(
        None, description="The message to answer; default the customer's latest."
    )
    override_reason: str = Field("", max_length=500)
    confirm_personal_data: bool = Field(
        False, description="The customer asked for their personal data to be repeated."
    )
    status_after: StatusName = "waiting"


class ReplyOut(Schema):
    post_id: int
    post_status: str
    message_id: int
    in_review: bool


# --- Triage -----------------------------------------------------------------------------------


class CorrectionIn(Schema):
    field: Literal[
        "intent",
        "urgency",
        "sentiment_label",
        "topic",
        "department",
        "complaint",
        "incident",
        "language",
    ]
    value: str | bool | int | None = Field(
        description="The new value: a choice's name, true/false, a topic or department slug."
    )


class CorrectionOut(Schema):
    id: int
    message_id: int | None
    field: str
    old_value: str
    new_value: str
    made_by: PersonRef | None
    made_at: datetime


class CorrectionResult(Schema):
    changed: bool
    correction: CorrectionOut | None


class RouteIn(Schema):
    department_id: Id | None = None
    assignee_id: Id | None = None


class ChangedOut(Schema):
    changed: int
