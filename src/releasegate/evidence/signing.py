"""DSSE envelopes, in-toto statements (SLSA provenance v1) and plain key signatures.

Verification follows the DSSE protocol: decode the payload, verify each signature over
PAE(payloadType, payload) under the supplied public keys (a `keyid` is only a hint),
reject a payload type other than in-toto, and only then read the statement from the
exact bytes that were verified. Every key whose signature verifies is reported once,
so that policy can require a threshold of distinct trusted keys; which keys are
trusted is decided by policy, never here.

PAE and the statement reader are a few lines each, so they are written here rather
than taken from securesystemslib, whose envelope API hides which key verified and
changes between releases.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from releasegate.evidence._vuln import object_at, optional_text
from releasegate.evidence.interface import (
    EvidenceError,
    PublicKey,
    VerificationContext,
    decode_utf8,
)
from releasegate.evidence.sarif import load_json
from releasegate.model.evidence import EvidenceKind
from releasegate.model.integrity import ArtifactSignatureFacts, Check, ProvenanceFacts, Signer

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
KEY_SIGNATURE_TYPE = "https://releasegate.dev/signature/v1"
"""`_type` of releasegate's plain key signature document."""

_DSSE_HINT = "Upload the DSSE envelope (JSON with payload, payloadType and signatures) as written."
_STATEMENT_HINT = "Upload an in-toto Statement (v1) with its subjects and predicate."


def pae(payload_type: str, payload: bytes) -> bytes:
    """Return the DSSE v1 pre-authentication encoding of a payload and its type."""
    encoded_type = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(encoded_type), encoded_type, len(payload), payload)


def decode_base64(text: str) -> bytes:
    """Decode standard or URL-safe base64, with or without padding.

    Raises ValueError for text that is neither.
    """
    stripped = text.strip()
    padded = stripped + "=" * (-len(stripped) % 4)
    alphabet = "-_" if ("-" in stripped or "_" in stripped) else "+/"
    try:
        return base64.b64decode(padded, altchars=alphabet.encode(), validate=True)
    except binascii.Error as error:
        raise ValueError(str(error)) from None


def verify_signature(key: PublicKey, signature: bytes, message: bytes) -> bool:
    """True when `signature` over `message` verifies under `key`.

    ECDSA signatures are accepted in DER and in the raw r||s form; RSA in PSS and
    PKCS #1 v1.5, both with SHA-256.
    """
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
            return True
        if isinstance(key, ec.EllipticCurvePublicKey):
            algorithm = ec.ECDSA(_ecdsa_hash(key))
            try:
                key.verify(signature, message, algorithm)
                return True
            except (InvalidSignature, ValueError):
                size = (key.curve.key_size + 7) // 8
                if len(signature) != 2 * size:
                    return False
                r = int.from_bytes(signature[:size], "big")
                s = int.from_bytes(signature[size:], "big")
                key.verify(encode_dss_signature(r, s), message, algorithm)
                return True
        if isinstance(key, rsa.RSAPublicKey):
            try:
                key.verify(
                    signature,
                    message,
                    padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
                    hashes.SHA256(),
                )
                return True
            except InvalidSignature:
                key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
                return True
    except (InvalidSignature, ValueError):
        return False
    return False


def _ecdsa_hash(key: ec.EllipticCurvePublicKey) -> hashes.HashAlgorithm:
    if key.curve.key_size > 384:
        return hashes.SHA512()
    if key.curve.key_size > 256:
        return hashes.SHA384()
    return hashes.SHA256()


class DsseParser:
    """Parser for a DSSE envelope that carries an in-toto statement."""

    format = "dsse"
    kind = EvidenceKind.PROVENANCE

    def parse(self, data: bytes, *, source: str, context: VerificationContext) -> ProvenanceFacts:
        """Verify the envelope under `context.keys`, then read its statement.

        Raises EvidenceError for an envelope that cannot be decoded, a payload type
        other than in-toto, and a statement without subjects. A signature that does not
        verify is not an error. The facts then carry `signature_verified: false` and
        the failed check, and policy fails.
        """
        text = decode_utf8(data, source=source).strip()
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1 and all(
            line.strip().startswith("{") and line.strip().endswith("}") for line in lines
        ):
            raise EvidenceError(
                f"file contains {len(lines)} envelopes, one per line",
                source=source,
                hint="Split the JSON Lines file and attach each envelope on its own.",
            )
        envelope = load_json(data, source=source)
        return verify_envelope(envelope, source=source, context=context, format=self.format)


def verify_envelope(
    envelope: Any, *, source: str, context: VerificationContext, format: str
) -> ProvenanceFacts:
    """Verify a decoded DSSE envelope object and read its statement (see DsseParser)."""
    # Steps: 1. read the envelope fields; 2. decode the payload; 3. verify every
    # signature under every supplied key; 4. check the payload type; 5. read the
    # statement from the verified bytes.
    if not isinstance(envelope, dict):
        raise EvidenceError("envelope is not a JSON object", source=source, hint=_DSSE_HINT)
    payload_text = envelope.get("payload")
    payload_type = envelope.get("payloadType")
    signatures = envelope.get("signatures")
    for name, value, expected in (
        ("payload", payload_text, str),
        ("payloadType", payload_type, str),
        ("signatures", signatures, list),
    ):
        if not isinstance(value, expected):
            raise EvidenceError(
                f"envelope field {name} is missing or not a {expected.__name__}",
                source=source,
                field=name,
                hint=_DSSE_HINT,
            )
    assert isinstance(payload_text, str) and isinstance(payload_type, str)
    assert isinstance(signatures, list)

    try:
        payload = decode_base64(payload_text)
    except ValueError as error:
        raise EvidenceError(
            f"payload is not base64: {error}",
            source=source,
            field="payload",
            hint=_DSSE_HINT,
        ) from None

    message = pae(payload_type, payload)
    checks: list[Check] = []
    verified_keys: dict[str, Signer] = {}
    for index, entry in enumerate(signatures):
        sig_text = entry.get("sig") if isinstance(entry, dict) else None
        if not isinstance(sig_text, str):
            checks.append(
                Check(
                    name=f"signature {index + 1}",
                    passed=False,
                    detail="the entry has no 'sig' string",
                )
            )
            continue
        try:
            signature = decode_base64(sig_text)
        except ValueError:
            checks.append(
                Check(name=f"signature {index + 1}", passed=False, detail="'sig' is not base64")
            )
            continue
        matched = [k for k in context.keys if verify_signature(k.key, signature, message)]
        if matched:
            for key in matched:
                verified_keys.setdefault(key.key_id, Signer(key_id=key.key_id))
            checks.append(
                Check(
                    name=f"signature {index + 1}",
                    passed=True,
                    detail="verifies under " + ", ".join(k.key_id for k in matched),
                )
            )
        else:
            detail = (
                "no public key was supplied to verify it (pass --key)"
                if not context.keys
                else f"verifies under none of the {len(context.keys)} supplied keys"
            )
            checks.append(Check(name=f"signature {index + 1}", passed=False, detail=detail))
    if not signatures:
        checks.append(Check(name="signatures", passed=False, detail="the envelope has none"))

    if payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise EvidenceError(
            f"payloadType {payload_type!r} is not supported; releasegate reads "
            f"{IN_TOTO_PAYLOAD_TYPE}",
            source=source,
            field="payloadType",
            hint="Attach an envelope that carries an in-toto statement.",
        )
    checks.append(Check(name="payload type", passed=True, detail=payload_type))

    statement = load_json(payload, source=f"{source} (payload)")
    facts = read_statement(statement, source=source, format=format)
    return facts.model_copy(
        update={
            "signature_verified": bool(verified_keys),
            "signers": tuple(verified_keys.values()),
            "signatures_total": len(signatures),
            "checks": (*checks, *facts.checks),
        }
    )


def read_statement(statement: Any, *, source: str, format: str) -> ProvenanceFacts:
    """Read an in-toto statement into provenance facts, unsigned until a caller says so.

    Raises EvidenceError for a statement without `_type`, subjects or digests.
    """
    if not isinstance(statement, dict):
        raise EvidenceError("statement is not a JSON object", source=source, hint=_STATEMENT_HINT)
    warnings: list[str] = []
    statement_type = statement.get("_type")
    if not isinstance(statement_type, str) or not statement_type.startswith(
        "https://in-toto.io/Statement/"
    ):
        raise EvidenceError(
            f"_type {statement_type!r} is not an in-toto statement type",
            source=source,
            field="_type",
            hint=_STATEMENT_HINT,
        )
    if statement_type != STATEMENT_V1:
        warnings.append(f"statement type {statement_type} is older than {STATEMENT_V1}")

    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise EvidenceError(
            "statement has no subject, so it binds no artifact",
            source=source,
            field="subject",
            hint="Generate the statement with the artifact's digest as a subject.",
        )
    digests: list[str] = []
    for index, subject in enumerate(subjects):
        digest = subject.get("digest") if isinstance(subject, dict) else None
        if not isinstance(digest, dict) or not digest:
            raise EvidenceError(
                "subject has no digest",
                source=source,
                field=f"subject[{index}].digest",
                hint="Every subject of an in-toto statement needs a digest.",
            )
        for algorithm, value in sorted(digest.items()):
            if isinstance(value, str):
                digests.append(f"{algorithm.lower()}:{value.lower()}")

    predicate_type = optional_text(statement.get("predicateType"))
    predicate = object_at(statement, "predicate")
    slsa = (
        _slsa_facts(predicate)
        if predicate_type and predicate_type.startswith(SLSA_PROVENANCE_V1)
        else {}
    )
    checks = [
        Check(
            name="statement",
            passed=True,
            detail=f"{len(digests)} subject digests, predicate {predicate_type}",
        ),
    ]
    return ProvenanceFacts(
        format=format,
        predicate_type=predicate_type,
        subject_digests=tuple(digests),
        signature_verified=False,
        checks=tuple(checks),
        warnings=tuple(warnings),
        **slsa,
    )


def _slsa_facts(predicate: dict[str, Any]) -> dict[str, Any]:
    """Return builder, build type and source of a SLSA provenance v1 predicate."""
    definition = object_at(predicate, "buildDefinition")
    run = object_at(predicate, "runDetails")
    builder = object_at(run, "builder")
    external = object_at(definition, "externalParameters")

    repository: str | None = None
    commit: str | None = None
    ref: str | None = None
    for dependency in definition.get("resolvedDependencies") or []:
        if not isinstance(dependency, dict):
            continue
        digest = object_at(dependency, "digest")
        git_commit = digest.get("gitCommit") or digest.get("sha1")
        uri = optional_text(dependency.get("uri"))
        if isinstance(git_commit, str) and uri and uri.startswith("git+"):
            repository, _, ref_part = uri.partition("@")
            commit = git_commit.lower()
            ref = ref_part or None
            break

    workflow = object_at(external, "workflow")
    if repository is None and isinstance(workflow.get("repository"), str):
        repository = workflow["repository"]
        ref = optional_text(workflow.get("ref"))
    source = object_at(external, "source")
    if repository is None and isinstance(source.get("uri"), str):
        repository = source["uri"]
    if commit is None and isinstance(source.get("digest"), dict):
        value = source["digest"].get("gitCommit") or source["digest"].get("sha1")
        commit = value.lower() if isinstance(value, str) else None
    return {
        "builder_id": optional_text(builder.get("id")),
        "build_type": optional_text(definition.get("buildType")),
        "source_repository": repository,
        "source_commit": commit,
        "source_ref": ref,
    }


class StatementParser:
    """Parser for a bare in-toto statement, which carries no signature."""

    format = "in-toto"
    kind = EvidenceKind.PROVENANCE

    def parse(self, data: bytes, *, source: str) -> ProvenanceFacts:
        """Read the statement; its signature is reported as not verified."""
        facts = read_statement(load_json(data, source=source), source=source, format=self.format)
        unsigned = Check(
            name="signature",
            passed=False,
            detail="a bare statement carries no signature; attach the DSSE envelope "
            "or Sigstore bundle that signs it",
        )
        return facts.model_copy(update={"checks": (unsigned, *facts.checks)})


class KeySignatureParser:
    """Parser for releasegate's plain key signature over an artifact digest.

    The document is `{"_type": KEY_SIGNATURE_TYPE, "digest": "sha256:<hex>",
    "signature": "<base64>"}`; the signed bytes are the digest string in UTF-8,
    as `openssl pkeyutl -sign` or any Ed25519 or ECDSA P-256 signer produces them.
    """

    format = "key-signature"
    kind = EvidenceKind.SIGNATURE

    def parse(
        self, data: bytes, *, source: str, context: VerificationContext
    ) -> ArtifactSignatureFacts:
        """Verify the signature under `context.keys`; raises EvidenceError for a bad document."""
        document = load_json(data, source=source)
        hint = (
            'Write {"_type": "' + KEY_SIGNATURE_TYPE + '", "digest": "sha256:...", '
            '"signature": "<base64 of the signature over the digest string>"}.'
        )
        if not isinstance(document, dict):
            raise EvidenceError("signature document is not a JSON object", source=source, hint=hint)
        digest = document.get("digest")
        if not isinstance(digest, str) or not _is_digest(digest):
            raise EvidenceError(
                f"digest {digest!r} is not an algorithm-prefixed digest",
                source=source,
                field="digest",
                hint=hint,
            )
        signature_text = document.get("signature")
        try:
            signature = decode_base64(signature_text) if isinstance(signature_text, str) else None
        except ValueError:
            signature = None
        if signature is None:
            raise EvidenceError(
                "signature is missing or not base64", source=source, field="signature", hint=hint
            )

        message = digest.lower().encode("utf-8")
        matched = [k for k in context.keys if verify_signature(k.key, signature, message)]
        if matched:
            check = Check(
                name="key signature",
                passed=True,
                detail=f"verifies over {digest.lower()} under {matched[0].key_id}",
            )
        elif not context.keys:
            check = Check(
                name="key signature",
                passed=False,
                detail="no public key was supplied to verify it (pass --key)",
            )
        else:
            check = Check(
                name="key signature",
                passed=False,
                detail=f"verifies over {digest.lower()} under none of the "
                f"{len(context.keys)} supplied keys",
            )
        return ArtifactSignatureFacts(
            format=self.format,
            digest=digest.lower(),
            verified=bool(matched),
            signer=Signer(key_id=matched[0].key_id) if matched else None,
            checks=(check,),
        )


def _is_digest(value: str) -> bool:
    algorithm, _, hex_digits = value.partition(":")
    lengths = {"sha256": 64, "sha384": 96, "sha512": 128}
    return (
        algorithm.lower() in lengths
        and len(hex_digits) == lengths[algorithm.lower()]
        and all(c in "0123456789abcdef" for c in hex_digits.lower())
    )


def file_digest(data: bytes) -> str:
    """Return the `sha256:` digest of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


__all__ = [
    "IN_TOTO_PAYLOAD_TYPE",
    "KEY_SIGNATURE_TYPE",
    "DsseParser",
    "KeySignatureParser",
    "StatementParser",
    "decode_base64",
    "file_digest",
    "pae",
    "read_statement",
    "verify_envelope",
    "verify_signature",
]
