"""`releasegate calendar`: freezes, allowed windows and when a release may go.

The commands read the calendar file named by the `calendar` setting (default
calendars.yaml in the working folder) and, with --service, the service
catalog. They need no database. Calendar modules are imported inside each
command so that `releasegate --help` stays fast.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from releasegate.cli.output import OutputFormat, console, emit_json, table
from releasegate.errors import InputError, ReleasegateError

if TYPE_CHECKING:
    from releasegate.calendar import CalendarSet, Occurrence, ServiceCalendar
    from releasegate.calendar.ical import ExportEvent
    from releasegate.model.decision import RiskTier
    from releasegate.model.service import Service
    from releasegate.settings import Settings

calendar_app = typer.Typer(
    help="Show freezes and allowed windows, check a time, find the next allowed start.",
    no_args_is_help=True,
)

# Maximum rollout duration the calendar commands and the gate accept. A longer
# plan is almost certainly a unit mistake, such as minutes typed as days.
MAX_ROLLOUT = timedelta(days=31)
# Default span of `calendar show` and `calendar export`.
SHOW_DAYS = 31
EXPORT_DAYS = 366

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")

OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="Print a table or JSON.")
]
ServiceOption = Annotated[str, typer.Option("--service", help="Service name from the catalog.")]
EnvOption = Annotated[str, typer.Option("--env", help="Target environment.")]
DurationOption = Annotated[
    str | None,
    typer.Option(
        help="Expected rollout duration: 90m, 2h, 1d or 1h30m "
        "(default: the rollout_duration_minutes setting)."
    ),
]


# Option parsing -------------------------------------------------------------


def parse_time_option(value: str | None, option: str) -> datetime | None:
    """Parse an RFC 3339 time with a UTC offset; None and 'now' return None (meaning now)."""
    if value is None or value.strip().lower() == "now":
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(
            f"invalid time {value!r}",
            source=option,
            hint="write an RFC 3339 time such as 2026-06-30T08:00:00Z or 2026-06-30T10:00+02:00",
        ) from exc
    if moment.tzinfo is None:
        raise InputError(
            f"time {value!r} has no UTC offset, so it does not name one instant",
            source=option,
            hint="add Z for UTC or an offset such as +02:00",
        )
    return moment.astimezone(UTC)


def parse_duration_option(value: str | None, option: str) -> timedelta | None:
    """Parse a rollout duration such as 90m, 2h, 1d or 1h30m; None returns None."""
    if value is None:
        return None
    match = _DURATION.match(value.strip())
    if not value.strip() or match is None:
        raise InputError(
            f"invalid duration {value!r}",
            source=option,
            hint="write a number and a unit: 90m, 2h, 1d, or a combination such as 1h30m",
        )
    days, hours, minutes = (int(part) if part else 0 for part in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes)
    if duration > MAX_ROLLOUT:
        raise InputError(
            f"duration {value!r} is longer than the {MAX_ROLLOUT.days} days accepted",
            source=option,
            hint="give the expected duration of one rollout",
        )
    return duration


def _time_range(
    start: str | None, end: str | None, *, default_days: int
) -> tuple[datetime, datetime]:
    """Return the --from/--to range: from today's midnight UTC, `default_days` long by default."""
    first = _parse_bound(start, "--from") or datetime.now(UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    last = _parse_bound(end, "--to") or first + timedelta(days=default_days)
    if last <= first:
        raise InputError("--to is not later than --from", source="--to", hint="swap them")
    return first, last


def _parse_bound(value: str | None, option: str) -> datetime | None:
    """Parse --from/--to: a date (midnight UTC) or an RFC 3339 time with an offset."""
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value.strip()), time(0), tzinfo=UTC)
    except ValueError:
        return parse_time_option(value, option)


def _parse_tier(value: str, option: str = "--tier") -> RiskTier:
    from releasegate.model.decision import RiskTier

    try:
        return RiskTier(value.strip().lower())
    except ValueError as exc:
        raise InputError(
            f"unknown risk tier {value!r}",
            source=option,
            hint=f"use one of: {', '.join(t.value for t in RiskTier)}",
        ) from exc


def _parse_environment(value: str) -> str:
    from releasegate.model import Environment

    try:
        return Environment(value).value
    except ValueError as exc:
        raise InputError(
            f"unknown environment {value!r}",
            source="--env",
            hint=f"use one of: {', '.join(e.value for e in Environment)}",
        ) from exc


# Loading --------------------------------------------------------------------


def _settings() -> Settings:
    from releasegate.cli.main import _State
    from releasegate.settings import load_settings

    return load_settings(home=_State.home, overrides=_State.overrides)


def _calendars(settings: Settings) -> CalendarSet | None:
    from releasegate.calendar import load_calendars

    return load_calendars(settings.resolved_calendar, required=settings.calendar is not None)


def _service(settings: Settings, name: str) -> Service:
    from releasegate.catalog import load_catalog

    catalog = load_catalog(settings.resolved_catalog)
    service = catalog.service(name)
    if service is None:
        raise InputError(
            f"service {name!r} is not in the catalog",
            source="--service",
            hint=f"use one of: {', '.join(s.name for s in catalog.services)}",
        )
    return service


def _fail(error: ReleasegateError) -> NoReturn:
    from releasegate.cli.main import _fail as fail

    fail(error)


def _no_calendar_note(settings: Settings) -> str:
    return f"no calendar file at {settings.resolved_calendar}: no freezes and no windows"


def _local(moment: datetime, zone_key: str) -> str:
    from releasegate.calendar.localtime import format_local, load_zone

    return format_local(moment, load_zone(zone_key))


def _occurrence_dict(occurrence: Occurrence) -> dict[str, Any]:
    from releasegate.service.calendars import occurrence_dict

    return occurrence_dict(occurrence)


def _occurrence_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            o["name"],
            o["entity"] or "(all)",
            o["start_local"],
            o["end_local"],
            ", ".join(o["tiers"]),
            o["scope"],
        ]
        for o in items
    ]


def _schedule(
    settings: Settings, service_name: str, environment: str
) -> tuple[ServiceCalendar, Service]:
    from releasegate.calendar import ServiceCalendar

    service = _service(settings, service_name)
    return ServiceCalendar(_calendars(settings), service, environment), service


# Commands -------------------------------------------------------------------


@calendar_app.command("show")
def calendar_show(
    service: Annotated[
        str | None, typer.Option("--service", help="Only what applies to this service.")
    ] = None,
    env: EnvOption = "production",
    start: Annotated[
        str | None,
        typer.Option("--from", help="Start: a date (midnight UTC) or an RFC 3339 time."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help=f"End (default: {SHOW_DAYS} days after the start)."),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List freezes and allowed windows between two times."""
    from releasegate.calendar import ServiceCalendar
    from releasegate.calendar.intervals import Interval

    try:
        settings = _settings()
        environment = _parse_environment(env)
        first, last = _time_range(start, end, default_days=SHOW_DAYS)
        calendars = _calendars(settings)
        if service is not None:
            schedule, _ = _schedule(settings, service, environment)
        elif calendars is not None:
            schedule = ServiceCalendar.whole(calendars)
        else:
            schedule = ServiceCalendar(None, None, environment)
    except ReleasegateError as error:
        _fail(error)

    bounds = Interval(first, last)
    freezes = [_occurrence_dict(o) for o in schedule.freeze_occurrences(bounds)]
    windows = [_occurrence_dict(o) for o in schedule.window_occurrences(bounds)]
    result = {
        "calendar": None if calendars is None else calendars.source,
        "service": service,
        "environment": environment if service else None,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "problems": schedule.problems,
        "freezes": freezes,
        "windows": windows,
    }
    if output is OutputFormat.JSON:
        emit_json(result)
        return
    if calendars is None:
        console.print(_no_calendar_note(settings))
        return
    scope = f" for {service} in {environment}" if service else ""
    span = f"{first:%Y-%m-%d %H:%M}Z to {last:%Y-%m-%d %H:%M}Z"
    columns = ["name", "legal entity", "from (local)", "until (local)", "tiers", "scope"]
    console.print(table(f"freezes{scope}, {span}", columns, _occurrence_rows(freezes)))
    console.print(table(f"allowed windows{scope}, {span}", columns, _occurrence_rows(windows)))
    for problem in schedule.problems:
        console.print(f"[bold red]problem:[/bold red] {problem}")


@calendar_app.command("check")
def calendar_check(
    service: ServiceOption,
    at: Annotated[
        str | None, typer.Option(help="Planned deployment time, RFC 3339 (default: now).")
    ] = None,
    duration: DurationOption = None,
    env: EnvOption = "production",
    tier: Annotated[
        str | None,
        typer.Option(help="Exit 1 unless a release of this tier may go (low ... critical)."),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Say whether a release of each risk tier may go at a time."""
    from releasegate.calendar import gather_facts
    from releasegate.calendar.localtime import utc_text

    try:
        settings = _settings()
        environment = _parse_environment(env)
        required_tier = _parse_tier(tier) if tier else None
        start = parse_time_option(at, "--at") or datetime.now(UTC)
        rollout = parse_duration_option(duration, "--duration") or timedelta(
            minutes=settings.rollout_duration_minutes
        )
        calendars = _calendars(settings)
        facts = gather_facts(
            calendars,
            _service(settings, service),
            environment,
            start=start,
            duration=rollout,
        )
    except ReleasegateError as error:
        _fail(error)

    tiers = []
    for status in facts.tiers.values():
        may_go = status.may_go and not facts.problems
        next_allowed = facts.next_allowed[status.tier]
        tiers.append(
            {
                "tier": status.tier.value,
                "may_go": may_go,
                "blocked_by": [
                    {
                        "name": o.item.name,
                        "entity": o.entity,
                        "end": utc_text(o.interval.end),
                        "end_local": _local(o.interval.end, o.zone.key),
                    }
                    for o in status.blocking
                ],
                "windows_constrain": status.constrained,
                "inside_windows": status.covered,
                "leaves_windows_at": utc_text(status.uncovered_at) if status.uncovered_at else None,
                "next_allowed": utc_text(next_allowed) if next_allowed else None,
            }
        )
    result = {
        "service": service,
        "environment": environment,
        "calendar": None if calendars is None else calendars.source,
        **facts.deployment_document(),
        "problems": list(facts.problems),
        "tiers": tiers,
    }
    if output is OutputFormat.JSON:
        emit_json(result)
    else:
        _print_check(result, settings if calendars is None else None)
    blocked = {entry["tier"] for entry in tiers if not entry["may_go"]}
    if facts.problems or (required_tier is not None and required_tier.value in blocked):
        raise typer.Exit(1)


def _print_check(result: dict[str, Any], missing: Settings | None) -> None:
    if missing is not None:
        console.print(_no_calendar_note(missing))
    rows = []
    for entry in result["tiers"]:
        reasons = [f"freeze {b['name']} until {b['end_local']}" for b in entry["blocked_by"]]
        if not entry["inside_windows"]:
            reasons.append(f"outside the allowed windows from {entry['leaves_windows_at']}")
        rows.append(
            [
                entry["tier"],
                "[green]yes[/green]" if entry["may_go"] else "[red]no[/red]",
                "\n".join(reasons),
                entry["next_allowed"] or "none within the search horizon",
            ]
        )
    console.print(
        table(
            f"{result['service']} in {result['environment']}: rollout from "
            f"{result['planned_start']} to {result['planned_end']}",
            ["tier", "may go", "why not", "next allowed start"],
            rows,
        )
    )
    for problem in result["problems"]:
        console.print(f"[bold red]problem:[/bold red] {problem}")


@calendar_app.command("next")
def calendar_next(
    service: ServiceOption,
    tier: Annotated[str, typer.Option(help="Risk tier of the release: low ... critical.")],
    after: Annotated[
        str | None, typer.Option(help="Earliest start to consider, RFC 3339 (default: now).")
    ] = None,
    duration: DurationOption = None,
    env: EnvOption = "production",
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Say when a release of a risk tier may next go (exit 1 when no time was found)."""
    from releasegate.calendar.localtime import utc_text
    from releasegate.calendar.schedule import DEFAULT_HORIZON

    try:
        settings = _settings()
        environment = _parse_environment(env)
        risk_tier = _parse_tier(tier)
        start = parse_time_option(after, "--after") or datetime.now(UTC)
        rollout = parse_duration_option(duration, "--duration") or timedelta(
            minutes=settings.rollout_duration_minutes
        )
        schedule, found_service = _schedule(settings, service, environment)
    except ReleasegateError as error:
        _fail(error)

    moment = None if schedule.problems else schedule.next_allowed(risk_tier, start, rollout)
    calendars = schedule.calendars
    zones = (
        sorted(
            {
                calendars.entities[e].zone.key
                for e in found_service.legal_entities
                if e in calendars.entities
            }
        )
        if calendars
        else []
    )
    local = {zone: _local(moment, zone) for zone in zones} if moment else {}
    result = {
        "service": service,
        "environment": environment,
        "tier": risk_tier.value,
        "after": utc_text(start),
        "duration_minutes": int(rollout.total_seconds() // 60),
        "next_allowed": utc_text(moment) if moment else None,
        "local": local,
        "problems": schedule.problems,
    }
    if output is OutputFormat.JSON:
        emit_json(result)
    elif moment is None:
        for problem in schedule.problems:
            console.print(f"[bold red]problem:[/bold red] {problem}")
        if not schedule.problems:
            console.print(
                f"no allowed start for a {risk_tier.value} release of {service} within "
                f"{DEFAULT_HORIZON.days} days after {utc_text(start)}"
            )
    else:
        local_text = "".join(f", {text} ({zone})" for zone, text in local.items())
        console.print(
            f"a {risk_tier.value} release of {service} in {environment} may next start at "
            f"[bold]{result['next_allowed']}[/bold]{local_text}"
        )
    raise typer.Exit(0 if moment else 1)


@calendar_app.command("export")
def calendar_export(
    service: Annotated[
        str | None, typer.Option("--service", help="Only what applies to this service.")
    ] = None,
    env: EnvOption = "production",
    start: Annotated[
        str | None,
        typer.Option("--from", help="Start: a date (midnight UTC) or an RFC 3339 time."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help=f"End (default: {EXPORT_DAYS} days after the start)."),
    ] = None,
    windows: Annotated[
        bool, typer.Option("--windows", help="Export the allowed windows as well.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of standard output.")
    ] = None,
) -> None:
    """Write the freezes (and windows) as an iCalendar file for calendar clients."""
    from releasegate.calendar import ServiceCalendar
    from releasegate.calendar.ical import export_ics
    from releasegate.calendar.intervals import Interval

    try:
        settings = _settings()
        environment = _parse_environment(env)
        first, last = _time_range(start, end, default_days=EXPORT_DAYS)
        calendars = _calendars(settings)
        if calendars is None:
            raise InputError(
                _no_calendar_note(settings),
                source=str(settings.resolved_calendar),
                hint="create the calendar file or set RELEASEGATE_CALENDAR",
            )
        if service is not None:
            schedule, _ = _schedule(settings, service, environment)
        else:
            schedule = ServiceCalendar.whole(calendars)
    except ReleasegateError as error:
        _fail(error)

    bounds = Interval(first, last)
    found = schedule.freeze_occurrences(bounds)
    if windows:
        found += schedule.window_occurrences(bounds)
    events = [_export_event(o) for o in found]
    name = f"releasegate: {service} ({environment})" if service else "releasegate change calendar"
    document = export_ics(events, name=name, stamp=datetime.now(UTC))
    if out is None:
        sys.stdout.buffer.write(document)
        return
    try:
        out.write_bytes(document)
    except OSError as exc:
        _fail(
            InputError(
                f"cannot write the file: {exc.strerror}", source=str(out), hint="check the path"
            )
        )
    console.print(f"wrote {len(events)} events to {out}")


def _export_event(occurrence: Occurrence) -> ExportEvent:
    from releasegate.calendar.ical import ExportEvent
    from releasegate.calendar.schedule import scope_text

    item = occurrence.item
    what = "Release freeze" if occurrence.is_freeze else "Release window"
    entity = f" ({occurrence.entity})" if occurrence.entity else ""
    verb = "blocks" if occurrence.is_freeze else "allows"
    tiers = ", ".join(t.value for t in item.tiers)
    description = f"{item.description}\n\n" if item.description else ""
    description += f"{verb} releases of risk tier {tiers}; scope: {scope_text(item.scope)}"
    return ExportEvent(
        key=f"{item.name}|{occurrence.entity or ''}",
        summary=f"{what}: {item.label}{entity}",
        description=description,
        interval=occurrence.interval,
        category="release-freeze" if occurrence.is_freeze else "release-window",
    )


@calendar_app.command("import")
def calendar_import(
    path: Annotated[Path, typer.Argument(help="iCalendar file (.ics) to validate.")],
    timezone: Annotated[
        str | None,
        typer.Option(help="Zone for all-day events and floating times (default: X-WR-TIMEZONE)."),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Validate an iCalendar file of blackouts and list its events (exit 2 when malformed).

    To use the file, name it in a freeze or window of the calendar file with
    rule kind ical.
    """
    from releasegate.calendar.ical import parse_ics
    from releasegate.documents import read_bytes

    try:
        ics = parse_ics(
            read_bytes(path, what="iCalendar file"), source=str(path), timezone=timezone
        )
    except ReleasegateError as error:
        _fail(error)

    events = [
        {
            "line": event.line,
            "uid": event.uid,
            "summary": event.summary,
            "start": event.start.isoformat(),
            "end": event.end.isoformat(),
            "timezone": str(getattr(event.zone, "key", event.zone)),
            "all_day": event.all_day,
            "recurrence": event.rrule,
        }
        for event in ics.events
    ]
    result = {
        "file": str(path),
        "sha256": ics.sha256,
        "valid": True,
        "calendar_type": ics.calendar_type,
        "events": events,
    }
    if output is OutputFormat.JSON:
        emit_json(result)
        return
    console.print(
        table(
            f"{path}: {len(events)} events, valid",
            ["line", "summary", "start (local)", "end (local)", "time zone", "recurrence"],
            [
                [
                    e["line"],
                    e["summary"],
                    e["start"],
                    e["end"],
                    e["timezone"],
                    e["recurrence"] or "",
                ]
                for e in events
            ],
        )
    )
    if ics.calendar_type:
        meaning = {
            "DEFAULT_OPEN": "blackouts (use under freezes)",
            "DEFAULT_CLOSED": "allowed windows (use under windows)",
        }
        console.print(
            f"AWS change calendar of type {ics.calendar_type}: its events are "
            f"{meaning.get(ics.calendar_type, 'of an unknown type')}"
        )
