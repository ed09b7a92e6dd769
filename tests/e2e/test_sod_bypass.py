"""Attempts to get around segregation of duties, each refused with the rule and the identities.

Every test runs the `releasegate` command in process on a real SQLite file,
with an identity directory that gives people several aliases.
"""

from __future__ import annotations

import json

import pytest
from support import (
    COMMIT,
    DIGEST,
    JUNIT_PASS,
    MANIFEST,
    SARIF_CLEAN,
    approve_all,
    attach,
    attach_integrity,
    control,
    create,
)

from releasegate.identity.tokens import create_token
from releasegate.service.app import Application
from releasegate.settings import load_settings

IDENTITIES = """
apiVersion: releasegate/v1
kind: Identities
people:
  alice:
    name: Alice Archer
    emails: [alice@acme.example]
    forge_usernames: [alice-gh]
    commit_identities: ["Alice Archer <a.archer@users.noreply.example>"]
  bob:
    emails: [bob@acme.example]
  dana:
    name: Dana Diaz
    emails: [dana@acme.example]
  erin:
    emails: [erin@acme.example]
    roles: [admin]
  frank:
    emails: [frank@acme.example]
    roles: [admin]
"""

NEW_COMMIT = "c" * 40
OTHER_DIGEST = "sha256:" + "d" * 64


def manifest_with(commit_message: str, *, source_commit: str = COMMIT) -> str:
    return MANIFEST.replace(f'source_commit: "{COMMIT}"', f'source_commit: "{source_commit}"') + (
        "commits:\n"
        f'  - sha: "{source_commit}"\n'
        '    author: "Alice Archer <alice@acme.example>"\n'
        '    committer: "Alice Archer <alice@acme.example>"\n'
        f"    message: {json.dumps(commit_message)}\n"
    )


@pytest.fixture
def sod(ws):
    ws.write("identities.yaml", IDENTITIES)
    return ws


def messages_of(decision: dict, control_id: str) -> list[str]:
    return [v["msg"] for v in control(decision, control_id)["violations"]]


def refusal(result) -> str:
    assert result.exit_code == 2, result.output
    return " ".join(result.output.split())


def test_email_case_of_author_refused(sod):
    release = create(sod)
    message = refusal(sod.run("approve", release, "--as", "ALICE@Acme.Example"))
    assert "SOD-1: alice@acme.example (person alice) is the same person as author alice" in message
    assert "requester alice" in message


def test_forge_alias_of_author_refused(sod):
    release = create(sod)
    message = refusal(sod.run("approve", release, "--as", "alice-gh"))
    assert "SOD-1: alice-gh (person alice) is the same person as author alice" in message


def test_co_author_trailer_refused(sod):
    manifest = manifest_with("Round totals\n\nCo-authored-by: Dana Diaz <Dana@acme.example>\n")
    release = create(sod, manifest)
    message = refusal(sod.run("approve", release, "--as", "dana"))
    assert "SOD-1: dana (person dana) is the same person as co-author Dana Diaz " in message
    assert f"<Dana@acme.example> of commit {COMMIT[:12]}" in message


def test_co_author_alias_found_at_gate(sod):
    """An alias added after the approval still voids it: the gate compares people again."""
    manifest = manifest_with("Round totals\n\nCo-authored-by: Dana <dana.home@mail.example>\n")
    release = create(sod, manifest)
    attach(sod, release, "junit.xml", JUNIT_PASS)
    attach(sod, release, "scan.sarif", SARIF_CLEAN)
    approve_all(sod, release)

    _, decision = sod.json("gate", release)
    assert decision["outcome"] == "deny"
    assert messages_of(decision, "SOD-1") == [
        f"co-author Dana <dana.home@mail.example> of commit {COMMIT[:12]} is not a known "
        "identity, so no approver can be shown to be a different person; add it as an alias "
        "of its person in the identities file"
    ]

    identities = sod.root / "identities.yaml"
    identities.write_text(
        identities.read_text().replace(
            "emails: [dana@acme.example]", "emails: [dana@acme.example, dana.home@mail.example]"
        )
    )
    _, decision = sod.json("gate", release)
    assert decision["outcome"] == "deny"
    assert messages_of(decision, "SOD-1") == [
        f"dana (person dana) approved the release but is the same person as co-author Dana "
        f"<dana.home@mail.example> of commit {COMMIT[:12]} (approval "
        + next(
            a["id"] for a in sod.json("release", "approvals", release)[1] if a["approver"] == "dana"
        )
        + ")"
    ]


def test_approval_before_new_commit_lapses(sod):
    # Integrity evidence is attached once, for the new commit the release ends at.
    release = create(sod, integrity=False)
    approve_all(sod, release)

    updated = manifest_with("Fix rounding of negative totals", source_commit=NEW_COMMIT)
    result = sod.run(
        "release", "update", release, str(sod.write("v2.yaml", updated)), "--as", "alice"
    )
    assert result.exit_code == 0, result.output
    attach(sod, release, "junit.xml", JUNIT_PASS, commit=NEW_COMMIT)
    attach(sod, release, "scan.sarif", SARIF_CLEAN, commit=NEW_COMMIT)
    attach_integrity(sod, release, commit=NEW_COMMIT)

    result, decision = sod.json("gate", release)
    assert result.exit_code == 3, result.output
    assert decision["outcome"] == "pending"
    sod_4 = control(decision, "SOD-4")
    assert sod_4["outcome"] == "fail"
    assert sod_4["pending"] is True
    lapsed = [m for m in messages_of(decision, "SOD-4") if "by dana no longer counts" in m]
    assert len(lapsed) == 1, messages_of(decision, "SOD-4")
    assert (
        f"it was given for source commit {COMMIT}, and the release is now at commit {NEW_COMMIT}"
        in lapsed[0]
    )
    assert "dana must approve the release again" in lapsed[0]

    # The lapsed approvals stay visible.
    _, approvals = sod.json("release", "approvals", release)
    assert {a["approver"]: a["state"] for a in approvals} == {
        "bob": "lapsed",
        "dana": "lapsed",
        "erin": "lapsed",
    }

    approve_all(sod, release)
    result, decision = sod.json("gate", release)
    assert decision["outcome"] == "allow", result.output
    _, approvals = sod.json("release", "approvals", release)
    assert sorted(a["state"] for a in approvals) == ["current"] * 3 + ["superseded"] * 3


def test_approval_for_other_digest_refused(sod):
    release = create(sod)
    message = refusal(sod.run("approve", release, "--as", "dana", "--digest", OTHER_DIGEST))
    assert (
        f"SOD-4: dana approves artifact digests {OTHER_DIGEST}, but release {release} is {DIGEST}"
        in message
    )


def test_approval_lapses_when_digest_changes(sod):
    release = create(sod)
    attach(sod, release, "junit.xml", JUNIT_PASS)
    attach(sod, release, "scan.sarif", SARIF_CLEAN)
    result = sod.run("approve", release, "--as", "dana", "--digest", DIGEST)
    assert result.exit_code == 0, result.output
    rebuilt = MANIFEST.replace(DIGEST, OTHER_DIGEST)
    result = sod.run(
        "release", "update", release, str(sod.write("v2.yaml", rebuilt)), "--as", "alice"
    )
    assert result.exit_code == 0, result.output
    _, decision = sod.json("gate", release)
    messages = messages_of(decision, "SOD-4")
    assert any(
        "approval" in m
        and "by dana no longer counts: it was given for artifact digests "
        f"{DIGEST}, and the release is now {OTHER_DIGEST}"
        in m
        for m in messages
    ), messages


def test_same_person_under_two_aliases_counts_once(sod):
    """Two approvals by one person count once, and the gate names who collided."""
    catalog = sod.root / "catalog.yaml"
    # dana is also put on the CAB, so both of her approvals hold a role.
    catalog.write_text(
        catalog.read_text().replace("members: [erin, frank]", "members: [erin, frank, dana]")
    )
    release = create(sod)
    attach(sod, release, "junit.xml", JUNIT_PASS)
    attach(sod, release, "scan.sarif", SARIF_CLEAN)
    for who, role in (
        ("bob", "engineering"),
        ("dana", "business_control"),
        ("dana@acme.example", "cab"),
    ):
        result = sod.run("approve", release, "--as", who, "--role", role)
        assert result.exit_code == 0, result.output
    _, decision = sod.json("gate", release)
    assert decision["outcome"] == "pending"
    messages = messages_of(decision, "SOD-3")
    # The later approval replaced the earlier one of the same person.
    assert any("needs 3 approvers" in m and "has 2" in m for m in messages), messages
    assert any("needs an approval from a business control owner" in m for m in messages), messages


def test_unknown_commit_author_fails_closed(sod):
    manifest = MANIFEST + (
        "commits:\n"
        f'  - sha: "{COMMIT}"\n'
        '    author: "Someone <someone@mail.example>"\n'
        '    message: "Tweak"\n'
    )
    release = create(sod, manifest)
    attach(sod, release, "junit.xml", JUNIT_PASS)
    attach(sod, release, "scan.sarif", SARIF_CLEAN)
    approve_all(sod, release)
    result, decision = sod.json("gate", release)
    assert result.exit_code == 1
    assert messages_of(decision, "SOD-1") == [
        f"author Someone <someone@mail.example> of commit {COMMIT[:12]} is not a known identity, "
        "so no approver can be shown to be a different person; add it as an alias of its person in "
        "the identities file"
    ]


def test_expired_token_refused(sod):
    release = create(sod)
    application = Application(load_settings(home=sod.root), clock=lambda: _past())
    _, secret = create_token(
        application, owner="dana", name="laptop", expires_in=_hours(1), created_by="dana"
    )
    application.close()
    message = refusal(sod.run("--token", secret, "approve", release))
    assert "personal API token tok-" in message
    assert "of dana expired at 2026-01-01T01:00:00" in message
    assert sod.ledger_size() > 0
    _, approvals = sod.json("release", "approvals", release)
    assert approvals == []


def test_token_of_other_person_than_as_refused(sod):
    release = create(sod)
    application = Application(load_settings(home=sod.root))
    _, secret = create_token(
        application, owner="dana", name="laptop", expires_in=_hours(1), created_by="dana"
    )
    application.close()
    message = refusal(sod.run("--token", secret, "approve", release, "--as", "erin"))
    assert "--as erin is not the identity of the token (dana)" in message
    result = sod.run("--token", secret, "approve", release, "--as", "dana@acme.example")
    assert result.exit_code == 0, result.output
    _, approvals = sod.json("release", "approvals", release)
    assert [a["approver"] for a in approvals] == ["dana"]


def test_self_approved_exception_refused(sod):
    release = create(sod)
    result, exception = sod.json(
        "exception",
        "request",
        "--control",
        "VUL-1",
        "--as",
        "farid",
        "--justification",
        "constant input",
        "--expires-in",
        "7d",
        "--release",
        release,
        "--compensating",
        "WAF rule 9411",
    )
    assert result.exit_code == 0, result.output
    identities = sod.root / "identities.yaml"
    identities.write_text(IDENTITIES + "  farid:\n    emails: [farid@acme.example]\n")
    message = refusal(
        sod.run("exception", "approve", exception["id"], "--as", "FARID@acme.example")
    )
    assert (
        f"SOD-5: farid@acme.example (person farid) is the same person as requester farid of "
        f"exception {exception['id']}" in message
    )


def _past():
    from datetime import UTC, datetime

    return datetime(2026, 1, 1, tzinfo=UTC)


def _hours(n: int):
    from datetime import timedelta

    return timedelta(hours=n)
