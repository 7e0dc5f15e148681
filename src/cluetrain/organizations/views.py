from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cluetrain.core.errors import ServiceError
from cluetrain.knowledge.expertise import profiles as expertise_profiles
from cluetrain.organizations import policy, services
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.forms import (
    AcceptInvitationForm,
    DepartmentForm,
    InviteForm,
    OrganizationSettingsForm,
    ProfileForm,
    RolesForm,
)
from cluetrain.organizations.middleware import SESSION_KEY
from cluetrain.organizations.models import Invitation, Membership, Person
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest


@member_required
def people(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    members = (
        Membership.objects.filter(organization=organization, is_active=True)
        .select_related("person")
        .prefetch_related("role_grants", "departments", "person__personal_voices")
        .order_by("person__full_name")
    )
    # Each person's expertise (declared, learned, answers given), for all of them in two queries.
    profiles = expertise_profiles(organization.pk, list(members))
    for member in members:
        setattr(member, "expertise_profile", profiles.get(member.pk))  # noqa: B010
    return render(
        request,
        "organizations/people.html",
        {
            "members": members,
            "can_manage_roles": policy.can(request.user, organization, Permission.MANAGE_ROLES),
        },
    )


@member_required
def member_roles(request: MemberRequest, membership_id: int) -> HttpResponse:
    organization = request.organization
    membership = get_object_or_404(
        Membership.objects.select_related("person"), pk=membership_id, organization=organization
    )
    policy.require(request.user, organization, Permission.MANAGE_ROLES)
    form = RolesForm(request.POST or None, initial={"roles": membership.role_names})
    if request.method == "POST" and form.is_valid():
        try:
            services.do_set_roles(request.user, membership, form.cleaned_data["roles"])
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Roles of {membership.person} saved.")
            return redirect("organizations:people")
    return render(request, "organizations/roles.html", {"membership": membership, "form": form})


@member_required
def settings_page(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    person = request.user
    can_manage = policy.can(person, organization, Permission.MANAGE_ORGANIZATION)
    can_invite = policy.can(person, organization, Permission.INVITE_PEOPLE)
    settings_form = OrganizationSettingsForm(
        initial=OrganizationSettingsForm.initial_for(organization)
    )
    invite_form = InviteForm(organization=organization)
    department_form = DepartmentForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "settings":
            settings_form = OrganizationSettingsForm(request.POST)
            policy.require(person, organization, Permission.MANAGE_ORGANIZATION)
            if settings_form.is_valid():
                try:
                    services.do_update_organization(
                        person,
                        organization,
                        **{k: str(v) for k, v in settings_form.cleaned_data.items()},
                    )
                except ServiceError as exc:
                    settings_form.add_error(None, exc.message)
                else:
                    messages.success(request, "Settings saved.")
                    return redirect("organizations:settings")
        elif action == "invite":
            invite_form = InviteForm(request.POST, organization=organization)
            if invite_form.is_valid():
                try:
                    services.do_invite(
                        person,
                        organization,
                        invite_form.cleaned_data["email"],
                        invite_form.cleaned_data["roles"],
                        departments=invite_form.cleaned_data["departments"],
                    )
                except ServiceError as exc:
                    invite_form.add_error(None, exc.message)
                else:
                    messages.success(
                        request, f"Invitation sent to {invite_form.cleaned_data['email']}."
                    )
                    return redirect("organizations:settings")
        elif action == "department":
            department_form = DepartmentForm(request.POST)
            if department_form.is_valid():
                try:
                    services.do_create_department(
                        person,
                        organization,
                        department_form.cleaned_data["name"],
                    )
                except ServiceError as exc:
                    department_form.add_error("name", exc.message)
                else:
                    messages.success(request, "Department added.")
                    return redirect("organizations:settings")
    return render(
        request,
        "organizations/settings.html",
        {
            "can_manage": can_manage,
            "can_invite": can_invite,
            "settings_form": settings_form,
            "invite_form": invite_form,
            "department_form": department_form,
            "departments": organization.departments.all(),
            "invitations": organization.invitations.select_related("invited_by")[:50]
            if can_invite
            else [],
        },
    )


@member_required
@require_POST
def revoke_invitation(request: MemberRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation,
        pk=invitation_id,
        organization=request.organization,
    )
    try:
        services.do_revoke_invitation(request.user, invitation)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("organizations:settings")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.check_invitation(token)
    except services.InvitationInvalid as exc:
        return render(
            request, "organizations/invitation_invalid.html", {"reason": exc.message}, status=410
        )
    signed_in = request.user.is_authenticated
    form = AcceptInvitationForm(request.POST or None) if not signed_in else None
    if request.method == "POST":
        try:
            if signed_in:
                membership = services.do_accept_invitation(token, person=cast(Person, request.user))
            elif form is not None and form.is_valid():
                membership = services.do_accept_invitation(
                    token,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password"],
                )
                login(
                    request, membership.person, backend="django.contrib.auth.backends.ModelBackend"
                )
            else:
                membership = None
        except services.InvitationInvalid as exc:
            return render(
                request,
                "organizations/invitation_invalid.html",
                {"reason": exc.message},
                status=410,
            )
        except ServiceError as exc:
            if form is None:
                raise
            form.add_error(None, exc.message)
            membership = None
        if membership is not None:
            request.session[SESSION_KEY] = membership.organization_id
            messages.success(request, f"Welcome to {membership.organization.name}.")
            return redirect("home")
    return render(
        request, "organizations/accept_invitation.html", {"invitation": invitation, "form": form}
    )


@member_required
@require_POST
def switch_organization(request: MemberRequest) -> HttpResponse:
    organization = services.check_switch_organization(
        request.user,
        request.POST.get("organization", ""),
    )
    request.session[SESSION_KEY] = organization.pk
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        return HttpResponseRedirect(next_url)
    return redirect("home")


def profile(request: HttpRequest) -> HttpResponse:
    """A person's own name and time zone."""
    if not request.user.is_authenticated:
        return redirect("login")
    person = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"full_name": person.full_name, "time_zone": person.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_profile(person, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Saved.")
            return redirect("organizations:profile")
    return render(request, "organizations/profile.html", {"form": form})
