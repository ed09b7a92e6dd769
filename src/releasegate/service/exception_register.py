"""The exception register: every exception with its state at one moment.

State is computed from the stored status and the time at each read, so an
exception that expired a second ago is listed and applied as expired. No
cached state outlives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from releasegate.clock import rfc3339
from releasegate.model import ExceptionRequest, ExceptionStatus
from releasegate.service.app import Application
from releasegate.service.exceptions import list_exceptions

# Register states. "active" is an approved exception before its expiry; it
# is the only state in which an exception waives anything.
STATES = ("requested", "active", "expired", "rejected", "revoked")


def exception_state(exception: ExceptionRequest, now: datetime) -> str:
    """Return the register state of an exception at `now`."""
    if exception.status is ExceptionStatus.APPROVED:
        return "active" if now < exception.expires_at else "expired"
    if exception.status is ExceptionStatus.REQUESTED and exception.expires_at <= now:
        return "expired"
    return exception.status.value


@dataclass(frozen=True)
class RegisterEntry:
    """One row of the register."""

    exception: ExceptionRequest
    state: str
    expiring_soon: bool

    def document(self) -> dict[str, Any]:
        e = self.exception
        return {
            "id": e.id,
            "control_id": e.control_id,
            "state": self.state,
            "expiring_soon": self.expiring_soon,
            "scope": e.scope.model_dump(mode="json"),
            "requester": e.requester,
            "approver": e.approver,
            "requested_at": rfc3339(e.requested_at),
            "decided_at": rfc3339(e.decided_at) if e.decided_at else None,
            "expires_at": rfc3339(e.expires_at),
            "justification": e.justification,
            "compensating_controls": list(e.compensating_controls),
        }


def exception_register(
    app: Application,
    *,
    service: str | None = None,
    state: str | None = None,
    expiring_within: timedelta = timedelta(days=7),
) -> list[RegisterEntry]:
    """List exceptions with their state now; `expiring_soon` marks active ones near expiry."""
    now = app.clock()
    entries = []
    for exception in list_exceptions(app, service=service):
        current = exception_state(exception, now)
        if state is not None and current != state:
            continue
        soon = current == "active" and exception.expires_at - now <= expiring_within
        entries.append(RegisterEntry(exception, current, soon))
    return entries
