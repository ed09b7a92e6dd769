"""IdP groups mapped to catalog groups grant approval roles, through the CLI.

The IdP is an ES256 key whose JWKS the identities file names as a file; ID
tokens are signed with PyJWT and verified by releasegate like any other.
gwen belongs to no catalog group: only a verified token whose groups claim
contains a mapped IdP group makes her a business control owner.
"""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from support import JUNIT_PASS, SARIF_CLEAN, attach, control, create

ISSUER = "https://idp.acme.example"

IDENTITIES = """
apiVersion: releasegate/v1
kind: Identities
people:
  bob:
    emails: [bob@acme.example]
  chen:
    emails: [chen@acme.example]
    idp_subjects: ["00u-chen"]
  gwen:
    emails: [gwen@acme.example]
    idp_subjects: ["00u-gwen"]
  erin:
    emails: [erin@acme.example]
    roles: [admin]
issuers:
  - issuer: https://idp.acme.example
    audience: releasegate
    jwks_file: idp-jwks.json
    group_map: {"okta-payments-control": payments-control-owners}
"""


@pytest.fixture
def idp(ws):
    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    ws.write("idp-jwks.json", json.dumps({"keys": [{**public, "kid": "idp-1", "alg": "ES256"}]}))
    ws.write("identities.yaml", IDENTITIES)

    def token(subject: str, groups: list[str], *, signer=key, expires_in: int = 600) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": "releasegate",
            "sub": subject,
            "groups": groups,
            "iat": now - 60,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, signer, algorithm="ES256", headers={"kid": "idp-1"})

    return ws, token


def flat(result) -> str:
    return " ".join(result.output.split())


def sod_3(ws, release: str) -> list[str]:
    _, decision = ws.json("gate", release)
    return [v["msg"] for v in control(decision, "SOD-3")["violations"]]


def ready_release(ws) -> str:
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    for who in ("bob", "erin"):
        result = ws.run("approve", release, "--as", who)
        assert result.exit_code == 0, result.output
    return release


def approval_entries(ws, release: str) -> list[dict]:
    rows = ws.query("select body from ledger_entries where subject = :s order by seq", s=release)
    return [json.loads(b)["data"] for (b,) in rows if json.loads(b)["type"] == "approval.recorded"]


def test_mapped_group_makes_business_control_owner(idp):
    ws, token = idp
    release = ready_release(ws)
    assert any("business control owner" in m for m in sod_3(ws, release))

    result, approval = ws.json(
        "--token", token("00u-gwen", ["okta-payments-control", "okta-all"]), "approve", release
    )
    assert result.exit_code == 0, result.output
    assert approval["role"] == "business_control"
    assert approval["token_groups"] == ["payments-control-owners"]
    assert approval["groups"] == ["payments-control-owners"]
    assert sod_3(ws, release) == []

    [*_, entry] = approval_entries(ws, release)
    assert entry["token_groups"] == ["payments-control-owners"]
    assert entry["authenticated"]["granted_groups"] == [
        {"idp_group": "okta-payments-control", "group": "payments-control-owners"}
    ]
    _, listed = ws.json("release", "approvals", release)
    assert [a["token_groups"] for a in listed if a["approver"] == "gwen"] == [
        ["payments-control-owners"]
    ]


def test_removed_mapping_withdraws_role(idp):
    ws, token = idp
    release = ready_release(ws)
    result = ws.run("--token", token("00u-gwen", ["okta-payments-control"]), "approve", release)
    assert result.exit_code == 0, result.output
    assert sod_3(ws, release) == []

    ws.write("identities.yaml", IDENTITIES.replace("okta-payments-control", "okta-renamed"))
    messages = sod_3(ws, release)
    assert any("needs an approval from a business control owner" in m for m in messages), messages


def test_unmapped_group_grants_nothing(idp):
    ws, token = idp
    release = ready_release(ws)
    refused = ws.run("--token", token("00u-gwen", ["okta-payments-eng"]), "approve", release)
    assert refused.exit_code == 2, refused.output
    assert "gwen is not a member of any catalog group" in flat(refused)
    _, listed = ws.json("release", "approvals", release)
    assert [a["approver"] for a in listed] == ["bob", "erin"]


def test_plain_as_gets_catalog_groups_only(idp):
    ws, _ = idp
    release = ready_release(ws)
    refused = ws.run("approve", release, "--as", "gwen", "--role", "business_control")
    assert refused.exit_code == 2, refused.output
    assert "SOD-3: gwen (person gwen) does not hold role business_control for payments-api; " in (
        flat(refused)
    )


def test_forged_and_expired_tokens_rejected(idp):
    ws, token = idp
    release = ready_release(ws)
    rogue = ec.generate_private_key(ec.SECP256R1())
    forged = ws.run(
        "--token", token("00u-gwen", ["okta-payments-control"], signer=rogue), "approve", release
    )
    assert forged.exit_code == 2, forged.output
    assert "signature" in flat(forged)

    unsigned = jwt.encode(
        {
            "iss": ISSUER,
            "aud": "releasegate",
            "sub": "00u-gwen",
            "groups": ["okta-payments-control"],
            "exp": int(time.time()) + 600,
        },
        None,
        algorithm="none",
        headers={"kid": "idp-1"},
    )
    refused = ws.run("--token", unsigned, "approve", release)
    assert refused.exit_code == 2, refused.output
    assert f"the token from {ISSUER} is invalid" in flat(refused)
    assert "alg value is not allowed" in flat(refused)

    expired = ws.run(
        "--token",
        token("00u-gwen", ["okta-payments-control"], expires_in=-3600),
        "approve",
        release,
    )
    assert expired.exit_code == 2, expired.output
    assert "expired" in flat(expired)

    _, listed = ws.json("release", "approvals", release)
    assert [a["approver"] for a in listed] == ["bob", "erin"]
    assert any("business control owner" in m for m in sod_3(ws, release))


def test_one_person_cannot_cover_two_roles(idp):
    """chen is a catalog engineering approver, and his token also maps him to the control owners."""
    ws, token = idp
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    assert ws.run("approve", release, "--as", "erin").exit_code == 0
    secret = token("00u-chen", ["okta-payments-control"])

    both = ws.run("--token", secret, "approve", release)
    assert both.exit_code == 2, both.output
    assert "holds several approval roles for payments-api (engineering, business_control)" in (
        flat(both)
    )
    assert ws.run("approve", release, "--as", "chen", "--role", "engineering").exit_code == 0
    result = ws.run("--token", secret, "approve", release, "--role", "business_control")
    assert result.exit_code == 0, result.output

    messages = sod_3(ws, release)
    # chen's later approval replaced his first: he counts once, as business control owner.
    assert any("needs 3 approvers" in m and "has 2" in m for m in messages), messages
    assert any("needs an approval from an engineering approver" in m for m in messages), messages
