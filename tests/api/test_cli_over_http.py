"""The CLI against a real server on loopback gives the same outputs as in process."""

from __future__ import annotations

import json

import pytest
from http_support import Server, make_workspace, person_token, remote_cli
from support import COMMIT, JUNIT_PASS, MANIFEST, SARIF_CLEAN, attach_integrity

from releasegate.api.auth import Role


@pytest.fixture
def served(tmp_path):
    workspace = make_workspace(tmp_path)
    tokens = {
        person: person_token(tmp_path, person, *roles, name=person)
        for person, roles in {
            "alice": (Role.SUBMITTER,),
            "bob": (Role.APPROVER,),
            "dana": (Role.APPROVER,),
            "erin": (Role.APPROVER,),
        }.items()
    }
    server = Server(tmp_path, tmp_path / "server.log")
    try:
        yield workspace, server, tokens
    finally:
        server.stop()


def test_cli_over_http_runs_the_release_to_allowed(served):
    workspace, server, tokens = served
    alice = remote_cli(server, tokens["alice"])
    manifest = workspace.write("release.yaml", MANIFEST)
    created = alice("release", "create", str(manifest), "--output", "json")
    assert created.exit_code == 0, created.output
    release = json.loads(created.stdout)["id"]
    attach_integrity(workspace, release)
    for name, text in (("junit.xml", JUNIT_PASS), ("scan.sarif", SARIF_CLEAN)):
        added = alice(
            "evidence", "add", release, str(workspace.write(name, text)), "--commit", COMMIT
        )
        assert added.exit_code == 0, added.output

    pending = alice("gate", release, "--output", "json")
    assert pending.exit_code == 3
    assert json.loads(pending.stdout)["outcome"] == "pending"

    for person in ("bob", "dana", "erin"):
        approved = remote_cli(server, tokens[person])("approve", release, "--as", person)
        assert approved.exit_code == 0, approved.output
        assert "approve recorded" in approved.output

    allowed = alice("gate", release, "--output", "json")
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["outcome"] == "allow"

    # The same read, in process and over HTTP, prints the same bytes.
    local = workspace.run("release", "show", release, "--output", "json")
    remote = alice("release", "show", release, "--output", "json")
    assert remote.exit_code == local.exit_code == 0
    assert remote.stdout == local.stdout
    local_list = workspace.run("release", "list", "--output", "json")
    assert alice("release", "list", "--output", "json").stdout == local_list.stdout


def test_cli_over_http_same_error(served):
    workspace, server, tokens = served
    local = workspace.run("gate", "rel-missing")
    remote = remote_cli(server, tokens["alice"])("gate", "rel-missing")
    assert local.exit_code == remote.exit_code == 2
    assert remote.output == local.output
    assert "release 'rel-missing' not found" in remote.output


def test_cli_over_http_identity_mismatch(served):
    workspace, server, tokens = served
    created = remote_cli(server, tokens["alice"])(
        "release", "create", str(workspace.write("release.yaml", MANIFEST)), "--output", "json"
    )
    release = json.loads(created.stdout)["id"]
    result = remote_cli(server, tokens["bob"])("approve", release, "--as", "dana")
    assert result.exit_code == 2
    assert "--as dana does not match the identity of RELEASEGATE_TOKEN (bob)" in " ".join(
        result.output.split()
    )
    assert workspace.json("release", "show", release)[1]["approvals"] == []


def test_cli_over_http_local_only_command(served):
    _workspace, server, tokens = served
    result = remote_cli(server, tokens["alice"])("ledger", "cosign", "--key", "witness.key")
    assert result.exit_code == 2
    assert "this command runs only in process" in result.output
    assert "but RELEASEGATE_URL is set" in " ".join(result.output.split())


def test_cli_over_http_missing_token(served):
    _workspace, server, _tokens = served
    result = remote_cli(server, "")("release", "list")
    assert result.exit_code == 2
    assert "RELEASEGATE_URL is set but RELEASEGATE_TOKEN is empty" in result.output
