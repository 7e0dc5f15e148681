"""One shape for every error the API returns: ``{"error": {"code", "message", "fields"?}}``.

Clients get the same body whatever failed (a service's refusal, a malformed request, a missing
token), and a plain message meant to be shown to a person. Validation errors name the field
(``voice_ids.0``, ``images.1.alt_text``) and answer 400, not 422, like any other bad input.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from cluetrain.core.errors import ServiceError

logger = logging.getLogger(__name__)

# Where ninja says a value came from; dropped from a field's path.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "not_allowed",
    404: "not_found",
    409: "conflict",
}


class Conflict(Exception):
    """A request that was fine but came too late: the thing it acts on changed meanwhile
    (a review already decided). Answered 409 with the service's code and message."""

    def __init__(self, error: ServiceError) -> None:
        super().__init__(error.message)
        self.code, self.message = error.code, error.message


class FieldError(Schema):
    path: str
    message: str


class ErrorDetail(Schema):
    code: str
    message: str
    fields: list[FieldError] | None = None


class ErrorOut(Schema):
    error: ErrorDetail


# The error answers most operations document: bad input, no caller, not allowed, not found.
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def body(code: str, message: str, fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = fields
    return {"error": detail}


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
        # ninja nests a schema parameter under the view argument's name: drop it.
        if len(parts) > 1:
            parts = parts[1:]
    return ".".join(str(part) for part in parts) or "body"


def field_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "is not valid"))
    # Our own validators' messages are written for people; pydantic prefixes them.
    return message.removeprefix("Value error, ")


def _whole_body_missing(error: dict[str, Any]) -> bool:
    loc = tuple(error.get("loc", ()))
    return error.get("type") == "missing" and len(loc) == 2 and loc[0] == "body"


def install(api: NinjaAPI) -> None:
    """Register the handlers that give every error the one shape."""

    def respond(request: HttpRequest, status: int, payload: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, payload, status=status)

    @api.exception_handler(ServiceError)
    def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        return respond(request, 400, body(exc.code, exc.message))

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return respond(request, 409, body(exc.code, exc.message))

    @api.exception_handler(PermissionDenied)
    def not_allowed(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = str(exc) or "You are not allowed to do this."
        return respond(request, 403, body("not_allowed", message))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, body("not_found", str(exc) or "Not found."))

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        if any(_whole_body_missing(error) for error in exc.errors):
            message = "The request needs a JSON body."
            return respond(request, 400, body("malformed_json", message))
        fields = [
            {"path": field_path(error.get("loc", ())), "message": field_message(error)}
            for error in exc.errors
        ]
        listed = "; ".join(f"{field['path']}: {field['message']}" for field in fields[:5])
        return respond(
            request, 400, body("invalid_input", f"The request is not valid. {listed}.", fields)
        )

    @api.exception_handler(OverflowError)
    def number_too_large(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # SQLite cannot compare with a whole number past 64 bits; an id that large names
        # nothing, so it is bad input like any other (endpoints bound their ids, this catches
        # any that does not).
        message = "A number in the request is larger than any id or count this server keeps."
        return respond(request, 400, body("invalid_input", message))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        message = "The request is larger than this server accepts; send smaller images."
        return respond(request, 413, body("too_large", message))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and exc.__cause__ is not None:
            # ninja's "Cannot parse request body".
            message = "The request body is not valid JSON."
            return respond(request, 400, body("malformed_json", message))
        if isinstance(exc, AuthenticationError):
            message = exc.message
            if message == "Unauthorized":
                message = "Send an API token as 'Authorization: Bearer <token>', or sign in."
            response = respond(request, 401, body("unauthenticated", message))
            response["WWW-Authenticate"] = 'Bearer realm="cluetrain"'
            return response
        code = _CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, body(code, exc.message))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request failed: %s %s", request.method, request.path)
        message = "Something went wrong on the server; it has been logged. Try again later."
        return respond(request, 500, body("server_error", message))
