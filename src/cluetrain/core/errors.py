"""Errors raised by services and shown to people as they are.

Each message is written for the person who caused it: it says what was refused
and why, in plain language, so views, the API and the CLI can show it unchanged.
"""

from django.core.exceptions import PermissionDenied


class ServiceError(Exception):
    """A request a service refused; nothing was changed."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


class NotAllowed(PermissionDenied):
    """The person may not do this here. Subclasses PermissionDenied so Django answers 403."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
