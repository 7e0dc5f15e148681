"""What the incidents, academy, insights and webhook endpoints read and write."""

from __future__ import annotations

from datetime import date
from typing import Any

from ninja import Field, Schema

from cluetrain.api.schemas import PersonRef, UtcDateTime

# --- Incidents ---------------------------------------------------------------------------------


class IncidentOut(Schema):
    id: int
    title: str
    severity: str
    status: str
    public_summary: str
    whole_organization: bool
    department_ids: list[int]
    voice_ids: list[int]
    networks: list[str]
    declared_by: PersonRef | None
    declared_at: UtcDateTime
    ended_by: PersonRef | None
    ended_at: UtcDateTime | None

    @staticmethod
    def resolve_department_ids(incident: Any) -> list[int]:
        return [d.pk for d in incident.departments.all()]

    @staticmethod
    def resolve_voice_ids(incident: Any) -> list[int]:
        return [v.pk for v in incident.voices.all()]

    @staticmethod
    def resolve_networks(incident: Any) -> list[str]:
        return list(incident.networks or [])

    @staticmethod
    def resolve_declared_by(incident: Any) -> PersonRef | None:
        return person_ref(incident.declared_by)

    @staticmethod
    def resolve_ended_by(incident: Any) -> PersonRef | None:
        return person_ref(incident.ended_by)


def person_ref(person: Any) -> PersonRef | None:
    return PersonRef(id=person.pk, name=person.full_name) if person is not None else None


class TimelineOut(Schema):
    at: UtcDateTime
    verb: str
    message: str
    actor: PersonRef | None

    @staticmethod
    def resolve_actor(event: Any) -> PersonRef | None:
        return person_ref(event.actor)


class IncidentDetail(IncidentOut):
    timeline: list[TimelineOut]

    @staticmethod
    def resolve_timeline(incident: Any) -> list[Any]:
        return list(incident.timeline.all())


class IncidentFilters(Schema):
    status: str | None = Field(None, pattern="^(open|ended)$")
    severity: str | None = Field(None, pattern="^(minor|major|critical)$")


class DeclareIn(Schema):
    title: str = Field(max_length=1000)
    severity: str = "major"
    public_summary: str = Field("", max_length=10000)
    whole_organization: bool = True
    department_ids: list[int] = Field(default_factory=list, max_length=100)
    voice_ids: list[int] = Field(default_factory=list, max_length=100)
    networks: list[str] = Field(default_factory=list, max_length=20)


class DeclaredOut(Schema):
    incident: IncidentDetail
    paused: int = Field(description="Deliveries the declaration paused.")


class UpdateIn(Schema):
    text: str = Field(max_length=10000)
    voice_ids: list[int] = Field(default_factory=list, max_length=20)


class UpdateOut(Schema):
    id: int
    text: str
    post_ids: list[int]
    created_at: UtcDateTime


class CloseIn(Schema):
    note: str = Field("", max_length=5000)


# --- Academy -----------------------------------------------------------------------------------


class CourseOut(Schema):
    id: int
    slug: str
    title: str
    summary: str
    audience: str
    is_module: bool
    lessons: int


class CourseProgressOut(Schema):
    course_id: int
    title: str
    lessons_total: int
    lessons_done: int
    quizzes_total: int
    quizzes_passed: int
    done: bool
    percent: int
    due_at: UtcDateTime | None


class ProgressOut(Schema):
    person: PersonRef
    level: str
    lessons_done: int
    courses_done: int
    modules_done: int
    quiz_average: int | None
    overdue: int
    courses: list[CourseProgressOut]


class AssignmentOut(Schema):
    id: int
    course_id: int
    course: str
    due_at: UtcDateTime | None
    done: bool


# --- Insights ----------------------------------------------------------------------------------


class InsightsQuery(Schema):
    start: date | None = Field(None, description="First day (default: 29 days before end).")
    end: date | None = Field(None, description="Last day, included (default: today).")
    tables: str = Field(
        "summary", max_length=500, description="Comma-separated table names, or 'all'."
    )


class TableOut(Schema):
    name: str
    title: str
    header: list[str]
    rows: list[list[Any]]


class InsightsOut(Schema):
    scope: str
    title: str
    start: date
    end: date
    time_zone: str
    tables: list[TableOut]
    available: list[str]


# --- Webhooks ----------------------------------------------------------------------------------


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    is_active: bool
    created_at: UtcDateTime


class EndpointIn(Schema):
    url: str = Field(max_length=2000)
    events: list[str] = Field(max_length=10)
    description: str = Field("", max_length=1000)


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The signing secret: shown in this answer only.")


class EndpointPatch(Schema):
    events: list[str] | None = Field(None, max_length=10)
    is_active: bool | None = None


class DeliveryOut(Schema):
    id: int
    delivery_id: str
    event: str
    status: str
    attempts: int
    response_code: int | None
    error: str
    next_attempt_at: UtcDateTime | None
    delivered_at: UtcDateTime | None
    created_at: UtcDateTime

    @staticmethod
    def resolve_delivery_id(delivery: Any) -> str:
        return str(delivery.delivery_id)

    @staticmethod
    def resolve_event(delivery: Any) -> str:
        return str(delivery.hook_event.event)
