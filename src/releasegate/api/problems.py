"""Errors as RFC 9457 problem details.

A domain error becomes an HTTP status here and nowhere else. The `detail`
member is the error's message, the same text the CLI prints, and the
extension member `hint` carries the remediation the CLI prints after it.
`type` is a URN per error family, so a client can tell the families apart
without parsing the text. `releasegate.client` maps it back to the same
exception class.
"""

from __future__ import annotations

from typing import Any

from releasegate.api.auth import AuthenticationError, ForbiddenError
from releasegate.errors import (
    ConfigurationError,
    ConflictError,
    InputError,
    LedgerIntegrityError,
    NotFoundError,
    PermissionDeniedError,
    PolicyError,
    ReleasegateError,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:releasegate:problem:"


class UploadTooLargeError(InputError):
    """An upload exceeds the server's size limit (HTTP 413)."""


# (error class, status, type slug, title), most specific class first.
_FAMILIES: tuple[tuple[type[ReleasegateError], int, str, str], ...] = (
    (AuthenticationError, 401, "unauthenticated", "Authentication required"),
    (ForbiddenError, 403, "forbidden", "Role not allowed"),
    (PermissionDeniedError, 403, "permission-denied", "Not permitted"),
    (UploadTooLargeError, 413, "too-large", "Upload too large"),
    (InputError, 422, "invalid-input", "Invalid input"),
    (NotFoundError, 404, "not-found", "Not found"),
    (ConflictError, 409, "conflict", "Conflict with stored state"),
    (PolicyError, 422, "policy", "Policy error"),
    (LedgerIntegrityError, 500, "ledger-integrity", "Ledger integrity failure"),
    (ConfigurationError, 500, "configuration", "Server configuration error"),
)
GENERIC = (ReleasegateError, 400, "error", "Request failed")


def classify(error: ReleasegateError) -> tuple[int, str, str]:
    for family, status, slug, title in _FAMILIES:
        if isinstance(error, family):
            return status, slug, title
    return GENERIC[1], GENERIC[2], GENERIC[3]


def error_class(problem_type: str) -> type[ReleasegateError]:
    """Map a problem type URN back to its exception class (the client side of `classify`)."""
    slug = problem_type.removeprefix(TYPE_PREFIX)
    for family, _status, family_slug, _title in _FAMILIES:
        if family_slug == slug:
            return family
    return ReleasegateError


def problem(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str,
    request_id: str,
    hint: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id,
    }
    if hint:
        body["hint"] = hint
    body.update(extra)
    return body


def from_error(error: ReleasegateError, *, instance: str, request_id: str) -> dict[str, Any]:
    status, slug, title = classify(error)
    extra: dict[str, Any] = {}
    if isinstance(error, InputError):
        extra = {"source": error.source, "field": error.field}
    return problem(
        status=status,
        slug=slug,
        title=title,
        detail=error.message,
        hint=error.hint,
        instance=instance,
        request_id=request_id,
        **extra,
    )
