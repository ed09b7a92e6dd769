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

A server may also keep tokens of the older tokens file
(`releasegate api-token create`): when given, that verifier is asked for a
`rgp_` token the identity layer does not know.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from releasegate.api.auth import AuthenticationError, Principal, Role

if TYPE_CHECKING:
    from releasegate.api.auth import TokenVerifier
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
    """Verify bearer tokens with the identity layer, with an optional tokens file behind it."""

    def __init__(self, application: Application, fallback: TokenVerifier | None = None) -> None:
        self.application = application
        self.fallback = fallback

    def verify(self, token: str) -> Principal:
        from releasegate.identity.auth import authenticate
        from releasegate.identity.oidc import AuthenticationError as IdentityAuthenticationError
        from releasegate.identity.tokens import PREFIX

        try:
            principal = authenticate(self.application, token)
        except IdentityAuthenticationError as exc:
            if self.fallback is not None and token.startswith(PREFIX):
                try:
                    return self.fallback.verify(token)
                except AuthenticationError:
                    pass
            raise AuthenticationError(exc.message, hint=exc.hint) from exc
        return Principal(
            principal.identity,
            api_roles(principal.kind, principal.roles),
            principal.credential,
            principal.record(),
        )
