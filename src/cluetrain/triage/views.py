"""Settings → Triage: the organisation's topics, and its own model learned from corrections.

Every member may look; directors, administrators and coordinators may change topics and
ask for a retraining (``MANAGE_INBOX``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.core.actions import act_and_say
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Department
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest
from cluetrain.triage import learning, services
from cluetrain.triage.models import Field, Topic


class TopicForm(forms.Form):
    name = forms.CharField(max_length=120)
    keywords = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Words and phrases that signal the topic, one a line.",
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), required=False, help_text="Who answers it."
    )

    def __init__(self, *args: object, organization_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["department"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            organization_id=organization_id
        )


@member_required
def index(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    status = learning.status_of(organization.pk)
    labels = dict(Field.choices)
    return render(
        request,
        "triage/index.html",
        {
            "topics": Topic.objects.filter(organization=organization).select_related("department"),
            "status": status,
            "by_field": [(labels.get(f, f), n) for f, n in sorted(status["by_field"].items())],  # type: ignore[attr-defined]
            "corrections": services.corrections_of(organization, 20),
            "can_edit": policy.can(request.user, organization, Permission.MANAGE_INBOX),
            "form": TopicForm(organization_id=organization.pk),
        },
    )


@member_required
def edit_topic(request: MemberRequest, pk: int | None = None) -> HttpResponse:
    organization, person = request.organization, request.user
    policy.require(person, organization, Permission.MANAGE_INBOX)
    topic = get_object_or_404(Topic, organization=organization, pk=pk) if pk else None
    initial = (
        {"name": topic.name, "keywords": topic.keywords, "department": topic.department_id}
        if topic
        else {}
    )
    form = TopicForm(request.POST or None, initial=initial, organization_id=organization.pk)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.do_save_topic(person, organization, topic=topic, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Topic “{saved.name}” saved.")
            return redirect("triage:index")
    return render(request, "triage/topic.html", {"form": form, "topic": topic})


@require_POST
@member_required
def delete_topic(request: MemberRequest, pk: int) -> HttpResponse:
    topic = get_object_or_404(Topic, organization=request.organization, pk=pk)

    def act() -> str:
        services.do_delete_topic(request.user, topic)
        return f"Topic “{topic.name}” deleted."

    return act_and_say(request, act, "triage:index")


@require_POST
@member_required
def retrain(request: MemberRequest) -> HttpResponse:
    def act() -> str:
        services.do_request_retrain(request.user, request.organization)
        return "Retraining in the background; this page shows the new version when it is done."

    return act_and_say(request, act, "triage:index")
