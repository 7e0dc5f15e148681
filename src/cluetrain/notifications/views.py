from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cluetrain.notifications.models import Notification
from cluetrain.notifications.services import do_mark_read


def index(request: HttpRequest) -> HttpResponse:
    """A person's notifications, newest first; unread ones stand out."""
    if not request.user.is_authenticated:
        return redirect("login")
    person = request.user
    notifications = Notification.objects.filter(person=person).select_related("organization")[:100]
    return render(request, "notifications/index.html", {"notifications": notifications})


@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
        do_mark_read(request.user, ids or None)
    return redirect("notifications:index")
