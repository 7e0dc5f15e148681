"""Rotation pages: cohorts for coordinators, a member's own shifts, the alumni. Thin: the
services decide and check permissions; these read forms and show what happened."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cluetrain.cohorts import placement, reading, services, shifts
from cluetrain.cohorts.forms import (
    AddMemberForm,
    AskForm,
    CohortForm,
    PlaceForm,
    RotaForm,
    ShiftForm,
)
from cluetrain.cohorts.models import Cohort, CohortMember, MemberStatus, Shift
from cluetrain.core.actions import act_and_say
from cluetrain.core.errors import ServiceError
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Person
from cluetrain.organizations.requests import MemberRequest


def _cohort(request: MemberRequest, pk: int) -> Cohort:
    cohort = get_object_or_404(
        Cohort.objects.select_related("organization", "centre", "coordinator"),
        pk=pk,
        organization=request.organization,
    )
    if not services.may_view_cohort(request.user, request.organization):
        raise PermissionDenied("Coordinators, directors and mentors follow cohorts.")
    return cohort


def _member(request: MemberRequest, pk: int) -> CohortMember:
    return get_object_or_404(
        CohortMember.objects.select_related(
            "cohort__organization", "cohort__centre", "membership__person"
        ),
        pk=pk,
        cohort__organization=request.organization,
    )


def _form_errors(form: object) -> str:
    errors = getattr(form, "errors", {})
    return " ".join(f"{name}: {' '.join(e)}" for name, e in errors.items())


@member_required
def index(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    can_view = services.may_view_cohort(request.user, organization)
    cohorts = (
        Cohort.objects.filter(organization=organization)
        .select_related("centre", "coordinator")
        .annotate(
            immersed=Count("members", filter=Q(members__status=MemberStatus.IMMERSED)),
            placed=Count("members", filter=Q(members__status=MemberStatus.PLACED)),
        )
        if can_view
        else Cohort.objects.none()
    )
    now = timezone.now()
    return render(
        request,
        "cohorts/index.html",
        {
            "cohorts": list(cohorts[:100]),
            "can_view": can_view,
            "can_manage": services.may_manage(request.user, organization),
            "form": CohortForm(organization=organization),
            "my_shifts": shifts.shifts_of(request.user, organization, now),
            "my_places": reading.my_places(organization, request.user.pk),
            "mentors": reading.mentors_offering(organization),
        },
    )


@require_POST
@member_required
def create(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    services.check_may_manage(request.user, organization)
    form = CohortForm(request.POST, organization=organization)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("cohorts:index")
    data = form.cleaned_data
    try:
        cohort = services.do_create_cohort(
            request.user,
            organization,
            name=data["name"],
            centre=data["centre"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            time_zone=data["time_zone"] or None,
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("cohorts:index")
    messages.success(request, f"{cohort.name} planned.")
    return redirect("cohorts:cohort", pk=cohort.pk)


@member_required
def cohort(request: MemberRequest, pk: int) -> HttpResponse:
    found = _cohort(request, pk)
    organization = request.organization
    return render(
        request,
        "cohorts/cohort.html",
        {
            "overview": reading.overview(found),
            "can_manage": services.may_manage(request.user, organization),
            "add_form": AddMemberForm(organization=organization),
            "rota_form": RotaForm(),
            "shift_form": ShiftForm(cohort=found),
            "place_form": PlaceForm(organization=organization),
            "zone": found.time_zone,
            "now": timezone.now(),
        },
    )


@require_POST
@member_required
def add_member(request: MemberRequest, pk: int) -> HttpResponse:
    found = _cohort(request, pk)
    form = AddMemberForm(request.POST, organization=request.organization)
    if form.is_valid():
        membership = form.cleaned_data["membership"]

        def add() -> str:
            member = services.do_add_member(request.user, found, membership)
            return f"{member.membership.person.full_name} joins the cohort."

        return act_and_say(request, add, "cohorts:cohort", found.pk)
    messages.error(request, _form_errors(form))
    return redirect("cohorts:cohort", pk=found.pk)


@require_POST
@member_required
def rota(request: MemberRequest, pk: int) -> HttpResponse:
    found = _cohort(request, pk)
    form = RotaForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data

        def plan() -> str:
            done = shifts.do_generate_rota(
                request.user,
                found,
                weeks=data["weeks"],
                per_day=data["per_day"],
                day_starts=data["day_starts"],
                day_ends=data["day_ends"],
            )
            return f"{done.created} shifts planned, {done.skipped} already there or not possible."

        return act_and_say(request, plan, "cohorts:cohort", found.pk)
    messages.error(request, _form_errors(form))
    return redirect("cohorts:cohort", pk=found.pk)


@require_POST
@member_required
def add_shift(request: MemberRequest, pk: int) -> HttpResponse:
    found = _cohort(request, pk)
    form = ShiftForm(request.POST, cohort=found)
    # The times typed are the centre's local times.
    with timezone.override(services.check_time_zone(found.time_zone)):
        valid = form.is_valid()
    if not valid:
        messages.error(request, _form_errors(form))
        return redirect("cohorts:cohort", pk=found.pk)
    data = form.cleaned_data

    def add() -> str:
        shift = shifts.do_add_shift(
            request.user, data["member"], data["starts_at"], data["ends_at"]
        )
        return f"Shift added for {shift.member.membership.person.full_name}."

    return act_and_say(request, add, "cohorts:cohort", found.pk)


@require_POST
@member_required
def remove_shift(request: MemberRequest, pk: int) -> HttpResponse:
    shift = get_object_or_404(
        Shift.objects.select_related("member__cohort__organization"),
        pk=pk,
        member__cohort__organization=request.organization,
    )

    def remove() -> str:
        shifts.do_remove_shift(request.user, shift)
        return "Shift removed."

    return act_and_say(request, remove, "cohorts:cohort", shift.member.cohort_id)


@require_POST
@member_required
def place(request: MemberRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    form = PlaceForm(request.POST, organization=request.organization)
    if form.is_valid():
        data = form.cleaned_data

        def act() -> str:
            done = placement.do_place(request.user, member, data["department"], on=data["on"])
            state = "placed" if done.status == MemberStatus.PLACED else "to be placed"
            return f"{member.membership.person.full_name} {state} in {data['department'].name}."

        return act_and_say(request, act, "cohorts:cohort", member.cohort_id)
    messages.error(request, _form_errors(form))
    return redirect("cohorts:cohort", pk=member.cohort_id)


@require_POST
@member_required
def choose_mentor(request: MemberRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    raw = request.POST.get("mentor", "")
    mentor = (
        get_object_or_404(Person, pk=int(raw), memberships__organization=request.organization)
        if raw.isdigit()
        else None
    )

    def act() -> str:
        services.do_choose_mentor(request.user, member, mentor)
        return f"Mentor: {mentor.full_name}." if mentor else "No mentor chosen."

    if request.POST.get("next") == "cohort":
        return act_and_say(request, act, "cohorts:cohort", member.cohort_id)
    return act_and_say(request, act, "cohorts:index")


@require_POST
@member_required
def offer_mentoring(request: MemberRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    offers = request.POST.get("offers") == "1"

    def act() -> str:
        services.do_offer_mentoring(request.user, member, offers)
        return "You offer to mentor." if offers else "You no longer offer to mentor."

    if request.headers.get("HX-Request"):
        try:
            act()
        except ServiceError as exc:
            return HttpResponse(exc.message, status=400)
        return render(request, "cohorts/_mentoring.html", {"member": member})
    return act_and_say(request, act, "cohorts:alumni")


@member_required
def alumni(request: MemberRequest) -> HttpResponse:
    return render(
        request,
        "cohorts/alumni.html",
        {"alumni": reading.alumni(request.organization), "form": AskForm()},
    )


@require_POST
@member_required
def ask(request: MemberRequest) -> HttpResponse:
    """Ask a question on an alumnus's topic; routing finds who knows it best now."""
    from cluetrain.inbox.questions import do_ask

    form = AskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("cohorts:alumni")

    def act() -> str:
        question = do_ask(
            request.user,
            request.organization,
            form.cleaned_data["question"],
            topic=form.cleaned_data["topic"],
        )
        who = question.routed_to.full_name if question.routed_to else "the team"
        return f"Asked; {who} will see it."

    return act_and_say(request, act, "cohorts:alumni")
