"""Integrity evidence for `releasegate demo`: signed commit, artifact and provenance.

The demo acts as the organisation's CI: it signs the source commit with a fresh SSH
key (git with gpg.format=ssh) and checks it with git against an allowed-signers file,
signs the artifact digest and SLSA provenance with a fresh Ed25519 key, scans the
source for secrets with detect-secrets, and writes the pull request and synthetic
test records a Git host and a test harness would send. The enterprise layer of the
demo folder then trusts that key, builder, registry and signer domain.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from releasegate.errors import ConfigurationError
from releasegate.evidence.interface import VerificationContext, key_id_of, load_public_key
from releasegate.evidence.records import (
    COMMIT_SIGNATURES_TYPE,
    PULL_REQUEST_TYPE,
    SYNTHETIC_TEST_TYPE,
)
from releasegate.evidence.signing import IN_TOTO_PAYLOAD_TYPE, KEY_SIGNATURE_TYPE, pae

BUILDER = "https://ci.acme.example/builders/hosted-runner@v1"
REGISTRY = "registry.acme.example"
SIGNER_DOMAIN = "acme.example"
REPOSITORY = "https://git.example.com/payments/payments-api"


def sign_head_commit(repo: Path, env: dict[str, str], author: str) -> tuple[str, Path]:
    """Re-sign the HEAD commit with a new SSH key; return its id and the allowed-signers file."""
    keygen = shutil.which("ssh-keygen")
    git = shutil.which("git")
    if keygen is None or git is None:
        raise ConfigurationError(
            "ssh-keygen and git are needed to sign the demo commit",
            hint="install openssh-client and git",
        )
    key = repo.parent / "commit-signing-key"
    subprocess.run(
        [
            keygen,
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            f"{author}@{SIGNER_DOMAIN}",
            "-f",
            str(key),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    public = (key.with_suffix(".pub")).read_text(encoding="utf-8").split()
    allowed = repo.parent / "allowed_signers"
    allowed.write_text(f"{author}@{SIGNER_DOMAIN} {public[0]} {public[1]}\n", encoding="utf-8")
    subprocess.run(
        [
            git,
            "-c",
            "gpg.format=ssh",
            "-c",
            f"user.signingkey={key}",
            "commit",
            "--amend",
            "--no-edit",
            "--quiet",
            "-S",
        ],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    head = subprocess.run(
        [git, "rev-parse", "HEAD"],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return head.stdout.strip(), allowed


def write_integrity_evidence(
    folder: Path, repo: Path, *, commit: str, digest: str, allowed_signers: Path
) -> tuple[list[Path], VerificationContext]:
    """Write the evidence files and the trust configuration; return files and context."""
    from releasegate.evidence.git_signatures import verify_commits
    from releasegate.evidence.secrets import scan_path

    out = folder / "integrity"
    out.mkdir(exist_ok=True)
    signing = ed25519.Ed25519PrivateKey.generate()
    public_path = out / "release-signing.pub.pem"
    public_path.write_bytes(
        signing.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    key_id = key_id_of(signing.public_key())

    files: list[Path] = []

    def write(name: str, document: object) -> None:
        path = out / name
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        files.append(path)

    report = verify_commits(repo, [commit], allowed_signers=allowed_signers)
    write(
        "commit-signatures.json",
        {
            "_type": COMMIT_SIGNATURES_TYPE,
            "repository": REPOSITORY,
            "commits": [c.model_dump(mode="json") for c in report.commits],
        },
    )
    write(
        "pull-request.json",
        {
            "_type": PULL_REQUEST_TYPE,
            "url": f"{REPOSITORY}/pull/812",
            "repository": REPOSITORY,
            "state": "merged",
            "merge_commit": commit,
            "head_commit": commit,
            "base_branch": "main",
            "base_branch_protected": True,
            "author": "alice",
            "reviews": [{"reviewer": "chen", "state": "approved", "commit": commit}],
        },
    )
    baseline, _ = scan_path(repo / "src")
    write("secrets.baseline.json", baseline)
    write(
        "artifact.signature.json",
        {
            "_type": KEY_SIGNATURE_TYPE,
            "digest": digest,
            "signature": base64.b64encode(signing.sign(digest.encode())).decode(),
        },
    )
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "payments-api", "digest": {"sha256": digest.split(":", 1)[1]}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://ci.acme.example/buildtypes/python-sdist@v1",
                "externalParameters": {"repository": REPOSITORY, "ref": "refs/heads/main"},
                "resolvedDependencies": [
                    {"uri": f"git+{REPOSITORY}@refs/heads/main", "digest": {"gitCommit": commit}}
                ],
            },
            "runDetails": {"builder": {"id": BUILDER}},
        },
    }
    payload = json.dumps(statement).encode()
    write(
        "provenance.dsse.json",
        {
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "payload": base64.b64encode(payload).decode(),
            "signatures": [
                {
                    "keyid": key_id,
                    "sig": base64.b64encode(
                        signing.sign(pae(IN_TOTO_PAYLOAD_TYPE, payload))
                    ).decode(),
                }
            ],
        },
    )
    for process in ("payments", "reconciliation"):
        write(
            f"synthetic-{process}.json",
            {
                "_type": SYNTHETIC_TEST_TYPE,
                "environment": "staging",
                "finance_process": process,
                "scenario": f"{process} from initiation to settlement",
                "artifact_digests": [digest],
                "transactions": [
                    {"name": "SEPA credit transfer", "outcome": "passed"},
                    {"name": "card settlement batch", "outcome": "passed"},
                ],
            },
        )

    enterprise = folder / "policies" / "enterprise" / "data.yaml"
    enterprise.write_text(
        enterprise.read_text(encoding="utf-8")
        + "\n# Trust written by the demo for its own signing key, builder and registry.\n"
        + f"source:\n  commit_signing:\n    trusted_signer_domains: [{SIGNER_DOMAIN}]\n"
        + f'artifacts:\n  signing:\n    trusted_key_ids: ["{key_id}"]\n'
        + f'  provenance:\n    trusted_builder_ids: ["{BUILDER}"]\n'
        + f'  approved_registries: ["{REGISTRY}"]\n',
        encoding="utf-8",
    )
    context = VerificationContext(keys=(load_public_key(public_path),))
    return files, context
