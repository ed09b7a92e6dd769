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


def test_timestamp_authority_not_valid_then_fails(bundle, tmp_path) -> None:
    root = json.loads(ROOT.read_text())
    for authority in root["timestampAuthorities"]:
        authority["validFor"]["end"] = "2026-01-01T00:00:00Z"
    pinned = tmp_path / "trusted_root.json"
    pinned.write_text(json.dumps(root))
    _, facts = parse_evidence(json.dumps(bundle).encode(), source="bundle.json",
                              context=VerificationContext(trusted_root=pinned))
    assert facts.verified is False
    checks = {c.name: (c.passed, c.detail) for c in facts.checks}
    assert checks["sigstore verification"] == (
        False, "VerificationError: not enough sources of verified time",
    )


def test_certificate_window_uses_signed_time() -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from releasegate.evidence.sigstore_bundle import certificate_window_check

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signer")])
    start = datetime(2026, 5, 13, 19, 23, tzinfo=UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(start).not_valid_after(start + timedelta(minutes=10))
        .sign(key, hashes.SHA256())
    )
    inside = certificate_window_check(certificate, start + timedelta(minutes=5))
    assert inside.passed is True
    late = certificate_window_check(certificate, start + timedelta(minutes=11))
    assert late.passed is False
    assert late.detail == (
        "signed at 2026-05-13T19:34:00+00:00, outside the certificate's validity "
        "2026-05-13T19:23:00+00:00 to 2026-05-13T19:33:00+00:00"
    )
    assert certificate_window_check(certificate, None).passed is False
