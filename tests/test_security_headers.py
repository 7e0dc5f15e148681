"""Every page sends the security headers; every POST needs a CSRF token; TLS settings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from cluetrain.core.demo import load_demo
from cluetrain.organizations.models import Person
from tests.support.live import persistent_data

# Routes whose views skip Django's CSRF middleware, and why that is safe.
CSRF_EXEMPT = {
    # django-ninja: the session authentication checks the CSRF token itself (api/auth.py);
    # bearer tokens are not sent by browsers on their own.
    "api/",
}
# Pages not worth crawling: sign-out ends the session the crawl runs in.
NOT_CRAWLED = ("/accounts/logout/", "/admin/logout/")


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any, bool]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            is_regex = not hasattr(pattern.pattern, "_route")
            yield prefix + str(pattern.pattern), pattern.callback, is_regex


def _concrete(route: str) -> str | None:
    """A path that the route matches, with a placeholder for each parameter."""
    if any(char in route for char in "^$(?\\["):
        return None
    values = {"int": "1", "uuid": str(uuid.uuid4()), "slug": "x", "str": "x", "path": "x/y"}

    def fill(match: re.Match[str]) -> str:
        converter = match.group(1) or "str"
        return values.get(converter, "1")

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", fill, route)


def _resolves_to(path: str, callback: Any) -> bool:
    try:
        return resolve(path).func is callback
    except Resolver404:
        return False


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo, loaded once for the module; each test still runs in its own transaction."""
    with persistent_data(django_db_blocker):
        load_demo()
        yield


@pytest.fixture
def demo_director(demo: None, db: None) -> Client:
    client = Client()
    client.force_login(Person.objects.get(email="dana@acme-rail.example"))
    return client


def assert_secure_headers(response: Any, url: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict(
        ([*part.split(" ", 1), ""])[:2] for part in (p.strip() for p in policy.split(";")) if part
    )
    assert directives.get("script-src") == "'self'", (url, policy)
    assert directives.get("style-src") == "'self'", (url, policy)
    assert directives.get("object-src") == "'none'", (url, policy)
    assert directives.get("frame-ancestors") == "'none'", (url, policy)
    assert "unsafe-inline" not in policy, (url, policy)
    assert "unsafe-eval" not in policy, (url, policy)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", url
    assert response.headers.get("Referrer-Policy") == "same-origin", url
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", url
    assert response.headers.get("X-Frame-Options") == "DENY", url
    assert "camera=()" in response.headers.get("Permissions-Policy", ""), url


def test_every_page_of_the_demo_sends_the_content_security_policy(
    demo_director: Client,
) -> None:
    seen: set[str] = set()
    queue = ["/"]
    while queue and len(seen) < 150:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = demo_director.get(url)
        assert response.status_code < 500, url
        assert_secure_headers(response, url)
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        html = response.content.decode()
        # No inline script or style, and no event-handler attribute, in any page.
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), url
        assert not re.search(r"<style[\s>]", html), url
        assert not re.search(r"\son[a-z]+\s*=", html), url
        for link in re.findall(r'href="(/[^"#]*)"', html):
            link = link.replace("&amp;", "&")
            if link not in seen and not link.startswith((*NOT_CRAWLED, "/static/", "/media/")):
                queue.append(link)
    assert len(seen) > 40, sorted(seen)


def test_the_sign_in_page_and_the_api_send_the_headers_too(db: None) -> None:
    anonymous = Client()
    for url in ("/accounts/login/", "/api/openapi.json", "/api/docs", "/healthz"):
        assert_secure_headers(anonymous.get(url), url)


def test_every_post_without_a_csrf_token_is_refused(demo_director: Client) -> None:
    person = Person.objects.get(email="dana@acme-rail.example")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(person)
    posted = 0
    for route, callback, is_regex in _routes(get_resolver().url_patterns):
        if getattr(callback, "csrf_exempt", False):
            assert any(route.startswith(prefix) for prefix in CSRF_EXEMPT), route
            continue
        path = None if is_regex else _concrete(route)
        if path is None or not _resolves_to(path, callback):
            continue  # regular expressions, custom converters: covered by the exemption check
        response = strict.post(path, {"text": "forged"})
        assert response.status_code == 403, (route, response.status_code)
        assert b"CSRF" in response.content, route
        posted += 1
    assert posted > 100


def test_the_api_refuses_a_session_post_without_the_csrf_token(demo_director: Client) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(Person.objects.get(email="dana@acme-rail.example"))
    response = strict.post("/api/posts", "{}", content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


def _settings_under(env: dict[str, str]) -> dict[str, Any]:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({n: getattr(s, n, None) for n in ("
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
        "'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE')}))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "cluetrain.settings", **env}
    out = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_behind_tls_cookies_are_secure_and_hsts_and_redirects_are_on() -> None:
    values = _settings_under({"CLUETRAIN_SECURE": "true"})
    assert values["SESSION_COOKIE_SECURE"]
    assert values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_without_tls_cookies_work_over_plain_http_for_a_local_trial() -> None:
    values = _settings_under({"CLUETRAIN_SECURE": "false"})
    assert not values["SESSION_COOKIE_SECURE"]
    assert not values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] in (None, 0)


def test_a_bad_api_rate_stops_start_up_naming_the_variable() -> None:
    with pytest.raises(subprocess.CalledProcessError) as raised:
        _settings_under({"CLUETRAIN_API_RATE": "lots"})
    assert "CLUETRAIN_API_RATE" in str(raised.value.stderr)
