"""Integrity evidence through the CLI: inspect, secret scans, commit checks and the gate."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from support import (
    COMMIT,
    DIGEST,
    JUNIT_PASS,
    SARIF_CLEAN,
    approve_all,
    attach,
    control,
    create,
)

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
SECRET = "AKIAIOSFODNN7EXAMPLE"


def corpus_file(folder: str, name: str) -> Path:
    path = CORPUS / folder / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} is absent; the shared corpus is not checked out here")
    return path


def gate(ws, release: str) -> dict:
    approve_all(ws, release)
    result, decision = ws.json("gate", release)
    assert result.exit_code in (0, 1), result.output
    return decision


def ready_release(ws) -> str:
    release = create(ws)
    attach(ws, release, "junit.xml", JUNIT_PASS)
    attach(ws, release, "scan.sarif", SARIF_CLEAN)
    return release


def test_inspect_trivy_json(ws):
    path = corpus_file("vuln", "trivy__alpine-310.json.golden")
    result, body = ws.json("evidence", "inspect", str(path))
    assert result.exit_code == 0, result.output
    assert (body["format"], body["kind"]) == ("trivy", "scan")
    assert body["summary"]["severity_medium"] == 4
    assert body["summary"]["fix_available"] == 4
    assert len(body["facts"]["findings"]) == 4


def test_inspect_failed_bundle_exit_1(ws):
    bundle = corpus_file("vectors", "sigconf__rekor2-dsse-mismatch-sig_fail__bundle.sigstore.json")
    root = corpus_file("vectors", "sigconf__rekor2-dsse-happy-path__trusted_root.json")
    result = ws.run("evidence", "inspect", str(bundle), "--trusted-root", str(root))
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "digest binding │ FAIL" in text or "digest binding FAIL" in text.replace("│", "")


def test_inspect_unreadable_file_exit_2(ws):
    result = ws.run("evidence", "inspect", str(ws.write("x.json", '{"hello": 1}')))
    assert result.exit_code == 2
    assert "unrecognized evidence format" in result.output


def test_scan_secrets_cli_never_prints_secret(ws):
    folder = ws.root / "src"
    folder.mkdir()
    (folder / "settings.py").write_text(f'aws_key = "{SECRET}"\n')
    report = ws.root / "detect-secrets-report.json"
    result = ws.run("scan", "secrets", str(folder), "--report", str(report))
    assert result.exit_code == 1
    assert "settings.py" in result.output
    assert SECRET not in result.output
    assert SECRET not in report.read_text()

    release = ready_release(ws)
    added = ws.run("evidence", "add", release, str(report), "--commit", COMMIT)
    assert added.exit_code == 0, added.output
    decision = gate(ws, release)
    sec = control(decision, "SEC-1")
    assert sec["outcome"] == "fail"
    (message,) = [v["msg"] for v in sec["violations"]]
    # The tool name carries the installed detect-secrets version.
    assert message.startswith("detect-secrets ")
    assert message.endswith(
        " found a secret (rule AWS Access Key) at settings.py:1; rotate the "
        "credential, remove it from the code and its history, and scan again"
    )
    assert decision["outcome"] == "deny"


def test_gate_allows_complete_release(ws):
    decision = gate(ws, ready_release(ws))
    assert decision["outcome"] == "allow"
    for control_id in ("SRC-1", "SRC-2", "ART-1", "ART-2", "ART-3", "TST-2", "SEC-1"):
        assert control(decision, control_id)["outcome"] == "pass", control_id


def test_gate_denies_gitleaks_finding(ws):
    release = ready_release(ws)
    leak = [
        {
            "RuleID": "aws-access-token",
            "File": "config.py",
            "StartLine": 3,
            "Commit": COMMIT,
            "Secret": SECRET,
            "Fingerprint": f"{COMMIT}:config.py:aws:3",
        }
    ]
    attach(ws, release, "gitleaks.json", json.dumps(leak))
    decision = gate(ws, release)
    sec = control(decision, "SEC-1")
    assert sec["outcome"] == "fail"
    assert sec["violations"][0]["key"] == f"{COMMIT}:config.py:aws:3"
    assert SECRET not in json.dumps(decision)


def test_gate_denies_signature_by_untrusted_key(ws):
    release = create(ws, integrity=False)
    other = ed25519.Ed25519PrivateKey.generate()
    document = {
        "_type": "https://releasegate.dev/signature/v1",
        "digest": DIGEST,
        "signature": base64.b64encode(other.sign(DIGEST.encode())).decode(),
    }
    result = ws.run(
        "evidence",
        "add",
        release,
        str(ws.write("sig.json", json.dumps(document))),
        "--key",
        str(ws.root / "signing.pub.pem"),
    )
    assert result.exit_code == 0, result.output
    decision = gate(ws, release)
    messages = [v["msg"] for v in control(decision, "ART-1")["violations"]]
    assert len(messages) == 1
    assert "does not verify" in messages[0]
    assert "key signature failed (verifies over" in messages[0]


def test_gate_denies_provenance_of_other_commit(ws):
    from support import signed_provenance

    release = create(ws, integrity=False)
    envelope = signed_provenance(
        ws.root, [DIGEST], "f" * 40, "https://git.example.com/payments/payments-api"
    )
    result, added = ws.json(
        "evidence",
        "add",
        release,
        str(ws.write("prov.json", envelope)),
        "--key",
        str(ws.root / "signing.pub.pem"),
    )
    assert result.exit_code == 0, result.output
    decision = gate(ws, release)
    messages = [v["msg"] for v in control(decision, "ART-2")["violations"]]
    assert messages == [
        f"provenance {added['id']} of artifact payments-api ({DIGEST}) names "
        f"source commit {'f' * 40}, not the release's source commit {COMMIT}; build from "
        "the release's source commit"
    ]


def test_gate_vul_1_trivy_critical_with_fix(ws):
    release = ready_release(ws)
    report = {
        "SchemaVersion": 2,
        "CreatedAt": "2026-12-04T10:00:00Z",
        "ArtifactName": "app",
        "Results": [
            {
                "Target": "app",
                "Vulnerabilities": [
                    {
                        "VulnerabilityID": "CVE-2026-9999",
                        "PkgName": "openssl",
                        "InstalledVersion": "3.0.1",
                        "FixedVersion": "3.0.2",
                        "Severity": "CRITICAL",
                        "Title": "openssl overflow",
                    }
                ],
            }
        ],
    }
    attach(ws, release, "trivy.json", json.dumps(report))
    decision = gate(ws, release)
    vul = control(decision, "VUL-1")
    assert vul["outcome"] == "fail"
    assert vul["violations"][0]["msg"].endswith("; fixed in 3.0.2, upgrade openssl")


def test_verify_commits_cli_writes_report(ws, tmp_path):
    if shutil.which("git") is None or shutil.which("ssh-keygen") is None:
        pytest.skip("git and ssh-keygen are needed to sign commits")
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "alice@example.com",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    (repo / "a.txt").write_text("a")
    for command in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}", "commit", "-q", "-S", "-m", "a"],
    ):
        subprocess.run(["git", "-C", str(repo), *command], env=env, check=True)
    allowed = tmp_path / "allowed"
    allowed.write_text(
        "alice@example.com " + " ".join(key.with_suffix(".pub").read_text().split()[:2]) + "\n"
    )
    report = tmp_path / "commits.json"
    result = ws.run(
        "evidence",
        "verify-commits",
        str(repo),
        "HEAD",
        "--allowed-signers",
        str(allowed),
        "--report",
        str(report),
    )
    assert result.exit_code == 0, result.output
    written = json.loads(report.read_text())
    assert written["commits"][0]["verified"] is True
    assert written["commits"][0]["signer"] == "alice@example.com"
    _, body = ws.json("evidence", "inspect", str(report))
    assert body["summary"] == {"commits": 1, "verified": 1, "unverified": 0}


BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
BUNDLE_DIGEST = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"


@pytest.mark.parametrize(
    ("identity", "outcome"), [(BEACON, "pass"), ("https://ci.example.com/other", "fail")]
)
def test_gate_sigstore_bundle_identity(ws, identity, outcome):
    from support import MANIFEST

    bundle = corpus_file("vectors", "sigconf__rekor2-dsse-happy-path__bundle.sigstore.json")
    root = corpus_file("vectors", "sigconf__rekor2-dsse-happy-path__trusted_root.json")
    data = ws.root / "policies" / "enterprise" / "data.yaml"
    data.write_text(
        data.read_text().replace(
            "    trusted_key_ids:",
            '    trusted_issuers: ["https://token.actions.githubusercontent.com"]\n'
            f'    trusted_identities: ["{identity}"]\n    trusted_key_ids:',
        )
    )
    release = create(ws, MANIFEST.replace(DIGEST, BUNDLE_DIGEST), integrity=False)
    result = ws.run("evidence", "add", release, str(bundle), "--trusted-root", str(root))
    assert result.exit_code == 0, result.output
    decision = gate(ws, release)
    art_1 = control(decision, "ART-1")
    assert art_1["outcome"] == outcome
    if outcome == "fail":
        assert [v["msg"] for v in art_1["violations"]] == [
            f"artifact payments-api ({BUNDLE_DIGEST}) is signed only by identity {BEACON} "
            "(issuer https://token.actions.githubusercontent.com), which params "
            "artifacts.signing do not trust; sign it with a trusted key or signing identity"
        ]
