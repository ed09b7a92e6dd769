"""Evaluate the gate report through regopy for a payments release and its mutations.

Each case starts from a release that passes every built-in control: a
critical payments service with all approvals, passing tests and a clean
scan. The case changes one thing and checks data.releasegate.gate.report,
evaluated with the real library and its default parameters.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import regopy
import yaml

import releasegate

LIBRARY = Path(releasegate.__file__).parent / "policy" / "rego"

CONTROLS = {"chg_1", "chg_2", "sod_1", "sod_3", "tst_1", "vul_1", "exc_1"}

NOW = "2026-12-04T20:00:00Z"
COMMIT = "4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"
OTHER_COMMIT = "0000000000000000000000000000000000000000"
DIGEST = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
FINGERPRINT = "3a5f9c1e7b2d"

PAYMENTS_CONTRIBUTIONS = [
    {"factor": "criticality", "points": 5, "reason": "criticality 0 service (payments-api) adds 5"},
    {"factor": "data_classification", "points": 2, "reason": "regulated data adds 2"},
    {"factor": "finance_process", "points": 2, "reason": "payments finance process adds 2"},
    {"factor": "finance_process", "points": 1, "reason": "reconciliation finance process adds 1"},
    {
        "factor": "regions",
        "points": 1,
        "reason": "2 regions (eu-central-1, eu-west-1) add 1 (1 per region beyond the first)",
    },
    {
        "factor": "legal_entities",
        "points": 0,
        "reason": "1 legal entity (acme-bank-eu) adds 0 (1 per legal entity beyond the first)",
    },
    {"factor": "affected_services", "points": 0, "reason": "no other services add 0 (1 per other service)"},
    {"factor": "change_type", "points": 0, "reason": "normal change adds 0"},
    {"factor": "linked_change", "points": 0, "reason": "no linked change adds 0"},
    {"factor": "timing", "points": 0, "reason": "deployment outside every freeze period adds 0"},
]


def _approval(
    approval_id: str, approver: str, role: str | None, decision: str = "approve"
) -> dict[str, Any]:
    roles = {"engineering": False, "business_control": False, "cab": False}
    if role is not None:
        roles[role] = True
    return {
        "id": approval_id,
        "approver": approver,
        "decision": decision,
        "groups": [],
        "roles": roles,
        "current": True,
        "artifact_digests": [DIGEST],
        "policy_revision": "3f2a9c",
        "created_at": "2026-12-04T18:00:00Z",
        "expires_at": "2026-12-11T18:00:00Z",
    }


def _finding(severity: str, **changes: Any) -> dict[str, Any]:
    finding = {
        "evidence_id": "ev-scan",
        "tool": "Bandit",
        "rule_id": "B602",
        "severity": severity,
        "level": "error",
        "message": "subprocess call with shell=True identified, security issue.",
        "location": "src/payments/upload.py",
        "line": 14,
        "fingerprint": FINGERPRINT,
        "cve": None,
        "suppressed": False,
    }
    finding.update(changes)
    return finding


def _exception(exception_id: str = "exc-1", **changes: Any) -> dict[str, Any]:
    exception = {
        "id": exception_id,
        "control_id": "VUL-1",
        "scope": {"service": "payments-api", "release_id": None, "finding": FINGERPRINT},
        "justification": "The shell command is a constant; no request data reaches it.",
        "compensating_controls": ["WAF rule 9411"],
        "requester": "alice",
        "approver": "erin",
        "approver_roles": {"business_control": False, "cab": True},
        "approver_groups": ["change-advisory-board"],
        "status": "approved",
        "requested_at": "2026-12-01T09:00:00Z",
        "decided_at": "2026-12-01T10:00:00Z",
        "expires_at": "2026-12-31T00:00:00Z",
    }
    exception.update(changes)
    return exception


def passing_release() -> dict[str, Any]:
    """Return the input document of a critical payments release that passes every control."""
    return {
        "now": NOW,
        "environment": "production",
        "policy": {"revision": "3f2a9c"},
        "release": {
            "id": "rel-01",
            "service": "payments-api",
            "version": "2.4.0",
            "description": "Retry settlement file uploads",
            "change_type": "normal",
            "source_commit": COMMIT,
            "source_repository": "https://git.example.com/payments/payments-api",
            "pull_request": "https://git.example.com/payments/payments-api/pull/812",
            "ticket": "CHG-4711",
            "artifacts": [{"name": "payments-api", "digest": DIGEST, "uri": None}],
            "authors": ["alice", "bob"],
            "requester": "alice",
        },
        "service": {
            "name": "payments-api",
            "title": "Payments API",
            "criticality": 0,
            "finance_processes": ["payments", "reconciliation"],
            "data_classification": "regulated",
            "regions": ["eu-west-1", "eu-central-1"],
            "legal_entities": ["acme-bank-eu"],
            "owners": {
                "engineering": "payments-engineering",
                "business_control": "payments-control-owners",
            },
        },
        "catalog": {"cab_group": "change-advisory-board"},
        "evidence": {
            "test_reports": [
                {
                    "id": "ev-tests",
                    "sha256": "0f343b0931126a20f133d67c2b018a3b4f1c2a9e8b7d6c5b4a3f2e1d0c9b8a7f",
                    "format": "junit",
                    "commit": COMMIT,
                    "tests": 12,
                    "failures": 0,
                    "errors": 0,
                    "skipped": 1,
                    "flaky": 0,
                }
            ],
            "scans": [
                {
                    "id": "ev-scan",
                    "sha256": "1c8f1e6a2f6d4b9e0a7c3d5b8e2f4a6c9d1b3e5f7a9c2e4d6f8b0a2c4e6d8f0a",
                    "format": "sarif",
                    "tools": ["Bandit"],
                    "execution_successful": True,
                    "collected_at": "2026-12-04T19:58:00Z",
                    "commit": COMMIT,
                }
            ],
            "findings": [],
        },
        "approvals": [
            _approval("apr-1", "dana", "engineering"),
            _approval("apr-2", "erin", "business_control"),
            _approval("apr-3", "frank", "cab"),
        ],
        "exceptions": [],
    }


def _interpreter(document: dict[str, Any]) -> Any:
    interpreter = regopy.Interpreter()
    interpreter.strict_built_in_errors = True
    for path in sorted(LIBRARY.rglob("*.rego")):
        if not path.name.endswith("_test.rego"):
            interpreter.add_module(str(path.relative_to(LIBRARY)), path.read_text(encoding="utf-8"))
    params = yaml.safe_load((LIBRARY / "params.yaml").read_text(encoding="utf-8"))
    interpreter.add_data_json(json.dumps({"releasegate": {"params": params}}))
    interpreter.set_input_term(json.dumps(document))
    return interpreter


@cache
def _compiled_report() -> tuple[Any, Any]:
    # One compiled bundle for every case, as the engine compiles once per
    # policy revision: compiling the whole library for each query took most
    # of this file's run time.
    interpreter = _interpreter({})
    bundle = interpreter.build("data.releasegate.gate.report", ["releasegate/gate/report"])
    return interpreter, bundle


def gate_report(document: dict[str, Any]) -> dict[str, Any]:
    interpreter, bundle = _compiled_report()
    interpreter.set_input_term(json.dumps(document))
    output = interpreter.query_bundle_entrypoint(bundle, "releasegate/gate/report")
    assert output.ok(), f"the gate query failed: {output}"
    text = str(output)
    assert text != "undefined", "the gate report is undefined"
    report: dict[str, Any] = json.loads(text)["expressions"][0]
    return report


def mutated(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document = passing_release()
    change(document)
    return document


def violations(report: dict[str, Any], control: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = report["controls"][control]["violations"]
    return result


def messages(report: dict[str, Any], control: str) -> list[str]:
    return [violation["msg"] for violation in violations(report, control)]


def failing_controls(report: dict[str, Any]) -> set[str]:
    # Only the controls this file covers: the others read evidence this
    # release does not carry (see test_controls_library.py).
    return {
        name
        for name, entry in report["controls"].items()
        if name in CONTROLS
        and any("waived_by" not in violation for violation in entry["violations"])
    }


# The passing release and the risk tiers.


def test_passing_release_passes_every_control() -> None:
    report = gate_report(passing_release())
    assert set(report["controls"]) >= CONTROLS
    for name in CONTROLS:
        assert report["controls"][name] == {"applicable": True, "violations": []}, name


def test_payments_release_is_critical() -> None:
    report = gate_report(passing_release())
    assert report["risk"] == {
        "tier": "critical",
        "score": 11,
        "contributions": PAYMENTS_CONTRIBUTIONS,
    }


def _reporting_portal(document: dict[str, Any]) -> None:
    document["release"]["service"] = "reporting-portal"
    document["service"] = {
        "name": "reporting-portal",
        "title": "Internal reporting portal",
        "criticality": 3,
        "finance_processes": ["reporting"],
        "data_classification": "internal",
        "regions": ["eu-west-1"],
        "legal_entities": ["acme-group"],
        "owners": {"engineering": "reporting-engineering", "business_control": "finance-control"},
    }
    document["approvals"] = []


def test_reporting_portal_is_low() -> None:
    report = gate_report(mutated(_reporting_portal))
    assert report["risk"]["tier"] == "low"
    assert report["risk"]["score"] == 1
    assert report["risk"]["contributions"][0] == {
        "factor": "criticality",
        "points": 0,
        "reason": "criticality 3 service (reporting-portal) adds 0",
    }


def test_reporting_portal_needs_no_approval() -> None:
    report = gate_report(mutated(_reporting_portal))
    assert failing_controls(report) == set()


def test_emergency_change_adds_risk() -> None:
    def emergency_portal(document: dict[str, Any]) -> None:
        _reporting_portal(document)
        document["release"]["change_type"] = "emergency"

    report = gate_report(mutated(emergency_portal))
    assert report["risk"]["tier"] == "medium"
    assert report["risk"]["score"] == 4
    assert {"factor": "change_type", "points": 3, "reason": "emergency change adds 3"} in report[
        "risk"
    ]["contributions"]


def test_risk_null_without_catalog_entry() -> None:
    report = gate_report(mutated(lambda d: d.update(service=None)))
    assert report["risk"] is None


# CHG-1: the release record is complete.


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda d: d.update(service=None),
            "service payments-api is not in the service catalog",
            id="service-not-in-catalog",
        ),
        pytest.param(
            lambda d: d["release"].pop("service"), "the release names no service", id="no-service"
        ),
        pytest.param(
            lambda d: d["release"].update(version=""), "the release has no version", id="no-version"
        ),
        pytest.param(
            lambda d: d["release"].update(artifacts=[]),
            "the release has no artifact digest",
            id="no-artifacts",
        ),
        pytest.param(
            lambda d: d["release"].update(artifacts=[{"name": "payments-api", "digest": None}]),
            "the release has no artifact digest",
            id="artifact-without-digest",
        ),
        pytest.param(
            lambda d: d["release"].update(description=" "),
            "the release has no description",
            id="no-description",
        ),
        pytest.param(
            lambda d: d["release"].update(change_type=None),
            "the release has no change type",
            id="no-change-type",
        ),
        pytest.param(
            lambda d: d["release"].update(change_type="urgent"),
            "change type urgent is not one of standard, normal, emergency",
            id="unknown-change-type",
        ),
    ],
)
def test_chg_1_fails(change: Callable[[dict[str, Any]], None], expected: str) -> None:
    report = gate_report(mutated(change))
    assert messages(report, "chg_1") == [expected]


def test_chg_1_missing_source_commit() -> None:
    report = gate_report(mutated(lambda d: d["release"].update(source_commit=None)))
    assert messages(report, "chg_1") == ["the release has no source commit"]
    assert messages(report, "tst_1") == [
        "the release names no source commit, so no test report can be matched to it"
    ]


# CHG-2: a risk tier was computed and explained.


def test_chg_2_fails_without_catalog_entry() -> None:
    report = gate_report(mutated(lambda d: d.update(service=None)))
    assert messages(report, "chg_2") == [
        "no risk tier was computed: service payments-api is not in the service catalog"
    ]


def test_chg_2_fails_for_unknown_classification() -> None:
    report = gate_report(mutated(lambda d: d["service"].update(data_classification="secret")))
    assert messages(report, "chg_2") == [
        "no risk tier was computed: params risk.data_classification_points has no number for secret"
    ]
    assert report["risk"] is None


def test_chg_2_fails_for_unknown_criticality() -> None:
    report = gate_report(mutated(lambda d: d["service"].update(criticality=7)))
    assert messages(report, "chg_2") == [
        "no risk tier was computed: params risk.criticality_points has no number for criticality 7"
    ]


def test_chg_2_records_every_contribution() -> None:
    report = gate_report(passing_release())
    assert messages(report, "chg_2") == []
    assert all(part["factor"] and part["reason"] for part in report["risk"]["contributions"])


# SOD-1: no approver wrote or requested the release.


def test_sod_1_author_approval() -> None:
    report = gate_report(
        mutated(lambda d: d["approvals"].append(_approval("apr-9", "bob", "engineering")))
    )
    assert messages(report, "sod_1") == [
        "bob approved the release but is an author of the release (approval apr-9)"
    ]


def test_sod_1_requester_approval() -> None:
    def requester_approves(document: dict[str, Any]) -> None:
        document["release"]["requester"] = "carol"
        document["approvals"].append(_approval("apr-9", "carol", None))

    report = gate_report(mutated(requester_approves))
    assert messages(report, "sod_1") == [
        "carol approved the release but is the requester of the release (approval apr-9)"
    ]


def test_sod_1_author_and_requester_approval() -> None:
    report = gate_report(
        mutated(lambda d: d["approvals"].append(_approval("apr-9", "alice", "engineering")))
    )
    assert messages(report, "sod_1") == [
        "alice approved the release but is an author and the requester of the release "
        "(approval apr-9)"
    ]


def test_sod_1_one_violation_per_approval() -> None:
    def two_authors_approve(document: dict[str, Any]) -> None:
        document["approvals"].append(_approval("apr-8", "alice", None))
        document["approvals"].append(_approval("apr-9", "bob", None))

    report = gate_report(mutated(two_authors_approve))
    assert len(messages(report, "sod_1")) == 2


def test_sod_1_ignores_stale_approval() -> None:
    def stale_author_approval(document: dict[str, Any]) -> None:
        approval = _approval("apr-9", "bob", None)
        approval["current"] = False
        document["approvals"].append(approval)

    report = gate_report(mutated(stale_author_approval))
    assert messages(report, "sod_1") == []


# SOD-3: the approvals the risk tier requires.


def _drop_approval(approval_id: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["approvals"] = [a for a in document["approvals"] if a["id"] != approval_id]

    return change


def test_sod_3_missing_cab_is_pending() -> None:
    report = gate_report(mutated(_drop_approval("apr-3")))
    assert violations(report, "sod_3") == [
        {
            "msg": "a critical release needs 3 approvers who hold an approval role and are "
            "neither authors nor the requester, and has 2",
            "pending": True,
        },
        {
            "msg": "a critical release needs an approval from a change advisory board (CAB) member",
            "pending": True,
        },
    ]


def test_sod_3_no_approvals_is_pending() -> None:
    report = gate_report(mutated(lambda d: d.update(approvals=[])))
    assert all(violation["pending"] is True for violation in violations(report, "sod_3"))
    assert len(violations(report, "sod_3")) == 4


def test_sod_3_stale_approval_does_not_count() -> None:
    report = gate_report(mutated(lambda d: d["approvals"][2].update(current=False)))
    assert [v["pending"] for v in violations(report, "sod_3")] == [True, True]


def test_sod_3_author_approval_does_not_count() -> None:
    def author_instead_of_cab(document: dict[str, Any]) -> None:
        document["approvals"][2]["approver"] = "bob"

    report = gate_report(mutated(author_instead_of_cab))
    assert len(violations(report, "sod_3")) == 2
    assert messages(report, "sod_1") == [
        "bob approved the release but is an author of the release (approval apr-3)"
    ]


def test_sod_3_rejection_is_not_pending() -> None:
    report = gate_report(
        mutated(lambda d: d["approvals"].append(_approval("apr-4", "gina", None, "reject")))
    )
    assert violations(report, "sod_3") == [{"msg": "rejected by gina (approval apr-4)"}]


def test_sod_3_author_rejection_ignored() -> None:
    report = gate_report(
        mutated(lambda d: d["approvals"].append(_approval("apr-4", "bob", None, "reject")))
    )
    assert violations(report, "sod_3") == []


def _high_tier_service(document: dict[str, Any]) -> None:
    document["service"].update(
        criticality=1, data_classification="confidential", finance_processes=["invoicing"]
    )


def test_sod_3_high_tier_needs_two_roles() -> None:
    def high_tier_engineering_only(document: dict[str, Any]) -> None:
        _high_tier_service(document)
        document["approvals"] = [_approval("apr-1", "dana", "engineering")]

    report = gate_report(mutated(high_tier_engineering_only))
    assert report["risk"]["tier"] == "high"
    assert report["risk"]["score"] == 6
    assert violations(report, "sod_3") == [
        {
            "msg": "a high release needs 2 approvers who hold an approval role and are neither "
            "authors nor the requester, and has 1",
            "pending": True,
        },
        {"msg": "a high release needs an approval from a business control owner", "pending": True},
    ]


def test_sod_3_high_tier_passes_without_cab() -> None:
    def high_tier_without_cab(document: dict[str, Any]) -> None:
        _high_tier_service(document)
        _drop_approval("apr-3")(document)

    report = gate_report(mutated(high_tier_without_cab))
    assert violations(report, "sod_3") == []


def test_sod_3_fails_without_risk_tier() -> None:
    report = gate_report(mutated(lambda d: d.update(service=None)))
    assert violations(report, "sod_3") == [
        {"msg": "no risk tier was computed, so the required approvals cannot be determined"}
    ]


# TST-1: passing tests for the release's commit.


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda d: d["evidence"].update(test_reports=[]), "no test report attached", id="none"
        ),
        pytest.param(
            lambda d: d["evidence"]["test_reports"][0].update(commit=None),
            "test report ev-tests names no source commit",
            id="no-commit",
        ),
        pytest.param(
            lambda d: d["evidence"]["test_reports"][0].update(commit=OTHER_COMMIT),
            f"test report ev-tests is for commit {OTHER_COMMIT}, "
            f"not the release's source commit {COMMIT}",
            id="other-commit",
        ),
        pytest.param(
            lambda d: d["evidence"]["test_reports"][0].update(failures=2),
            "test report ev-tests records 2 failed and 0 errored tests",
            id="failures",
        ),
        pytest.param(
            lambda d: d["evidence"]["test_reports"][0].update(errors=1),
            "test report ev-tests records 0 failed and 1 errored tests",
            id="errors",
        ),
        pytest.param(
            lambda d: d["evidence"]["test_reports"][0].update(tests=0),
            "the attached test reports contain no tests",
            id="no-tests",
        ),
        pytest.param(
            lambda d: d["evidence"]["test_reports"][0].update(tests="12"),
            "test report ev-tests has no number of tests",
            id="count-not-a-number",
        ),
    ],
)
def test_tst_1_fails(change: Callable[[dict[str, Any]], None], expected: str) -> None:
    report = gate_report(mutated(change))
    assert messages(report, "tst_1") == [expected]


def test_tst_1_second_report_for_other_commit() -> None:
    def add_stale_report(document: dict[str, Any]) -> None:
        stale = copy.deepcopy(document["evidence"]["test_reports"][0])
        stale.update(id="ev-old", commit=OTHER_COMMIT)
        document["evidence"]["test_reports"].append(stale)

    report = gate_report(mutated(add_stale_report))
    assert messages(report, "tst_1") == [
        f"test report ev-old is for commit {OTHER_COMMIT}, not the release's source commit {COMMIT}"
    ]


# VUL-1: no blocking vulnerability and a complete scan.

HIGH_FINDING_MESSAGE = (
    "Bandit finding B602 (high) at src/payments/upload.py:14 "
    "is at or above the blocking severity high"
)


def _add_finding(finding: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["evidence"]["findings"].append(finding)

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda d: d["evidence"].update(scans=[]), "no vulnerability scan attached", id="no-scan"
        ),
        pytest.param(
            lambda d: d["evidence"]["scans"][0].update(execution_successful=False),
            "scan ev-scan (Bandit) reports that the tool did not complete",
            id="scan-failed",
        ),
        pytest.param(
            lambda d: d["evidence"]["scans"][0].update(execution_successful=None),
            "scan ev-scan (Bandit) does not show whether the tool completed, "
            "so its findings cannot be trusted",
            id="scan-completion-unknown",
        ),
    ],
)
def test_vul_1_scan_fails(change: Callable[[dict[str, Any]], None], expected: str) -> None:
    report = gate_report(mutated(change))
    assert messages(report, "vul_1") == [expected]


def test_vul_1_high_finding_blocks_criticality_0() -> None:
    report = gate_report(mutated(_add_finding(_finding("high"))))
    assert violations(report, "vul_1") == [
        {"msg": HIGH_FINDING_MESSAGE, "key": FINGERPRINT, "keys": [FINGERPRINT, "B602"]}
    ]


def test_vul_1_medium_finding_passes() -> None:
    report = gate_report(mutated(_add_finding(_finding("medium"))))
    assert violations(report, "vul_1") == []


def test_vul_1_high_finding_passes_criticality_2() -> None:
    def criticality_2_with_high(document: dict[str, Any]) -> None:
        document["service"]["criticality"] = 2
        _add_finding(_finding("high"))(document)

    report = gate_report(mutated(criticality_2_with_high))
    assert violations(report, "vul_1") == []


def test_vul_1_unknown_severity_blocks() -> None:
    def criticality_3_with_unknown(document: dict[str, Any]) -> None:
        document["service"]["criticality"] = 3
        _add_finding(_finding("unknown"))(document)

    report = gate_report(mutated(criticality_3_with_unknown))
    assert messages(report, "vul_1") == [
        "Bandit finding B602 (unknown) at src/payments/upload.py:14 "
        "has no known severity, which blocks"
    ]


def test_vul_1_suppressed_finding_still_blocks() -> None:
    report = gate_report(mutated(_add_finding(_finding("high", suppressed=True))))
    assert messages(report, "vul_1") == [
        HIGH_FINDING_MESSAGE + " (marked suppressed in the scan report, which does not waive it)"
    ]


def test_vul_1_keys_include_cve() -> None:
    finding = _finding(
        "critical",
        tool="Trivy",
        rule_id="CVE-2026-1234",
        cve="CVE-2026-1234",
        location="requirements.txt",
        line=None,
    )
    report = gate_report(mutated(_add_finding(finding)))
    assert violations(report, "vul_1") == [
        {
            "msg": "Trivy finding CVE-2026-1234 (critical) at requirements.txt "
            "is at or above the blocking severity high",
            "key": FINGERPRINT,
            "keys": [FINGERPRINT, "CVE-2026-1234"],
        }
    ]


# EXC-1: exceptions in scope are valid.


def _with_exception(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["exceptions"].append(_exception(**changes))

    return change


def test_exc_1_valid_exception_passes() -> None:
    report = gate_report(mutated(_with_exception()))
    assert messages(report, "exc_1") == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"approver": "alice"},
            "exception exc-1 for VUL-1 is invalid: it was approved by its own requester alice "
            "(segregation of duties)",
            id="self-approved",
        ),
        pytest.param(
            {"approver": None},
            "exception exc-1 for VUL-1 is invalid: it has no approver",
            id="no-approver",
        ),
        pytest.param(
            {"justification": ""},
            "exception exc-1 for VUL-1 is invalid: it has no justification",
            id="no-justification",
        ),
        pytest.param(
            {"compensating_controls": []},
            "exception exc-1 for VUL-1 is invalid: it names no compensating controls",
            id="no-compensating-controls",
        ),
        pytest.param(
            {"requested_at": "2026-08-01T00:00:00Z", "expires_at": "2026-12-30T12:00:00Z"},
            "exception exc-1 for VUL-1 is invalid: it lasts 151.5 days from request to expiry, "
            "longer than the maximum of 90 days",
            id="over-long",
        ),
        pytest.param(
            {"control_id": "SOD-1", "scope": {"service": "payments-api", "release_id": None}},
            "exception exc-1 for SOD-1 is invalid: it targets SOD-1, which no exception may waive",
            id="non-waivable",
        ),
    ],
)
def test_exc_1_fails(changes: dict[str, Any], expected: str) -> None:
    report = gate_report(mutated(_with_exception(**changes)))
    assert messages(report, "exc_1") == [expected]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"expires_at": "2026-12-04T19:00:00Z"}, id="expired"),
        pytest.param({"status": "requested"}, id="not-approved"),
        pytest.param(
            {"scope": {"service": "payments-api", "release_id": "rel-02", "finding": None}},
            id="other-release",
        ),
        pytest.param({"scope": {"service": "ledger-api", "finding": None}}, id="other-service"),
    ],
)
def test_exc_1_ignores_inactive_exception(changes: dict[str, Any]) -> None:
    # The exception is also self-approved, so it would fail EXC-1 if it counted.
    report = gate_report(mutated(_with_exception(approver="alice", **changes)))
    assert messages(report, "exc_1") == []


# Waivers: the gate marks violations covered by a valid exception.


@pytest.mark.parametrize(
    "finding",
    [
        pytest.param(FINGERPRINT, id="fingerprint"),
        pytest.param("B602", id="rule-id"),
        pytest.param(None, id="whole-control"),
    ],
)
def test_valid_exception_waives(finding: str | None) -> None:
    def high_finding_with_exception(document: dict[str, Any]) -> None:
        _add_finding(_finding("high"))(document)
        scope = {"service": "payments-api", "release_id": None, "finding": finding}
        _with_exception(scope=scope)(document)

    report = gate_report(mutated(high_finding_with_exception))
    assert violations(report, "vul_1") == [
        {
            "msg": HIGH_FINDING_MESSAGE,
            "key": FINGERPRINT,
            "keys": [FINGERPRINT, "B602"],
            "waived_by": "exc-1",
        }
    ]
    assert failing_controls(report) == set()


def test_exception_naming_cve_waives() -> None:
    def cve_with_exception(document: dict[str, Any]) -> None:
        _add_finding(_finding("critical", cve="CVE-2026-1234"))(document)
        scope = {"service": "payments-api", "release_id": "rel-01", "finding": "CVE-2026-1234"}
        _with_exception(scope=scope)(document)

    report = gate_report(mutated(cve_with_exception))
    assert [v.get("waived_by") for v in violations(report, "vul_1")] == ["exc-1"]


@pytest.mark.parametrize(
    ("changes", "exc_1_messages"),
    [
        pytest.param(
            {"approver": "alice"},
            [
                "exception exc-1 for VUL-1 is invalid: it was approved by its own requester alice "
                "(segregation of duties)"
            ],
            id="self-approved",
        ),
        pytest.param({"expires_at": "2026-12-04T19:59:59Z"}, [], id="expired"),
        pytest.param(
            {"requested_at": "2026-08-01T00:00:00Z"},
            [
                "exception exc-1 for VUL-1 is invalid: it lasts 152 days from request to "
                "expiry, longer than the maximum of 90 days"
            ],
            id="over-long",
        ),
        pytest.param(
            {"scope": {"service": "payments-api", "release_id": "rel-02", "finding": FINGERPRINT}},
            [],
            id="out-of-scope",
        ),
        pytest.param(
            {"scope": {"service": "payments-api", "release_id": None, "finding": "B105"}},
            [],
            id="wrong-finding",
        ),
        pytest.param({"control_id": "TST-1"}, [], id="other-control"),
    ],
)
def test_exception_does_not_waive(changes: dict[str, Any], exc_1_messages: list[str]) -> None:
    def high_finding_with_exception(document: dict[str, Any]) -> None:
        _add_finding(_finding("high"))(document)
        _with_exception(**changes)(document)

    report = gate_report(mutated(high_finding_with_exception))
    assert violations(report, "vul_1") == [
        {"msg": HIGH_FINDING_MESSAGE, "key": FINGERPRINT, "keys": [FINGERPRINT, "B602"]}
    ]
    assert messages(report, "exc_1") == exc_1_messages
    assert "vul_1" in failing_controls(report)


def test_non_waivable_control_not_waived() -> None:
    def author_approval_with_exception(document: dict[str, Any]) -> None:
        document["approvals"].append(_approval("apr-9", "bob", None))
        scope = {"service": "payments-api", "release_id": None, "finding": None}
        _with_exception(control_id="SOD-1", scope=scope)(document)

    report = gate_report(mutated(author_approval_with_exception))
    assert violations(report, "sod_1") == [
        {"msg": "bob approved the release but is an author of the release (approval apr-9)"}
    ]
    assert messages(report, "exc_1") == [
        "exception exc-1 for SOD-1 is invalid: it targets SOD-1, which no exception may waive"
    ]
    assert failing_controls(report) == {"sod_1", "exc_1"}


def test_control_wide_waiver_for_tests() -> None:
    def failing_tests_with_exception(document: dict[str, Any]) -> None:
        document["evidence"]["test_reports"][0]["failures"] = 1
        scope = {"service": "payments-api", "release_id": "rel-01", "finding": None}
        _with_exception(control_id="TST-1", scope=scope)(document)

    report = gate_report(mutated(failing_tests_with_exception))
    assert violations(report, "tst_1") == [
        {"msg": "test report ev-tests records 1 failed and 0 errored tests", "waived_by": "exc-1"}
    ]


# A built-in error makes the query output an error, which releasegate reads
# as a denial, instead of a report in which the control passes.


def _query_output(document: dict[str, Any]) -> Any:
    return _interpreter(document).query("data.releasegate.gate.report")


def test_string_criticality_is_engine_error() -> None:
    output = _query_output(mutated(lambda d: d["service"].update(criticality="0")))
    assert not output.ok()


def test_malformed_timestamp_is_engine_error() -> None:
    document = mutated(_with_exception())
    document["now"] = "yesterday"
    assert not _query_output(document).ok()


def test_string_failure_count_is_not_a_pass() -> None:
    report = gate_report(mutated(lambda d: d["evidence"]["test_reports"][0].update(failures="3")))
    assert messages(report, "tst_1") == ["test report ev-tests has no number of failures"]
