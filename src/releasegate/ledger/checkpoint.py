"""Checkpoints (C2SP tlog-checkpoint v1.0.0): signed tree heads of the ledger.

A checkpoint is a signed note whose text has at least three lines: the
origin (the log's unique name), the tree size in decimal without leading
zeros, and the base64 root hash. Optional extension lines follow; this log
writes none but accepts non-empty ones when reading. The log's key name
equals the origin. Witnesses add cosignatures (signature type 0x04) to the
same note.

Opening a checkpoint requires a valid signature by a log key whose name is
the origin. Cosignatures by known witness keys are checked too and reported
with their timestamps.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from releasegate.errors import InputError, LedgerIntegrityError
from releasegate.ledger.merkle import HASH_SIZE
from releasegate.ledger.note import (
    TYPE_COSIGNATURE,
    TYPE_ED25519,
    NoteSignature,
    SignerKey,
    VerifierKey,
    open_note,
    sign_note,
    signature_line,
)

__all__ = [
    "Checkpoint",
    "CheckpointSigner",
    "OpenedCheckpoint",
    "add_cosignature",
    "open_checkpoint",
    "parse_checkpoint_text",
]

_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")
_MAX_TREE_SIZE = 2**63 - 1


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise InputError(f"checkpoint origin {self.origin!r} must be one non-empty line")
        if not 0 <= self.size <= _MAX_TREE_SIZE:
            raise InputError(f"checkpoint tree size {self.size} is outside 0..{_MAX_TREE_SIZE}")
        if len(self.root_hash) != HASH_SIZE:
            raise InputError(
                f"checkpoint root hash must be {HASH_SIZE} bytes, but it is {len(self.root_hash)} "
                "bytes"
            )
        for extension in self.extensions:
            if not extension or "\n" in extension:
                raise InputError(
                    f"checkpoint extension line {extension!r} must be one non-empty line"
                )

    @property
    def text(self) -> str:
        """The note text: origin, size and base64 root, one per line, then extensions."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"


def parse_checkpoint_text(text: str, *, source: str = "checkpoint") -> Checkpoint:
    """Parse checkpoint note text; raise LedgerIntegrityError naming `source` if it is invalid."""
    # Lines: origin, tree size, root hash, then optional extensions.
    if not text.endswith("\n"):
        raise _checkpoint_error(source, "the checkpoint text does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise _checkpoint_error(
            source,
            f"a checkpoint has at least 3 lines (origin, size, root), this one has {len(lines)}",
        )
    origin, size_text, root_text, *extensions = lines

    if not origin:
        raise _checkpoint_error(source, "line 1 (origin) is empty")
    if not _TREE_SIZE.fullmatch(size_text):
        raise _checkpoint_error(
            source,
            f"line 2 (tree size) {size_text!r} is not a decimal number without leading zeros",
        )
    size = int(size_text)
    if size > _MAX_TREE_SIZE:
        raise _checkpoint_error(source, f"line 2 (tree size) {size} is above {_MAX_TREE_SIZE}")

    try:
        root_hash = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise _checkpoint_error(
            source, f"line 3 (root hash) {root_text!r} is not valid base64"
        ) from error
    if len(root_hash) != HASH_SIZE or base64.b64encode(root_hash).decode() != root_text:
        raise _checkpoint_error(
            source,
            f"line 3 (root hash) must be the base64 form of {HASH_SIZE} bytes, got {root_text!r}",
        )

    for number, extension in enumerate(extensions, start=4):
        if not extension:
            raise _checkpoint_error(source, f"line {number} (extension) is empty")
    return Checkpoint(origin=origin, size=size, root_hash=root_hash, extensions=tuple(extensions))


@dataclass(frozen=True)
class OpenedCheckpoint:
    """A checkpoint whose log signature verified, with its verified cosignatures."""

    checkpoint: Checkpoint
    note: str
    log_signatures: tuple[NoteSignature, ...]
    cosignatures: tuple[NoteSignature, ...]


def open_checkpoint(
    note: str | bytes,
    log_keys: Sequence[VerifierKey],
    *,
    witness_keys: Sequence[VerifierKey] = (),
    origin: str | None = None,
    source: str = "checkpoint",
) -> OpenedCheckpoint:
    """Check a signed checkpoint and return it with its verified signatures.

    Steps:
    1. The note verifies under the log and witness keys (see `open_note`):
       every signature of a known key is valid and at least one verified.
    2. At least one verified signature is a log signature (type 0x01) whose
       key name equals the origin line.
    3. The text is a well-formed checkpoint, and its origin equals `origin`
       when one is expected.

    Raises LedgerIntegrityError naming `source` on the first failed step.
    """
    # Step 1: signatures.
    for key in log_keys:
        if key.signature_type != TYPE_ED25519:
            raise InputError(
                f"log key {key.name}+{key.key_id_hex} is a witness key (type 0x04)",
                hint="pass the log's Ed25519 public key",
            )
    for key in witness_keys:
        if key.signature_type != TYPE_COSIGNATURE:
            raise InputError(
                f"witness key {key.name}+{key.key_id_hex} is not a cosignature key (type 0x04)",
                hint="pass the witness public key that 'releasegate ledger key create-witness' "
                "wrote",
            )
    opened = open_note(note, [*log_keys, *witness_keys], source=source)

    # Step 3 comes before step 2 so that step 2 can compare with the origin line.
    checkpoint = parse_checkpoint_text(opened.text, source=source)
    if origin is not None and checkpoint.origin != origin:
        raise _checkpoint_error(
            source,
            f"the checkpoint is for origin {checkpoint.origin!r}, but this log's origin is "
            f"{origin!r}",
            hint="compare checkpoints of the same log only",
        )

    # Step 2: a log signature by the origin's key.
    log_signatures = tuple(s for s in opened.signatures if s.signature_type == TYPE_ED25519)
    if not any(s.name == checkpoint.origin for s in log_signatures):
        raise _checkpoint_error(
            source,
            f"no verified log signature by a key named {checkpoint.origin!r}; "
            "witness cosignatures alone do not make a checkpoint valid",
            hint="pass the log's public key",
        )
    cosignatures = tuple(s for s in opened.signatures if s.signature_type == TYPE_COSIGNATURE)
    text_note = note if isinstance(note, str) else note.decode("utf-8")
    return OpenedCheckpoint(checkpoint, text_note, log_signatures, cosignatures)


class CheckpointSigner:
    """Signs checkpoints of one origin with one or more log keys.

    Normally one key signs. During a key rotation the old and the new key both
    sign, so that the old key vouches for its successor.
    """

    def __init__(self, keys: Sequence[SignerKey]) -> None:
        if not keys:
            raise InputError("a checkpoint signer needs at least one log key")
        origins = {key.name for key in keys}
        if len(origins) != 1:
            raise InputError(
                f"log keys of one checkpoint signer have different names: {sorted(origins)}"
            )
        for key in keys:
            if key.signature_type != TYPE_ED25519:
                raise InputError(f"log key {key.name} must be an Ed25519 key (type 0x01)")
        self.keys = tuple(keys)
        self.origin = keys[0].name

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The hexadecimal key IDs of the signing keys, in signing order."""
        return tuple(key.key_id.hex() for key in self.keys)

    def sign(self, size: int, root_hash: bytes) -> str:
        """Return the signed checkpoint note for a tree of `size` leaves with `root_hash`."""
        return sign_note(Checkpoint(self.origin, size, root_hash).text, self.keys)


def add_cosignature(note: str, witness: SignerKey, timestamp: int) -> str:
    """Append a witness cosignature line at POSIX `timestamp` to a checkpoint note.

    The caller must have opened the checkpoint first; this function only
    signs its text.
    """
    if witness.signature_type != TYPE_COSIGNATURE:
        raise InputError(
            f"key {witness.name} is not a witness key (type 0x04)",
            hint="create one with 'releasegate ledger key create-witness'",
        )
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise LedgerIntegrityError("the checkpoint note has no signature block to extend")
    text = note[: split + 1]
    return note + signature_line(text, witness, timestamp=timestamp)


def _checkpoint_error(
    source: str, message: str, *, hint: str | None = None
) -> LedgerIntegrityError:
    return LedgerIntegrityError(
        f"{source}: {message}",
        hint=hint or "the checkpoint is malformed or was altered; obtain an unmodified copy",
    )
