"""Every area of the navigation renders for a member, with a bounded number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cluetrain.publishing.services import do_publish
from tests.conftest import Cast

PAGES = [
    "/",
    "/publish/",
    "/inbox/",
    "/academy/",
    "/crisis/",
    "/insights/",
    "/people/",
    "/settings/",
    "/voices/",
]


@pytest.mark.parametrize("url", PAGES)
def test_each_area_renders_for_the_director(cast: Cast, url: str) -> None:
    response = cast.client(cast.director).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    for label in [
        "Home",
        "Publish",
        "Reviews",
        "Inbox",
        "Academy",
        "Crisis",
        "Insights",
        "People",
        "Settings",
    ]:
        assert f">{label}</a>" in page, f"no navigation link to {label}"
    assert page.count('aria-current="page"') == 1


def test_the_people_list_has_a_constant_query_count(cast: Cast) -> None:
    client = cast.client(cast.director)
    client.get("/people/")
    with CaptureQueriesContext(connection) as before:
        client.get("/people/")
    from cluetrain.organizations.models import Person
    from cluetrain.organizations.services import do_add_member

    for n in range(10):
        person = Person.objects.create_user(f"extra{n}@example.com", "x", full_name=f"Extra {n}")
        do_add_member(cast.acme, person, ["member"], departments=[cast.care])
    with CaptureQueriesContext(connection) as after:
        response = client.get("/people/")
    assert "Extra 9" in response.content.decode()
    assert len(after) == len(before)


def test_the_publish_page_has_a_constant_query_count(cast: Cast) -> None:
    client = cast.client(cast.member)
    do_publish(cast.member, cast.member_voice, "first")
    with CaptureQueriesContext(connection) as before:
        client.get("/publish/")
    for n in range(10):
        do_publish(cast.member, cast.member_voice, f"post {n}")
    with CaptureQueriesContext(connection) as after:
        client.get("/publish/")
    assert len(after) == len(before)


def test_hostile_text_is_escaped_on_every_page(cast: Cast) -> None:
    do_publish(
        cast.member, cast.member_voice, '<img src=x onerror="alert(1)"> <script>alert(2)</script>'
    )
    for url in ["/", "/publish/"]:
        page = cast.client(cast.member).get(url).content.decode()
        assert "<script>alert(2)" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_the_health_check_answers(client: object, db: None) -> None:
    response = client.get("/healthz")  # type: ignore[attr-defined]
    assert response.json() == {"status": "ok"}
