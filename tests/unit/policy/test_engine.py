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
from releasegate.service.gate import _control_results, _outcome

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


def decide(policy_dir: Path):
    policy = load_policy_set(policy_dir, "payments-api")
    document = build_input(
        release=release(), catalog=load_catalog(EXAMPLES / "catalog.yaml"), environment="production",
        revision=policy.revision, now=NOW, evidence=[], approvals=[], exceptions=[],
    )
    evaluation = compile_policy(policy).evaluate(document)
    results = _control_results(policy, evaluation)
    risk = evaluation.risk
    from releasegate.model import RiskAssessment

    assessment = RiskAssessment.model_validate(risk) if risk else None
    return {r.control_id: r for r in results}, _outcome(results, assessment)


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
    with pytest.raises(PolicyError, match="enterprise/broken.rego: Rego does not compile"):
        decide(policies)


def test_engine_compiles_once_per_revision(policies):
    first = compile_policy(load_policy_set(policies, "payments-api"))
    again = compile_policy(load_policy_set(policies, "payments-api"))
    assert again is first
    (policies / "platform" / "data.yaml").write_text("acme_extra: 1\n")
    changed = compile_policy(load_policy_set(policies, "payments-api"))
    assert changed is not first
    assert changed.policy.revision != first.policy.revision


def document_for(policy):
    return build_input(
        release=release(), catalog=load_catalog(EXAMPLES / "catalog.yaml"), environment="production",
        revision=policy.revision, now=NOW, evidence=[], approvals=[], exceptions=[],
    )


def test_engine_wrong_types_fail_closed(policies):
    policy = load_policy_set(policies, "payments-api")
    document = document_for(policy)
    document["evidence"]["test_reports"] = [
        {"id": "ev-1", "sha256": "0" * 64, "format": "junit", "commit": "c" * 40,
         "tests": "many", "failures": "none", "errors": 0, "skipped": 0, "flaky": 0}
    ]
    results = {r.control_id: r for r in _control_results(policy, compile_policy(policy).evaluate(document))}
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
    evaluation = compile_policy(policy).evaluate(document)
    results = {r.control_id: r for r in _control_results(policy, evaluation)}
    errors = {cid for cid, r in results.items() if r.outcome is ControlOutcome.ERROR}
    assert "EXC-1" in errors
    assert "evaluating releasegate.controls.exc_1 failed" in results["EXC-1"].violations[0].msg
    assert results["CHG-1"].outcome is ControlOutcome.PASS
    assert _outcome(list(results.values()), None) is DecisionOutcome.DENY
