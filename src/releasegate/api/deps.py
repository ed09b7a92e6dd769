"""Dependencies shared by the routes: the application, the principal and role checks."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from releasegate.api.auth import (
    AuthenticationError,
    ForbiddenError,
    Principal,
    Role,
    TokenVerifier,
    role_names,
)
from releasegate.api.observability import Metrics
from releasegate.service.app import Application

if TYPE_CHECKING:
    from releasegate.api.decision_cache import LatestDecisionCache

SESSION_COOKIE = "releasegate_session"


@dataclass
class ApiContext:
    """Shared state of every request: the use cases' application, the verifier and the metrics."""

    application: Application
    verifier: TokenVerifier
    metrics: Metrics
    max_upload_bytes: int
    # NOTE: regopy interpreters are not documented as thread-safe, so gate
    # evaluations in one process run one at a time; reads run in parallel.
    gate_lock: threading.Lock = field(default_factory=threading.Lock)
    # The newest decision per release while the database is unchanged; None turns it off.
    decision_cache: LatestDecisionCache | None = None


# The dependencies below are coroutines on purpose: FastAPI runs plain functions in
# its thread pool, and a thread hop per dependency costs more than their work.


async def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


async def application(request: Request) -> Application:
    ctx: ApiContext = request.app.state.context
    return ctx.application


_bearer = HTTPBearer(auto_error=False, description="A personal API token or an OIDC token.")


def bearer_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return credentials.credentials
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie
    raise AuthenticationError(
        "the request has no bearer token",
        hint="send 'Authorization: Bearer TOKEN' with a token from 'releasegate token create'",
    )


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Verify the request's token and return its principal (the one authentication seam)."""
    ctx: ApiContext = request.app.state.context
    principal = ctx.verifier.verify(bearer_token(request, credentials))
    request.scope.setdefault("state", {})["identity"] = principal.identity
    return principal


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Build a dependency that admits principals with at least one of `roles` (403 otherwise)."""
    allowed = frozenset(roles)

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.has_any(allowed):
            raise ForbiddenError(
                f"{principal.identity} has role(s) {role_names(principal.roles) or '(none)'}; "
                f"this action needs one of: {role_names(allowed)}",
                hint="ask an administrator for the role, or use a token that holds it",
            )
        return principal

    check.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the role matrix tests
    return check


# Roles per kind of action. Every role may read, but only some may change state.
READERS = tuple(Role)
SUBMITTERS = (Role.SUBMITTER, Role.RELEASE_MANAGER)
APPROVERS = (Role.APPROVER, Role.RELEASE_MANAGER)
REQUESTERS = (Role.SUBMITTER, Role.APPROVER, Role.RELEASE_MANAGER)
REVOKERS = (Role.APPROVER, Role.RELEASE_MANAGER, Role.ADMIN)
AUDITORS = (Role.AUDITOR, Role.ADMIN)
LEDGER_OPERATORS = (Role.ADMIN, Role.AUDITOR)

AppDep = Annotated[Application, Depends(application)]
ContextDep = Annotated[ApiContext, Depends(context)]
