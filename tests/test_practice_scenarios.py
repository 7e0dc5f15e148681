"""Scenarios: replayed customer conversations arrive in order, once, as a real thread would."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.practice import scenarios, services
from cluetrain.practice.models import Author, Message, Thread
from cluetrain.practice.scenarios import build
from tests.conftest import Cast
from tests.support.practice import LATE_TRAIN

pytestmark = pytest.mark.django_db


def _customer_texts(thread: Thread) -> list[str]:
    return list(
        Message.objects.filter(thread=thread, author=Author.CUSTOMER)
        .order_by("turn")
        .values_list("text", flat=True)
    )


def test_starting_a_scenario_replays_only_the_customers_first_step(cast: Cast) -> None:
    thread = services.do_start_scenario(cast.trainee, cast.acme, LATE_TRAIN)
    scenario = scenarios.get(LATE_TRAIN)
    assert scenario is not None
    texts = _customer_texts(thread)
    assert len(texts) == len(scenario.steps[0].messages)
    # The customer speaks to the organisation, not to the brand of the source.
    assert texts[0].startswith("@acme ")
    assert "{brand}" not in texts[0]


def test_each_reply_brings_the_customers_next_turn_in_order_until_the_end(cast: Cast) -> None:
    scenario = scenarios.get(LATE_TRAIN)
    assert scenario is not None
    assert len(scenario.steps) == 3
    thread = services.do_start_scenario(cast.trainee, cast.acme, LATE_TRAIN)
    for step in range(1, 4):
        services.do_reply(cast.trainee, thread, f"Answer number {step}")
    thread.refresh_from_db()
    assert thread.finished_at is not None
    authors = list(
        Message.objects.filter(thread=thread)
        .order_by("created_at", "pk")
        .values_list("author", "turn")
    )
    assert authors == [
        ("customer", 0),
        ("learner", None),
        ("customer", 1),
        ("learner", None),
        ("customer", 2),
        ("learner", None),
    ]
    with pytest.raises(ServiceError, match="conversation is over"):
        services.do_reply(cast.trainee, thread, "Anyone there?")


def test_starting_the_same_scenario_again_resumes_it_without_replaying_twice(cast: Cast) -> None:
    first = services.do_start_scenario(cast.trainee, cast.acme, LATE_TRAIN)
    again = services.do_start_scenario(cast.trainee, cast.acme, LATE_TRAIN)
    assert first.pk == again.pk
    assert len(_customer_texts(first)) == 1


def test_an_unknown_scenario_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="no such scenario"):
        services.do_start_scenario(cast.trainee, cast.acme, "../../etc/passwd")


def test_nobody_replies_in_someone_elses_thread(cast: Cast) -> None:
    thread = services.do_start_scenario(cast.trainee, cast.acme, LATE_TRAIN)
    with pytest.raises(NotAllowed):
        services.do_reply(cast.member, thread, "Let me answer for Tess")


def test_the_shipped_scenarios_are_pseudonymous_and_carry_their_source(cast: Cast) -> None:
    catalogue = scenarios.catalogue()
    real = [item for item in catalogue.values() if item.is_real]
    written = [item for item in catalogue.values() if not item.is_real]
    assert len(real) >= 100
    assert len(written) >= 5
    for scenario in real:
        assert scenario.source.startswith("IBM customer care conversation")
        for step in scenario.steps:
            for text in step.messages:
                assert "@gmail" not in text.lower()
    # The source licence travels with the data.
    licence = Path(scenarios.HERE) / "ibm_customer_care_LICENSE.md"
    assert "Apache License" in licence.read_text()


def test_the_build_pseudonymises_masks_and_is_reproducible(tmp_path: Path) -> None:
    source = tmp_path / "turns.csv"
    fields = ["session_id", "company", "turn", "role", "author", "text"]
    rows = [
        [
            "S1",
            "AcmeCare",
            "0",
            "customer",
            "RealPerson",
            "@AcmeCare help &amp; mail me at a.b@gmail.com",
        ],
        ["S1", "AcmeCare", "1", "customer", "RealPerson", "@Acme also call 0123 456 7890 @friend"],
        ["S1", "AcmeCare", "2", "agent_final", "AcmeCare", "@RealPerson Please delete that post."],
    ]
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        writer.writerows(rows)
    first = build.build(source)
    assert first == build.build(source)
    [scenario] = first
    [step] = scenario["steps"]
    assert scenario["customer"] == build.pseudonym("RealPerson") != "RealPerson"
    assert step["messages"][0].startswith("{brand} help & mail me at ")
    assert "gmail" not in step["messages"][0]
    assert "@example.com" in step["messages"][0]
    assert step["messages"][1].startswith("{brand} also call [number] @")
    assert "friend" not in step["messages"][1]
    assert step["reference"] == f"@{scenario['customer']} Please delete that post."
