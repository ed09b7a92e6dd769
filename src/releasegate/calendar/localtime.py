"""Local wall-clock times to UTC instants, with daylight-saving gaps and overlaps resolved.

A local time can be missing (clocks jump forward over it) or repeated (clocks
fall back over it). Calendar rules name local times, so each conversion states
which instant it means when the local time is repeated: the earliest or the
latest. A missing local time always becomes the instant the clocks jumped,
which is the first instant after the gap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_ONE_SECOND = timedelta(seconds=1)


def load_zone(name: str) -> ZoneInfo:
    """Return the IANA time zone `name`, or raise ValueError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/London"
        ) from exc


def _round_trips(candidate: datetime, wall: datetime) -> bool:
    zone = candidate.tzinfo
    assert zone is not None
    return candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def _transition_between(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """Return the first UTC instant in (before, after] whose offset is the offset at `after`.

    Both arguments are UTC instants. Offsets change on whole seconds, so a
    binary search over seconds finds the transition in at most about 20 steps
    for any realistic gap.
    """
    target = after.astimezone(zone).utcoffset()
    low, high = before, after
    while high - low > _ONE_SECOND:
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            middle = low + _ONE_SECOND
        if middle.astimezone(zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high


def to_utc(wall: datetime, zone: ZoneInfo, *, earliest: bool) -> datetime:
    """Convert the naive local time `wall` in `zone` to an aware UTC instant.

    A repeated local time gives its earlier instant when `earliest` is true,
    its later instant otherwise. A local time inside a daylight-saving gap
    gives the instant the clocks jumped forward.
    """
    if wall.tzinfo is not None:
        raise ValueError("expected a naive local time")
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    first_exists = _round_trips(first, wall)
    second_exists = _round_trips(second, wall)
    if first_exists or second_exists:
        instants = sorted(
            c.astimezone(UTC) for c, ok in ((first, first_exists), (second, second_exists)) if ok
        )
        return instants[0] if earliest else instants[-1]

    # A gap: fold=0 reads the time with the offset before the jump and fold=1
    # with the offset after it, so the jump lies between the two instants.
    candidates = sorted((first.astimezone(UTC), second.astimezone(UTC)))
    return _transition_between(candidates[0], candidates[1], zone)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Return the first instant of the local calendar day `day` in `zone`, in UTC."""
    return to_utc(datetime.combine(day, time(0)), zone, earliest=True)


def local_days(start: date, end: date) -> list[date]:
    """Return the calendar days from `start` to `end`, both included."""
    count = (end - start).days + 1
    return [start + timedelta(days=offset) for offset in range(max(count, 0))]


def format_local(moment: datetime, zone: ZoneInfo) -> str:
    """Format an instant as local time with the zone abbreviation: 2026-06-26 00:00 IST."""
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def utc_text(moment: datetime) -> str:
    """Format an aware instant as RFC 3339 UTC to the second: 2026-06-25T23:00:00Z."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime; calendar instants are aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
