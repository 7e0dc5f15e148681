"""Settings → Service levels: the organisation's answer-time promise and each department's own.

Every member may look; directors, administrators and coordinators may change
(``MANAGE_INBOX``; the services decide, a refusal is a 403 with the reason).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.core.errors import ServiceError
from cluetrain.inbox import sla
from cluetrain.inbox.models import ServiceLevel
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Department
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest

DAYS = [
    ("1", "Mon"),
    ("2", "Tue"),
    ("3", "Wed"),
    ("4", "Thu"),
    ("5", "Fri"),
    ("6", "Sat"),
    ("7", "Sun"),
]


class ServiceLevelForm(forms.ModelForm):
    working_days = forms.MultipleChoiceField(
        choices=DAYS, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ServiceLevel
        fields = list(sla.LEVEL_FIELDS)
        widgets = {
            "day_starts": forms.TimeInput(attrs={"type": "time"}),
            "day_ends": forms.TimeInput(attrs={"type": "time"}),
            "holidays": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {
            "first_response_minutes": "First response within (business minutes)",
            "next_response_minutes": "Each next response within (business minutes)",
            "resolution_minutes": "Resolved within (business minutes)",
            "warn_before_minutes": "Warn this many business minutes before a breach",
            "reroute_after_minutes": "Re-route after this many business minutes unclaimed",
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not self.is_bound:
            self.initial["working_days"] = list(self.instance.working_days)

    def clean_working_days(self) -> str:
        return "".join(sorted(self.cleaned_data["working_days"]))

    def _post_clean(self) -> None:
        # The model's own clean runs in the service; here only the fields.
        pass


def _department(request: MemberRequest, value: str | None) -> Department | None:
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    return get_object_or_404(Department, organization=request.organization, pk=int(value))


@member_required
def index(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    levels = {
        level.department_id: level
        for level in ServiceLevel.objects.filter(organization=organization)
    }
    departments = list(Department.objects.filter(organization=organization))
    return render(
        request,
        "inbox/settings/service_levels.html",
        {
            "default": levels.get(None),
            "rows": [(d, levels.get(d.pk)) for d in departments],
            "can_edit": policy.can(request.user, organization, Permission.MANAGE_INBOX),
        },
    )


@member_required
def edit(request: MemberRequest) -> HttpResponse:
    """The organisation's service level, or a department's (``?department=<id>``)."""
    organization, person = request.organization, request.user
    policy.require(person, organization, Permission.MANAGE_INBOX)
    department = _department(request, request.GET.get("department"))
    level = ServiceLevel.objects.filter(organization=organization, department=department).first()
    if level is None:
        # A department starts from the organisation's promise.
        base = ServiceLevel.objects.filter(organization=organization, department=None).first()
        level = ServiceLevel(organization=organization, department=department)
        if base is not None:
            for name in sla.LEVEL_FIELDS:
                setattr(level, name, getattr(base, name))
    form = ServiceLevelForm(request.POST or None, instance=level)
    if request.method == "POST" and form.is_valid():
        try:
            sla.do_save_service_level(person, organization, department, form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Service level of {department or organization} saved.")
            return redirect("service_levels:index")
    return render(
        request,
        "inbox/settings/service_level_edit.html",
        {"form": form, "department": department},
    )


@require_POST
@member_required
def delete(request: MemberRequest, pk: int) -> HttpResponse:
    level = get_object_or_404(ServiceLevel, organization=request.organization, pk=pk)
    try:
        sla.do_delete_service_level(request.user, level)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"{level.department} now follows the organisation's service level."
        )
    return redirect("service_levels:index")
