"""Load and cross-check the calendar file and the iCalendar files it names.

An absent calendar file at the default path means "no calendars". Every other
problem raises InputError naming the file, the field and the fix: a file named
in the settings that does not exist, invalid YAML, an unknown time zone,
holiday country or legal entity, or an unreadable iCalendar file. A broken
calendar is never read as "no freeze".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from releasegate.calendar.business_days import BusinessCalendar
from releasegate.calendar.document import (
    API_VERSION,
    KIND,
    CalendarDocument,
    Freeze,
    IcalRule,
    Rule,
    Window,
)
from releasegate.calendar.ical import IcsCalendar, parse_ics
from releasegate.calendar.localtime import load_zone
from releasegate.calendar.rules import EntityCalendar
from releasegate.documents import field_path, parse_yaml, read_bytes, validate
from releasegate.errors import InputError

DEFAULT_FILE_NAME = "calendars.yaml"


@dataclass(frozen=True)
class CalendarSet:
    """A validated calendar file with its entities' business calendars and iCalendar files."""

    source: str
    sha256: str
    entities: dict[str, EntityCalendar]
    default_entity: str | None
    reason_codes: dict[str, str]
    freezes: tuple[Freeze, ...]
    windows: tuple[Window, ...]
    ical_files: dict[str, IcsCalendar] = field(default_factory=dict)
    content: bytes = field(default=b"", repr=False)


def load_calendars(path: Path, *, required: bool) -> CalendarSet | None:
    """Read the calendar file; return None when it is absent and not `required`."""
    if not path.exists():
        if not required:
            return None
        raise InputError(
            "calendar file not found",
            source=str(path),
            hint="create it, or point the calendar setting (--calendar, RELEASEGATE_CALENDAR "
            "or 'calendar' in releasegate.toml) at the right file",
        )
    source = str(path)
    raw = read_bytes(path, what="calendar file")
    document = _validate_document(parse_yaml(raw, source=source), source)

    # 1. Header.
    if document.apiVersion != API_VERSION or document.kind != KIND:
        raise InputError(
            f"expected apiVersion {API_VERSION!r} and kind {KIND!r}, "
            f"found {document.apiVersion!r} and {document.kind!r}",
            source=source,
            field="apiVersion",
            hint=f"start the file with 'apiVersion: {API_VERSION}' and 'kind: {KIND}'",
        )

    # 2. Names are unique and references resolve.
    _check_references(document, source)

    # 3. Business calendars of the legal entities.
    entities = {
        name: EntityCalendar(
            name=name,
            business=BusinessCalendar(
                zone=load_zone(entity.timezone),
                country=entity.holidays.country,
                subdivision=entity.holidays.subdivision,
                categories=entity.holidays.categories,
                markets=entity.holidays.markets,
                closing_days=entity.closing_days,
                weekend=[day.number for day in entity.weekend],
                fiscal_year_start_month=entity.fiscal_year_start_month,
            ),
        )
        for name, entity in document.legal_entities.items()
    }

    # 4. iCalendar files, read once each.
    ical_files = _load_ical_files(document, path)

    return CalendarSet(
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
        entities=entities,
        default_entity=document.default_legal_entity,
        reason_codes=dict(document.emergency_reason_codes),
        freezes=document.freezes,
        windows=document.windows,
        ical_files=ical_files,
        content=raw,
    )


def _validate_document(value: object, source: str) -> CalendarDocument:
    """Validate the parsed YAML, naming fields as they are written in the file.

    Pydantic puts the rule kind into the location of a rule's error
    (`rule.weekly.end`); the file has no such level, so it is left out.
    """
    if not isinstance(value, dict):
        return validate(CalendarDocument, value, source=source)
    try:
        return CalendarDocument.model_validate(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = [
            part
            for index, part in enumerate(error["loc"])
            if not (part in _RULE_KINDS and index > 0 and _is_rule(error["loc"], index))
        ]
        field = field_path(tuple(location))
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] not in ("missing", "value_error"):
            message += f"; found {error.get('input')!r}"
        count = exc.error_count()
        if count > 1:
            message += f" (and {count - 1} more error(s))"
        raise InputError(
            message, source=source, field=field, hint=f"correct '{field}' and load again"
        ) from exc


_RULE_KINDS = {"close", "monthly_date", "dates", "once", "weekly", "ical"}


def _is_rule(location: tuple[int | str, ...], index: int) -> bool:
    """Return whether location[index] follows a rule field (`rule` or `exceptions[i]`)."""
    before = location[index - 1]
    return before == "rule" or (
        isinstance(before, int) and index > 1 and location[index - 2] == "exceptions"
    )


def _items(document: CalendarDocument) -> list[tuple[str, Freeze | Window]]:
    return [(f"freezes[{i}]", f) for i, f in enumerate(document.freezes)] + [
        (f"windows[{i}]", w) for i, w in enumerate(document.windows)
    ]


def _check_references(document: CalendarDocument, source: str) -> None:
    seen: dict[str, str] = {}
    for where, item in _items(document):
        if item.name in seen:
            raise InputError(
                f"name {item.name!r} is already used by {seen[item.name]}",
                source=source,
                field=f"{where}.name",
                hint="give each freeze and window a unique name",
            )
        seen[item.name] = where
        for index, entity in enumerate(item.scope.legal_entities):
            if entity not in document.legal_entities:
                raise InputError(
                    f"legal entity {entity!r} is not defined under 'legal_entities'",
                    source=source,
                    field=f"{where}.scope.legal_entities[{index}]",
                    hint=f"add '{entity}' with its timezone and holidays under 'legal_entities' "
                    "or fix the name",
                )
    default = document.default_legal_entity
    if default is not None and default not in document.legal_entities:
        raise InputError(
            f"default_legal_entity {default!r} is not defined under 'legal_entities'",
            source=source,
            field="default_legal_entity",
            hint=f"add '{default}' under 'legal_entities' or fix the name",
        )


def _rules_of(item: Freeze | Window, where: str) -> list[tuple[str, Rule]]:
    return [(f"{where}.rule", item.rule)] + [
        (f"{where}.exceptions[{i}]", rule) for i, rule in enumerate(item.exceptions)
    ]


def _load_ical_files(document: CalendarDocument, path: Path) -> dict[str, IcsCalendar]:
    loaded: dict[str, IcsCalendar] = {}
    for where, item in _items(document):
        is_freeze = isinstance(item, Freeze)
        for rule_where, rule in _rules_of(item, where):
            if not isinstance(rule, IcalRule):
                continue
            key = ical_key(rule)
            if key not in loaded:
                loaded[key] = _load_ical(rule, path, rule_where)
            _check_calendar_type(loaded[key], rule_where, is_freeze, str(path))
    return loaded


def ical_key(rule: IcalRule) -> str:
    """Return the key under which CalendarSet.ical_files stores the file of `rule`."""
    return f"{rule.file}|{rule.timezone or ''}"


def _load_ical(rule: IcalRule, calendar_path: Path, where: str) -> IcsCalendar:
    ics_path = Path(rule.file)
    if not ics_path.is_absolute():
        ics_path = calendar_path.parent / ics_path
    try:
        data = read_bytes(ics_path, what="iCalendar file")
        return parse_ics(data, source=str(ics_path), timezone=rule.timezone)
    except InputError as exc:
        # The message already names the iCalendar file and line; add where it is used.
        error = InputError(
            exc.message, hint=f"{exc.hint}; the file is named by {where}.file in {calendar_path}"
        )
        error.source, error.field = exc.source, exc.field
        raise error from exc


def _check_calendar_type(ics: IcsCalendar, where: str, is_freeze: bool, source: str) -> None:
    # AWS Change Calendar: DEFAULT_OPEN lists closed periods, DEFAULT_CLOSED open ones.
    if is_freeze and ics.calendar_type == "DEFAULT_CLOSED":
        raise InputError(
            f"{ics.source} is an AWS change calendar of type DEFAULT_CLOSED, whose events are "
            "periods when changes are allowed, not freezes",
            source=source,
            field=f"{where}.file",
            hint="use the file under 'windows' instead of 'freezes'",
        )
    if not is_freeze and ics.calendar_type == "DEFAULT_OPEN":
        raise InputError(
            f"{ics.source} is an AWS change calendar of type DEFAULT_OPEN, whose events are "
            "periods when changes are blocked, not allowed windows",
            source=source,
            field=f"{where}.file",
            hint="use the file under 'freezes' instead of 'windows'",
        )
