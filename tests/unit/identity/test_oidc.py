"""OIDC ID tokens and CI workload tokens verified against a JWKS on a loopback HTTP server.

Keys are generated per test session with `cryptography`, tokens are signed
with PyJWT, and the JWKS is served by a real HTTP server on 127.0.0.1 (or
read from a file). Time is a clock the tests set.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from releasegate.catalog import load_catalog
from releasegate.identity.directory import IssuerConfig, build_directory
from releasegate.identity.oidc import AuthenticationError, OidcVerifier

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
ISSUER = "https://idp.acme.example"
CI_ISSUER = "https://ci.acme.example"


def public_jwk(private_key, kid: str, alg: str) -> dict:
    algorithm = jwt.algorithms.RSAAlgorithm if alg == "RS256" else jwt.algorithms.ECAlgorithm
    document = json.loads(algorithm.to_jwk(private_key.public_key()))
    return {**document, "kid": kid, "alg": alg, "use": "sig"}


@pytest.fixture(scope="module")
def keys():
    return {
        "rsa-1": (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
        "ec-1": (ec.generate_private_key(ec.SECP256R1()), "ES256"),
        "rogue": (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
    }


@pytest.fixture(scope="module")
def jwks_server(keys):
    """Serve the JWKS of the trusted keys (not the rogue one) on a free loopback port."""
    body = json.dumps(
        {"keys": [public_jwk(k, kid, alg) for kid, (k, alg) in keys.items() if kid != "rogue"]}
    ).encode()
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", requests
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def sign(keys, claims: dict, *, kid: str = "rsa-1", signing_kid: str | None = None) -> str:
    private_key, alg = keys[signing_kid or kid]
    return jwt.encode(claims, private_key, algorithm=alg, headers={"kid": kid})


def claims(**changes) -> dict:
    base = {
        "iss": ISSUER,
        "aud": "releasegate",
        "sub": "00u-dana",
        "email": "dana@acme.example",
        "iat": int(NOW.timestamp()) - 60,
        "nbf": int(NOW.timestamp()) - 60,
        "exp": int(NOW.timestamp()) + 3600,
        "groups": ["payments-control-owners"],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def verifier(jwks_server, tmp_path):
    uri, _ = jwks_server
    clock = Clock(NOW)
    issuers = (
        IssuerConfig(issuer=ISSUER, audience="releasegate", jwks_uri=uri),
        IssuerConfig(issuer=CI_ISSUER, audience="releasegate", jwks_uri=uri, kind="workload"),
    )
    return OidcVerifier(issuers, clock=clock, base_dir=tmp_path), clock


def test_valid_rsa_and_ec_tokens(verifier, keys):
    oidc, _ = verifier
    assert oidc.verify(sign(keys, claims())).subject == "00u-dana"
    assert oidc.verify(sign(keys, claims(), kid="ec-1")).claims["email"] == "dana@acme.example"


def test_bad_signature(verifier, keys):
    oidc, _ = verifier
    forged = sign(keys, claims(), kid="rsa-1", signing_kid="rogue")
    with pytest.raises(AuthenticationError) as raised:
        oidc.verify(forged)
    assert str(raised.value).startswith(
        f"the signature of the token from {ISSUER} does not verify with key 'rsa-1'"
    )


def test_untrusted_issuer(verifier, keys):
    oidc, _ = verifier
    with pytest.raises(AuthenticationError) as raised:
        oidc.verify(sign(keys, claims(iss="https://evil.example")))
    assert "token issuer 'https://evil.example' is not trusted" in str(raised.value)


def test_wrong_audience(verifier, keys):
    oidc, _ = verifier
    with pytest.raises(AuthenticationError) as raised:
        oidc.verify(sign(keys, claims(aud="another-app")))
    assert "the token's audience 'another-app' is not 'releasegate'" in str(raised.value)


def test_expired_with_leeway(verifier, keys):
    oidc, clock = verifier
    token = sign(keys, claims(exp=int(NOW.timestamp()) + 10))
    clock.now = NOW + timedelta(seconds=69)
    assert oidc.verify(token).subject == "00u-dana"
    clock.now = NOW + timedelta(seconds=70)
    with pytest.raises(AuthenticationError) as raised:
        oidc.verify(token)
    assert "for 00u-dana expired at 2026-12-04T20:00:10.000000Z" in str(raised.value)


def test_not_yet_valid(verifier, keys):
    oidc, _ = verifier
    token = sign(keys, claims(nbf=int(NOW.timestamp()) + 600))
    with pytest.raises(AuthenticationError) as raised:
        oidc.verify(token)
    assert "is not valid before 2026-12-04T20:10:00.000000Z" in str(raised.value)


def test_missing_expiry_rejected(verifier, keys):
    oidc, _ = verifier
    with pytest.raises(AuthenticationError) as raised:
        oidc.verify(sign(keys, claims(exp=None)))
    assert "is invalid" in str(raised.value)
    assert "exp" in str(raised.value)


def test_unknown_kid(verifier, keys, jwks_server):
    oidc, _ = verifier
    token = sign(keys, claims(), kid="retired-7", signing_kid="rogue")
    with pytest.raises(AuthenticationError) as raised:
        oidc.verify(token)
    assert f"key 'retired-7' is not in the JWKS of {ISSUER}" in str(raised.value)


def test_not_a_jwt(verifier):
    oidc, _ = verifier
    with pytest.raises(AuthenticationError) as raised:
        oidc.verify("not.a.token")
    assert "the bearer token is not a valid JWT" in str(raised.value)


def test_jwks_from_file(keys, tmp_path):
    private_key, alg = keys["ec-1"]
    (tmp_path / "jwks.json").write_text(
        json.dumps({"keys": [public_jwk(private_key, "ec-1", alg)]})
    )
    issuer = IssuerConfig(issuer=ISSUER, audience="releasegate", jwks_file="jwks.json")
    oidc = OidcVerifier((issuer,), clock=Clock(NOW), base_dir=tmp_path)
    assert oidc.verify(sign(keys, claims(), kid="ec-1")).subject == "00u-dana"
    with pytest.raises(AuthenticationError) as raised:
        oidc.verify(sign(keys, claims(), kid="rsa-1"))
    assert "key 'rsa-1' is not in the JWKS" in str(raised.value)


def test_unreachable_jwks_fails_closed(keys, tmp_path):
    # Port 9 (discard) on loopback has no listener in the test environment.
    issuer = IssuerConfig(issuer=ISSUER, audience="releasegate", jwks_uri="http://127.0.0.1:9/jwks")
    oidc = OidcVerifier((issuer,), clock=Clock(NOW), base_dir=tmp_path)
    with pytest.raises(AuthenticationError) as raised:
        oidc.verify(sign(keys, claims()))
    assert "http://127.0.0.1:9/jwks" in str(raised.value)


def test_workload_token_claims_recorded(ws_application, keys, jwks_server):
    from releasegate.identity.auth import authenticate

    app, write_identities = ws_application
    uri, _ = jwks_server
    write_identities(uri)
    token = sign(
        keys,
        claims(
            iss=CI_ISSUER,
            sub="repo:payments/payments-api:ref:refs/heads/main",
            repository="payments/payments-api",
            ref="refs/heads/main",
            workflow="release",
            email=None,
            groups=None,
        ),
    )
    principal = authenticate(app, token)
    assert principal.kind == "workload"
    assert principal.person is None
    assert principal.record()["claims"] == {
        "repository": "payments/payments-api",
        "ref": "refs/heads/main",
        "workflow": "release",
    }


def test_user_token_maps_to_person_with_idp_roles(ws_application, keys, jwks_server):
    from releasegate.identity.auth import authenticate

    app, write_identities = ws_application
    uri, _ = jwks_server
    write_identities(uri)
    principal = authenticate(app, sign(keys, claims(roles=["auditor", "superuser"])))
    assert (principal.kind, principal.person) == ("oidc", "dana")
    assert principal.roles == ("auditor",)
    assert "payments-control-owners" in principal.groups

    with pytest.raises(AuthenticationError) as raised:
        authenticate(app, sign(keys, claims(sub="00u-nobody", email="nobody@acme.example")))
    assert "the token subject '00u-nobody'" in str(raised.value)


def test_user_token_groups_mapped_to_catalog_groups(ws_application, keys, jwks_server):
    from releasegate.identity.auth import authenticate

    app, write_identities = ws_application
    uri, _ = jwks_server
    write_identities(uri, ", group_map: {okta-cab: change-advisory-board}")
    principal = authenticate(app, sign(keys, claims(groups=["okta-cab", "okta-other"])))
    assert principal.granted_groups == (("okta-cab", "change-advisory-board"),)
    assert principal.groups[:2] == ("payments-control-owners", "change-advisory-board")
    assert principal.record()["granted_groups"] == [
        {"idp_group": "okta-cab", "group": "change-advisory-board"}
    ]
    unmapped = authenticate(app, sign(keys, claims(groups=["okta-other"])))
    assert unmapped.granted_groups == ()
    assert "granted_groups" not in unmapped.record()
    workload = authenticate(
        app, sign(keys, claims(iss=CI_ISSUER, sub="repo:x", groups=["okta-cab"]))
    )
    assert (workload.kind, workload.granted_groups) == ("workload", ())


@pytest.fixture
def ws_application(tmp_path):
    """An application on a folder with the example catalog and an identities file."""
    import shutil

    from releasegate.service.app import Application
    from releasegate.settings import load_settings

    shutil.copy2(EXAMPLES / "catalog.yaml", tmp_path / "catalog.yaml")

    def write_identities(uri: str, group_map: str = "") -> None:
        (tmp_path / "identities.yaml").write_text(
            "apiVersion: releasegate/v1\nkind: Identities\n"
            "people:\n  dana:\n    idp_subjects: [00u-dana]\n    emails: [dana@acme.example]\n"
            f"issuers:\n  - {{issuer: '{ISSUER}', audience: releasegate, jwks_uri: '{uri}'"
            f"{group_map}}}\n"
            f"  - {{issuer: '{CI_ISSUER}', audience: releasegate, jwks_uri: '{uri}', "
            "kind: workload}\n"
        )

    app = Application(load_settings(home=tmp_path, environ={}), clock=Clock(NOW))
    yield app, write_identities
    app.close()


def test_directory_reads_issuers():
    catalog = load_catalog(EXAMPLES / "catalog.yaml")
    directory = build_directory(
        catalog,
        {
            "apiVersion": "releasegate/v1",
            "kind": "Identities",
            "issuers": [{"issuer": ISSUER, "audience": "releasegate", "jwks_uri": "http://x"}],
        },
    )
    assert [i.issuer for i in directory.issuers] == [ISSUER]
