"""A table of tasks with lease columns, only for the lease tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from releasegate.store.tables import UtcDateTime


class LeaseTestBase(DeclarativeBase):
    pass


class TaskRow(LeaseTestBase):
    __tablename__ = "lease_test_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
