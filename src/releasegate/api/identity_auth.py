"""The API's token verifier backed by the identity layer.

`IdentityTokenVerifier` implements the `TokenVerifier` seam with
`releasegate.identity.auth.authenticate`, the same check the CLI applies to
--token: personal API tokens from `releasegate token create` (stored hashed
in the database, revocable, with an expiry) and OIDC ID or CI workload
tokens of the issuers in the identities file (JWKS).

The identity layer's roles become the API's roles:

- every person may read, submit and approve; the approval use case still
  checks the service roles (engineering, business control, CAB, security)
  and segregation of duties against the person, whatever the API role says;
- `release_manager`, `admin` and `auditor` add the API role of that name;
- a CI workload may read and submit, never approve or decide.

A personal token created with `--role` is limited to those API roles, so a
dashboard or a pipeline can hold a token that only reads or only submits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from releasegate.api.auth import AuthenticationError, Principal, Role

if TYPE_CHECKING:
    from releasegate.service.app import Application

_PERSON_ROLES = frozenset({Role.VIEWER, Role.SUBMITTER, Role.APPROVER})
_WORKLOAD_ROLES = frozenset({Role.VIEWER, Role.SUBMITTER})
_GLOBAL_ROLES = {
    "release_manager": Role.RELEASE_MANAGER,
    "admin": Role.ADMIN,
    "auditor": Role.AUDITOR,
}


def api_roles(kind: str, identity_roles: tuple[str, ...]) -> frozenset[Role]:
    """Map the identity layer's roles of a principal to the API's roles."""
    if kind == "workload":
        return _WORKLOAD_ROLES
    extra = {_GLOBAL_ROLES[r] for r in identity_roles if r in _GLOBAL_ROLES}
    return _PERSON_ROLES | extra


class IdentityTokenVerifier:
    """Verify bearer tokens with the identity layer."""

    def __init__(self, application: Application) -> None:
        self.application = application

    def verify(self, token: str) -> Principal:
        from releasegate.identity.auth import authenticate
        from releasegate.identity.oidc import AuthenticationError as IdentityAuthenticationError

        try:
            principal = authenticate(self.application, token)
        except IdentityAuthenticationError as exc:
            raise AuthenticationError(exc.message, hint=exc.hint) from exc
        roles = api_roles(principal.kind, principal.roles)
        if principal.token_roles:
            roles = roles & frozenset(Role(r) for r in principal.token_roles)
        return Principal(
            principal.identity,
            roles,
            principal.credential,
            principal.record(),
        )
