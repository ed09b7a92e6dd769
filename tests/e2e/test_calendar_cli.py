"""Change calendars end to end: the gate and `releasegate calendar` on a real SQLite working folder.

The working folder holds the example organisation with its calendar
(examples/calendars.yaml) and one more service, ledger-api, whose releases
are high risk during a close. The month-end close of November 2026 runs, for
legal entity acme-bank-eu (Europe/Dublin, Irish and TARGET2 holidays), from
Thursday 26 November to the end of Monday 7 December.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import support

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
CORPUS = REPO.parent / "shared" / "corpus"
COMMIT = "c" * 40

LEDGER_SERVICE = """
  - name: ledger-api
    title: General ledger posting API
    criticality: 2
    finance_processes: [close]
    data_classification: regulated
    regions: [eu-west-1]
    legal_entities: [acme-bank-eu]
    owners:
      engineering: payments-engineering
      business_control: payments-control-owners
"""

JUNIT = """<?xml version="1.0"?>
<testsuite name="ledger" tests="1"><testcase classname="t" name="a"/></testsuite>"""

SARIF = json.dumps(
    {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Bandit", "rules": []}},
                "results": [],
                "invocations": [{"executionSuccessful": True}],
            }
        ],
    }
)

IN_CLOSE = "2026-11-30T10:00:00Z"
AFTER_CLOSE = "2026-12-09T10:00:00Z"


def manifest(service: str, change_type: str = "normal", reason: str | None = None) -> str:
    text = f"""
service: {service}
version: "1.0.0"
description: Post accruals in one batch
change_type: {change_type}
ticket: CHG-101
source_commit: "{COMMIT}"
source_repository: https://git.example.com/finance/{service}
artifacts:
  - name: {service}
    digest: "sha256:{"d" * 64}"
    uri: {support.REGISTRY}/finance/{service}:1.0.0
authors: [alice]
requester: alice
"""
    return text + (f"emergency_reason: {reason}\n" if reason else "")


class Folder(support.Workspace):
    """A working folder driven through the CLI in process."""

    def release(self, text: str, approvers: tuple[str, ...]) -> str:
        result, body = self.json("release", "create", str(self.write("release.yaml", text)))
        assert result.exit_code == 0, result.output
        service = next(line.split(":", 1)[1].strip() for line in text.splitlines()
                       if line.startswith("service:"))
        support.attach_integrity(
            self, body["id"], commit=COMMIT, digests=("sha256:" + "d" * 64,),
            repository=f"https://git.example.com/finance/{service}", processes=(),
        )
        for name, content in (("junit.xml", JUNIT), ("scan.sarif", SARIF)):
            added = self.run(
                "evidence", "add", body["id"], str(self.write(name, content)), "--commit", COMMIT
            )
            assert added.exit_code == 0, added.output
        for approver in approvers:
            approved = self.run("approve", body["id"], "--as", approver)
            assert approved.exit_code == 0, approved.output
        return body["id"]

    def last_decision_entry(self, release: str) -> dict:
        result, chain = self.json("ledger", "show", release)
        assert result.exit_code == 0, result.output
        return next(e for e in reversed(chain) if e["type"] == "decision.recorded")["data"]


@pytest.fixture
def folder(tmp_path) -> Folder:
    catalog = (EXAMPLES / "catalog.yaml").read_text(encoding="utf-8") + LEDGER_SERVICE
    (tmp_path / "catalog.yaml").write_text(catalog, encoding="utf-8")
    shutil.copy2(EXAMPLES / "calendars.yaml", tmp_path / "calendars.yaml")
    shutil.copytree(EXAMPLES / "policies", tmp_path / "policies")
    support.add_trust(tmp_path)
    work = Folder(tmp_path)
    assert work.run("init").exit_code == 0
    return work


def result_of(decision: dict, control_id: str) -> dict:
    return next(r for r in decision["results"] if r["control_id"] == control_id)


def messages(decision: dict, control_id: str) -> list[str]:
    return [v["msg"] for v in result_of(decision, control_id)["violations"]]


# The gate --------------------------------------------------------------------


def test_gate_denies_high_release_in_close(folder):
    release = folder.release(manifest("ledger-api"), approvers=("bob", "dana"))
    result, decision = folder.json("gate", release, "--at", IN_CLOSE, "--duration", "1h")
    assert result.exit_code == 1, result.output
    assert decision["outcome"] == "deny"
    assert decision["risk"]["tier"] == "high"
    assert result_of(decision, "CAL-1")["outcome"] == "fail"
    assert messages(decision, "CAL-1") == [
        "freeze month-end-close (Month-end close; legal entity acme-bank-eu; scope: production) "
        "blocks high releases until 2026-12-08T00:00:00Z (2026-12-08 00:00 GMT): it is in force "
        "at the planned start 2026-11-30T10:00:00Z; the next allowed start for a high release "
        "is 2026-12-08T00:00:00Z"
    ]
    assert result_of(decision, "CAL-2")["outcome"] == "not_applicable"


def test_gate_allows_same_release_after_close(folder):
    release = folder.release(manifest("ledger-api"), approvers=("bob", "dana"))
    result, decision = folder.json("gate", release, "--at", AFTER_CLOSE, "--duration", "1h")
    assert result.exit_code == 0, result.output
    assert decision["outcome"] == "allow"
    assert result_of(decision, "CAL-1")["outcome"] == "pass"
    entry = folder.last_decision_entry(release)
    assert entry["calendar"]["planned_start"] == "2026-12-09T10:00:00Z"
    assert entry["calendar"]["freezes"] == []
    assert entry["emergency_override"] is False


def test_gate_allows_lower_tier_release_in_close(folder):
    # reporting-portal is a low-risk criticality 3 service. A deployment
    # during a freeze adds a timing risk point (params risk.freeze_period_points),
    # which keeps it low, below the high tier the month-end close blocks.
    release = folder.release(manifest("reporting-portal"), approvers=("hugo",))
    result, decision = folder.json("gate", release, "--at", IN_CLOSE)
    assert result.exit_code == 0, result.output
    assert decision["outcome"] == "allow"
    assert decision["risk"]["tier"] == "low"
    assert result_of(decision, "CAL-1")["outcome"] == "pass"
    entry = folder.last_decision_entry(release)
    assert entry["calendar"]["freezes"] == [
        {
            "name": "month-end-close",
            "entity": "acme-bank-eu",
            "start": "2026-11-26T00:00:00Z",
            "end": "2026-12-08T00:00:00Z",
            "blocks_tier": False,
        }
    ]


def test_gate_rollout_running_into_freeze(folder):
    # Starts 30 minutes before the freeze begins at midnight in Dublin.
    release = folder.release(manifest("ledger-api"), approvers=("bob", "dana"))
    result, decision = folder.json(
        "gate", release, "--at", "2026-11-25T23:30:00Z", "--duration", "1h"
    )
    assert result.exit_code == 1, result.output
    assert messages(decision, "CAL-1") == [
        "freeze month-end-close (Month-end close; legal entity acme-bank-eu; scope: production) "
        "blocks high releases until 2026-12-08T00:00:00Z (2026-12-08 00:00 GMT): it begins at "
        "2026-11-26T00:00:00Z (2026-11-26 00:00 GMT), before the rollout planned from "
        "2026-11-25T23:30:00Z ends at 2026-11-26T00:30:00Z; the next allowed start for a high "
        "release is 2026-12-08T00:00:00Z"
    ]


def test_gate_rollout_ending_as_freeze_begins(folder):
    release = folder.release(manifest("ledger-api"), approvers=("bob", "dana"))
    result, decision = folder.json(
        "gate", release, "--at", "2026-11-25T23:30:00Z", "--duration", "30m"
    )
    assert result_of(decision, "CAL-1")["outcome"] == "pass", result.output


def test_gate_emergency_path_through_freeze(folder):
    text = manifest("ledger-api", change_type="emergency", reason="INCIDENT")
    release = folder.release(text, approvers=("bob", "dana", "erin"))
    result, decision = folder.json("gate", release, "--at", IN_CLOSE)
    assert result_of(decision, "CAL-1")["outcome"] == "pass", result.output
    entry = folder.last_decision_entry(release)
    assert entry["emergency_override"] is True
    assert entry["calendar"]["emergency_reason"] == "INCIDENT"
    assert entry["calendar"]["freezes"][0]["blocks_tier"] is True


def test_gate_emergency_without_reason_blocked(folder):
    release = folder.release(manifest("ledger-api", change_type="emergency"), approvers=("bob",))
    result, decision = folder.json("gate", release, "--at", IN_CLOSE)
    assert result.exit_code == 1
    [message] = messages(decision, "CAL-1")
    assert (
        "; an emergency change passes it only with a reason code in emergency_reason, one of "
        "INCIDENT, REGULATORY, SECURITY;" in message
    )
    assert folder.last_decision_entry(release)["emergency_override"] is False


def test_gate_critical_outside_window(folder):
    release = folder.release(manifest("payments-api"), approvers=("bob", "dana", "erin"))
    # Friday 11 December 2026 at 13:00 UTC: Friday afternoon is cut out of the
    # window, which opens again at 09:00 UTC on Monday 14 December.
    result, decision = folder.json("gate", release, "--at", "2026-12-11T13:00:00Z")
    assert result.exit_code == 1
    assert messages(decision, "CAL-2") == [
        "the planned start 2026-12-11T13:00:00Z is outside the allowed windows for critical "
        "releases (business-hours); the next allowed start for a critical release is "
        "2026-12-14T09:00:00Z"
    ]


def test_gate_time_without_offset_rejected(folder):
    release = folder.release(manifest("ledger-api"), approvers=())
    result = folder.run("gate", release, "--at", "2026-11-30T10:00")
    assert result.exit_code == 2
    assert "--at: time '2026-11-30T10:00' has no UTC offset" in result.output
    assert "Traceback" not in result.output


def test_gate_malformed_calendar_stops(folder):
    release = folder.release(manifest("ledger-api"), approvers=())
    text = (folder.root / "calendars.yaml").read_text(encoding="utf-8")
    folder.write(
        "calendars.yaml", text.replace("timezone: Europe/Dublin", "timezone: Europe/Dublni")
    )
    _, before = folder.json("ledger", "show", release)
    result = folder.run("gate", release)
    assert result.exit_code == 2
    assert (
        "calendars.yaml: legal_entities.acme-bank-eu.timezone: unknown time zone "
        "'Europe/Dublni'; use an IANA name such as Europe/London"
    ) in " ".join(result.output.split())
    assert "Traceback" not in result.output
    _, after = folder.json("ledger", "show", release)
    assert len(after) == len(before)


def test_gate_without_calendar_file(folder):
    (folder.root / "calendars.yaml").unlink()
    release = folder.release(manifest("ledger-api"), approvers=("bob", "dana"))
    result, decision = folder.json("gate", release, "--at", IN_CLOSE)
    assert result_of(decision, "CAL-1")["outcome"] == "pass", result.output
    assert result_of(decision, "CAL-2")["outcome"] == "not_applicable"
    assert folder.last_decision_entry(release)["calendar"]["calendar_sha256"] is None


# releasegate calendar ----------------------------------------------------------


def test_calendar_check_per_tier(folder):
    result, report = folder.json("calendar", "check", "--service", "ledger-api", "--at", IN_CLOSE)
    assert result.exit_code == 0, result.output
    assert {t["tier"]: t["may_go"] for t in report["tiers"]} == {
        "low": True,
        "medium": True,
        "high": False,
        "critical": False,
    }
    high = next(t for t in report["tiers"] if t["tier"] == "high")
    assert high["blocked_by"] == [
        {
            "name": "month-end-close",
            "entity": "acme-bank-eu",
            "end": "2026-12-08T00:00:00Z",
            "end_local": "2026-12-08 00:00 GMT",
        }
    ]
    assert high["next_allowed"] == "2026-12-08T00:00:00Z"


def test_calendar_check_tier_exit_code(folder):
    blocked = folder.run(
        "calendar", "check", "--service", "ledger-api", "--at", IN_CLOSE, "--tier", "high"
    )
    free = folder.run(
        "calendar", "check", "--service", "ledger-api", "--at", IN_CLOSE, "--tier", "low"
    )
    assert blocked.exit_code == 1
    assert free.exit_code == 0


def test_calendar_next(folder):
    result, answer = folder.json(
        "calendar",
        "next",
        "--service",
        "payments-api",
        "--tier",
        "critical",
        "--after",
        "2026-06-29T08:00:00Z",
        "--duration",
        "1h",
    )
    assert result.exit_code == 0, result.output
    assert answer["next_allowed"] == "2026-07-08T08:00:00Z"
    assert answer["local"] == {
        "Europe/Berlin": "2026-07-08 10:00 CEST",
        "Europe/Dublin": "2026-07-08 09:00 IST",
    }


def test_calendar_show_for_service(folder):
    result, listing = folder.json(
        "calendar", "show", "--service", "ledger-api", "--from", "2026-11-20", "--to", "2026-12-01"
    )
    assert result.exit_code == 0, result.output
    assert [(f["name"], f["entity"], f["start"], f["end"]) for f in listing["freezes"]] == [
        ("month-end-close", "acme-bank-eu", "2026-11-26T00:00:00Z", "2026-12-08T00:00:00Z"),
    ]
    assert listing["windows"] == []


def test_calendar_show_whole_calendar(folder):
    result, listing = folder.json("calendar", "show", "--from", "2027-03-14", "--to", "2027-03-15")
    assert result.exit_code == 0, result.output
    assert [
        (f["name"], f["entity"], f["start_local"], f["end_local"]) for f in listing["freezes"]
    ] == [
        ("ledger-migration", "acme-bank-eu", "2027-03-13 18:00 GMT", "2027-03-15 06:00 GMT"),
    ]
    assert listing["windows"] == []


def test_calendar_show_table(folder):
    result = folder.run("calendar", "show", "--from", "2027-03-14", "--to", "2027-03-15")
    assert result.exit_code == 0, result.output
    assert "freezes, 2027-03-14 00:00Z to 2027-03-15 00:00Z" in result.output


def test_calendar_unknown_service(folder):
    result = folder.run("calendar", "next", "--service", "ghost", "--tier", "low")
    assert result.exit_code == 2
    assert "--service: service 'ghost' is not in the catalog" in result.output


def test_calendar_unknown_tier(folder):
    result = folder.run("calendar", "next", "--service", "ledger-api", "--tier", "severe")
    assert result.exit_code == 2
    assert "--tier: unknown risk tier 'severe'" in result.output


def test_calendar_export_then_import(folder):
    out = folder.root / "freezes.ics"
    exported = folder.run(
        "calendar",
        "export",
        "--service",
        "ledger-api",
        "--from",
        "2026-11-10",
        "--to",
        "2026-12-20",
        "--out",
        str(out),
    )
    assert exported.exit_code == 0, exported.output
    assert "wrote 2 events" in exported.output
    result, report = folder.json("calendar", "import", str(out))
    assert result.exit_code == 0, result.output
    assert [e["summary"] for e in report["events"]] == [
        "Release freeze: Month-end close (acme-bank-eu)",
        "Release freeze: Fiscal year-end close and audit (acme-bank-eu)",
    ]


@pytest.mark.corpus
def test_calendar_import_corpus_files(folder):
    folder_path = CORPUS / "ical"
    if not folder_path.is_dir():
        pytest.skip(f"the shared corpus of iCalendar files is not at {folder_path}")
    good = folder.json(
        "calendar", "import", str(folder_path / "aws-ssm-calendar-generator__holidays.ics")
    )
    assert good[0].exit_code == 0
    assert len(good[1]["events"]) == 33
    assert good[1]["calendar_type"] == "DEFAULT_OPEN"
    broken = folder.run("calendar", "import", str(folder_path / "icalendar__broken_dtstart.ics"))
    assert broken.exit_code == 2
    assert (
        "icalendar__broken_dtstart.ics: line 6: invalid DTSTART: Expected datetime, date, or "
        "time. Got: 'INVALID-DATE'" in " ".join(broken.output.split())
    )
    assert "Traceback" not in broken.output


def test_calendar_invalid_duration(folder):
    result = folder.run("calendar", "check", "--service", "ledger-api", "--duration", "90x")
    assert result.exit_code == 2
    assert "--duration: invalid duration '90x'" in result.output


def test_calendar_duration_over_maximum(folder):
    result = folder.run("calendar", "check", "--service", "ledger-api", "--duration", "32d")
    assert result.exit_code == 2
    assert "--duration: duration '32d' is longer than the 31 days accepted" in result.output


def test_calendar_named_file_missing(folder):
    missing = folder.root / "elsewhere.yaml"
    result = folder.run("--calendar", str(missing), "calendar", "show")
    assert result.exit_code == 2
    assert f"{missing}: calendar file not found" in " ".join(result.output.split())


def test_calendar_show_without_file(folder):
    (folder.root / "calendars.yaml").unlink()
    result = folder.run("calendar", "show")
    assert result.exit_code == 0, result.output
    assert "calendars.yaml: no freezes and no windows" in " ".join(result.output.split())
    _, listing = folder.json("calendar", "show")
    assert listing["calendar"] is None
    assert listing["freezes"] == []


def test_calendar_check_unknown_entity_fails(folder):
    catalog = (folder.root / "catalog.yaml").read_text(encoding="utf-8")
    folder.write(
        "catalog.yaml",
        catalog.replace(
            "legal_entities: [acme-bank-eu]\n    owners:\n      engineering: payments-engineering",
            "legal_entities: [acme-bank-uk]\n    owners:\n      engineering: payments-engineering",
        ),
    )
    result, report = folder.json(
        "calendar", "check", "--service", "ledger-api", "--at", AFTER_CLOSE
    )
    assert result.exit_code == 1
    calendar_file = folder.root / "calendars.yaml"
    assert report["problems"] == [
        f"legal entity acme-bank-uk of service ledger-api is not defined in {calendar_file}"
    ]
    assert {t["may_go"] for t in report["tiers"]} == {False}
