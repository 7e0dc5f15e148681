"""The review endpoints: the queue, approving, returning with a comment, conflicts."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cluetrain.organizations.models import Person
from cluetrain.publishing.models import Category, Delivery, Post, PostStatus
from cluetrain.reviews import services
from cluetrain.reviews.models import Review, ReviewStatus
from cluetrain.voices.models import Network, Voice, VoiceKind
from tests.conftest import Cast
from tests.support.api_work import assert_error, call, same_queries_for_few_and_many, token


def in_review(
    cast: Cast, author: Person, text: str = "Our new opening hours start Monday."
) -> Review:
    post = Post.objects.create(
        organization=cast.acme,
        author=author,
        text=text,
        category=Category.OPERATIONAL,
        status=PostStatus.REVIEW,
    )
    voice, _ = Voice.objects.get_or_create(
        organization=cast.acme,
        network=Network.BLUESKY,
        handle=f"@{author.pk}.bsky",
        defaults={"kind": VoiceKind.PERSONAL, "name": author.full_name, "owner": author},
    )
    Delivery.objects.create(
        post=post,
        voice=voice,
        organization=cast.acme,
        network=voice.network,
        status=PostStatus.REVIEW,
        due_at=timezone.now() + timedelta(hours=1),
    )
    return services.do_request_review(post, "Supervised")


def test_reviewers_see_the_queue_and_authors_their_own(cast: Cast) -> None:
    mine = in_review(cast, cast.member)
    in_review(cast, cast.trainee)
    queue = call("get", "/api/reviews", token(cast.mentor, cast.acme)).json()
    assert queue["count"] == 2
    first = queue["items"][0]
    assert first["id"] == mine.pk
    assert first["author"]["id"] == cast.member.pk
    assert first["voices"] == [f"@{cast.member.pk}.bsky"]
    own = call("get", "/api/reviews", token(cast.member, cast.acme)).json()
    assert [r["id"] for r in own["items"]] == [mine.pk]


def test_a_reviewer_approves_and_a_second_decision_is_a_conflict(cast: Cast) -> None:
    review = in_review(cast, cast.member)
    secret = token(cast.mentor, cast.acme)
    approved = call("post", f"/api/reviews/{review.pk}/approve", secret)
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == ReviewStatus.APPROVED
    assert Post.objects.get(pk=review.post_id).status != PostStatus.REVIEW
    again = call("post", f"/api/reviews/{review.pk}/return", secret, {"comment": "Too late"})
    assert_error(again, 409, "decided")


def test_a_returned_post_goes_back_to_its_author_with_the_comment(cast: Cast) -> None:
    review = in_review(cast, cast.member)
    path = f"/api/reviews/{review.pk}/return"
    returned = call(
        "post", path, token(cast.coordinator, cast.acme), {"comment": "Say which Monday."}
    )
    assert returned.status_code == 200, returned.content
    assert returned.json()["comments"][0]["text"] == "Say which Monday."
    assert Post.objects.get(pk=review.post_id).status == PostStatus.DRAFT


def test_nobody_reviews_their_own_post_and_members_do_not_review(cast: Cast) -> None:
    own = in_review(cast, cast.mentor)
    refused = call("post", f"/api/reviews/{own.pk}/approve", token(cast.mentor, cast.acme))
    assert_error(refused, 403, "not_allowed")
    other = in_review(cast, cast.trainee)
    refused = call("post", f"/api/reviews/{other.pk}/approve", token(cast.member, cast.acme))
    assert_error(refused, 403, "not_allowed")
    empty = call(
        "post", f"/api/reviews/{other.pk}/return", token(cast.mentor, cast.acme), {"comment": ""}
    )
    assert_error(empty, 400, "invalid_input")
    assert Review.objects.get(pk=other.pk).status == ReviewStatus.PENDING


def test_authors_and_reviewers_comment(cast: Cast) -> None:
    review = in_review(cast, cast.member)
    said = call(
        "post",
        f"/api/reviews/{review.pk}/comments",
        token(cast.member, cast.acme),
        {"text": "Is it fine?"},
    )
    assert said.status_code == 201, said.content
    assert [c["text"] for c in said.json()["comments"]] == ["Is it fine?"]


def test_another_organisations_review_is_not_found(cast: Cast) -> None:
    review = in_review(cast, cast.member)
    Review.objects.filter(pk=review.pk).update(organization=cast.globex)
    assert_error(call("get", f"/api/reviews/{review.pk}", token(cast.mentor, cast.acme)), 404)


def test_the_queue_costs_the_same_queries_for_2_or_20_reviews(cast: Cast) -> None:
    def add(count: int) -> None:
        for n in range(count):
            in_review(cast, cast.trainee if n % 2 else cast.member, text=f"Post {n}")

    few, many = same_queries_for_few_and_many(
        "/api/reviews?limit=100", token(cast.director, cast.acme), add
    )
    assert few == many
