"""The web pages without a browser: forms, roles, segregation of duties, real data."""

from __future__ import annotations

import re

from http_support import person_token
from support import COMMIT, JUNIT_PASS, SARIF_CLEAN, attach_integrity

from releasegate.api.auth import Role


def _login(api, token: str) -> None:
    api.client.cookies.clear()
    response = api.client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=strict" in response.headers["set-cookie"].lower()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert match, "the page has no form token"
    return match.group(1)


def _token(api, identity: str, role: Role) -> str:
    return person_token(api.workspace.root, identity, role, name=f"web-{identity}")


def _release_with_evidence(api) -> str:
    release = api.create_release()
    attach_integrity(api.workspace, release)
    for name, text in (("junit.xml", JUNIT_PASS), ("scan.sarif", SARIF_CLEAN)):
        response = api.client.post(
            f"/api/v1/releases/{release}/evidence",
            files={"file": (name, text.encode())},
            data={"commit": COMMIT},
            headers=api.headers(Role.SUBMITTER),
        )
        assert response.status_code == 201
    gate = api.client.post(
        f"/api/v1/releases/{release}/decisions", json={}, headers=api.headers(Role.SUBMITTER)
    )
    assert gate.json()["outcome"] == "pending"
    return release


def test_web_pages_need_a_session(api):
    api.client.cookies.clear()
    response = api.client.get("/approvals", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/approvals"


def test_web_login_refuses_an_unknown_token(api):
    response = api.client.post("/login", data={"token": "rgp_nope", "next": "/"})
    assert response.status_code == 401
    assert "the personal API token is not known" in response.text
    assert "set-cookie" not in response.headers


def test_web_login_never_redirects_to_another_host(api):
    response = api.client.post(
        "/login",
        data={"token": api.tokens[Role.VIEWER], "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_web_business_owner_approves_with_a_plain_form(api):
    release = _release_with_evidence(api)
    _login(api, api.tokens[Role.APPROVER])  # dana, the business control owner
    page = api.client.get(f"/releases/{release}")
    assert "Waiting for approval" in page.text
    assert "You approve as <strong>dana</strong>" in page.text
    response = api.client.post(
        f"/releases/{release}/approve",
        data={"csrf": _csrf(page.text), "decision": "approve", "comment": "close impact ok"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    approvals = api.client.get(
        f"/api/v1/releases/{release}/approvals", headers=api.headers(Role.VIEWER)
    ).json()
    assert [(a["approver"], a["comment"]) for a in approvals] == [("dana", "close impact ok")]


def test_web_form_without_its_token_changes_nothing(api):
    release = _release_with_evidence(api)
    _login(api, api.tokens[Role.APPROVER])
    response = api.client.post(
        f"/releases/{release}/approve", data={"csrf": "0" * 64, "decision": "approve"}
    )
    assert response.status_code == 403
    assert "the form&#39;s security token does not match your session" in response.text
    assert (
        api.client.get(
            f"/api/v1/releases/{release}/approvals", headers=api.headers(Role.VIEWER)
        ).json()
        == []
    )


def test_web_shows_the_segregation_conflict_before_submitting(api):
    release = _release_with_evidence(api)
    _login(api, _token(api, "alice", Role.APPROVER))  # alice wrote the change
    page = api.client.get(f"/releases/{release}")
    assert "You cannot approve this release" in page.text
    assert f"alice is an author or the requester of release {release}" in page.text
    assert f'action="/releases/{release}/approve"' not in page.text


def test_web_viewer_cannot_approve(api):
    release = _release_with_evidence(api)
    _login(api, api.tokens[Role.VIEWER])
    page = api.client.get(f"/releases/{release}")
    assert f'action="/releases/{release}/approve"' not in page.text
    response = api.client.post(
        f"/releases/{release}/approve", data={"csrf": _csrf_of_session(api), "decision": "approve"}
    )
    assert response.status_code == 403
    assert "this action needs one of: approver, release-manager" in response.text


def _csrf_of_session(api) -> str:
    from releasegate.web.pages import csrf_token

    return csrf_token(api.client.cookies.get("releasegate_session"))


def test_web_pages_show_real_data(api):
    release = _release_with_evidence(api)
    _login(api, api.tokens[Role.AUDITOR])
    dashboard = api.client.get("/").text
    assert release in dashboard
    assert "Compliance posture" in dashboard
    assert "<svg" in dashboard
    assert "pending: 1" in dashboard
    detail = api.client.get(f"/releases/{release}").text
    for text in ("SOD-3", "junit.xml", "release.created", "decision.recorded", "Not met"):
        assert text in detail
    inbox = api.client.get("/approvals").text
    assert "payments-api 2.4.0" in inbox
    assert "Exceptions register" in api.client.get("/exceptions").text
    audit = api.client.get("/audit").text
    assert f'<dd id="ledger-size">{api.workspace.ledger_size()}</dd>' in audit
    verified = api.client.post("/audit/verify", data={"csrf": _csrf(audit)})
    assert "Ledger verified" in verified.text
    calendar = api.client.get("/calendar?month=2026-12")
    assert calendar.status_code == 200
    assert "December 2026" in calendar.text


def test_web_auditor_downloads_an_audit_bundle(api):
    release = _release_with_evidence(api)
    _login(api, api.tokens[Role.AUDITOR])
    response = api.client.get(f"/releases/{release}/audit-bundle")
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
