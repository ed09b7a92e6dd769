"""Contract shared by the evidence parsers, and the error they raise."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from releasegate.errors import InputError
from releasegate.model.evidence import EvidenceKind, ScanRun, TestReport
from releasegate.model.integrity import (
    ArtifactSignatureFacts,
    CommitSignatureReport,
    ProvenanceFacts,
    PullRequestFacts,
    SyntheticRunFacts,
    VexDocument,
)

Facts = (
    TestReport
    | ScanRun
    | VexDocument
    | ProvenanceFacts
    | ArtifactSignatureFacts
    | CommitSignatureReport
    | PullRequestFacts
    | SyntheticRunFacts
)
"""Normalized facts of any supported evidence format."""

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey

_UTF8_BOM = b"\xef\xbb\xbf"


class EvidenceError(InputError):
    """Error for an evidence file that cannot be read or proves nothing.

    `source` is the file name the caller gave, `field` the JSON path or XML location
    inside the file (None when the whole file is at fault), and `hint` the fix.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        field: str | None = None,
        hint: str,
    ) -> None:
        super().__init__(message, source=source, field=field, hint=hint)


class Parser(Protocol):
    """Converter from the bytes of one evidence format to normalized facts.

    `parse` raises EvidenceError for every input it cannot read in full. It never
    returns a test report without test cases or a scan without runs.
    """

    format: str
    kind: EvidenceKind

    def parse(self, data: bytes, *, source: str) -> Facts:
        """Parse `data`, naming `source` in every error."""
        ...


class VerifyingParser(Protocol):
    """Parser of a signed format, which verifies against a VerificationContext."""

    format: str
    kind: EvidenceKind

    def parse(self, data: bytes, *, source: str, context: VerificationContext) -> Facts:
        """Parse and verify `data`, naming `source` in every error."""
        ...


@dataclass(frozen=True)
class VerificationKey:
    """A public key a signature may verify under, and its id."""

    key_id: str
    key: PublicKey


@dataclass(frozen=True)
class VerificationContext:
    """Public keys and Sigstore trusted root that signature parsers verify against.

    Verifying under a key only shows that the key signed; whether the key is trusted
    is decided by policy (params artifacts.signing.trusted_key_ids), by its id.
    """

    keys: tuple[VerificationKey, ...] = field(default_factory=tuple)
    trusted_root: Path | None = None


def key_id_of(key: PublicKey) -> str:
    """Return a key's id: `sha256:` and the hex SHA-256 of its DER SubjectPublicKeyInfo."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def load_public_key(path: Path) -> VerificationKey:
    """Read a PEM public key (Ed25519, ECDSA or RSA) from `path`.

    Raises EvidenceError naming the file when it is missing or contains no supported key.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise EvidenceError(
            f"cannot read public key file: {error.strerror}",
            source=str(path),
            hint="Pass the path of a PEM public key with --key.",
        ) from None
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as error:
        raise EvidenceError(
            f"not a PEM public key: {error}",
            source=str(path),
            hint="Export the public key as PEM (for example `openssl pkey -pubout`).",
        ) from None
    if not isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise EvidenceError(
            f"unsupported key type {type(key).__name__}",
            source=str(path),
            hint="Use an Ed25519, ECDSA (P-256) or RSA public key.",
        )
    return VerificationKey(key_id=key_id_of(key), key=key)


def reject_empty(data: bytes, *, source: str) -> None:
    """Raise EvidenceError when `data` is empty or contains only whitespace."""
    if not data.strip() or data.strip() == _UTF8_BOM:
        raise EvidenceError(
            "file is empty",
            source=source,
            hint="Upload the report the tool wrote. Check that the tool finished and "
            "that the upload step points at the right file.",
        )


def decode_utf8(data: bytes, *, source: str) -> str:
    """Decode `data` as UTF-8, dropping a leading byte order mark.

    Raises EvidenceError that names the offset of the first invalid byte.
    """
    offset = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError as error:
        position = offset + error.start
        raise EvidenceError(
            f"file is not valid UTF-8: byte 0x{data[position]:02x} cannot be decoded",
            source=source,
            field=f"byte offset {position}",
            hint="Export the report as UTF-8 text. A binary or differently encoded file "
            "cannot be read.",
        ) from None
