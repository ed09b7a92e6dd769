"""A workspace with the example organisation, a token per role, and the API on it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from releasegate.api.app import create_app
from releasegate.api.auth import HashedTokenVerifier, Role, add_token
from releasegate.service.app import Application
from releasegate.settings import load_settings
from support import EXAMPLES, MANIFEST, Workspace

# Who holds each role in the tests; all are members of catalog groups.
IDENTITY_OF_ROLE = {
    Role.VIEWER: "hugo",
    Role.SUBMITTER: "alice",
    Role.APPROVER: "dana",
    Role.RELEASE_MANAGER: "erin",
    Role.ADMIN: "gita",
    Role.AUDITOR: "ines",
}


@dataclass
class Api:
    client: TestClient
    tokens: dict[Role, str]
    workspace: Workspace
    application: Application
    server: Any

    def headers(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def create_release(self, manifest: str = MANIFEST) -> str:
        response = self.client.post(
            "/api/v1/releases", json=yaml.safe_load(manifest), headers=self.headers(Role.SUBMITTER)
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


def make_workspace(root: Path) -> Workspace:
    shutil.copy2(EXAMPLES / "catalog.yaml", root / "catalog.yaml")
    shutil.copytree(EXAMPLES / "policies", root / "policies")
    workspace = Workspace(root)
    assert workspace.run("init").exit_code == 0
    return workspace


def issue_tokens(path: Path) -> dict[Role, str]:
    return {
        role: add_token(path, identity=who, roles=frozenset({role}), name=role.value)
        for role, who in IDENTITY_OF_ROLE.items()
    }


@pytest.fixture
def api(tmp_path: Path):
    workspace = make_workspace(tmp_path)
    tokens_file = tmp_path / ".releasegate" / "api-tokens.yaml"
    tokens = issue_tokens(tokens_file)
    application = Application(load_settings(home=tmp_path, environ={}))
    server = create_app(application, HashedTokenVerifier(tokens_file), max_upload_bytes=64 * 1024)
    with TestClient(server) as client:
        yield Api(client, tokens, workspace, application, server.app)
    application.close()
