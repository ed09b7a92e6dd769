"""C2SP signed notes (signed-note v1.0.0) with Ed25519 keys and their text encodings.

A signed note is UTF-8 text that ends in a newline, then one blank line, then
one or more signature lines `— <key name> <base64(key ID || signature)>`,
where the dash is U+2014. The note contains no ASCII control character other
than the newline. The text is split from the signatures at the last blank
line, and the text keeps its final newline.

A key is identified by its name and a 4-byte key ID, the first four bytes of
SHA-256(name || 0x0A || signature type || public key). Two signature types
are supported. Type 0x01 is an Ed25519 signature over the note text. Type
0x04 is a timestamped Ed25519 witness cosignature (C2SP tlog-cosignature):
an 8-byte big-endian POSIX timestamp followed by an Ed25519 signature over
"cosignature/v1\\ntime <timestamp>\\n" and the text.

Keys are written in the text forms of the Go `golang.org/x/mod/sumdb/note`
package, so that other tools of the ecosystem can read them:

- verifier key: `<name>+<key ID as 8 hex digits>+<base64(type || public key)>`
- signer key: `PRIVATE+KEY+<name>+<key ID as 8 hex digits>+<base64(type || seed)>`

Errors: a note that does not verify raises LedgerIntegrityError, and a key
text that does not parse raises InputError.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from releasegate.errors import InputError, LedgerIntegrityError

__all__ = [
    "COSIGNATURE_HEADER",
    "MAX_NOTE_SIZE",
    "MAX_SIGNATURES",
    "SIGNATURE_DASH",
    "TYPE_COSIGNATURE",
    "TYPE_ED25519",
    "NoteSignature",
    "OpenedNote",
    "SignerKey",
    "VerifierKey",
    "check_key_name",
    "cosignature_message",
    "key_id",
    "open_note",
    "sign_note",
]

TYPE_ED25519 = 0x01
"""Signature type of an Ed25519 signature over the note text."""

TYPE_COSIGNATURE = 0x04
"""Signature type of a timestamped Ed25519 witness cosignature (tlog-cosignature v1)."""

SIGNATURE_DASH = "\u2014"
"""The em dash that starts every signature line."""

COSIGNATURE_HEADER = "cosignature/v1"
"""First line of the message that a witness cosignature signs."""

MAX_SIGNATURES = 100
"""Maximum signature lines accepted in one note (the format requires at least 16)."""

MAX_NOTE_SIZE = 4 * 1024 * 1024
"""Maximum size of a note in bytes, which bounds the work of parsing untrusted input."""

_PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
_KEY_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
_TIMESTAMP_SIZE = 8
_MAX_TIMESTAMP = 2**63 - 1
_KNOWN_TYPES = (TYPE_ED25519, TYPE_COSIGNATURE)


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """Return the 4-byte key ID: SHA-256(name || 0x0A || type || public key)[:4]."""
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    ).digest()[:4]


def check_key_name(name: str, *, source: str | None = None) -> str:
    """Return `name` if it is a valid key name, else raise InputError.

    A key name is non-empty and contains no Unicode space, no plus sign and no
    control character.
    """
    if not name:
        raise InputError(
            "the key name is empty", source=source, hint="name the key, e.g. example.com/log"
        )
    for character in name:
        if character.isspace() or character == "+" or ord(character) < 0x20 or character == "\x7f":
            raise InputError(
                f"key name {name!r} contains {character!r}, but key names may contain "
                "no spaces, no '+' and no control characters",
                source=source,
                hint="use a schema-less URL such as example.com/releasegate/log",
            )
    return name


def cosignature_message(text: str, timestamp: int) -> bytes:
    """Return the bytes a witness cosignature of `text` at `timestamp` signs."""
    return f"{COSIGNATURE_HEADER}\ntime {timestamp}\n{text}".encode()


# Keys


@dataclass(frozen=True)
class VerifierKey:
    """A public key that checks note signatures of one name, key ID and signature type."""

    name: str
    signature_type: int
    public_key: bytes
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if self.signature_type not in _KNOWN_TYPES:
            raise InputError(
                f"signature type 0x{self.signature_type:02x} is not supported",
                hint="use an Ed25519 key (type 0x01) or a witness key (type 0x04)",
            )
        if len(self.public_key) != _KEY_SIZE:
            raise InputError(
                f"an Ed25519 public key is 32 bytes, but this one is {len(self.public_key)} bytes"
            )
        object.__setattr__(self, "key_id", key_id(self.name, self.signature_type, self.public_key))

    @property
    def key_id_hex(self) -> str:
        """The key ID as 8 lower-case hexadecimal digits."""
        return self.key_id.hex()

    def to_text(self) -> str:
        """Encode the key as `<name>+<key ID hex>+<base64(type || public key)>`."""
        material = base64.b64encode(bytes([self.signature_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id_hex}+{material}"

    @classmethod
    def from_text(cls, text: str, *, source: str | None = None) -> VerifierKey:
        """Parse a verifier key string; raise InputError naming `source` if it is invalid."""
        # The base64 part may itself contain '+', so split on the first two only.
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise InputError(
                "a verifier key has the form <name>+<key ID hex>+<base64 key>",
                source=source,
                hint="pass the .pub file that 'releasegate init' or "
                "'releasegate ledger key create-witness' wrote",
            )
        name, id_hex, material_text = parts
        signature_type, material = _decode_key_material(
            material_text, source=source, what="verifier key"
        )
        check_key_name(name, source=source)
        try:
            key = cls(
                name=name,
                signature_type=signature_type,
                public_key=material,
            )
        except InputError as error:
            raise InputError(error.message, source=source, hint=error.hint) from error
        if id_hex != key.key_id_hex:
            raise InputError(
                f"verifier key ID {id_hex!r} does not match the key, whose ID is {key.key_id_hex}",
                source=source,
                hint="the key file was altered; obtain the public key again from its owner",
            )
        return key

    def verify(self, text: bytes, signature: bytes) -> tuple[bool, int | None]:
        """Check `signature` (without the key ID) over note `text`.

        Returns (valid, timestamp), where timestamp is the cosignature time for
        type 0x04 and None for type 0x01.
        """
        public = Ed25519PublicKey.from_public_bytes(self.public_key)
        if self.signature_type == TYPE_ED25519:
            if len(signature) != _ED25519_SIGNATURE_SIZE:
                return False, None
            message = text
            timestamp = None
        else:
            if len(signature) != _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE:
                return False, None
            timestamp = int.from_bytes(signature[:_TIMESTAMP_SIZE], "big")
            if timestamp > _MAX_TIMESTAMP:
                return False, timestamp
            message = cosignature_message(text.decode("utf-8"), timestamp)
            signature = signature[_TIMESTAMP_SIZE:]
        try:
            public.verify(signature, message)
        except InvalidSignature:
            return False, timestamp
        return True, timestamp


@dataclass(frozen=True)
class SignerKey:
    """A private Ed25519 key that signs notes under one name and signature type."""

    name: str
    signature_type: int
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if self.signature_type not in _KNOWN_TYPES:
            raise InputError(f"signature type 0x{self.signature_type:02x} is not supported")
        if len(self.seed) != _KEY_SIZE:
            raise InputError(
                f"an Ed25519 private key is 32 bytes, but this one is {len(self.seed)} bytes"
            )

    @classmethod
    def generate(cls, name: str, signature_type: int = TYPE_ED25519) -> SignerKey:
        """Create a new random key."""
        private = Ed25519PrivateKey.generate()
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(name=name, signature_type=signature_type, seed=seed)

    @property
    def verifier(self) -> VerifierKey:
        """The public half of this key."""
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return VerifierKey(
            name=self.name,
            signature_type=self.signature_type,
            public_key=public.public_bytes(Encoding.Raw, PublicFormat.Raw),
        )

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID, equal to the verifier's."""
        return self.verifier.key_id

    def to_text(self) -> str:
        """Encode the key as `PRIVATE+KEY+<name>+<key ID hex>+<base64(type || seed)>`."""
        material = base64.b64encode(bytes([self.signature_type]) + self.seed).decode()
        return f"{_PRIVATE_KEY_PREFIX}{self.name}+{self.key_id.hex()}+{material}"

    @classmethod
    def from_text(cls, text: str, *, source: str | None = None) -> SignerKey:
        """Parse a signer key string; raise InputError naming `source` if it is invalid."""
        stripped = text.strip()
        if not stripped.startswith(_PRIVATE_KEY_PREFIX):
            raise InputError(
                f"a private key starts with {_PRIVATE_KEY_PREFIX!r}",
                source=source,
                hint="pass the .key file, not the .pub file",
            )
        parts = stripped.removeprefix(_PRIVATE_KEY_PREFIX).split("+", 2)
        if len(parts) != 3:
            raise InputError(
                "a private key has the form PRIVATE+KEY+<name>+<key ID hex>+<base64 key>",
                source=source,
            )
        name, id_hex, material_text = parts
        signature_type, seed = _decode_key_material(
            material_text, source=source, what="private key"
        )
        check_key_name(name, source=source)
        try:
            key = cls(name=name, signature_type=signature_type, seed=seed)
        except InputError as error:
            raise InputError(error.message, source=source, hint=error.hint) from error
        if id_hex != key.key_id.hex():
            raise InputError(
                f"private key ID {id_hex!r} does not match the key, whose ID is {key.key_id.hex()}",
                source=source,
                hint="the key file was altered; restore it from backup",
            )
        return key

    def sign(self, text: bytes, *, timestamp: int | None = None) -> bytes:
        """Return the signature bytes (without the key ID) over note `text`.

        A witness key (type 0x04) needs `timestamp`, the POSIX time of the cosignature.
        """
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        if self.signature_type == TYPE_ED25519:
            return private.sign(text)
        if timestamp is None or not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise InputError(
                f"a cosignature needs a POSIX timestamp from 0 to {_MAX_TIMESTAMP}, got "
                f"{timestamp!r}"
            )
        message = cosignature_message(text.decode("utf-8"), timestamp)
        return timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + private.sign(message)


def _decode_key_material(text: str, *, source: str | None, what: str) -> tuple[int, bytes]:
    try:
        material = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InputError(
            f"the {what} material is not valid base64", source=source, hint="restore the key file"
        ) from error
    if len(material) != 1 + _KEY_SIZE:
        raise InputError(
            f"the {what} material is {len(material)} bytes, but it must be 33: "
            "one signature type byte and a 32-byte Ed25519 key",
            source=source,
        )
    return material[0], material[1:]


# Notes


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note that a known key verified."""

    name: str
    key_id: bytes
    signature_type: int
    timestamp: int | None
    line: str


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures were checked: its text and the verified signatures."""

    text: str
    signatures: tuple[NoteSignature, ...]
    unknown_signatures: tuple[str, ...]


def sign_note(text: str, signers: Sequence[SignerKey], *, timestamp: int | None = None) -> str:
    """Return `text` as a signed note with one signature line per signer.

    Raises InputError if the text does not end in a newline, contains a
    control character other than newline, or if no signer is given.
    """
    _check_note_text(text)
    if not signers:
        raise InputError("a signed note needs at least one signer")
    lines = [signature_line(text, signer, timestamp=timestamp) for signer in signers]
    return text + "\n" + "".join(lines)


def signature_line(text: str, signer: SignerKey, *, timestamp: int | None = None) -> str:
    """Return the signature line `— <name> <base64(key ID || signature)>` for `text`."""
    signature = signer.sign(text.encode("utf-8"), timestamp=timestamp)
    encoded = base64.b64encode(signer.key_id + signature).decode()
    return f"{SIGNATURE_DASH} {signer.name} {encoded}\n"


def _check_note_text(text: str) -> None:
    if not text.endswith("\n"):
        raise InputError("note text must end with a newline")
    for position, character in enumerate(text):
        if ord(character) < 0x20 and character != "\n":
            raise InputError(
                f"note text contains control character U+{ord(character):04X} at offset {position}",
                hint="notes may contain no control characters other than newline",
            )


def open_note(
    note: str | bytes, verifiers: Sequence[VerifierKey], *, source: str = "note"
) -> OpenedNote:
    """Check the signatures of a signed note and return its text.

    Steps:
    1. The note is valid UTF-8, at most MAX_NOTE_SIZE bytes, and contains no
       control character other than newline.
    2. The last blank line splits the text from the signature block.
    3. Every signature line has the form `— <name> <base64>`, with a valid
       key name and at least 5 bytes of signature data.
    4. A signature whose (name, key ID) matches a known key must verify.
       Signatures of unknown keys are ignored, as the format requires.
    5. At least one signature of a known key verified.

    Raises LedgerIntegrityError naming `source` on the first failed step.
    """
    # Step 1: encoding, size and characters.
    if isinstance(note, bytes):
        if len(note) > MAX_NOTE_SIZE:
            raise _note_error(
                source, f"the note is {len(note)} bytes, above the limit of {MAX_NOTE_SIZE}"
            )
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _note_error(
                source, f"the note is not valid UTF-8 ({error.reason} at byte {error.start})"
            ) from error
    elif len(note) > MAX_NOTE_SIZE:
        raise _note_error(source, f"the note is longer than the limit of {MAX_NOTE_SIZE} bytes")
    for position, character in enumerate(note):
        if ord(character) < 0x20 and character != "\n":
            raise _note_error(
                source,
                f"the note contains control character U+{ord(character):04X} at offset {position}",
            )

    # Step 2: the last blank line separates the text from the signatures.
    split = note.rfind("\n\n")
    if split < 0:
        raise _note_error(source, "the note has no blank line between its text and its signatures")
    text = note[: split + 1]
    block = note[split + 2 :]
    if not block:
        raise _note_error(source, "the note has no signature lines after its blank line")
    if not block.endswith("\n"):
        raise _note_error(source, "the last signature line does not end with a newline")

    # Step 3: the form of each signature line.
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _note_error(
            source, f"the note has {len(lines)} signatures, above the limit of {MAX_SIGNATURES}"
        )
    parsed: list[tuple[str, bytes, bytes, str]] = []
    for number, line in enumerate(lines, start=1):
        parsed.append(_parse_signature_line(line, number, source))

    # Step 4: known keys must verify; unknown keys are ignored.
    known = _index_verifiers(verifiers)
    text_bytes = text.encode("utf-8")
    verified: list[NoteSignature] = []
    unknown: list[str] = []
    for name, signature_id, signature, line in parsed:
        verifier = known.get((name, signature_id))
        if verifier is None:
            unknown.append(line)
            continue
        valid, timestamp = verifier.verify(text_bytes, signature)
        if not valid:
            raise _note_error(
                source,
                f"the signature of key {name} (key ID {signature_id.hex()}) does not verify",
                hint="the note text or the signature was altered, so do not trust this note",
            )
        verified.append(NoteSignature(name, signature_id, verifier.signature_type, timestamp, line))

    # Step 5: at least one known key signed.
    if not verified:
        names = ", ".join(f"{key.name}+{key.key_id_hex}" for key in verifiers) or "(none)"
        raise _note_error(
            source,
            f"no signature of a known key: the note is signed by "
            f"{', '.join(_describe_line(line) for line in unknown)}, and the known keys are "
            f"{names}",
            hint="pass the public key of the log or witness that signed this note",
        )
    return OpenedNote(text=text, signatures=tuple(verified), unknown_signatures=tuple(unknown))


def _parse_signature_line(line: str, number: int, source: str) -> tuple[str, bytes, bytes, str]:
    prefix = SIGNATURE_DASH + " "
    if not line.startswith(prefix):
        raise _note_error(
            source,
            f"signature line {number} does not start with an em dash (U+2014) and a space",
        )
    name, separator, encoded = line[len(prefix) :].rpartition(" ")
    if not separator:
        raise _note_error(
            source, f"signature line {number} has no space between key name and signature"
        )
    try:
        check_key_name(name)
    except InputError as error:
        raise _note_error(source, f"signature line {number}: {error.message}") from error
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise _note_error(
            source, f"signature line {number} has invalid base64 signature data"
        ) from error
    if len(data) < 5:
        raise _note_error(
            source, f"signature line {number} has {len(data)} bytes of signature data, fewer than 5"
        )
    return name, data[:4], data[4:], line + "\n"


def _index_verifiers(verifiers: Sequence[VerifierKey]) -> dict[tuple[str, bytes], VerifierKey]:
    index: dict[tuple[str, bytes], VerifierKey] = {}
    for verifier in verifiers:
        key = (verifier.name, verifier.key_id)
        previous = index.get(key)
        if previous is not None and previous != verifier:
            raise LedgerIntegrityError(
                f"two different public keys share the name {verifier.name} and key ID "
                f"{verifier.key_id_hex}",
                hint="remove one of them from the trusted keys",
            )
        index[key] = verifier
    return index


def _describe_line(line: str) -> str:
    name, _, encoded = line.removeprefix(SIGNATURE_DASH + " ").rstrip("\n").rpartition(" ")
    try:
        return f"{name}+{base64.b64decode(encoded)[:4].hex()}"
    except (binascii.Error, ValueError):
        return name


def _note_error(source: str, message: str, *, hint: str | None = None) -> LedgerIntegrityError:
    return LedgerIntegrityError(
        f"{source}: {message}",
        hint=hint or "the note is malformed or was altered; obtain an unmodified copy",
    )
