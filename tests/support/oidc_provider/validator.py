"""The claims the test provider puts in ID tokens: e-mail, whether it is verified, and name.

A user whose last name is "Unverified" gets ``email_verified: false``, so tests can sign in as
someone whose provider has not confirmed the address.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):  # type: ignore[misc]
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "email_verified": "email"}

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {
            "email": user.email,
            "email_verified": user.last_name != "Unverified",
            "name": f"{user.first_name} {user.last_name}".strip(),
        }
