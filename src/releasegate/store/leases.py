"""Leases: claim rows for one worker until a time, so that several replicas share work.

A row is claimable when its expiry column is empty or in the past. `claim`
selects claimable rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so
replicas that claim at the same time take different rows without waiting
for each other, and writes the owner and the new expiry. On SQLite every
write transaction starts with BEGIN IMMEDIATE, so claims simply queue.

A worker that dies stops renewing, so its rows become claimable again when
the lease expires. After that, `renew` or `release` by the old owner raises
LeaseLostError instead of overwriting the new owner's lease. Any table can
use this with two columns: the owner (a string) and the expiry (a UTC
datetime, `UtcDateTime`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from releasegate.errors import ConflictError

log = logging.getLogger(__name__)
Row = TypeVar("Row")


class LeaseLostError(ConflictError):
    """The lease expired and another worker claimed the row, or it was released."""


def claim(
    session: Session,
    model: type[Row],
    *,
    owner: str,
    now: datetime,
    duration: timedelta,
    where: Sequence[ColumnElement[bool]] = (),
    order_by: Sequence[Any] = (),
    limit: int = 1,
    owner_column: str = "lease_owner",
    expiry_column: str = "lease_expires_at",
) -> list[Row]:
    """Claim up to `limit` claimable rows of `model` for `owner` until `now + duration`.

    Returns the claimed rows, which the caller changes in the same
    transaction. The claim takes effect when the transaction commits.
    """
    if duration <= timedelta(0):
        raise ValueError("a lease must last longer than zero")
    expiry = getattr(model, expiry_column)
    query = (
        select(model)
        .where(or_(expiry.is_(None), expiry <= now), *where)
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(query))
    until = now + duration
    for row in rows:
        previous = getattr(row, owner_column)
        setattr(row, owner_column, owner)
        setattr(row, expiry_column, until)
        if previous and previous != owner:
            log.warning(
                "lease on %s taken over by %s from %s, whose lease expired",
                _key(session, row),
                owner,
                previous,
            )
        else:
            log.info("lease on %s claimed by %s until %s", _key(session, row), owner, until)
    session.flush()
    return rows


def renew(
    session: Session,
    row: Any,
    *,
    owner: str,
    now: datetime,
    duration: timedelta,
    owner_column: str = "lease_owner",
    expiry_column: str = "lease_expires_at",
) -> datetime:
    """Extend `owner`'s lease on `row`; raise LeaseLostError if it is no longer theirs."""
    current = _locked(session, row)
    _require_owner(session, current, owner, now, owner_column, expiry_column)
    until = now + duration
    setattr(current, expiry_column, until)
    session.flush()
    return until


def release(
    session: Session,
    row: Any,
    *,
    owner: str,
    now: datetime,
    owner_column: str = "lease_owner",
    expiry_column: str = "lease_expires_at",
) -> None:
    """End `owner`'s lease on `row` now; raise LeaseLostError if it is no longer theirs."""
    current = _locked(session, row)
    _require_owner(session, current, owner, now, owner_column, expiry_column)
    setattr(current, owner_column, None)
    setattr(current, expiry_column, None)
    session.flush()
    log.info("lease on %s released by %s", _key(session, current), owner)


def _locked(session: Session, row: Any) -> Any:
    from sqlalchemy import inspect

    identity = inspect(row).identity
    current = session.get(type(row), identity, with_for_update=True, populate_existing=True)
    if current is None:
        raise LeaseLostError(f"the leased row {identity} no longer exists")
    return current


def _require_owner(
    session: Session, row: Any, owner: str, now: datetime, owner_column: str, expiry_column: str
) -> None:
    holder = getattr(row, owner_column)
    expires = getattr(row, expiry_column)
    if holder != owner or expires is None or expires <= now:
        raise LeaseLostError(
            f"the lease of {owner} on {_key(session, row)} was lost "
            f"(now held by {holder or 'nobody'})",
            hint="stop working on this row; another worker owns it now",
        )


def _key(session: Session, row: Any) -> str:
    from sqlalchemy import inspect

    identity = inspect(row).identity
    key = identity[0] if identity and len(identity) == 1 else identity
    return f"{type(row).__tablename__} {key}"
