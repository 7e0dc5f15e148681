from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.requests import MemberRequest
from cluetrain.publishing.forms import PublishForm
from cluetrain.publishing.models import Delivery, Post, PostStatus
from cluetrain.publishing.services import do_publish
from cluetrain.voices.models import Voice


@member_required
def index(request: MemberRequest) -> HttpResponse:
    voices = policy.postable_voices(request.user, request.organization)
    form = PublishForm(request.POST or None, voices=voices)
    if request.method == "POST":
        # The voice is looked up in the whole organisation, not only among the offered
        # ones, so a forged choice meets the service's refusal (403 with the reason).
        voice = Voice.objects.filter(
            organization=request.organization,
            pk=int(voice_id) if (voice_id := request.POST.get("voice", "")).isdigit() else 0,
        ).first()
        if voice is None:
            form.add_error("voice", "Choose one of your voices.")
        else:
            try:
                do_publish(request.user, voice, request.POST.get("text", ""))
            except NotAllowed:
                raise
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Published.")
                return redirect("publishing:index")
    posts = (
        Post.objects.filter(organization=request.organization)
        .select_related("author")
        .prefetch_related("deliveries__voice")
        .order_by("-created_at")[:20]
    )
    return render(
        request, "publishing/index.html", {"form": form, "voices": voices, "posts": posts}
    )


def entry(request: MemberRequest, key: str, index: int) -> HttpResponse:
    """The page of an item Cluetrain serves itself: a feed entry (public) or a practice post."""
    delivery = get_object_or_404(
        Delivery.objects.select_related("post", "voice", "organization"),
        key=key,
        status=PostStatus.PUBLISHED,
    )
    parts = delivery.post.parts(delivery.network)
    if not 0 <= index < len(parts):
        raise Http404
    if delivery.network == "practice":
        # The practice space never leaves Cluetrain: members only.
        if not request.user.is_authenticated or not policy.is_member(
            request.user, delivery.organization
        ):
            raise Http404
    elif delivery.network != "feed":
        return redirect(delivery.url) if delivery.url.startswith("http") else redirect("/")
    return render(
        request,
        "publishing/entry.html",
        {"delivery": delivery, "post": delivery.post, "text": parts[index], "index": index},
    )
