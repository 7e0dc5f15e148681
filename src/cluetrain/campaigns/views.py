from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.requests import MemberRequest


@member_required
def index(request: MemberRequest) -> HttpResponse:
    return render(request, "core/coming.html", {"area": "Insights", "promise": ""})
