"""The ledger's database side: one append path and a full verifier.

Appends run inside the caller's transaction, so a state change and its
ledger entry commit or roll back together. The single `ledger_head` row is
the sequencer: each append reads it, extends the frontier and writes it
back. On SQLite every write transaction starts with BEGIN IMMEDIATE, which
serializes appends across processes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from releasegate.clock import rfc3339
from releasegate.errors import LedgerIntegrityError
from releasegate.ledger.canonical import canonical_json
from releasegate.ledger.merkle import (
    EMPTY_ROOT,
    Frontier,
    append_frontier,
    frontier_root,
    leaf_hash,
)
from releasegate.store.tables import LedgerEntryRow, LedgerHeadRow

log = logging.getLogger(__name__)

_HEAD_ID = 1
_BATCH = 1000


@dataclass(frozen=True)
class LedgerEntry:
    """One verified ledger entry as stored."""

    index: int
    entry_type: str
    subject: str | None
    recorded_at: datetime
    body: dict[str, Any]
    leaf_hash: str


@dataclass(frozen=True)
class VerificationReport:
    """Outcome of `verify_ledger`: size and root, or the first problem found."""

    size: int
    root_hash: str
    ok: bool
    problems: tuple[str, ...]


def _head(session: Session) -> LedgerHeadRow:
    head = session.get(LedgerHeadRow, _HEAD_ID, with_for_update=True)
    if head is None:
        head = LedgerHeadRow(id=_HEAD_ID, size=0, root_hash=EMPTY_ROOT.hex(), frontier_json="[]")
        session.add(head)
        session.flush()
    return head


def append_entry(
    session: Session,
    *,
    entry_type: str,
    subject: str | None,
    data: dict[str, Any],
    recorded_at: datetime,
) -> LedgerEntry:
    """Append one entry in the caller's transaction and advance the head."""
    head = _head(session)
    frontier = Frontier(
        size=head.size, hashes=tuple(bytes.fromhex(h) for h in json.loads(head.frontier_json))
    )
    body = {
        "index": head.size,
        "type": entry_type,
        "subject": subject,
        "recorded_at": rfc3339(recorded_at),
        "data": data,
    }
    encoded = canonical_json(body)
    digest = leaf_hash(encoded)
    session.add(
        LedgerEntryRow(
            seq=head.size,
            entry_type=entry_type,
            subject=subject,
            body=encoded.decode("utf-8"),
            leaf_hash=digest.hex(),
            recorded_at=recorded_at,
        )
    )
    frontier = append_frontier(frontier, digest)
    head.size = frontier.size
    head.root_hash = frontier_root(frontier).hex()
    head.frontier_json = json.dumps([h.hex() for h in frontier.hashes])
    session.flush()
    return LedgerEntry(frontier.size - 1, entry_type, subject, recorded_at, body, digest.hex())


def ledger_head(session: Session) -> tuple[int, str]:
    head = session.get(LedgerHeadRow, _HEAD_ID)
    if head is None:
        return 0, EMPTY_ROOT.hex()
    return head.size, head.root_hash


def _rows(session: Session) -> Iterator[LedgerEntryRow]:
    start = 0
    while True:
        batch = session.scalars(
            select(LedgerEntryRow)
            .where(LedgerEntryRow.seq >= start)
            .order_by(LedgerEntryRow.seq)
            .limit(_BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        start = batch[-1].seq + 1


def verify_ledger(
    session: Session, *, progress: Callable[[int, int], None] | None = None
) -> VerificationReport:
    """Recompute every entry's canonical form, leaf hash and the root.

    Steps:
    1. Read the head (claimed size and root).
    2. For each entry in order: its index is contiguous, its body is canonical
       JSON whose `index` and `type` match the row, and its leaf hash matches.
    3. The root over all recomputed leaf hashes equals the head's root, and
       the entry count equals the head's size.
    """
    problems: list[str] = []

    # 1. The head.
    claimed_size, claimed_root = ledger_head(session)
    total = session.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0

    # 2. Each entry.
    frontier = Frontier()
    expected = 0
    for row in _rows(session):
        where = f"entry {row.seq}"
        if row.seq != expected:
            problems.append(f"{where}: expected index {expected}; entries are missing")
            expected = row.seq
        raw = row.body.encode("utf-8")
        try:
            body = json.loads(raw)
            canonical = canonical_json(body)
        except (ValueError, TypeError) as exc:
            problems.append(f"{where}: body is not valid JSON ({exc})")
            canonical, body = raw, {}
        if canonical != raw:
            problems.append(f"{where}: body is not in canonical form; it was edited")
        if body.get("index") != row.seq or body.get("type") != row.entry_type:
            problems.append(
                f"{where}: body names index {body.get('index')!r} and type "
                f"{body.get('type')!r}, the row {row.seq} and {row.entry_type!r}"
            )
        recomputed = leaf_hash(raw)
        if recomputed.hex() != row.leaf_hash:
            problems.append(
                f"{where} ({row.entry_type}): leaf hash {row.leaf_hash[:16]}... stored, "
                f"{recomputed.hex()[:16]}... recomputed; the entry was changed"
            )
        frontier = append_frontier(frontier, recomputed)
        expected += 1
        if progress is not None:
            progress(expected, total)

    # 3. Size and root.
    root = frontier_root(frontier).hex()
    if frontier.size != claimed_size:
        problems.append(f"ledger head claims {claimed_size} entries, {frontier.size} are stored")
    if root != claimed_root:
        problems.append(f"root mismatch: head records {claimed_root}, entries hash to {root}")
    if problems:
        log.warning("ledger verification failed: %s", problems[0])
    return VerificationReport(frontier.size, root, not problems, tuple(problems))


def entries_for(session: Session, subject: str) -> list[LedgerEntry]:
    rows = session.scalars(
        select(LedgerEntryRow).where(LedgerEntryRow.subject == subject).order_by(LedgerEntryRow.seq)
    ).all()
    return [
        LedgerEntry(r.seq, r.entry_type, r.subject, r.recorded_at, json.loads(r.body), r.leaf_hash)
        for r in rows
    ]


def require_verified(report: VerificationReport) -> None:
    if not report.ok:
        raise LedgerIntegrityError(
            report.problems[0], hint="restore the database from backup and investigate the change"
        )
