"""Reviews with graduated autonomy: routing, the review lifecycle, jobs, evidence, pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.core.models import AuditEvent
from cluetrain.notifications.models import Notification
from cluetrain.organizations.models import Person
from cluetrain.publishing.models import Category, Delivery, Post, PostEvent, PostStatus
from cluetrain.reviews import autonomy, services
from cluetrain.reviews.models import (
    AutonomyLevel,
    Level,
    PromotionProposal,
    ProposalStatus,
    Review,
    ReviewPolicy,
    ReviewStatus,
)
from cluetrain.voices.models import Network, Voice, VoiceKind
from tests.conftest import Cast


def _voice(cast: Cast, person: Person, network: str = Network.BLUESKY) -> Voice:
    voice, _ = Voice.objects.get_or_create(
        organization=cast.acme,
        network=network,
        handle=f"@{person.pk}.{network}",
        defaults={"kind": VoiceKind.PERSONAL, "name": person.full_name, "owner": person},
    )
    return voice


def _post(
    cast: Cast,
    author: Person,
    *,
    network: str = Network.BLUESKY,
    category: str = Category.OPERATIONAL,
    text: str = "Our new opening hours start on Monday.",
    status: str = PostStatus.REVIEW,
) -> Post:
    post = Post.objects.create(
        organization=cast.acme, author=author, text=text, category=category, status=status
    )
    voice = _voice(cast, author, network)
    Delivery.objects.create(
        post=post,
        voice=voice,
        organization=cast.acme,
        network=voice.network,
        status=status,
        due_at=timezone.now() + timedelta(hours=1),
    )
    return post


def _set(cast: Cast, person: Person, level: Level) -> None:
    AutonomyLevel.objects.update_or_create(
        person=person, organization=cast.acme, defaults={"level": level}
    )


# Routing ---------------------------------------------------------------------------------


def test_levels_without_a_row_follow_roles(cast: Cast) -> None:
    assert autonomy.level_of(cast.member, cast.acme) == Level.SUPERVISED
    assert autonomy.level_of(cast.trainee, cast.acme) == Level.SUPERVISED
    assert autonomy.level_of(cast.mentor, cast.acme) == Level.MENTOR
    assert autonomy.level_of(cast.coordinator, cast.acme) == Level.MENTOR
    _set(cast, cast.mentor, Level.AUTONOMOUS)
    assert autonomy.level_of(cast.mentor, cast.acme) == Level.AUTONOMOUS
    ids = [cast.member.pk, cast.mentor.pk, cast.director.pk]
    assert autonomy.levels_of(cast.acme, ids) == {
        cast.member.pk: Level.SUPERVISED,
        cast.mentor.pk: Level.AUTONOMOUS,
        cast.director.pk: Level.MENTOR,
    }


def test_a_supervised_persons_every_post_is_reviewed(cast: Cast) -> None:
    post = _post(cast, cast.member)
    assert services.review_reason(cast.member, post, "ok") == services.SUPERVISED_REASON


def test_an_autonomous_persons_post_goes_straight_out_unless_a_finding_asks(cast: Cast) -> None:
    _set(cast, cast.member, Level.AUTONOMOUS)
    post = _post(cast, cast.member)
    assert services.review_reason(cast.member, post, "ok") is None
    assert services.review_reason(cast.member, post, "warn") is None
    assert services.review_reason(cast.member, post, "review") == services.FINDING_REASON
    # A block only reaches here overridden by a director, and is reviewed anyway.
    assert services.review_reason(cast.member, post, "block") == services.OVERRIDE_REASON


def test_a_mentor_is_routed_like_an_autonomous_person(cast: Cast) -> None:
    post = _post(cast, cast.mentor)
    assert services.review_reason(cast.mentor, post, "ok") is None
    assert services.review_reason(cast.mentor, post, "review") == services.FINDING_REASON


def test_reviewed_categories_are_reviewed_for_everyone(cast: Cast) -> None:
    ReviewPolicy.objects.create(organization=cast.acme, reviewed_categories=["announcement"])
    announcement = _post(cast, cast.mentor, category=Category.ANNOUNCEMENT)
    care = _post(cast, cast.mentor, category=Category.CUSTOMER_CARE)
    assert services.review_reason(cast.mentor, announcement, "ok") == (
        "Announcements are reviewed."
    )
    assert services.review_reason(cast.mentor, care, "ok") is None


def test_practice_only_posts_are_never_reviewed(cast: Cast) -> None:
    _set(cast, cast.member, Level.LEARNER)
    post = _post(cast, cast.member, network=Network.PRACTICE)
    for verdict in ("ok", "review", "block"):
        assert services.review_reason(cast.member, post, verdict) is None
    assert services.may_publish_outside_practice(cast.member, cast.acme) is False


def test_a_learner_outside_the_practice_space_is_told_why(cast: Cast) -> None:
    _set(cast, cast.member, Level.LEARNER)
    post = _post(cast, cast.member)
    reason = services.review_reason(cast.member, post, "ok")
    assert reason is not None
    assert "practice space" in reason
    assert services.may_publish_outside_practice(cast.mentor, cast.acme) is True


# The review lifecycle --------------------------------------------------------------------


def test_a_request_notifies_reviewers_but_not_the_author_and_is_in_the_history(
    cast: Cast,
) -> None:
    post = _post(cast, cast.mentor)
    review = services.do_request_review(post, services.FINDING_REASON)
    assert review.status == ReviewStatus.PENDING
    assert review.due_at - review.requested_at == timedelta(hours=48)
    notified = set(
        Notification.objects.filter(kind="review_requested").values_list("person_id", flat=True)
    )
    assert notified == {cast.director.pk, cast.coordinator.pk}
    assert PostEvent.objects.filter(post=post, verb="review_requested").exists()


def test_a_second_request_withdraws_the_first(cast: Cast) -> None:
    post = _post(cast, cast.member)
    first = services.do_request_review(post, services.SUPERVISED_REASON)
    second = services.do_request_review(post, services.SUPERVISED_REASON)
    first.refresh_from_db()
    assert first.status == ReviewStatus.WITHDRAWN
    assert second.status == ReviewStatus.PENDING


def test_the_expiry_window_follows_the_policy(cast: Cast) -> None:
    ReviewPolicy.objects.create(organization=cast.acme, expiry_hours=6)
    review = services.do_request_review(_post(cast, cast.member), "x")
    assert review.due_at - review.requested_at == timedelta(hours=6)


def test_an_approval_schedules_the_post_and_is_audited(cast: Cast) -> None:
    post = _post(cast, cast.member)
    review = services.do_request_review(post, services.SUPERVISED_REASON)
    services.do_approve(cast.mentor, review)
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    assert review.decided_by == cast.mentor
    assert set(post.deliveries.values_list("status", flat=True)) == {PostStatus.SCHEDULED}
    assert AuditEvent.objects.filter(verb="review.approved", actor=cast.mentor).exists()
    assert Notification.objects.filter(person=cast.member, kind="review_approved").exists()


def test_a_request_for_changes_sends_the_post_back_as_a_draft(cast: Cast) -> None:
    post = _post(cast, cast.member)
    review = services.do_request_review(post, services.SUPERVISED_REASON)
    with pytest.raises(ServiceError):
        services.do_request_changes(cast.mentor, review, "   ")
    services.do_request_changes(cast.mentor, review, "Say which Monday.")
    review.refresh_from_db()
    assert review.status == ReviewStatus.CHANGES_REQUESTED
    assert review.comments.get().text == "Say which Monday."
    assert set(post.deliveries.values_list("status", flat=True)) == {PostStatus.DRAFT}
    assert AuditEvent.objects.filter(verb="review.changes_requested").exists()


def test_an_author_cannot_approve_their_own_post(cast: Cast) -> None:
    review = services.do_request_review(_post(cast, cast.mentor), services.FINDING_REASON)
    with pytest.raises(NotAllowed, match="your own post"):
        services.do_approve(cast.mentor, review)
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING


@pytest.mark.parametrize("who", ["member", "trainee", "operations", "outsider"])
def test_only_reviewers_decide(cast: Cast, who: str) -> None:
    review = services.do_request_review(_post(cast, cast.mentor), services.FINDING_REASON)
    with pytest.raises(NotAllowed):
        services.do_approve(getattr(cast, who), review)
    with pytest.raises(NotAllowed):
        services.do_request_changes(getattr(cast, who), review, "No.")
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.PENDING


def test_an_expired_review_cannot_be_approved(cast: Cast) -> None:
    post = _post(cast, cast.member)
    review = services.do_request_review(post, services.SUPERVISED_REASON)
    # Overdue but not yet marked by the job: still refused.
    Review.objects.filter(pk=review.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ServiceError, match="expired"):
        services.do_approve(cast.mentor, review)
    assert services.expire_reviews() == 1
    with pytest.raises(ServiceError, match="expired"):
        services.do_approve(cast.mentor, review)
    # Nothing goes out unreviewed: the post is its author's draft again, and says why.
    assert set(post.deliveries.values_list("status", flat=True)) == {PostStatus.DRAFT}
    assert post.events.filter(verb="review_expired").exists()


def test_a_decided_review_cannot_be_decided_again(cast: Cast) -> None:
    review = services.do_request_review(_post(cast, cast.member), "x")
    services.do_approve(cast.mentor, review)
    with pytest.raises(ServiceError, match="already decided"):
        services.do_request_changes(cast.coordinator, review, "Too late")


def test_comments_from_the_author_and_reviewers_but_nobody_else(cast: Cast) -> None:
    review = services.do_request_review(_post(cast, cast.member), "x")
    services.do_comment(cast.mentor, review, "Which Monday?")
    services.do_comment(cast.member, review, "The 3rd.")
    assert list(review.comments.values_list("text", flat=True)) == ["Which Monday?", "The 3rd."]
    assert Notification.objects.filter(person=cast.member, kind="review_comment").count() == 1
    assert Notification.objects.filter(person=cast.mentor, kind="review_comment").count() == 1
    with pytest.raises(NotAllowed):
        services.do_comment(cast.trainee, review, "Me too")


# Jobs ------------------------------------------------------------------------------------


def test_expiry_tells_the_author_once(cast: Cast) -> None:
    post = _post(cast, cast.member)
    review = services.do_request_review(post, "x")
    assert services.expire_reviews() == 0
    later = timezone.now() + timedelta(hours=49)
    assert services.expire_reviews(later) == 1
    assert services.expire_reviews(later) == 0
    review.refresh_from_db()
    assert review.status == ReviewStatus.EXPIRED
    assert Notification.objects.filter(person=cast.member, kind="review_expired").count() == 1
    assert PostEvent.objects.filter(post=post, verb="review_expired").count() == 1


def test_reminders_go_out_once_past_half_the_window(cast: Cast) -> None:
    services.do_request_review(_post(cast, cast.member), "x")
    now = timezone.now()
    assert services.send_review_reminders(now + timedelta(hours=23)) == 0
    assert services.send_review_reminders(now + timedelta(hours=25)) == 1
    assert services.send_review_reminders(now + timedelta(hours=30)) == 0
    reminded = Notification.objects.filter(kind="review_reminder")
    assert set(reminded.values_list("person_id", flat=True)) == {
        cast.director.pk,
        cast.coordinator.pk,
        cast.mentor.pk,
    }
    assert reminded.count() == 3


def test_the_jobs_are_registered_as_periodic() -> None:
    from cluetrain.core.jobs import PERIODIC

    assert {
        "cluetrain.reviews.tasks.expire_reviews",
        "cluetrain.reviews.tasks.send_review_reminders",
        "cluetrain.reviews.tasks.propose_promotions",
    } <= set(PERIODIC)


# Evidence and promotions -----------------------------------------------------------------


def _reviewed(cast: Cast, author: Person, *, approved: int, changed: int) -> None:
    for index in range(approved + changed):
        post = _post(cast, author, text=f"Post number {index}")
        review = services.do_request_review(post, "x")
        if index < approved:
            services.do_approve(cast.mentor, review)
        else:
            services.do_request_changes(cast.mentor, review, "Shorter, please.")


def test_evidence_counts_reviews_and_says_what_is_missing(cast: Cast) -> None:
    _reviewed(cast, cast.member, approved=3, changed=1)
    evidence = autonomy.evidence_for(cast.member, cast.acme)
    assert evidence.level == Level.SUPERVISED
    assert evidence.next_level == Level.AUTONOMOUS
    assert evidence.reviewed_posts == 4
    assert evidence.approved_without_changes == 3
    assert evidence.approval_rate == pytest.approx(0.75)
    assert any("6 more reviewed post" in line for line in evidence.missing)
    assert any("90%" in line for line in evidence.missing)
    assert not evidence.ready


def test_a_post_approved_after_changes_does_not_count_as_clean(cast: Cast) -> None:
    post = _post(cast, cast.member)
    services.do_request_changes(cast.mentor, services.do_request_review(post, "x"), "Fix it")
    # The author changed it and sent it again.
    Delivery.objects.filter(post=post).update(status=PostStatus.REVIEW)
    Post.objects.filter(pk=post.pk).update(status=PostStatus.REVIEW)
    services.do_approve(cast.mentor, services.do_request_review(post, "x"))
    evidence = autonomy.evidence_for(cast.member, cast.acme)
    assert (evidence.reviewed_posts, evidence.approved_without_changes) == (1, 0)


def test_a_recent_blocking_finding_holds_a_promotion_back(cast: Cast) -> None:
    ReviewPolicy.objects.create(organization=cast.acme, min_reviewed_posts=1)
    _reviewed(cast, cast.member, approved=1, changed=0)
    assert autonomy.evidence_for(cast.member, cast.acme).ready
    blocked = _post(cast, cast.member, status=PostStatus.DRAFT)
    Post.objects.filter(pk=blocked.pk).update(check_verdict="block")
    evidence = autonomy.evidence_for(cast.member, cast.acme)
    assert evidence.last_block_at is not None
    assert any("No blocking guideline finding" in line for line in evidence.missing)


def test_promotions_are_proposed_once_and_confirmed_by_a_coordinator(cast: Cast) -> None:
    _reviewed(cast, cast.member, approved=10, changed=0)
    assert autonomy.propose_promotions() == 1
    assert autonomy.propose_promotions() == 0  # One open proposal per person.
    proposal = PromotionProposal.objects.get(person=cast.member)
    assert (proposal.from_level, proposal.to_level) == (Level.SUPERVISED, Level.AUTONOMOUS)
    assert proposal.evidence["reviewed_posts"] == 10
    assert (
        Notification.objects.filter(
            kind="promotion_proposed", person__in=[cast.director, cast.coordinator]
        ).count()
        == 2
    )
    with pytest.raises(NotAllowed):
        autonomy.do_confirm_promotion(cast.member, proposal)
    autonomy.do_confirm_promotion(cast.coordinator, proposal)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.CONFIRMED
    assert autonomy.level_of(cast.member, cast.acme) == Level.AUTONOMOUS
    assert AuditEvent.objects.filter(verb="autonomy.level_changed", actor=cast.coordinator).exists()
    with pytest.raises(ServiceError):
        autonomy.do_decline_promotion(cast.coordinator, proposal)


def test_a_declined_proposal_is_not_made_again_at_once(cast: Cast) -> None:
    _set(cast, cast.trainee, Level.LEARNER)
    # The academy is not there yet: no modules required, so a learner may be proposed.
    assert autonomy.propose_promotions() == 1
    proposal = PromotionProposal.objects.get(person=cast.trainee)
    assert proposal.to_level == Level.SUPERVISED
    autonomy.do_decline_promotion(cast.director, proposal, "Not yet.")
    assert autonomy.propose_promotions() == 0
    assert autonomy.propose_promotions(timezone.now() + timedelta(days=31)) == 1


def test_levels_are_set_by_coordinators_with_a_reason_but_not_for_themselves(cast: Cast) -> None:
    with pytest.raises(ServiceError):
        autonomy.do_set_level(cast.coordinator, cast.member, cast.acme, Level.LEARNER, " ")
    with pytest.raises(NotAllowed):
        autonomy.do_set_level(cast.member, cast.trainee, cast.acme, Level.LEARNER, "Because")
    with pytest.raises(NotAllowed):
        autonomy.do_set_level(cast.coordinator, cast.coordinator, cast.acme, Level.MENTOR, "Me")
    with pytest.raises(ServiceError):
        autonomy.do_set_level(cast.coordinator, cast.outsider, cast.acme, Level.MENTOR, "Hi")
    before = autonomy.do_set_level(
        cast.coordinator, cast.member, cast.acme, Level.LEARNER, "Start in practice"
    )
    assert before == Level.SUPERVISED
    assert autonomy.level_of(cast.member, cast.acme) == Level.LEARNER
    event = AuditEvent.objects.get(verb="autonomy.level_changed")
    assert event.data["reason"] == "Start in practice"


# Pages -----------------------------------------------------------------------------------


def _queue_queries(cast: Cast) -> int:
    client = cast.client(cast.mentor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/reviews/")
    assert response.status_code == 200
    return len(queries)


def test_the_queue_shows_pending_reviews_in_constant_queries(cast: Cast) -> None:
    first = services.do_request_review(_post(cast, cast.member, text="First post"), "x")
    services.do_comment(cast.coordinator, first, "Looks fine")
    one = _queue_queries(cast)
    for author in (cast.trainee, cast.operations, cast.agency):
        post = _post(cast, author, text=f"Post by {author.full_name}")
        services.do_request_review(post, "x")
        services.do_comment(cast.coordinator, Review.objects.get(post=post), "Hmm")
    assert _queue_queries(cast) == one
    page = cast.client(cast.mentor).get("/reviews/").content.decode()
    assert "First post" in page
    assert "Post by Tess Trainee" in page
    assert page.index("First post") < page.index("Post by Tess Trainee")


def test_the_queue_escapes_hostile_text_and_shows_stored_findings(cast: Cast) -> None:
    text = '<script>alert("x")</script> call 555 <b>now</b>'
    post = _post(cast, cast.member, text=text)
    Post.objects.filter(pk=post.pk).update(
        findings=[
            {
                "rule": "phone",
                "kind": "detector",
                "severity": "review",
                "start": text.index("555"),
                "end": text.index("555") + 3,
                "match": "555",
                "explanation": "<img src=x onerror=alert(1)>",
                "suggestion": "",
                "network": "",
            }
        ]
    )
    services.do_request_review(post, "x")
    page = cast.client(cast.mentor).get("/reviews/").content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page
    assert '<mark class="finding review"' in page


def test_the_author_sees_their_review_without_buttons(cast: Cast) -> None:
    services.do_request_review(_post(cast, cast.member, text="Mine to see"), "x")
    page = cast.client(cast.member).get("/reviews/").content.decode()
    assert "Mine to see" in page
    assert "Approve" not in page


def test_approving_through_the_page(cast: Cast) -> None:
    review = services.do_request_review(_post(cast, cast.member), "x")
    response = cast.client(cast.mentor).post(f"/reviews/{review.pk}/approve/")
    assert response.status_code == 302
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.APPROVED
    response = cast.client(cast.member).post(f"/reviews/{review.pk}/changes/", {"text": "x"})
    assert response.status_code == 403


def _autonomy_queries(cast: Cast) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = cast.client(cast.coordinator).get("/reviews/autonomy/")
    assert response.status_code == 200
    return len(queries)


def test_the_autonomy_page_shows_evidence_proposals_and_levels(cast: Cast) -> None:
    page = cast.client(cast.member).get("/reviews/autonomy/").content.decode()
    assert "You are supervised" in page
    assert "10 more reviewed post" in page
    assert "Proposed promotions" not in page
    _set(cast, cast.trainee, Level.LEARNER)
    autonomy.propose_promotions()
    one = _autonomy_queries(cast)
    _set(cast, cast.agency, Level.LEARNER)
    _set(cast, cast.operations, Level.LEARNER)
    autonomy.propose_promotions()
    assert _autonomy_queries(cast) == one
    page = cast.client(cast.coordinator).get("/reviews/autonomy/").content.decode()
    assert "Tess Trainee" in page
    assert "Confirm" in page
    assert "Review policy" in page


def test_the_review_policy_is_saved_from_the_page(cast: Cast) -> None:
    response = cast.client(cast.coordinator).post(
        "/reviews/autonomy/policy/",
        {
            "reviewed_categories": ["announcement"],
            "expiry_hours": "24",
            "min_reviewed_posts": "5",
            "min_approval_rate": "0.8",
            "block_free_days": "30",
            "academy_modules_required": "0",
        },
    )
    assert response.status_code == 302
    saved = ReviewPolicy.objects.get(organization=cast.acme)
    assert saved.reviewed_categories == ["announcement"]
    assert saved.expiry_hours == 24
    response = cast.client(cast.member).post("/reviews/autonomy/policy/", {"expiry_hours": "1"})
    assert response.status_code in (302, 403)
    assert ReviewPolicy.objects.get(organization=cast.acme).expiry_hours == 24


# Through publishing ----------------------------------------------------------------------


def test_a_supervised_persons_post_waits_for_a_reviewer_then_goes_out(cast: Cast) -> None:
    from cluetrain.publishing.drafts import Draft
    from cluetrain.publishing.scheduling import Schedule, When
    from cluetrain.publishing.services import do_create_post

    voice = _voice(cast, cast.member)
    draft = Draft(text="Our opening hours change on Monday. #iworkatacme", voices=[voice])
    post = do_create_post(cast.member, cast.acme, draft, Schedule(when=When.NOW))
    assert set(post.deliveries.values_list("status", flat=True)) == {PostStatus.REVIEW}
    review = Review.objects.get(post=post, status=ReviewStatus.PENDING)
    assert review.reason == services.SUPERVISED_REASON
    services.do_approve(cast.mentor, review)
    assert set(post.deliveries.values_list("status", flat=True)) == {PostStatus.SCHEDULED}


def test_a_mentors_post_goes_straight_to_the_schedule(cast: Cast) -> None:
    from cluetrain.publishing.drafts import Draft
    from cluetrain.publishing.scheduling import Schedule, When
    from cluetrain.publishing.services import do_create_post

    voice = _voice(cast, cast.mentor)
    draft = Draft(text="Our opening hours change on Monday. #iworkatacme", voices=[voice])
    post = do_create_post(cast.mentor, cast.acme, draft, Schedule(when=When.NOW))
    assert set(post.deliveries.values_list("status", flat=True)) == {PostStatus.SCHEDULED}
    assert not Review.objects.filter(post=post).exists()


def test_a_learner_cannot_post_outside_the_practice_space(cast: Cast) -> None:
    from cluetrain.publishing.drafts import Draft
    from cluetrain.publishing.scheduling import Schedule, When
    from cluetrain.publishing.services import do_create_post

    _set(cast, cast.member, Level.LEARNER)
    draft = Draft(text="Hello from me. #iworkatacme", voices=[_voice(cast, cast.member)])
    with pytest.raises(NotAllowed, match="practice space"):
        do_create_post(cast.member, cast.acme, draft, Schedule(when=When.NOW))
    practice = Draft(text="Hello from me. #iworkatacme", voices=[cast.member_voice])
    post = do_create_post(cast.member, cast.acme, practice, Schedule(when=When.NOW))
    assert set(post.deliveries.values_list("status", flat=True)) == {PostStatus.SCHEDULED}


def test_a_cancelled_post_leaves_the_queue_and_cannot_be_approved(cast: Cast) -> None:
    from cluetrain.publishing.services import do_cancel

    post = _post(cast, cast.member, text="Changed my mind")
    review = services.do_request_review(post, "x")
    do_cancel(cast.member, post)
    assert "Changed my mind" not in cast.client(cast.mentor).get("/reviews/").content.decode()
    # Cancelling withdrew the review at once.
    with pytest.raises(ServiceError, match="already decided \\(withdrawn\\)"):
        services.do_approve(cast.mentor, review)
    assert services.expire_reviews(timezone.now() + timedelta(days=3)) == 0
    review.refresh_from_db()
    assert review.status == ReviewStatus.WITHDRAWN
    assert not Notification.objects.filter(kind="review_expired").exists()
