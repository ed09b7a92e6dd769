"""Business-day close rules across weekends and public holidays in the UK, the US and Japan."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from releasegate.calendar.document import CloseRule, MonthlyDateRule, Period
from releasegate.calendar.intervals import Interval
from releasegate.calendar.rules import occurrences

MONTH_END = CloseRule(kind="close", period=Period.MONTH, from_business_day=-3, to_business_day=5)


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def local_days(interval: Interval, zone: str) -> tuple[str, str]:
    """Return the first and last local day an interval of whole days covers."""
    tz = ZoneInfo(zone)
    first = interval.start.astimezone(tz)
    after = interval.end.astimezone(tz)
    assert (first.hour, first.minute) == (0, 0)
    assert (after.hour, after.minute) == (0, 0)
    return first.date().isoformat(), date.fromordinal(after.date().toordinal() - 1).isoformat()


def close_in(entity_calendar, rule, start, end) -> list[Interval]:
    return occurrences(rule, entity=entity_calendar, bounds=Interval(start, end), widen=True)


# United Kingdom (England): Good Friday 3 April and Easter Monday 6 April 2026,
# late summer bank holiday Monday 31 August 2026.


def test_uk_close_skips_easter_holidays(london):
    found = close_in(london, MONTH_END, utc(2026, 4, 1), utc(2026, 4, 2))
    assert len(found) == 1
    # 31 Mar (Tue), 30 Mar, 27 Mar (Fri) back; 1, 2, 7, 8, 9 Apr forward.
    assert local_days(found[0], "Europe/London") == ("2026-03-27", "2026-04-09")


def test_uk_close_crosses_into_summer_time(london):
    found = close_in(london, MONTH_END, utc(2026, 4, 1), utc(2026, 4, 2))
    # Starts at midnight GMT and ends at midnight BST (clocks went forward on 29 March).
    assert found[0] == Interval(utc(2026, 3, 27, 0), utc(2026, 4, 9, 23))


def test_uk_close_when_month_ends_on_bank_holiday(london):
    found = close_in(london, MONTH_END, utc(2026, 9, 1), utc(2026, 9, 2))
    assert local_days(found[0], "Europe/London") == ("2026-08-26", "2026-09-07")
    assert found[0] == Interval(utc(2026, 8, 25, 23), utc(2026, 9, 7, 23))


# United States (federal holidays): Independence Day on Saturday 4 July 2026 is
# observed on Friday 3 July; Thanksgiving is Thursday 26 November 2026.


def test_us_close_skips_observed_independence_day(new_york):
    found = close_in(new_york, MONTH_END, utc(2026, 7, 1), utc(2026, 7, 2))
    assert local_days(found[0], "America/New_York") == ("2026-06-26", "2026-07-08")
    assert found[0] == Interval(utc(2026, 6, 26, 4), utc(2026, 7, 9, 4))


def test_us_close_skips_thanksgiving(new_york):
    found = close_in(new_york, MONTH_END, utc(2026, 12, 1), utc(2026, 12, 2))
    # 30 Nov (Mon), 27 Nov (Fri), 25 Nov (Wed): Thanksgiving is not counted.
    assert local_days(found[0], "America/New_York") == ("2026-11-25", "2026-12-07")
    assert found[0] == Interval(utc(2026, 11, 25, 5), utc(2026, 12, 8, 5))


def test_us_close_crosses_end_of_daylight_saving(new_york):
    found = close_in(new_york, MONTH_END, utc(2026, 11, 1), utc(2026, 11, 2))
    # Starts at midnight EDT (UTC-4) and ends at midnight EST (UTC-5).
    assert found[0] == Interval(utc(2026, 10, 28, 4), utc(2026, 11, 7, 5))


# Japan: Golden Week 2026 (Showa Day 29 April, Constitution Day 3 May on a
# Sunday, Greenery Day 4 May, Children's Day 5 May, substitute holiday 6 May).


def test_japan_close_skips_golden_week(tokyo):
    found = close_in(tokyo, MONTH_END, utc(2026, 5, 1), utc(2026, 5, 2))
    # 30 Apr (Thu), 28 Apr (Tue), 27 Apr (Mon) back; 1, 7, 8, 11, 12 May forward.
    assert local_days(found[0], "Asia/Tokyo") == ("2026-04-27", "2026-05-12")


def test_japan_local_midnight_is_previous_day_in_utc(tokyo):
    found = close_in(tokyo, MONTH_END, utc(2026, 5, 1), utc(2026, 5, 2))
    assert found[0] == Interval(utc(2026, 4, 26, 15), utc(2026, 5, 12, 15))


# Fiscal years that do not start in January.


def test_fiscal_year_from_april_closes_in_march(tokyo):
    year_end = CloseRule(kind="close", period=Period.YEAR, from_business_day=-3, to_business_day=5)
    found = close_in(tokyo, year_end, utc(2026, 1, 1), utc(2027, 12, 31))
    assert [local_days(i, "Asia/Tokyo") for i in found] == [
        ("2026-03-27", "2026-04-07"),
        ("2027-03-29", "2027-04-07"),
    ]


def test_fiscal_year_from_april_has_no_december_close(tokyo):
    year_end = CloseRule(kind="close", period=Period.YEAR, from_business_day=-3, to_business_day=5)
    assert close_in(tokyo, year_end, utc(2026, 12, 1), utc(2027, 1, 31)) == []


def test_fiscal_quarters_from_february(make_entity):
    retail = make_entity("acme-retail-us", "America/New_York", "US", fiscal_year_start_month=2)
    quarter_end = CloseRule(
        kind="close", period=Period.QUARTER, from_business_day=-1, to_business_day=1
    )
    found = close_in(retail, quarter_end, utc(2026, 1, 1), utc(2026, 12, 31))
    assert [local_days(i, "America/New_York") for i in found] == [
        ("2026-01-30", "2026-02-02"),
        ("2026-04-30", "2026-05-01"),
        ("2026-07-31", "2026-08-03"),
        ("2026-10-30", "2026-11-02"),
    ]


@pytest.mark.parametrize(
    ("start_month", "period", "months"),
    [
        (1, "year", (12,)),
        (4, "year", (3,)),
        (7, "year", (6,)),
        (1, "quarter", (3, 6, 9, 12)),
        (2, "quarter", (1, 4, 7, 10)),
        (11, "quarter", (1, 4, 7, 10)),
    ],
)
def test_fiscal_period_end_months(start_month, period, months, make_entity):
    calendar = make_entity("e", "UTC", fiscal_year_start_month=start_month).business
    assert calendar.fiscal_period_end_months(period) == months


def test_close_within_one_period(london):
    last_three = CloseRule(
        kind="close", period=Period.MONTH, from_business_day=-3, to_business_day=-1
    )
    found = close_in(london, last_three, utc(2026, 8, 27), utc(2026, 8, 28))
    assert local_days(found[0], "Europe/London") == ("2026-08-26", "2026-08-28")


def test_company_closing_day_is_not_a_business_day(make_entity):
    closed = make_entity(
        "acme-bank-uk", "Europe/London", "GB", "ENG", closing_days=(date(2026, 3, 31),)
    )
    found = close_in(closed, MONTH_END, utc(2026, 4, 1), utc(2026, 4, 2))
    assert local_days(found[0], "Europe/London") == ("2026-03-26", "2026-04-09")


def test_payroll_rolls_back_from_weekend(london):
    payroll = MonthlyDateRule(
        kind="monthly_date",
        day=25,
        roll="preceding",
        business_days_before=1,
        business_days_after=1,
    )
    # 25 July 2026 is a Saturday: payroll runs Friday 24 July.
    found = close_in(london, payroll, utc(2026, 7, 24), utc(2026, 7, 25))
    assert local_days(found[0], "Europe/London") == ("2026-07-23", "2026-07-27")


def test_payroll_rolls_forward_over_holiday(new_york):
    payroll = MonthlyDateRule(kind="monthly_date", day=3, roll="following", months=(7,))
    # 3 July 2026 is the observed Independence Day: payroll moves to Monday 6 July.
    found = close_in(new_york, payroll, utc(2026, 6, 1), utc(2026, 12, 31))
    assert [local_days(i, "America/New_York") for i in found] == [("2026-07-06", "2026-07-06")]


def test_payroll_last_day_of_month(tokyo):
    payroll = MonthlyDateRule(kind="monthly_date", day=-1, roll="none", months=(2,))
    found = close_in(tokyo, payroll, utc(2026, 1, 1), utc(2026, 12, 31))
    assert [local_days(i, "Asia/Tokyo") for i in found] == [("2026-02-28", "2026-02-28")]
