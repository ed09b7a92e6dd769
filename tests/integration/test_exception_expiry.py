"""Exceptions expire and are revoked on every evaluation, with time injected by a clock.

Each test drives the service layer on a real SQLite working folder and moves
the application's clock instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support import DIGEST, JUNIT_PASS, MANIFEST, SARIF_HIGH, attach_integrity

from releasegate.model import ApprovalDecision
from releasegate.service.app import Application
from releasegate.service.approvals import record_approval
from releasegate.service.evidence import add_evidence
from releasegate.service.exception_register import exception_register
from releasegate.service.exceptions import decide_exception, request_exception, revoke_exception
from releasegate.service.gate import evaluate_gate
from releasegate.service.releases import create_release, load_manifest
from releasegate.settings import load_settings

START = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def waived(ws):
    """A release whose only blocking failure, finding B602, is waived for 24 hours."""
    clock = Clock(START)
    app = Application(load_settings(home=ws.root), clock=clock)
    release = create_release(
        app, load_manifest(ws.write("release.yaml", MANIFEST)), source="release.yaml"
    )
    commit = release.manifest.source_commit
    attach_integrity(ws, release.id, commit=commit)
    add_evidence(app, release.id, ws.write("junit.xml", JUNIT_PASS), commit=commit)
    add_evidence(app, release.id, ws.write("scan.sarif", SARIF_HIGH), commit=commit)
    for who in ("bob", "dana", "erin"):
        record_approval(app, release.id, approver=who, decision=ApprovalDecision.APPROVE)
    exception = request_exception(
        app,
        control_id="VUL-1",
        requester="alice",
        justification="the shell input is a constant",
        expires_in=timedelta(hours=24),
        release_id=release.id,
        finding="B602",
        compensating_controls=("WAF rule 9411",),
    )
    decide_exception(app, exception.id, approver="farid", approve=True)
    yield app, clock, release, exception
    app.close()


def vul_1(decision):
    return next(r for r in decision.results if r.control_id == "VUL-1")


def test_exception_waives_until_the_instant_it_expires(waived):
    app, clock, release, _ = waived
    clock.now = START + timedelta(hours=24) - timedelta(seconds=1)
    decision = evaluate_gate(app, release.id, "production")
    assert decision.outcome.value == "allow"
    assert vul_1(decision).outcome.value == "waived"

    # The same exception, evaluated one second later, is expired: nothing
    # cached from the previous evaluation keeps it alive.
    clock.now = START + timedelta(hours=24)
    decision = evaluate_gate(app, release.id, "production")
    assert decision.outcome.value == "deny"
    assert vul_1(decision).outcome.value == "fail"
    assert vul_1(decision).violations[0].waived_by is None


def test_revoked_exception_stops_waiving(waived):
    app, clock, release, exception = waived
    clock.now = START + timedelta(hours=1)
    assert evaluate_gate(app, release.id, "production").outcome.value == "allow"
    revoke_exception(app, exception.id, identity="dana", reason="the WAF rule was removed")
    clock.now = START + timedelta(hours=1, seconds=1)
    decision = evaluate_gate(app, release.id, "production")
    assert decision.outcome.value == "deny"
    assert vul_1(decision).outcome.value == "fail"


def test_register_states_over_time(waived):
    app, clock, release, _ = waived
    clock.now = START + timedelta(hours=1)
    [entry] = exception_register(app, expiring_within=timedelta(hours=12))
    assert (entry.state, entry.expiring_soon) == ("active", False)
    assert entry.document()["scope"] == {
        "service": "payments-api",
        "release_id": release.id,
        "artifact_digest": None,
        "finding": "B602",
    }
    assert entry.document()["requester"] == "alice"
    assert entry.document()["approver"] == "farid"

    clock.now = START + timedelta(hours=13)
    [entry] = exception_register(app, expiring_within=timedelta(hours=12))
    assert (entry.state, entry.expiring_soon) == ("active", True)

    clock.now = START + timedelta(hours=24)
    [entry] = exception_register(app)
    assert (entry.state, entry.expiring_soon) == ("expired", False)
    assert exception_register(app, state="active") == []


def test_digest_scope_applies_only_to_that_artifact(waived):
    app, clock, release, exception = waived
    revoke_exception(app, exception.id, identity="dana", reason="replaced by a digest scope")
    other = "sha256:" + "e" * 64
    for digest in (other, DIGEST):
        scoped = request_exception(
            app,
            control_id="VUL-1",
            requester="alice",
            justification="the shell input is a constant",
            expires_in=timedelta(hours=24),
            service="payments-api",
            artifact_digest=digest,
            compensating_controls=("WAF rule 9411",),
        )
        decide_exception(app, scoped.id, approver="farid", approve=True)
        clock.now += timedelta(minutes=1)
        decision = evaluate_gate(app, release.id, "production")
        if digest == other:
            assert vul_1(decision).outcome.value == "fail"
        else:
            assert vul_1(decision).outcome.value == "waived"
            assert vul_1(decision).violations[0].waived_by == scoped.id
