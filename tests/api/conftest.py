"""A workspace with the example organisation, a token per role, and the API on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from http_support import issue_tokens, make_workspace
from support import MANIFEST, Workspace

from releasegate.api.app import create_app
from releasegate.api.auth import Role
from releasegate.api.identity_auth import IdentityTokenVerifier
from releasegate.service.app import Application
from releasegate.settings import load_settings


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


@pytest.fixture
def api(tmp_path: Path):
    workspace = make_workspace(tmp_path)
    tokens = issue_tokens(tmp_path)
    application = Application(load_settings(home=tmp_path, environ={}))
    server = create_app(
        application, IdentityTokenVerifier(application), max_upload_bytes=64 * 1024
    )
    with TestClient(server) as client:
        yield Api(client, tokens, workspace, application, server.app)
    application.close()
