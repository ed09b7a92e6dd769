"""The engine on the real built-in library: errors deny, compilation is cached per revision."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from releasegate.catalog import load_catalog
from releasegate.model import (
    ControlOutcome,
    DecisionOutcome,
    Release,
    ReleaseManifest,
    ReleaseStatus,
)
from releasegate.policy.engine import compile_policy
from releasegate.policy.input import build_input
from releasegate.policy.layers import load_policy_set
from releasegate.policy.decide import decide as decide_verdict

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def policies(tmp_path):
    target = tmp_path / "policies"
    shutil.copytree(EXAMPLES / "policies", target)
    return target


def release() -> Release:
    manifest = ReleaseManifest(
        service="payments-api",
        version="1.0.0",
        description="d",
        change_type="normal",
        ticket="CHG-1",
        source_commit="c" * 40,
        pull_request="https://git.example.com/pr/1",
        artifacts=({"name": "a", "digest": "sha256:" + "d" * 64},),
        authors=("alice",),
        requester="alice",
    )
    return Release(id="rel-1", manifest=manifest, status=ReleaseStatus.CREATED,
                   created_at=NOW, manifest_sha256="e" * 64)


def decide(policy_dir: Path, *, mutate=None):
    policy = load_policy_set(policy_dir, "payments-api")
    document = document_for(policy)
    if mutate:
        mutate(document)
    verdict = decide_verdict(policy, compile_policy(policy).evaluate(document), document)
    return {r.control_id: r for r in verdict.results}, verdict.outcome


def document_for(policy):
    return build_input(
        release=release(), catalog=load_catalog(EXAMPLES / "catalog.yaml"), environment="production",
        revision=policy.revision, now=NOW, evidence=[], approvals=[], exceptions=[],
    )


def test_engine_no_evidence_denies(policies):
    results, outcome = decide(policies)
    assert outcome is DecisionOutcome.DENY
    assert results["TST-1"].outcome is ControlOutcome.FAIL
    assert results["TST-1"].violations[0].msg == "no test report attached"
    assert results["VUL-1"].violations[0].msg == "no vulnerability scan attached"
    assert results["CHG-1"].outcome is ControlOutcome.PASS


def test_engine_team_rule_raising_denies(policies):
    (policies / "platform" / "raises.rego").write_text(
        'package platform.raises\n\nimport rego.v1\n\n'
        'deny contains "too many" if to_number("abc") > 3\n'
    )
    results, outcome = decide(policies)
    assert outcome is DecisionOutcome.DENY
    assert results["platform.raises"].outcome is ControlOutcome.ERROR
    assert results["platform.raises"].violations[0].msg == (
        "evaluating platform.raises.deny failed in the Rego engine"
    )


def test_engine_team_rule_with_message_object(policies):
    (policies / "platform" / "objects.rego").write_text(
        'package platform.objects\n\nimport rego.v1\n\n'
        'deny contains {"msg": "object message"} if input.environment == "production"\n'
    )
    results, outcome = decide(policies)
    assert results["platform.objects"].outcome is ControlOutcome.FAIL
    assert results["platform.objects"].violations[0].msg == "object message"
    assert outcome is DecisionOutcome.DENY


def test_engine_rego_syntax_error_names_file(policies):
    from releasegate.errors import PolicyError

    (policies / "enterprise" / "broken.rego").write_text("package enterprise.broken\n\nfoo if {\n")
    with pytest.raises(PolicyError, match="enterprise/broken.rego: Rego does not compile") as caught:
        decide(policies)
    assert "-- enterprise/broken.rego:3:8" in caught.value.message


def test_engine_compiles_once_per_revision(policies):
    first = compile_policy(load_policy_set(policies, "payments-api"))
    again = compile_policy(load_policy_set(policies, "payments-api"))
    assert again is first
    (policies / "platform" / "data.yaml").write_text("acme_extra: 1\n")
    changed = compile_policy(load_policy_set(policies, "payments-api"))
    assert changed is not first
    assert changed.policy.revision != first.policy.revision


def test_engine_wrong_types_fail_closed(policies):
    policy = load_policy_set(policies, "payments-api")
    document = document_for(policy)
    document["evidence"]["test_reports"] = [
        {"id": "ev-1", "sha256": "0" * 64, "format": "junit", "commit": "c" * 40,
         "tests": "many", "failures": "none", "errors": 0, "skipped": 0, "flaky": 0}
    ]
    verdict = decide_verdict(policy, compile_policy(policy).evaluate(document), document)
    results = {r.control_id: r for r in verdict.results}
    assert results["TST-1"].outcome is ControlOutcome.FAIL
    assert "test report ev-1 has no number of tests" in [v.msg for v in results["TST-1"].violations]


def test_engine_builtin_error_isolated_to_control(policies):
    policy = load_policy_set(policies, "payments-api")
    document = document_for(policy)
    document["exceptions"] = [
        {"id": "exc-1", "control_id": "VUL-1",
         "scope": {"service": "payments-api", "release_id": None, "finding": None},
         "justification": "j", "compensating_controls": ["c"], "requester": "alice",
         "approver": "farid", "status": "approved", "requested_at": "yesterday",
         "decided_at": "today", "expires_at": "next week"}
    ]
    verdict = decide_verdict(policy, compile_policy(policy).evaluate(document), document)
    results = {r.control_id: r for r in verdict.results}
    errors = {cid for cid, r in results.items() if r.outcome is ControlOutcome.ERROR}
    assert "EXC-1" in errors
    assert "evaluating releasegate.controls.exc_1 failed" in results["EXC-1"].violations[0].msg
    assert results["CHG-1"].outcome is ControlOutcome.PASS
    assert verdict.outcome is DecisionOutcome.DENY


TEAM_CONTROLS = """package application.payments_rules

import rego.v1

controls := {"PAY-1": {"title": "Settlement cut-off respected", "blocking": true,
                       "solution": "Release after the settlement cut-off.",
                       "frameworks": ["SOX ITGC change management"]},
             "PAY-2": {"title": "Release notes present", "blocking": false}}

deny contains {"msg": "settlement batch running", "control": "PAY-1"} if input.environment == "production"

deny contains {"msg": "release notes missing", "control": "PAY-2"} if input.environment == "production"

deny contains {"msg": "team adds a finding", "control": "VUL-1"} if input.environment == "production"
"""


def test_engine_team_messages_attributed_to_controls(policies):
    folder = policies / "application" / "payments-api"
    (folder / "rules.rego").write_text(TEAM_CONTROLS)
    results, outcome = decide(policies)
    pay1 = results["PAY-1"]
    assert (pay1.title, pay1.blocking, pay1.outcome) == ("Settlement cut-off respected", True, ControlOutcome.FAIL)
    assert pay1.remediation == "Release after the settlement cut-off."
    assert pay1.frameworks == ("SOX ITGC change management",)
    assert results["PAY-2"].blocking is False
    assert [v.msg for v in results["VUL-1"].violations][-1] == "team adds a finding"
    assert outcome is DecisionOutcome.DENY


def test_engine_shadow_mode_records_but_does_not_block(policies):
    (policies / "enterprise" / "data.yaml").write_text(
        'acme:\n  ticket_pattern: "^CHG-[0-9]+$"\ncontrols:\n  TST-1: {mode: report}\n'
    )
    results, _ = decide(policies)
    assert results["TST-1"].outcome is ControlOutcome.FAIL
    assert results["TST-1"].mode == "report"
    assert results["TST-1"].blocking is False


def test_engine_applies_to_by_tier(policies):
    (policies / "enterprise" / "data.yaml").write_text(
        'acme:\n  ticket_pattern: "^CHG-[0-9]+$"\n'
        "controls:\n  TST-1:\n    applies_to: {tiers: [low, medium]}\n"
    )
    results, _ = decide(policies)
    assert results["TST-1"].outcome is ControlOutcome.NOT_APPLICABLE
    assert results["TST-1"].violations[0].msg == (
        "applies to risk tier low, medium; this release is critical"
    )


def test_engine_loosening_application_layer_rejected(policies):
    from releasegate.errors import PolicyError

    (policies / "application" / "payments-api" / "data.yaml").write_text(
        "exceptions:\n  max_duration_days: 365\n"
    )
    with pytest.raises(PolicyError, match=r"application/payments-api: parameter exceptions.max_duration_days loosened from 30 \(set by enterprise\) to 365"):
        decide(policies)


def test_engine_conftest_rule_names(policies):
    (policies / "platform" / "conftest_style.rego").write_text(
        "package platform.conftest_style\n\nimport rego.v1\n\n"
        'deny_missing_owner contains "owner label missing" if input.environment == "production"\n\n'
        'violation contains {"msg": "violation message"} if input.environment == "production"\n\n'
        'warn_old_base contains "base image is old" if input.environment == "production"\n'
    )
    results, _ = decide(policies)
    messages = sorted(v.msg for v in results["platform.conftest_style"].violations)
    assert messages == ["owner label missing", "violation message"]


def test_engine_output_does_not_reach_stdout(policies, capfd):
    (policies / "platform" / "noisy.rego").write_text(
        "package platform.noisy\n\nimport rego.v1\n\n"
        'deny contains "bad json" if json.unmarshal("{not json") == 1\n'
    )
    results, outcome = decide(policies)
    captured = capfd.readouterr()
    assert captured.out == ""
    assert outcome is DecisionOutcome.DENY


def test_engine_team_cannot_redeclare_builtin_control(policies):
    (policies / "platform" / "shadow.rego").write_text(
        "package platform.shadow\n\nimport rego.v1\n\n"
        'controls := {"VUL-1": {"blocking": false}}\n\n'
        'warn contains {"msg": "noted", "control": "VUL-1"} if input.environment == "production"\n'
    )
    results, outcome = decide(policies)
    assert results["VUL-1"].blocking is True
    assert outcome is DecisionOutcome.DENY


def test_engine_decide_lists_each_control_once(policies):
    (policies / "platform" / "shadow.rego").write_text(
        "package platform.shadow\n\nimport rego.v1\n\n"
        'controls := {"VUL-1": {"blocking": false}}\n\n'
        'deny contains {"msg": "extra", "control": "VUL-1"} if input.environment == "production"\n'
    )
    policy = load_policy_set(policies, "payments-api")
    document = document_for(policy)
    verdict = decide_verdict(policy, compile_policy(policy).evaluate(document), document)
    ids = [r.control_id for r in verdict.results]
    assert ids.count("VUL-1") == 1
