"""Verify OIDC ID tokens and CI workload identity tokens against the issuer's JWKS.

PyJWT checks the signature, the issuer and the audience. Expiry and
not-before are checked here against the injected clock, because PyJWT reads
the system time; tests move the clock instead of sleeping.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet

from releasegate.clock import Clock, rfc3339
from releasegate.errors import PermissionDeniedError
from releasegate.identity.directory import IssuerConfig

log = logging.getLogger(__name__)

# Clock skew allowed between the issuer and releasegate for exp and nbf.
DEFAULT_LEEWAY = timedelta(seconds=60)
# Seconds to wait for the issuer's JWKS endpoint.
JWKS_TIMEOUT_SECONDS = 10

# Claims of CI workload tokens that are recorded with the evidence a
# workload submits (GitHub Actions and GitLab CI names).
WORKLOAD_CLAIMS = (
    "repository",
    "ref",
    "workflow",
    "job_workflow_ref",
    "sha",
    "run_id",
    "actor",
    "project_path",
    "pipeline_source",
)


class AuthenticationError(PermissionDeniedError):
    """A credential was missing, malformed, untrusted, expired or revoked."""


@dataclass(frozen=True)
class VerifiedToken:
    """The claims of a token whose signature, issuer, audience and times verified."""

    issuer: IssuerConfig
    subject: str
    claims: dict[str, Any]


class OidcVerifier:
    """Verifies tokens of the trusted issuers; JWKS files are read relative to `base_dir`."""

    def __init__(
        self,
        issuers: tuple[IssuerConfig, ...],
        *,
        clock: Clock,
        base_dir: Path,
        leeway: timedelta = DEFAULT_LEEWAY,
    ) -> None:
        self.issuers = {i.issuer: i for i in issuers}
        self.clock = clock
        self.base_dir = base_dir
        self.leeway = leeway
        self._clients: dict[str, PyJWKClient] = {}

    def verify(self, token: str) -> VerifiedToken:
        """Return the verified claims of `token`, or raise AuthenticationError saying why."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthenticationError(
                f"the bearer token is not a valid JWT: {exc}",
                hint="pass an OIDC ID token or a personal API token",
            ) from exc
        issuer = self.issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise AuthenticationError(
                f"token issuer {unverified.get('iss')!r} is not trusted",
                hint="add the issuer under 'issuers' in the identities file, through governance",
            )
        key = self._key(issuer, header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=list(issuer.algorithms),
                audience=issuer.audience,
                issuer=issuer.issuer,
                options={
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "require": ["exp", "iss", "aud", issuer.subject_claim],
                },
            )
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationError(
                f"the signature of the token from {issuer.issuer} does not verify with key "
                f"{header.get('kid')!r}",
                hint="the token was altered or signed by another key; request a new token",
            ) from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthenticationError(
                f"the token's audience {unverified.get('aud')!r} is not {issuer.audience!r}",
                hint=f"request a token for audience {issuer.audience}",
            ) from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthenticationError(
                f"the token's issuer {unverified.get('iss')!r} is not {issuer.issuer!r}",
                hint="request a token from the trusted issuer",
            ) from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationError(
                f"the token from {issuer.issuer} is invalid: {exc}",
                hint="request a new token",
            ) from exc
        self._check_times(claims, issuer)
        subject = claims.get(issuer.subject_claim)
        if not isinstance(subject, str) or not subject.strip():
            raise AuthenticationError(
                f"the token names no subject in claim {issuer.subject_claim!r}",
                hint="configure subject_claim for the issuer",
            )
        return VerifiedToken(issuer=issuer, subject=subject, claims=claims)

    def _check_times(self, claims: dict[str, Any], issuer: IssuerConfig) -> None:
        now = self.clock()
        expires = _timestamp(claims, "exp", issuer)
        if now >= expires + self.leeway:
            raise AuthenticationError(
                f"the token from {issuer.issuer} for {claims.get(issuer.subject_claim)} expired "
                f"at {rfc3339(expires)}",
                hint="request a new token",
            )
        if "nbf" in claims:
            not_before = _timestamp(claims, "nbf", issuer)
            if now + self.leeway < not_before:
                raise AuthenticationError(
                    f"the token from {issuer.issuer} is not valid before {rfc3339(not_before)}",
                    hint="check the clocks of the issuer and of releasegate",
                )

    def _key(self, issuer: IssuerConfig, kid: object) -> PyJWK:
        if not isinstance(kid, str):
            raise AuthenticationError(
                f"the token from {issuer.issuer} names no key id (kid)",
                hint="the issuer must sign with a key listed in its JWKS",
            )
        if issuer.jwks_file is not None:
            path = self.base_dir / issuer.jwks_file
            try:
                keys = PyJWKSet.from_json(path.read_text(encoding="utf-8"))
            except (OSError, jwt.PyJWTError, json.JSONDecodeError) as exc:
                raise AuthenticationError(
                    f"{path}: cannot read the JWKS of {issuer.issuer}: {exc}",
                    hint="fix jwks_file of the issuer in the identities file",
                ) from exc
            for key in keys.keys:
                if key.key_id == kid:
                    return key
            raise AuthenticationError(
                f"key {kid!r} is not in the JWKS of {issuer.issuer} ({path})",
                hint="the token was signed by an unknown key; request a new token",
            )
        if issuer.jwks_uri is None:
            raise AuthenticationError(
                f"issuer {issuer.issuer} has neither jwks_uri nor jwks_file",
                hint="set one of them for the issuer in the identities file",
            )
        client = self._clients.get(issuer.issuer)
        if client is None:
            client = PyJWKClient(issuer.jwks_uri, timeout=JWKS_TIMEOUT_SECONDS)
            self._clients[issuer.issuer] = client
        try:
            return client.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            log.error("JWKS of %s unreachable at %s: %s", issuer.issuer, issuer.jwks_uri, exc)
            raise AuthenticationError(
                f"the JWKS of {issuer.issuer} at {issuer.jwks_uri} is unreachable: {exc}",
                hint="retry later; no token of this issuer can be verified meanwhile",
            ) from exc
        except jwt.PyJWKClientError as exc:
            raise AuthenticationError(
                f"key {kid!r} is not in the JWKS of {issuer.issuer}: {exc}",
                hint="the token was signed by an unknown key; request a new token",
            ) from exc


def _timestamp(claims: dict[str, Any], name: str, issuer: IssuerConfig) -> datetime:
    value = claims.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise AuthenticationError(
            f"claim {name!r} of the token from {issuer.issuer} is not a number",
            hint="request a token from a standard OIDC issuer",
        )
    return datetime.fromtimestamp(value, UTC)


def workload_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """Return the claims of a CI workload token that are recorded with what it submits."""
    return {name: claims[name] for name in WORKLOAD_CLAIMS if name in claims}
