"""Business days of one legal entity: weekends, public and market holidays, closing days.

A business day is a local calendar day that is neither a weekend day nor a
closing day. Closing days are the public holidays of the entity's country and
subdivision, the closing days of the financial markets it follows, and the
company's own closing days. Holidays come from the `holidays` package.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

# Maximum number of consecutive non-business days the search functions step
# over before they raise. Real calendars close for a couple of weeks at most.
MAX_CLOSED_RUN_DAYS = 60


class BusinessCalendar:
    """Business-day calendar of one legal entity."""

    def __init__(
        self,
        *,
        zone: ZoneInfo,
        country: str | None = None,
        subdivision: str | None = None,
        categories: Iterable[str] = (),
        markets: Iterable[str] = (),
        closing_days: Iterable[date] = (),
        weekend: Iterable[int] = (5, 6),
        fiscal_year_start_month: int = 1,
    ) -> None:
        self.zone = zone
        self.country = country
        self.subdivision = subdivision
        self.categories = tuple(categories)
        self.markets = tuple(markets)
        self.closing_days = frozenset(closing_days)
        self.weekend = frozenset(weekend)
        self.fiscal_year_start_month = fiscal_year_start_month
        if not 1 <= fiscal_year_start_month <= 12:
            raise ValueError("fiscal_year_start_month must be between 1 and 12")
        if len(self.weekend) >= 7:
            raise ValueError("a week needs at least one day that is not a weekend day")

    @cached_property
    def _holiday_sets(self) -> tuple[Any, ...]:
        import holidays

        sets: list[Any] = []
        if self.country:
            options: dict[str, Any] = {"subdiv": self.subdivision}
            if self.categories:
                options["categories"] = self.categories
            sets.append(holidays.country_holidays(self.country, **options))
        sets.extend(holidays.financial_holidays(market) for market in self.markets)
        return tuple(sets)

    def holiday_name(self, day: date) -> str | None:
        """Return why `day` is closed (holiday name or company closing day), or None."""
        if day in self.closing_days:
            return "company closing day"
        for holiday_set in self._holiday_sets:
            name = holiday_set.get(day)
            if name:
                return str(name)
        return None

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and self.holiday_name(day) is None

    def business_days_of_month(self, year: int, month: int) -> list[date]:
        last = gregorian.monthrange(year, month)[1]
        days = (date(year, month, number) for number in range(1, last + 1))
        return [day for day in days if self.is_business_day(day)]

    def nth_business_day(self, first_day: date, number: int) -> date:
        """Return the `number`-th business day counting forward from `first_day` (1 is the first).

        Raises ValueError when the calendar closes for more than
        MAX_CLOSED_RUN_DAYS days in a row.
        """
        if number < 1:
            raise ValueError("the business day number must be 1 or more")
        return self._step(first_day, number, forward=True)

    def nth_last_business_day(self, last_day: date, number: int) -> date:
        """Return the `number`-th business day counting back from `last_day` (1 is the last)."""
        if number < 1:
            raise ValueError("the business day number must be 1 or more")
        return self._step(last_day, number, forward=False)

    def shift_business_days(self, day: date, count: int) -> date:
        """Return the day `count` business days after `day` (before it when negative).

        A count of 0 returns `day` itself, business day or not.
        """
        if count == 0:
            return day
        forward = count > 0
        start = day + timedelta(days=1 if forward else -1)
        return self._step(start, abs(count), forward=forward)

    def roll(self, day: date, *, forward: bool) -> date:
        """Return `day` if it is a business day, else the next (or previous) business day."""
        return self._step(day, 1, forward=forward)

    def _step(self, day: date, number: int, *, forward: bool) -> date:
        step = timedelta(days=1 if forward else -1)
        found = 0
        closed_run = 0
        while True:
            if self.is_business_day(day):
                found += 1
                closed_run = 0
                if found == number:
                    return day
            else:
                closed_run += 1
                if closed_run > MAX_CLOSED_RUN_DAYS:
                    raise ValueError(
                        f"no business day within {MAX_CLOSED_RUN_DAYS} days of {day}; "
                        "check the weekend, holidays and closing days of the legal entity"
                    )
            day += step

    def fiscal_period_end_months(self, period: str) -> tuple[int, ...]:
        """Return the calendar months (1-12) in which a fiscal month, quarter or year ends."""
        if period == "month":
            return tuple(range(1, 13))
        last_month_of_year = (self.fiscal_year_start_month - 2) % 12 + 1
        if period == "year":
            return (last_month_of_year,)
        if period == "quarter":
            return tuple(sorted((last_month_of_year - 1 - 3 * k) % 12 + 1 for k in range(4)))
        raise ValueError(f"unknown period {period!r}")
