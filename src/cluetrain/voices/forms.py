"""Forms of the Voices pages: connecting each network, official voices, access, reconnecting.

Secret fields never render their value back: a page shows that a secret was given, not what.
"""

from __future__ import annotations

from typing import Any

from django import forms

from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.voices.connect import BLUESKY_SERVICE, WEBHOOK_FORMATS


def _secret(label: str, help_text: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        strip=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


def _app_password() -> forms.CharField:
    return _secret(
        "App password",
        "Make one in Bluesky under Settings → Privacy and security → App passwords. "
        "Never your account's own password.",
    )


class BlueskyForm(forms.Form):
    handle = forms.CharField(
        max_length=253, help_text="The account's handle, such as alice.bsky.social."
    )
    app_password = _app_password()
    service = forms.CharField(
        label="Server",
        max_length=300,
        initial=BLUESKY_SERVICE,
        help_text="Leave as it is unless the account lives on its own server (PDS).",
    )


class MastodonForm(forms.Form):
    instance = forms.CharField(
        label="Mastodon server",
        max_length=300,
        help_text="Where the account lives, such as mastodon.social. You approve Cluetrain "
        "there and come back here.",
    )


class OfficialFields(forms.Form):
    """Whose official voice it is, and what it is called."""

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


class OfficialBlueskyForm(OfficialFields, BlueskyForm):
    pass


class OfficialMastodonForm(OfficialFields, MastodonForm):
    pass


class WebhookFields(forms.Form):
    url = forms.CharField(
        label="Address",
        max_length=2000,
        help_text="The https:// address the receiver (Slack, Teams, your intranet) gave you.",
    )
    secret = _secret(
        "Secret",
        "Cluetrain signs every delivery with it. Put the same secret in the receiver's "
        "settings. Not needed for Slack or Teams, whose address is the secret.",
        required=False,
    )
    format = forms.ChoiceField(
        choices=[
            (f, {"json": "Signed JSON", "slack": "Slack or Teams text"}[f]) for f in WEBHOOK_FORMATS
        ],
        initial="json",
    )


class WebhookForm(OfficialFields, WebhookFields):
    pass


class GrantAccessForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.none(), label="Let this person post")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            memberships__organization=organization, memberships__is_active=True
        ).order_by("full_name")


class ReconnectBlueskyForm(forms.Form):
    app_password = _app_password()
    service = forms.CharField(
        label="Server",
        max_length=300,
        required=False,
        help_text="Leave empty to keep the server it was connected through.",
    )


class ReconnectWebhookForm(WebhookFields):
    pass
