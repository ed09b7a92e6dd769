"""Ledger use cases: verify the whole log, list a release's chain of entries."""

from __future__ import annotations

from collections.abc import Callable

from releasegate.service.app import Application
from releasegate.store.ledger import LedgerEntry, VerificationReport, entries_for, verify_ledger


def verify(
    app: Application, *, progress: Callable[[int, int], None] | None = None
) -> VerificationReport:
    with app.database.transaction() as session:
        return verify_ledger(session, progress=progress)


def release_chain(app: Application, release_id: str) -> list[LedgerEntry]:
    with app.database.transaction() as session:
        return entries_for(session, release_id)
