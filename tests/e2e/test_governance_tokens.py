"""Personal API tokens and governance of releasegate's own files, through the CLI."""

from __future__ import annotations

import json

import pytest
from support import create

IDENTITIES = """
apiVersion: releasegate/v1
kind: Identities
people:
  dana:
    emails: [dana@acme.example]
  erin:
    emails: [erin@acme.example]
    roles: [admin]
  frank:
    emails: [frank@acme.example]
    roles: [admin]
"""


@pytest.fixture
def admins(ws):
    ws.write("identities.yaml", IDENTITIES)
    return ws


def ledger_entries(ws, subject: str) -> list[dict]:
    rows = ws.query(
        "select body from ledger_entries where subject = :subject order by seq", subject=subject
    )
    return [json.loads(body) for (body,) in rows]


def flat(result) -> str:
    return " ".join(result.output.split())


def test_token_life_cycle(admins):
    result, token = admins.json("token", "create", "--name", "laptop", "--as", "Dana@acme.example")
    assert result.exit_code == 0, result.output
    secret = token["token"]
    assert secret.startswith("rgp_")
    assert token["person"] == "dana"
    assert token["state"] == "active"

    result, listed = admins.json("token", "list")
    assert [(t["id"], t["state"]) for t in listed] == [(token["id"], "active")]
    assert secret not in result.output

    result, who = admins.json("--token", secret, "identity", "whoami")
    assert result.exit_code == 0, result.output
    assert (who["kind"], who["person"], who["credential"]) == (
        "personal-token",
        "dana",
        token["id"],
    )

    refused = admins.run("token", "revoke", token["id"], "--as", "bob")
    assert refused.exit_code == 2
    assert f"bob may not revoke token {token['id']} of dana" in flat(refused)
    assert admins.run("token", "revoke", token["id"], "--as", "dana").exit_code == 0

    rejected = admins.run("--token", secret, "identity", "whoami")
    assert rejected.exit_code == 2
    assert f"personal API token {token['id']} of dana was revoked at" in flat(rejected)


def test_token_for_someone_else_needs_admin(admins):
    refused = admins.run("token", "create", "--name", "ci", "--for", "dana", "--as", "bob")
    assert refused.exit_code == 2
    assert "bob may not create a token for dana" in flat(refused)
    result, token = admins.json("token", "create", "--name", "ci", "--for", "dana", "--as", "erin")
    assert result.exit_code == 0, result.output
    assert token["person"] == "dana"


def test_unknown_token_refused(admins):
    release = create(admins)
    refused = admins.run("--token", "rgp_" + "x" * 43, "approve", release)
    assert refused.exit_code == 2
    assert "the personal API token is not known" in flat(refused)


def test_governed_change_needs_second_admin(admins):
    target = admins.root / "policies" / "enterprise" / "data.yaml"
    before = target.read_text()
    proposed = admins.write(
        "data.next.yaml", before.replace("max_duration_days: 30", "max_duration_days: 14")
    )
    result, proposal = admins.json(
        "governance",
        "propose",
        "policies/enterprise/data.yaml",
        "--file",
        str(proposed),
        "--reason",
        "shorter exceptions after audit finding",
        "--as",
        "erin",
    )
    assert result.exit_code == 0, result.output
    assert "-  max_duration_days: 30" in proposal["diff"]
    assert "+  max_duration_days: 14" in proposal["diff"]
    assert target.read_text() == before  # not in force yet

    own = admins.run("governance", "approve", proposal["id"], "--as", "erin@acme.example")
    assert own.exit_code == 2
    assert f"erin@acme.example (person erin) proposed {proposal['id']} (erin)" in flat(own)
    assert "needs a second admin" in flat(own)
    not_admin = admins.run("governance", "approve", proposal["id"], "--as", "dana")
    assert not_admin.exit_code == 2
    assert "dana does not hold the admin role" in flat(not_admin)
    assert target.read_text() == before

    result, applied = admins.json("governance", "approve", proposal["id"], "--as", "frank")
    assert result.exit_code == 0, result.output
    assert applied["status"] == "applied"
    assert "max_duration_days: 14" in target.read_text()

    chain = ledger_entries(admins, "governance:policies/enterprise/data.yaml")
    assert [e["type"] for e in chain] == ["governance.proposed", "governance.approved"]
    assert chain[1]["data"]["approver"] == "frank"
    assert "+  max_duration_days: 14" in chain[1]["data"]["diff"]
    assert admins.run("ledger", "verify").exit_code == 0


def test_edit_outside_governance_stops_the_gate(admins):
    target = admins.root / "policies" / "enterprise" / "data.yaml"
    proposed = admins.write("data.next.yaml", target.read_text() + "# reviewed\n")
    _, proposal = admins.json(
        "governance",
        "propose",
        "policies/enterprise/data.yaml",
        "--file",
        str(proposed),
        "--reason",
        "note the review",
        "--as",
        "erin",
    )
    assert admins.run("governance", "approve", proposal["id"], "--as", "frank").exit_code == 0

    release = create(admins)
    target.write_text(target.read_text().replace("max_duration_days: 30", "max_duration_days: 90"))
    result = admins.run("gate", release)
    assert result.exit_code == 1
    assert "governed file policies/enterprise/data.yaml differs from the content approved in " in (
        flat(result)
    )
    assert "changed outside governance" in flat(result)


def test_workload_token_recorded_with_evidence(admins):
    """A CI job's OIDC token is verified against a JWKS file; its claims go into the ledger."""
    import time

    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec
    from support import COMMIT, JUNIT_PASS

    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    admins.write("ci-jwks.json", json.dumps({"keys": [{**public, "kid": "ci-1", "alg": "ES256"}]}))
    admins.write(
        "identities.yaml",
        IDENTITIES
        + "issuers:\n"
        + "  - {issuer: 'https://ci.acme.example', audience: releasegate, "
        + "jwks_file: ci-jwks.json, kind: workload}\n",
    )
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": "https://ci.acme.example",
            "aud": "releasegate",
            "sub": "repo:payments/payments-api:ref:refs/heads/main",
            "repository": "payments/payments-api",
            "ref": "refs/heads/main",
            "workflow": "release",
            "iat": now,
            "exp": now + 600,
        },
        key,
        algorithm="ES256",
        headers={"kid": "ci-1"},
    )
    release = create(admins, integrity=False)
    added = admins.run(
        "--token",
        token,
        "evidence",
        "add",
        release,
        str(admins.write("junit.xml", JUNIT_PASS)),
        "--commit",
        COMMIT,
    )
    assert added.exit_code == 0, added.output
    [entry] = [e for e in ledger_entries(admins, release) if e["type"] == "evidence.added"]
    assert entry["data"]["submitted_by"] == {
        "kind": "workload",
        "subject": "repo:payments/payments-api:ref:refs/heads/main",
        "person": None,
        "credential": "https://ci.acme.example",
        "roles": [],
        "claims": {
            "repository": "payments/payments-api",
            "ref": "refs/heads/main",
            "workflow": "release",
        },
    }

    # A workload is no person, so it cannot approve.
    refused = admins.run("--token", token, "approve", release)
    assert refused.exit_code == 2
    assert (
        "the token identifies the CI workload repo:payments/payments-api:ref:refs/heads/main, "
        "which is not a person, so it may not approve" in flat(refused)
    )
