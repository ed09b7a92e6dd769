"""The calendar file (`calendars.yaml`): legal entities, freezes and allowed windows.

Format (`apiVersion: releasegate/v1`, `kind: Calendars`); docs/calendars.md
describes every field with examples. Each freeze and window has a name, a
rule that defines when it occurs, a scope that selects the releases it
concerns, and the risk tiers it blocks (freezes) or constrains (windows).
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from releasegate.calendar.localtime import load_zone
from releasegate.model.common import Criticality, Environment, FinanceProcess, Frozen, NonEmpty
from releasegate.model.decision import RiskTier
from releasegate.model.service import ServiceName

API_VERSION = "releasegate/v1"
KIND = "Calendars"

# Bounds of business-day offsets in close rules: a month has at most 23
# business days, so a larger offset would leave the period it counts in.
MAX_BUSINESS_DAY_OFFSET = 23

_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_REASON_CODE = re.compile(r"^[A-Z][A-Z0-9_-]{1,39}$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            "expected 1-63 lowercase letters, digits or hyphens, "
            "starting and ending with a letter or digit"
        )
    return value


def _check_reason_code(value: str) -> str:
    if not _REASON_CODE.match(value):
        raise ValueError(
            "expected a reason code of 2-40 capital letters, digits, '-' or '_', "
            "starting with a letter, such as INCIDENT"
        )
    return value


def _check_zone(value: str) -> str:
    load_zone(value)
    return value


def _clock_text(value: Any) -> Any:
    # PyYAML reads an unquoted 16:00 as the base-60 integer 960 (YAML 1.1).
    if isinstance(value, int) and not isinstance(value, bool):
        hours, minutes = divmod(value, 60)
        raise ValueError(
            f"YAML read the time as the number {value} (base 60); "
            f"write it in quotes, for example '{hours:02d}:{minutes:02d}'"
        )
    return value


def _check_clock(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError("expected a local time HH:MM from 00:00 to 24:00")
    return value


ItemName = Annotated[str, AfterValidator(_check_name)]
EntityName = Annotated[str, AfterValidator(_check_name)]
ReasonCode = Annotated[str, AfterValidator(_check_reason_code)]
ZoneName = Annotated[str, AfterValidator(_check_zone)]
ClockTime = Annotated[str, BeforeValidator(_clock_text), AfterValidator(_check_clock)]


def parse_clock(value: str) -> tuple[time, int]:
    """Return (time of day, days to add) for HH:MM; 24:00 is 00:00 of the next day."""
    if value == "24:00":
        return time(0), 1
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes)), 0


class Weekday(enum.StrEnum):
    """Days of the week as they appear in the calendar file."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """Python's weekday number: Monday is 0."""
        return list(Weekday).index(self)


class Period(enum.StrEnum):
    """Fiscal periods whose close a rule follows."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Roll(enum.StrEnum):
    """Direction in which a date that falls on a non-business day moves."""

    PRECEDING = "preceding"
    FOLLOWING = "following"
    NONE = "none"


class HolidaySource(Frozen):
    """Public holidays by country and subdivision, plus closing days of financial markets."""

    country: str | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code known to the holidays package."
    )
    subdivision: str | None = Field(default=None, description="ISO 3166-2 subdivision code.")
    categories: tuple[NonEmpty, ...] = Field(
        default=(), description="Holiday categories of the country, such as public or bank."
    )
    markets: tuple[NonEmpty, ...] = Field(
        default=(), description="Financial calendars, such as ECB (TARGET2) or NYSE."
    )

    @model_validator(mode="after")
    def _known_to_holidays(self) -> HolidaySource:
        import holidays

        if self.subdivision and not self.country:
            raise ValueError("a subdivision needs a country")
        if self.country:
            try:
                options: dict[str, Any] = {"subdiv": self.subdivision}
                if self.categories:
                    options["categories"] = self.categories
                holidays.country_holidays(self.country, **options)
            except (NotImplementedError, ValueError) as exc:
                raise ValueError(f"the holidays package rejects it: {exc}") from exc
        for market in self.markets:
            if market not in holidays.list_supported_financial():
                raise ValueError(
                    f"unknown financial market {market!r}; the holidays package knows "
                    f"{', '.join(sorted(holidays.list_supported_financial()))}"
                )
        return self


class LegalEntity(Frozen):
    """A legal entity's time zone, business days and fiscal year."""

    timezone: ZoneName
    holidays: HolidaySource = HolidaySource()
    closing_days: tuple[date, ...] = Field(
        default=(), description="Company-specific days that are not business days."
    )
    weekend: tuple[Weekday, ...] = (Weekday.SAT, Weekday.SUN)
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)

    @model_validator(mode="after")
    def _has_a_working_day(self) -> LegalEntity:
        if len(set(self.weekend)) >= 7:
            raise ValueError("weekend lists every day of the week; leave at least one working day")
        return self


class CloseRule(Frozen):
    """Business days around the end of each fiscal month, quarter or year.

    A negative number counts business days back from the period's last day,
    so -1 is its last business day. A positive number counts business days
    into the next period, so 1 is its first business day. The freeze runs
    from the start of the `from_business_day` to the end of the
    `to_business_day`, local time of the legal entity.
    """

    kind: Literal["close"]
    period: Period
    from_business_day: int = Field(ge=-MAX_BUSINESS_DAY_OFFSET, le=MAX_BUSINESS_DAY_OFFSET)
    to_business_day: int = Field(ge=-MAX_BUSINESS_DAY_OFFSET, le=MAX_BUSINESS_DAY_OFFSET)

    @model_validator(mode="after")
    def _ordered(self) -> CloseRule:
        if self.from_business_day == 0 or self.to_business_day == 0:
            raise ValueError(
                "business day 0 does not exist: use -1 for the last business day of the "
                "period and 1 for the first business day of the next one"
            )
        if self.from_business_day > self.to_business_day:
            raise ValueError(
                f"from_business_day {self.from_business_day} comes after "
                f"to_business_day {self.to_business_day}"
            )
        return self


class MonthlyDateRule(Frozen):
    """A day of each month (payroll, for example), rolled to a business day, with margins."""

    kind: Literal["monthly_date"]
    day: int = Field(ge=-1, le=31, description="Day of the month; -1 is the last day.")
    roll: Roll = Roll.PRECEDING
    business_days_before: int = Field(default=0, ge=0, le=10)
    business_days_after: int = Field(default=0, ge=0, le=10)
    months: tuple[int, ...] = Field(
        default=tuple(range(1, 13)), description="Calendar months (1-12) in which it occurs."
    )

    @model_validator(mode="after")
    def _valid_day(self) -> MonthlyDateRule:
        if self.day == 0:
            raise ValueError("day 0 does not exist: use 1-31, or -1 for the last day of the month")
        if not self.months or any(not 1 <= month <= 12 for month in self.months):
            raise ValueError("months must list calendar months from 1 to 12")
        return self


class DatesRule(Frozen):
    """Whole local days."""

    kind: Literal["dates"]
    dates: tuple[date, ...] = Field(min_length=1)


class OnceRule(Frozen):
    """One period with a start and an end.

    Times without a UTC offset are local times of `timezone`, or of each
    legal entity in scope when `timezone` is not given.
    """

    kind: Literal["once"]
    start: datetime
    end: datetime
    timezone: ZoneName | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OnceRule:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("give both start and end with a UTC offset, or neither")
        if self.start.tzinfo is not None and self.timezone is not None:
            raise ValueError("start and end carry UTC offsets, so timezone would be ignored")
        if self.end <= self.start:
            raise ValueError("end must be later than start")
        return self

    @property
    def needs_entity(self) -> bool:
        return self.start.tzinfo is None and self.timezone is None


class WeeklyRule(Frozen):
    """Local times on days of the week, such as weekdays 09:00 to 16:00.

    An end at or before the start ends on the next day (22:00 to 02:00).
    """

    kind: Literal["weekly"]
    days: tuple[Weekday, ...] = Field(min_length=1)
    start: ClockTime
    end: ClockTime
    business_days_only: bool = Field(
        default=False, description="Skip days that are not business days of the legal entity."
    )
    timezone: ZoneName | None = None

    @model_validator(mode="after")
    def _one_zone(self) -> WeeklyRule:
        if self.business_days_only and self.timezone is not None:
            raise ValueError(
                "business_days_only follows the legal entity's calendar and time zone; "
                "remove timezone or business_days_only"
            )
        return self

    @property
    def needs_entity(self) -> bool:
        return self.business_days_only or self.timezone is None


class IcalRule(Frozen):
    """Events of an iCalendar file; a relative path is read from the calendar file's folder."""

    kind: Literal["ical"]
    file: NonEmpty
    timezone: ZoneName | None = Field(
        default=None,
        description="Zone for all-day events and times without a zone; "
        "defaults to the file's X-WR-TIMEZONE.",
    )


Rule = Annotated[
    CloseRule | MonthlyDateRule | DatesRule | OnceRule | WeeklyRule | IcalRule,
    Field(discriminator="kind"),
]

ALL_TIERS = tuple(RiskTier)


def rule_needs_entity(rule: Rule) -> bool:
    """Return whether the rule follows a legal entity's time zone or business days."""
    if isinstance(rule, CloseRule | MonthlyDateRule | DatesRule):
        return True
    if isinstance(rule, OnceRule | WeeklyRule):
        return rule.needs_entity
    return False


class Scope(Frozen):
    """Selection of the releases a freeze or window concerns. An empty list matches everything."""

    services: tuple[ServiceName, ...] = ()
    criticality: tuple[Criticality, ...] = ()
    legal_entities: tuple[EntityName, ...] = ()
    regions: tuple[NonEmpty, ...] = ()
    finance_processes: tuple[FinanceProcess, ...] = ()
    environments: tuple[Environment, ...] = Field(default=(Environment.PRODUCTION,), min_length=1)


class CalendarItem(Frozen):
    """Fields that freezes and windows share: name, rule, scope, tiers and exceptions."""

    name: ItemName
    title: NonEmpty | None = None
    description: str = ""
    rule: Rule
    scope: Scope = Scope()
    tiers: tuple[RiskTier, ...] = Field(default=ALL_TIERS, min_length=1)
    exceptions: tuple[Rule, ...] = Field(
        default=(), description="Rules whose occurrences are cut out of this item's."
    )

    @property
    def label(self) -> str:
        return self.title or self.name


class Freeze(CalendarItem):
    """A period in which releases of the listed tiers may not go."""

    emergency_override: bool = Field(
        default=True,
        description="An emergency change with a known reason code may pass this freeze.",
    )


class Window(CalendarItem):
    """A period in which releases of the listed tiers may go; outside all windows they may not."""


class CalendarDocument(Frozen):
    """The whole calendar file."""

    apiVersion: str
    kind: str
    legal_entities: dict[EntityName, LegalEntity] = Field(default_factory=dict)
    default_legal_entity: EntityName | None = Field(
        default=None,
        description="Entity whose calendar applies to services without legal entities.",
    )
    emergency_reason_codes: dict[ReasonCode, NonEmpty] = Field(default_factory=dict)
    freezes: tuple[Freeze, ...] = ()
    windows: tuple[Window, ...] = ()
