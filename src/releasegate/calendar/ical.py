"""iCalendar (RFC 5545) import of blackouts and windows, and export of calendar occurrences.

Import reads every VEVENT of a file. A file that is not valid iCalendar, or
an event whose start, end or recurrence cannot be read, is rejected with the
line number and the reason: a blackout that cannot be read is never dropped
in silence. Cancelled events (STATUS:CANCELLED) are skipped. An event with a
RECURRENCE-ID is kept in addition to the occurrence it replaces, so a moved
blackout covers both times.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from releasegate.calendar.intervals import Interval
from releasegate.calendar.localtime import load_zone, to_utc
from releasegate.errors import InputError

MAX_ICS_BYTES = 8 * 1024 * 1024
# Recurrence frequencies finer than daily could expand to millions of
# occurrences in one query; blackouts do not need them.
ALLOWED_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# AWS Systems Manager Change Calendar marks whether events close or open the calendar.
AWS_CALENDAR_TYPE = "X-CALENDAR-TYPE"

_NAME = re.compile(r"[A-Za-z0-9-]+")
_PARAMETER_VALUE = re.compile(r'"[^"]*"|[^";:,]*')
_HINT = "fix the line named, or export the calendar again from the system that made it"


@dataclass(frozen=True)
class _Line:
    number: int
    name: str
    value: str


@dataclass
class _EventLines:
    begin: int
    properties: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IcsEvent:
    """One VEVENT: its local start and end, the zone they are read in, and its recurrence."""

    line: int
    uid: str | None
    summary: str
    start: datetime
    end: datetime
    zone: tzinfo
    all_day: bool
    rrule: str | None = None
    rdates: tuple[datetime, ...] = ()
    exdates: tuple[datetime, ...] = ()

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class IcsCalendar:
    """A parsed iCalendar file."""

    source: str
    sha256: str
    events: tuple[IcsEvent, ...]
    calendar_type: str | None = None
    name: str | None = None

    def occurrences(self, bounds: Interval, *, widen: bool) -> list[tuple[IcsEvent, Interval]]:
        """Return each event occurrence overlapping `bounds`, as UTC intervals.

        With `widen`, a local time repeated by a daylight-saving change starts
        at its earlier and ends at its later instant; without, the reverse.
        """
        result: list[tuple[IcsEvent, Interval]] = []
        for event in self.events:
            for start_wall in _wall_starts(event, bounds):
                end_wall = start_wall + event.duration
                interval = Interval(
                    _instant(start_wall, event.zone, earliest=widen),
                    _instant(end_wall, event.zone, earliest=not widen),
                )
                if not interval.empty and interval.overlaps(bounds):
                    result.append((event, interval))
        return result


def _instant(wall: datetime, zone: tzinfo, *, earliest: bool) -> datetime:
    from zoneinfo import ZoneInfo

    if isinstance(zone, ZoneInfo):
        return to_utc(wall, zone, earliest=earliest)
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _wall_starts(event: IcsEvent, bounds: Interval) -> list[datetime]:
    """Return the naive local start times of the event's occurrences that may overlap `bounds`."""
    margin = event.duration + timedelta(days=2)
    low = bounds.start.astimezone(event.zone).replace(tzinfo=None) - margin
    high = bounds.end.astimezone(event.zone).replace(tzinfo=None) + timedelta(days=2)
    if event.rrule is None:
        starts = [event.start, *event.rdates]
    else:
        from dateutil.rrule import rrulestr

        anchored = event.start.replace(tzinfo=event.zone)
        rule = rrulestr(event.rrule, dtstart=anchored)
        found = rule.between(
            low.replace(tzinfo=event.zone), high.replace(tzinfo=event.zone), inc=True
        )
        starts = [moment.replace(tzinfo=None) for moment in found]
        starts += list(event.rdates)
    excluded = set(event.exdates)
    unique = sorted({start for start in starts if start not in excluded})
    return [start for start in unique if low <= start <= high]


def _error(source: str, line: int | None, reason: str) -> InputError:
    return InputError(reason, source=source, field=f"line {line}" if line else None, hint=_HINT)


def _content_lines(text: str, source: str) -> list[_Line]:
    """Unfold the content lines (RFC 5545 section 3.1) and split each into name and value."""
    logical: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t"):
            if not logical:
                raise _error(source, number, "the file starts with a folded continuation line")
            first, previous = logical[-1]
            logical[-1] = (first, previous + raw[1:])
        elif raw.strip():
            logical.append((number, raw))
    lines = []
    for number, content in logical:
        name_match = _NAME.match(content)
        if name_match is None:
            raise _error(source, number, f"not an iCalendar content line: {content[:60]!r}")
        position = name_match.end()
        while position < len(content) and content[position] == ";":
            equals = content.find("=", position)
            if equals < 0 or not _NAME.fullmatch(content[position + 1 : equals]):
                raise _error(source, number, f"malformed property parameter in {content[:60]!r}")
            position = equals + 1
            while True:
                value_match = _PARAMETER_VALUE.match(content, position)
                assert value_match is not None  # the pattern also matches the empty string
                position = value_match.end()
                if position < len(content) and content[position] == ",":
                    position += 1
                    continue
                break
        if position >= len(content) or content[position] != ":":
            raise _error(
                source, number, f"expected ':' after the property name in {content[:60]!r}"
            )
        lines.append(_Line(number, name_match.group(0).upper(), content[position + 1 :]))
    return lines


def _check_structure(lines: list[_Line], source: str) -> tuple[list[_EventLines], dict[str, str]]:
    """Check BEGIN/END nesting and return the line numbers of each VEVENT's properties."""
    if not lines:
        raise _error(source, 1, "the file has no content")
    first = lines[0]
    if first.name != "BEGIN" or first.value.strip().upper() != "VCALENDAR":
        raise _error(source, first.number, "the file must start with BEGIN:VCALENDAR")
    stack: list[tuple[str, int]] = []
    events: list[_EventLines] = []
    calendar_properties: dict[str, str] = {}
    closed = False
    for line in lines:
        if closed:
            raise _error(source, line.number, "content after END:VCALENDAR; keep one calendar")
        if line.name == "BEGIN":
            component = line.value.strip().upper()
            stack.append((component, line.number))
            if component == "VEVENT":
                events.append(_EventLines(begin=line.number))
            continue
        if line.name == "END":
            component = line.value.strip().upper()
            if not stack or stack[-1][0] != component:
                open_part = f"BEGIN:{stack[-1][0]} of line {stack[-1][1]}" if stack else "nothing"
                raise _error(source, line.number, f"END:{component} does not close {open_part}")
            stack.pop()
            closed = not stack
            continue
        if not stack:
            raise _error(source, line.number, f"property {line.name} outside any component")
        if stack[-1][0] == "VEVENT":
            events[-1].properties.setdefault(line.name, line.number)
        elif len(stack) == 1:
            calendar_properties.setdefault(line.name, line.value.strip())
    if stack:
        component, number = stack[-1]
        raise _error(source, number, f"BEGIN:{component} is never closed with END:{component}")
    return events, calendar_properties


def parse_ics(data: bytes, *, source: str, timezone: str | None = None) -> IcsCalendar:
    """Parse and validate an iCalendar file, raising InputError with the line and reason.

    `timezone` names the zone for all-day events and floating times. Without
    it the file's X-WR-TIMEZONE is used. A file with neither is rejected at
    the first event that needs a zone.
    """
    import icalendar

    if len(data) > MAX_ICS_BYTES:
        raise InputError(
            f"the iCalendar file has {len(data)} bytes, more than the maximum of {MAX_ICS_BYTES}",
            source=source,
            hint="split the calendar into several files",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _error(source, line, f"not UTF-8 text (invalid byte at offset {exc.start})") from exc
    text = text.removeprefix("\ufeff")

    # 1. Structure, with line numbers (icalendar does not report them).
    event_lines, calendar_properties = _check_structure(_content_lines(text, source), source)

    # 2. Values, decoded by icalendar and checked event by event.
    try:
        parsed = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise _error(source, None, f"icalendar cannot read the file: {exc}") from exc
    components = [c for c in parsed.walk("VEVENT")]
    if len(components) != len(event_lines):
        raise _error(
            source,
            None,
            f"found {len(event_lines)} BEGIN:VEVENT lines but icalendar read "
            f"{len(components)} events",
        )
    zone_name = timezone or calendar_properties.get("X-WR-TIMEZONE") or None
    default_zone: tzinfo | None = None
    if zone_name:
        try:
            default_zone = load_zone(zone_name)
        except ValueError as exc:
            where = "--timezone" if timezone else "X-WR-TIMEZONE"
            raise _error(source, None, f"{where}: {exc}") from exc

    events = []
    for component, lines in zip(components, event_lines, strict=True):
        event = _read_event(component, lines, default_zone, source)
        if event is not None:
            events.append(event)
    return IcsCalendar(
        source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        events=tuple(events),
        calendar_type=(calendar_properties.get(AWS_CALENDAR_TYPE) or "").upper() or None,
        name=calendar_properties.get("X-WR-CALNAME"),
    )


def _read_event(
    component: Any, lines: _EventLines, default_zone: tzinfo | None, source: str
) -> IcsEvent | None:
    def line_of(name: str) -> int:
        return lines.properties.get(name, lines.begin)

    for name, message in getattr(component, "errors", []) or []:
        raise _error(source, line_of(str(name).upper()), f"invalid {name}: {message}")
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        return None
    if "DTSTART" not in lines.properties:
        raise _error(source, lines.begin, "VEVENT has no DTSTART")

    start_value, start_zone = _moment(component, "DTSTART", line_of("DTSTART"), source)
    all_day = not isinstance(start_value, datetime)
    if "DTEND" in lines.properties:
        end_value, end_zone = _moment(component, "DTEND", line_of("DTEND"), source)
        if isinstance(end_value, datetime) != (not all_day):
            raise _error(
                source,
                line_of("DTEND"),
                "DTEND and DTSTART must both be dates or both be date-times",
            )
    elif "DURATION" in lines.properties:
        duration = component.decoded("DURATION")
        if not isinstance(duration, timedelta) or duration <= timedelta(0):
            raise _error(source, line_of("DURATION"), "DURATION must be a positive duration")
        end_value, end_zone = start_value + duration, start_zone
    elif all_day:
        end_value, end_zone = start_value + timedelta(days=1), start_zone
    else:
        raise _error(
            source,
            lines.begin,
            "VEVENT has a DTSTART date-time but neither DTEND nor DURATION, "
            "so it lasts no time at all",
        )

    zone = start_zone or end_zone or default_zone
    if zone is None:
        event_kind = "an all-day event" if all_day else "a time without a zone"
        raise _error(
            source,
            line_of("DTSTART"),
            f"{event_kind} needs a time zone: set X-WR-TIMEZONE in the file or pass one explicitly",
        )
    start_wall = _wall(start_value, zone)
    end_wall = _wall(end_value, end_zone or zone, into=zone)
    if end_wall <= start_wall:
        raise _error(source, line_of("DTEND"), "the event ends before or when it starts")

    rrule_text = None
    if "RRULE" in lines.properties:
        recurrence = component.get("RRULE")
        if isinstance(recurrence, list):
            raise _error(source, line_of("RRULE"), "more than one RRULE in one event")
        frequency = (recurrence.get("FREQ") or [""])[0]
        if frequency not in ALLOWED_FREQUENCIES:
            raise _error(
                source,
                line_of("RRULE"),
                f"recurrence frequency {frequency or '(none)'} is not supported; "
                f"use one of {', '.join(ALLOWED_FREQUENCIES)}",
            )
        rrule_text = recurrence.to_ical().decode("utf-8")
        try:
            from dateutil.rrule import rrulestr

            rrulestr(rrule_text, dtstart=start_wall.replace(tzinfo=zone))
        except (ValueError, TypeError) as exc:
            raise _error(source, line_of("RRULE"), f"invalid RRULE: {exc}") from exc

    return IcsEvent(
        line=lines.begin,
        uid=str(component["UID"]) if "UID" in component else None,
        summary=str(component.get("SUMMARY", "")).strip() or "(no summary)",
        start=start_wall,
        end=end_wall,
        zone=zone,
        all_day=all_day,
        rrule=rrule_text,
        rdates=tuple(_wall(v, z or zone, into=zone) for v, z in _date_list(component, "RDATE")),
        exdates=tuple(_wall(v, z or zone, into=zone) for v, z in _date_list(component, "EXDATE")),
    )


def _moment(component: Any, name: str, line: int, source: str) -> tuple[date, tzinfo | None]:
    """Return a DTSTART or DTEND value and its zone (None for dates and floating times)."""
    prop = component.get(name)
    if isinstance(prop, list):
        raise _error(source, line, f"more than one {name} in one event")
    value = prop.dt
    if isinstance(value, datetime):
        tzid = prop.params.get("TZID")
        if value.tzinfo is None and tzid:
            raise _error(source, line, f"unknown time zone TZID={tzid}")
        return value, value.tzinfo
    if isinstance(value, date):
        return value, None
    raise _error(source, line, f"{name} must be a date or a date-time")


def _wall(value: date, zone: tzinfo, *, into: tzinfo | None = None) -> datetime:
    """Return the naive local time of a date or date-time, in `into` when given."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0))
    if value.tzinfo is None:
        return value
    return value.astimezone(into or zone).replace(tzinfo=None)


def _date_list(component: Any, name: str) -> list[tuple[date, tzinfo | None]]:
    values = component.get(name)
    if values is None:
        return []
    groups = values if isinstance(values, list) else [values]
    result: list[tuple[date, tzinfo | None]] = []
    for group in groups:
        for item in group.dts:
            moment = item.dt
            if isinstance(moment, datetime):
                result.append((moment, moment.tzinfo))
            elif isinstance(moment, date):
                result.append((moment, None))
    return result


@dataclass(frozen=True)
class ExportEvent:
    """One occurrence to publish: what, when, and the text people read in their calendar."""

    key: str
    summary: str
    description: str
    interval: Interval
    category: str


def export_ics(events: Iterable[ExportEvent], *, name: str, stamp: datetime) -> bytes:
    """Return an iCalendar document (METHOD:PUBLISH) with one VEVENT per occurrence.

    Each UID is derived from the occurrence's key and start, so a calendar
    client that subscribes keeps one event per occurrence across exports.
    """
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//releasegate//change calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "UTC")
    for item in events:
        digest = hashlib.sha256(
            f"{item.key}|{item.interval.start.isoformat()}".encode()
        ).hexdigest()
        event = icalendar.Event()
        event.add("uid", f"{digest[:32]}@releasegate")
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", item.interval.start.astimezone(UTC))
        event.add("dtend", item.interval.end.astimezone(UTC))
        event.add("summary", item.summary)
        event.add("description", item.description)
        event.add("categories", [item.category])
        event.add("transp", "OPAQUE" if item.category == "release-freeze" else "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
