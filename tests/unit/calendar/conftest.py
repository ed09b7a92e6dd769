"""Fixtures for the calendar tests: legal entities and the shared corpus of iCalendar files."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from releasegate.calendar.business_days import BusinessCalendar
from releasegate.calendar.rules import EntityCalendar

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


def entity(
    name: str,
    zone: str,
    country: str | None = None,
    subdivision: str | None = None,
    *,
    fiscal_year_start_month: int = 1,
    closing_days: tuple = (),
) -> EntityCalendar:
    return EntityCalendar(
        name=name,
        business=BusinessCalendar(
            zone=ZoneInfo(zone),
            country=country,
            subdivision=subdivision,
            closing_days=closing_days,
            fiscal_year_start_month=fiscal_year_start_month,
        ),
    )


@pytest.fixture
def make_entity():
    return entity


@pytest.fixture
def london() -> EntityCalendar:
    return entity("acme-bank-uk", "Europe/London", "GB", "ENG")


@pytest.fixture
def new_york() -> EntityCalendar:
    return entity("acme-securities-us", "America/New_York", "US")


@pytest.fixture
def tokyo() -> EntityCalendar:
    """A Japanese entity whose fiscal year starts in April."""
    return entity("acme-bank-jp", "Asia/Tokyo", "JP", fiscal_year_start_month=4)


@pytest.fixture
def ical_corpus() -> Path:
    folder = CORPUS / "ical"
    if not folder.is_dir():
        pytest.skip(f"the shared corpus of iCalendar files is not at {folder}")
    return folder
