"""Settings → Guidelines: the rules, their editor, a live test box, import, export, history.

Every member may look; directors and coordinators may change (the services decide, and a
refusal is answered 403 with the reason).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cluetrain.core.errors import ServiceError
from cluetrain.guidelines import presenting, services
from cluetrain.guidelines.engine.types import Kind, RuleSpec
from cluetrain.guidelines.forms import KIND_FIELDS, ImportForm, RuleForm, SampleForm
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest


def _zone(request: MemberRequest) -> str:
    return request.user.time_zone or settings.TIME_ZONE


def _summary(spec: RuleSpec) -> str:
    if spec.kind in (Kind.TERM, Kind.EMBARGO):
        shown = ", ".join(spec.terms[:5]) + (" …" if len(spec.terms) > 5 else "")
        return f"{shown} ({len(spec.terms)} term{'s' if len(spec.terms) != 1 else ''})"
    if spec.kind == Kind.PATTERN:
        return spec.pattern
    options = services.options_text(spec.options)
    return f"{spec.detector} ({options})" if options else spec.detector


@member_required
def index(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    rules = services.stored_rules(organization)
    rule_set = services.rule_set_of(organization)
    return render(
        request,
        "guidelines/index.html",
        {
            "rules": [
                {"spec": rule.spec, "enabled": rule.enabled, "summary": _summary(rule.spec)}
                for rule in rules
            ],
            "uses_defaults": not any(rule.enabled for rule in rules),
            "version": rule_set.version if rule_set else 0,
            "versions": services.versions_of(organization),
            "can_edit": policy.can(request.user, organization, Permission.EDIT_GUIDELINES),
            "kinds": list(Kind),
            "sample_form": SampleForm(),
            "import_form": ImportForm(),
            "zone": _zone(request),
        },
    )


@member_required
def edit_rule(request: MemberRequest) -> HttpResponse:
    """Add a rule (``?kind=term``) or change one (``?rule=name``)."""
    organization, person = request.organization, request.user
    policy.require(person, organization, Permission.EDIT_GUIDELINES)
    replacing = request.GET.get("rule") or None
    zone = _zone(request)
    if request.method == "POST":
        form = RuleForm(request.POST, time_zone=zone)
        if form.is_valid():
            try:
                services.do_save_rule(
                    person,
                    organization,
                    form.spec(),
                    replacing=replacing,
                    enabled=form.cleaned_data["enabled"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Rule “{form.spec().name}” saved.")
                return redirect("guidelines:index")
    elif replacing is not None:
        found = [r for r in services.stored_rules(organization) if r.spec.name == replacing]
        if not found:
            messages.error(request, f"There is no rule named “{replacing}” any more.")
            return redirect("guidelines:index")
        form = RuleForm(
            initial=RuleForm.initial_for(found[0].spec, found[0].enabled, zone), time_zone=zone
        )
    else:
        kind = request.GET.get("kind", Kind.TERM.value)
        form = RuleForm(
            initial={"kind": kind if kind in Kind._value2member_map_ else Kind.TERM.value},
            time_zone=zone,
        )
    kind = Kind(form["kind"].value() or Kind.TERM.value)
    return render(
        request,
        "guidelines/edit.html",
        {
            "form": form,
            "replacing": replacing,
            "kind": kind,
            "kind_fields": KIND_FIELDS[kind],
            "sample_form": SampleForm(),
            "zone": zone,
        },
    )


@require_POST
@member_required
def delete_rule(request: MemberRequest) -> HttpResponse:
    name = request.POST.get("rule", "")
    try:
        services.do_delete_rule(request.user, request.organization, name)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Rule “{name}” deleted.")
    return redirect("guidelines:index")


@require_POST
@member_required
def import_rules(request: MemberRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = services.do_import_yaml(
                request.user,
                request.organization,
                form.cleaned_data["text"],
                form.cleaned_data["note"],
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Rules imported as version {version.number}.")
    else:
        messages.error(request, " ".join(str(error) for error in form.non_field_errors()))
    return redirect("guidelines:index")


@member_required
def export_rules(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    response = HttpResponse(
        services.do_export_yaml(request.user, organization, via="web"),
        content_type="application/yaml; charset=utf-8",
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="{organization.slug}-guidelines-{stamp}.yaml"'
    )
    return response


def _edited_rules(request: MemberRequest, data: QueryDict) -> tuple[list[RuleSpec], list[str]]:
    """The rules to test with: the saved ones, with the rule in the editor in its place."""
    organization = request.organization
    if "kind" not in data:
        return services.rules_of(organization), []
    form = RuleForm(data, time_zone=_zone(request))
    if not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
        return services.rules_of(organization), problems
    return services.with_rule(organization, form.spec(), data.get("replacing") or None), []


@require_POST
@member_required
def test_sample(request: MemberRequest) -> HttpResponse:
    """The live test box's fragment: the sample's findings under the rules as edited."""
    sample = SampleForm(request.POST)
    text = sample.cleaned_data["sample"] if sample.is_valid() else ""
    specs, problems = _edited_rules(request, request.POST)
    context: dict[str, Any] = {"problems": problems, "text": text}
    try:
        result = services.check_sample(request.user, request.organization, specs, text)
    except ServiceError as exc:
        context["problems"] = [*problems, exc.message]
    else:
        context["g"] = presenting.findings_context(text, result)
    if not sample.is_valid():
        context["problems"] = [*context["problems"], *sample.errors.get("sample", [])]
    return render(request, "guidelines/_test.html", context)
