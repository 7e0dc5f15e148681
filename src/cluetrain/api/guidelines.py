"""The guidelines endpoints: check a text, read the rules in effect.

Both use the caller's organisation's rules, through ``cluetrain.guidelines.services``.
"""

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from cluetrain.api.auth import caller
from cluetrain.api.errors import ErrorOut
from cluetrain.core.errors import NotAllowed
from cluetrain.guidelines import services
from cluetrain.organizations import policy
from cluetrain.organizations.policy import Permission

router = Router(tags=["guidelines"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut}
MAX_TEXT = 100_000


class CheckIn(Schema):
    text: str = Field(max_length=MAX_TEXT, description="The text to check; empty finds nothing.")
    organization: str | None = Field(
        None,
        description="The organisation's slug; it must be the one the caller acts in "
        "(the token's, or the one chosen in the browser).",
    )


class FindingOut(Schema):
    rule: str
    kind: str
    severity: str = Field(description="block, review or warn.")
    start: int = Field(description="Where the match starts, as a Python string offset.")
    end: int = Field(description="Where the match ends (exclusive), as a Python string offset.")
    match: str
    explanation: str
    suggestion: str


class CheckOut(Schema):
    verdict: str = Field(description="ok, warn, review or block: the most severe finding's.")
    version: str = Field(description="The rules version used, such as acme@3.")
    findings: list[FindingOut]


class RulesOut(Schema):
    version: int = Field(description="The saved version; 0 while the built-in rules apply.")
    rules: list[dict[str, Any]]


class RulesQuery(Schema):
    format: Literal["json", "yaml"] = "json"


@router.post("/guidelines/check", response={200: CheckOut, **ERRORS})
def check(request: HttpRequest, payload: CheckIn) -> dict[str, Any]:
    """Check a text against the caller's organisation's guidelines."""
    who = caller(request)
    if payload.organization is not None and payload.organization != who.organization.slug:
        raise NotAllowed(
            f"This request acts in {who.organization.name} ({who.organization.slug}); "
            "a text can only be checked against the guidelines of the organisation you act in."
        )
    policy.require(who.person, who.organization, Permission.VIEW_ORGANIZATION)
    return services.check_text(who.organization, payload.text).as_json()


@router.get("/guidelines/rules", response={200: RulesOut, **ERRORS})
def rules(request: HttpRequest, query: Query[RulesQuery]) -> HttpResponse | dict[str, Any]:
    """The rules in effect, as JSON or as a rules file (``?format=yaml``); editors only."""
    who = caller(request)
    policy.require(who.person, who.organization, Permission.EDIT_GUIDELINES)
    if query.format == "yaml":
        text = services.do_export_yaml(who.person, who.organization, via="api")
        return HttpResponse(text, content_type="application/yaml; charset=utf-8")
    rule_set = services.rule_set_of(who.organization)
    own = services.rules_of(who.organization)
    return {
        "version": rule_set.version if rule_set and own else 0,
        "rules": [services.spec_as_json(spec) for spec in own or services.default_rules()],
    }
