"""Who wrote a message heard through a relay: a DID's handle found through its DID document
and vouched for by the server that hosts the account, never taken from the document alone.

The real test network (PLC directory and PDS on loopback) proves the honest path; a hostile
directory on loopback serves documents that lie, are about someone else, are huge, or point
inside the network."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from cluetrain.listening.streams.bluesky import MAX_DOCUMENT_BYTES, HandleResolver
from tests import test_bluesky as bsky

# A relay does not answer describeRepo: nothing listens on the discard port.
RELAY = "http://127.0.0.1:9"


def document(did: str, handle: str, pds: str) -> dict[str, Any]:
    return {
        "id": did,
        "alsoKnownAs": [f"at://{handle}"],
        "service": [
            {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds}
        ],
    }


class Directory:
    """A PLC directory on loopback that answers whatever it is given for a DID."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.url = server.url_for("").rstrip("/")

    def serve(self, did: str, body: dict[str, Any] | bytes) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.server.expect_request(f"/{did}").respond_with_data(
            data, content_type="application/json"
        )

    @property
    def asked(self) -> list[str]:
        return [request.path for request, _ in self.server.log]


@pytest.fixture
def directory(httpserver: HTTPServer) -> Directory:
    return Directory(httpserver)


@pytest.mark.django_db
def test_a_relay_authors_handle_comes_from_the_plc_directory_and_its_own_server(
    pds: str, plc: str, private_allowed: None
) -> None:
    customer = bsky.create_account(pds)
    resolver = HandleResolver(RELAY, directory=plc)
    resolver.resolve([customer.did], budget=10)
    assert resolver.handles[customer.did] == customer.handle


@pytest.mark.django_db
def test_a_document_claiming_a_handle_its_server_does_not_vouch_for_gives_no_handle(
    pds: str, directory: Directory, private_allowed: None
) -> None:
    customer = bsky.create_account(pds)
    # The account exists on the PDS, but the document names a handle it does not hold.
    directory.serve(customer.did, document(customer.did, "acme-rail.com", pds))
    resolver = HandleResolver(RELAY, directory=directory.url)
    resolver.resolve([customer.did], budget=10)
    # The name shown is the one the hosting server holds, not the one the document claims.
    assert resolver.handles[customer.did] == customer.handle

    # A DID that server does not host at all: no handle, whatever the document says.
    stranger = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
    directory.serve(stranger, document(stranger, "acme-rail.com", pds))
    resolver.resolve([stranger], budget=10)
    assert stranger not in resolver.handles


@pytest.mark.django_db
def test_documents_about_someone_else_huge_or_malformed_are_not_believed(
    pds: str, directory: Directory, private_allowed: None
) -> None:
    customer = bsky.create_account(pds)
    other = "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"
    directory.serve(other, document(customer.did, customer.handle, pds))  # about customer
    huge = "did:plc:cccccccccccccccccccccccc"
    padding = "x" * (MAX_DOCUMENT_BYTES + 10)
    directory.serve(huge, {**document(huge, "big.test", pds), "pad": padding})
    broken = "did:plc:dddddddddddddddddddddddd"
    directory.serve(broken, b"\xff{not json")
    wrong_shape = "did:plc:eeeeeeeeeeeeeeeeeeeeeeee"
    directory.serve(wrong_shape, {"id": wrong_shape, "service": "nope", "alsoKnownAs": 7})
    resolver = HandleResolver(RELAY, directory=directory.url)
    resolver.resolve([other, huge, broken, wrong_shape, "did:plc:../../etc", "did:key:z6Mk"], 10)
    assert resolver.handles == {}
    # Each well-formed did:plc identifier was asked for, as one path segment; nothing else.
    assert set(directory.asked) == {f"/{did}" for did in (other, huge, broken, wrong_shape)}


@pytest.mark.django_db
def test_a_document_pointing_inside_the_network_is_not_followed(
    pds: str, plc: str, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = False
    customer = bsky.create_account(pds)
    # The directory is configured by an administrator and may be local; the PDS it names
    # (loopback, read from the document) is refused, so no handle is found.
    resolver = HandleResolver(RELAY, directory=plc)
    resolver.resolve([customer.did], budget=10)
    assert customer.did not in resolver.handles
