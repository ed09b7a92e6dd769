"""The ledger's database side: the append path, signed checkpoints, proofs and the verifier.

Appends run inside the caller's transaction, so a state change and its
ledger entries commit or roll back together. The single `ledger_head` row is
the sequencer: each append locks it (SELECT ... FOR UPDATE on PostgreSQL; on
SQLite every write transaction starts with BEGIN IMMEDIATE), extends the
tree and writes it back. The tree's interior hashes are kept as tiles (see
`releasegate.ledger.tiles`), so a batch of k entries writes k entry rows and
about k / 255 tiles, and a proof reads a handful of tiles.

Every transaction that appended entries writes one signed checkpoint just
before it commits. `register_checkpoint_signer` sets the signer of a
database. Appending without one raises ConfigurationError, so no entry is
committed without a signed tree head.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event, func, insert, select, update
from sqlalchemy.orm import Session

from releasegate.clock import rfc3339
from releasegate.errors import ConfigurationError, LedgerIntegrityError, ReleasegateError
from releasegate.ledger.canonical import canonical_json
from releasegate.ledger.checkpoint import (
    Checkpoint,
    CheckpointSigner,
    OpenedCheckpoint,
    open_checkpoint,
)
from releasegate.ledger.merkle import EMPTY_ROOT, verify_consistency
from releasegate.ledger.note import VerifierKey
from releasegate.ledger.tiles import (
    TILE_WIDTH,
    TileKey,
    TileReader,
    TreeBuilder,
    consistency_proof_from_tiles,
    inclusion_proof_from_tiles,
    leaf_hash_from_tiles,
    partial_tile_keys,
    root_from_tiles,
)
from releasegate.store.tables import (
    LedgerCheckpointRow,
    LedgerCosignatureRow,
    LedgerEntryRow,
    LedgerHeadRow,
    LedgerTileRow,
)

log = logging.getLogger(__name__)

_HEAD_ID = 1
# Entries that the verifier reads per query, a multiple of TILE_WIDTH.
_VERIFY_CHUNK = 64 * TILE_WIDTH
# Verification uses worker processes for SQLite ledgers of at least this many entries.
_PARALLEL_MIN_ENTRIES = 200_000
_MAX_WORKERS = 3
# Problems listed in a verification report before the rest are only counted.
_MAX_PROBLEMS = 20
_PENDING_CHECKPOINT = "releasegate.ledger.pending_checkpoint"
_TRANSACTION_SIGNER = "releasegate.ledger.transaction_signer"
_RECORDED_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_RECORDED_AT_LENGTH = 27
_DATA_PREFIX = '{"data":'

CheckpointSignerProvider = Callable[[], CheckpointSigner]
"""Returns the signer of the next checkpoint; called once per committing transaction."""

_signer_providers: WeakKeyDictionary[Engine, CheckpointSignerProvider] = WeakKeyDictionary()


# Values


@dataclass(frozen=True)
class NewEntry:
    """An entry to append: its type, subject (usually a release id), data and time."""

    entry_type: str
    subject: str | None
    data: dict[str, Any]
    recorded_at: datetime


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger entry as stored."""

    index: int
    entry_type: str
    subject: str | None
    recorded_at: datetime
    body: dict[str, Any]
    leaf_hash: str


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint row: its tree size, root, signed note and cosignature lines."""

    id: int
    size: int
    root_hash: bytes
    note: str
    key_ids: tuple[str, ...]
    created_at: datetime
    cosignature_lines: tuple[str, ...] = ()

    @property
    def cosigned_note(self) -> str:
        """The note with the witness cosignature lines appended."""
        return self.note + "".join(self.cosignature_lines)


@dataclass(frozen=True)
class VerificationReport:
    """Outcome of `verify_ledger`: what was checked, and every problem found."""

    size: int
    root_hash: str
    ok: bool
    problems: tuple[str, ...]
    checkpoint: Checkpoint | None = None
    checkpoint_key_ids: tuple[str, ...] = ()
    auditor_checkpoint: Checkpoint | None = None
    deep: bool = False
    checks: tuple[str, ...] = field(default=())


# Checkpoint signing


def register_checkpoint_signer(engine: Engine, provider: CheckpointSignerProvider) -> None:
    """Make `provider` sign the checkpoints of every transaction on `engine` that appends."""
    _signer_providers[engine] = provider


def use_transaction_signer(session: Session, signer: CheckpointSigner) -> None:
    """Sign the checkpoint of this session's transaction with `signer` instead of the default.

    Key creation and rotation use this to sign with keys that are not on disk yet.
    """
    session.info[_TRANSACTION_SIGNER] = signer


def _checkpoint_signer(session: Session) -> CheckpointSigner:
    signer = session.info.get(_TRANSACTION_SIGNER)
    if isinstance(signer, CheckpointSigner):
        return signer
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    provider = _signer_providers.get(engine)
    if provider is None:
        raise ConfigurationError(
            "no checkpoint signer is configured for this database, so the ledger cannot append",
            hint="run 'releasegate init' to create the log key",
        )
    return provider()


@event.listens_for(Session, "before_commit")
def _write_pending_checkpoint(session: Session) -> None:
    if not session.info.pop(_PENDING_CHECKPOINT, False):
        return
    signer = _checkpoint_signer(session)
    session.info.pop(_TRANSACTION_SIGNER, None)
    head = _head(session)
    _insert_checkpoint(session, signer, head.size, bytes.fromhex(head.root_hash))


@event.listens_for(Session, "after_rollback")
def _forget_pending_checkpoint(session: Session) -> None:
    session.info.pop(_PENDING_CHECKPOINT, None)
    session.info.pop(_TRANSACTION_SIGNER, None)


def _insert_checkpoint(
    session: Session, signer: CheckpointSigner, size: int, root_hash: bytes
) -> LedgerCheckpointRow:
    row = LedgerCheckpointRow(
        tree_size=size,
        root_hash=root_hash.hex(),
        note=signer.sign(size, root_hash),
        key_ids=",".join(signer.key_ids),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    log.info("ledger checkpoint %d signed at tree size %d", row.id, size)
    return row


def write_checkpoint(session: Session, signer: CheckpointSigner | None = None) -> StoredCheckpoint:
    """Sign the current tree head, or return the newest checkpoint if it already covers it.

    The signer defaults to the one registered for the database. A checkpoint
    of the same size and signing keys is not written twice, because Ed25519
    signatures are deterministic and the note would be identical.
    """
    signer = signer or _checkpoint_signer(session)
    head = _head(session)
    latest = latest_checkpoint(session)
    if (
        latest is not None
        and latest.size == head.size
        and latest.root_hash.hex() == head.root_hash
        and latest.key_ids == signer.key_ids
    ):
        return latest
    row = _insert_checkpoint(session, signer, head.size, bytes.fromhex(head.root_hash))
    return _stored_checkpoint(row, ())


# Append


def _head(session: Session) -> LedgerHeadRow:
    head = session.get(LedgerHeadRow, _HEAD_ID, with_for_update=True)
    if head is None:
        # Two first appends may race here: the loser's insert does nothing, and
        # it then waits for the winner's lock on the row.
        from sqlalchemy.dialects import postgresql, sqlite

        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(
            dialect.insert(LedgerHeadRow)
            .values(id=_HEAD_ID, size=0, root_hash=EMPTY_ROOT.hex(), frontier_json="[]")
            .on_conflict_do_nothing(index_elements=["id"])
        )
        head = session.get(LedgerHeadRow, _HEAD_ID, with_for_update=True, populate_existing=True)
        if head is None:
            raise LedgerIntegrityError("the ledger head row could not be created")
    return head


def append_entries(session: Session, entries: Sequence[NewEntry]) -> list[LedgerEntry]:
    """Append entries in the caller's transaction, in order, and advance the head.

    Steps:
    1. Lock the head row (the sequencer) and load the partial tiles of the tree.
    2. Build each entry's canonical body and leaf hash; the index is the next tree size.
    3. Insert the entry rows, write the changed tiles and the new head.
    4. Mark the transaction so that it signs a checkpoint before it commits.

    Raises ConfigurationError if no checkpoint signer is configured, InputError
    if an entry's data cannot be canonicalized, and LedgerIntegrityError if
    the stored tiles do not fit the head.
    """
    if not entries:
        return []
    if _TRANSACTION_SIGNER not in session.info:
        # Fail before any work if the checkpoint cannot be signed.
        session.info[_TRANSACTION_SIGNER] = _checkpoint_signer(session)

    # Step 1: the sequencer and the tree's rightmost tiles.
    head = _head(session)
    first = head.size
    initial = _read_partial_tiles(session, first)
    builder = TreeBuilder(first, {level: hashes for (level, _), hashes in initial.items()})

    # Step 2: bodies and leaf hashes.
    rows: list[dict[str, Any]] = []
    appended: list[LedgerEntry] = []
    leaf_hashes: list[bytes] = []
    for offset, entry in enumerate(entries):
        index = first + offset
        body = {
            "index": index,
            "type": entry.entry_type,
            "subject": entry.subject,
            "recorded_at": rfc3339(entry.recorded_at),
            "data": entry.data,
        }
        encoded = canonical_json(body)
        digest = hashlib.sha256(b"\x00" + encoded).digest()
        leaf_hashes.append(digest)
        rows.append(
            {
                "seq": index,
                "entry_type": entry.entry_type,
                "subject": entry.subject,
                "body": encoded.decode("utf-8"),
                "leaf_hash": digest.hex(),
                "recorded_at": entry.recorded_at,
            }
        )
        appended.append(
            LedgerEntry(
                index, entry.entry_type, entry.subject, entry.recorded_at, body, digest.hex()
            )
        )

    # Step 3: entry rows, tiles and head.
    full_tiles = builder.extend(leaf_hashes)
    # Core inserts skip the ORM bulk machinery, which costs more than the hashing here.
    connection = session.connection()
    connection.execute(insert(LedgerEntryRow), rows)
    inserts: list[dict[str, Any]] = []
    for tile in [*full_tiles, *builder.partial_tiles()]:
        key = (tile.level, tile.index)
        if key not in initial:
            inserts.append({"level": tile.level, "tile_index": tile.index, "hashes": tile.hashes})
        elif initial[key] != tile.hashes:
            session.execute(
                update(LedgerTileRow)
                .where(LedgerTileRow.level == tile.level, LedgerTileRow.tile_index == tile.index)
                .values(hashes=tile.hashes)
            )
    if inserts:
        connection.execute(insert(LedgerTileRow), inserts)
    head.size = builder.size
    head.root_hash = builder.root().hex()
    head.frontier_json = json.dumps([h.hex() for h in builder.frontier()])
    session.flush()

    # Step 4: the checkpoint is signed in the before_commit hook.
    session.info[_PENDING_CHECKPOINT] = True
    return appended


def append_entry(
    session: Session,
    *,
    entry_type: str,
    subject: str | None,
    data: dict[str, Any],
    recorded_at: datetime,
) -> LedgerEntry:
    """Append one entry in the caller's transaction; see `append_entries`."""
    return append_entries(session, [NewEntry(entry_type, subject, data, recorded_at)])[0]


def _read_partial_tiles(session: Session, size: int) -> dict[TileKey, bytes]:
    keys = [(level, index) for level, index, _ in partial_tile_keys(size)]
    tiles = read_tiles(session, keys)
    for level, index, width in partial_tile_keys(size):
        stored = tiles.get((level, index))
        if stored is None:
            raise LedgerIntegrityError(
                f"tile {level}/{index} is missing from the ledger of {size} entries",
                hint="the stored tree is damaged; run 'releasegate ledger verify'",
            )
        if len(stored) < width * 32:
            raise LedgerIntegrityError(
                f"tile {level}/{index} contains {len(stored) // 32} hashes, "
                f"but a ledger of {size} entries needs {width}",
                hint="the stored tree is damaged; run 'releasegate ledger verify'",
            )
        tiles[(level, index)] = stored[: width * 32]
    return tiles


# Reads


def read_tiles(session: Session, keys: Collection[TileKey]) -> dict[TileKey, bytes]:
    """Return the stored hashes of each requested tile that exists."""
    if not keys:
        return {}
    by_level: dict[int, list[int]] = {}
    for level, index in keys:
        by_level.setdefault(level, []).append(index)

    # NOTE: one `level = ? AND tile_index IN (...)` term per level, because
    # SQLite scans the whole table for a row-value IN over (level, tile_index).
    # The query goes to the driver directly: a proof reads tiles once, and
    # SQLAlchemy's statement handling would cost more than the read itself.
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    terms = []
    parameters: list[int] = []
    for level, indexes in sorted(by_level.items()):
        terms.append(f"(level = {mark} AND tile_index IN ({', '.join([mark] * len(indexes))}))")
        parameters += [level, *indexes]
    # Only placeholders are formatted into the statement; the values are bound.
    statement = "SELECT level, tile_index, hashes FROM ledger_tiles WHERE " + " OR ".join(terms)  # noqa: S608
    rows = connection.exec_driver_sql(statement, tuple(parameters)).all()
    return {(level, index): bytes(hashes) for level, index, hashes in rows}


def tile_reader(session: Session) -> TileReader:
    """Return a TileReader over this session."""
    return lambda keys: read_tiles(session, keys)


def ledger_head(session: Session) -> tuple[int, str]:
    """Return the tree size and the hexadecimal root hash recorded in the head row."""
    head = session.get(LedgerHeadRow, _HEAD_ID)
    if head is None:
        return 0, EMPTY_ROOT.hex()
    return head.size, head.root_hash


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    """Build the inclusion proof of entry `index` in the tree of the first `size` entries."""
    _require_size(session, size)
    return inclusion_proof_from_tiles(index, size, tile_reader(session))


def consistency_proof(session: Session, old_size: int, new_size: int) -> list[bytes]:
    """Build the consistency proof from the tree of `old_size` entries to `new_size` entries."""
    _require_size(session, new_size)
    return consistency_proof_from_tiles(old_size, new_size, tile_reader(session))


def root_at(session: Session, size: int) -> bytes:
    """Return the root hash of the tree of the first `size` entries, read from tiles."""
    _require_size(session, size)
    return root_from_tiles(size, tile_reader(session))


def stored_leaf_hash(session: Session, index: int) -> bytes:
    """Return the leaf hash of entry `index` as the tiles store it."""
    return leaf_hash_from_tiles(index, tile_reader(session))


def _require_size(session: Session, size: int) -> None:
    stored, _ = ledger_head(session)
    if not 0 <= size <= stored:
        raise LedgerIntegrityError(
            f"tree size {size} is larger than the ledger, which has {stored} entries",
            hint="a log never shrinks: if a checkpoint of this size was signed, entries were "
            "deleted, so restore the database from backup",
        )


def _stored_checkpoint(row: LedgerCheckpointRow, lines: Iterable[str]) -> StoredCheckpoint:
    return StoredCheckpoint(
        id=row.id,
        size=row.tree_size,
        root_hash=bytes.fromhex(row.root_hash),
        note=row.note,
        key_ids=tuple(k for k in row.key_ids.split(",") if k),
        created_at=row.created_at,
        cosignature_lines=tuple(lines),
    )


def _cosignature_lines(session: Session, checkpoint_id: int) -> list[str]:
    return list(
        session.scalars(
            select(LedgerCosignatureRow.line)
            .where(LedgerCosignatureRow.checkpoint_id == checkpoint_id)
            .order_by(LedgerCosignatureRow.id)
        )
    )


def latest_checkpoint(session: Session) -> StoredCheckpoint | None:
    """Return the newest checkpoint of the largest tree size, with its cosignatures."""
    row = session.scalars(
        select(LedgerCheckpointRow)
        .order_by(LedgerCheckpointRow.tree_size.desc(), LedgerCheckpointRow.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return _stored_checkpoint(row, _cosignature_lines(session, row.id))


def checkpoint_count(session: Session) -> int:
    """Return the number of stored checkpoints."""
    return session.scalar(select(func.count()).select_from(LedgerCheckpointRow)) or 0


def all_checkpoints(session: Session) -> list[StoredCheckpoint]:
    """Return every stored checkpoint, oldest first, without cosignatures."""
    rows = session.scalars(select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.id)).all()
    return [_stored_checkpoint(row, ()) for row in rows]


def add_cosignature(
    session: Session,
    checkpoint: StoredCheckpoint,
    *,
    witness: VerifierKey,
    timestamp: int,
    line: str,
) -> None:
    """Store a witness cosignature line of a checkpoint."""
    session.add(
        LedgerCosignatureRow(
            checkpoint_id=checkpoint.id,
            witness=witness.name,
            key_id=witness.key_id_hex,
            verifier_key=witness.to_text(),
            timestamp=timestamp,
            line=line,
            created_at=datetime.now(UTC),
        )
    )
    session.flush()


def witness_keys_of(session: Session, checkpoint: StoredCheckpoint) -> list[VerifierKey]:
    """Return the public keys of the witnesses that cosigned `checkpoint`."""
    texts = session.scalars(
        select(LedgerCosignatureRow.verifier_key)
        .where(LedgerCosignatureRow.checkpoint_id == checkpoint.id)
        .distinct()
    ).all()
    return [VerifierKey.from_text(text, source="ledger_cosignatures") for text in texts]


def last_cosigned_checkpoint(session: Session, witness: VerifierKey) -> StoredCheckpoint | None:
    """Return the largest checkpoint that `witness` cosigned, if any."""
    row = session.scalars(
        select(LedgerCheckpointRow)
        .join(LedgerCosignatureRow, LedgerCosignatureRow.checkpoint_id == LedgerCheckpointRow.id)
        .where(
            LedgerCosignatureRow.witness == witness.name,
            LedgerCosignatureRow.key_id == witness.key_id_hex,
        )
        .order_by(LedgerCheckpointRow.tree_size.desc(), LedgerCheckpointRow.id.desc())
        .limit(1)
    ).first()
    return None if row is None else _stored_checkpoint(row, ())


def _entry_from_row(row: LedgerEntryRow) -> LedgerEntry:
    # The time comes from the hashed body, not the recorded_at column, which
    # only serves queries and is not covered by the leaf hash.
    body = json.loads(row.body)
    recorded_at = datetime.strptime(body["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=UTC
    )
    return LedgerEntry(row.seq, row.entry_type, row.subject, recorded_at, body, row.leaf_hash)


def entries_for(session: Session, subject: str) -> list[LedgerEntry]:
    """Return the entries whose subject is `subject`, in log order."""
    rows = session.scalars(
        select(LedgerEntryRow).where(LedgerEntryRow.subject == subject).order_by(LedgerEntryRow.seq)
    ).all()
    return [_entry_from_row(r) for r in rows]


def entries_of_types(session: Session, entry_types: Collection[str]) -> list[LedgerEntry]:
    """Return the entries of the given types, in log order."""
    rows = session.scalars(
        select(LedgerEntryRow)
        .where(LedgerEntryRow.entry_type.in_(list(entry_types)))
        .order_by(LedgerEntryRow.seq)
    ).all()
    return [_entry_from_row(r) for r in rows]


def entry_bodies(session: Session, indexes: Collection[int]) -> dict[int, bytes]:
    """Return the stored canonical body bytes of the entries at `indexes`."""
    if not indexes:
        return {}
    rows = session.execute(
        select(LedgerEntryRow.seq, LedgerEntryRow.body).where(LedgerEntryRow.seq.in_(list(indexes)))
    ).all()
    return {seq: body.encode("utf-8") for seq, body in rows}


def require_verified(report: VerificationReport) -> None:
    """Raise LedgerIntegrityError with the first problem unless the report is ok."""
    if not report.ok:
        raise LedgerIntegrityError(
            report.problems[0], hint="restore the database from backup and investigate the change"
        )


# Verification


class _Problems:
    """Collects problems, listing the first few and counting the rest."""

    def __init__(self) -> None:
        self.listed: list[str] = []
        self.count = 0

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.listed) < _MAX_PROBLEMS:
            self.listed.append(message)

    def merge(self, listed: Sequence[str], count: int) -> None:
        for message in listed:
            self.add(message)
        self.count += count - len(listed)

    def result(self) -> tuple[str, ...]:
        if self.count > len(self.listed):
            return (*self.listed, f"... and {self.count - len(self.listed)} more problems")
        return tuple(self.listed)


def verify_ledger(
    session: Session,
    *,
    log_keys: Sequence[VerifierKey],
    origin: str | None,
    current_key_ids: Collection[str] = (),
    auditor_checkpoint: OpenedCheckpoint | None = None,
    deep: bool = False,
    progress: Callable[[int, int], None] | None = None,
    parallel: bool = False,
) -> VerificationReport:
    """Check the whole ledger against its newest signed checkpoint.

    Steps:
    1. The newest stored checkpoint verifies under `log_keys`, names `origin`,
       is signed by a current key when `current_key_ids` is given, and its row
       matches its signed text.
    2. Every entry in index order: indexes are contiguous from 0, and the
       body's canonical envelope names the row's type and subject. The leaf
       hash of the stored bytes equals the stored leaf hash. With `deep`, or
       when a chunk fails a check, each body's index and timestamp are
       checked too, and `deep` also re-canonicalizes the whole body.
    3. The tree rebuilt from the recomputed leaf hashes equals every stored
       tile, and its root equals the head's root.
    4. The checkpoint covers exactly the stored entries and its root equals
       the rebuilt root at its size. With `deep`, every stored checkpoint
       verifies and matches the rebuilt root at its own size.
    5. With `auditor_checkpoint` (an already opened, older checkpoint kept
       outside the database): the log is not shorter than it, the rebuilt
       root at its size equals its root, and a consistency proof from it to
       the newest checkpoint verifies.

    With `parallel`, several processes check a large SQLite ledger. They read
    the committed state, so use it only in a transaction that has not written
    anything. Returns a report: problems found in the stored data are listed
    in it rather than raised.
    """
    problems = _Problems()
    checks: list[str] = []

    # Step 1: the newest checkpoint.
    head_size, head_root = ledger_head(session)
    stored = latest_checkpoint(session)
    checkpoint: Checkpoint | None = None
    key_ids: tuple[str, ...] = ()
    if stored is None:
        if head_size:
            problems.add(f"no signed checkpoint is stored, but the ledger has {head_size} entries")
    else:
        checkpoint, key_ids = _check_checkpoint_row(
            stored, log_keys, origin, current_key_ids, problems, "newest checkpoint"
        )
        if checkpoint is not None:
            checks.append(
                f"checkpoint signature: tree size {checkpoint.size}, keys {', '.join(key_ids)}"
            )

    snapshot_sizes = {head_size}
    if checkpoint is not None:
        snapshot_sizes.add(checkpoint.size)
    if auditor_checkpoint is not None:
        snapshot_sizes.add(auditor_checkpoint.checkpoint.size)
    older = all_checkpoints(session) if deep else []
    snapshot_sizes.update(c.size for c in older)

    # Steps 2 and 3: entries, leaf hashes, tiles and the roots at snapshot sizes.
    total = session.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0
    rebuilt = _rebuild_tree(session, total, snapshot_sizes, deep, problems, progress, parallel)
    size = rebuilt.size
    root = rebuilt.roots.get(size, EMPTY_ROOT).hex()
    checks.append(f"entries: {size} bodies and leaf hashes")
    checks.append(f"tiles: {rebuilt.tiles_checked} compared with the rebuilt tree")
    if size != head_size:
        problems.add(f"ledger head claims {head_size} entries, {size} are stored")
    if root != head_root:
        problems.add(f"root mismatch: head records {head_root}, entries hash to {root}")

    # Step 4: the checkpoint covers exactly the stored entries.
    if checkpoint is not None:
        _compare_with_tree(checkpoint, rebuilt, problems, "the newest checkpoint")
        if checkpoint.size < size:
            problems.add(
                f"entries {checkpoint.size} to {size - 1} are not covered by a signed "
                "checkpoint; they were inserted outside the append path"
            )
    for older_checkpoint in older:
        opened, _ = _check_checkpoint_row(
            older_checkpoint, log_keys, origin, (), problems, f"checkpoint {older_checkpoint.id}"
        )
        if opened is not None:
            _compare_with_tree(opened, rebuilt, problems, f"checkpoint {older_checkpoint.id}")
    if deep:
        checks.append(f"stored checkpoints: {len(older)} signatures and roots")

    # Step 5: the auditor's older checkpoint.
    if auditor_checkpoint is not None:
        _check_auditor_checkpoint(
            session, auditor_checkpoint.checkpoint, checkpoint, rebuilt, problems
        )
        checks.append(f"auditor checkpoint: tree size {auditor_checkpoint.checkpoint.size}")

    listed = problems.result()
    if listed:
        log.warning("ledger verification failed: %s", listed[0])
    return VerificationReport(
        size=size,
        root_hash=root,
        ok=not listed,
        problems=listed,
        checkpoint=checkpoint,
        checkpoint_key_ids=key_ids,
        auditor_checkpoint=None if auditor_checkpoint is None else auditor_checkpoint.checkpoint,
        deep=deep,
        checks=tuple(checks),
    )


def _check_checkpoint_row(
    stored: StoredCheckpoint,
    log_keys: Sequence[VerifierKey],
    origin: str | None,
    current_key_ids: Collection[str],
    problems: _Problems,
    label: str,
) -> tuple[Checkpoint | None, tuple[str, ...]]:
    try:
        opened = open_checkpoint(stored.note, log_keys, origin=origin, source=label)
    except ReleasegateError as error:
        problems.add(error.message)
        return None, ()
    checkpoint = opened.checkpoint
    key_ids = tuple(s.key_id.hex() for s in opened.log_signatures)
    if current_key_ids and not set(key_ids) & set(current_key_ids):
        problems.add(
            f"{label} is signed by key {', '.join(key_ids)}, not by the current log key "
            f"{', '.join(sorted(current_key_ids))}"
        )
    if checkpoint.size != stored.size or checkpoint.root_hash != stored.root_hash:
        problems.add(
            f"{label}: its row records tree size {stored.size} and root "
            f"{stored.root_hash.hex()}, but its signed text says {checkpoint.size} and "
            f"{checkpoint.root_hash.hex()}"
        )
    return checkpoint, key_ids


@dataclass
class _RebuiltTree:
    size: int = 0
    roots: dict[int, bytes] = field(default_factory=dict)
    tiles_checked: int = 0


def _compare_with_tree(
    checkpoint: Checkpoint, rebuilt: _RebuiltTree, problems: _Problems, label: str
) -> None:
    if checkpoint.size > rebuilt.size:
        problems.add(
            f"{label} covers {checkpoint.size} entries, but only {rebuilt.size} are stored: "
            "entries were deleted from the end of the log"
        )
        return
    computed = rebuilt.roots[checkpoint.size]
    if computed != checkpoint.root_hash:
        problems.add(
            f"{label} at tree size {checkpoint.size} has root {checkpoint.root_hash.hex()}, "
            f"but the stored entries hash to {computed.hex()}: entries were changed"
        )


def _check_auditor_checkpoint(
    session: Session,
    auditor: Checkpoint,
    newest: Checkpoint | None,
    rebuilt: _RebuiltTree,
    problems: _Problems,
) -> None:
    if auditor.size > rebuilt.size:
        problems.add(
            f"the auditor's checkpoint covers {auditor.size} entries, but the log has only "
            f"{rebuilt.size}: the log was truncated"
        )
        return
    computed = rebuilt.roots[auditor.size]
    if computed != auditor.root_hash:
        problems.add(
            f"the auditor's checkpoint at tree size {auditor.size} has root "
            f"{auditor.root_hash.hex()}, but the stored entries hash to {computed.hex()}: "
            "the log was rewritten"
        )
    if newest is None or newest.size < auditor.size or auditor.size == 0:
        return
    try:
        proof = consistency_proof_from_tiles(auditor.size, newest.size, tile_reader(session))
        verify_consistency(auditor.size, newest.size, auditor.root_hash, newest.root_hash, proof)
    except ReleasegateError as error:
        problems.add(
            f"consistency from the auditor's checkpoint (size {auditor.size}) to the newest "
            f"checkpoint (size {newest.size}) failed: {error.message}"
        )


def _rebuild_tree(
    session: Session,
    total: int,
    snapshot_sizes: Collection[int],
    deep: bool,
    problems: _Problems,
    progress: Callable[[int, int], None] | None,
    parallel: bool,
) -> _RebuiltTree:
    """Check every entry, rebuild the tree from the leaf hashes and compare it with the tiles."""
    rebuilt = _RebuiltTree()
    builder = TreeBuilder()
    snapshots = sorted(s for s in snapshot_sizes if s >= 0)
    pending_snapshot = 0
    while pending_snapshot < len(snapshots) and snapshots[pending_snapshot] == 0:
        rebuilt.roots[0] = EMPTY_ROOT
        pending_snapshot += 1
    upper_tiles = _upper_tiles(session)

    for leaf_hashes in _checked_leaf_hashes(session, total, deep, problems, parallel):
        # Feed the tree, stopping at each size whose root is needed.
        position = 0
        while position < len(leaf_hashes):
            stop = len(leaf_hashes)
            if pending_snapshot < len(snapshots):
                stop = min(stop, snapshots[pending_snapshot] - builder.size + position)
            full = builder.extend(leaf_hashes[position:stop])
            _compare_full_tiles(session, full, upper_tiles, problems, rebuilt)
            position = stop
            while pending_snapshot < len(snapshots) and snapshots[pending_snapshot] == builder.size:
                rebuilt.roots[builder.size] = builder.root()
                pending_snapshot += 1
        if progress is not None:
            progress(builder.size, total)

    rebuilt.size = builder.size
    rebuilt.roots[builder.size] = builder.root()
    _compare_partial_tiles(session, builder, problems, rebuilt)
    return rebuilt


_ENTRY_QUERY = (
    "SELECT seq, entry_type, subject, body, leaf_hash FROM ledger_entries "
    "WHERE seq >= ? AND seq < ? ORDER BY seq"
)


def _checked_leaf_hashes(
    session: Session, total: int, deep: bool, problems: _Problems, parallel: bool
) -> Iterator[list[bytes]]:
    """Yield the recomputed leaf hashes of every entry in index order, chunk by chunk.

    Every entry is checked on the way (see `_check_chunk`). With `parallel`,
    a SQLite ledger of at least _PARALLEL_MIN_ENTRIES entries is split: worker
    processes check and hash the later ranges through their own read-only
    connections while this process checks the first range and builds the tree.
    """
    end = (session.scalar(select(func.max(LedgerEntryRow.seq))) or 0) + 1
    path = _sqlite_file(session)
    qmark = session.get_bind().dialect.paramstyle == "qmark"
    workers = min((os.cpu_count() or 1) - 1, _MAX_WORKERS)
    if not parallel or path is None or total < _PARALLEL_MIN_ENTRIES or workers < 1:
        yield from _checked_range(session.connection().connection, qmark, 0, end, deep, problems)
        return

    # This process also builds the tree, so it takes a smaller share.
    own_end = end * 4 // (5 * (workers + 1))
    share = -(-(end - own_end) // workers)
    bounds = [(first, min(end, first + share)) for first in range(own_end, end, share)]
    context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")
    with ProcessPoolExecutor(max_workers=len(bounds), mp_context=context) as pool:
        futures = [
            pool.submit(_check_range_in_worker, path, first, last, deep) for first, last in bounds
        ]
        yield from _checked_range(
            session.connection().connection, qmark, 0, own_end, deep, problems
        )
        for future in futures:
            joined, listed, count = future.result()
            problems.merge(listed, count)
            yield [joined[i : i + 32] for i in range(0, len(joined), 32)]


def _checked_range(
    connection: Any, qmark: bool, first: int, end: int, deep: bool, problems: _Problems
) -> Iterator[list[bytes]]:
    # NOTE: a raw DB-API cursor avoids SQLAlchemy's per-row cost, which would
    # dominate a full verification. The query is portable, and only the
    # placeholder style differs between drivers.
    query = _ENTRY_QUERY if qmark else _ENTRY_QUERY.replace("?", "%s")
    cursor = connection.cursor()
    suffixes: dict[tuple[str, str | None], str] = {}
    try:
        cursor.execute(query, (first, end))
        expected = first
        while rows := cursor.fetchmany(_VERIFY_CHUNK):
            leaf_hashes, expected = _check_chunk(rows, expected, deep, problems, suffixes)
            yield leaf_hashes
        if expected < end:
            problems.add(f"entries {expected} to {end - 1} are missing")
    finally:
        cursor.close()


def _check_range_in_worker(
    path: str, first: int, end: int, deep: bool
) -> tuple[bytes, list[str], int]:
    """Check entries [first, end) of a SQLite ledger in a worker process."""
    problems = _Problems()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        joined = b"".join(
            b"".join(chunk)
            for chunk in _checked_range(connection, True, first, end, deep, problems)
        )
    finally:
        connection.close()
    return joined, problems.listed, problems.count


def _sqlite_file(session: Session) -> str | None:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return database


def _check_chunk(
    rows: Sequence[Any],
    expected: int,
    deep: bool,
    problems: _Problems,
    suffixes: dict[tuple[str, str | None], str],
) -> tuple[list[bytes], int]:
    """Check a chunk of (seq, type, subject, body, leaf hash) rows; return their leaf hashes.

    The common case, an intact chunk, is checked with whole-chunk operations
    that run in C. They check that indexes are contiguous and that each body
    starts with the data member and ends with the row's type and subject in
    canonical form. They also compare the recomputed leaf hashes with the
    stored ones. If any check fails, or with `deep`, every row is checked
    again on its own, which also checks the index and timestamp in each body,
    so that each problem names its entry. A row whose body sits at another
    index changes the order of the leaves, so the tile comparison catches it
    even when the chunk looks intact.
    """
    seqs, types, subjects, texts, stored = zip(*rows, strict=True)
    sha256 = hashlib.sha256
    leaf_hashes = [sha256(b"\x00" + text.encode()).digest() for text in texts]
    count = len(rows)

    row_suffixes = [
        suffixes.get(key) or _envelope_suffix(key, suffixes)
        for key in zip(types, subjects, strict=True)
    ]
    intact = (
        seqs[0] == expected
        and seqs[-1] == expected + count - 1
        and all(map(str.startswith, texts, repeat(_DATA_PREFIX)))
        and all(map(str.endswith, texts, row_suffixes))
        and [leaf.hex() for leaf in leaf_hashes] == list(stored)
    )
    if intact and not deep:
        return leaf_hashes, expected + count

    type_json: dict[str, str] = {}
    for seq, entry_type, subject, text, stored_leaf, digest in zip(
        seqs, types, subjects, texts, stored, leaf_hashes, strict=True
    ):
        if seq != expected:
            problems.add(f"entry {seq}: expected index {expected}; entries are missing")
            expected = seq
        problem = _envelope_problem(seq, entry_type, subject, text, type_json)
        if problem is None and deep:
            problem = _canonical_problem(seq, text.encode("utf-8"))
        if problem is not None:
            problems.add(problem)
        if digest.hex() != stored_leaf:
            problems.add(
                f"entry {seq} ({entry_type}): leaf hash {stored_leaf[:16]}... stored, "
                f"{digest.hex()[:16]}... recomputed; the entry was changed"
            )
        expected += 1
    return leaf_hashes, expected


def _envelope_suffix(
    key: tuple[str, str | None], suffixes: dict[tuple[str, str | None], str]
) -> str:
    entry_type, subject = key
    encoded_subject = "null" if subject is None else json.dumps(subject, ensure_ascii=False)
    encoded_type = json.dumps(entry_type, ensure_ascii=False)
    suffix = f'","subject":{encoded_subject},"type":{encoded_type}}}'
    suffixes[key] = suffix
    return suffix


def _upper_tiles(session: Session) -> dict[TileKey, bytes]:
    rows = session.execute(
        select(LedgerTileRow.level, LedgerTileRow.tile_index, LedgerTileRow.hashes).where(
            LedgerTileRow.level > 0
        )
    ).all()
    return {(level, index): bytes(hashes) for level, index, hashes in rows}


def _compare_full_tiles(
    session: Session,
    full: Sequence[Any],
    upper_tiles: Mapping[TileKey, bytes],
    problems: _Problems,
    rebuilt: _RebuiltTree,
) -> None:
    level_zero = [tile.index for tile in full if tile.level == 0]
    stored: dict[TileKey, bytes] = {}
    if level_zero:
        rows = session.execute(
            select(LedgerTileRow.tile_index, LedgerTileRow.hashes).where(
                LedgerTileRow.level == 0,
                LedgerTileRow.tile_index >= min(level_zero),
                LedgerTileRow.tile_index <= max(level_zero),
            )
        ).all()
        stored = {(0, index): bytes(hashes) for index, hashes in rows}
    for tile in full:
        key = (tile.level, tile.index)
        found = stored.get(key) if tile.level == 0 else upper_tiles.get(key)
        _compare_tile(key, found, tile.hashes, problems)
        rebuilt.tiles_checked += 1


def _compare_partial_tiles(
    session: Session, builder: TreeBuilder, problems: _Problems, rebuilt: _RebuiltTree
) -> None:
    partial = builder.partial_tiles()
    stored = read_tiles(session, [(tile.level, tile.index) for tile in partial])
    for tile in partial:
        key = (tile.level, tile.index)
        _compare_tile(key, stored.get(key), tile.hashes, problems)
        rebuilt.tiles_checked += 1
    expected_keys = {(tile.level, tile.index) for tile in partial}
    count = session.scalar(select(func.count()).select_from(LedgerTileRow)) or 0
    full_count = sum(
        (builder.size >> (8 * level)) // TILE_WIDTH
        for level in range(0, 8)
        if builder.size >> (8 * level)
    )
    if count != full_count + len(expected_keys):
        problems.add(
            f"the ledger stores {count} tiles, but a tree of {builder.size} entries has "
            f"{full_count + len(expected_keys)}"
        )


def _compare_tile(key: TileKey, stored: bytes | None, rebuilt: bytes, problems: _Problems) -> None:
    label = f"tile {key[0]}/{key[1]}"
    if stored is None:
        problems.add(f"{label} is missing from the stored tree")
    elif stored != rebuilt:
        first = next(
            (
                i // 32
                for i in range(0, min(len(stored), len(rebuilt)), 32)
                if stored[i : i + 32] != rebuilt[i : i + 32]
            ),
            min(len(stored), len(rebuilt)) // 32,
        )
        problems.add(
            f"{label} differs from the tree rebuilt from the entries at hash {first} "
            f"(node {key[0] * 8}/{key[1] * TILE_WIDTH + first})"
        )


def _envelope_problem(
    seq: int, entry_type: str, subject: str | None, body: str, type_json: dict[str, str]
) -> str | None:
    """Check the canonical envelope of a body without parsing its data.

    A canonical body is `{"data":<data>,"index":<n>,"recorded_at":"<time>",
    "subject":<subject>,"type":<type>}`, because RFC 8785 sorts the keys. The
    check compares everything after the data with what the row's index, type
    and subject produce, and checks the timestamp's format.
    """
    encoded_type = type_json.get(entry_type)
    if encoded_type is None:
        encoded_type = json.dumps(entry_type, ensure_ascii=False)
        type_json[entry_type] = encoded_type
    encoded_subject = "null" if subject is None else json.dumps(subject, ensure_ascii=False)
    suffix = f'","subject":{encoded_subject},"type":{encoded_type}}}'
    index_part = f',"index":{seq},"recorded_at":"'
    time_start = len(body) - len(suffix) - _RECORDED_AT_LENGTH
    index_start = time_start - len(index_part)
    if (
        not body.startswith(_DATA_PREFIX)
        or not body.endswith(suffix)
        or index_start < len(_DATA_PREFIX) + 1
        or not body.startswith(index_part, index_start)
        or _RECORDED_AT.fullmatch(body, time_start, time_start + _RECORDED_AT_LENGTH) is None
    ):
        return (
            f"entry {seq}: the body's envelope does not match the row's index {seq}, "
            f"type {entry_type!r} and subject {subject!r} in canonical form"
        )
    return None


def _canonical_problem(seq: int, encoded: bytes) -> str | None:
    try:
        canonical = canonical_json(json.loads(encoded))
    except (ValueError, ReleasegateError) as error:
        return f"entry {seq}: the body is not valid canonical JSON ({error})"
    if canonical != encoded:
        return f"entry {seq}: the body is not in RFC 8785 canonical form"
    return None
