"""What a post will look like: highlighted text, mentions, its link's card, the live check.

The link card is fetched from the open web on a person's behalf, so the fetch is fenced in:
only http(s), only public addresses (a draft must not become a way to probe the intranet), the
address resolved once and connected to as resolved (so a second DNS answer cannot swap in a
private one), at most three redirects, each checked again, three seconds, 256 KB, HTML only.
What comes back is plain text; templates escape it like anything else a stranger wrote.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import time
import unicodedata
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict

from cluetrain.core import urlguard
from cluetrain.core.errors import ServiceError
from cluetrain.guidelines import presenting
from cluetrain.guidelines.services import check_text
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.publishing.drafts import Draft, check_draft, duplicates, lengths
from cluetrain.publishing.forms import IMAGE_SLOTS, variant_field, voice_ids
from cluetrain.publishing.models import Category, Post, Visibility, split_parts
from cluetrain.publishing.text import clean_text
from cluetrain.voices.models import Network, Voice

TIMEOUT = 3.0
MAX_BYTES = 256 * 1024
MAX_REDIRECTS = 3
CACHE_SECONDS = 24 * 3600
# A failure (a slow site, a typo in the address) is tried again sooner than a success.
CACHE_FAILURE_SECONDS = 300
HTML_TYPES = ("text/html", "application/xhtml+xml")
USER_AGENT = "Cluetrain link preview (+https://github.com/cluetrain)"

_URL = re.compile(r"https?://[^\s<>\"'\u00a0]+", re.IGNORECASE)
# @name, @name.bsky.social or @name@instance.example; not an e-mail address (no word before @).
_MENTION = re.compile(
    r"(?<![\w@/])@[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:@[A-Za-z0-9.-]+)?"
)
# A hashtag has at least one letter: "#1" is a number, not a tag.
_HASHTAG = re.compile(r"(?<![\w#&/])#(?=\w*[^\W\d_])\w+")
_TRAILING = ".,;:!?)]}'\""
# A Bluesky handle is a domain name: labels of letters, digits and hyphens, a letter-led TLD.
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_HANDLE = re.compile(rf"^(?:{_LABEL}\.)+[a-zA-Z](?:[a-zA-Z0-9-]{{0,61}}[a-zA-Z0-9])?$")


# ---- Text as it will look --------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of a post's text: plain, or a link, mention or hashtag a network will highlight."""

    kind: str  # "text", "link", "mention" or "tag"
    text: str
    display: str = ""  # how a network shows a link: without the scheme, shortened


def _trim(match_text: str) -> str:
    # "see https://example.com/a." ends the sentence, not the address.
    while match_text and match_text[-1] in _TRAILING:
        if match_text[-1] == ")" and match_text.count("(") >= match_text.count(")"):
            break
        match_text = match_text[:-1]
    return match_text


def _shorten(url: str, width: int = 30) -> str:
    shown = re.sub(r"^https?://(www\.)?", "", url, flags=re.IGNORECASE)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def segments(text: str) -> list[Segment]:
    """``text`` cut into plain runs and the links, mentions and hashtags networks highlight."""
    found: list[tuple[int, int, str]] = []
    for kind, pattern in (("link", _URL), ("mention", _MENTION), ("tag", _HASHTAG)):
        for match in pattern.finditer(text):
            end = match.start() + len(_trim(match.group()))
            if end - match.start() < 2:
                continue
            if any(start < end and match.start() < stop for start, stop, _ in found):
                continue  # inside a link already found (a # in an address is not a hashtag)
            found.append((match.start(), end, kind))
    found.sort()
    result: list[Segment] = []
    position = 0
    for start, end, kind in found:
        if start > position:
            result.append(Segment("text", text[position:start]))
        piece = text[start:end]
        result.append(Segment(kind, piece, _shorten(piece) if kind == "link" else piece))
        position = end
    if position < len(text):
        result.append(Segment("text", text[position:]))
    return result


def first_url(text: str) -> str:
    match = _URL.search(text or "")
    return _trim(match.group()) if match else ""


@dataclass(frozen=True)
class Mention:
    """A handle found in a draft and what becomes of it on a network."""

    handle: str
    network: str
    looks_valid: bool
    note: str


def mentions(text: str, networks: set[str]) -> list[Mention]:
    """The @handles in ``text``, checked by their shape for each network; no network call.

    Whether an account exists is only known when the post goes out, and is said so.
    """
    handles = list(dict.fromkeys(_trim(m.group()) for m in _MENTION.finditer(text or "")))
    found: list[Mention] = []
    for handle in handles:
        name = handle[1:]
        if "bluesky" in networks:
            if "@" not in name and _HANDLE.match(name) and len(name) <= 253:
                found.append(Mention(handle, "bluesky", True, "will link if the account exists"))
            else:
                found.append(
                    Mention(
                        handle,
                        "bluesky",
                        False,
                        "not a full Bluesky handle (like name.bsky.social): stays plain text",
                    )
                )
        if "mastodon" in networks:
            if "@" in name:
                note = "will link if the account exists"
            else:
                note = "will link to an account of that name on the voice's own server, if any"
            found.append(Mention(handle, "mastodon", True, note))
    return found


# ---- The link card ---------------------------------------------------------------------------


class PreviewRefused(Exception):
    """The address may not be fetched, or did not answer with a usable page."""


class _Head(HTMLParser):
    """Collects the title and the Open Graph / description meta tags of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._in_title:
            # A title holds text only, as browsers read it: tags in it are shown, not obeyed.
            self.title += self.get_starttag_text() or ""
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").lower()
            if key and "content" in values and key not in self.meta:
                self.meta[key] = values["content"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif self._in_title:
            self.title += f"</{tag}>"

    def handle_data(self, data: str) -> None:
        if self._in_title and len(self.title) < 1000:
            self.title += data


def _clean(value: str, limit: int) -> str:
    value = " ".join("".join(ch for ch in value if ch.isprintable() or ch.isspace()).split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def parse_page(html: str, base_url: str) -> dict[str, str]:
    """Title, description and image of a page, as plain text (escaping is the caller's)."""
    head = _Head()
    head.feed(html)
    head.close()
    meta = head.meta
    title = meta.get("og:title") or meta.get("twitter:title") or head.title
    description = (
        meta.get("og:description") or meta.get("twitter:description") or meta.get("description")
    )
    image = (meta.get("og:image") or meta.get("twitter:image") or "").strip()
    image = urljoin(base_url, image) if image else ""
    return {
        "title": _clean(title or "", 300),
        "description": _clean(description or "", 500),
        "image": image if urlsplit(image).scheme in ("http", "https") and len(image) < 1000 else "",
    }


def _resolve(host: str, port: int) -> str:
    """One address of ``host`` Cluetrain may connect to, or ``PreviewRefused``."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise PreviewRefused(f"{host} cannot be found.") from exc
    # IPv4 first: "localhost" answers ::1 first on many systems, where servers often do not.
    addresses = sorted({str(info[4][0]) for info in infos}, key=lambda a: ":" in a)
    if not addresses:
        raise PreviewRefused(f"{host} cannot be found.")
    if settings.ALLOW_PRIVATE_URLS:
        return addresses[0]
    # Every answer must be public: a name that also points inside is refused whole.
    for address in addresses:
        kind = urlguard.refusal(ipaddress.ip_address(address.split("%", 1)[0]))
        if kind:
            raise PreviewRefused(f"{host} is {kind} address; no preview is fetched for it.")
    return addresses[0]


def _pinned(url: str) -> tuple[str, str, str]:
    """The URL to request (host replaced by its checked address), its Host header and name."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PreviewRefused("Only web addresses (http or https) get a preview.")
    if parts.username or parts.password:
        raise PreviewRefused("Addresses with a user name or password get no preview.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise PreviewRefused("The address has an invalid port.") from exc
    host = parts.hostname
    address = _resolve(host, port)
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc += f":{parts.port}"
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), host_header, host


def _read(response: httpx.Response, deadline: float) -> bytes:
    encoding = response.headers.get("content-encoding", "identity").lower().strip()
    if encoding not in ("identity", "gzip", "deflate", ""):
        raise PreviewRefused("The page came in an encoding previews do not read.")
    # Decompressed by hand with a bound, so a small compressed answer cannot fill the memory.
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding in ("gzip", "deflate") else None
    body = b""
    for chunk in response.iter_raw():
        if inflate is not None:
            chunk = inflate.decompress(chunk, MAX_BYTES - len(body))
        body += chunk
        if len(body) >= MAX_BYTES or time.monotonic() > deadline:
            break
    return body[:MAX_BYTES]


def _charset(content_type: str) -> str:
    match = re.search(r"charset=([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else "utf-8"


def fetch(url: str) -> dict[str, str]:
    """The card of the page at ``url``: {"url", "title", "description", "image"}.

    Raises ``PreviewRefused`` with a reason a person can read. Not cached; see ``link_card``.
    """
    deadline = time.monotonic() + TIMEOUT
    current = url
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            target, host_header, hostname = _pinned(current)
            request = client.build_request(
                "GET",
                target,
                headers={
                    "Host": host_header,
                    "User-Agent": USER_AGENT,
                    "Accept": "text/html,application/xhtml+xml;q=0.9",
                    "Accept-Encoding": "identity, gzip;q=0.5",
                },
                # TLS is checked against the name in the address, not the pinned number.
                extensions={"sni_hostname": hostname},
            )
            try:
                response = client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise PreviewRefused(f"{hostname} could not be reached in time.") from exc
            try:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    if not location:
                        raise PreviewRefused("The page redirects nowhere.")
                    current = urljoin(current, location)
                    continue
                if response.status_code != 200:
                    raise PreviewRefused(f"{hostname} answered {response.status_code}.")
                content_type = response.headers.get("content-type", "")
                if not content_type.lower().startswith(HTML_TYPES):
                    raise PreviewRefused("The address is not a web page.")
                try:
                    body = _read(response, deadline)
                except (httpx.HTTPError, zlib.error) as exc:
                    raise PreviewRefused(f"{hostname} did not send the page whole.") from exc
            finally:
                response.close()
            html = body.decode(_charset(content_type), errors="replace")
            return {"url": url, **parse_page(html, current)}
    raise PreviewRefused(f"The address redirects more than {MAX_REDIRECTS} times.")


def _cache_key(url: str) -> str:
    return "cluetrain:link-preview:" + hashlib.sha256(url.encode("utf-8")).hexdigest()


def link_card(url: str, *, fetch_if_missing: bool = True) -> dict[str, Any] | None:
    """The card for ``url`` from the cache, fetched when missing (unless told not to).

    Returns None when nothing is known yet (only when ``fetch_if_missing`` is false), and a
    dict with an ``error`` instead of a title when the page could not be previewed.
    """
    if not url or len(url) > 2000:
        return {"url": url, "error": "No preview for this address."}
    key = _cache_key(url)
    cached = cache.get(key)
    if cached is not None or not fetch_if_missing:
        return dict(cached) if cached is not None else None
    try:
        card: dict[str, Any] = fetch(url)
    except PreviewRefused as exc:
        card = {"url": url, "error": str(exc)}
        cache.set(key, card, CACHE_FAILURE_SECONDS)
        return card
    cache.set(key, card, CACHE_SECONDS)
    return card


def stored_card(text: str) -> dict[str, str]:
    """The card to store with a post: the first link's, when its page could be read."""
    card = link_card(first_url(text))
    if not card or card.get("error"):
        return {}
    return {k: str(card.get(k, "")) for k in ("url", "title", "description", "image")}


# ---- The composer's live check ------------------------------------------------------------


def composer_check(
    person: Person, organization: Organization, data: QueryDict, editing: Post | None = None
) -> dict[str, Any]:
    """Counts, problems, duplicates, mentions and per-network previews of what is typed."""
    ids = voice_ids(data)
    voices = (
        list(
            policy.postable_voices(person, organization)
            .filter(pk__in=ids)
            .select_related("organization", "owner")
        )
        if ids
        else []
    )
    raw = data.get("text", "")
    try:
        text = clean_text(raw)
    except ServiceError:
        text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n")).strip()
    variants = {
        network: data.get(variant_field(network), "")
        for network in Network.values
        if data.get(variant_field(network), "").strip()
    }
    problem = ""
    if text:
        try:
            check_draft(
                person,
                organization,
                Draft(
                    text=raw,
                    voices=voices,
                    variants=variants,
                    category=data.get("category") or Category.OPERATIONAL,
                    visibility=data.get("visibility") or Visibility.PUBLIC,
                    content_warning=data.get("content_warning", ""),
                    title=data.get("title", ""),
                ),
            )
        except ServiceError as exc:
            problem = exc.message
    counted = lengths(text, variants, voices)
    by_text: dict[str, list[Voice]] = {}
    for voice in voices:
        by_text.setdefault(variants.get(voice.network) or text, []).append(voice)
    exclude = editing.pk if editing else None
    repeated = [
        delivery
        for same_text, group in by_text.items()
        for delivery in duplicates(group, same_text, exclude_post=exclude)
    ]
    networks = sorted({voice.network for voice in voices})
    url = first_url(text)
    images = [
        {"slot": slot, "alt": data.get(f"alt_{slot}", "").strip()}
        for slot in IMAGE_SLOTS
        if data.get(f"alt_{slot}", "").strip()
    ]
    # The guideline findings of the text as typed (the textarea's own line endings, so the
    # offsets point where the composer's one-click fixes expect them).
    typed = raw.replace("\r\n", "\n")
    guidelines = (
        presenting.findings_context(typed, check_text(organization, typed))
        if typed.strip()
        else None
    )
    return {
        "guidelines": guidelines,
        "text": text,
        "voices": voices,
        "problem": problem,
        "over": any(length.over for length in counted),
        "counters": [
            {"voice": voice, "parts": [c for c in counted if c.voice.pk == voice.pk]}
            for voice in voices
        ],
        "duplicates": repeated,
        "mentions": [
            found
            for network in networks
            for found in mentions(variants.get(network) or text, {network})
        ],
        "previews": [
            {
                "network": network,
                "label": Network(network).label,
                "names": [voice.name for voice in voices if voice.network == network],
                "parts": [segments(part) for part in split_parts(variants.get(network) or text)],
            }
            for network in networks
        ],
        "images": images,
        "content_warning": data.get("content_warning", "").strip(),
        "link_url": url,
        "link_card": link_card(url, fetch_if_missing=False) if url else None,
    }
