"""Forms of the rotation pages: they read and bound input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from cluetrain.cohorts.models import Cohort, CohortMember, MemberStatus
from cluetrain.organizations.models import Department, Membership, Organization


class CohortForm(forms.Form):
    name = forms.CharField(max_length=120)
    centre = forms.ModelChoiceField(
        queryset=Department.objects.none(),
        label="Engagement centre",
        help_text="The department whose conversations the cohort takes on its shifts.",
    )
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="Six to twelve months later."
    )
    time_zone = forms.CharField(max_length=64, required=False, help_text="e.g. Europe/London")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = Department.objects.filter(organization=organization)  # type: ignore[attr-defined]
        self.fields["time_zone"].initial = organization.time_zone


class AddMemberForm(forms.Form):
    membership = forms.ModelChoiceField(queryset=Membership.objects.none(), label="Person")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = (  # type: ignore[attr-defined]
            Membership.objects.filter(organization=organization, is_active=True)
            .select_related("person")
            .order_by("person__full_name")
        )
        self.fields["membership"].label_from_instance = lambda m: m.person.full_name  # type: ignore[attr-defined]


class RotaForm(forms.Form):
    weeks = forms.IntegerField(min_value=1, max_value=8, initial=2)
    per_day = forms.IntegerField(min_value=1, max_value=20, initial=1, label="People per day")
    day_starts = forms.TimeField(initial="09:00", widget=forms.TimeInput(attrs={"type": "time"}))
    day_ends = forms.TimeField(initial="13:00", widget=forms.TimeInput(attrs={"type": "time"}))


class PlaceForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.none())
    on = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(organization=organization)  # type: ignore[attr-defined]


class AskForm(forms.Form):
    topic = forms.CharField(max_length=60)
    question = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ShiftForm(forms.Form):
    """One shift, its times read in the cohort's time zone (the view makes that current)."""

    member = forms.ModelChoiceField(queryset=CohortMember.objects.none(), label="Person")
    starts_at = forms.DateTimeField(
        label="Starts", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="Ends", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args: Any, cohort: Cohort, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = (  # type: ignore[attr-defined]
            cohort.members.filter(status=MemberStatus.IMMERSED)
            .select_related("membership__person")
            .order_by("membership__person__full_name")
        )
        self.fields["member"].label_from_instance = lambda m: m.membership.person.full_name  # type: ignore[attr-defined]
