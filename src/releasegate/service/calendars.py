"""Calendar views for the API and the web pages: freezes and windows in a span, next start.

These read the calendar file and the catalog; they need no database.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from releasegate.errors import InputError
from releasegate.service.app import Application

if TYPE_CHECKING:
    from releasegate.calendar import Occurrence, ServiceCalendar
    from releasegate.model.decision import RiskTier

# The maximum span of one view. A longer span is almost certainly a typing mistake.
MAX_SPAN = timedelta(days=400)


def occurrence_dict(occurrence: Occurrence) -> dict[str, Any]:
    from releasegate.calendar.localtime import format_local, utc_text
    from releasegate.calendar.schedule import scope_text

    item, interval = occurrence.item, occurrence.interval
    return {
        "kind": "freeze" if occurrence.is_freeze else "window",
        "name": item.name,
        "title": item.label,
        "entity": occurrence.entity,
        "timezone": occurrence.zone.key,
        "start": utc_text(interval.start),
        "end": utc_text(interval.end),
        "start_local": format_local(interval.start, occurrence.zone),
        "end_local": format_local(interval.end, occurrence.zone),
        "tiers": [tier.value for tier in item.tiers],
        "scope": scope_text(item.scope),
        "emergency_override": getattr(item, "emergency_override", None),
    }


def _schedule(app: Application, service: str | None, environment: str) -> ServiceCalendar:
    from releasegate.calendar import ServiceCalendar, load_calendars

    calendars = load_calendars(
        app.settings.resolved_calendar, required=app.settings.calendar is not None
    )
    if service is None:
        if calendars is None:
            return ServiceCalendar(None, None, environment)
        return ServiceCalendar.whole(calendars)
    found = app.catalog.service(service)
    if found is None:
        raise InputError(
            f"service {service!r} is not in the catalog",
            source="service",
            hint=f"use one of: {', '.join(s.name for s in app.catalog.services)}",
        )
    return ServiceCalendar(calendars, found, environment)


def calendar_view(
    app: Application,
    *,
    service: str | None,
    environment: str,
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """Freezes and allowed windows between `start` and `end`."""
    from releasegate.calendar.intervals import Interval

    if start.tzinfo is None or end.tzinfo is None:
        raise InputError("times need a UTC offset", source="from/to", hint="add Z or +01:00")
    if end <= start:
        raise InputError("'to' is not later than 'from'", source="to", hint="swap them")
    if end - start > MAX_SPAN:
        raise InputError(
            f"the span is longer than {MAX_SPAN.days} days", source="to", hint="ask for less"
        )
    schedule = _schedule(app, service, environment)
    bounds = Interval(start, end)
    return {
        "calendar": None if schedule.calendars is None else schedule.calendars.source,
        "service": service,
        "environment": environment if service else None,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "problems": list(schedule.problems),
        "freezes": [occurrence_dict(o) for o in schedule.freeze_occurrences(bounds)],
        "windows": [occurrence_dict(o) for o in schedule.window_occurrences(bounds)],
    }


def next_allowed(
    app: Application,
    *,
    service: str,
    environment: str,
    tier: RiskTier,
    after: datetime,
    duration: timedelta,
) -> dict[str, Any]:
    """Find the next time a release of `tier` may start, or None with the problems found."""
    from releasegate.calendar.localtime import format_local, load_zone, utc_text

    schedule = _schedule(app, service, environment)
    moment = None if schedule.problems else schedule.next_allowed(tier, after, duration)
    calendars = schedule.calendars
    found = app.catalog.service(service)
    zones = (
        sorted(
            {
                calendars.entities[e].zone.key
                for e in (found.legal_entities if found else ())
                if e in calendars.entities
            }
        )
        if calendars
        else []
    )
    return {
        "service": service,
        "environment": environment,
        "tier": tier.value,
        "after": utc_text(after),
        "duration_minutes": int(duration.total_seconds() // 60),
        "next_allowed": utc_text(moment) if moment else None,
        "local": {z: format_local(moment, load_zone(z)) for z in zones} if moment else {},
        "problems": list(schedule.problems),
    }
