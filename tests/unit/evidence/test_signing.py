"""DSSE envelopes, in-toto statements and plain key signatures with generated keys."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from releasegate.evidence import EvidenceError, parse_evidence
from releasegate.evidence.interface import VerificationContext, VerificationKey, key_id_of
from releasegate.evidence.signing import KEY_SIGNATURE_TYPE, decode_base64, pae

DIGEST = "sha256:" + "ab" * 32
COMMIT = "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"
IN_TOTO = "application/vnd.in-toto+json"


def statement(digest: str = DIGEST) -> bytes:
    return json.dumps({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": digest.split(":")[1]}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://ci.example.com/buildtypes/container@v1",
                "externalParameters": {},
                "resolvedDependencies": [{
                    "uri": "git+https://git.example.com/payments/payments-api@refs/heads/main",
                    "digest": {"gitCommit": COMMIT},
                }],
            },
            "runDetails": {"builder": {"id": "https://ci.example.com/builders/hosted@v1"}},
        },
    }).encode()


def envelope(payload: bytes, signers, *, payload_type: str = IN_TOTO, urlsafe=False) -> bytes:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    signatures = [{"keyid": "hint", "sig": encode(sign(key, pae(payload_type, payload))).decode()}
                  for key in signers]
    return json.dumps({"payload": encode(payload).decode(), "payloadType": payload_type,
                       "signatures": signatures}).encode()


def sign(key, message: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    return key.sign(message, ec.ECDSA(hashes.SHA256()))


def context(*keys) -> VerificationContext:
    return VerificationContext(
        keys=tuple(VerificationKey(key_id_of(k.public_key()), k.public_key()) for k in keys)
    )


def parse(data: bytes, ctx: VerificationContext, format: str | None = None):
    return parse_evidence(data, source="upload.json", format=format, context=ctx)[1]


def test_pae_spec_example() -> None:
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_utf8_bytes_and_empty_payload() -> None:
    assert pae("tÿpe", b"") == "DSSEv1 5 tÿpe 0 ".encode()


def test_base64_standard_and_urlsafe() -> None:
    raw = bytes(range(250, 256)) * 3
    assert decode_base64(base64.b64encode(raw).decode()) == raw
    assert decode_base64(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    with pytest.raises(ValueError):
        decode_base64("not base64!")


def test_dsse_ed25519_verifies_and_reads_slsa() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    facts = parse(envelope(statement(), [key]), context(key))
    assert facts.signature_verified is True
    assert [s.key_id for s in facts.signers] == [key_id_of(key.public_key())]
    assert facts.subject_digests == (DIGEST,)
    assert facts.builder_id == "https://ci.example.com/builders/hosted@v1"
    assert facts.source_repository == "git+https://git.example.com/payments/payments-api"
    assert facts.source_commit == COMMIT


def test_dsse_urlsafe_base64_verifies() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    facts = parse(envelope(statement(), [key], urlsafe=True), context(key))
    assert facts.signature_verified is True


def test_dsse_ecdsa_der_and_raw_signatures_verify() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    payload = statement()
    der = key.sign(pae(IN_TOTO, payload), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    for signature in (der, raw):
        document = json.dumps({
            "payload": base64.b64encode(payload).decode(), "payloadType": IN_TOTO,
            "signatures": [{"sig": base64.b64encode(signature).decode()}],
        }).encode()
        assert parse(document, context(key)).signature_verified is True


def test_dsse_tampered_payload_fails() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    document = json.loads(envelope(statement(), [key]))
    document["payload"] = base64.b64encode(statement("sha256:" + "cd" * 32)).decode()
    facts = parse(json.dumps(document).encode(), context(key))
    assert facts.signature_verified is False
    assert facts.checks[0].name == "signature 1"
    assert facts.checks[0].detail == "verifies under none of the 1 supplied keys"


def test_dsse_wrong_key_fails() -> None:
    signer = ed25519.Ed25519PrivateKey.generate()
    other = ed25519.Ed25519PrivateKey.generate()
    facts = parse(envelope(statement(), [signer]), context(other))
    assert facts.signature_verified is False
    assert facts.signers == ()


def test_dsse_threshold_counts_distinct_keys() -> None:
    first = ed25519.Ed25519PrivateKey.generate()
    second = ed25519.Ed25519PrivateKey.generate()
    duplicated = parse(envelope(statement(), [first, first]), context(first, second))
    assert duplicated.signatures_total == 2
    assert len(duplicated.signers) == 1
    both = parse(envelope(statement(), [first, second]), context(first, second))
    assert {s.key_id for s in both.signers} == {
        key_id_of(first.public_key()), key_id_of(second.public_key()),
    }


def test_dsse_keyid_is_only_a_hint() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    document = json.loads(envelope(statement(), [key]))
    document["signatures"][0]["keyid"] = "someone-else"
    assert parse(json.dumps(document).encode(), context(key)).signature_verified is True


def test_dsse_other_payload_type_rejected() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    data = envelope(b"hello", [key], payload_type="text/plain")
    with pytest.raises(EvidenceError, match="payloadType 'text/plain' is not supported"):
        parse(data, context(key))


def test_dsse_missing_signatures_field_rejected() -> None:
    data = json.dumps({"payload": "", "payloadType": IN_TOTO}).encode()
    with pytest.raises(EvidenceError, match="envelope field signatures is missing"):
        parse(data, context())


def test_dsse_json_lines_with_two_envelopes_rejected() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    line = envelope(statement(), [key])
    with pytest.raises(EvidenceError, match="file contains 2 envelopes, one per line"):
        parse(line + b"\n" + line, context(key), format="dsse")


def key_signature(key, digest: str = DIGEST, signed: str | None = None) -> bytes:
    return json.dumps({
        "_type": KEY_SIGNATURE_TYPE,
        "digest": digest,
        "signature": base64.b64encode(sign(key, (signed or digest).encode())).decode(),
    }).encode()


def test_key_signature_ed25519_and_p256_verify() -> None:
    for key in (ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP256R1())):
        facts = parse(key_signature(key), context(key))
        assert facts.verified is True
        assert facts.digest == DIGEST
        assert facts.signer is not None
        assert facts.signer.key_id == key_id_of(key.public_key())


def test_key_signature_over_other_digest_fails() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    facts = parse(key_signature(key, signed="sha256:" + "00" * 32), context(key))
    assert facts.verified is False
    assert facts.checks[0].detail == (
        f"verifies over {DIGEST} under none of the 1 supplied keys"
    )


def test_key_signature_without_key_unverified() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    facts = parse(key_signature(key), context())
    assert facts.verified is False
    assert facts.checks[0].detail == "no public key was supplied to verify it (pass --key)"


def test_key_signature_bad_digest_rejected() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises(EvidenceError, match="digest 'sha256:12' is not an algorithm-prefixed"):
        parse(key_signature(key, digest="sha256:12"), context(key))
