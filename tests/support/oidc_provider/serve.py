"""Run the test OpenID Connect provider on a free loopback port until stdin closes.

Run as ``python -m tests.support.oidc_provider.serve`` from the repository with
``OIDC_PROVIDER_SETUP`` holding JSON ``{"users": [...], "clients": [...]}``. It makes a fresh
RSA key and database in ``OIDC_PROVIDER_DATA_DIR``, then prints one ready line:
``{"ready": true, "issuer": "http://127.0.0.1:PORT/o"}``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(format % args + "\n")


def _write_key(data_dir: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (data_dir / "rsa.pem").write_bytes(pem)


def _populate(setup: dict[str, list[dict[str, str]]]) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    for user in setup["users"]:
        User.objects.create_user(
            user["username"],
            user["email"],
            user["password"],
            first_name=user.get("first_name", ""),
            last_name=user.get("last_name", ""),
        )
    for client in setup["clients"]:
        Application.objects.create(
            name=client["client_id"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )


def main() -> None:
    data_dir = Path(os.environ["OIDC_PROVIDER_DATA_DIR"])
    _write_key(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.support.oidc_provider.settings"
    import django
    from django.core.wsgi import get_wsgi_application

    django.setup()
    _populate(json.loads(os.environ["OIDC_PROVIDER_SETUP"]))
    server = make_server(
        "127.0.0.1",
        0,
        get_wsgi_application(),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    print(json.dumps({"ready": True, "issuer": f"http://127.0.0.1:{port}/o"}), flush=True)
    sys.stdin.read()  # the tests close stdin to stop us, or die and close it for us
    server.shutdown()


if __name__ == "__main__":
    main()
