"""Settings → Audit log: read and export the organisation's audit log (leads only)."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from cluetrain.core import audit
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Person
from cluetrain.organizations.requests import MemberRequest


class FilterForm(forms.Form):
    actor = forms.ModelChoiceField(queryset=Person.objects.none(), required=False, label="Who")
    verb = forms.CharField(
        required=False,
        max_length=64,
        label="What",
        help_text='An action, or its start ("voice.")',
        widget=forms.TextInput(attrs={"list": "audit-verbs"}),
    )
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def chosen(self) -> audit.AuditFilter:
        data = self.cleaned_data if self.is_valid() else {}
        actor = data.get("actor")
        return audit.AuditFilter(
            actor_id=actor.pk if actor else None,
            verb=data.get("verb") or "",
            since=data.get("since"),
            until=data.get("until"),
        )


def _form(request: MemberRequest) -> FilterForm:
    form = FilterForm(request.GET or None)
    field = form.fields["actor"]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = Person.objects.filter(memberships__organization=request.organization).order_by(
        "full_name", "email"
    )
    return form


@member_required
def audit_log(request: MemberRequest) -> HttpResponse:
    form = _form(request)
    chosen = form.chosen()
    before = form.cleaned_data.get("before") if form.is_bound and form.is_valid() else None
    events, next_before = audit.events_page(
        request.user, request.organization, chosen, before=before
    )
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "core/audit.html",
        {
            "form": form,
            "events": events,
            "next_before": next_before,
            "query": query.urlencode(),
            "verbs": audit.verbs(request.organization),
        },
    )


@member_required
def audit_export(request: MemberRequest) -> HttpResponse:
    chosen = _form(request).chosen()
    lines = audit.export_csv(request.user, request.organization, chosen)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response  # type: ignore[return-value]  # streamed; member_required wants HttpResponse
