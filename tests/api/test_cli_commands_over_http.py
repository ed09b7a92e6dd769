"""Ledger, audit, policy, identity, token, review and governance commands over HTTP.

Each command runs in process on the server's folder and through a real
`releasegate serve` on loopback. Reads must print the same bytes. Writes
create new ids and times, so only those fields are normalised.
"""

from __future__ import annotations

import json
import re

import pytest
from http_support import Server, make_workspace, person_token, remote_cli
from support import COMMIT, DR_TEST, JUNIT_PASS, MANIFEST, SARIF_CLEAN, attach_integrity
from typer.testing import CliRunner

from releasegate.api.auth import Role
from releasegate.cli.main import app

# A second admin, so that one admin's governance proposal can be decided by another.
EXTRA_IDENTITIES = "  farid: {roles: [admin]}\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    workspace = make_workspace(root)
    with (root / "identities.yaml").open("a", encoding="utf-8") as identities:
        identities.write(EXTRA_IDENTITIES)
    tokens = {
        "alice": person_token(root, "alice", Role.SUBMITTER),
        "dana": person_token(root, "dana", Role.APPROVER),
        "erin": person_token(root, "erin", Role.APPROVER),
        "bob": person_token(root, "bob", Role.APPROVER),
        "gita": person_token(root, "gita", name="admin"),
        "farid": person_token(root, "farid", name="admin"),
        "ines": person_token(root, "ines", Role.AUDITOR),
    }
    release = _allowed_release(workspace)
    # Without the token cache, so a revoked token is rejected_run at its next request.
    server = Server(root, root / "server.log", "--token-cache-seconds", "0")
    try:
        yield workspace, server, tokens, release
    finally:
        server.stop()


def _allowed_release(workspace) -> str:
    created = workspace.json("release", "create", str(workspace.write("r.yaml", MANIFEST)))[1]
    release = created["id"]
    attach_integrity(workspace, release)
    for name, text in (("junit.xml", JUNIT_PASS), ("scan.sarif", SARIF_CLEAN)):
        path = str(workspace.write(name, text))
        assert workspace.run("evidence", "add", release, path, "--commit", COMMIT).exit_code == 0
    for approver in ("bob", "dana", "erin"):
        assert workspace.run("approve", release, "--as", approver).exit_code == 0
    assert workspace.run("gate", release).exit_code == 0
    return str(release)


def _local(workspace, token: str | None = None):
    runner = CliRunner()

    def run(*args: str):
        options = ["--home", str(workspace.root)]
        return runner.invoke(
            app,
            [*options, *args],
            env={"RELEASEGATE_URL": "", "RELEASEGATE_TOKEN": token or ""},
            catch_exceptions=False,
        )

    return run


def _same(local, remote, *args: str) -> str:
    in_process = local(*args)
    over_http = remote(*args)
    assert over_http.exit_code == in_process.exit_code, (args, in_process.output, over_http.output)
    assert over_http.stdout == in_process.stdout, args
    return in_process.stdout


def _decision_of(workspace, release: str) -> dict:
    release_view = workspace.json("release", "show", release)[1]
    return release_view["decisions"][-1]


READS = [
    ("ledger", "verify", "--output", "json"),
    ("ledger", "verify"),
    ("ledger", "proof", "inclusion", "0", "--output", "json"),
    ("ledger", "proof", "inclusion", "3"),
    ("ledger", "proof", "consistency", "1", "5", "--output", "json"),
    ("ledger", "proof", "consistency", "2", "4"),
    ("ledger", "key", "show", "--output", "json"),
    ("controls", "list", "--output", "json"),
    ("controls", "list", "--framework", "dora"),
    ("controls", "list", "--service", "payments-api", "--output", "json"),
    ("controls", "show", "VUL-1", "--output", "json"),
    ("controls", "show", "VUL-1"),
    ("controls", "show", "XYZ-9"),
    ("policy", "check", "--output", "json"),
    ("policy", "check", "--service", "payments-api"),
    ("identity", "list", "--output", "json"),
    ("identity", "list"),
    ("identity", "show", "dana", "--service", "payments-api", "--output", "json"),
    ("identity", "show", "nobody"),
    ("review", "list", "--output", "json"),
    ("governance", "list"),
]


@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a))
def test_read_command_same_over_http(served, args):
    workspace, server, tokens, _release = served
    # gita's token has every role of a person plus admin, and ines's the auditor role.
    token = tokens["ines"] if args[:2] == ("ledger", "verify") else tokens["gita"]
    _same(_local(workspace), remote_cli(server, token), *args)


def test_release_reads_same_over_http(served):
    workspace, server, tokens, release = served
    local, remote = _local(workspace), remote_cli(server, tokens["ines"])
    chain = json.loads(_same(local, remote, "ledger", "show", release, "--output", "json"))
    assert [e["type"] for e in chain][:2] == ["release.created", "evidence.added"]
    _same(local, remote, "ledger", "show", release)
    decision = _decision_of(workspace, release)
    replay = json.loads(_same(local, remote, "decision", "replay", decision["id"], "-o", "json"))
    assert replay["same"] is True
    assert replay["recorded"] == "allow"
    _same(local, remote, "decision", "replay", decision["id"])


def test_policy_eval_same_over_http(served):
    workspace, server, tokens, release = served
    digest = workspace.json("gate", release)[1]["input_sha256"]
    blob = workspace.root / ".releasegate" / "blobs" / digest[:2] / digest
    local, remote = _local(workspace), remote_cli(server, tokens["alice"])
    evaluated = json.loads(
        _same(local, remote, "policy", "eval", "--input", str(blob), "--output", "json")
    )
    assert evaluated["outcome"] == "allow"
    _same(local, remote, "policy", "eval", "--input", str(blob))
    bad = workspace.write("not-input.json", "[1, 2]")
    _same(local, remote, "policy", "eval", "--input", str(bad))


def test_checkpoint_same_over_http(served):
    workspace, server, tokens, _release = served
    local, remote = _local(workspace), remote_cli(server, tokens["ines"])
    # The second call finds the newest checkpoint covering the tree and returns it.
    first = json.loads(local("ledger", "checkpoint", "--output", "json").stdout)
    again = _same(local, remote, "ledger", "checkpoint", "--output", "json")
    assert json.loads(again)["tree_size"] == first["tree_size"]
    saved = workspace.root / "kept.note"
    result = remote("ledger", "checkpoint", "--save", str(saved))
    assert result.exit_code == 0, result.output
    assert saved.read_text() == first["note"]


def test_whoami_same_over_http(served):
    workspace, server, tokens, _release = served
    token = tokens["dana"]
    local = _local(workspace, token)("identity", "whoami", "--output", "json")
    remote = remote_cli(server, token)("identity", "whoami", "--output", "json")
    assert remote.exit_code == local.exit_code == 0
    assert remote.stdout == local.stdout
    record = json.loads(remote.stdout)
    assert record["subject"] == "dana"
    assert record["kind"] == "personal-token"
    assert record["token_roles"] == ["approver"]


def test_audit_export_downloads_a_verifiable_bundle(served):
    workspace, server, tokens, release = served
    local, remote = _local(workspace), remote_cli(server, tokens["ines"])
    mine = workspace.root / "local.zip"
    theirs = workspace.root / "downloaded" / "remote.zip"
    local_result = local("audit", "export", release, "--out", str(mine), "--output", "json")
    remote_result = remote("audit", "export", release, "--out", str(theirs), "--output", "json")
    assert local_result.exit_code == remote_result.exit_code == 0, remote_result.output
    local_summary = json.loads(local_result.stdout)
    remote_summary = json.loads(remote_result.stdout)
    assert remote_summary.pop("bundle") == str(theirs)
    assert local_summary.pop("bundle") == str(mine)
    assert remote_summary == local_summary
    assert remote_summary["release_id"] == release
    assert not list(theirs.parent.glob("*.part"))

    key = workspace.root / ".releasegate" / "ledger" / "log.pub"
    verified = local("audit", "verify", str(theirs), "--key", str(key), "--output", "json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["ok"] is True

    missing = _same(local, remote, "audit", "export", "rel-missing", "--out", str(mine))
    assert missing == ""


def _without_ids(text: str) -> str:
    text = re.sub(r"\b(tok|gov|rev)-[0-9A-Za-z]+", r"\1-ID", text)
    text = re.sub(r"rgp_[0-9A-Za-z_-]+", "rgp_SECRET", text)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)", "TIME", text)


def test_token_commands_same_over_http(served):
    workspace, server, tokens, _release = served
    local, remote = _local(workspace), remote_cli(server, tokens["gita"])
    args = ("token", "create", "--name", "dashboard", "--for", "hugo", "--role", "viewer")
    in_process = local(*args, "--as", "gita", "--output", "json")
    over_http = remote(*args, "--output", "json")
    assert in_process.exit_code == over_http.exit_code == 0, over_http.output
    assert _without_ids(over_http.stdout) == _without_ids(in_process.stdout)
    created = json.loads(over_http.stdout)
    assert created["roles"] == ["viewer"]
    assert created["person"] == "hugo"

    # The new secret authenticates, with the viewer role only.
    whoami = remote_cli(server, created["token"])("identity", "whoami", "--output", "json")
    assert json.loads(whoami.stdout)["token_roles"] == ["viewer"]

    listed = _same(local, remote, "token", "list", "--person", "hugo", "--output", "json")
    assert len(json.loads(listed)) == 2

    first = json.loads(in_process.stdout)["id"]
    revoked_here = local("token", "revoke", first, "--as", "gita")
    revoked_there = remote("token", "revoke", created["id"])
    assert revoked_here.exit_code == revoked_there.exit_code == 0
    assert _without_ids(revoked_there.stdout) == _without_ids(revoked_here.stdout)
    assert revoked_there.stdout.strip() == f"token {created['id']} of hugo revoked"
    rejected_run = remote_cli(server, created["token"])("release", "list")
    assert rejected_run.exit_code == 2
    assert "was revoked" in rejected_run.output

    # Revoking again is a conflict with the same message either way.
    assert _without_ids(local("token", "revoke", first, "--as", "gita").output) == _without_ids(
        remote("token", "revoke", created["id"]).output
    )


def test_token_commands_need_the_admin_role_over_http(served):
    _workspace, server, tokens, _release = served
    result = remote_cli(server, tokens["dana"])("token", "list")
    assert result.exit_code == 2
    assert "dana has role(s) approver; this action needs one of: admin" in " ".join(
        result.output.split()
    )


def test_governance_commands_same_over_http(served):
    workspace, server, tokens, _release = served
    local = _local(workspace)
    gita, farid = remote_cli(server, tokens["gita"]), remote_cli(server, tokens["farid"])
    params = workspace.root / "policies" / "enterprise" / "data.yaml"
    assert params.is_file()
    target = "policies/enterprise/data.yaml"
    proposed = workspace.write("proposed.yaml", params.read_text() + "# reviewed\n")
    args = ("governance", "propose", target, "--file", str(proposed), "--reason", "annotate")
    in_process = local(*args, "--as", "gita", "--output", "json")
    over_http = gita(*args, "--output", "json")
    assert in_process.exit_code == over_http.exit_code == 0, over_http.output
    assert _without_ids(over_http.stdout) == _without_ids(in_process.stdout)
    proposal = json.loads(over_http.stdout)
    assert proposal["proposer"] == "gita"
    assert proposal["diff"].endswith("+# reviewed\n")

    # The proposer may not decide; the message is the same as in process.
    own_local = local("governance", "approve", json.loads(in_process.stdout)["id"], "--as", "gita")
    own_remote = gita("governance", "approve", proposal["id"])
    assert own_local.exit_code == own_remote.exit_code == 2
    assert _without_ids(own_remote.output) == _without_ids(own_local.output)

    rejected = farid("governance", "reject", proposal["id"])
    assert rejected.exit_code == 0, rejected.output
    assert rejected.stdout.strip() == f"proposal {proposal['id']} rejected by farid"
    _same(local, gita, "governance", "list", "--output", "json")
    _same(local, gita, "governance", "list", "--status", "rejected")

    absolute = gita("governance", "propose", str(params), "--file", str(proposed), "--reason", "x")
    assert absolute.exit_code == 2
    assert "is an absolute path" in absolute.output


def test_review_complete_same_error_over_http(served):
    workspace, server, tokens, _release = served
    local, remote = _local(workspace), remote_cli(server, tokens["dana"])
    in_process = local("review", "complete", "rev-missing", "--findings", "none", "--as", "dana")
    over_http = remote("review", "complete", "rev-missing", "--findings", "none")
    assert in_process.exit_code == over_http.exit_code == 2
    assert over_http.output == in_process.output


def test_key_rotate_over_http(served):
    workspace, server, tokens, _release = served
    before = json.loads(_local(workspace)("ledger", "key", "show", "--output", "json").stdout)
    rotated = remote_cli(server, tokens["gita"])(
        "ledger", "key", "rotate", "--reason", "yearly", "--output", "json"
    )
    assert rotated.exit_code == 0, rotated.output
    after = json.loads(rotated.stdout)
    assert after["key_id"] != before["key_id"]
    assert sorted(after["key_history"]) == sorted([*before["key_history"], after["key_id"]])
    _same(_local(workspace), remote_cli(server, tokens["ines"]), "ledger", "key", "show")


def test_file_options_rejected_over_http(served):
    workspace, server, tokens, _release = served
    remote = remote_cli(server, tokens["ines"])
    note = workspace.write("old.note", "not a checkpoint\n")
    for args in (
        ("ledger", "verify", "--checkpoint", str(note)),
        ("ledger", "proof", "inclusion", "0", "--checkpoint", str(note)),
    ):
        result = remote(*args)
        assert result.exit_code == 2
        assert "--checkpoint applies only in process" in " ".join(result.output.split())
    consistency = remote("ledger", "proof", "consistency", str(note), "4")
    assert consistency.exit_code == 2
    assert "over HTTP the proof takes sizes only" in " ".join(consistency.output.split())


def test_local_commands_name_their_reason_over_http(served):
    workspace, server, tokens, _release = served
    key = workspace.write("witness.key", "not a key\n")
    result = remote_cli(server, tokens["ines"])("ledger", "cosign", "--key", str(key))
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "this command runs only in process (the witness signs with its private key" in text


def test_http_client_exception_register(served):
    from datetime import timedelta

    from releasegate.client.http import HttpClient

    workspace, server, tokens, release = served
    alice = HttpClient(server.url, tokens["alice"])
    dana = HttpClient(server.url, tokens["dana"])
    common = {
        "requester": "alice",
        "justification": "scanner false positive",
        "release_id": release,
        "service": None,
        "finding": None,
        "compensating_controls": ("WAF rule 942100",),
    }
    soon = alice.request_exception(control_id="VUL-1", expires_in=timedelta(hours=2), **common)
    later = alice.request_exception(control_id="VUL-2", expires_in=timedelta(days=30), **common)
    waiting = alice.request_exception(control_id="TST-1", expires_in=timedelta(days=3), **common)
    dana.decide_exception(soon.id, approver="dana", approve=True)
    dana.decide_exception(later.id, approver="dana", approve=True)

    register = alice.exception_register(service=None, state=None, expiring_within=timedelta(days=1))
    states = {e.exception.id: (e.state, e.expiring_soon) for e in register}
    assert states[soon.id] == ("active", True)
    assert states[later.id] == ("active", False)
    assert states[waiting.id] == ("requested", False)
    assert {e.exception.approver for e in register if e.state == "active"} == {"dana"}

    requested = alice.exception_register(
        service="payments-api", state="requested", expiring_within=timedelta(days=1)
    )
    assert [e.exception.id for e in requested] == [waiting.id]
    assert (
        alice.exception_register(
            service="ledger-api", state=None, expiring_within=timedelta(days=1)
        )
        == []
    )

    # The register prints the same as in process.
    _same(_local(workspace), remote_cli(server, tokens["alice"]), "exception", "list", "-o", "json")


def _any_ids(text: str) -> str:
    return _without_ids(re.sub(r"\b([a-z]{2,4})-[0-9a-hjkmnp-tv-z]{26}\b", r"\1-ID", text))


def _approved_release(workspace) -> str:
    created = workspace.json("release", "create", str(workspace.write("r.yaml", MANIFEST)))[1]
    assert workspace.run("approve", created["id"], "--as", "dana").exit_code == 0
    return str(created["id"])


def test_release_records_same_over_http(served):
    """New revisions, approval history and attestations: one use case, either transport."""
    workspace, server, tokens, _release = served
    local, remote = _local(workspace), remote_cli(server, tokens["alice"])
    local_id, remote_id = _approved_release(workspace), _approved_release(workspace)
    revision = workspace.write("revision.yaml", MANIFEST.replace(COMMIT, "c" * 40))

    def both(*args: str, acting: bool = True) -> tuple[str, str]:
        # In process --as names the identity. Over HTTP the token's identity (alice) acts.
        in_process = local(
            *[local_id if a == "REL" else a for a in args], *(["--as", "alice"] * acting)
        )
        over_http = remote(*[remote_id if a == "REL" else a for a in args])
        assert in_process.exit_code == over_http.exit_code, (args, over_http.output)
        assert _any_ids(over_http.output) == _any_ids(in_process.output), args
        return in_process.output, over_http.stdout

    _, updated = both("release", "update", "REL", str(revision), "--output", "json")
    assert json.loads(updated)["source_commit"] == "c" * 40
    _, history = both("release", "approvals", "REL", "--output", "json", acting=False)
    (approval,) = json.loads(history)
    assert (approval["approver"], approval["state"]) == ("dana", "lapsed")
    # The table wraps the ids, which differ, so only the JSON above is compared field by field.
    listing = remote("release", "approvals", remote_id)
    assert listing.exit_code == 0
    assert "lapsed" in listing.stdout
    _, deployment = both(
        "evidence", "deployment", "REL", "--env", "staging", "--detail", "run 7", "-o", "json"
    )
    assert json.loads(deployment)["identity"] == "alice"
    assert json.loads(deployment)["name"] == "deploy-staging"
    _, control = both("evidence", "control", "REL", "enhanced_monitoring")
    assert "compensating control recorded for" in " ".join(control.split())
    chain = workspace.json("ledger", "show", remote_id)[1]
    assert [e["type"] for e in chain][-3:] == [
        "release.updated",
        "deployment.recorded",
        "compensating-control.recorded",
    ]

    # A mistake in the manifest names the file, as in process.
    other = workspace.write("other.yaml", MANIFEST.replace("payments-api", "ledger-core", 1))
    message, _ = both("release", "update", "REL", str(other))
    assert f"{other}: service: release" in " ".join(message.split())


def test_dr_test_same_over_http(served):
    workspace, server, tokens, _release = served
    local, remote = _local(workspace), remote_cli(server, tokens["alice"])
    for name, document in (
        ("dr.json", DR_TEST),
        ("dr-unknown.json", DR_TEST | {"service": "nowhere"}),
        ("dr-short.json", {k: v for k, v in DR_TEST.items() if k != "date"}),
    ):
        path = str(workspace.write(name, json.dumps(document)))
        in_process = local("rollout", "dr-test", path, "--output", "json")
        over_http = remote("rollout", "dr-test", path, "--output", "json")
        assert in_process.exit_code == over_http.exit_code, (name, over_http.output)
        assert _any_ids(over_http.stdout) == _any_ids(in_process.stdout), name
        assert _any_ids(over_http.output) == _any_ids(in_process.output), name
    unknown = remote("rollout", "dr-test", str(workspace.root / "dr-unknown.json"))
    assert unknown.exit_code == 2
    assert "dr-unknown.json: service: service 'nowhere' is not in the catalog" in " ".join(
        unknown.output.split()
    )
    accepted = remote("rollout", "dr-test", str(workspace.root / "dr.json"), "-o", "json")
    accepted = json.loads(accepted.stdout)
    assert accepted["recovery_time_minutes"] == 22
    assert accepted["id"].startswith("drt-")
