"""Sigstore bundles (v0.1 to v0.3, Rekor v1 and v2 entries), verified offline.

Verification steps, each recorded as a check:

1. The bundle parses and its media type is a Sigstore bundle.
2. A pinned `trusted_root.json` is supplied; without it nothing verifies.
3. sigstore-python verifies the bundle against that root: the certificate chains to
   Fulcio at the signed time (never "now"), the signature covers the content, the log
   entry matches the bundle, and the inclusion proof and checkpoint hold.
4. releasegate's own checks, so that a regression in the library cannot weaken the
   gate: the logged digest equals SHA-256 of the DSSE PAE (or the message digest) and
   the logged signature equals the bundle's; the inclusion proof of SHA-256(0x00 ||
   body) leads to the root of the checkpoint; the checkpoint is a signed note whose
   signature verifies under the log's Ed25519 key from the trusted root; the signed
   time lies inside the leaf certificate's validity.
5. The certificate's identity and OIDC issuer are reported for policy to trust.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from releasegate.errors import ReleasegateError
from releasegate.evidence.interface import EvidenceError, VerificationContext
from releasegate.evidence.sarif import load_json
from releasegate.evidence.signing import pae, read_statement
from releasegate.model.evidence import EvidenceKind
from releasegate.model.integrity import ArtifactSignatureFacts, Check, ProvenanceFacts, Signer

logger = logging.getLogger(__name__)

MEDIA_TYPES = (
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
)
_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
_HINT = "Upload the bundle `cosign` or `sigstore sign` wrote (.sigstore.json), unmodified."


class SigstoreBundleParser:
    """Parser for Sigstore bundles, verified against a pinned trusted root."""

    format = "sigstore-bundle"
    kind = EvidenceKind.SIGNATURE

    def parse(
        self, data: bytes, *, source: str, context: VerificationContext
    ) -> ArtifactSignatureFacts:
        """Verify the bundle; failed checks are reported in the facts, not raised.

        Raises EvidenceError only for a file that is not a Sigstore bundle.
        """
        # Step 1: the bundle's shape.
        bundle = load_json(data, source=source)
        if not isinstance(bundle, dict) or bundle.get("mediaType") not in MEDIA_TYPES:
            media = bundle.get("mediaType") if isinstance(bundle, dict) else None
            raise EvidenceError(
                f"mediaType {media!r} is not a Sigstore bundle media type",
                source=source,
                field="mediaType",
                hint=_HINT,
            )
        material = bundle.get("verificationMaterial")
        if not isinstance(material, dict):
            raise EvidenceError(
                "bundle has no verificationMaterial",
                source=source,
                field="verificationMaterial",
                hint=_HINT,
            )
        envelope = bundle.get("dsseEnvelope")
        message = bundle.get("messageSignature")
        if not isinstance(envelope, dict) and not isinstance(message, dict):
            raise EvidenceError(
                "bundle has neither dsseEnvelope nor messageSignature", source=source, hint=_HINT
            )

        checks: list[Check] = []
        certificate = _leaf_certificate(material)
        signer = _signer_of(certificate) if certificate is not None else None
        signed_at = _signed_time(material)
        provenance, digest = self._content(bundle, source)

        # Step 2: the pinned trusted root.
        if context.trusted_root is None:
            checks.append(
                Check(
                    name="trusted root",
                    passed=False,
                    detail="no trusted_root.json was supplied (pass --trusted-root)",
                )
            )
            return self._facts(digest, False, signer, signed_at, checks, provenance)
        trusted_root = _load_root(context.trusted_root)

        # Step 3: sigstore-python.
        checks.append(_library_check(data, context.trusted_root, envelope is not None))

        # Step 4: independent checks.
        checks.extend(_independent_checks(bundle, material, trusted_root))
        checks.append(certificate_window_check(certificate, signed_at))

        verified = all(check.passed for check in checks)
        return self._facts(digest, verified, signer, signed_at, checks, provenance)

    def _content(
        self, bundle: dict[str, Any], source: str
    ) -> tuple[ProvenanceFacts | None, str | None]:
        envelope = bundle.get("dsseEnvelope")
        if isinstance(envelope, dict):
            try:
                payload = base64.b64decode(envelope.get("payload", ""), validate=True)
            except ValueError:
                raise EvidenceError(
                    "dsseEnvelope.payload is not base64",
                    source=source,
                    field="dsseEnvelope.payload",
                    hint=_HINT,
                ) from None
            statement = load_json(payload, source=f"{source} (payload)")
            provenance = read_statement(statement, source=source, format=self.format)
            digest = provenance.subject_digests[0] if provenance.subject_digests else None
            return provenance, digest
        message = bundle["messageSignature"]
        digest_info = message.get("messageDigest") if isinstance(message, dict) else None
        if not isinstance(digest_info, dict):
            raise EvidenceError(
                "messageSignature has no messageDigest",
                source=source,
                field="messageSignature.messageDigest",
                hint=_HINT,
            )
        algorithm = str(digest_info.get("algorithm", "")).lower().replace("sha2_", "sha")
        raw = base64.b64decode(str(digest_info.get("digest", "")))
        return None, f"{algorithm}:{raw.hex()}"

    def _facts(
        self,
        digest: str | None,
        verified: bool,
        signer: Signer | None,
        signed_at: datetime | None,
        checks: list[Check],
        provenance: ProvenanceFacts | None,
    ) -> ArtifactSignatureFacts:
        if provenance is not None:
            provenance = provenance.model_copy(
                update={
                    "signature_verified": verified,
                    "signers": (signer,) if signer and verified else (),
                    "signatures_total": 1,
                    "checks": (*checks, *provenance.checks),
                }
            )
        return ArtifactSignatureFacts(
            format=self.format,
            digest=digest,
            verified=verified,
            signer=signer,
            signed_at=signed_at,
            checks=tuple(checks),
            provenance=provenance,
        )


def _load_root(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise EvidenceError(
            f"cannot read trusted root: {error.strerror}",
            source=str(path),
            hint="Pass the pinned trusted_root.json with --trusted-root.",
        ) from None
    root = load_json(data, source=str(path))
    if not isinstance(root, dict) or not isinstance(root.get("tlogs"), list):
        raise EvidenceError(
            "trusted root has no tlogs array",
            source=str(path),
            field="tlogs",
            hint="Pass a Sigstore trusted_root.json (media type "
            "application/vnd.dev.sigstore.trustedroot+json).",
        )
    return root


def _library_check(data: bytes, root_path: Path, is_dsse: bool) -> Check:
    from sigstore.hashes import Hashed
    from sigstore.models import Bundle, TrustedRoot
    from sigstore.verify import Verifier
    from sigstore.verify.policy import VerificationPolicy
    from sigstore_models.common.v1 import HashAlgorithm

    class _AnyIdentity(VerificationPolicy):
        # Identity is decided by policy (params artifacts.signing), after this step.
        def verify(self, cert: x509.Certificate) -> None:
            return None

    try:
        bundle = Bundle.from_json(data)
        verifier = Verifier(trusted_root=TrustedRoot.from_file(str(root_path)))
        if is_dsse:
            verifier.verify_dsse(bundle, _AnyIdentity())
        else:
            document = json.loads(data)
            raw = base64.b64decode(document["messageSignature"]["messageDigest"]["digest"])
            verifier.verify_artifact(
                Hashed(algorithm=HashAlgorithm.SHA2_256, digest=raw), bundle, _AnyIdentity()
            )
    except Exception as error:
        return Check(
            name="sigstore verification", passed=False, detail=f"{type(error).__name__}: {error}"
        )
    return Check(
        name="sigstore verification",
        passed=True,
        detail="certificate chain at the signed time, signature, log entry, "
        "inclusion proof and checkpoint verify against the trusted root",
    )


def _independent_checks(
    bundle: dict[str, Any], material: dict[str, Any], root: dict[str, Any]
) -> list[Check]:
    entries = material.get("tlogEntries")
    if not isinstance(entries, list) or not entries:
        return [Check(name="log entry", passed=False, detail="the bundle has no tlogEntries")]
    entry = entries[0]
    checks = [_digest_binding(bundle, entry)]
    checks.extend(_inclusion_and_checkpoint(entry, root))
    return checks


def _digest_binding(bundle: dict[str, Any], entry: dict[str, Any]) -> Check:
    name = "digest binding"
    try:
        body = json.loads(base64.b64decode(entry["canonicalizedBody"]))
    except (KeyError, ValueError, TypeError):
        return Check(name=name, passed=False, detail="the log entry body cannot be decoded")

    envelope = bundle.get("dsseEnvelope")
    if isinstance(envelope, dict):
        payload = base64.b64decode(envelope["payload"])
        expected = hashlib.sha256(pae(envelope["payloadType"], payload)).digest()
        signatures = [s.get("sig") for s in envelope.get("signatures", []) if isinstance(s, dict)]
    else:
        message = bundle["messageSignature"]
        expected = base64.b64decode(message["messageDigest"]["digest"])
        signatures = [message.get("signature")]

    spec = body.get("spec", {})
    logged = spec.get("hashedRekordV002") or spec.get("hashedRekordV001")
    if isinstance(logged, dict):
        data = logged.get("data", {})
        digest_text = data.get("digest") or (data.get("hash") or {}).get("value")
        logged_signature = (logged.get("signature") or {}).get("content")
    else:
        dsse = spec.get("dsseV002") or spec.get("dsseV001") or {}
        digest_text = (dsse.get("payloadHash") or {}).get("digest")
        logged_signature = None
        for item in dsse.get("signatures") or []:
            logged_signature = item.get("content") or item.get("signature")
            break
    if not isinstance(digest_text, str):
        return Check(name=name, passed=False, detail="the log entry names no digest")
    try:
        logged_digest = base64.b64decode(digest_text, validate=True)
    except ValueError:
        logged_digest = bytes.fromhex(digest_text)
    if logged_digest != expected:
        return Check(
            name=name,
            passed=False,
            detail=f"the logged digest {logged_digest.hex()} is not the SHA-256 of the "
            f"signed content {expected.hex()}: the bundle's content is not what was "
            "logged",
        )
    if logged_signature is not None and logged_signature not in signatures:
        return Check(
            name=name,
            passed=False,
            detail="the logged signature differs from the bundle's signature",
        )
    return Check(
        name=name,
        passed=True,
        detail=f"the log entry records digest {expected.hex()} and the bundle's signature",
    )


def _inclusion_and_checkpoint(entry: dict[str, Any], root: dict[str, Any]) -> list[Check]:
    from releasegate.ledger.merkle import leaf_hash, verify_inclusion
    from releasegate.ledger.note import VerifierKey, open_note

    proof = entry.get("inclusionProof")
    if not isinstance(proof, dict):
        return [
            Check(name="inclusion proof", passed=False, detail="the entry has no inclusionProof")
        ]
    envelope = (proof.get("checkpoint") or {}).get("envelope")
    if not isinstance(envelope, str):
        return [Check(name="checkpoint", passed=False, detail="the proof has no checkpoint")]

    # The checkpoint is signed by the log whose id the entry names.
    log_id = (entry.get("logId") or {}).get("keyId")
    log = next((t for t in root["tlogs"] if (t.get("logId") or {}).get("keyId") == log_id), None)
    origin = envelope.split("\n", 1)[0]
    checks: list[Check] = []
    if log is None:
        return [
            Check(
                name="checkpoint signature",
                passed=False,
                detail=f"log id {log_id} is not in the trusted root",
            )
        ]
    try:
        public = serialization.load_der_public_key(base64.b64decode(log["publicKey"]["rawBytes"]))
    except (KeyError, ValueError):
        return [
            Check(
                name="checkpoint signature",
                passed=False,
                detail="the log's public key in the trusted root cannot be read",
            )
        ]
    if not isinstance(public, ed25519.Ed25519PublicKey):
        return [
            Check(
                name="checkpoint signature",
                passed=False,
                detail="the log key is not Ed25519; only Rekor v2 checkpoints are checked "
                "independently",
            )
        ]
    raw_key = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        opened = open_note(envelope, [VerifierKey(origin, 0x01, raw_key)], source="checkpoint")
    except ReleasegateError as error:
        return [Check(name="checkpoint signature", passed=False, detail=error.message)]
    checks.append(
        Check(
            name="checkpoint signature",
            passed=True,
            detail=f"signed by {origin} with the trusted root's key",
        )
    )

    lines = opened.text.split("\n")
    try:
        size = int(lines[1])
        root_hash = base64.b64decode(lines[2])
        index = int(proof["logIndex"])
        hashes = [base64.b64decode(h) for h in proof.get("hashes", [])]
        leaf = leaf_hash(base64.b64decode(entry["canonicalizedBody"]))
        verify_inclusion(leaf, index, size, hashes, root_hash)
    except ReleasegateError as error:
        checks.append(Check(name="inclusion proof", passed=False, detail=error.message))
        return checks
    except (KeyError, ValueError, IndexError):
        checks.append(
            Check(
                name="inclusion proof",
                passed=False,
                detail="the proof or checkpoint cannot be read",
            )
        )
        return checks
    checks.append(
        Check(
            name="inclusion proof",
            passed=True,
            detail=f"entry {index} is in the tree of size {size} the checkpoint signs",
        )
    )
    return checks


def certificate_window_check(
    certificate: x509.Certificate | None, signed_at: datetime | None
) -> Check:
    """Check that the signed time lies inside the certificate's validity period."""
    name = "certificate validity at signed time"
    if certificate is None:
        return Check(name=name, passed=False, detail="the bundle carries no certificate")
    if signed_at is None:
        return Check(name=name, passed=False,
                     detail="the bundle has no signed time (RFC 3161 timestamp or log time)")
    start = certificate.not_valid_before_utc
    end = certificate.not_valid_after_utc
    window = f"{start.isoformat()} to {end.isoformat()}"
    if not start <= signed_at <= end:
        return Check(name=name, passed=False,
                     detail=f"signed at {signed_at.isoformat()}, outside the certificate's "
                     f"validity {window}")
    return Check(name=name, passed=True,
                 detail=f"signed at {signed_at.isoformat()}, inside {window}")


def _leaf_certificate(material: dict[str, Any]) -> x509.Certificate | None:
    raw = (material.get("certificate") or {}).get("rawBytes")
    if raw is None:
        chain = (material.get("x509CertificateChain") or {}).get("certificates") or []
        raw = chain[0].get("rawBytes") if chain and isinstance(chain[0], dict) else None
    if not isinstance(raw, str):
        return None
    try:
        return x509.load_der_x509_certificate(base64.b64decode(raw))
    except ValueError:
        return None


def _signer_of(certificate: x509.Certificate) -> Signer:
    identity: str | None = None
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = names.get_values_for_type(x509.UniformResourceIdentifier)
        emails = names.get_values_for_type(x509.RFC822Name)
        identities = [*uris, *emails]
        identity = identities[0] if identities else None
    except x509.ExtensionNotFound:
        identity = None
    issuer: str | None = None
    for oid, der in ((_ISSUER_V2, True), (_ISSUER_V1, False)):
        try:
            value = certificate.extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            continue
        raw = value.value if isinstance(value, x509.UnrecognizedExtension) else b""
        issuer = _der_utf8(raw) if der else raw.decode("utf-8", "replace")
        break
    return Signer(identity=identity, issuer=issuer)


def _der_utf8(raw: bytes) -> str | None:
    """Decode a DER UTF8String (tag 0x0c), as Fulcio writes the v2 issuer extension."""
    if len(raw) < 2 or raw[0] != 0x0C:
        return None
    length = raw[1]
    offset = 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(raw[2 : 2 + count], "big")
        offset = 2 + count
    return raw[offset : offset + length].decode("utf-8", "replace")


def _signed_time(material: dict[str, Any]) -> datetime | None:
    timestamps = (material.get("timestampVerificationData") or {}).get("rfc3161Timestamps") or []
    for item in timestamps:
        try:
            from rfc3161_client import decode_timestamp_response

            response = decode_timestamp_response(base64.b64decode(item["signedTimestamp"]))
            return response.tst_info.gen_time.astimezone(UTC)
        except Exception:  # noqa: S112 - an unreadable timestamp gives no time
            continue
    for entry in material.get("tlogEntries") or []:
        integrated = int(entry.get("integratedTime") or 0)
        if integrated > 0:
            return datetime.fromtimestamp(integrated, UTC)
    return None
