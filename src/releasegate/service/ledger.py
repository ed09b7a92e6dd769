"""Ledger use cases: log keys, checkpoints, witness cosignatures, proofs and verification.

The log key lives in the state folder:

    .releasegate/ledger/log.key        current private key (mode 0600)
    .releasegate/ledger/log.pub        current public key, to hand to auditors
    .releasegate/ledger/keys/<id>.pub  every log public key ever used, by key ID

Keys use the text forms described in `releasegate.ledger.note`. The key's
name is the log's origin, which `releasegate init` takes from the
`ledger_origin` setting or generates once per installation.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from releasegate.errors import (
    ConfigurationError,
    InputError,
    LedgerIntegrityError,
    NotFoundError,
)

if TYPE_CHECKING:
    from releasegate.ledger.checkpoint import CheckpointSigner, OpenedCheckpoint
    from releasegate.ledger.note import SignerKey, VerifierKey
    from releasegate.service.app import Application
    from releasegate.settings import Settings
    from releasegate.store.db import Database
    from releasegate.store.ledger import LedgerEntry, StoredCheckpoint, VerificationReport

log = logging.getLogger(__name__)

KEY_CREATED = "ledger.key.created"
KEY_ROTATED = "ledger.key.rotated"
KEY_ENTRY_TYPES = (KEY_CREATED, KEY_ROTATED)

_PRIVATE_MODE = 0o600
_HOST_CHARACTERS = re.compile(r"[^a-z0-9.-]+")
_FILE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class LedgerPaths:
    """Paths of the log key files of one installation."""

    folder: Path

    @classmethod
    def of(cls, settings: Settings) -> LedgerPaths:
        return cls(settings.state_dir / "ledger")

    @property
    def private_key(self) -> Path:
        return self.folder / "log.key"

    @property
    def next_private_key(self) -> Path:
        return self.folder / "log.key.next"

    @property
    def public_key(self) -> Path:
        return self.folder / "log.pub"

    @property
    def keys(self) -> Path:
        return self.folder / "keys"

    def public_key_file(self, key_id: str) -> Path:
        return self.keys / f"{key_id}.pub"


@dataclass(frozen=True)
class LogKeyStatus:
    """The log's origin, current key and key history, and whether a key was just created."""

    origin: str
    key_id: str
    verifier_key: str
    public_key_file: Path
    key_ids: tuple[str, ...]
    created: bool


# Key files


def default_origin() -> str:
    """Return a new origin unique to this installation: `<host>/releasegate/<random>`."""
    host = _HOST_CHARACTERS.sub("-", socket.gethostname().lower()).strip("-.") or "localhost"
    return f"{host}/releasegate/{secrets.token_hex(6)}"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _write_public(path: Path, text: str) -> None:
    if path.exists() and not path.is_file():
        raise ConfigurationError(
            f"{path} exists and is not a regular file", hint="choose another key location"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text + "\n", encoding="utf-8")
    os.replace(temporary, path)


def read_private_key(path: Path, *, signature_type: int, what: str) -> SignerKey:
    """Read a private key file; raise InputError or ConfigurationError naming the file.

    The file must be readable by its owner only (mode 0600 or stricter).
    """
    from releasegate.ledger.note import SignerKey

    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InputError(f"{what} file {path} not found", hint="check the path") from error
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {what} file {path} ({error})") from error
    if stat.S_IMODE(mode) & 0o077:
        raise InputError(
            f"{what} file {path} is readable by other users (mode {stat.S_IMODE(mode):04o})",
            hint=f"run 'chmod 600 {path}'; a private key must be readable by its owner only",
        )
    key = SignerKey.from_text(text, source=str(path))
    if key.signature_type != signature_type:
        raise InputError(
            f"{what} file {path} contains a key of signature type 0x{key.signature_type:02x}, "
            f"but a {what} has type 0x{signature_type:02x}",
            hint="pass the log key to log commands and a witness key to 'ledger cosign'",
        )
    return key


def read_public_key(path: Path) -> VerifierKey:
    """Read a verifier key file; raise InputError naming the file."""
    from releasegate.ledger.note import VerifierKey

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InputError(f"public key file {path} not found", hint="check the path") from error
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read public key file {path} ({error})") from error
    return VerifierKey.from_text(text, source=str(path))


def load_log_key(settings: Settings) -> SignerKey:
    """Read the current log key and check it against the `ledger_origin` setting."""
    from releasegate.ledger.note import TYPE_ED25519

    paths = LedgerPaths.of(settings)
    if not paths.private_key.exists():
        raise ConfigurationError(
            f"the log key {paths.private_key} is missing, so no checkpoint can be signed",
            hint="run 'releasegate init' for a new installation; otherwise restore the "
            "ledger folder of the state folder from backup",
        )
    try:
        key = read_private_key(paths.private_key, signature_type=TYPE_ED25519, what="log key")
    except InputError as error:
        raise ConfigurationError(error.message, hint=error.hint) from error
    if settings.ledger_origin and settings.ledger_origin != key.name:
        raise ConfigurationError(
            f"the ledger_origin setting is {settings.ledger_origin!r}, but the log key "
            f"{paths.private_key} belongs to origin {key.name!r}",
            hint=f"a log keeps its origin for life: set ledger_origin to {key.name!r} or unset it",
        )
    return key


def log_public_keys(settings: Settings) -> list[VerifierKey]:
    """Return every log public key of this installation, current and retired."""
    paths = LedgerPaths.of(settings)
    if not paths.keys.is_dir():
        raise ConfigurationError(
            f"the log key folder {paths.keys} is missing",
            hint="run 'releasegate init' first",
        )
    return [read_public_key(path) for path in sorted(paths.keys.glob("*.pub"))]


def current_public_key(settings: Settings) -> VerifierKey:
    """Return the current log public key (log.pub)."""
    paths = LedgerPaths.of(settings)
    if not paths.public_key.exists():
        raise ConfigurationError(
            f"the log public key {paths.public_key} is missing",
            hint="run 'releasegate init' first",
        )
    return read_public_key(paths.public_key)


def attach_checkpoint_signer(database: Database, settings: Settings) -> None:
    """Make the database sign a checkpoint with the current log key after each append.

    The key file is read at the first commit that appends, and again whenever
    it changes on disk, so a rotation by another process takes effect.
    """
    from releasegate.store.ledger import register_checkpoint_signer

    paths = LedgerPaths.of(settings)
    cache: dict[str, tuple[tuple[int, int], CheckpointSigner]] = {}

    def provider() -> CheckpointSigner:
        from releasegate.ledger.checkpoint import CheckpointSigner

        try:
            status = paths.private_key.stat()
            stamp = (status.st_mtime_ns, status.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        cached = cache.get("signer")
        if cached is not None and cached[0] == stamp:
            return cached[1]
        signer = CheckpointSigner([load_log_key(settings)])
        cache["signer"] = (stamp, signer)
        return signer

    register_checkpoint_signer(database.engine, provider)


def _status(settings: Settings, key: SignerKey, *, created: bool) -> LogKeyStatus:
    paths = LedgerPaths.of(settings)
    history = tuple(k.key_id_hex for k in log_public_keys(settings))
    return LogKeyStatus(
        origin=key.name,
        key_id=key.key_id.hex(),
        verifier_key=key.verifier.to_text(),
        public_key_file=paths.public_key,
        key_ids=history,
        created=created,
    )


def initialise_ledger(app: Application) -> LogKeyStatus:
    """Create the log key and the first signed checkpoint, or check the existing key.

    Steps:
    1. Read the ledger's size and how many checkpoints it has.
    2. A key and checkpoints both exist: check the key and return.
    3. Exactly one of them exists: stop, because a new key would sign a second
       history under the same origin, or an old key would sign a new log.
    4. Neither exists: create the key files, then append the key's creation
       to the ledger, which signs the first checkpoint in the same transaction.
    """
    from releasegate.ledger.checkpoint import CheckpointSigner
    from releasegate.ledger.note import SignerKey
    from releasegate.store.ledger import append_entry, checkpoint_count, use_transaction_signer

    settings = app.settings
    paths = LedgerPaths.of(settings)

    # Step 1: the ledger's state.
    with app.database.transaction() as session:
        checkpoints = checkpoint_count(session)

    # Step 2: an initialised ledger.
    if paths.private_key.exists() and checkpoints:
        return _status(settings, load_log_key(settings), created=False)

    # Step 3: a key without a log, or a log without its key.
    if paths.private_key.exists():
        raise ConfigurationError(
            f"the log key {paths.private_key} exists, but the ledger has no signed checkpoint",
            hint=f"if this is a new ledger, move {paths.folder} away so that init creates a "
            "new key and origin; one key must never sign two different logs",
        )
    if checkpoints:
        raise ConfigurationError(
            f"the ledger has {checkpoints} signed checkpoints, but the log key "
            f"{paths.private_key} is missing",
            hint=f"restore {paths.folder} from backup; a new key cannot continue this log",
        )

    # Step 4: a new key and its first checkpoint.
    origin = settings.ledger_origin or default_origin()
    key = SignerKey.generate(origin)
    verifier = key.verifier
    written = [paths.private_key, paths.public_key_file(verifier.key_id_hex), paths.public_key]
    try:
        _write_private(paths.private_key, key.to_text())
        _write_public(paths.public_key_file(verifier.key_id_hex), verifier.to_text())
        _write_public(paths.public_key, verifier.to_text())
        with app.database.transaction() as session:
            use_transaction_signer(session, CheckpointSigner([key]))
            append_entry(
                session,
                entry_type=KEY_CREATED,
                subject=None,
                recorded_at=app.clock(),
                data={
                    "key_name": key.name,
                    "key_id": verifier.key_id_hex,
                    "algorithm": "ed25519",
                    "verifier_key": verifier.to_text(),
                },
            )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    log.info("ledger key %s created for origin %s", verifier.key_id_hex, origin)
    return _status(settings, key, created=True)


def key_status(app: Application) -> LogKeyStatus:
    """Return the current log key and the key history."""
    return _status(app.settings, load_log_key(app.settings), created=False)


def rotate_key(app: Application, *, reason: str | None = None) -> LogKeyStatus:
    """Replace the log key with a new one of the same origin and record it in the ledger.

    The rotation's checkpoint is signed by the old and the new key, so the old
    key vouches for its successor. The old public key stays in keys/ for
    verifying older checkpoints; the old private key is deleted.
    """
    from releasegate.ledger.checkpoint import CheckpointSigner
    from releasegate.ledger.note import SignerKey
    from releasegate.store.ledger import append_entry, use_transaction_signer

    settings = app.settings
    paths = LedgerPaths.of(settings)
    old = load_log_key(settings)
    new = SignerKey.generate(old.name)
    verifier = new.verifier
    public_file = paths.public_key_file(verifier.key_id_hex)
    paths.next_private_key.unlink(missing_ok=True)
    try:
        _write_private(paths.next_private_key, new.to_text())
        _write_public(public_file, verifier.to_text())
        with app.database.transaction() as session:
            use_transaction_signer(session, CheckpointSigner([new, old]))
            append_entry(
                session,
                entry_type=KEY_ROTATED,
                subject=None,
                recorded_at=app.clock(),
                data={
                    "key_name": new.name,
                    "key_id": verifier.key_id_hex,
                    "algorithm": "ed25519",
                    "verifier_key": verifier.to_text(),
                    "previous_key_id": old.key_id.hex(),
                    "reason": reason,
                },
            )
    except BaseException:
        paths.next_private_key.unlink(missing_ok=True)
        public_file.unlink(missing_ok=True)
        raise
    os.replace(paths.next_private_key, paths.private_key)
    _write_public(paths.public_key, verifier.to_text())
    log.info("ledger key rotated from %s to %s", old.key_id.hex(), verifier.key_id_hex)
    return _status(settings, new, created=True)


def create_witness_key(name: str, directory: Path) -> tuple[Path, Path, VerifierKey]:
    """Create a witness key pair in `directory`; return the key file, the public file and the key.

    Refuses to overwrite existing files.
    """
    from releasegate.ledger.note import TYPE_COSIGNATURE, SignerKey, check_key_name

    check_key_name(name, source="NAME")
    stem = _FILE_NAME_CHARACTERS.sub("_", name).strip("_") or "witness"
    private_path = directory / f"{stem}.key"
    public_path = directory / f"{stem}.pub"
    for path in (private_path, public_path):
        if path.exists():
            raise InputError(
                f"{path} already exists",
                hint="choose another folder or name; keys are never overwritten",
            )
    key = SignerKey.generate(name, TYPE_COSIGNATURE)
    _write_private(private_path, key.to_text())
    _write_public(public_path, key.verifier.to_text())
    return private_path, public_path, key.verifier


# Checkpoints and cosignatures


def _open_stored(
    settings: Settings, stored: StoredCheckpoint, *, witness_keys: Sequence[VerifierKey] = ()
) -> OpenedCheckpoint:
    from releasegate.ledger.checkpoint import open_checkpoint

    return open_checkpoint(
        stored.cosigned_note,
        log_public_keys(settings),
        witness_keys=witness_keys,
        origin=current_public_key(settings).name,
        source=f"stored checkpoint {stored.id}",
    )


def open_checkpoint_file(
    settings: Settings, path: Path, *, key_files: Sequence[Path] = ()
) -> OpenedCheckpoint:
    """Read a checkpoint file and check its log signature against the log's keys.

    With `key_files`, only those public keys are trusted.
    """
    from releasegate.ledger.checkpoint import open_checkpoint

    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read checkpoint file {path} ({error.strerror})") from error
    keys = [read_public_key(k) for k in key_files] if key_files else log_public_keys(settings)
    origin = None if key_files else current_public_key(settings).name
    return open_checkpoint(data, keys, origin=origin, source=str(path))


def checkpoint(app: Application) -> tuple[StoredCheckpoint, OpenedCheckpoint]:
    """Sign the current tree head (unless the newest checkpoint covers it) and return it."""
    from releasegate.ledger.checkpoint import CheckpointSigner
    from releasegate.store.ledger import latest_checkpoint, write_checkpoint

    signer = CheckpointSigner([load_log_key(app.settings)])
    with app.database.transaction() as session:
        write_checkpoint(session, signer)
        stored = latest_checkpoint(session)
        assert stored is not None  # written above
        witnesses = _witnesses(session, stored)
    return stored, _open_stored(app.settings, stored, witness_keys=witnesses)


def latest(app: Application) -> tuple[StoredCheckpoint, OpenedCheckpoint]:
    """Return the newest stored checkpoint after checking its signatures."""
    from releasegate.store.ledger import latest_checkpoint

    with app.database.transaction() as session:
        stored = latest_checkpoint(session)
        if stored is None:
            raise NotFoundError("the ledger has no checkpoint yet", hint="run 'releasegate init'")
        witnesses = _witnesses(session, stored)
    return stored, _open_stored(app.settings, stored, witness_keys=witnesses)


def _witnesses(session: object, stored: StoredCheckpoint) -> list[VerifierKey]:
    from sqlalchemy.orm import Session

    from releasegate.store.ledger import witness_keys_of

    assert isinstance(session, Session)
    return witness_keys_of(session, stored)


@dataclass(frozen=True)
class Cosignature:
    """A witness cosignature just added to the newest checkpoint."""

    checkpoint: StoredCheckpoint
    witness: VerifierKey
    timestamp: int
    note: str
    previous_size: int | None


def cosign(app: Application, key_file: Path) -> Cosignature:
    """Cosign the newest checkpoint with a witness key.

    Steps:
    1. Read the witness key (type 0x04, mode 0600).
    2. Open the newest checkpoint with the log's keys.
    3. Check that it extends the largest checkpoint this witness cosigned
       before, with a consistency proof read from the tiles.
    4. Sign "cosignature/v1", the time and the checkpoint text, and store the line.

    NOTE: the witness's previous checkpoint is looked up in this database, so
    an operator who can delete rows could make the witness skip a fork. A
    witness that keeps its own copy of the last cosigned checkpoint should
    also run 'ledger verify --checkpoint' with it.
    """
    from releasegate.ledger.merkle import verify_consistency
    from releasegate.ledger.note import TYPE_COSIGNATURE, signature_line
    from releasegate.store.ledger import (
        add_cosignature,
        consistency_proof,
        last_cosigned_checkpoint,
        latest_checkpoint,
    )

    # Step 1: the witness key.
    witness = read_private_key(key_file, signature_type=TYPE_COSIGNATURE, what="witness key")
    timestamp = int(app.clock().timestamp())

    with app.database.transaction() as session:
        # Step 2: the newest checkpoint.
        stored = latest_checkpoint(session)
        if stored is None:
            raise NotFoundError(
                "the ledger has no checkpoint to cosign", hint="run 'releasegate init'"
            )
        opened = _open_stored(app.settings, stored)
        current = opened.checkpoint

        # Step 3: consistency with what this witness cosigned before.
        previous = last_cosigned_checkpoint(session, witness.verifier)
        previous_size = None
        if previous is not None:
            before = _open_stored(app.settings, previous).checkpoint
            previous_size = before.size
            if before.size > current.size:
                raise LedgerIntegrityError(
                    f"the witness cosigned tree size {before.size} before, but the newest "
                    f"checkpoint has only {current.size} entries: the log shrank",
                    hint="do not cosign; keep both checkpoints as evidence and investigate",
                )
            if before.size == current.size and before.root_hash != current.root_hash:
                raise LedgerIntegrityError(
                    f"two checkpoints of tree size {current.size} have different roots: the log "
                    "forked",
                    hint="do not cosign; keep both checkpoints as evidence and investigate",
                )
            if 0 < before.size < current.size:
                proof = consistency_proof(session, before.size, current.size)
                verify_consistency(
                    before.size, current.size, before.root_hash, current.root_hash, proof
                )

        # Step 4: sign and store.
        line = signature_line(current.text, witness, timestamp=timestamp)
        add_cosignature(session, stored, witness=witness.verifier, timestamp=timestamp, line=line)
    log.info(
        "witness %s cosigned checkpoint %d at tree size %d", witness.name, stored.id, current.size
    )
    return Cosignature(
        stored, witness.verifier, timestamp, stored.cosigned_note + line, previous_size
    )


# Proofs


@dataclass(frozen=True)
class InclusionResult:
    """An inclusion proof of one entry against one signed checkpoint, checked locally."""

    index: int
    entry_type: str
    leaf_hash: bytes
    proof: tuple[bytes, ...]
    checkpoint: OpenedCheckpoint


def prove_inclusion(
    app: Application, index: int, *, checkpoint_file: Path | None = None
) -> InclusionResult:
    """Build and check the inclusion proof of entry `index`.

    The proof is against `checkpoint_file` if given, else the newest stored checkpoint.
    """
    from releasegate.ledger.merkle import verify_inclusion
    from releasegate.store.ledger import entry_bodies, inclusion_proof, latest_checkpoint
    from releasegate.store.tables import LedgerEntryRow

    with app.database.transaction() as session:
        if checkpoint_file is not None:
            opened = open_checkpoint_file(app.settings, checkpoint_file)
        else:
            stored = latest_checkpoint(session)
            if stored is None:
                raise NotFoundError(
                    "the ledger has no checkpoint yet", hint="run 'releasegate init'"
                )
            opened = _open_stored(app.settings, stored)
        size = opened.checkpoint.size
        if not 0 <= index < size:
            raise InputError(
                f"entry {index} is not in the checkpoint, which covers entries 0 to {size - 1}",
                source="ENTRY",
                hint="pass an index below the checkpoint's tree size",
            )
        row = session.get(LedgerEntryRow, index)
        body = entry_bodies(session, [index]).get(index)
        if row is None or body is None:
            raise LedgerIntegrityError(
                f"entry {index} is covered by the checkpoint but missing from the database",
                hint="run 'releasegate ledger verify'",
            )
        from releasegate.ledger.merkle import leaf_hash

        digest = leaf_hash(body)
        proof = inclusion_proof(session, index, size)
        verify_inclusion(digest, index, size, proof, opened.checkpoint.root_hash)
        return InclusionResult(index, row.entry_type, digest, tuple(proof), opened)


@dataclass(frozen=True)
class TreeHead:
    """One end of a consistency proof: a size, its root and where the root came from."""

    size: int
    root_hash: bytes
    source: str


@dataclass(frozen=True)
class ConsistencyResult:
    """A consistency proof between two tree heads, checked locally."""

    old: TreeHead
    new: TreeHead
    proof: tuple[bytes, ...]


def _tree_head(app: Application, session: object, value: str, label: str) -> TreeHead:
    from sqlalchemy.orm import Session

    from releasegate.store.ledger import latest_checkpoint, root_at

    assert isinstance(session, Session)
    if value.isdigit():
        size = int(value)
        stored = latest_checkpoint(session)
        if stored is not None and stored.size == size:
            opened = _open_stored(app.settings, stored)
            return TreeHead(size, opened.checkpoint.root_hash, f"stored checkpoint {stored.id}")
        return TreeHead(size, root_at(session, size), "computed from the stored tiles")
    path = Path(value)
    if not path.exists():
        raise InputError(
            f"{value!r} is neither a tree size nor an existing checkpoint file",
            source=label,
            hint="pass a number of entries or the path of a checkpoint file",
        )
    opened = open_checkpoint_file(app.settings, path)
    return TreeHead(opened.checkpoint.size, opened.checkpoint.root_hash, str(path))


def prove_consistency(app: Application, old: str, new: str) -> ConsistencyResult:
    """Build and check the consistency proof between two sizes or checkpoint files."""
    from releasegate.ledger.merkle import verify_consistency
    from releasegate.store.ledger import consistency_proof

    with app.database.transaction() as session:
        old_head = _tree_head(app, session, old, "OLD")
        new_head = _tree_head(app, session, new, "NEW")
        if old_head.size == 0:
            raise InputError(
                "a consistency proof from the empty tree proves nothing",
                source="OLD",
                hint="pass the size of an earlier non-empty checkpoint",
            )
        if old_head.size > new_head.size:
            raise InputError(
                f"the old tree ({old_head.size} entries) is larger than the new one "
                f"({new_head.size} entries)",
                source="OLD",
                hint="pass the older, smaller tree first",
            )
        proof = consistency_proof(session, old_head.size, new_head.size)
    verify_consistency(old_head.size, new_head.size, old_head.root_hash, new_head.root_hash, proof)
    return ConsistencyResult(old_head, new_head, tuple(proof))


# Verification and reading


def verify(
    app: Application,
    *,
    checkpoint_file: Path | None = None,
    key_files: Sequence[Path] = (),
    deep: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> VerificationReport:
    """Verify the whole ledger against its newest checkpoint and, optionally, an auditor's.

    With `key_files`, only those public keys are trusted; otherwise the log's
    key folder, and the newest checkpoint must carry the current key's signature.
    """
    from releasegate.store.ledger import verify_ledger

    if key_files:
        keys = [read_public_key(path) for path in key_files]
        current: tuple[str, ...] = ()
        origin = keys[0].name
    else:
        keys = log_public_keys(app.settings)
        public = current_public_key(app.settings)
        current = (public.key_id_hex,)
        origin = public.name
    auditor = None
    if checkpoint_file is not None:
        auditor = open_checkpoint_file(app.settings, checkpoint_file, key_files=key_files)
    with app.database.transaction() as session:
        return verify_ledger(
            session,
            log_keys=keys,
            origin=origin,
            current_key_ids=current,
            auditor_checkpoint=auditor,
            deep=deep,
            progress=progress,
            parallel=True,
        )


def release_chain(app: Application, release_id: str) -> list[LedgerEntry]:
    """Return the ledger entries of one release, in log order."""
    from releasegate.service.releases import get_release
    from releasegate.store.ledger import entries_for

    get_release(app, release_id)  # raises NotFoundError for an unknown release
    with app.database.transaction() as session:
        return entries_for(session, release_id)


def key_history(app: Application) -> list[LedgerEntry]:
    """Return the ledger entries that record log key creation and rotation."""
    from releasegate.store.ledger import entries_of_types

    with app.database.transaction() as session:
        return entries_of_types(session, KEY_ENTRY_TYPES)
