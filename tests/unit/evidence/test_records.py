"""Pull request, synthetic test and commit signature records, and git's verification."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from releasegate.evidence import EvidenceError, parse_evidence
from releasegate.evidence.git_signatures import verify_commits
from releasegate.evidence.records import PULL_REQUEST_TYPE, SYNTHETIC_TEST_TYPE

DIGEST = "sha256:" + "b" * 64


def parse(document: dict):
    return parse_evidence(json.dumps(document).encode(), source="record.json")


def synthetic(**changes) -> dict:
    document = {"_type": SYNTHETIC_TEST_TYPE, "environment": "staging",
                "finance_process": "payments", "scenario": "SEPA end to end",
                "artifact_digests": [DIGEST],
                "transactions": [{"name": "a", "outcome": "passed"},
                                 {"name": "b", "outcome": "failed"}]}
    document.update(changes)
    return document


def test_synthetic_totals_from_transactions() -> None:
    format_name, run = parse(synthetic())
    assert format_name == "synthetic-test"
    assert (run.transactions, run.failures, run.passed) == (2, 1, False)


def test_synthetic_without_transactions_rejected() -> None:
    with pytest.raises(EvidenceError, match="transactions: transactions is empty"):
        parse(synthetic(transactions=[]))


def test_synthetic_unknown_outcome_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"transactions\[0\].outcome is 'ok'"):
        parse(synthetic(transactions=[{"name": "a", "outcome": "ok"}]))


def test_pull_request_record() -> None:
    _, pull_request = parse({
        "_type": PULL_REQUEST_TYPE, "state": "merged", "merge_commit": "A" * 40,
        "head_commit": "c" * 40, "base_branch": "main", "base_branch_protected": True,
        "author": "alice", "reviews": [{"reviewer": "bob", "state": "approved",
                                        "commit": "c" * 40}],
    })
    assert pull_request.merge_commit == "a" * 40
    assert pull_request.reviews[0].reviewer == "bob"


def test_pull_request_short_commit_rejected() -> None:
    with pytest.raises(EvidenceError, match="head_commit 'abc' is not a full commit id"):
        parse({"_type": PULL_REQUEST_TYPE, "state": "merged", "head_commit": "abc",
               "base_branch": "main", "author": "alice"})


needs_tools = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("ssh-keygen") is None,
    reason="git and ssh-keygen are needed to sign commits",
)


def git(repo: Path, *args: str) -> str:
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(repo),
           "GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@example.com",
           "GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "alice@example.com",
           "PATH": "/usr/bin:/bin:/usr/local/bin"}
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def ssh_key(folder: Path, name: str) -> Path:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
                   check=True, capture_output=True)
    return key


@needs_tools
def test_git_ssh_signatures(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    trusted = ssh_key(tmp_path, "trusted")
    stranger = ssh_key(tmp_path, "stranger")
    kind, material = trusted.with_suffix(".pub").read_text().split()[:2]
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"alice@example.com {kind} {material}\n")

    commits = {}
    for name, key in (("signed", trusted), ("stranger", stranger), ("unsigned", None)):
        (repo / f"{name}.txt").write_text(name)
        git(repo, "add", ".")
        if key is None:
            git(repo, "commit", "-q", "-m", name)
        else:
            git(repo, "-c", "gpg.format=ssh", "-c", f"user.signingkey={key}",
                "commit", "-q", "-S", "-m", name)
        commits[name] = git(repo, "rev-parse", "HEAD")

    report = verify_commits(repo, [commits["signed"], commits["signed"] + "..HEAD"],
                            allowed_signers=allowed)
    assert len(report.commits) == 3
    by_commit = {c.commit: c for c in report.commits}
    signed = by_commit[commits["signed"]]
    assert (signed.verified, signed.signer, signed.method) == (True, "alice@example.com", "ssh")
    assert signed.key_id is not None
    assert signed.key_id.startswith("SHA256:")
    other = by_commit[commits["stranger"]]
    assert (other.verified, other.method) == (False, "ssh")
    assert other.detail == (
        "good signature from an untrusted key (not in the allowed signers or not trusted "
        "in the keyring)"
    )
    unsigned = by_commit[commits["unsigned"]]
    assert (unsigned.verified, unsigned.method, unsigned.detail) == (False, None, "no signature")


@needs_tools
def test_git_unknown_revision_rejected(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    with pytest.raises(EvidenceError, match="git rev-list failed: fatal: "):
        verify_commits(tmp_path, ["deadbeef"])


def test_git_missing_allowed_signers_rejected(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="allowed-signers file not found"):
        verify_commits(tmp_path, ["HEAD"], allowed_signers=tmp_path / "none")
