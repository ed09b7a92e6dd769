"""Helpers of the HTTP tests: a workspace, a token per role, a real server on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from support import EXAMPLES, Workspace, add_trust

from releasegate.api.auth import Role

# The identity with each role in the tests. All are members of catalog groups.
IDENTITY_OF_ROLE = {
    Role.VIEWER: "hugo",
    Role.SUBMITTER: "alice",
    Role.APPROVER: "dana",
    Role.RELEASE_MANAGER: "erin",
    Role.ADMIN: "gita",
    Role.AUDITOR: "ines",
}


def make_workspace(root: Path) -> Workspace:
    shutil.copy2(EXAMPLES / "catalog.yaml", root / "catalog.yaml")
    shutil.copytree(EXAMPLES / "policies", root / "policies")
    # Trust the folder's signing key, builder and registry, so that a release
    # with the integrity evidence of `support.attach_integrity` can be allowed.
    add_trust(root)
    (root / "identities.yaml").write_text(IDENTITIES, encoding="utf-8")
    workspace = Workspace(root)
    assert workspace.run("init").exit_code == 0
    return workspace


# The global roles behind the release-manager, admin and auditor API roles.
IDENTITIES = """\
apiVersion: releasegate/v1
kind: Identities
people:
  erin: {roles: [release_manager]}
  gita: {roles: [admin]}
  ines: {roles: [auditor]}
"""


def person_token(root: Path, who: str, *roles: Role, name: str | None = None) -> str:
    """Create a personal API token of `who` in the workspace, limited to `roles` when given."""
    from releasegate.identity.tokens import create_token
    from releasegate.service.app import Application
    from releasegate.settings import load_settings

    application = Application(load_settings(home=root, environ={}))
    try:
        _info, secret = create_token(
            application,
            owner=who,
            name=name or (roles[0].value if roles else who),
            expires_in=timedelta(days=1),
            created_by=who,
            roles=tuple(r.value for r in roles),
        )
    finally:
        application.close()
    return secret


def issue_tokens(root: Path) -> dict[Role, str]:
    """Create one token per API role, each limited to that role."""
    return {role: person_token(root, who, role) for role, who in IDENTITY_OF_ROLE.items()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, home: Path, log: Path, *options: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("RELEASEGATE_")}
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("releasegate")),
                "--home",
                str(home),
                "serve",
                "--port",
                str(self.port),
                *options,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {log.read_text()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not become ready: {log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def remote_cli(server: Server, token: str) -> Callable[..., Any]:
    """Return a function that runs the CLI against `server` with `token`, over HTTP."""
    from typer.testing import CliRunner

    from releasegate.cli.main import app

    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(
            app,
            list(args),
            env={"RELEASEGATE_URL": server.url, "RELEASEGATE_TOKEN": token},
            catch_exceptions=False,
        )

    return run
