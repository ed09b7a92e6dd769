"""Error types shared by every package.

Each error carries a message that states what failed and on which value, and
a hint that states what to do next. The CLI and the HTTP API turn these into exit
codes and statuses; nothing below them does.
"""

from __future__ import annotations


class ReleasegateError(Exception):
    """Base error: a message and a remediation hint."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class InputError(ReleasegateError):
    """A user-supplied file or value is invalid.

    `source` names the file (or argument), `field` the location inside it.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ": ".join(part for part in (source, field) if part)
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.source = source
        self.field = field


class NotFoundError(ReleasegateError):
    """A named release, service, exception or entry does not exist."""


class ConflictError(ReleasegateError):
    """The request contradicts stored state (duplicate id, wrong status)."""


class PermissionDeniedError(ReleasegateError):
    """The identity may not perform this action (for example self-approval)."""


class PolicyError(ReleasegateError):
    """Policies failed to load or compile, or evaluation failed."""


class LedgerIntegrityError(ReleasegateError):
    """The ledger does not verify: an entry, a hash or the root differs."""


class ConfigurationError(ReleasegateError):
    """Settings are missing or contradictory."""
