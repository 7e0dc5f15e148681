from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from cluetrain.organizations.models import Department, Organization, validate_time_zone
from cluetrain.organizations.roles import Role


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, initial=[Role.MEMBER]
    )
    departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = organization.departments.all()  # type: ignore[attr-defined]


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label="Your name, as colleagues know it", max_length=150)
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="The password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data


class OrganizationSettingsForm(forms.Form):
    """A plain form: the service applies the change, so the instance is not touched here."""

    name = forms.CharField(max_length=120)
    time_zone = forms.CharField(max_length=64, validators=[validate_time_zone])
    disclosure_text = forms.CharField(
        max_length=60, required=False, help_text=Organization.disclosure_text.field.help_text
    )
    disclosure_keywords = forms.CharField(
        required=False, help_text=Organization.disclosure_keywords.field.help_text
    )

    @classmethod
    def initial_for(cls, organization: Organization) -> dict[str, str]:
        return {name: getattr(organization, name) for name in cls.base_fields}


class DepartmentForm(forms.Form):
    name = forms.CharField(max_length=120, label="New department")


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(choices=Role.choices, widget=forms.CheckboxSelectMultiple)


def _time_zone_choices() -> list[tuple[str, str]]:
    import zoneinfo

    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=150)
    time_zone = forms.ChoiceField(
        label="Your time zone",
        help_text="Times you choose when scheduling posts are in this time zone.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zone_choices()  # type: ignore[attr-defined]
