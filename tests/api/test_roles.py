"""Every route against every role: who may call it, and what the others get.

The expected table is written out here on purpose, so that a change to a
route's roles shows up as a failing test that someone has to agree with.
"""

from __future__ import annotations

import pytest
import yaml
from http_support import person_token
from support import COMMIT, DR_TEST, JUNIT_PASS, MANIFEST

from releasegate.api.auth import Role

V, S, A, RM, AD, AU = (
    Role.VIEWER,
    Role.SUBMITTER,
    Role.APPROVER,
    Role.RELEASE_MANAGER,
    Role.ADMIN,
    Role.AUDITOR,
)
EVERYONE = frozenset(Role)

# (method, path, allowed roles, request keyword arguments)
ROUTES = [
    ("GET", "/api/v1/releases", EVERYONE, {}),
    ("POST", "/api/v1/releases", {S, RM}, {"json": "manifest"}),
    ("GET", "/api/v1/releases/{rel}", EVERYONE, {}),
    ("PUT", "/api/v1/releases/{rel}/manifest", {S, RM}, {"json": "manifest"}),
    (
        "POST",
        "/api/v1/releases/{rel}/attestations",
        {S, RM},
        {"json": {"kind": "deployment", "name": "deploy-staging", "environment": "staging"}},
    ),
    ("GET", "/api/v1/releases/{rel}/evidence", EVERYONE, {}),
    ("POST", "/api/v1/releases/{rel}/evidence", {S, RM}, {"files": "junit"}),
    ("GET", "/api/v1/releases/{rel}/evidence/{ev}/content", EVERYONE, {}),
    ("GET", "/api/v1/releases/{rel}/approvals", EVERYONE, {}),
    ("GET", "/api/v1/releases/{rel}/approvals/history", EVERYONE, {}),
    ("POST", "/api/v1/releases/{rel}/approvals", {A, RM}, {"json": {"decision": "approve"}}),
    ("GET", "/api/v1/releases/{rel}/decisions", EVERYONE, {}),
    ("GET", "/api/v1/releases/{rel}/decisions/latest", EVERYONE, {}),
    ("POST", "/api/v1/releases/{rel}/decisions", {S, RM}, {"json": {"environment": "staging"}}),
    ("GET", "/api/v1/releases/{rel}/ledger", EVERYONE, {}),
    ("GET", "/api/v1/releases/{rel}/audit-bundle", {AU, AD}, {}),
    ("GET", "/api/v1/exceptions", EVERYONE, {}),
    (
        "POST",
        "/api/v1/exceptions",
        {S, A, RM},
        {
            "json": {
                "control": "VUL-1",
                "justification": "false positive",
                "expires_in_minutes": 60,
                "compensating_controls": ["WAF"],
                "release_id": "{rel}",
            }
        },
    ),
    ("POST", "/api/v1/exceptions/{exc}/approve", {A, RM}, {}),
    ("POST", "/api/v1/exceptions/{exc}/reject", {A, RM}, {}),
    ("POST", "/api/v1/exceptions/{exc}/revoke", {A, RM, AD}, {"json": {"reason": "fixed"}}),
    ("GET", "/api/v1/calendar", EVERYONE, {}),
    ("GET", "/api/v1/calendar/next?service=payments-api&tier=low", EVERYONE, {}),
    ("GET", "/api/v1/controls", EVERYONE, {}),
    ("GET", "/api/v1/whoami", EVERYONE, {}),
    ("GET", "/api/v1/controls/VUL-1", EVERYONE, {}),
    ("POST", "/api/v1/decisions/{dec}/replay", {AU, AD}, {}),
    ("GET", "/api/v1/ledger/checkpoint", EVERYONE, {}),
    ("POST", "/api/v1/ledger/checkpoints", {AD, AU}, {}),
    ("GET", "/api/v1/ledger/verify", {AU, AD}, {}),
    ("GET", "/api/v1/ledger/proofs/inclusion/0", EVERYONE, {}),
    ("GET", "/api/v1/ledger/proofs/consistency?old=1&new=2", EVERYONE, {}),
    ("GET", "/api/v1/ledger/key", EVERYONE, {}),
    ("POST", "/api/v1/ledger/key/rotate", {AD}, {"json": {"reason": "scheduled"}}),
    ("GET", "/api/v1/policy/check?service=payments-api", EVERYONE, {}),
    ("POST", "/api/v1/policy/eval", EVERYONE, {"json": {"release": {}}}),
    ("GET", "/api/v1/identities", EVERYONE, {}),
    ("GET", "/api/v1/identities/dana", EVERYONE, {}),
    ("GET", "/api/v1/tokens", {AD}, {}),
    ("POST", "/api/v1/tokens", {AD}, {"json": {"name": "ops", "expires_in_minutes": 60}}),
    ("POST", "/api/v1/tokens/{tok}/revoke", {AD}, {}),
    ("POST", "/api/v1/dr-tests", {S, RM}, {"json": "dr-test"}),
    ("GET", "/api/v1/reviews", EVERYONE, {}),
    ("POST", "/api/v1/reviews/{rev}/complete", {A, RM}, {"json": {"findings": "no issue"}}),
    ("GET", "/api/v1/governance/proposals", EVERYONE, {}),
    (
        "POST",
        "/api/v1/governance/proposals",
        {AD},
        {"json": {"target": "catalog.yaml", "content": "groups: []\n", "reason": "tidy"}},
    ),
    ("POST", "/api/v1/governance/proposals/{gov}/approve", {AD}, {}),
    ("POST", "/api/v1/governance/proposals/{gov}/reject", {AD}, {}),
    ("POST", "/api/v1/rollouts", {S, RM}, {"json": "rollout"}),
    ("GET", "/api/v1/rollouts?state=running", EVERYONE, {}),
    ("GET", "/api/v1/rollouts/{ro}", EVERYONE, {}),
    ("GET", "/api/v1/rollouts/{ro}/measurements", EVERYONE, {}),
    ("POST", "/api/v1/rollouts/{ro}/pause", {RM}, {"json": {"reason": "look first"}}),
    ("POST", "/api/v1/rollouts/{ro}/resume", {RM}, {}),
    ("POST", "/api/v1/rollouts/{ro}/promote", {RM}, {}),
    ("POST", "/api/v1/rollouts/{ro}/abort", {RM}, {"json": {"reason": "stop"}}),
]

SYNTHETIC = """
seed: 1
indicators:
  http-error-rate:
    baseline: {mean: 0.004, sd: 0.001}
    canary: {mean: 0.004, sd: 0.001}
    samples: 30
"""


def rollout_body(release: str) -> dict:
    return {
        "release_id": release,
        "target": {"kind": "simulator", "journal": "journal.jsonl"},
        "metrics": {"kind": "synthetic", "path": "metrics.yaml"},
        "time_scale": 0,
    }


@pytest.fixture
def world(api):
    """A release with evidence and an exception request, for the ids in the paths."""
    release = api.create_release()
    upload = api.client.post(
        f"/api/v1/releases/{release}/evidence",
        files={"file": ("junit.xml", JUNIT_PASS.encode())},
        data={"commit": COMMIT},
        headers=api.headers(S),
    )
    assert upload.status_code == 201, upload.text
    gate = api.client.post(f"/api/v1/releases/{release}/decisions", json={}, headers=api.headers(S))
    assert gate.status_code == 201, gate.text
    exception = api.client.post(
        "/api/v1/exceptions",
        json={
            "control": "VUL-1",
            "justification": "scanner false positive",
            "expires_in_minutes": 600,
            "release_id": release,
            "compensating_controls": ["WAF rule 942100"],
        },
        headers=api.headers(S),
    )
    assert exception.status_code == 201, exception.text
    from releasegate.identity.tokens import list_tokens

    person_token(api.workspace.root, "alice", name="spare")
    spare = next(t for t in list_tokens(api.application, person="alice") if t.name == "spare")
    api.workspace.write("metrics.yaml", SYNTHETIC)
    rollout = api.client.post(
        "/api/v1/rollouts", json=rollout_body(release), headers=api.headers(S)
    )
    assert rollout.status_code == 201, rollout.text
    return {
        "rel": release,
        "ev": upload.json()["id"],
        "exc": exception.json()["id"],
        "dec": gate.json()["id"],
        "tok": spare.id,
        # Unknown ids: the roles are checked before the review or proposal is looked up.
        "rev": "rev-unknown",
        "gov": "gov-unknown",
        "ro": rollout.json()["id"],
    }


def _request(api, world, method: str, path: str, role: Role | None, options: dict):
    kwargs = {}
    for key, value in options.items():
        if value == "rollout":
            kwargs["json"] = rollout_body(world["rel"])
        elif value == "dr-test":
            kwargs["json"] = DR_TEST
        elif value == "manifest":
            kwargs["json"] = yaml.safe_load(MANIFEST)
        elif value == "junit":
            kwargs["files"] = {"file": ("junit.xml", JUNIT_PASS.encode())}
            kwargs["data"] = {"commit": COMMIT}
        elif isinstance(value, dict):
            kwargs[key] = {
                k: (v.format(**world) if isinstance(v, str) else v) for k, v in value.items()
            }
        else:
            kwargs[key] = value
    headers = api.headers(role) if role else {}
    return api.client.request(method, path.format(**world), headers=headers, **kwargs)


def test_route_table_covers_every_api_route(api):
    document = api.client.get("/api/v1/openapi.json").json()
    served = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    listed = {
        (
            method,
            path.split("?")[0]
            .replace("{rel}", "{release_id}")
            .replace("{ev}", "{evidence_id}")
            .replace("{exc}", "{exception_id}")
            .replace("{dec}", "{decision_id}")
            .replace("{tok}", "{token_id}")
            .replace("{rev}", "{review_id}")
            .replace("{gov}", "{proposal_id}")
            .replace("/identities/dana", "/identities/{alias}")
            .replace("{ro}", "{rollout_id}")
            .replace("/controls/VUL-1", "/controls/{control_id}")
            .replace("/inclusion/0", "/inclusion/{index}"),
        )
        for method, path, _roles, _options in ROUTES
    }
    assert served == listed


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_roles_match_route_table(api, world, role):
    outcomes = {}
    for method, path, allowed, options in ROUTES:
        response = _request(api, world, method, path, role, options)
        problem_type = (
            response.json().get("type")
            if response.headers.get("content-type", "").startswith("application/problem+json")
            else None
        )
        outcomes[(method, path)] = (response.status_code, problem_type)
        if role in allowed:
            assert problem_type != "urn:releasegate:problem:forbidden", (
                method,
                path,
                response.text,
            )
            assert response.status_code not in (401, 500), (method, path, response.text)
        else:
            assert response.status_code == 403, (method, path, response.text)
            assert problem_type == "urn:releasegate:problem:forbidden"
            assert role.value in response.json()["detail"]


def test_every_route_refuses_a_request_without_a_token(api, world):
    for method, path, _allowed, options in ROUTES:
        response = _request(api, world, method, path, None, options)
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["detail"] == "the request has no bearer token"


def test_revoked_token_rejected_at_once(api):
    from releasegate.identity.tokens import list_tokens, revoke_token

    headers = api.headers(V)
    assert api.client.get("/api/v1/releases", headers=headers).status_code == 200
    (token,) = list_tokens(api.application, person="hugo")
    revoke_token(api.application, token.id, revoked_by="hugo")
    response = api.client.get("/api/v1/releases", headers=headers)
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert detail.startswith(f"personal API token {token.id} of hugo was revoked")
