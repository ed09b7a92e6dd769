"""The HTTP API end to end on a real SQLite workspace: use cases, problems, ids, metrics."""

from __future__ import annotations

import io
import json
import logging

import yaml
from http_support import person_token
from support import COMMIT, DIGEST, DR_TEST, JUNIT_PASS, MANIFEST, SARIF_CLEAN, attach_integrity

from releasegate.api.auth import Role
from releasegate.api.observability import JsonFormatter, RequestContextFilter

S, A = Role.SUBMITTER, Role.APPROVER


def _token(api, identity: str, *roles: Role) -> dict[str, str]:
    token = person_token(api.workspace.root, identity, *roles, name=f"{identity}-extra")
    return {"Authorization": f"Bearer {token}"}


def _evidence(api, release: str, name: str, text: str) -> dict:
    response = api.client.post(
        f"/api/v1/releases/{release}/evidence",
        files={"file": (name, text.encode())},
        data={"commit": COMMIT},
        headers=api.headers(S),
    )
    assert response.status_code == 201, response.text
    return response.json()


def _gate(api, release: str) -> dict:
    response = api.client.post(
        f"/api/v1/releases/{release}/decisions",
        json={"environment": "production"},
        headers=api.headers(S),
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_api_pending_then_allowed(api):
    release = api.create_release()
    attach_integrity(api.workspace, release)
    _evidence(api, release, "junit.xml", JUNIT_PASS)
    _evidence(api, release, "scan.sarif", SARIF_CLEAN)

    first = _gate(api, release)
    assert first["outcome"] == "pending"
    assert next(r for r in first["results"] if r["control_id"] == "SOD-3")["pending"] is True

    for who in ("bob", "dana", "erin"):
        response = api.client.post(
            f"/api/v1/releases/{release}/approvals",
            json={"decision": "approve", "comment": "reviewed"},
            headers=_token(api, who, A),
        )
        assert response.status_code == 201, response.text
        assert response.json()["approver"] == who

    second = _gate(api, release)
    assert second["outcome"] == "allow"
    shown = api.client.get(f"/api/v1/releases/{release}", headers=api.headers(Role.VIEWER))
    assert shown.json()["status"] == "allowed"
    latest = api.client.get(
        f"/api/v1/releases/{release}/decisions/latest", headers=api.headers(Role.VIEWER)
    )
    assert latest.json()["id"] == second["id"]


def test_api_each_state_change_appends_one_ledger_entry(api):
    before = api.workspace.ledger_size()
    release = api.create_release()
    assert api.workspace.ledger_size() == before + 1
    _evidence(api, release, "junit.xml", JUNIT_PASS)
    chain = api.client.get(
        f"/api/v1/releases/{release}/ledger", headers=api.headers(Role.AUDITOR)
    ).json()
    assert [e["type"] for e in chain] == ["release.created", "evidence.added"]
    assert chain[1]["data"]["filename"] == "junit.xml"


def test_api_author_cannot_approve(api):
    release = api.create_release()
    response = api.client.post(
        f"/api/v1/releases/{release}/approvals", json={}, headers=_token(api, "alice", A)
    )
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "urn:releasegate:problem:permission-denied"
    assert body["detail"] == (
        f"SOD-1: alice (person alice) is the same person as author alice, requester alice "
        f"of release {release} and may not approve it"
    )
    assert (
        api.client.get(
            f"/api/v1/releases/{release}/approvals", headers=api.headers(Role.VIEWER)
        ).json()
        == []
    )


def test_api_client_cannot_name_another_approver(api):
    release = api.create_release()
    response = api.client.post(
        f"/api/v1/releases/{release}/approvals",
        json={"decision": "approve", "approver": "dana"},
        headers=_token(api, "alice", A),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "approver"
    assert (
        api.client.get(
            f"/api/v1/releases/{release}/approvals", headers=api.headers(Role.VIEWER)
        ).json()
        == []
    )


def test_api_requester_cannot_approve_own_exception(api):
    release = api.create_release()
    headers = _token(api, "dana", A)
    created = api.client.post(
        "/api/v1/exceptions",
        json={
            "control": "VUL-1",
            "justification": "false positive",
            "expires_in_minutes": 600,
            "release_id": release,
            "compensating_controls": ["WAF rule"],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["requester"] == "dana"
    exception = created.json()["id"]
    own = api.client.post(f"/api/v1/exceptions/{exception}/approve", headers=headers)
    assert own.status_code == 403
    assert own.json()["detail"] == (
        f"SOD-5: dana (person dana) is the same person as requester dana of exception "
        f"{exception} and may not decide it"
    )


def test_api_problem_detail_matches_the_cli_message(api):
    response = api.client.get("/api/v1/releases/rel-missing", headers=api.headers(Role.VIEWER))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    cli = api.workspace.run("release", "show", "rel-missing")
    assert f"error: {body['detail']}" in " ".join(cli.output.split())
    assert body["hint"] == "list releases with 'releasegate release list'"
    assert body["status"] == 404
    assert body["instance"] == "/api/v1/releases/rel-missing"
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_api_invalid_manifest_stores_nothing(api):
    manifest = yaml.safe_load(MANIFEST)
    manifest["source_commit"] = "not-a-commit"
    before = api.workspace.ledger_size()
    response = api.client.post("/api/v1/releases", json=manifest, headers=api.headers(S))
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "source_commit"
    assert body["detail"].startswith("body: source_commit: String should match pattern")
    assert api.workspace.ledger_size() == before


def test_api_upload_over_limit(api):
    release = api.create_release()
    before = api.workspace.ledger_size()
    large = b"<testsuite>" + b" " * (65 * 1024) + b"</testsuite>"
    response = api.client.post(
        f"/api/v1/releases/{release}/evidence",
        files={"file": ("big.xml", large)},
        headers=api.headers(S),
    )
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "file: big.xml: the file is larger than the upload limit of 65536 bytes"
    )
    assert api.workspace.ledger_size() == before
    assert (
        api.client.get(f"/api/v1/releases/{release}/evidence", headers=api.headers(S)).json() == []
    )


def test_api_evidence_download_returns_the_exact_bytes(api):
    release = api.create_release()
    record = _evidence(api, release, "junit.xml", JUNIT_PASS)
    response = api.client.get(
        f"/api/v1/releases/{release}/evidence/{record['id']}/content",
        headers=api.headers(Role.VIEWER),
    )
    assert response.content == JUNIT_PASS.encode()
    assert response.headers["Digest"] == f"sha-256={record['sha256']}"


def test_api_request_id_is_echoed_and_generated(api):
    supplied = api.client.get(
        "/api/v1/releases", headers={**api.headers(Role.VIEWER), "X-Request-ID": "pipeline-42.7"}
    )
    assert supplied.headers["X-Request-ID"] == "pipeline-42.7"
    unsafe = api.client.get(
        "/api/v1/releases", headers={**api.headers(Role.VIEWER), "X-Request-ID": "a b\tc"}
    )
    assert len(unsafe.headers["X-Request-ID"]) == 32
    assert unsafe.headers["X-Request-ID"] != "a b\tc"


def test_api_json_log_request_id(api):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("releasegate.api.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        release = api.create_release()
        api.client.get(
            f"/api/v1/releases/{release}",
            headers={**api.headers(Role.VIEWER), "X-Request-ID": "trace-1"},
        )
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    read = next(line for line in lines if line["request_id"] == "trace-1")
    assert read["path"] == f"/api/v1/releases/{release}"
    assert read["status"] == 200
    assert read["release_id"] == release
    assert read["identity"] == "hugo"


def test_api_metrics_count_decisions_and_ledger_size(api):
    release = api.create_release()
    _evidence(api, release, "junit.xml", JUNIT_PASS)
    _gate(api, release)
    text = api.client.get("/metrics").text
    assert 'releasegate_gate_decisions_total{environment="production",verdict="deny"} 1.0' in text
    assert f"releasegate_ledger_entries {float(api.workspace.ledger_size())}" in text
    assert 'route="/api/v1/releases/{release_id}/decisions",status="201"' in text
    assert "releasegate_gate_evaluation_seconds_count 1.0" in text


def test_api_health_and_readiness(api):
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["ledger_entries"] == api.workspace.ledger_size()


def test_api_consistency_proof_takes_sizes_never_server_paths(api):
    response = api.client.get(
        "/api/v1/ledger/proofs/consistency?old=/etc/passwd&new=2",
        headers=api.headers(Role.VIEWER),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "old"


def test_api_consistency_beyond_ledger(api):
    size = api.workspace.ledger_size()
    response = api.client.get(
        f"/api/v1/ledger/proofs/consistency?old=1&new={size + 5}",
        headers=api.headers(Role.VIEWER),
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        f"query: new: tree size {size + 5} is larger than the ledger, which has {size} entries"
    )


def test_api_decision_replay_same_verdict(api):
    release = api.create_release()
    _evidence(api, release, "junit.xml", JUNIT_PASS)
    decision = _gate(api, release)
    response = api.client.post(
        f"/api/v1/decisions/{decision['id']}/replay", headers=api.headers(Role.AUDITOR)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["same"] is True
    assert body["recorded"] == body["replayed"] == decision["outcome"]
    assert body["differences"] == []


def test_api_control_show_names_frameworks(api):
    response = api.client.get("/api/v1/controls/vul-1", headers=api.headers(Role.VIEWER))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "VUL-1"
    assert body["blocking"] is True
    assert body["frameworks"]
    missing = api.client.get("/api/v1/controls/XYZ-9", headers=api.headers(Role.VIEWER))
    assert missing.status_code == 404
    assert missing.json()["detail"] == "control 'XYZ-9' not found"


def test_api_download_name_cannot_inject_headers():
    from releasegate.api.routes.releases import attachment

    value = attachment('report"\r\nSet-Cookie: x=1.xml')
    assert "\r" not in value
    assert "\n" not in value
    assert value.startswith('attachment; filename="report_Set-Cookie_x_1.xml"; ')
    assert value.endswith("filename*=UTF-8''report%22%0D%0ASet-Cookie%3A%20x%3D1.xml")


def test_api_approval_carries_role_and_digests(api):
    release = api.create_release()
    other = "sha256:" + "d" * 64
    wrong = api.client.post(
        f"/api/v1/releases/{release}/approvals",
        json={"digests": [other]},
        headers=_token(api, "dana", A),
    )
    assert wrong.status_code == 403
    assert wrong.json()["detail"].startswith(f"SOD-4: dana approves artifact digests {other}")

    right = api.client.post(
        f"/api/v1/releases/{release}/approvals",
        json={"digests": [DIGEST], "role": "business_control"},
        headers=api.headers(A),
    )
    assert right.status_code == 201, right.text
    assert right.json()["approver"] == "dana"
    assert right.json()["role"] == "business_control"


def test_api_exception_scoped_to_a_digest(api):
    release = api.create_release()
    created = api.client.post(
        "/api/v1/exceptions",
        json={
            "control": "VUL-1",
            "justification": "patched in the next release",
            "expires_in_minutes": 60,
            "release_id": release,
            "artifact_digest": DIGEST,
            "compensating_controls": ["WAF rule blocks the vulnerable path"],
        },
        headers=api.headers(S),
    )
    assert created.status_code == 201, created.text
    assert created.json()["scope"]["artifact_digest"] == DIGEST


def _history(api, release: str) -> list[dict]:
    response = api.client.get(
        f"/api/v1/releases/{release}/approvals/history", headers=api.headers(Role.VIEWER)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_api_revision_lapses_approvals(api):
    release = api.create_release()
    approval = api.client.post(
        f"/api/v1/releases/{release}/approvals", json={}, headers=api.headers(A)
    )
    assert approval.status_code == 201, approval.text
    assert [(h["approver"], h["state"]) for h in _history(api, release)] == [("dana", "current")]

    revision = yaml.safe_load(MANIFEST) | {"source_commit": "c" * 40}
    updated = api.client.put(
        f"/api/v1/releases/{release}/manifest", json=revision, headers=api.headers(S)
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["manifest"]["source_commit"] == "c" * 40
    assert updated.json()["status"] == "created"

    (history,) = _history(api, release)
    assert history["state"] == "lapsed"
    assert history["person"] == "dana"
    assert any(
        reason.startswith(f"it was given for source commit {COMMIT}")
        for reason in history["lapsed_because"]
    ), history["lapsed_because"]
    chain = api.client.get(
        f"/api/v1/releases/{release}/ledger", headers=api.headers(Role.AUDITOR)
    ).json()
    assert chain[-1]["type"] == "release.updated"
    assert chain[-1]["data"]["source_commit"] == "c" * 40


def test_api_revision_of_other_service_rejected(api):
    release = api.create_release()
    before = api.workspace.ledger_size()
    other = yaml.safe_load(MANIFEST) | {"service": "ledger-core"}
    response = api.client.put(
        f"/api/v1/releases/{release}/manifest", json=other, headers=api.headers(S)
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        f"request body: service: release {release} belongs to payments-api, not ledger-core"
    )
    assert response.json()["field"] == "service"
    assert api.workspace.ledger_size() == before
    stored = api.client.get(f"/api/v1/releases/{release}", headers=api.headers(Role.VIEWER))
    assert stored.json()["manifest"]["service"] == "payments-api"


def test_api_attestation_uses_token_identity(api):
    release = api.create_release()
    response = api.client.post(
        f"/api/v1/releases/{release}/attestations",
        json={"kind": "deployment", "name": "deploy-production", "environment": "production"},
        headers=api.headers(Role.RELEASE_MANAGER),
    )
    assert response.status_code == 201, response.text
    assert response.json()["identity"] == "erin"
    assert response.json()["environment"] == "production"
    chain = api.client.get(
        f"/api/v1/releases/{release}/ledger", headers=api.headers(Role.AUDITOR)
    ).json()
    assert chain[-1]["type"] == "deployment.recorded"
    assert chain[-1]["data"]["identity"] == "erin"

    named = api.client.post(
        f"/api/v1/releases/{release}/attestations",
        json={"kind": "compensating_control", "name": "enhanced_monitoring", "identity": "dana"},
        headers=api.headers(S),
    )
    assert named.status_code == 422
    assert named.json()["field"] == "identity"


def test_api_attestation_environment_rules(api):
    release = api.create_release()
    before = api.workspace.ledger_size()
    cases = [
        ({"kind": "deployment", "name": "deploy"}, "a deployment names the environment"),
        (
            {"kind": "compensating_control", "name": "waf", "environment": "staging"},
            "a compensating control applies to the release, not to one environment",
        ),
    ]
    for body, message in cases:
        response = api.client.post(
            f"/api/v1/releases/{release}/attestations", json=body, headers=api.headers(S)
        )
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith(f"request body: environment: {message}")
        assert response.json()["field"] == "environment"
    assert api.workspace.ledger_size() == before


def test_api_dr_test_feeds_res_2(api):
    release = api.create_release()
    attach_integrity(api.workspace, release)

    def res_2() -> str:
        decision = _gate(api, release)
        return str(next(r for r in decision["results"] if r["control_id"] == "RES-2")["outcome"])

    assert res_2() != "pass"
    document = DR_TEST
    unknown = api.client.post(
        "/api/v1/dr-tests", json=document | {"service": "nowhere"}, headers=api.headers(S)
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == (
        "request body: service: service 'nowhere' is not in the catalog"
    )
    recorded = api.client.post("/api/v1/dr-tests", json=document, headers=api.headers(S))
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["recovery_time_minutes"] == 22
    assert recorded.json()["performed_at"] == "2026-11-20T09:00:00.000000Z"
    assert res_2() == "pass"
