"""Shared pieces of the end-to-end tests: a working folder and sample evidence."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from releasegate.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
COMMIT = "a" * 40
DIGEST = "sha256:" + "b" * 64
REPOSITORY = "https://git.example.com/payments/payments-api"
BUILDER = "https://ci.example.com/builders/hosted@v1"
REGISTRY = "registry.example.com"

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
    digest: "{DIGEST}"
    uri: {REGISTRY}/payments/payments-api:2.4.0
authors: [alice]
requester: alice
"""

# Synthetic metrics with equal constant samples in baseline and canary. With
# random samples the judge fails a healthy step about one time in 500, and
# tests that run many health steps would fail now and then.
STEADY_METRICS = """
seed: 5
indicators:
  http-error-rate:
    baseline: {mean: 0.004, sd: 0}
    canary: {mean: 0.004, sd: 0}
    samples: 40
  settlement-completion-rate:
    baseline: {mean: 0.995, sd: 0}
    canary: {mean: 0.995, sd: 0}
    samples: 40
"""

# A disaster recovery test that meets the RTO and RPO of payments-api (RES-2).
DR_TEST = {
    "apiVersion": "releasegate/v1",
    "kind": "DisasterRecoveryTest",
    "service": "payments-api",
    "date": "2026-11-20T09:00:00Z",
    "scenario": "fail over eu-west-1 to eu-central-1",
    "succeeded": True,
    "recovery_time_minutes": 22,
    "data_loss_minutes": 0,
}

JUNIT_PASS = """<?xml version="1.0"?>
<testsuite name="payments" tests="2">
  <testcase classname="t" name="a"/><testcase classname="t" name="b"/>
</testsuite>"""

JUNIT_FAIL = """<?xml version="1.0"?>
<testsuite name="payments" tests="2">
  <testcase classname="t" name="a"/>
  <testcase classname="t" name="b"><failure message="expected 10.02">trace</failure></testcase>
</testsuite>"""

SARIF_CLEAN = json.dumps(
    {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Bandit", "rules": []}},
                "results": [],
                "invocations": [{"executionSuccessful": True}],
            }
        ],
    }
)

SARIF_HIGH = json.dumps(
    {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Bandit", "rules": [{"id": "B602"}]}},
                "results": [
                    {
                        "ruleId": "B602",
                        "level": "error",
                        "message": {"text": "subprocess call with shell=True"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "src/app.py"},
                                    "region": {"startLine": 7},
                                }
                            }
                        ],
                    }
                ],
                "invocations": [{"executionSuccessful": True}],
            }
        ],
    }
)


class Workspace:
    def __init__(self, root: Path, database_url: str | None = None) -> None:
        self.root = root
        self.runner = CliRunner()
        self.database_url = database_url or f"sqlite:///{root / '.releasegate' / 'releasegate.db'}"

    def run(self, *args: str):
        return self.runner.invoke(app, ["--home", str(self.root), *args], catch_exceptions=False)

    def json(self, *args: str):
        result = self.run(*args, "--output", "json")
        return result, json.loads(result.stdout) if result.stdout.strip() else None

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        return path

    def query(self, statement: str, **params: Any) -> list[Any]:
        """Run SQL on the workspace's database, SQLite or PostgreSQL, and return its rows."""
        engine = create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.begin() as connection:
                result = connection.execute(text(statement), params)
                return list(result.all()) if result.returns_rows else []
        finally:
            engine.dispose()

    def sql(self, statement: str, **params: Any) -> None:
        """Change rows behind releasegate's back, as a tampering insider would."""
        self.query(statement, **params)

    def drop_database(self) -> None:
        """Lose the whole database, keeping the files of the working folder."""
        if self.database_url.startswith("sqlite"):
            (self.root / ".releasegate" / "releasegate.db").unlink()
        else:
            self.sql("drop schema public cascade")
            self.sql("create schema public")

    def ledger_size(self) -> int:
        return int(self.query("select count(*) from ledger_entries")[0][0])


@pytest.fixture
def ws(tmp_path, database_url) -> Workspace:
    shutil.copy2(EXAMPLES / "catalog.yaml", tmp_path / "catalog.yaml")
    shutil.copytree(EXAMPLES / "policies", tmp_path / "policies")
    add_trust(tmp_path)
    workspace = Workspace(tmp_path, database_url)
    assert workspace.run("init").exit_code == 0
    return workspace


def create(ws: Workspace, manifest: str = MANIFEST, *, integrity: bool = True) -> str:
    """Create a release; with `integrity`, attach the default MANIFEST's integrity evidence."""
    result, body = ws.json("release", "create", str(ws.write("release.yaml", manifest)))
    assert result.exit_code == 0, result.output
    if integrity:
        attach_integrity(ws, body["id"])
    return body["id"]


# Integrity evidence -------------------------------------------------------
#
# The gate enforces the source and artifact controls, so a release that should
# be allowed carries a pull request record, commit signatures, a signed
# artifact, signed SLSA provenance, a clean secret scan and synthetic tests.
# The signing key is generated per working folder and trusted through the
# enterprise layer, where releasegate reads trust lists.


def add_trust(root: Path) -> None:
    """Generate the folder's signing key and trust it, the builder and the registry."""
    key = ed25519.Ed25519PrivateKey.generate()
    (root / "signing.key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key()
    (root / "signing.pub.pem").write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_id = "sha256:" + hashlib.sha256(der).hexdigest()
    data = root / "policies" / "enterprise" / "data.yaml"
    data.write_text(
        data.read_text(encoding="utf-8")
        + f"""
source:
  commit_signing:
    trusted_signer_domains: [example.com]
artifacts:
  signing:
    trusted_key_ids: ["{key_id}"]
  provenance:
    trusted_builder_ids: ["{BUILDER}"]
  approved_registries: ["{REGISTRY}"]
""",
        encoding="utf-8",
    )


def _signing_key(root: Path) -> ed25519.Ed25519PrivateKey:
    key = serialization.load_pem_private_key((root / "signing.key.pem").read_bytes(), None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key


def signed_provenance(root: Path, digests: list[str], commit: str, repository: str) -> str:
    """Return a DSSE envelope of SLSA provenance v1 signed with the folder's key."""
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {"name": "artifact", "digest": {"sha256": d.split(":", 1)[1]}} for d in digests
        ],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://ci.example.com/buildtypes/container@v1",
                "externalParameters": {"repository": repository, "ref": "refs/heads/main"},
                "resolvedDependencies": [
                    {"uri": f"git+{repository}@refs/heads/main", "digest": {"gitCommit": commit}}
                ],
            },
            "runDetails": {"builder": {"id": BUILDER}},
        },
    }
    payload = json.dumps(statement).encode()
    payload_type = b"application/vnd.in-toto+json"
    message = b"DSSEv1 %d %b %d %b" % (len(payload_type), payload_type, len(payload), payload)
    signature = _signing_key(root).sign(message)
    return json.dumps(
        {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": payload_type.decode(),
            "signatures": [{"keyid": "", "sig": base64.b64encode(signature).decode()}],
        }
    )


def attach_integrity(
    ws: Workspace,
    release: str,
    *,
    commit: str = COMMIT,
    digests: tuple[str, ...] = (DIGEST,),
    repository: str = REPOSITORY,
    processes: tuple[str, ...] = ("payments", "reconciliation"),
) -> None:
    """Attach passing integrity evidence for a release of `commit` and `digests`."""
    for name, body, extra in integrity_files(
        ws, commit=commit, digests=digests, repository=repository, processes=processes
    ):
        result = ws.run("evidence", "add", release, str(ws.write(name, body)), *extra)
        assert result.exit_code == 0, result.output


def integrity_files(
    ws: Workspace,
    *,
    commit: str = COMMIT,
    digests: tuple[str, ...] = (DIGEST,),
    repository: str = REPOSITORY,
    processes: tuple[str, ...] = ("payments", "reconciliation"),
) -> list[tuple[str, str, list[str]]]:
    """Return the passing integrity evidence as (file name, text, extra CLI options)."""
    key = ["--key", str(ws.root / "signing.pub.pem")]
    pull_request = {
        "_type": "https://releasegate.dev/pull-request/v1",
        "url": f"{repository}/pull/1",
        "repository": repository,
        "state": "merged",
        "merge_commit": commit,
        "head_commit": "e" * 40,
        "base_branch": "main",
        "base_branch_protected": True,
        "author": "alice",
        "reviews": [{"reviewer": "bob", "state": "approved", "commit": "e" * 40}],
    }
    commits = {
        "_type": "https://releasegate.dev/commit-signatures/v1",
        "commits": [
            {
                "commit": commit,
                "verified": True,
                "signer": "alice@example.com",
                "key_id": "SHA256:demo",
                "method": "ssh",
                "detail": "good signature",
            }
        ],
    }
    files: list[tuple[str, str, list[str]]] = [
        ("pull-request.json", json.dumps(pull_request), []),
        ("commit-signatures.json", json.dumps(commits), []),
        ("secrets.json", "[]", ["--commit", commit]),
        (
            "provenance.dsse.json",
            signed_provenance(ws.root, list(digests), commit, repository),
            key,
        ),
    ]
    for index, digest in enumerate(digests):
        signature = _signing_key(ws.root).sign(digest.encode())
        document = {
            "_type": "https://releasegate.dev/signature/v1",
            "digest": digest,
            "signature": base64.b64encode(signature).decode(),
        }
        files.append((f"signature-{index}.json", json.dumps(document), key))
    for process in processes:
        run = {
            "_type": "https://releasegate.dev/synthetic-test/v1",
            "environment": "staging",
            "finance_process": process,
            "scenario": f"{process} end to end",
            "artifact_digests": list(digests),
            "finished_at": "2026-12-04T10:00:00Z",
            "transactions": [{"name": "happy path", "outcome": "passed"}],
        }
        files.append((f"synthetic-{process}.json", json.dumps(run), []))
    return files


def attach(ws: Workspace, release: str, name: str, text: str, commit: str | None = COMMIT):
    args = ["evidence", "add", release, str(ws.write(name, text))]
    if commit:
        args += ["--commit", commit]
    result = ws.run(*args)
    assert result.exit_code == 0, result.output


def approve_all(ws: Workspace, release: str) -> None:
    for who in ("bob", "dana", "erin"):
        result = ws.run("approve", release, "--as", who)
        assert result.exit_code == 0, result.output


def start_controller(ws: Workspace, owner: str, *, stderr: Any = subprocess.DEVNULL):
    """Start `releasegate rollout run --owner OWNER` on the folder as a child process."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from releasegate.cli.main import run; run()",
            "--home",
            str(ws.root),
            "rollout",
            "run",
            "--owner",
            owner,
        ],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env={**os.environ, "RELEASEGATE_HOME": str(ws.root)},
    )


def control(decision: dict, control_id: str) -> dict:
    return next(r for r in decision["results"] if r["control_id"] == control_id)
