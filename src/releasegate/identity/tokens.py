"""Personal API tokens: shown once, stored as a SHA-256 hash, revocable, with expiry.

A token is `rgp_` followed by 43 URL-safe characters from `secrets` (256
bits), so a plain SHA-256 of it is enough to store: the secret is random,
not a password that a slow hash would have to protect.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from releasegate.clock import rfc3339
from releasegate.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from releasegate.identity.oidc import AuthenticationError
from releasegate.service.app import Application
from releasegate.service.ids import new_id
from releasegate.store.ledger import append_entry
from releasegate.store.tables import ApiTokenRow

PREFIX = "rgp_"
# Maximum lifetime of a personal token.
MAX_LIFETIME = timedelta(days=365)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """A stored token without its secret."""

    id: str
    person: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    # API roles the token is limited to; empty means every role of its person.
    roles: tuple[str, ...] = ()

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if now < self.expires_at else "expired"

    def document(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "person": self.person,
            "name": self.name,
            "state": self.state(now),
            "created_at": rfc3339(self.created_at),
            "expires_at": rfc3339(self.expires_at),
            "revoked_at": rfc3339(self.revoked_at) if self.revoked_at else None,
            "roles": list(self.roles),
        }


def _info(row: ApiTokenRow) -> TokenInfo:
    roles = tuple(row.roles.split(",")) if row.roles else ()
    return TokenInfo(
        row.id, row.person, row.name, row.created_at, row.expires_at, row.revoked_at, roles
    )


def _token_roles(person_roles: tuple[str, ...], requested: tuple[str, ...]) -> tuple[str, ...]:
    """Return the requested API roles of a token, each of which the person must have."""
    from releasegate.api.auth import Role
    from releasegate.api.identity_auth import api_roles

    names = [r.value for r in Role]
    unknown = [r for r in requested if r not in names]
    if unknown:
        raise InputError(
            f"unknown API role(s) {', '.join(unknown)}",
            source="--role",
            hint=f"use roles from: {', '.join(names)}",
        )
    granted = {r.value for r in api_roles("personal-token", person_roles)}
    missing = [r for r in requested if r not in granted]
    if missing:
        raise InputError(
            f"the person does not hold the API role(s) {', '.join(missing)}",
            source="--role",
            hint=f"limit the token to roles the person holds: {', '.join(sorted(granted))}",
        )
    return tuple(dict.fromkeys(requested))


def create_token(
    app: Application,
    *,
    owner: str,
    name: str,
    expires_in: timedelta,
    created_by: str,
    roles: tuple[str, ...] = (),
) -> tuple[TokenInfo, str]:
    """Create a token for a known person; return it with the secret, which is never stored.

    With `roles`, the token grants only those API roles, which the person must hold.
    """
    person = app.directory.resolve(owner)
    if person is None:
        raise InputError(
            f"{owner} is not a known identity",
            source="--for",
            hint="create tokens for people listed in identities.yaml or the catalog",
        )
    creator = app.directory.person_id(created_by)
    if creator != person.id and not _is_admin(app, created_by):
        raise PermissionDeniedError(
            f"{created_by} may not create a token for {person.id}",
            hint="create your own token, or ask an admin",
        )
    if not name.strip():
        raise InputError("the token name is empty", source="--name", hint="say where it is used")
    if not timedelta(0) < expires_in <= MAX_LIFETIME:
        raise InputError(
            f"a token must expire within {MAX_LIFETIME.days} days",
            source="--expires-in",
            hint="give a duration such as 30d",
        )
    limited = _token_roles(person.roles, roles) if roles else ()
    secret = PREFIX + secrets.token_urlsafe(32)
    now = app.clock()
    row = ApiTokenRow(
        id=new_id("tok"),
        person=person.id,
        name=name.strip(),
        secret_sha256=_hash(secret),
        created_at=now,
        expires_at=now + expires_in,
        roles=",".join(limited) or None,
    )
    with app.database.transaction() as session:
        session.add(row)
        append_entry(
            session,
            entry_type="token.created",
            subject=f"person:{person.id}",
            recorded_at=now,
            data={
                "token_id": row.id,
                "person": person.id,
                "name": row.name,
                "created_by": created_by,
                "expires_at": rfc3339(row.expires_at),
                **({"roles": list(limited)} if limited else {}),
            },
        )
        return _info(row), secret


def list_tokens(app: Application, *, person: str | None = None) -> list[TokenInfo]:
    query = select(ApiTokenRow).order_by(ApiTokenRow.created_at, ApiTokenRow.id)
    if person is not None:
        query = query.where(ApiTokenRow.person == (app.directory.person_id(person) or person))
    with app.database.transaction() as session:
        return [_info(r) for r in session.scalars(query)]


def revoke_token(app: Application, token_id: str, *, revoked_by: str) -> TokenInfo:
    now = app.clock()
    with app.database.transaction() as session:
        row = session.get(ApiTokenRow, token_id, with_for_update=True)
        if row is None:
            raise NotFoundError(
                f"token {token_id!r} not found", hint="list tokens with 'releasegate token list'"
            )
        if app.directory.person_id(revoked_by) != row.person and not _is_admin(app, revoked_by):
            raise PermissionDeniedError(
                f"{revoked_by} may not revoke token {token_id} of {row.person}",
                hint="revoke your own tokens, or ask an admin",
            )
        if row.revoked_at is not None:
            raise ConflictError(f"token {token_id} is already revoked", hint="nothing to do")
        row.revoked_at = now
        session.flush()
        append_entry(
            session,
            entry_type="token.revoked",
            subject=f"person:{row.person}",
            recorded_at=now,
            data={"token_id": row.id, "person": row.person, "revoked_by": revoked_by},
        )
        return _info(row)


def verify_token(app: Application, secret: str) -> TokenInfo:
    """Return the token behind `secret`, or raise AuthenticationError if it is unusable."""
    now = app.clock()
    with app.database.read_transaction() as session:
        row = session.scalars(
            select(ApiTokenRow).where(ApiTokenRow.secret_sha256 == _hash(secret))
        ).first()
        if row is None:
            raise AuthenticationError(
                "the personal API token is not known",
                hint="create a token with 'releasegate token create'",
            )
        info = _info(row)
    if info.revoked_at is not None:
        raise AuthenticationError(
            f"personal API token {info.id} of {info.person} was revoked at "
            f"{rfc3339(info.revoked_at)}",
            hint="create a new token",
        )
    if now >= info.expires_at:
        raise AuthenticationError(
            f"personal API token {info.id} of {info.person} expired at {rfc3339(info.expires_at)}",
            hint="create a new token",
        )
    return info


def _is_admin(app: Application, identity: str) -> bool:
    person = app.directory.resolve(identity)
    return person is not None and "admin" in person.roles
