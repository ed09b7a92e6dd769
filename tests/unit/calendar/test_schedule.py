"""The calendar as it applies to one service: scopes, entities, tiers, rollouts and next starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from releasegate.calendar import ServiceCalendar, gather_facts, load_calendars
from releasegate.calendar.intervals import Interval
from releasegate.catalog import load_catalog
from releasegate.model.decision import RiskTier
from releasegate.model.service import Service

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
HOUR = timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def acme():
    calendars = load_calendars(EXAMPLES / "calendars.yaml", required=True)
    catalog = load_catalog(EXAMPLES / "catalog.yaml")
    return calendars, catalog


def payments(acme) -> ServiceCalendar:
    calendars, catalog = acme
    return ServiceCalendar(calendars, catalog.service("payments-api"), "production")


def service(name: str = "ledger-api", **changes) -> Service:
    fields = {
        "name": name,
        "title": "General ledger API",
        "criticality": 1,
        "data_classification": "confidential",
        "regions": ["eu-west-1"],
        "legal_entities": ["acme-bank-eu"],
        "finance_processes": ["close"],
        "owners": {"engineering": "ledger-engineering", "business_control": "ledger-owners"},
    }
    fields.update(changes)
    return Service.model_validate(fields)


def test_freezes_of_each_entity(acme):
    found = payments(acme).freeze_occurrences(Interval(utc(2026, 6, 29, 8), utc(2026, 6, 29, 9)))
    assert [(o.item.name, o.entity) for o in found] == [
        ("quarter-end-close", "acme-payments-de"),
        ("quarter-end-close", "acme-bank-eu"),
        ("month-end-close", "acme-payments-de"),
        ("month-end-close", "acme-bank-eu"),
    ]


def test_window_shared_by_both_entities(acme):
    # 09:00-16:00 in Dublin (UTC+0) and in Frankfurt (UTC+1) in winter,
    # with no window after 12:00 on Fridays.
    allowed = payments(acme).allowed_intervals(
        RiskTier.CRITICAL, Interval(utc(2026, 12, 14), utc(2026, 12, 19))
    )
    assert allowed == [
        Interval(utc(2026, 12, 14, 9), utc(2026, 12, 14, 15)),
        Interval(utc(2026, 12, 15, 9), utc(2026, 12, 15, 15)),
        Interval(utc(2026, 12, 16, 9), utc(2026, 12, 16, 15)),
        Interval(utc(2026, 12, 17, 9), utc(2026, 12, 17, 15)),
        Interval(utc(2026, 12, 18, 9), utc(2026, 12, 18, 11)),
    ]


def test_window_skips_holiday_of_either_entity(acme):
    # Whit Monday 25 May 2026 is a public holiday in Hesse but not in Ireland.
    allowed = payments(acme).allowed_intervals(
        RiskTier.CRITICAL, Interval(utc(2026, 5, 25), utc(2026, 5, 26))
    )
    assert allowed == []


def test_window_scope_by_criticality(acme):
    calendars, catalog = acme
    portal = ServiceCalendar(calendars, catalog.service("reporting-portal"), "production")
    assert not portal.constrained(RiskTier.LOW)
    assert portal.status(RiskTier.LOW, utc(2026, 12, 19, 23), utc(2026, 12, 20)).covered


def test_environment_scope(acme):
    calendars, catalog = acme
    staging = ServiceCalendar(calendars, catalog.service("payments-api"), "staging")
    assert staging.freeze_occurrences(Interval(utc(2026, 6, 29), utc(2026, 6, 30))) == []
    assert not staging.constrained(RiskTier.CRITICAL)


def test_scope_by_finance_process(acme):
    calendars, _ = acme
    ledger = ServiceCalendar(calendars, service(), "production")
    names = {
        o.item.name for o in ledger.freeze_occurrences(Interval(utc(2026, 7, 23), utc(2026, 7, 24)))
    }
    assert "payroll" not in names


def test_tier_status_high_blocked_low_free(acme):
    schedule = payments(acme)
    high = schedule.status(RiskTier.HIGH, utc(2026, 6, 29, 8), utc(2026, 6, 29, 9))
    low = schedule.status(RiskTier.LOW, utc(2026, 6, 29, 8), utc(2026, 6, 29, 9))
    assert [o.item.name for o in high.blocking] == [
        "quarter-end-close",
        "quarter-end-close",
        "month-end-close",
        "month-end-close",
    ]
    assert not high.may_go
    assert low.blocking == ()
    assert low.may_go


def test_rollout_crossing_into_freeze(acme):
    # The month-end freeze of acme-bank-eu begins at midnight Irish time on
    # 26 November 2026 (00:00 UTC); a rollout from 23:00 to 01:00 overlaps it.
    calendars, _ = acme
    ledger = ServiceCalendar(calendars, service(criticality=2), "production")
    status = ledger.status(RiskTier.HIGH, utc(2026, 11, 25, 23), utc(2026, 11, 26, 1))
    assert [(o.item.name, o.interval.start) for o in status.blocking] == [
        ("month-end-close", utc(2026, 11, 26))
    ]
    assert ledger.status(RiskTier.HIGH, utc(2026, 11, 25, 23), utc(2026, 11, 26)).may_go


def test_rollout_leaving_window(acme):
    status = payments(acme).status(
        RiskTier.CRITICAL, utc(2026, 12, 15, 14, 30), utc(2026, 12, 15, 15, 30)
    )
    assert not status.covered
    assert status.uncovered_at == utc(2026, 12, 15, 15)


def test_next_allowed_after_close(acme):
    schedule = payments(acme)
    assert schedule.next_allowed(RiskTier.CRITICAL, utc(2026, 6, 29, 8), HOUR) == utc(2026, 7, 8, 8)
    assert schedule.next_allowed(RiskTier.LOW, utc(2026, 6, 29, 8), HOUR) == utc(2026, 6, 29, 8)


def test_next_allowed_needs_room_for_rollout(acme):
    # At 14:30 UTC on Tuesday 17 November a one-hour rollout no longer fits
    # before 15:00, so the next start is 09:00 the next day.
    schedule = payments(acme)
    after = utc(2026, 11, 17, 14, 30)
    assert schedule.next_allowed(RiskTier.CRITICAL, after, HOUR) == utc(2026, 11, 18, 9)
    assert schedule.next_allowed(RiskTier.CRITICAL, after, timedelta(minutes=30)) == after


def test_next_allowed_after_year_end_close(acme):
    # The year-end close of acme-bank-eu runs from 15 December 2026 to Friday
    # 15 January 2027. The start is the tenth-last business day, because the
    # company's closing day on 24 December and the observed St Stephen's Day on
    # 28 December do not count. The next window opens at 09:00 on Monday 18 January.
    schedule = payments(acme)
    assert schedule.next_allowed(RiskTier.CRITICAL, utc(2026, 12, 15, 14, 30), HOUR) == utc(
        2027, 1, 18, 9
    )


def test_next_allowed_none_within_horizon(acme):
    schedule = payments(acme)
    found = schedule.next_allowed(
        RiskTier.CRITICAL, utc(2026, 6, 29, 8), HOUR, horizon=timedelta(days=3)
    )
    assert found is None


def test_next_allowed_rejects_negative_duration(acme):
    with pytest.raises(ValueError, match="must not be negative"):
        payments(acme).next_allowed(RiskTier.LOW, utc(2026, 1, 1), -HOUR)


def test_unknown_entity_is_a_problem(acme):
    calendars, _ = acme
    schedule = ServiceCalendar(calendars, service(legal_entities=["acme-bank-uk"]), "production")
    assert schedule.problems == [
        "legal entity acme-bank-uk of service ledger-api is not defined in "
        f"{EXAMPLES / 'calendars.yaml'}"
    ]


def test_service_without_entity_is_a_problem(acme):
    calendars, _ = acme
    schedule = ServiceCalendar(calendars, service(legal_entities=[]), "production")
    assert schedule.problems[0] == (
        "month-end-close follows a legal entity's time zone and business days, but service "
        "ledger-api has no legal entity and the calendar names no default_legal_entity"
    )


def test_default_entity_for_service_without_entity(tmp_path):
    source = (EXAMPLES / "calendars.yaml").read_text(encoding="utf-8")
    path = tmp_path / "calendars.yaml"
    path.write_text(source + "\ndefault_legal_entity: acme-bank-eu\n", encoding="utf-8")
    calendars = load_calendars(path, required=True)
    schedule = ServiceCalendar(calendars, service(legal_entities=[]), "production")
    assert schedule.problems == []
    found = schedule.freeze_occurrences(Interval(utc(2026, 6, 29), utc(2026, 6, 30)))
    assert {o.entity for o in found} == {"acme-bank-eu"}


def test_service_not_in_catalog_is_a_problem(acme):
    calendars, _ = acme
    schedule = ServiceCalendar(calendars, None, "production")
    assert schedule.problems == [
        "the release's service is not in the catalog, so the calendar cannot tell which "
        "freezes and windows apply"
    ]


def test_no_calendar_means_no_freeze_and_no_window():
    schedule = ServiceCalendar(None, service(), "production")
    assert schedule.problems == []
    assert schedule.status(RiskTier.CRITICAL, utc(2026, 6, 29), utc(2026, 6, 29, 1)).may_go


def test_freeze_exception_cuts_out_days(tmp_path):
    path = tmp_path / "calendars.yaml"
    path.write_text(
        """apiVersion: releasegate/v1
kind: Calendars
legal_entities:
  acme-bank-eu: {timezone: Europe/Dublin, holidays: {country: IE}}
freezes:
  - name: december
    rule: {kind: once, start: 2026-12-01T00:00:00, end: 2027-01-01T00:00:00}
    exceptions:
      - {kind: dates, dates: [2026-12-10]}
""",
        encoding="utf-8",
    )
    schedule = ServiceCalendar(load_calendars(path, required=True), service(), "production")
    found = schedule.freeze_occurrences(Interval(utc(2026, 11, 1), utc(2027, 2, 1)))
    assert [o.interval for o in found] == [
        Interval(utc(2026, 12, 1), utc(2026, 12, 10)),
        Interval(utc(2026, 12, 11), utc(2027, 1, 1)),
    ]


def test_whole_calendar_lists_every_entity(acme):
    calendars, _ = acme
    schedule = ServiceCalendar.whole(calendars)
    found = schedule.freeze_occurrences(Interval(utc(2027, 3, 14), utc(2027, 3, 15)))
    assert [(o.item.name, o.entity) for o in found] == [("ledger-migration", "acme-bank-eu")]


def test_facts_document_for_rollout_into_freeze(acme):
    calendars, _ = acme
    facts = gather_facts(
        calendars,
        service(criticality=2),
        "production",
        start=utc(2026, 11, 25, 23),
        duration=2 * HOUR,
    )
    document = facts.calendar_document()
    assert facts.deployment_document() == {
        "planned_start": "2026-11-25T23:00:00Z",
        "planned_end": "2026-11-26T01:00:00Z",
        "duration_minutes": 120,
    }
    assert document["freezes"] == [
        {
            "name": "month-end-close",
            "title": "Month-end close",
            "entity": "acme-bank-eu",
            "timezone": "Europe/Dublin",
            "scope": {},
            "scope_text": "production",
            "tiers": ["high", "critical"],
            "start": "2026-11-26T00:00:00Z",
            "end": "2026-12-08T00:00:00Z",
            "start_local": "2026-11-26 00:00 GMT",
            "end_local": "2026-12-08 00:00 GMT",
            "active_at_start": False,
            "emergency_override": True,
        }
    ]
    assert document["next_allowed"] == {
        "low": "2026-11-25T23:00:00Z",
        "medium": "2026-11-25T23:00:00Z",
        "high": "2026-12-08T00:00:00Z",
        "critical": "2026-12-08T00:00:00Z",
    }
    assert document["windows"]["high"] == {
        "constrained": False,
        "covered": True,
        "windows": [],
        "uncovered_at": None,
    }
    assert document["problems"] == []
    assert document["emergency_reason_codes"] == ["INCIDENT", "REGULATORY", "SECURITY"]


def test_ledger_record_marks_emergency_override(acme):
    calendars, _ = acme
    facts = gather_facts(
        calendars, service(criticality=2), "production", start=utc(2026, 11, 30, 10), duration=HOUR
    )
    record = facts.ledger_record(
        tier="high",
        change_type="emergency",
        emergency_reason="INCIDENT",
        outcomes={"CAL-1": "pass", "CAL-2": "not_applicable"},
    )
    assert record["emergency_override"] is True
    assert record["freezes"] == [
        {
            "name": "month-end-close",
            "entity": "acme-bank-eu",
            "start": "2026-11-26T00:00:00Z",
            "end": "2026-12-08T00:00:00Z",
            "blocks_tier": True,
        },
    ]
    normal = facts.ledger_record(
        tier="low",
        change_type="normal",
        emergency_reason=None,
        outcomes={"CAL-1": "pass", "CAL-2": "not_applicable"},
    )
    assert normal["emergency_override"] is False
    assert normal["freezes"][0]["blocks_tier"] is False
