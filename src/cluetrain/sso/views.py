"""Sign-in through an organisation's provider, and Settings → Sign-on for its administrators."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from cluetrain.core.errors import ServiceError
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.middleware import SESSION_KEY as ORGANIZATION_SESSION_KEY
from cluetrain.organizations.requests import MemberRequest
from cluetrain.sso import oidc, services
from cluetrain.sso.models import JIT_ROLES

_SESSION_KEY = "sso_pending"
# Sign-ins started but not finished that a session remembers (several tabs at once).
_MAX_PENDING = 5


class ProviderForm(forms.Form):
    is_enabled = forms.BooleanField(
        label="Let people sign in through this provider", required=False
    )
    name = forms.CharField(label="Provider's name on the button", max_length=80, initial="SSO")
    issuer = forms.CharField(label="Issuer (https://…)", max_length=300)
    client_id = forms.CharField(label="Client id", max_length=200)
    client_secret = forms.CharField(
        label="Client secret",
        max_length=500,
        required=False,
        widget=forms.PasswordInput,
        help_text="Leave empty to keep the stored secret.",
    )
    allowed_domains = forms.CharField(
        label="E-mail domains whose people may sign in",
        max_length=2000,
        help_text="Separated by commas, e.g. example.com, example.org.",
        required=False,
    )
    default_role = forms.ChoiceField(
        label="Role of new members", choices=[(role.value, role.label) for role in JIT_ROLES]
    )


class EmailForm(forms.Form):
    email = forms.EmailField(label="Work e-mail")


@member_required
def settings_page(request: MemberRequest) -> HttpResponse:
    provider = services.provider_of(request.user, request.organization)
    initial: dict[str, object] = {"default_role": JIT_ROLES[0].value}
    if provider is not None:
        initial = {
            "is_enabled": provider.is_enabled,
            "name": provider.name,
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "allowed_domains": ", ".join(provider.allowed_domains),
            "default_role": provider.default_role,
        }
    form = ProviderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_save_provider(
                request.user,
                request.organization,
                services.ProviderSettings(
                    name=data["name"],
                    issuer=data["issuer"],
                    client_id=data["client_id"],
                    client_secret=data["client_secret"],
                    allowed_domains=services.parse_domains(data["allowed_domains"]),
                    default_role=data["default_role"],
                    is_enabled=data["is_enabled"],
                ),
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Sign-on settings saved; the provider's discovery was read.")
            return redirect("sso:settings")
    context = {
        "form": form,
        "provider": provider,
        "redirect_uri": services.redirect_uri(request.organization),
    }
    return render(request, "sso/settings.html", context)


def find(request: HttpRequest) -> HttpResponse:
    """Sign in with single sign-on: the work e-mail's domain picks the organisation."""
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        provider = services.provider_for_email(form.cleaned_data["email"])
        if provider is not None:
            url = redirect("sso:start", provider.organization.slug).url
            return redirect(f"{url}?login_hint={form.cleaned_data['email']}")
        form.add_error("email", "No organisation signs in this address through single sign-on.")
    return render(request, "sso/find.html", {"form": form})


@require_GET
def start(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        provider = services.enabled_provider(slug)
    except ServiceError as exc:
        return render(request, "sso/refused.html", {"message": exc.message}, status=404)
    url, pending = services.start(provider, request.GET.get("login_hint", "")[:254])
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    stored = dict(request.session.get(_SESSION_KEY, {}))
    stored[pending.state] = {
        "slug": slug,
        "nonce": pending.nonce,
        "verifier": pending.verifier,
        "next": next_url,
    }
    request.session[_SESSION_KEY] = dict(list(stored.items())[-_MAX_PENDING:])
    return redirect(url)


@require_GET
def callback(request: HttpRequest, slug: str) -> HttpResponse:
    state = request.GET.get("state", "")
    stored = dict(request.session.get(_SESSION_KEY, {}))
    # Used once: popped whether or not the rest succeeds.
    mine = stored.pop(state, None) if state else None
    request.session[_SESSION_KEY] = stored
    if mine is None or mine["slug"] != slug:
        message = "This sign-in was not started here or has already been used (state): start again."
        return render(request, "sso/refused.html", {"message": message}, status=400)
    if "error" in request.GET:
        message = f"The provider did not sign you in ({request.GET['error'][:100]})."
        return render(request, "sso/refused.html", {"message": message}, status=400)
    try:
        provider = services.enabled_provider(slug)
        person = services.do_finish(
            provider,
            request.GET.get("code", ""),
            oidc.Pending(state=state, nonce=mine["nonce"], verifier=mine["verifier"]),
        )
    except ServiceError as exc:
        return render(request, "sso/refused.html", {"message": exc.message}, status=403)
    login(request, person, backend="django.contrib.auth.backends.ModelBackend")
    request.session[ORGANIZATION_SESSION_KEY] = provider.organization_id
    return redirect(mine["next"] or "home")
