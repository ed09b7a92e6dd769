"""The emergency path, the post-release review deadline and the overdue block, through the CLI.

The commands run in process on a real SQLite working folder. Time comes
from a clock the test moves: `releasegate.cli.main._application` is replaced
by one that builds the same application with that clock, so no test sleeps.
The example calendar freezes ledger-api's high releases during the
month-end close, from 26 November to the end of 7 December 2026.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import support

from releasegate.cli import main
from releasegate.service.app import Application
from releasegate.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
COMMIT = "c" * 40
DIGEST = "sha256:" + "d" * 64
IN_CLOSE = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

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

# The ledger team's layer makes an overdue post-release review block the
# service's next normal release.
APPLICATION_LAYER = """
controls:
  EMG-2: {mode: enforce, blocking: true}
"""

JUNIT = """<?xml version="1.0"?>
<testsuite name="ledger" tests="1"><testcase classname="t" name="a"/></testsuite>"""


def manifest(change_type: str, reason: str | None = None, version: str = "1.0.0") -> str:
    text = f"""
service: ledger-api
version: "{version}"
description: Post accruals in one batch
change_type: {change_type}
ticket: CHG-101
source_commit: "{COMMIT}"
source_repository: {support.REPOSITORY}
artifacts:
  - name: ledger-api
    digest: "{DIGEST}"
    uri: {support.REGISTRY}/ledger/ledger-api:{version}
authors: [alice]
requester: alice
"""
    return text + (f"emergency_reason: {reason}\n" if reason else "")


class Clock:
    """A clock the test sets and moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def folder(tmp_path, monkeypatch):
    catalog = (EXAMPLES / "catalog.yaml").read_text(encoding="utf-8") + LEDGER_SERVICE
    (tmp_path / "catalog.yaml").write_text(catalog, encoding="utf-8")
    shutil.copy2(EXAMPLES / "calendars.yaml", tmp_path / "calendars.yaml")
    shutil.copytree(EXAMPLES / "policies", tmp_path / "policies")
    layer = tmp_path / "policies" / "application" / "ledger-api"
    layer.mkdir(parents=True)
    (layer / "data.yaml").write_text(APPLICATION_LAYER, encoding="utf-8")
    support.add_trust(tmp_path)
    work = support.Workspace(tmp_path)
    assert work.run("init").exit_code == 0

    clock = Clock(IN_CLOSE)

    def application() -> Application:
        settings = load_settings(home=main._State.home, overrides=main._State.overrides)
        built = Application(settings, clock=clock)
        built.database.require_schema()
        return built

    monkeypatch.setattr(main, "_application", application)
    work.clock = clock
    return work


def release(folder, text: str, approvers: tuple[str, ...]) -> str:
    result, body = folder.json("release", "create", str(folder.write("release.yaml", text)))
    assert result.exit_code == 0, result.output
    for name, content in (("junit.xml", JUNIT), ("scan.sarif", support.SARIF_CLEAN)):
        added = folder.run(
            "evidence", "add", body["id"], str(folder.write(name, content)), "--commit", COMMIT
        )
        assert added.exit_code == 0, added.output
    support.attach_integrity(folder, body["id"], commit=COMMIT, digests=(DIGEST,), processes=())
    for approver in approvers:
        approved = folder.run("approve", body["id"], "--as", approver)
        assert approved.exit_code == 0, approved.output
    return body["id"]


def messages(decision: dict, control_id: str) -> list[str]:
    return [v["msg"] for v in support.control(decision, control_id)["violations"]]


def ship_emergency(folder) -> tuple[str, dict]:
    """Take an emergency release through the close freeze on the pre-approved path."""
    emergency = release(folder, manifest("emergency", reason="INCIDENT"), approvers=("dana",))
    recorded = folder.run(
        "evidence",
        "control",
        emergency,
        "enhanced_monitoring",
        "--as",
        "chen",
        "--detail",
        "error budget alert at 1% for 72 hours",
    )
    assert recorded.exit_code == 0, recorded.output
    result, decision = folder.json("gate", emergency)
    assert result.exit_code == 0, result.output
    assert decision["outcome"] == "allow"
    return emergency, decision


def test_emergency_path_through_freeze_opens_review(folder):
    emergency, decision = ship_emergency(folder)
    assert support.control(decision, "CAL-1")["outcome"] == "pass"
    # One independent approver is the emergency path's requirement, not the tier's three.
    assert support.control(decision, "SOD-3")["outcome"] == "pass"
    # The pre-approved path holds: signed artifact, passing tests, one approver
    # and the compensating control the policy names.
    emg_1 = support.control(decision, "EMG-1")
    assert (emg_1["mode"], emg_1["outcome"], emg_1["violations"]) == ("enforce", "pass", [])
    assert support.control(decision, "EMG-2")["outcome"] == "not_applicable"

    result, reviews = folder.json("review", "list")
    assert result.exit_code == 0, result.output
    [review] = reviews
    assert review["release_id"] == emergency
    assert review["state"] == "open"
    assert review["deployed_at"] == "2026-11-30T10:00:00.000000Z"
    assert review["due_at"] == "2026-12-03T10:00:00.000000Z"


def test_emergency_without_approver_is_pending(folder):
    emergency = release(folder, manifest("emergency", reason="INCIDENT"), approvers=())
    recorded = folder.run(
        "evidence", "control", emergency, "enhanced_monitoring", "--as", "chen",
        "--detail", "error budget alert at 1% for 72 hours",
    )
    assert recorded.exit_code == 0, recorded.output
    result, decision = folder.json("gate", emergency)
    assert result.exit_code == 3, result.output
    emg_1 = support.control(decision, "EMG-1")
    assert emg_1["pending"] is True
    assert messages(decision, "EMG-1") == [
        "the emergency path needs 1 approvers who are neither authors nor the requester, "
        "and the release has 0"
    ]
    assert messages(decision, "SOD-3") == [
        "an emergency change of tier critical needs 1 approvers who hold an approval role and are "
        "neither authors nor the requester, and has 0"
    ]
    _, reviews = folder.json("review", "list")
    assert reviews == []


def test_overdue_review_blocks_next_normal_release(folder):
    emergency, _ = ship_emergency(folder)

    folder.clock.now = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # after the close and the deadline
    normal = release(folder, manifest("normal", version="1.0.1"), approvers=("bob", "dana"))
    result, decision = folder.json("gate", normal)
    assert result.exit_code == 1, result.output
    assert decision["outcome"] == "deny"
    emg_2 = support.control(decision, "EMG-2")
    assert emg_2["blocking"] is True
    assert messages(decision, "EMG-2") == [
        f"emergency release {emergency} of ledger-api, deployed at 2026-11-30T10:00:00.000000Z, "
        "has no post-release review, which was due by 2026-12-03T10:00:00Z; hold the review "
        "and record it"
    ]

    result, reviews = folder.json("review", "list")
    assert result.exit_code == 1
    assert [r["state"] for r in reviews] == ["overdue"]

    own = folder.run(
        "review", "complete", reviews[0]["id"], "--as", "alice@x.example", "--findings", "fine"
    )
    assert own.exit_code == 2
    own = folder.run("review", "complete", reviews[0]["id"], "--as", "alice", "--findings", "fine")
    assert own.exit_code == 2
    assert (
        f"EMG-2: alice (person alice) is the same person as author alice, requester alice of "
        f"emergency release {emergency}" in " ".join(own.output.split())
    )

    done = folder.run(
        "review",
        "complete",
        reviews[0]["id"],
        "--as",
        "erin",
        "--findings",
        "root cause: expired certificate; renewal now automated",
    )
    assert done.exit_code == 0, done.output
    _, reviews = folder.json("review", "list")
    assert [(r["state"], r["reviewer"]) for r in reviews] == [("completed-late", "erin")]

    # A late review stays a failure of EMG-2; it is waived for this one
    # emergency release by an exception that names it.
    result, decision = folder.json("gate", normal)
    assert result.exit_code == 1
    assert (
        "was recorded at 2026-12-09T10:00:00.000000Z, not by its deadline"
        in (messages(decision, "EMG-2")[0])
    )
    result, exception = folder.json(
        "exception",
        "request",
        "--control",
        "EMG-2",
        "--service",
        "ledger-api",
        "--finding",
        emergency,
        "--as",
        "bob",
        "--expires-in",
        "30d",
        "--justification",
        "review held late during the close; findings recorded",
        "--compensating",
        "review findings tracked in CHG-102",
    )
    assert result.exit_code == 0, result.output
    assert folder.run("exception", "approve", exception["id"], "--as", "dana").exit_code == 0
    result, decision = folder.json("gate", normal)
    assert result.exit_code == 0, result.output
    assert support.control(decision, "EMG-2")["outcome"] == "waived"


def test_review_on_time_does_not_block(folder):
    ship_emergency(folder)
    folder.clock.now = IN_CLOSE + timedelta(hours=24)
    _, reviews = folder.json("review", "list", "--state", "open")
    done = folder.run("review", "complete", reviews[0]["id"], "--as", "erin", "--findings", "ok")
    assert done.exit_code == 0, done.output

    folder.clock.now = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    normal = release(folder, manifest("normal", version="1.0.1"), approvers=("bob", "dana"))
    result, decision = folder.json("gate", normal)
    assert result.exit_code == 0, result.output
    assert support.control(decision, "EMG-2")["outcome"] == "pass"
    _, reviews = folder.json("review", "list")
    assert [r["state"] for r in reviews] == ["completed"]


def test_review_completed_outside_releasegate_stops_gate(folder):
    emergency, _ = ship_emergency(folder)
    folder.clock.now = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    folder.sql(
        "update emergency_reviews set reviewer = 'erin', completed_at = due_at, "
        "findings = 'none'"
    )
    normal = release(folder, manifest("normal", version="1.0.1"), approvers=("bob", "dana"))
    result = folder.run("gate", normal)
    assert result.exit_code == 1
    assert "differs from its ledger entry; the row was changed outside releasegate" in " ".join(
        result.output.split()
    )
    assert f"of emergency release {emergency}" in " ".join(result.output.split())
