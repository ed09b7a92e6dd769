"""Loading calendars.yaml: the example, absent files and errors that name file, field and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasegate.calendar import load_calendars
from releasegate.calendar.document import CloseRule, IcalRule
from releasegate.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

HEADER = """apiVersion: releasegate/v1
kind: Calendars
legal_entities:
  acme-bank-uk:
    timezone: Europe/London
    holidays: {country: GB, subdivision: ENG}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendars.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> InputError:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_calendars(path, required=True)
    return caught.value


def test_example_calendar_loads():
    calendars = load_calendars(EXAMPLES / "calendars.yaml", required=True)
    assert calendars is not None
    assert sorted(calendars.entities) == ["acme-bank-eu", "acme-payments-de"]
    assert [f.name for f in calendars.freezes] == [
        "month-end-close",
        "quarter-end-close",
        "year-end-close",
        "payroll",
        "ledger-migration",
    ]
    assert [w.name for w in calendars.windows] == ["business-hours"]
    assert sorted(calendars.reason_codes) == ["INCIDENT", "REGULATORY", "SECURITY"]
    month_end = calendars.freezes[0].rule
    assert isinstance(month_end, CloseRule)
    assert (month_end.from_business_day, month_end.to_business_day) == (-3, 5)


def test_absent_default_file_means_no_calendars(tmp_path):
    assert load_calendars(tmp_path / "calendars.yaml", required=False) is None


def test_absent_named_file_rejected(tmp_path):
    with pytest.raises(InputError) as caught:
        load_calendars(tmp_path / "calendars.yaml", required=True)
    assert caught.value.message == f"{tmp_path / 'calendars.yaml'}: calendar file not found"
    assert "RELEASEGATE_CALENDAR" in caught.value.hint


def test_unknown_time_zone(tmp_path):
    error = load_error(tmp_path, HEADER.replace("Europe/London", "Europe/Lundon"))
    assert error.message.endswith(
        "calendars.yaml: legal_entities.acme-bank-uk.timezone: unknown time zone "
        "'Europe/Lundon'; use an IANA name such as Europe/London"
    )
    assert error.hint == "correct 'legal_entities.acme-bank-uk.timezone' and load again"


def test_unknown_holiday_country(tmp_path):
    error = load_error(tmp_path, HEADER.replace("country: GB", "country: XX"))
    assert error.field == "legal_entities.acme-bank-uk.holidays"
    assert error.message.endswith("the holidays package rejects it: Country XX not available")


def test_unknown_subdivision(tmp_path):
    error = load_error(tmp_path, HEADER.replace("subdivision: ENG", "subdivision: ZZZ"))
    assert error.message.endswith(
        "the holidays package rejects it: Entity `GB` does not have subdivision ZZZ"
    )


def test_unknown_market(tmp_path):
    error = load_error(tmp_path, HEADER.replace("subdivision: ENG", "markets: [XXX]"))
    assert "unknown financial market 'XXX'; the holidays package knows" in error.message


def test_unquoted_clock_time(tmp_path):
    error = load_error(
        tmp_path,
        HEADER + "windows:\n  - name: w\n"
        "    rule: {kind: weekly, days: [mon], start: '09:00', end: 16:00}\n",
    )
    assert error.field == "windows[0].rule.end"
    assert error.message.endswith(
        "YAML read the time as the number 960 (base 60); write it in quotes, for example '16:00'"
    )


def test_business_day_zero(tmp_path):
    error = load_error(
        tmp_path,
        HEADER + "freezes:\n  - name: f\n    rule: {kind: close, period: month, "
        "from_business_day: 0, to_business_day: 5}\n",
    )
    assert error.field == "freezes[0].rule"
    assert error.message.endswith(
        "business day 0 does not exist: use -1 for the last business day of the period "
        "and 1 for the first business day of the next one"
    )


def test_business_days_out_of_order(tmp_path):
    error = load_error(
        tmp_path,
        HEADER + "freezes:\n  - name: f\n    rule: {kind: close, period: month, "
        "from_business_day: 5, to_business_day: -3}\n",
    )
    assert error.message.endswith("from_business_day 5 comes after to_business_day -3")


def test_unknown_rule_kind(tmp_path):
    error = load_error(tmp_path, HEADER + "freezes:\n  - name: f\n    rule: {kind: lunar}\n")
    assert error.field == "freezes[0].rule"
    assert "'close', 'monthly_date', 'dates', 'once', 'weekly', 'ical'" in error.message


def test_unknown_tier(tmp_path):
    error = load_error(
        tmp_path,
        HEADER + "freezes:\n  - name: f\n    rule: {kind: dates, dates: [2026-01-01]}\n"
        "    tiers: [severe]\n",
    )
    assert error.field == "freezes[0].tiers[0]"
    assert "Input should be 'low', 'medium', 'high' or 'critical'; found 'severe'" in error.message


def test_misspelled_field(tmp_path):
    error = load_error(
        tmp_path,
        HEADER + "freezes:\n  - name: f\n    rule: {kind: dates, dates: [2026-01-01]}\n"
        "    tier: [low]\n",
    )
    assert error.field == "freezes[0].tier"
    assert error.message.endswith("Extra inputs are not permitted; found ['low']")


def test_duplicate_names(tmp_path):
    error = load_error(
        tmp_path,
        HEADER + "freezes:\n  - name: f\n    rule: {kind: dates, dates: [2026-01-01]}\n"
        "windows:\n  - name: f\n    rule: {kind: dates, dates: [2026-01-01]}\n",
    )
    assert error.field == "windows[0].name"
    assert error.message.endswith("name 'f' is already used by freezes[0]")


def test_scope_names_unknown_entity(tmp_path):
    error = load_error(
        tmp_path,
        HEADER + "freezes:\n  - name: f\n    rule: {kind: dates, dates: [2026-01-01]}\n"
        "    scope: {legal_entities: [acme-bank-xx]}\n",
    )
    assert error.field == "freezes[0].scope.legal_entities[0]"
    assert error.message.endswith(
        "legal entity 'acme-bank-xx' is not defined under 'legal_entities'"
    )


def test_wrong_kind_header(tmp_path):
    error = load_error(tmp_path, HEADER.replace("kind: Calendars", "kind: Catalog"))
    assert error.field == "apiVersion"
    assert error.hint == "start the file with 'apiVersion: releasegate/v1' and 'kind: Calendars'"


def test_invalid_yaml(tmp_path):
    error = load_error(tmp_path, HEADER + "freezes: [\n")
    assert error.field == "line 8, column 1"


def test_missing_ical_file(tmp_path):
    error = load_error(
        tmp_path, HEADER + "freezes:\n  - name: f\n    rule: {kind: ical, file: blackouts.ics}\n"
    )
    assert error.message == f"{tmp_path / 'blackouts.ics'}: iCalendar file not found"
    assert error.hint.endswith(
        f"the file is named by freezes[0].rule.file in {tmp_path / 'calendars.yaml'}"
    )


def test_malformed_ical_file_rejected(tmp_path):
    (tmp_path / "blackouts.ics").write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nDTSTART:tomorrow\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    error = load_error(
        tmp_path, HEADER + "freezes:\n  - name: f\n    rule: {kind: ical, file: blackouts.ics}\n"
    )
    assert error.message == (
        f"{tmp_path / 'blackouts.ics'}: line 4: invalid DTSTART: Wrong date format tomorrow"
    )


@pytest.mark.corpus
def test_aws_blackouts_rejected_as_window(tmp_path, ical_corpus):
    path = ical_corpus / "aws-ssm-calendar-generator__holidays.ics"
    error = load_error(
        tmp_path, HEADER + f"windows:\n  - name: w\n    rule: {{kind: ical, file: '{path}'}}\n"
    )
    assert error.field == "windows[0].rule.file"
    assert error.hint == "use the file under 'freezes' instead of 'windows'"


@pytest.mark.corpus
def test_aws_blackouts_load_as_freeze(tmp_path, ical_corpus):
    path = ical_corpus / "aws-ssm-calendar-generator__holidays.ics"
    calendars = load_calendars(
        write(
            tmp_path, HEADER + f"freezes:\n  - name: jp\n    rule: {{kind: ical, file: '{path}'}}\n"
        ),
        required=True,
    )
    assert calendars is not None
    rule = calendars.freezes[0].rule
    assert isinstance(rule, IcalRule)
    assert len(calendars.ical_files[f"{path}|"].events) == 33


def test_setting_defaults_to_home(tmp_path):
    from releasegate.settings import load_settings

    settings = load_settings(home=tmp_path, environ={})
    assert settings.calendar is None
    assert settings.resolved_calendar == tmp_path / "calendars.yaml"
    assert settings.rollout_duration_minutes == 60


def test_setting_from_environment(tmp_path):
    from releasegate.settings import load_settings

    environ = {"RELEASEGATE_CALENDAR": "ops/cal.yaml", "RELEASEGATE_ROLLOUT_DURATION_MINUTES": "90"}
    settings = load_settings(home=tmp_path, environ=environ)
    assert settings.resolved_calendar == tmp_path / "ops" / "cal.yaml"
    assert settings.rollout_duration_minutes == 90
