"""`releasegate serve` as a real process: readiness, JSON log lines, worker processes."""

from __future__ import annotations

import json

import httpx
import pytest
from http_support import Server, make_workspace, person_token

from releasegate.api.auth import Role


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_answers_and_logs_json(tmp_path, workers):
    make_workspace(tmp_path)
    token = person_token(tmp_path, "ines", Role.AUDITOR)
    log = tmp_path / "server.log"
    server = Server(tmp_path, log, "--workers", workers)
    try:
        response = httpx.get(
            server.url + "/api/v1/whoami",
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "serve-check-1"},
        )
        assert response.status_code == 200
        assert response.json()["identity"] == "ines"
        assert response.headers["X-Request-ID"] == "serve-check-1"
    finally:
        server.stop()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("request_id") == "serve-check-1"]
    assert len(access) == 1
    assert access[0]["path"] == "/api/v1/whoami"
    assert access[0]["identity"] == "ines"
    assert access[0]["status"] == 200
