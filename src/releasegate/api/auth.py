"""Authentication: bearer tokens turned into a principal with roles.

The API depends on one seam, `TokenVerifier`: given the bearer token of a
request it returns the authenticated `Principal` (identity and roles) or
raises `AuthenticationError`. The server's implementation is
`releasegate.api.identity_auth.IdentityTokenVerifier`: personal API tokens
from `releasegate token create` (stored hashed in the database) and OIDC
tokens of the issuers in the identities file.

Every route names the roles it accepts with `require(...)`; there is no
anonymous or "trust the client" path. Segregation of duties does not depend
on the client either: the acting identity is always the principal's.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from releasegate.errors import ReleasegateError


class Role(enum.StrEnum):
    """Roles of the API; a principal may hold several."""

    VIEWER = "viewer"
    SUBMITTER = "submitter"
    APPROVER = "approver"
    RELEASE_MANAGER = "release-manager"
    ADMIN = "admin"
    AUDITOR = "auditor"


ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the identity that acts and the roles it holds."""

    identity: str
    roles: frozenset[Role]
    token_name: str = field(default="", compare=False)
    # What the ledger records about a credential verified by the identity layer.
    credential: dict[str, Any] | None = field(default=None, compare=False)

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)


class AuthenticationError(ReleasegateError):
    """The request carries no valid credential (HTTP 401)."""


class ForbiddenError(ReleasegateError):
    """The principal's roles do not allow the route (HTTP 403)."""


class TokenVerifier(Protocol):
    """Turns a bearer token into a principal, or raises AuthenticationError."""

    def verify(self, token: str) -> Principal: ...


def role_names(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(r.value for r in roles))


RoleCheck = Callable[[Principal], Principal]
