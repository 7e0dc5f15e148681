"""The forms of the objectives, campaigns and cost pages. They read and bound the input; the
services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms

from cluetrain.campaigns import metrics
from cluetrain.campaigns.models import Activity, Objective, PeriodKind
from cluetrain.campaigns.rates import CURRENCIES, MAX_MINUTES
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.voices.models import Voice


def _members(organization: Organization) -> Any:
    return Person.objects.filter(
        memberships__organization=organization, memberships__is_active=True
    ).order_by("full_name", "pk")


class ObjectiveForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(label="What to measure")
    minutes = forms.IntegerField(
        min_value=1,
        max_value=10080,
        initial=30,
        required=False,
        help_text="For “first response within”: the minutes a first reply must come within.",
    )
    complaints_only = forms.BooleanField(required=False, label="Complaints only")
    target = forms.FloatField(
        min_value=0.01,
        max_value=1_000_000,
        help_text="In the measure's unit: per cent for shares, people, posts, minutes.",
    )
    period = forms.ChoiceField(choices=PeriodKind.choices, initial=PeriodKind.ROLLING_30)
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False)
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (m.key, f"{m.describe({'minutes': 'N'})} ({m.unit})") for m in metrics.offered()
        ]
        self.fields["department"].queryset = organization.departments.order_by("name")  # type: ignore[attr-defined]
        self.fields["owner"].queryset = _members(organization)  # type: ignore[attr-defined]

    @staticmethod
    def initial_of(objective: Objective) -> dict[str, Any]:
        params = objective.params or {}
        return {
            "name": objective.name,
            "kind": objective.kind,
            "minutes": params.get("minutes", 30),
            "complaints_only": params.get("complaints_only", False),
            "target": objective.target,
            "period": objective.period,
            "department": objective.department,
            "owner": objective.owner,
            "active": objective.active,
        }


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )
    objective = forms.ModelChoiceField(queryset=Objective.objects.none(), required=False)
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    voices = forms.ModelMultipleChoiceField(
        queryset=Voice.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Voices planned",
    )
    budget_hours = forms.DecimalField(
        min_value=0, max_value=100000, decimal_places=1, initial=0, label="Budgeted effort (hours)"
    )
    posts_planned = forms.IntegerField(min_value=0, max_value=1_000_000, initial=0)
    engagement_target = forms.IntegerField(min_value=0, max_value=1_000_000, initial=0)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["objective"].queryset = Objective.objects.filter(  # type: ignore[attr-defined]
            organization=organization
        )
        self.fields["voices"].queryset = Voice.objects.filter(  # type: ignore[attr-defined]
            organization=organization
        ).order_by("kind", "name")


class CostSettingsForm(forms.Form):
    currency = forms.ChoiceField(choices=[(c, c) for c in CURRENCIES])
    default_rate = forms.DecimalField(
        min_value=0, max_value=10000, decimal_places=2, label="Default hourly rate"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for activity, label in Activity.choices:
            self.fields[f"{activity}_minutes"] = forms.IntegerField(
                min_value=0, max_value=MAX_MINUTES, label=f"{label}: default minutes"
            )
            self.fields[f"{activity}_cap"] = forms.IntegerField(
                min_value=1, max_value=MAX_MINUTES, label=f"{label}: longest believable span"
            )
            self.fields[f"{activity}_fixed"] = forms.BooleanField(
                required=False, label=f"{label}: always count the default minutes"
            )


class RateForm(forms.Form):
    role = forms.ChoiceField(choices=[("", "—"), *Role.choices], required=False)
    person = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    rate = forms.DecimalField(min_value=0, max_value=10000, decimal_places=2)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _members(organization)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("role")) == bool(data.get("person")):
            raise forms.ValidationError("Choose a role or a person, not both.")
        return data


class PeriodForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = organization.departments.order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError("The period ends before it starts.")
        return data
