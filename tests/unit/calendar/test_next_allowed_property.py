"""`next_allowed` and close rules agree with minute-by-minute brute force on generated calendars.

The oracle below checks each minute directly against the definitions (local
weekday and time of day, business days counted by walking the month), with
none of the interval code under test. Generated boundaries fall on whole
minutes and away from daylight-saving transitions (those happen between
00:00 and 03:00 in the zones used, and windows start at 05:00 or later), so
minute sampling is exact.
"""

from __future__ import annotations

import calendar as gregorian
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from releasegate.calendar.business_days import BusinessCalendar
from releasegate.calendar.document import (
    CloseRule,
    Freeze,
    OnceRule,
    Period,
    WeeklyRule,
    Window,
)
from releasegate.calendar.intervals import Interval
from releasegate.calendar.loader import CalendarSet
from releasegate.calendar.rules import EntityCalendar, occurrences
from releasegate.calendar.schedule import ServiceCalendar
from releasegate.model.decision import RiskTier
from releasegate.model.service import Service

ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Starting days near month ends and daylight-saving changes, where rules interact.
# Windows open at 05:00 or later and close by 22:00.
START_DAYS = [
    date(2026, 3, 26),
    date(2026, 3, 28),
    date(2026, 4, 2),
    date(2026, 6, 26),
    date(2026, 9, 29),
    date(2026, 10, 2),
    date(2026, 10, 23),
    date(2026, 10, 29),
    date(2026, 12, 28),
]
HORIZON_MINUTES = 4 * 24 * 60

TIERS = st.lists(st.sampled_from(list(RiskTier)), min_size=1, max_size=4, unique=True)


def business_days(year: int, month: int, closing: frozenset[date]) -> list[date]:
    """Return the business days of a month by walking it: weekdays that are not closing days."""
    last = gregorian.monthrange(year, month)[1]
    days = [date(year, month, number) for number in range(1, last + 1)]
    return [day for day in days if day.weekday() < 5 and day not in closing]


def month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def close_days(
    rule: CloseRule, year: int, month: int, closing: frozenset[date]
) -> tuple[date, date]:
    """Return the first and last frozen day of the close of (year, month), by brute force."""
    this = business_days(year, month, closing)
    following = business_days(*month_after(year, month), closing)

    def pick(number: int) -> date:
        return this[number] if number < 0 else following[number - 1]

    return pick(rule.from_business_day), pick(rule.to_business_day)


@cache
def frozen_by_close(rule: CloseRule, day: date, closing: frozenset[date]) -> bool:
    for offset in (-2, -1, 0, 1):
        index = day.year * 12 + day.month - 1 + offset
        first, last = close_days(rule, index // 12, index % 12 + 1, closing)
        if first <= day <= last:
            return True
    return False


@st.composite
def calendars(draw):
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    start_day = draw(st.sampled_from(START_DAYS))
    start = datetime.combine(start_day, time(0), tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(0, 3 * 24 * 60))
    )
    closing = frozenset(
        draw(
            st.lists(
                st.sampled_from([start_day + timedelta(days=n) for n in range(-3, 6)]), max_size=2
            )
        )
    )

    freezes = []
    for index in range(draw(st.integers(0, 3))):
        begin = start + timedelta(minutes=draw(st.integers(-600, HORIZON_MINUTES)))
        length = timedelta(minutes=draw(st.integers(1, 1500)))
        freezes.append(
            Freeze(
                name=f"once-{index}",
                rule=OnceRule(kind="once", start=begin, end=begin + length),
                tiers=draw(TIERS),
            )
        )
    if draw(st.booleans()):
        low = draw(st.integers(-3, -1))
        high = draw(st.integers(1, 3)) if draw(st.booleans()) else draw(st.integers(low, -1))
        freezes.append(
            Freeze(
                name="close",
                rule=CloseRule(
                    kind="close", period=Period.MONTH, from_business_day=low, to_business_day=high
                ),
                tiers=draw(TIERS),
            )
        )

    windows = []
    if draw(st.booleans()):
        opens = draw(st.integers(5, 14))
        # Lengths shared with the drawn durations, so that exact fits occur.
        closes = opens * 60 + draw(st.sampled_from([30, 60, 90, 120, 180, 240, 480]))
        windows.append(
            Window(
                name="window",
                rule=WeeklyRule(
                    kind="weekly",
                    days=draw(
                        st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True)
                    ),
                    start=f"{opens:02d}:00",
                    end=f"{closes // 60:02d}:{closes % 60:02d}",
                    business_days_only=draw(st.booleans()),
                ),
                tiers=draw(TIERS),
            )
        )

    entity = EntityCalendar("e", BusinessCalendar(zone=zone, closing_days=closing))
    calendar_set = CalendarSet(
        source="generated",
        sha256="0" * 64,
        entities={"e": entity},
        default_entity=None,
        reason_codes={},
        freezes=tuple(freezes),
        windows=tuple(windows),
    )
    return calendar_set, zone, closing, start


def allowed_minutes(calendar_set, zone, closing, tier, start, count) -> list[bool]:
    """Return, for each minute from `start`, whether a release of `tier` may run in it."""
    result = []
    windows = [w for w in calendar_set.windows if tier in w.tiers]
    for minute in range(count):
        moment = start + timedelta(minutes=minute)
        local = moment.astimezone(zone)
        free = True
        for freeze in calendar_set.freezes:
            if tier not in freeze.tiers:
                continue
            rule = freeze.rule
            if isinstance(rule, OnceRule) and rule.start <= moment < rule.end:
                free = False
            if isinstance(rule, CloseRule) and frozen_by_close(rule, local.date(), closing):
                free = False
        if free and windows:
            free = False
            for window in windows:
                rule = window.rule
                assert isinstance(rule, WeeklyRule)
                opens = time.fromisoformat(rule.start)
                closes = time.fromisoformat(rule.end)
                business = local.weekday() < 5 and local.date() not in closing
                if (
                    WEEKDAYS[local.weekday()] in rule.days
                    and opens <= local.time().replace(tzinfo=None) < closes
                    and (business or not rule.business_days_only)
                ):
                    free = True
        result.append(free)
    return result


def brute_force_next(allowed: list[bool], duration_minutes: int, last_start: int) -> int | None:
    """Return the first minute s <= last_start that starts max(duration, 1) allowed minutes."""
    need = max(duration_minutes, 1)
    run = 0
    # Scan backwards so that runs[i] is the number of allowed minutes in a row from minute i.
    runs = [0] * len(allowed)
    for index in range(len(allowed) - 1, -1, -1):
        run = run + 1 if allowed[index] else 0
        runs[index] = run
    for index in range(last_start + 1):
        if runs[index] >= need:
            return index
    return None


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    generated=calendars(),
    tier=st.sampled_from(list(RiskTier)),
    duration_minutes=st.one_of(
        st.sampled_from([0, 30, 60, 90, 120, 180, 240]), st.integers(0, 240)
    ),
)
def test_next_allowed_matches_brute_force(generated, tier, duration_minutes):
    calendar_set, zone, closing, start = generated
    service = Service.model_validate(
        {
            "name": "generated",
            "title": "Generated service",
            "criticality": 0,
            "data_classification": "internal",
            "regions": ["eu-west-1"],
            "legal_entities": ["e"],
            "owners": {"engineering": "team", "business_control": "owners"},
        }
    )
    schedule = ServiceCalendar(calendar_set, service, "production")
    duration = timedelta(minutes=duration_minutes)

    found = schedule.next_allowed(tier, start, duration, horizon=timedelta(minutes=HORIZON_MINUTES))

    allowed = allowed_minutes(
        calendar_set, zone, closing, tier, start, HORIZON_MINUTES + max(duration_minutes, 1) + 1
    )
    expected = brute_force_next(allowed, duration_minutes, HORIZON_MINUTES)
    if expected is None:
        assert found is None
    else:
        assert found == start + timedelta(minutes=expected)


@cache
def public_holidays(code: str, subdivision: str | None) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(code, subdiv=subdivision, years=range(2025, 2029)))


@settings(max_examples=150, deadline=None, database=None)
@given(
    country=st.sampled_from(
        [
            ("GB", "ENG", "Europe/London"),
            ("US", None, "America/New_York"),
            ("JP", None, "Asia/Tokyo"),
        ]
    ),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    low=st.integers(-5, -1),
    high=st.integers(1, 6),
)
def test_close_days_match_brute_force(country, day, low, high):
    code, subdivision, zone_name = country
    zone = ZoneInfo(zone_name)
    closing = public_holidays(code, subdivision)
    entity = EntityCalendar("e", BusinessCalendar(zone=zone, country=code, subdivision=subdivision))
    rule = CloseRule(kind="close", period=Period.MONTH, from_business_day=low, to_business_day=high)

    noon = datetime.combine(day, time(12), tzinfo=zone)
    point = Interval(noon, noon)
    found = occurrences(rule, entity=entity, bounds=point, widen=True)

    assert bool(found) == frozen_by_close(rule, day, closing)
