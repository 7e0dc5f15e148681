"""Your availability, topics and questions (/me/…), and the directory of who is available for
the people who manage the inbox (/settings/availability/)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.core.actions import act_and_say
from cluetrain.core.errors import ServiceError
from cluetrain.inbox import availability, questions
from cluetrain.inbox.models import Availability, Expertise, Question
from cluetrain.inbox.settings_views import DAYS
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Membership
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest


class AvailabilityForm(forms.ModelForm):
    working_days = forms.MultipleChoiceField(
        choices=DAYS, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Availability
        fields = list(availability.AVAILABILITY_FIELDS)
        widgets = {
            "day_starts": forms.TimeInput(attrs={"type": "time"}),
            "day_ends": forms.TimeInput(attrs={"type": "time"}),
            "out_of_office_until": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }
        labels = {
            "takes_conversations": "Take conversations from the routing",
            "capacity": "Most conversations held at once",
            "day_starts": "Working day starts (your time zone)",
            "day_ends": "Working day ends",
            "out_of_office_until": "Out of office until",
        }
        help_texts = {"day_starts": "Empty: 09:00 to 17:00."}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not self.is_bound:
            self.initial["working_days"] = list(self.instance.working_days)

    def clean_working_days(self) -> str:
        return "".join(sorted(self.cleaned_data["working_days"]))


def _page(request: MemberRequest, membership: Membership) -> HttpResponse:
    person = request.user
    instance = availability.availability_for(membership)
    form = AvailabilityForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            availability.do_set_availability(person, membership, form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Availability saved.")
            return redirect(request.path)
    return render(
        request,
        "inbox/availability.html",
        {
            "form": form,
            "subject": membership,
            "own": membership.person_id == person.pk,
            "expertise": Expertise.objects.filter(membership=membership).order_by(
                "-declared", "-weight", "topic"
            ),
            "zone": membership.person.time_zone,
        },
    )


@member_required
def mine(request: MemberRequest) -> HttpResponse:
    policy.require(request.user, request.organization, Permission.WORK_INBOX)
    return _page(request, request.membership)


@member_required
def someone(request: MemberRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("person", "organization"),
        organization=request.organization,
        pk=pk,
    )
    availability.check_may_edit(request.user, membership)
    return _page(request, membership)


@require_POST
@member_required
def topic(request: MemberRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("organization"), organization=request.organization, pk=pk
    )
    name = request.POST.get("topic", "")
    back = (
        "availability:mine" if membership.person_id == request.user.pk else "availability:someone"
    )
    args = () if back == "availability:mine" else (membership.pk,)

    def withdraw() -> str:
        availability.do_withdraw_topic(request.user, membership, name)
        return f"“{name}” is no longer declared."

    def declare() -> str:
        return f"“{availability.do_declare_topic(request.user, membership, name).topic}” declared."

    chosen = withdraw if request.POST.get("action") == "withdraw" else declare
    return act_and_say(request, chosen, back, *args)


@member_required
def directory(request: MemberRequest) -> HttpResponse:
    policy.require(request.user, request.organization, Permission.MANAGE_INBOX)
    return render(
        request,
        "inbox/availability_directory.html",
        {"entries": availability.directory(request.organization.pk)},
    )


@member_required
def my_questions(request: MemberRequest) -> HttpResponse:
    person, organization = request.user, request.organization
    policy.require(person, organization, Permission.WORK_INBOX)
    return render(
        request,
        "inbox/availability_questions.html",
        {
            "open": questions.open_questions_for(person, organization)[:100],
            "asked": questions.asked_by(person, organization)[:50],
        },
    )


@require_POST
@member_required
def answer(request: MemberRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question, organization=request.organization, pk=pk)
    text = request.POST.get("answer", "")

    def act() -> str:
        questions.do_answer(request.user, question, text)
        return "Answered; they are told."

    return act_and_say(request, act, "availability:questions")
