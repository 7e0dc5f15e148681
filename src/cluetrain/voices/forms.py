from __future__ import annotations

from typing import Any

from django import forms

from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.voices.models import Network


class ConnectPersonalVoiceForm(forms.Form):
    network = forms.ChoiceField(choices=Network.choices)
    handle = forms.CharField(max_length=200, help_text="Your account's name on the network.")


class OfficialVoiceForm(forms.Form):
    network = forms.ChoiceField(choices=Network.choices)
    handle = forms.CharField(max_length=200)
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(),
        required=False,
        empty_label="The whole organisation",
    )
    name = forms.CharField(
        max_length=200,
        required=False,
        help_text="Leave empty for the organisation's or department's own name.",
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = organization.departments.all()  # type: ignore[attr-defined]


class GrantAccessForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.none(), label="Let this person post")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            memberships__organization=organization, memberships__is_active=True
        ).order_by("full_name")
