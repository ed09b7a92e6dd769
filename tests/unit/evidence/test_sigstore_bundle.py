"""Tampered copies of the Sigstore happy-path vector: each failed check is named."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from releasegate.evidence import EvidenceError, parse_evidence
from releasegate.evidence.interface import VerificationContext

pytestmark = pytest.mark.corpus

VECTORS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "vectors"
BUNDLE = VECTORS / "sigconf__rekor2-dsse-happy-path__bundle.sigstore.json"
ROOT = VECTORS / "sigconf__rekor2-dsse-happy-path__trusted_root.json"


@pytest.fixture
def bundle() -> dict:
    if not BUNDLE.is_file() or not ROOT.is_file():
        pytest.skip(f"{VECTORS} is absent; the shared corpus is not checked out here")
    return json.loads(BUNDLE.read_text())


def checks_of(document: dict) -> dict[str, tuple[bool, str]]:
    _, facts = parse_evidence(
        json.dumps(document).encode(), source="bundle.json",
        context=VerificationContext(trusted_root=ROOT),
    )
    assert facts.verified is False
    return {c.name: (c.passed, c.detail) for c in facts.checks}


def test_altered_inclusion_proof_fails(bundle) -> None:
    proof = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
    first = bytearray(base64.b64decode(proof["hashes"][0]))
    first[0] ^= 0x01
    proof["hashes"][0] = base64.b64encode(bytes(first)).decode()
    checks = checks_of(bundle)
    assert checks["sigstore verification"][0] is False
    assert checks["inclusion proof"][0] is False
    assert "inclusion proof" in checks["inclusion proof"][1]
    assert checks["checkpoint signature"][0] is True


def test_forged_checkpoint_signature_fails(bundle) -> None:
    proof = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
    text, _, signatures = proof["checkpoint"]["envelope"].partition("\n\n")
    lines = signatures.splitlines()
    name, encoded = lines[0].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 0x01
    lines[0] = f"{name} {base64.b64encode(bytes(raw)).decode()}"
    proof["checkpoint"]["envelope"] = text + "\n\n" + "\n".join(lines) + "\n"
    checks = checks_of(bundle)
    assert checks["checkpoint signature"][0] is False
    assert checks["sigstore verification"][0] is False


def test_entry_of_unknown_log_fails(bundle) -> None:
    bundle["verificationMaterial"]["tlogEntries"][0]["logId"]["keyId"] = base64.b64encode(
        b"\x00" * 32
    ).decode()
    checks = checks_of(bundle)
    assert checks["checkpoint signature"] == (
        False, "log id AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= is not in the trusted root",
    )


def test_bundle_without_log_entries_fails(bundle) -> None:
    bundle["verificationMaterial"]["tlogEntries"] = []
    checks = checks_of(bundle)
    assert checks["log entry"] == (False, "the bundle has no tlogEntries")


def test_unknown_media_type_rejected(bundle) -> None:
    bundle["mediaType"] = "application/vnd.dev.sigstore.bundle.v9+json"
    with pytest.raises(EvidenceError, match="is not a Sigstore bundle media type"):
        parse_evidence(json.dumps(bundle).encode(), source="b.json", format="sigstore-bundle")
