"""Local times to UTC across daylight-saving transitions in both directions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from releasegate.calendar.document import DatesRule, OnceRule, WeeklyRule
from releasegate.calendar.intervals import Interval
from releasegate.calendar.localtime import day_start, format_local, load_zone, to_utc
from releasegate.calendar.rules import occurrences

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_to_utc_ordinary_time():
    assert to_utc(datetime(2026, 6, 1, 9, 0), LONDON, earliest=True) == utc(2026, 6, 1, 8)


@pytest.mark.parametrize("earliest", [True, False])
def test_to_utc_gap_maps_to_jump(earliest):
    # New York springs forward at 02:00 EST on 8 March 2026; 02:30 does not exist.
    assert to_utc(datetime(2026, 3, 8, 2, 30), NEW_YORK, earliest=earliest) == utc(2026, 3, 8, 7)


def test_to_utc_repeated_hour_earliest():
    # New York falls back at 02:00 EDT on 1 November 2026; 01:30 happens twice.
    assert to_utc(datetime(2026, 11, 1, 1, 30), NEW_YORK, earliest=True) == utc(2026, 11, 1, 5, 30)


def test_to_utc_repeated_hour_latest():
    assert to_utc(datetime(2026, 11, 1, 1, 30), NEW_YORK, earliest=False) == utc(2026, 11, 1, 6, 30)


def test_to_utc_rejects_aware_time():
    with pytest.raises(ValueError, match="expected a naive local time"):
        to_utc(utc(2026, 1, 1), LONDON, earliest=True)


def test_day_start_when_midnight_is_skipped():
    # Santiago moves its clocks from 00:00 to 01:00 on 6 September 2026, so
    # that day starts at 01:00 local time (04:00 UTC).
    santiago = ZoneInfo("America/Santiago")
    assert day_start(date(2026, 9, 6), santiago) == utc(2026, 9, 6, 4)
    assert format_local(utc(2026, 9, 6, 4), santiago) == "2026-09-06 01:00 -03"


def test_day_lengths_around_transitions():
    assert day_start(date(2026, 3, 30), LONDON) - day_start(date(2026, 3, 29), LONDON) == (
        utc(2026, 1, 1, 23) - utc(2026, 1, 1)
    )
    assert day_start(date(2026, 10, 26), LONDON) - day_start(date(2026, 10, 25), LONDON) == (
        utc(2026, 1, 2, 1) - utc(2026, 1, 1)
    )


def test_load_zone_unknown():
    with pytest.raises(ValueError, match="unknown time zone 'Europe/Lundon'; use an IANA name"):
        load_zone("Europe/Lundon")


def weekly(start: str, end: str, days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"), zone=None):
    return WeeklyRule(kind="weekly", days=days, start=start, end=end, timezone=zone)


def test_window_moves_in_utc_when_summer_time_starts():
    rule = weekly("09:00", "16:00", zone="Europe/London")
    found = occurrences(
        rule, entity=None, bounds=Interval(utc(2026, 3, 27), utc(2026, 3, 31)), widen=False
    )
    assert found == [
        Interval(utc(2026, 3, 27, 9), utc(2026, 3, 27, 16)),
        Interval(utc(2026, 3, 28, 9), utc(2026, 3, 28, 16)),
        Interval(utc(2026, 3, 29, 8), utc(2026, 3, 29, 15)),
        Interval(utc(2026, 3, 30, 8), utc(2026, 3, 30, 15)),
    ]


def test_window_moves_in_utc_when_summer_time_ends():
    rule = weekly("09:00", "16:00", zone="Europe/London")
    found = occurrences(
        rule, entity=None, bounds=Interval(utc(2026, 10, 24), utc(2026, 10, 26)), widen=False
    )
    assert found == [
        Interval(utc(2026, 10, 24, 8), utc(2026, 10, 24, 15)),
        Interval(utc(2026, 10, 25, 9), utc(2026, 10, 25, 16)),
    ]


def test_window_in_repeated_hour_narrows():
    # 01:00 to 02:00 on the night New York falls back: a window takes the
    # later 01:00 and so lasts one hour.
    rule = weekly("01:00", "02:00", days=("sun",), zone="America/New_York")
    found = occurrences(
        rule, entity=None, bounds=Interval(utc(2026, 11, 1), utc(2026, 11, 2)), widen=False
    )
    assert found == [Interval(utc(2026, 11, 1, 6), utc(2026, 11, 1, 7))]


def test_freeze_in_repeated_hour_widens():
    # The same local hour as a freeze takes the earlier 01:00 and lasts two hours.
    rule = weekly("01:00", "02:00", days=("sun",), zone="America/New_York")
    found = occurrences(
        rule, entity=None, bounds=Interval(utc(2026, 11, 1), utc(2026, 11, 2)), widen=True
    )
    assert found == [Interval(utc(2026, 11, 1, 5), utc(2026, 11, 1, 7))]


def test_window_starting_in_skipped_hour():
    rule = weekly("02:30", "04:00", days=("sun",), zone="America/New_York")
    found = occurrences(
        rule, entity=None, bounds=Interval(utc(2026, 3, 8), utc(2026, 3, 9)), widen=False
    )
    assert found == [Interval(utc(2026, 3, 8, 7), utc(2026, 3, 8, 8))]


def test_window_across_midnight():
    rule = weekly("22:00", "02:00", days=("sat",), zone="UTC")
    found = occurrences(
        rule, entity=None, bounds=Interval(utc(2026, 6, 6), utc(2026, 6, 8)), widen=False
    )
    assert found == [Interval(utc(2026, 6, 6, 22), utc(2026, 6, 7, 2))]


def test_window_until_midnight():
    rule = weekly("18:00", "24:00", days=("fri",), zone="UTC")
    found = occurrences(
        rule, entity=None, bounds=Interval(utc(2026, 6, 5), utc(2026, 6, 6)), widen=False
    )
    assert found == [Interval(utc(2026, 6, 5, 18), utc(2026, 6, 6))]


def test_whole_local_days_in_entity_zone(tokyo):
    rule = DatesRule(kind="dates", dates=(date(2026, 12, 31),))
    found = occurrences(
        rule, entity=tokyo, bounds=Interval(utc(2026, 12, 1), utc(2027, 1, 31)), widen=True
    )
    assert found == [Interval(utc(2026, 12, 30, 15), utc(2026, 12, 31, 15))]


def test_one_off_in_each_entity_zone(tokyo, london):
    rule = OnceRule(kind="once", start=datetime(2027, 1, 1, 0, 0), end=datetime(2027, 1, 2, 0, 0))
    bounds = Interval(utc(2026, 12, 1), utc(2027, 1, 31))
    assert occurrences(rule, entity=tokyo, bounds=bounds, widen=True) == [
        Interval(utc(2026, 12, 31, 15), utc(2027, 1, 1, 15))
    ]
    assert occurrences(rule, entity=london, bounds=bounds, widen=True) == [
        Interval(utc(2027, 1, 1), utc(2027, 1, 2))
    ]


def test_one_off_with_offset_ignores_entity(tokyo):
    start = datetime.fromisoformat("2027-01-01T00:00:00+01:00")
    end = datetime.fromisoformat("2027-01-01T06:00:00+01:00")
    rule = OnceRule(kind="once", start=start, end=end)
    found = occurrences(
        rule, entity=tokyo, bounds=Interval(utc(2026, 12, 31), utc(2027, 1, 2)), widen=True
    )
    assert found == [Interval(utc(2026, 12, 31, 23), utc(2027, 1, 1, 5))]
