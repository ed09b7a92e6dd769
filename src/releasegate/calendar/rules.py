"""Occurrences of calendar rules as UTC intervals.

Rules that follow a legal entity (close periods, monthly dates, whole days,
local weekly times) are computed in the entity's time zone with its business
days. Each function returns every occurrence that overlaps the bounds it is
given, unclipped, so that a freeze that began before the bounds still shows
its real start.

`widen` selects which instant a local time repeated by a daylight-saving
change means: freezes widen (the earlier start, the later end) and windows narrow
(the later start, the earlier end), so an ambiguous hour never reads as
allowed.
"""

from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from releasegate.calendar.business_days import BusinessCalendar
from releasegate.calendar.document import (
    CloseRule,
    DatesRule,
    IcalRule,
    MonthlyDateRule,
    OnceRule,
    Roll,
    Rule,
    WeeklyRule,
    parse_clock,
)
from releasegate.calendar.ical import IcsCalendar
from releasegate.calendar.intervals import Interval
from releasegate.calendar.localtime import day_start, load_zone, local_days, to_utc

# Close and monthly rules reach at most this many months before or after the
# month they are anchored to (23 business days forward or back is about five
# weeks), so enumerating these extra months finds every overlapping occurrence.
_MONTH_MARGIN = 3


@dataclass(frozen=True)
class EntityCalendar:
    """A legal entity's name with its time zone and business days."""

    name: str
    business: BusinessCalendar

    @property
    def zone(self) -> ZoneInfo:
        return self.business.zone


def _months(first: date, last: date) -> list[tuple[int, int]]:
    """Return (year, month) from `_MONTH_MARGIN` months before `first` to as many after `last`."""
    index = first.year * 12 + first.month - 1 - _MONTH_MARGIN
    end = last.year * 12 + last.month - 1 + _MONTH_MARGIN
    months = []
    while index <= end:
        months.append((index // 12, index % 12 + 1))
        index += 1
    return months


def _local_dates(bounds: Interval, zone: ZoneInfo) -> tuple[date, date]:
    return bounds.start.astimezone(zone).date(), bounds.end.astimezone(zone).date()


def _whole_days(first: date, last: date, zone: ZoneInfo) -> Interval:
    """Return the local days `first` to `last`, both included, as one interval."""
    return Interval(day_start(first, zone), day_start(last + timedelta(days=1), zone))


def _close(rule: CloseRule, entity: EntityCalendar, bounds: Interval) -> list[Interval]:
    business = entity.business
    end_months = set(business.fiscal_period_end_months(rule.period.value))
    result = []
    for year, month in _months(*_local_dates(bounds, entity.zone)):
        if month not in end_months:
            continue
        last_day = date(year, month, gregorian.monthrange(year, month)[1])
        next_first = last_day + timedelta(days=1)
        first = _close_day(business, rule.from_business_day, last_day, next_first)
        last = _close_day(business, rule.to_business_day, last_day, next_first)
        result.append(_whole_days(first, last, entity.zone))
    return [interval for interval in result if interval.overlaps(bounds)]


def _close_day(business: BusinessCalendar, number: int, last_day: date, next_first: date) -> date:
    if number < 0:
        return business.nth_last_business_day(last_day, -number)
    return business.nth_business_day(next_first, number)


def _monthly_date(
    rule: MonthlyDateRule, entity: EntityCalendar, bounds: Interval
) -> list[Interval]:
    business = entity.business
    result = []
    for year, month in _months(*_local_dates(bounds, entity.zone)):
        if month not in rule.months:
            continue
        last = gregorian.monthrange(year, month)[1]
        anchor = date(year, month, last if rule.day == -1 else min(rule.day, last))
        if rule.roll is Roll.PRECEDING:
            anchor = business.roll(anchor, forward=False)
        elif rule.roll is Roll.FOLLOWING:
            anchor = business.roll(anchor, forward=True)
        first = business.shift_business_days(anchor, -rule.business_days_before)
        final = business.shift_business_days(anchor, rule.business_days_after)
        result.append(_whole_days(first, final, entity.zone))
    return [interval for interval in result if interval.overlaps(bounds)]


def _dates(rule: DatesRule, zone: ZoneInfo, bounds: Interval) -> list[Interval]:
    intervals = (_whole_days(day, day, zone) for day in sorted(set(rule.dates)))
    return [interval for interval in intervals if interval.overlaps(bounds)]


def _once(
    rule: OnceRule, zone: ZoneInfo | None, bounds: Interval, *, widen: bool
) -> list[Interval]:
    if rule.start.tzinfo is not None:
        interval = Interval(rule.start, rule.end)
    else:
        assert zone is not None  # the caller passes the rule's or the entity's zone
        interval = Interval(
            to_utc(rule.start, zone, earliest=widen), to_utc(rule.end, zone, earliest=not widen)
        )
    return [interval] if not interval.empty and interval.overlaps(bounds) else []


def _weekly(
    rule: WeeklyRule,
    zone: ZoneInfo,
    business: BusinessCalendar | None,
    bounds: Interval,
    *,
    widen: bool,
) -> list[Interval]:
    start_time, _ = parse_clock(rule.start)
    end_time, end_extra_days = parse_clock(rule.end)
    crosses_midnight = end_extra_days == 1 or end_time <= start_time
    weekdays = {day.number for day in rule.days}
    first, last = _local_dates(bounds, zone)
    result = []
    for day in local_days(first - timedelta(days=1), last):
        if day.weekday() not in weekdays:
            continue
        if rule.business_days_only and business is not None and not business.is_business_day(day):
            continue
        end_day = day + timedelta(days=1) if crosses_midnight else day
        interval = Interval(
            to_utc(datetime.combine(day, start_time), zone, earliest=widen),
            to_utc(datetime.combine(end_day, end_time), zone, earliest=not widen),
        )
        if not interval.empty and interval.overlaps(bounds):
            result.append(interval)
    return result


def occurrences(
    rule: Rule,
    *,
    entity: EntityCalendar | None,
    bounds: Interval,
    widen: bool,
    ical: IcsCalendar | None = None,
) -> list[Interval]:
    """Return the rule's occurrences that overlap `bounds`, in time order.

    `entity` is required for rules that follow a legal entity and ignored by
    the others; `ical` is the parsed file of an `ical` rule.
    """
    if isinstance(rule, CloseRule):
        return _close(rule, _require(entity, rule), bounds)
    if isinstance(rule, MonthlyDateRule):
        return _monthly_date(rule, _require(entity, rule), bounds)
    if isinstance(rule, DatesRule):
        return _dates(rule, _require(entity, rule).zone, bounds)
    if isinstance(rule, OnceRule):
        zone = load_zone(rule.timezone) if rule.timezone else None
        if rule.needs_entity:
            zone = _require(entity, rule).zone
        return _once(rule, zone, bounds, widen=widen)
    if isinstance(rule, WeeklyRule):
        if rule.needs_entity:
            entity_calendar = _require(entity, rule)
            return _weekly(
                rule, entity_calendar.zone, entity_calendar.business, bounds, widen=widen
            )
        assert rule.timezone is not None  # needs_entity is false only with a timezone
        return _weekly(rule, load_zone(rule.timezone), None, bounds, widen=widen)
    if isinstance(rule, IcalRule):
        if ical is None:
            raise ValueError(f"the iCalendar file {rule.file} was not loaded")
        return sorted(interval for _, interval in ical.occurrences(bounds, widen=widen))
    raise AssertionError(f"unhandled rule kind {rule!r}")


def _require(entity: EntityCalendar | None, rule: Rule) -> EntityCalendar:
    if entity is None:
        raise ValueError(f"a {rule.kind} rule needs a legal entity's calendar")
    return entity
