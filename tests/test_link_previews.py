"""Link previews: fetched, cached and stored with a post, and the addresses refused."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_httpserver import HTTPServer

from cluetrain.publishing import previews
from cluetrain.publishing.models import Post
from tests.conftest import Cast


def compose(client: Client, **fields: object) -> object:
    data: dict[str, object] = {"when": "now", "category": "operational", **fields}
    return client.post("/publish/", data)


def check(client: Client, **fields: object) -> str:
    response = client.post("/publish/check/", fields)
    assert response.status_code == 200
    return response.content.decode()


def page_at(httpserver: HTTPServer, path: str, html: str) -> str:
    httpserver.expect_request(path).respond_with_data(html, content_type="text/html; charset=utf-8")
    return f"http://127.0.0.1:{httpserver.port}{path}"


def test_a_link_preview_is_fetched_cached_and_stored_with_the_post(
    cast: Cast, httpserver: HTTPServer, settings: object
) -> None:
    settings.ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    url = page_at(
        httpserver,
        "/news",
        '<html><head><title>Fallback</title><meta property="og:title" content="New trains">'
        '<meta property="og:description" content="Testing at the depot.">'
        '<meta property="og:image" content="/train.jpg"></head><body>…</body></html>',
    )
    client = cast.client(cast.member)
    card = client.get("/publish/link-preview/", {"url": url}).content.decode()
    assert "New trains" in card
    assert "Testing at the depot." in card
    assert f'src="http://127.0.0.1:{httpserver.port}/train.jpg"' in card
    # Cached: the check shows the card without asking again, and so does the submit.
    fragment = check(client, text=f"Read {url}", voice=[cast.member_voice.pk])
    assert "New trains" in fragment
    compose(client, text=f"Read {url}", voice=[cast.member_voice.pk])
    assert Post.objects.get().link_preview["title"] == "New trains"
    assert len(httpserver.log) == 1


def test_a_preview_follows_a_few_redirects_and_no_more(
    httpserver: HTTPServer, settings: object, db: None
) -> None:
    settings.ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{httpserver.port}"
    for n in range(4):
        httpserver.expect_request(f"/hop{n}").respond_with_data(
            "", status=302, headers={"Location": f"/hop{n + 1}"}
        )
    page_at(httpserver, "/hop4", "<title>Arrived</title>")
    page_at(httpserver, "/hop3-end", "<title>Arrived</title>")
    with pytest.raises(previews.PreviewRefused, match="more than 3"):
        previews.fetch(f"{base}/hop0")
    assert previews.fetch(f"{base}/hop1")["title"] == "Arrived"


def test_only_html_pages_get_a_preview_and_only_the_first_256_kb_is_read(
    httpserver: HTTPServer, settings: object, db: None
) -> None:
    settings.ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    httpserver.expect_request("/file.pdf").respond_with_data(
        b"%PDF", content_type="application/pdf"
    )
    with pytest.raises(previews.PreviewRefused, match="not a web page"):
        previews.fetch(f"http://127.0.0.1:{httpserver.port}/file.pdf")
    late_title = page_at(httpserver, "/long", "<p>" + "x" * 300_000 + "<title>Too late</title>")
    assert previews.fetch(late_title)["title"] == ""


def test_a_private_address_is_refused_unless_allowed(
    cast: Cast, httpserver: HTTPServer, settings: object
) -> None:
    settings.ALLOW_PRIVATE_URLS = False  # type: ignore[attr-defined]
    url = page_at(httpserver, "/inside", "<title>Intranet</title>")
    with pytest.raises(previews.PreviewRefused, match="loopback address"):
        previews.fetch(url)
    card = cast.client(cast.member).get("/publish/link-preview/", {"url": url}).content.decode()
    assert "No link preview: 127.0.0.1 is a loopback address" in card
    assert "Intranet" not in card
    assert not httpserver.log  # nothing was asked of the server


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local"),  # a cloud's metadata service
        ("10.1.2.3", "private"),
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 an address refused, not bound
    ],
)
def test_addresses_inside_the_network_are_refused(
    address: str, kind: str, settings: object
) -> None:
    settings.ALLOW_PRIVATE_URLS = False  # type: ignore[attr-defined]
    with pytest.raises(previews.PreviewRefused, match=f"{kind} address"):
        previews.fetch(f"http://{address}/latest/meta-data/")


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "http://user:pw@example.com/", "file:///etc/passwd"]
)
def test_only_plain_web_addresses_are_fetched(url: str) -> None:
    with pytest.raises(previews.PreviewRefused):
        previews.fetch(url)


def test_hostile_html_in_a_fetched_title_is_escaped(
    cast: Cast, httpserver: HTTPServer, settings: object
) -> None:
    settings.ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    url = page_at(
        httpserver,
        "/evil",
        '<title><img src=x onerror="alert(1)"> &lt;script&gt;alert(2)&lt;/script&gt;</title>'
        '<meta name="description" content="&quot;><script>alert(3)</script>">',
    )
    card = cast.client(cast.member).get("/publish/link-preview/", {"url": url}).content.decode()
    assert "<img src=x" not in card
    assert "<script>" not in card
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in card
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in card
