"""Authenticate a bearer credential and return who acts, with their roles.

`authenticate` is the one entry point for every interface: the CLI passes
the value of --token or RELEASEGATE_TOKEN, and an HTTP API passes the
Authorization header's bearer token. A personal API token starts with
`rgp_`; anything else is verified as an OIDC ID token or CI workload token
of a trusted issuer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from releasegate.identity.directory import GLOBAL_ROLES
from releasegate.identity.oidc import AuthenticationError, OidcVerifier, workload_claims
from releasegate.identity.tokens import PREFIX, verify_token
from releasegate.service.app import Application


@dataclass(frozen=True)
class Principal:
    """An authenticated identity: a person, or a CI workload acting for a repository."""

    identity: str
    person: str | None
    kind: str
    credential: str
    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    claims: dict[str, Any] = field(default_factory=dict)
    # (IdP group, catalog group) pairs the verified token's groups claim
    # granted through the issuer's group_map; only OIDC user tokens carry any.
    granted_groups: tuple[tuple[str, str], ...] = ()
    # API roles a personal token is limited to; empty means every role of the person.
    token_roles: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        """Return what the ledger records about the credential an action was taken with."""
        return {
            "kind": self.kind,
            "subject": self.identity,
            "person": self.person,
            "credential": self.credential,
            "roles": list(self.roles),
            **({"claims": self.claims} if self.claims else {}),
            **({"token_roles": list(self.token_roles)} if self.token_roles else {}),
            **(
                {
                    "granted_groups": [
                        {"idp_group": idp, "group": group} for idp, group in self.granted_groups
                    ]
                }
                if self.granted_groups
                else {}
            ),
        }


def authenticate(app: Application, bearer: str) -> Principal:
    """Verify `bearer` and return the principal, or raise AuthenticationError."""
    token = bearer.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token:
        raise AuthenticationError("the bearer token is empty", hint="pass a token")
    directory = app.directory
    if token.startswith(PREFIX):
        info = verify_token(app, token)
        person = directory.people.get(info.person)
        roles = () if person is None else person.roles
        return Principal(
            identity=info.person,
            person=info.person,
            kind="personal-token",
            credential=info.id,
            roles=roles,
            groups=directory.groups_of(app.catalog, info.person),
            token_roles=info.roles,
        )

    base = directory.source
    base_dir = app.settings.home if base is None else app.settings.resolved_identities.parent
    verifier = OidcVerifier(directory.issuers, clock=app.clock, base_dir=base_dir)
    verified = verifier.verify(token)
    issuer = verified.issuer
    claimed_groups = _strings(verified.claims.get(issuer.groups_claim))
    claimed_roles = [
        r for r in _strings(verified.claims.get(issuer.roles_claim)) if r in GLOBAL_ROLES
    ]
    if issuer.kind == "workload":
        return Principal(
            identity=verified.subject,
            person=None,
            kind="workload",
            credential=issuer.issuer,
            claims=workload_claims(verified.claims),
        )
    person = directory.resolve(verified.subject)
    if person is None and isinstance(verified.claims.get("email"), str):
        person = directory.resolve(verified.claims["email"])
    if person is None:
        raise AuthenticationError(
            f"the token subject {verified.subject!r} of {issuer.issuer} is not a known identity",
            hint="add the subject under idp_subjects of its person in the identities file",
        )
    granted = directory.granted_groups(issuer.issuer, claimed_groups)
    groups = tuple(
        dict.fromkeys(
            (
                *directory.groups_of(app.catalog, person.id, (g for _, g in granted)),
                *claimed_groups,
            )
        )
    )
    roles = tuple(dict.fromkeys((*person.roles, *claimed_roles)))
    return Principal(
        identity=person.id,
        person=person.id,
        kind="oidc",
        credential=issuer.issuer,
        roles=roles,
        groups=groups,
        granted_groups=granted,
    )


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
