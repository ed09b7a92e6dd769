"""`releasegate ledger` and `releasegate audit` end to end, in process, on a real SQLite file."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import support
from typer.testing import CliRunner

from releasegate.cli.main import app
from releasegate.ledger.audit import main as verifier_main
from releasegate.ledger.report import NO_DEPLOYMENTS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
COMMIT = "a" * 40
MANIFEST = f"""
service: payments-api
version: "2.4.0"
description: Settlement batch rounding
change_type: normal
ticket: CHG-1
source_commit: "{COMMIT}"
pull_request: https://git.example.com/payments/payments-api/pull/1
artifacts:
  - name: payments-api
    digest: "sha256:{"b" * 64}"
authors: [alice]
requester: alice
"""
JUNIT = """<?xml version="1.0"?>
<testsuite name="payments" tests="2">
  <testcase classname="t" name="a"/><testcase classname="t" name="b"/>
</testsuite>"""


class Workspace(support.Workspace):
    """A working folder with the log's public key."""

    @property
    def log_key(self) -> Path:
        return self.root / ".releasegate" / "ledger" / "log.pub"


@pytest.fixture
def ws(tmp_path, database_url) -> Workspace:
    shutil.copy2(EXAMPLES / "catalog.yaml", tmp_path / "catalog.yaml")
    shutil.copytree(EXAMPLES / "policies", tmp_path / "policies")
    workspace = Workspace(tmp_path, database_url)
    result = workspace.run("init")
    assert result.exit_code == 0, result.output
    return workspace


def make_release(ws: Workspace, *, decide: bool = True) -> str:
    """Create a release with evidence; with `decide`, also approvals and a gate decision."""
    result, body = ws.json("release", "create", str(ws.write("release.yaml", MANIFEST)))
    assert result.exit_code == 0, result.output
    release = body["id"]
    attach = ws.run(
        "evidence", "add", release, str(ws.write("junit.xml", JUNIT)), "--commit", COMMIT
    )
    assert attach.exit_code == 0, attach.output
    if not decide:
        return release
    for approver in ("bob", "dana"):
        assert ws.run("approve", release, "--as", approver).exit_code == 0
    gate = ws.run("gate", release, "--env", "production")
    assert gate.exit_code in (0, 1, 3), gate.output
    return release


def export(ws: Workspace, release: str) -> Path:
    bundle = ws.root / "bundle.zip"
    result, summary = ws.json("audit", "export", release, "-o", str(bundle))
    assert result.exit_code == 0, result.output
    assert summary["release_id"] == release
    return bundle


def rewrite(bundle: Path, target: Path, change) -> None:
    """Copy `bundle` to `target`, passing every member's (name, bytes) through `change`."""
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            changed = change(info.filename, source.read(info))
            if changed is not None:
                out.writestr(changed[0], changed[1])


def verify_offline(bundle: Path, *keys: Path) -> tuple[int, dict]:
    output = io.StringIO()
    arguments = ["verify", str(bundle), "--json"]
    for key in keys:
        arguments += ["--key", str(key)]
    import contextlib

    with contextlib.redirect_stdout(output):
        code = verifier_main(arguments)
    return code, json.loads(output.getvalue())


# ledger commands


def test_init_creates_private_key_readable_by_owner_only(ws):
    key = ws.root / ".releasegate" / "ledger" / "log.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert ws.log_key.read_text().count("+") >= 2
    _, status = ws.json("ledger", "key", "show")
    assert status["key_history"] == [status["key_id"]]


def test_init_twice_keeps_key(ws):
    before = ws.log_key.read_text()
    assert ws.run("init").exit_code == 0
    assert ws.log_key.read_text() == before


def test_init_refuses_key_without_ledger(ws, tmp_path):
    ws.drop_database()
    result = ws.run("init")
    assert result.exit_code == 2
    assert "exists, but the ledger has no signed checkpoint" in result.output


def test_init_uses_origin_setting(tmp_path):
    shutil.copy2(EXAMPLES / "catalog.yaml", tmp_path / "catalog.yaml")
    (tmp_path / "releasegate.toml").write_text('ledger_origin = "bank.example/releasegate"\n')
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "init", "--output", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ledger_origin"] == "bank.example/releasegate"


def test_ledger_verify_reports_checkpoint(ws):
    make_release(ws, decide=False)
    result, report = ws.json("ledger", "verify")
    assert result.exit_code == 0, result.output
    assert report["ok"] is True
    assert report["checkpoint"]["tree_size"] == report["entries"]
    assert report["checkpoint"]["log_keys"] == [ws.json("ledger", "key", "show")[1]["key_id"]]


def test_ledger_proofs_verify(ws):
    make_release(ws, decide=False)
    saved = ws.root / "old.note"
    result, old = ws.json("ledger", "checkpoint", "--save", str(saved))
    assert result.exit_code == 0
    assert saved.read_text() == old["note"]
    make_release(ws, decide=False)

    result, proof = ws.json("ledger", "proof", "inclusion", "1", "--checkpoint", str(saved))
    assert result.exit_code == 0, result.output
    assert proof["tree_size"] == old["tree_size"]
    assert proof["verified"] is True

    _, newest = ws.json("ledger", "checkpoint")
    result, consistency = ws.json(
        "ledger", "proof", "consistency", str(saved), str(newest["tree_size"])
    )
    assert result.exit_code == 0, result.output
    assert consistency["old"]["root_hash"] == old["root_hash"]
    assert consistency["new"]["root_hash"] == newest["root_hash"]


def test_ledger_proof_inclusion_outside_checkpoint(ws):
    result = ws.run("ledger", "proof", "inclusion", "99")
    assert result.exit_code == 2
    assert "ENTRY: entry 99 is not in the checkpoint, which covers entries 0 to 0" in result.output


def test_ledger_verify_detects_truncation_with_kept_checkpoint(ws):
    make_release(ws, decide=False)
    saved = ws.root / "kept.note"
    assert ws.run("ledger", "checkpoint", "--save", str(saved)).exit_code == 0
    ws.sql("delete from ledger_entries where seq >= 2")
    result, report = ws.json("ledger", "verify", "--checkpoint", str(saved))
    assert result.exit_code == 1
    assert any(p.endswith("the log was truncated") for p in report["problems"])


def test_ledger_verify_rejects_forged_checkpoint_file(ws):
    make_release(ws, decide=False)
    saved = ws.root / "kept.note"
    assert ws.run("ledger", "checkpoint", "--save", str(saved)).exit_code == 0
    lines = saved.read_text().split("\n")
    lines[1] = str(int(lines[1]) + 1)
    saved.write_text("\n".join(lines))
    result = ws.run("ledger", "verify", "--checkpoint", str(saved))
    assert result.exit_code == 1
    assert "does not verify" in result.output


def test_key_rotation_keeps_old_checkpoints_valid(ws):
    make_release(ws, decide=False)
    old = ws.root / "old.note"
    assert ws.run("ledger", "checkpoint", "--save", str(old)).exit_code == 0
    _, before = ws.json("ledger", "key", "show")
    result, after = ws.json("ledger", "key", "rotate", "--reason", "annual rotation")
    assert result.exit_code == 0, result.output
    assert after["key_id"] != before["key_id"]
    assert after["origin"] == before["origin"]
    assert sorted(after["key_history"]) == sorted([before["key_id"], after["key_id"]])

    result, report = ws.json("ledger", "verify", "--checkpoint", str(old))
    assert result.exit_code == 0, report
    assert sorted(report["checkpoint"]["log_keys"]) == sorted([before["key_id"], after["key_id"]])
    types = [t for (t,) in ws.query("select entry_type from ledger_entries order by seq")]
    assert types[0] == "ledger.key.created"
    assert types[-1] == "ledger.key.rotated"


def test_witness_cosigns_checkpoint(ws):
    make_release(ws, decide=False)
    result, witness = ws.json(
        "ledger", "key", "create-witness", "audit.example/witness", "--dir", str(ws.root)
    )
    assert result.exit_code == 0, result.output
    assert Path(witness["private_key_file"]).stat().st_mode & 0o777 == 0o600
    result, cosigned = ws.json("ledger", "cosign", "--key", witness["private_key_file"])
    assert result.exit_code == 0, result.output
    assert cosigned["previous_tree_size"] is None
    signature_lines = cosigned["note"].split("\n\n")[1].splitlines()
    assert len(signature_lines) == 2
    assert signature_lines[1].startswith("\u2014 audit.example/witness ")

    make_release(ws, decide=False)
    result, second = ws.json("ledger", "cosign", "--key", witness["private_key_file"])
    assert result.exit_code == 0, result.output
    assert second["previous_tree_size"] == cosigned["tree_size"]


def test_cosign_rejects_log_key_and_open_permissions(ws):
    result = ws.run(
        "ledger", "cosign", "--key", str(ws.root / ".releasegate" / "ledger" / "log.key")
    )
    assert result.exit_code == 2
    assert "but a witness key has type 0x04" in result.output
    _, witness = ws.json("ledger", "key", "create-witness", "w.example/one", "--dir", str(ws.root))
    Path(witness["private_key_file"]).chmod(0o644)
    result = ws.run("ledger", "cosign", "--key", witness["private_key_file"])
    assert result.exit_code == 2
    assert "is readable by other users (mode 0644)" in result.output


# audit bundles


def test_audit_bundle_verifies(ws):
    release = make_release(ws)
    bundle = export(ws, release)

    result, report = ws.json("audit", "verify", str(bundle), "--key", str(ws.log_key))
    assert result.exit_code == 0, report
    assert report["ok"] is True
    assert report["release_id"] == release
    assert report["key_source"] == "--key"
    assert report["entries"][0] == 0  # the log key's creation
    assert report["policy_files"] > 0
    assert {c["check"] for c in report["checks"]} >= {
        "archive",
        "manifest signature",
        "file digest",
        "bundle index",
        "checkpoint signature",
        "inclusion proof",
        "blob reference",
        "decision record",
        "policy revision",
    }

    code, offline = verify_offline(bundle, ws.log_key)
    assert code == 0
    assert offline["checks"] == report["checks"]


def test_audit_bundle_report_sections(ws):
    release = make_release(ws)
    bundle = export(ws, release)
    with zipfile.ZipFile(bundle) as archive:
        markdown = archive.read("report.md").decode()
        page = archive.read("report.html").decode()
    assert markdown.startswith(f"# Audit report: release {release}\n")
    for heading in (
        "## Timeline",
        "## Controls for production",
        "## Approvals",
        "## Exceptions",
        "## Deployments",
    ):
        assert heading in markdown
    assert NO_DEPLOYMENTS in markdown
    assert "| evidence added |" in markdown
    assert "SOX" in markdown or "PCI" in markdown or "ISO" in markdown
    assert "<h2>Deployments</h2>" in page
    assert "<script" not in page


def test_audit_bundle_every_file_edit_detected(ws, tmp_path):
    bundle = export(ws, make_release(ws))
    with zipfile.ZipFile(bundle) as archive:
        names = [info.filename for info in archive.infolist()]
    assert len(names) > 20
    for name in names:
        edited = tmp_path / "edited.zip"

        def flip(member: str, data: bytes, target: str = name):
            if member != target:
                return member, data
            position = len(data) // 2
            return member, data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]

        rewrite(bundle, edited, flip)
        code, report = verify_offline(edited, ws.log_key)
        failed = [c for c in report["checks"] if not c["ok"]]
        assert code == 1, f"an edit of {name} went unnoticed"
        assert failed[0]["file"] == name, (name, failed[0])


def test_audit_bundle_removed_and_added_files_detected(ws, tmp_path):
    bundle = export(ws, make_release(ws))
    removed = tmp_path / "removed.zip"
    rewrite(bundle, removed, lambda m, d: None if m == "report.md" else (m, d))
    code, report = verify_offline(removed, ws.log_key)
    assert code == 1
    assert {
        "check": "file present",
        "file": "report.md",
        "ok": False,
        "detail": "the manifest lists this file, but it is missing",
    } in report["checks"]

    added = tmp_path / "added.zip"
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(added, "w") as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info))
        out.writestr("blobs/" + "0" * 64, b"extra")
    code, report = verify_offline(added, ws.log_key)
    assert code == 1
    assert any(
        c["file"] == "blobs/" + "0" * 64 and c["check"] == "file listed" for c in report["checks"]
    )


def test_audit_bundle_rejects_other_log_key(ws, tmp_path):
    bundle = export(ws, make_release(ws))
    other = tmp_path / "other"
    shutil.copy2(EXAMPLES / "catalog.yaml", other.mkdir() or other / "catalog.yaml")
    other_database = f"sqlite:///{other / 'releasegate.db'}"
    result = CliRunner().invoke(
        app, ["--home", str(other), "--database-url", other_database, "init"]
    )
    assert result.exit_code == 0, result.output
    code, report = verify_offline(bundle, other / ".releasegate" / "ledger" / "log.pub")
    assert code == 1
    manifest = next(c for c in report["checks"] if c["file"] == "manifest.note")
    assert manifest["check"] == "manifest signature"
    assert manifest["detail"].startswith("manifest.note: no signature of a known key")


def test_audit_bundle_with_witness(ws, tmp_path):
    release = make_release(ws)
    _, witness = ws.json(
        "ledger", "key", "create-witness", "audit.example/witness", "--dir", str(ws.root)
    )
    assert ws.run("ledger", "cosign", "--key", witness["private_key_file"]).exit_code == 0
    bundle = export(ws, release)
    result, report = ws.json(
        "audit",
        "verify",
        str(bundle),
        "--key",
        str(ws.log_key),
        "--witness-key",
        witness["public_key_file"],
    )
    assert result.exit_code == 0, report
    assert report["witnesses"] == ["audit.example/witness"]

    _, stranger = ws.json(
        "ledger", "key", "create-witness", "other.example/witness", "--dir", str(tmp_path)
    )
    result, report = ws.json(
        "audit", "verify", str(bundle), "--witness-key", stranger["public_key_file"]
    )
    assert result.exit_code == 1
    assert any(
        c["check"] == "witness cosignature"
        and "other.example/witness" in c["detail"]
        and not c["ok"]
        for c in report["checks"]
    )


def test_audit_verify_not_a_zip(ws):
    path = ws.write("not-a-bundle.zip", "hello")
    result = ws.run("audit", "verify", str(path))
    assert result.exit_code == 2
    assert "is not a readable zip file" in result.output
    assert "Traceback" not in result.output


def test_audit_export_unknown_release(ws):
    result = ws.run("audit", "export", "rel-missing", "-o", str(ws.root / "x.zip"))
    assert result.exit_code == 2
    assert "release 'rel-missing' not found" in result.output
    assert not (ws.root / "x.zip").exists()


def test_audit_verify_without_trusted_key_fails(ws):
    bundle = export(ws, make_release(ws))
    result = ws.run("audit", "verify", str(bundle))
    assert result.exit_code == 1
    assert "no trusted log key given" in result.output
    trusted = ws.run("audit", "verify", str(bundle), "--insecure-trust-bundle-key")
    assert trusted.exit_code == 0
    assert "trusting the bundle's own log key" in trusted.output


def test_audit_export_after_calendar_decision(ws):
    shutil.copy2(EXAMPLES / "calendars.yaml", ws.root / "calendars.yaml")
    release = make_release(ws)
    bundle = export(ws, release)
    result, report = ws.json("audit", "verify", str(bundle), "--key", str(ws.log_key))
    assert result.exit_code == 0, report
    assert report["ok"] is True
