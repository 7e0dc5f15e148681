"""Forms of the agency pages: they parse and bound input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from cluetrain.agencies.access import agency_ids
from cluetrain.agencies.services import CONTACT_MAX, DESCRIPTION_MAX, NAME_MAX, TITLE_MAX
from cluetrain.organizations.models import Organization, Person

DATE = forms.DateInput(attrs={"type": "date"})


def _members(organization: Organization) -> Any:
    return Person.objects.filter(
        memberships__organization=organization, memberships__is_active=True
    ).order_by("full_name")


class AgencyForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX)
    contact = forms.CharField(max_length=CONTACT_MAX, required=False)
    contract_ends_on = forms.DateField(required=False, widget=DATE, label="Contract ends")
    handover_target_on = forms.DateField(required=False, widget=DATE, label="Hand-over target")


class AgencyMemberForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.none(), label="Agency staff member")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _members(organization).filter(  # type: ignore[attr-defined]
            pk__in=agency_ids(organization)
        )


class PairForm(forms.Form):
    agency_person = forms.ModelChoiceField(queryset=Person.objects.none(), label="Agency person")
    shadow = forms.ModelChoiceField(queryset=Person.objects.none(), label="In-house shadow")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency = agency_ids(organization)
        self.fields["agency_person"].queryset = _members(organization).filter(pk__in=agency)  # type: ignore[attr-defined]
        # Every member is offered; the service refuses agency staff with a reason.
        self.fields["shadow"].queryset = _members(organization)  # type: ignore[attr-defined]


class MilestoneForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    description = forms.CharField(
        max_length=DESCRIPTION_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_on = forms.DateField(required=False, widget=DATE, label="Due")
    owner = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, label="In-house owner"
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _members(organization).exclude(  # type: ignore[attr-defined]
            pk__in=agency_ids(organization)
        )


class ActivityFilter(forms.Form):
    person = forms.IntegerField(required=False, min_value=1)
    since = forms.DateField(required=False, widget=DATE, label="From")
    until = forms.DateField(required=False, widget=DATE, label="To")
    page = forms.IntegerField(required=False, min_value=1, max_value=1000)


class RangeForm(forms.Form):
    start = forms.DateField(required=False, widget=DATE, label="From")
    end = forms.DateField(required=False, widget=DATE, label="To")
    department = forms.IntegerField(required=False, min_value=1)
