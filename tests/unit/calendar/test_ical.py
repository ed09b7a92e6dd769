"""iCalendar import (real and malformed files) and export."""

from __future__ import annotations

from datetime import UTC, date, datetime

import holidays
import pytest

from releasegate.calendar.ical import ExportEvent, export_ics, parse_ics
from releasegate.calendar.intervals import Interval
from releasegate.errors import InputError

HINT = "fix the line named, or export the calendar again from the system that made it"


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def ics(*event_lines: str, header: tuple[str, ...] = ()) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *header]
    lines += ["BEGIN:VEVENT", "UID:e1@test", "DTSTAMP:20260101T000000Z", *event_lines, "END:VEVENT"]
    lines += ["END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def rejected(data: bytes, **options) -> str:
    with pytest.raises(InputError) as caught:
        parse_ics(data, source="blackouts.ics", **options)
    assert caught.value.hint == HINT
    return caught.value.message


# Real files from the shared corpus.


@pytest.mark.corpus
def test_corpus_japanese_holidays(ical_corpus):
    path = ical_corpus / "aws-ssm-calendar-generator__holidays.ics"
    calendar = parse_ics(path.read_bytes(), source=str(path))
    assert len(calendar.events) == 33
    assert calendar.calendar_type == "DEFAULT_OPEN"
    first = calendar.events[0]
    assert first.summary == "日本の祝日: 元日"
    assert first.line == 17
    assert str(first.zone) == "Asia/Tokyo"


@pytest.mark.corpus
def test_corpus_holidays_in_utc(ical_corpus):
    path = ical_corpus / "aws-ssm-calendar-generator__holidays.ics"
    calendar = parse_ics(path.read_bytes(), source=str(path))
    found = calendar.occurrences(Interval(utc(2026, 1, 1), utc(2027, 1, 1)), widen=True)
    assert len(found) == 17
    # New Year's Day 2026 starts at midnight in Tokyo, 15:00 UTC the day before.
    assert found[0][1] == Interval(utc(2025, 12, 31, 15), utc(2026, 1, 1, 15))
    assert found[-1][1] == Interval(utc(2026, 11, 22, 15), utc(2026, 11, 23, 15))


@pytest.mark.corpus
def test_corpus_agrees_with_holidays_package(ical_corpus):
    path = ical_corpus / "aws-ssm-calendar-generator__holidays.ics"
    calendar = parse_ics(path.read_bytes(), source=str(path))
    days = {event.start.date() for event in calendar.events}
    public = set(holidays.country_holidays("JP", years=[2025, 2026]))
    assert days <= public
    # The file leaves out the holidays that fall on a Sunday.
    assert {day.weekday() for day in public - days} == {6}


@pytest.mark.corpus
def test_corpus_broken_dtstart_rejected(ical_corpus):
    path = ical_corpus / "icalendar__broken_dtstart.ics"
    with pytest.raises(InputError) as caught:
        parse_ics(path.read_bytes(), source="broken.ics")
    assert caught.value.message == (
        "broken.ics: line 6: invalid DTSTART: Expected datetime, date, or time. Got: 'INVALID-DATE'"
    )
    assert caught.value.field == "line 6"


# Malformed files: each names the line and the reason.


def test_not_a_content_line():
    assert rejected(b"@@@\r\n") == "blackouts.ics: line 1: not an iCalendar content line: '@@@'"


def test_text_without_colon():
    assert rejected(b"hello\r\n") == (
        "blackouts.ics: line 1: expected ':' after the property name in 'hello'"
    )


def test_must_start_with_vcalendar():
    assert rejected(b"BEGIN:VEVENT\r\nEND:VEVENT\r\n") == (
        "blackouts.ics: line 1: the file must start with BEGIN:VCALENDAR"
    )


def test_empty_file():
    assert rejected(b"\r\n") == "blackouts.ics: line 1: the file has no content"


def test_unclosed_event():
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
        b"DTSTART:20260101T000000Z\r\nEND:VCALENDAR\r\n"
    )
    assert rejected(data) == (
        "blackouts.ics: line 5: END:VCALENDAR does not close BEGIN:VEVENT of line 3"
    )


def test_missing_end_of_calendar():
    data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
    assert rejected(data) == (
        "blackouts.ics: line 1: BEGIN:VCALENDAR is never closed with END:VCALENDAR"
    )


def test_content_after_calendar():
    data = ics("DTSTART:20260101T000000Z", "DTEND:20260102T000000Z") + b"BEGIN:VCALENDAR\r\n"
    assert rejected(data) == (
        "blackouts.ics: line 11: content after END:VCALENDAR; keep one calendar"
    )


def test_line_without_colon():
    data = ics("DTSTART:20260101T000000Z", "DTEND 20260102T000000Z")
    assert rejected(data) == (
        "blackouts.ics: line 8: expected ':' after the property name in 'DTEND 20260102T000000Z'"
    )


def test_invalid_utf8():
    data = ics("DTSTART:20260101T000000Z", "DTEND:20260102T000000Z").replace(
        b"PRODID:-//test//EN", b"PRODID:\xff"
    )
    assert rejected(data) == "blackouts.ics: line 3: not UTF-8 text (invalid byte at offset 37)"


def test_missing_dtstart():
    assert rejected(ics("SUMMARY:x")) == "blackouts.ics: line 4: VEVENT has no DTSTART"


def test_missing_end():
    assert rejected(ics("DTSTART:20260101T000000Z")) == (
        "blackouts.ics: line 4: VEVENT has a DTSTART date-time but neither DTEND nor "
        "DURATION, so it lasts no time at all"
    )


def test_end_before_start():
    data = ics("DTSTART:20260102T000000Z", "DTEND:20260101T000000Z")
    assert rejected(data) == "blackouts.ics: line 8: the event ends before or when it starts"


def test_unknown_tzid():
    data = ics("DTSTART;TZID=Mars/Base:20260101T000000", "DTEND;TZID=Mars/Base:20260102T000000")
    assert rejected(data) == "blackouts.ics: line 7: unknown time zone TZID=Mars/Base"


def test_floating_time_needs_zone():
    data = ics("DTSTART:20260101T090000", "DTEND:20260101T170000")
    assert rejected(data) == (
        "blackouts.ics: line 7: a time without a zone needs a time zone: set X-WR-TIMEZONE "
        "in the file or pass one explicitly"
    )


def test_mixed_date_and_datetime():
    data = ics("DTSTART;VALUE=DATE:20260101", "DTEND:20260102T000000Z")
    assert rejected(data, timezone="UTC") == (
        "blackouts.ics: line 8: DTEND and DTSTART must both be dates or both be date-times"
    )


def test_hourly_recurrence_rejected():
    data = ics("DTSTART:20260101T000000Z", "DTEND:20260101T003000Z", "RRULE:FREQ=HOURLY")
    assert rejected(data) == (
        "blackouts.ics: line 9: recurrence frequency HOURLY is not supported; "
        "use one of DAILY, WEEKLY, MONTHLY, YEARLY"
    )


def test_invalid_recurrence_rejected():
    data = ics("DTSTART:20260101T000000Z", "DTEND:20260101T003000Z", "RRULE:FREQ=BOGUS")
    assert rejected(data) == "blackouts.ics: line 9: invalid RRULE: Expected frequency, got: BOGUS"


def test_invalid_duration_rejected():
    data = ics("DTSTART:20260101T000000Z", "DURATION:banana")
    assert rejected(data) == "blackouts.ics: line 8: invalid DURATION: Expected time, got: banana"


# Valid files.


def test_all_day_event_in_given_zone():
    calendar = parse_ics(ics("DTSTART;VALUE=DATE:20261231"), source="x.ics", timezone="Asia/Tokyo")
    found = calendar.occurrences(Interval(utc(2026, 12, 1), utc(2027, 1, 31)), widen=True)
    assert [interval for _, interval in found] == [
        Interval(utc(2026, 12, 30, 15), utc(2026, 12, 31, 15))
    ]


def test_all_day_event_uses_calendar_zone():
    data = ics("DTSTART;VALUE=DATE:20261231", header=("X-WR-TIMEZONE:Europe/London",))
    calendar = parse_ics(data, source="x.ics")
    found = calendar.occurrences(Interval(utc(2026, 12, 1), utc(2027, 1, 31)), widen=True)
    assert [interval for _, interval in found] == [Interval(utc(2026, 12, 31), utc(2027, 1, 1))]


def test_folded_lines_and_duration():
    data = ics("SUMMARY:Quarter-end bl", " ackout", "DTSTART:20260330T220000Z", "DURATION:PT48H")
    calendar = parse_ics(data, source="x.ics")
    assert calendar.events[0].summary == "Quarter-end blackout"
    found = calendar.occurrences(Interval(utc(2026, 3, 1), utc(2026, 4, 30)), widen=True)
    assert [interval for _, interval in found] == [
        Interval(utc(2026, 3, 30, 22), utc(2026, 4, 1, 22))
    ]


def test_weekly_recurrence_keeps_local_time_across_dst():
    data = ics(
        "DTSTART;TZID=Europe/London:20260320T180000",
        "DTEND;TZID=Europe/London:20260320T220000",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "EXDATE;TZID=Europe/London:20260327T180000",
    )
    calendar = parse_ics(data, source="x.ics")
    found = calendar.occurrences(Interval(utc(2026, 3, 1), utc(2026, 4, 30)), widen=True)
    # Friday 20 March in GMT, 27 March excluded, 3 April in BST.
    assert [interval for _, interval in found] == [
        Interval(utc(2026, 3, 20, 18), utc(2026, 3, 20, 22)),
        Interval(utc(2026, 4, 3, 17), utc(2026, 4, 3, 21)),
    ]


def test_cancelled_event_skipped():
    data = ics("DTSTART:20260101T000000Z", "DTEND:20260102T000000Z", "STATUS:CANCELLED")
    assert parse_ics(data, source="x.ics").events == ()


def test_export_round_trip():
    events = [
        ExportEvent(
            key="month-end-close|acme-bank-uk",
            summary="Release freeze: Month-end close (acme-bank-uk)",
            description="blocks releases of risk tier high, critical",
            interval=Interval(utc(2026, 3, 27), utc(2026, 4, 9, 23)),
            category="release-freeze",
        )
    ]
    data = export_ics(events, name="releasegate change calendar", stamp=utc(2026, 3, 1))
    assert b"METHOD:PUBLISH" in data
    assert b"CATEGORIES:release-freeze" in data
    calendar = parse_ics(data, source="export.ics")
    found = calendar.occurrences(Interval(utc(2026, 3, 1), utc(2026, 5, 1)), widen=True)
    assert [interval for _, interval in found] == [events[0].interval]
    assert calendar.events[0].summary == "Release freeze: Month-end close (acme-bank-uk)"


def test_export_uid_is_stable():
    event = ExportEvent(
        key="payroll|acme-bank-uk",
        summary="s",
        description="d",
        interval=Interval(utc(2026, 7, 23), utc(2026, 7, 28)),
        category="release-freeze",
    )
    first = export_ics([event], name="n", stamp=utc(2026, 1, 1))
    second = export_ics([event], name="n", stamp=utc(2026, 2, 1))
    uid = [line for line in first.splitlines() if line.startswith(b"UID:")]
    assert uid == [line for line in second.splitlines() if line.startswith(b"UID:")]
    assert date(2026, 7, 23).strftime("%Y%m%d").encode() in first
