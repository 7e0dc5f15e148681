"""Settings → API tokens: a person lists, creates and revokes their own personal API tokens;
the organisation's leads also list and revoke everyone's (never seeing a secret).

The rules (which scopes a person may give a token, who may see and revoke which, the audit
events) are the services' in api/services.py, the same ones ``cluetrain token`` calls.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cluetrain.api import services
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Organization
from cluetrain.organizations.requests import MemberRequest
from cluetrain.organizations.roles import Role

# Which field shows a service's refusal, by its code; a NotAllowed is about the roles chosen.
ERROR_FIELDS = {"name": "name", "days": "days", "scope": "roles"}


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, help_text="What the token is for, e.g. “release bot”."
    )
    organization = forms.ModelChoiceField(
        label="Organisation", queryset=Organization.objects.none(), empty_label=None
    )
    read_only = forms.BooleanField(
        label="Reading only",
        required=False,
        help_text="Every request that would change something is refused.",
    )
    # Every role is accepted here so that the service, not the form, decides which ones a
    # person may choose and says why; only the person's own roles are offered.
    roles = forms.MultipleChoiceField(
        label="Limit to these roles",
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: all the roles you hold in the organisation, as they change. "
        "A token can only be limited to roles you hold there.",
    )
    days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        help_text=f"From 1 to {services.MAX_DAYS}; empty: it does not expire.",
    )

    def __init__(
        self, *args: Any, organizations: list[Organization], offered: list[Role], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organization.objects.filter(pk__in=[o.pk for o in organizations])
        self.fields["roles"].widget.choices = [(role.value, role.label) for role in offered]


@never_cache
@member_required
def index(request: MemberRequest) -> HttpResponse:
    person = request.user
    organizations = [membership.organization for membership in request.memberships]
    form = TokenForm(
        request.POST or None,
        initial={"organization": request.organization.pk},
        organizations=organizations,
        offered=services.scope_roles(person, organizations),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = services.do_create_token(
                person,
                data["organization"],
                data["name"],
                data["days"],
                read_only=data["read_only"],
                roles=data["roles"],
            )
        except NotAllowed as exc:
            form.add_error("roles", exc.message)
        except ServiceError as exc:
            form.add_error(ERROR_FIELDS.get(exc.code), exc.message)
        else:
            # The secret is on this answer only (never_cache keeps it out of caches): only
            # its hash is stored.
            context = {"token": token, "secret": secret}
            return render(request, "api/tokens/created.html", context, status=201)
    status = 400 if request.method == "POST" else 200
    context = {
        "tokens": services.tokens_of(person),
        "form": form,
        "can_manage": services.can_manage_tokens(person, request.organization),
    }
    return render(request, "api/tokens/index.html", context, status=status)


@require_POST
@member_required
def revoke(request: MemberRequest, pk: int) -> HttpResponse:
    # Only the person's own tokens are found here, whatever their roles: leads revoke
    # others' tokens from the organisation's list below.
    token = get_object_or_404(services.tokens_of(request.user), pk=pk)
    services.do_revoke_token(request.user, token)
    messages.success(request, f"The token “{token.name}” is revoked; scripts using it are refused.")
    return redirect("tokens:index")


@never_cache
@member_required
def organization_index(request: MemberRequest) -> HttpResponse:
    tokens = services.organization_tokens(request.user, request.organization)  # 403 unless lead
    return render(request, "api/tokens/organization.html", {"tokens": tokens})


@require_POST
@member_required
def organization_revoke(request: MemberRequest, pk: int) -> HttpResponse:
    # The permission is checked before the lookup, so a non-lead learns nothing of which ids
    # exist (403 for all), and a lead finds only the current organisation's tokens (404).
    tokens = services.organization_tokens(request.user, request.organization)
    token = get_object_or_404(tokens.select_related("organization"), pk=pk)
    services.do_revoke_token(request.user, token)
    owner = token.person.full_name or token.person.email
    messages.success(
        request, f"{owner}'s token “{token.name}” is revoked; scripts using it are refused."
    )
    return redirect("tokens:organization")
