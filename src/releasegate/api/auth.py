"""Authentication: bearer tokens turned into a principal with roles.

The API depends on one seam, `TokenVerifier`: given the bearer token of a
request it returns the authenticated `Principal` (identity and roles) or
raises `AuthenticationError`. `HashedTokenVerifier` is the implementation
that ships here: personal API tokens whose SHA-256 digests are kept in a
YAML file, never the tokens themselves. An OIDC verifier (JWKS) plugs in by
implementing the same protocol.

Every route names the roles it accepts with `require(...)`; there is no
anonymous or "trust the client" path. Segregation of duties does not depend
on the client either: the acting identity is always the principal's.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from releasegate.errors import ConfigurationError, ReleasegateError

TOKEN_PREFIX = "rgp_"  # noqa: S105 - a prefix, not a secret


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


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """Generate a personal API token: a prefix that secret scanners recognise, 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class _TokenEntry:
    name: str
    identity: str
    roles: frozenset[Role]
    digest: str


class HashedTokenVerifier:
    """Personal API tokens checked against their SHA-256 digests.

    The tokens file is YAML: `tokens: [{name, identity, roles, sha256}]`.
    It is read again when it changes, so a revoked token stops working
    without a restart.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, _TokenEntry] = {}
        self._stamp: tuple[int, int] | None = None

    def verify(self, token: str) -> Principal:
        if not token.startswith(TOKEN_PREFIX):
            raise AuthenticationError(
                "the bearer token is not a releasegate API token",
                hint="create one with 'releasegate api-token create IDENTITY --role ROLE'",
            )
        entries = self._load()
        digest = token_digest(token)
        entry = entries.get(digest)
        # The dictionary finds the candidate; the constant-time comparison confirms it.
        if entry is None or not hmac.compare_digest(entry.digest, digest):
            raise AuthenticationError(
                "the bearer token is unknown or was revoked",
                hint="create a new token with 'releasegate api-token create'",
            )
        return Principal(entry.identity, entry.roles, entry.name)

    def _load(self) -> dict[str, _TokenEntry]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._entries, self._stamp = {}, None
            return self._entries
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._entries = {e.digest: e for e in read_tokens(self.path)}
            self._stamp = stamp
        return self._entries


def read_tokens(path: Path) -> list[_TokenEntry]:
    """Read and validate the tokens file; a malformed file is a configuration error."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(
            f"{path}: cannot read the API tokens file ({exc})",
            hint="fix the file or create tokens with 'releasegate api-token create'",
        ) from exc
    items = document.get("tokens") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ConfigurationError(
            f"{path}: tokens: expected a list of tokens",
            hint="the file holds 'tokens:' with name, identity, roles and sha256 for each",
        )
    entries = []
    for number, item in enumerate(items):
        where = f"{path}: tokens[{number}]"
        if not isinstance(item, dict):
            raise ConfigurationError(f"{where}: expected a mapping")
        try:
            roles = frozenset(Role(r) for r in item.get("roles") or ())
        except ValueError as exc:
            raise ConfigurationError(
                f"{where}.roles: {exc}", hint=f"use {', '.join(r.value for r in Role)}"
            ) from exc
        digest, identity = str(item.get("sha256", "")), str(item.get("identity", ""))
        if len(digest) != 64 or not identity or not roles:
            raise ConfigurationError(
                f"{where}: needs identity, at least one role and the token's sha256",
                hint="create tokens with 'releasegate api-token create'",
            )
        entries.append(_TokenEntry(str(item.get("name", "")), identity, roles, digest))
    return entries


def add_token(path: Path, *, identity: str, roles: frozenset[Role], name: str) -> str:
    """Create a token, store its digest in the tokens file and return the token once."""
    entries = read_tokens(path) if path.exists() else []
    if any(e.name == name for e in entries):
        raise ConfigurationError(
            f"{path}: a token named {name!r} already exists",
            hint="choose another --name or revoke the old token first",
        )
    token = new_token()
    document = {
        "tokens": [
            {
                "name": e.name,
                "identity": e.identity,
                "roles": sorted(r.value for r in e.roles),
                "sha256": e.digest,
            }
            for e in entries
        ]
        + [
            {
                "name": name,
                "identity": identity,
                "roles": sorted(r.value for r in roles),
                "sha256": token_digest(token),
            }
        ]
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return token


def revoke_token(path: Path, name: str) -> None:
    entries = read_tokens(path) if path.exists() else []
    kept = [e for e in entries if e.name != name]
    if len(kept) == len(entries):
        raise ConfigurationError(f"{path}: no token named {name!r}")
    document = {
        "tokens": [
            {
                "name": e.name,
                "identity": e.identity,
                "roles": sorted(r.value for r in e.roles),
                "sha256": e.digest,
            }
            for e in kept
        ]
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def role_names(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(r.value for r in roles))


RoleCheck = Callable[[Principal], Principal]
