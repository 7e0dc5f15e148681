"""The review endpoints: the queue, approving, returning with a comment, commenting.

Decisions go through ``cluetrain.reviews.services`` (nobody reviews their own post; only
reviewers decide). A review decided or expired meanwhile answers 409.
"""

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from cluetrain.api.auth import Caller, caller
from cluetrain.api.errors import Conflict, ErrorOut
from cluetrain.api.ids import id_in_path
from cluetrain.api.lazy import Mapped
from cluetrain.api.posts import Page
from cluetrain.api.schemas_work import CommentIn, CommentOut, ReturnIn, ReviewOut, person_ref
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.policy import Permission
from cluetrain.reviews import services
from cluetrain.reviews.models import Review

router = Router(tags=["reviews"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
# The review changed meanwhile: a later look shows why.
_CONFLICTS = {"decided", "expired", "gone"}


def _queue(who: Caller) -> QuerySet[Review]:
    """Reviewers see the organisation's queue; everyone else the reviews of their own posts."""
    policy.require(who.person, who.organization, Permission.VIEW_ORGANIZATION)
    reviews = services.pending_reviews(who.organization)
    if not policy.can(who.person, who.organization, Permission.REVIEW_POSTS):
        reviews = reviews.filter(post__author=who.person)
    return reviews


def review_out(review: Review) -> ReviewOut:
    post = review.post
    return ReviewOut(
        id=review.pk,
        status=review.status,
        reason=review.reason,
        requested_at=review.requested_at,
        due_at=review.due_at,
        post_id=post.pk,
        post_text=post.text,
        post_category=post.category,
        author=person_ref(post.author),
        voices=[delivery.voice.handle for delivery in post.deliveries.all()],
        comments=[
            CommentOut(
                author=person_ref(c.author),
                text=c.text,
                created_at=c.created_at,
            )
            for c in review.comments.all()
        ],
    )


def _load(who: Caller, review_id: int, *, pending: bool = True) -> Review:
    reviews = (
        _queue(who)
        if pending
        else Review.objects.filter(organization=who.organization)
        .select_related("post", "post__author")
        .prefetch_related("post__deliveries__voice", "comments__author")
    )
    review = reviews.filter(pk=review_id).first()
    if review is None:
        raise Http404(f"There is no review {review_id} waiting for you.")
    return review


def _decide(action: Callable[[], Review]) -> None:
    try:
        action()
    except ServiceError as exc:
        if exc.code in _CONFLICTS:
            raise Conflict(exc) from exc
        raise


@router.get("/reviews", response={200: list[ReviewOut], 400: ErrorOut, 401: ErrorOut})
@paginate(Page)
def list_reviews(request: HttpRequest) -> list[ReviewOut]:
    """Reviews waiting for a decision, oldest first: the queue for reviewers, one's own posts'
    for everyone else."""
    return Mapped(_queue(caller(request)), review_out)  # type: ignore[return-value]


@router.get("/reviews/{review_id}", response={200: ReviewOut, **ERRORS})
def get_review(request: HttpRequest, review_id: int = id_in_path()) -> ReviewOut:
    """One review, decided or not, with its comments."""
    who = caller(request)
    review = _load(who, review_id, pending=False)
    if review.post.author_id != who.person.pk:
        policy.require(who.person, who.organization, Permission.REVIEW_POSTS)
    return review_out(review)


@router.post("/reviews/{review_id}/approve", response={200: ReviewOut, **ERRORS})
def approve(request: HttpRequest, review_id: int = id_in_path()) -> ReviewOut:
    """Approve the post: it goes out at its planned time, or now if that has passed."""
    who = caller(request)
    review = _load(who, review_id, pending=False)
    _decide(lambda: services.do_approve(who.person, review))
    return review_out(_load(who, review_id, pending=False))


@router.post("/reviews/{review_id}/return", response={200: ReviewOut, **ERRORS})
def send_back(request: HttpRequest, payload: ReturnIn, review_id: int = id_in_path()) -> ReviewOut:
    """Send the post back to its author as a draft, saying what should change."""
    who = caller(request)
    review = _load(who, review_id, pending=False)
    _decide(lambda: services.do_request_changes(who.person, review, payload.comment))
    return review_out(_load(who, review_id, pending=False))


@router.post("/reviews/{review_id}/comments", response={201: ReviewOut, **ERRORS})
def comment(request: HttpRequest, payload: CommentIn, review_id: int = id_in_path()) -> Status:
    """Comment on a review: its post's author, or a reviewer."""
    who = caller(request)
    services.do_comment(who.person, _load(who, review_id, pending=False), payload.text)
    return Status(201, review_out(_load(who, review_id, pending=False)))
