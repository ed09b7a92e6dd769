"""The newest-decision poll served from memory never outlives a commit by any replica."""

from __future__ import annotations

from support import COMMIT, JUNIT_PASS

from releasegate.api.auth import Role
from releasegate.service.app import Application
from releasegate.service.gate import evaluate_gate
from releasegate.settings import load_settings

S, V = Role.SUBMITTER, Role.VIEWER


def _latest(api, release: str, environment: str = "production"):
    return api.client.get(
        f"/api/v1/releases/{release}/decisions/latest",
        params={"environment": environment},
        headers=api.headers(V),
    )


def _evaluated_release(api) -> tuple[str, str]:
    release = api.create_release()
    uploaded = api.client.post(
        f"/api/v1/releases/{release}/evidence",
        files={"file": ("junit.xml", JUNIT_PASS.encode())},
        data={"commit": COMMIT},
        headers=api.headers(S),
    )
    assert uploaded.status_code == 201, uploaded.text
    decided = api.client.post(
        f"/api/v1/releases/{release}/decisions", json={}, headers=api.headers(S)
    )
    assert decided.status_code == 201, decided.text
    return release, decided.json()["id"]


def test_repeated_poll_is_cached(api):
    release, decision = _evaluated_release(api)
    for _ in range(3):
        response = _latest(api, release)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == decision
    cache = api.server.state.context.decision_cache
    assert list(cache._entries) == [(release, "production")]


def test_other_replica_evaluation_is_seen_at_once(api):
    release, first = _evaluated_release(api)
    assert _latest(api, release).json()["id"] == first
    assert _latest(api, release).json()["id"] == first  # now from memory

    # A second application on the same database file stands for another replica.
    replica = Application(load_settings(home=api.workspace.root, environ={}))
    try:
        second = evaluate_gate(replica, release, "production").id
    finally:
        replica.close()
    assert second != first

    response = _latest(api, release)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == second


def test_this_replica_evaluation_is_seen_at_once(api):
    release, first = _evaluated_release(api)
    assert _latest(api, release).json()["id"] == first
    again = api.client.post(
        f"/api/v1/releases/{release}/decisions", json={}, headers=api.headers(S)
    )
    assert again.status_code == 201, again.text
    assert _latest(api, release).json()["id"] == again.json()["id"]


def test_missing_decision_is_not_cached(api):
    release = api.create_release()
    missing = _latest(api, release)
    assert missing.status_code == 404
    assert "has no decision for production" in missing.json()["detail"]
    assert api.server.state.context.decision_cache._entries == {}

    decided = api.client.post(
        f"/api/v1/releases/{release}/decisions", json={}, headers=api.headers(S)
    )
    assert decided.status_code == 201, decided.text
    assert _latest(api, release).json()["id"] == decided.json()["id"]


def test_environments_are_cached_apart(api):
    release, production = _evaluated_release(api)
    assert _latest(api, release).json()["id"] == production
    staging = _latest(api, release, "staging")
    assert staging.status_code == 404
    assert "has no decision for staging" in staging.json()["detail"]


def test_unknown_environment_still_rejected(api):
    release, _ = _evaluated_release(api)
    response = _latest(api, release, "moon")
    assert response.status_code in (400, 422), response.text
    assert "moon" in response.json()["detail"]


def test_cached_poll_still_needs_a_token(api):
    release, _ = _evaluated_release(api)
    assert _latest(api, release).status_code == 200
    response = api.client.get(f"/api/v1/releases/{release}/decisions/latest")
    assert response.status_code == 401
    assert response.headers["x-request-id"]


def test_cache_connection_closed_with_server(tmp_path):
    from fastapi.testclient import TestClient
    from http_support import issue_tokens, make_workspace

    from releasegate.api.app import create_app
    from releasegate.api.identity_auth import IdentityTokenVerifier

    make_workspace(tmp_path)
    tokens = issue_tokens(tmp_path)
    application = Application(load_settings(home=tmp_path, environ={}))
    server = create_app(application, IdentityTokenVerifier(application))
    cache = server.app.state.context.decision_cache
    with TestClient(server) as client:
        response = client.get(
            "/api/v1/releases/rel-unknown/decisions/latest",
            headers={"Authorization": f"Bearer {tokens[V]}"},
        )
        assert response.status_code == 404
        assert cache._connection is not None
    assert cache._connection is None
    application.close()
