"""The API accepts the identity layer's personal API tokens, limited to API roles on request."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from http_support import issue_tokens, make_workspace
from support import JUNIT_PASS, MANIFEST

from releasegate.api.app import create_app
from releasegate.api.auth import Role
from releasegate.api.identity_auth import IdentityTokenVerifier, api_roles
from releasegate.identity.tokens import create_token, revoke_token
from releasegate.service.app import Application
from releasegate.settings import load_settings


@pytest.fixture
def server(tmp_path: Path):
    make_workspace(tmp_path)
    role_tokens = issue_tokens(tmp_path)
    application = Application(load_settings(home=tmp_path, environ={}))
    verifier = IdentityTokenVerifier(application)
    app = create_app(application, verifier, max_upload_bytes=64 * 1024)
    with TestClient(app) as client:
        yield client, application, role_tokens
    application.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _whoami(client: TestClient, token: str):
    return client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})


def test_personal_token_from_token_create_authenticates(server):
    client, application, _ = server
    info, secret = create_token(
        application, owner="dana", name="laptop", expires_in=timedelta(days=1), created_by="dana"
    )
    response = _whoami(client, secret)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["identity"] == "dana"
    assert body["roles"] == ["approver", "submitter", "viewer"]

    revoke_token(application, info.id, revoked_by="dana")
    rejected = _whoami(client, secret)
    assert rejected.status_code == 401
    assert "revoked" in rejected.json()["detail"]


def test_token_limited_to_one_role(server):
    client, _, role_tokens = server
    response = _whoami(client, role_tokens[Role.AUDITOR])
    assert response.status_code == 200, response.text
    assert response.json()["identity"] == "ines"
    assert response.json()["roles"] == ["auditor"]


def test_token_role_the_person_lacks_rejected(server):
    from releasegate.errors import InputError

    _client, application, _ = server
    with pytest.raises(InputError) as raised:
        create_token(
            application,
            owner="dana",
            name="ops",
            expires_in=timedelta(days=1),
            created_by="dana",
            roles=("admin",),
        )
    assert raised.value.message == "--role: the person does not hold the API role(s) admin"
    assert raised.value.hint == (
        "limit the token to roles the person holds: approver, submitter, viewer"
    )
    with pytest.raises(InputError) as unknown:
        create_token(
            application,
            owner="dana",
            name="ops",
            expires_in=timedelta(days=1),
            created_by="dana",
            roles=("root",),
        )
    assert unknown.value.message == "--role: unknown API role(s) root"


def test_token_limited_to_viewer_cannot_submit(server):
    client, application, _ = server
    info, secret = create_token(
        application,
        owner="alice",
        name="dashboard",
        expires_in=timedelta(days=1),
        created_by="alice",
        roles=("viewer",),
    )
    assert info.roles == ("viewer",)
    assert info.document(application.clock())["roles"] == ["viewer"]
    assert _whoami(client, secret).json()["roles"] == ["viewer"]
    rejected = client.post(
        "/api/v1/releases", json=yaml.safe_load(MANIFEST), headers=_bearer(secret)
    )
    assert rejected.status_code == 403
    assert "alice has role(s) viewer" in rejected.json()["detail"]


def test_unknown_token_is_refused_with_the_identity_layer_message(server):
    client, _, _ = server
    response = _whoami(client, "rgp_" + "x" * 43)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_role_mapping():
    assert api_roles("workload", ("admin",)) == {Role.VIEWER, Role.SUBMITTER}
    assert api_roles("oidc", ("release_manager", "security")) == {
        Role.VIEWER,
        Role.SUBMITTER,
        Role.APPROVER,
        Role.RELEASE_MANAGER,
    }
    assert Role.ADMIN in api_roles("personal-token", ("admin",))


def test_upload_and_approval_record_the_credential(server):
    client, application, _ = server
    _, alice = create_token(
        application, owner="alice", name="ci", expires_in=timedelta(days=1), created_by="alice"
    )
    _, dana = create_token(
        application, owner="dana", name="laptop", expires_in=timedelta(days=1), created_by="dana"
    )
    created = client.post("/api/v1/releases", json=yaml.safe_load(MANIFEST), headers=_bearer(alice))
    assert created.status_code == 201, created.text
    release = created.json()["id"]
    uploaded = client.post(
        f"/api/v1/releases/{release}/evidence",
        files={"file": ("junit.xml", JUNIT_PASS.encode())},
        headers=_bearer(alice),
    )
    assert uploaded.status_code == 201, uploaded.text
    approved = client.post(f"/api/v1/releases/{release}/approvals", json={}, headers=_bearer(dana))
    assert approved.status_code == 201, approved.text

    chain = client.get(f"/api/v1/releases/{release}/ledger", headers=_bearer(dana)).json()
    added = next(e for e in chain if e["type"] == "evidence.added")
    assert added["data"]["submitted_by"]["subject"] == "alice"
    assert added["data"]["submitted_by"]["kind"] == "personal-token"
    approval = next(e for e in chain if e["type"].startswith("approval"))
    assert approval["data"]["authenticated"]["subject"] == "dana"
