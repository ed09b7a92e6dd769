"""Calendar facts for one gate decision: the policy input sections and the ledger record.

Python computes the facts because Rego has no holiday calendars; the Rego
controls CAL-1 and CAL-2 decide with them and the release's risk tier. The
shapes are the contract in docs/policy-input.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from releasegate.calendar.intervals import Interval
from releasegate.calendar.loader import CalendarSet
from releasegate.calendar.localtime import format_local, utc_text
from releasegate.calendar.schedule import (
    DEFAULT_HORIZON,
    Occurrence,
    ServiceCalendar,
    TierStatus,
    scope_text,
)
from releasegate.model.decision import RiskTier
from releasegate.model.service import Service


@dataclass(frozen=True)
class CalendarFacts:
    """Calendar facts about one planned rollout of one service."""

    planned_start: datetime
    planned_end: datetime
    calendars: CalendarSet | None
    problems: tuple[str, ...]
    freezes: tuple[Occurrence, ...]
    tiers: dict[RiskTier, TierStatus]
    next_allowed: dict[RiskTier, datetime | None]

    @property
    def duration(self) -> timedelta:
        return self.planned_end - self.planned_start

    def deployment_document(self) -> dict[str, Any]:
        """Return `input.deployment`."""
        return {
            "planned_start": utc_text(self.planned_start),
            "planned_end": utc_text(self.planned_end),
            "duration_minutes": int(self.duration.total_seconds() // 60),
        }

    def calendar_document(self) -> dict[str, Any]:
        """Return `input.calendar`."""
        calendars = self.calendars
        return {
            "defined": calendars is not None,
            "source": None
            if calendars is None
            else {"path": calendars.source, "sha256": calendars.sha256},
            "problems": list(self.problems),
            "emergency_reason_codes": sorted(calendars.reason_codes) if calendars else [],
            "freezes": [self._freeze_document(o) for o in self.freezes],
            "windows": {
                tier.value: {
                    "constrained": status.constrained,
                    "covered": status.covered,
                    "windows": list(status.windows),
                    "uncovered_at": utc_text(status.uncovered_at) if status.uncovered_at else None,
                }
                for tier, status in self.tiers.items()
            },
            "next_allowed": {
                tier.value: utc_text(moment) if moment else None
                for tier, moment in self.next_allowed.items()
            },
        }

    def _freeze_document(self, occurrence: Occurrence) -> dict[str, Any]:
        item = occurrence.item
        interval = occurrence.interval
        return {
            "name": item.name,
            "title": item.label,
            "entity": occurrence.entity,
            "timezone": occurrence.zone.key,
            "scope": item.scope.model_dump(mode="json", exclude_defaults=True),
            "scope_text": scope_text(item.scope),
            "tiers": [tier.value for tier in item.tiers],
            "start": utc_text(interval.start),
            "end": utc_text(interval.end),
            "start_local": format_local(interval.start, occurrence.zone),
            "end_local": format_local(interval.end, occurrence.zone),
            "active_at_start": interval.contains(self.planned_start),
            "emergency_override": getattr(item, "emergency_override", False),
        }

    def ledger_record(
        self,
        *,
        tier: str | None,
        change_type: str,
        emergency_reason: str | None,
        outcomes: dict[str, str],
    ) -> dict[str, Any]:
        """Return the calendar part of the decision's ledger entry.

        `emergency_override` is true when the release is an emergency change
        whose calendar controls passed although a freeze blocks its tier or
        its rollout leaves the allowed windows: the emergency path let it
        through, and the ledger keeps that fact.
        """
        known_tier = RiskTier(tier) if tier in {t.value for t in RiskTier} else None
        status = self.tiers.get(known_tier) if known_tier else None
        blocked = status is not None and bool(status.blocking)
        outside = status is not None and not status.covered
        override = change_type == "emergency" and (
            (blocked and outcomes.get("CAL-1") == "pass")
            or (outside and outcomes.get("CAL-2") == "pass")
        )
        return {
            "planned_start": utc_text(self.planned_start),
            "planned_end": utc_text(self.planned_end),
            "calendar_sha256": self.calendars.sha256 if self.calendars else None,
            "freezes": [
                {
                    "name": o.item.name,
                    "entity": o.entity,
                    "start": utc_text(o.interval.start),
                    "end": utc_text(o.interval.end),
                    "blocks_tier": known_tier is not None and known_tier in o.item.tiers,
                }
                for o in self.freezes
            ],
            "inside_windows": None if status is None else status.covered,
            "emergency_reason": emergency_reason,
            "emergency_override": override,
        }


def gather_facts(
    calendars: CalendarSet | None,
    service: Service | None,
    environment: str,
    *,
    start: datetime,
    duration: timedelta,
    horizon: timedelta = DEFAULT_HORIZON,
) -> CalendarFacts:
    """Compute the calendar facts for a rollout of `service` from `start` lasting `duration`."""
    if start.tzinfo is None:
        raise ValueError("the planned start must be an aware datetime")
    if duration < timedelta(0):
        raise ValueError("the rollout duration must not be negative")
    end = start + duration
    schedule = ServiceCalendar(calendars, service, environment)
    tiers = {tier: schedule.status(tier, start, end) for tier in RiskTier}
    next_allowed = {
        tier: start
        if tiers[tier].may_go
        else schedule.next_allowed(tier, start, duration, horizon=horizon)
        for tier in RiskTier
    }
    return CalendarFacts(
        planned_start=start,
        planned_end=end,
        calendars=calendars,
        problems=tuple(schedule.problems),
        freezes=tuple(schedule.freeze_occurrences(Interval(start, end))),
        tiers=tiers,
        next_allowed=next_allowed,
    )
