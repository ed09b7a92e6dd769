"""Terraform plan normalization and the infrastructure guardrails run on it through Rego."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from releasegate.analysis.terraform import parse_plan
from releasegate.evidence.interface import EvidenceError
from releasegate.model.decision import ControlResult
from releasegate.model.service import Service
from releasegate.policy.layers import PolicySet
from releasegate.service.analysis import builtin_policy, evaluate_controls

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "tfplan"
NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
SERVICE = Service.model_validate(
    {
        "name": "payments-api",
        "title": "Payments API",
        "criticality": 0,
        "data_classification": "regulated",
        "regions": ["eu-west-1"],
        "owners": {"engineering": "payments-engineering", "business_control": "payments-control"},
    }
)
TAGS = {"cost-centre": "CC-4711", "owner": "payments-engineering", "environment": "production"}
KMS = "arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-111122223333"


def _change(
    address: str,
    after: dict[str, Any],
    *,
    unknown: dict[str, Any] | None = None,
    actions: tuple[str, ...] = ("create",),
) -> dict[str, Any]:
    type_, name = address.split(".")
    return {
        "address": address,
        "mode": "managed",
        "type": type_,
        "name": name,
        "change": {
            "actions": list(actions),
            "before": None,
            "after": after,
            "after_unknown": unknown or {},
        },
    }


def _config(address: str, references: dict[str, list[str]] | None = None) -> dict[str, Any]:
    type_, name = address.split(".")
    return {
        "address": address,
        "mode": "managed",
        "type": type_,
        "name": name,
        "provider_config_key": "aws",
        "expressions": {key: {"references": refs} for key, refs in (references or {}).items()},
    }


def compliant_plan() -> dict[str, Any]:
    """A plan of every guarded resource kind, each set up to pass."""
    bucket_ref = {"bucket": ["aws_s3_bucket.settlements.id", "aws_s3_bucket.settlements"]}
    changes = [
        _change(
            "aws_s3_bucket.settlements",
            {"bucket": "acme-settlements", "tags": {}},
            unknown={"region": True, "acl": True, "server_side_encryption_configuration": True},
        ),
        _change(
            "aws_s3_bucket_server_side_encryption_configuration.settlements",
            {
                "rule": [
                    {
                        "apply_server_side_encryption_by_default": [
                            {"sse_algorithm": "aws:kms", "kms_master_key_id": KMS}
                        ]
                    }
                ]
            },
            unknown={"bucket": True},
        ),
        _change(
            "aws_s3_bucket_public_access_block.settlements",
            {
                "block_public_acls": True,
                "block_public_policy": True,
                "ignore_public_acls": True,
                "restrict_public_buckets": True,
            },
            unknown={"bucket": True},
        ),
        _change(
            "aws_s3_bucket_versioning.settlements",
            {"versioning_configuration": [{"status": "Enabled"}]},
            unknown={"bucket": True},
        ),
        _change(
            "aws_s3_bucket_lifecycle_configuration.settlements",
            {"rule": [{"noncurrent_version_expiration": [{"noncurrent_days": 35}]}]},
            unknown={"bucket": True},
        ),
        _change(
            "aws_db_instance.ledger",
            {
                "storage_encrypted": True,
                "kms_key_id": KMS,
                "publicly_accessible": False,
                "backup_retention_period": 14,
                "enabled_cloudwatch_logs_exports": ["postgresql"],
                "tags": {},
            },
        ),
        _change(
            "aws_cloudtrail.audit",
            {
                "enable_logging": True,
                "enable_log_file_validation": True,
                "is_multi_region_trail": True,
                "tags": {},
            },
        ),
        _change(
            "aws_security_group.web",
            {
                "ingress": [
                    {
                        "cidr_blocks": ["0.0.0.0/0"],
                        "ipv6_cidr_blocks": [],
                        "from_port": 443,
                        "to_port": 443,
                        "protocol": "tcp",
                    }
                ],
                "tags": {},
            },
        ),
        _change(
            "aws_lb_listener.https",
            {
                "protocol": "HTTPS",
                "port": 443,
                "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                "tags": {},
            },
        ),
        _change(
            "aws_iam_role_policy_attachment.reader",
            {"role": "settlement-reader", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        ),
        _change("aws_cloudwatch_log_group.app", {"retention_in_days": 365, "tags": {}}),
    ]
    config = [
        _config(c["address"], bucket_ref if "aws_s3_bucket_" in c["address"] else None)
        for c in changes
    ]
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "expressions": {
                        "region": {"constant_value": "eu-west-1"},
                        "default_tags": [{"tags": {"constant_value": TAGS}}],
                    },
                }
            },
            "root_module": {"resources": config},
        },
        "complete": True,
        "errored": False,
    }


def _normalized(plan: dict[str, Any]) -> dict[str, Any]:
    report = parse_plan(json.dumps(plan).encode(), source="plan.json")
    return {**report.model_dump(mode="json"), "id": "ev-plan"}


@cache
def _policy() -> PolicySet:
    return builtin_policy()


def guardrails(plan: dict[str, Any]) -> dict[str, ControlResult]:
    results = evaluate_controls(
        _policy(),
        evidence={"iac_plans": [_normalized(plan)]},
        service=SERVICE,
        environment="production",
        now=NOW,
        prefix="IAC-",
    ).results
    return {result.control_id: result for result in results}


def _messages(result: ControlResult) -> list[str]:
    return [violation.msg for violation in result.violations]


def _after(address: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def find(plan: dict[str, Any]) -> dict[str, Any]:
        change = next(c for c in plan["resource_changes"] if c["address"] == address)
        return change["change"]["after"]  # type: ignore[no-any-return]

    return find


def test_compliant_plan_passes_every_guardrail() -> None:
    results = guardrails(compliant_plan())
    assert {cid: r.outcome.value for cid, r in results.items()} == {
        f"IAC-{n}": "pass" for n in range(1, 10)
    }, {cid: _messages(r) for cid, r in results.items()}


def _set(address: str, **values: Any) -> Callable[[dict[str, Any]], None]:
    def change(plan: dict[str, Any]) -> None:
        _after(address)(plan).update(values)

    return change


def _region(plan: dict[str, Any]) -> None:
    plan["configuration"]["provider_config"]["aws"]["expressions"]["region"] = {
        "constant_value": "us-east-1"
    }


def _no_default_tags(plan: dict[str, Any]) -> None:
    del plan["configuration"]["provider_config"]["aws"]["expressions"]["default_tags"]


# One failing case per guardrail, each a single change to the compliant plan.
GUARDRAIL_FAILURES = [
    (
        "IAC-1",
        _set("aws_db_instance.ledger", storage_encrypted=False),
        "aws_db_instance.ledger (aws_db_instance) is not encrypted at rest",
    ),
    (
        "IAC-2",
        _set("aws_lb_listener.https", ssl_policy="ELBSecurityPolicy-2016-08"),
        "aws_lb_listener.https (aws_lb_listener) accepts TLS versions from TLS 1",
    ),
    ("IAC-3", _region, "runs in region us-east-1"),
    (
        "IAC-4",
        _set(
            "aws_security_group.web",
            ingress=[
                {"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": 22, "protocol": "tcp"}
            ],
        ),
        "aws_security_group.web (aws_security_group) opens port 22 to 0.0.0.0/0",
    ),
    (
        "IAC-5",
        _set("aws_db_instance.ledger", backup_retention_period=0),
        "aws_db_instance.ledger (aws_db_instance) has no backups enabled",
    ),
    (
        "IAC-6",
        _set("aws_cloudtrail.audit", enable_log_file_validation=False),
        "aws_cloudtrail.audit (aws_cloudtrail) writes its audit log where it can be changed or deleted",
    ),
    ("IAC-7", _no_default_tags, "lacks the tags cost-centre, environment, owner"),
    (
        "IAC-8",
        _set(
            "aws_iam_role_policy_attachment.reader",
            policy_arn="arn:aws:iam::aws:policy/AdministratorAccess",
        ),
        "attaches admin policy AdministratorAccess",
    ),
    ("IAC-9", _set("aws_cloudwatch_log_group.app", retention_in_days=7), "keeps logs for 7 days"),
]


@pytest.mark.parametrize(
    ("control", "change", "expected"),
    GUARDRAIL_FAILURES,
    ids=[case[0] for case in GUARDRAIL_FAILURES],
)
def test_guardrail_fails_on_its_own(
    control: str, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    plan = copy.deepcopy(compliant_plan())
    change(plan)
    results = guardrails(plan)
    failing = {cid for cid, r in results.items() if r.outcome.value != "pass"}
    assert failing == {control}, {cid: _messages(results[cid]) for cid in failing}
    assert any(expected in message for message in _messages(results[control])), _messages(
        results[control]
    )


def test_unknown_value_blocks_as_unknown_until_apply() -> None:
    plan = copy.deepcopy(compliant_plan())
    db = next(c for c in plan["resource_changes"] if c["address"] == "aws_db_instance.ledger")
    db["change"]["after"].pop("kms_key_id")
    db["change"]["after_unknown"] = {"kms_key_id": True}
    results = guardrails(plan)
    assert results["IAC-1"].outcome.value == "fail"
    assert results["IAC-1"].blocking is True
    assert _messages(results["IAC-1"]) == [
        "aws_db_instance.ledger (aws_db_instance): encryption.key_type is unknown until apply "
        "(plan ev-plan), so it cannot be shown to pass; make the value known at plan time"
    ]


def test_unknown_policy_document_blocks_iam_guardrail() -> None:
    plan = copy.deepcopy(compliant_plan())
    plan["resource_changes"].append(
        _change("aws_iam_role_policy.inline", {"role": "x"}, unknown={"policy": True})
    )
    results = guardrails(plan)
    assert _messages(results["IAC-8"]) == [
        "aws_iam_role_policy.inline (aws_iam_role_policy): iam is unknown until apply "
        "(plan ev-plan), so it cannot be shown to pass; make the value known at plan time"
    ]


def test_companion_resources_fold_into_the_bucket() -> None:
    bucket = _normalized(compliant_plan())["resources"][0]
    assert bucket["address"] == "aws_s3_bucket.settlements"
    assert bucket["encryption"] == {"at_rest": True, "key_type": "customer_managed"}
    assert bucket["public"] is False
    assert bucket["backup"] == {"enabled": True, "retention_days": 35}
    assert bucket["tags"] == TAGS
    assert bucket["region"] == "eu-west-1"
    assert bucket["unknown"] == []


def test_actions_are_normalized() -> None:
    plan = compliant_plan()
    plan["resource_changes"] = [
        _change("aws_s3_bucket.a", {"tags": {}}, actions=("delete", "create")),
        _change("aws_s3_bucket.b", {"tags": {}}, actions=("no-op",)),
        {
            **_change("aws_s3_bucket.c", {}, actions=("delete",)),
            "change": {"actions": ["delete"], "before": {"bucket": "c"}, "after": None},
        },
        {
            "address": "data.aws_region.current",
            "mode": "data",
            "type": "aws_region",
            "name": "current",
            "change": {"actions": ["read"], "after": {}},
        },
    ]
    resources = _normalized(plan)["resources"]
    assert [(r["address"], r["action"]) for r in resources] == [
        ("aws_s3_bucket.a", "replace"),
        ("aws_s3_bucket.b", "no-op"),
        ("aws_s3_bucket.c", "delete"),
    ]


def test_empty_list_null_and_absent_read_the_same() -> None:
    plans = []
    for logs in ([], None, "absent"):
        plan = copy.deepcopy(compliant_plan())
        after = _after("aws_db_instance.ledger")(plan)
        if logs == "absent":
            del after["enabled_cloudwatch_logs_exports"]
        else:
            after["enabled_cloudwatch_logs_exports"] = logs
        plans.append(
            next(r for r in _normalized(plan)["resources"] if r["type"] == "aws_db_instance")
        )
    assert plans[0] == plans[1] == plans[2]
    assert plans[0]["audit_log"]["enabled"] is False


def test_unknown_action_is_rejected() -> None:
    plan = compliant_plan()
    plan["resource_changes"][0]["change"]["actions"] = ["teleport"]
    with pytest.raises(
        EvidenceError, match=r"resource_changes\[0\].change.actions: unknown action list"
    ):
        parse_plan(json.dumps(plan).encode(), source="plan.json")


def test_errored_plan_is_incomplete_and_fails_every_guardrail() -> None:
    plan = compliant_plan()
    plan["errored"] = True
    results = guardrails(plan)
    assert all(r.outcome.value == "fail" for r in results.values())
    assert "is not complete" in _messages(results["IAC-1"])[0]


# Corpus: each plan with what the normalizer makes of it, or its rejection.


def _corpus(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} is absent; the shared corpus is not checked out here")
    return path.read_bytes()


@pytest.mark.corpus
def test_corpus_state_document_is_rejected() -> None:
    with pytest.raises(
        EvidenceError, match="not a Terraform plan: the document is a Terraform state"
    ):
        parse_plan(_corpus("checkov__plan_corrupted-tfplan.json"), source="corrupted.json")


@pytest.mark.corpus
def test_corpus_forgotten_bucket_is_not_checked() -> None:
    report = parse_plan(_corpus("checkov__plan_forget_action_tfplan.json"), source="forget.json")
    assert report.complete is True
    assert [(r["address"], r["action"]) for r in report.resources] == [
        ("aws_s3_bucket.forgotten", "forget")
    ]
    document = {**report.model_dump(mode="json"), "id": "ev-plan"}
    results = evaluate_controls(
        _policy(),
        evidence={"iac_plans": [document]},
        service=SERVICE,
        environment="production",
        now=NOW,
        prefix="IAC-",
    ).results
    assert {r.control_id: r.outcome.value for r in results} == {
        f"IAC-{n}": "pass" for n in range(1, 10)
    }


@pytest.mark.corpus
def test_corpus_replaced_secret() -> None:
    report = parse_plan(
        _corpus("checkov__plan_with_deleted_resources_tfplan.json"), source="deleted.json"
    )
    [secret] = report.resources
    assert secret["action"] == "replace"
    assert secret["category"] == "secret"
    assert secret["encryption"] == {"at_rest": True, "key_type": "provider_managed"}
    document = {**report.model_dump(mode="json"), "id": "ev-plan"}
    results = {
        r.control_id: r
        for r in evaluate_controls(
            _policy(),
            evidence={"iac_plans": [document]},
            service=SERVICE,
            environment="production",
            now=NOW,
            prefix="IAC-",
        ).results
    }
    # us-west-2 is outside the approved regions of regulated data; the
    # secret carries no cost tags, which IAC-7 reports without blocking.
    assert {cid for cid, r in results.items() if r.outcome.value != "pass"} == {"IAC-3", "IAC-7"}
    assert "runs in region us-west-2" in _messages(results["IAC-3"])[0]


@pytest.mark.corpus
def test_corpus_trivy_plan_blocks_on_unknown_values() -> None:
    report = parse_plan(_corpus("trivy__tfjson-plan.json"), source="trivy.json")
    by_address = {r["address"]: r for r in report.resources}
    assert set(by_address) == {
        "aws_s3_bucket.planbucket",
        "aws_s3_bucket_server_side_encryption_configuration.example",
        "aws_security_group.sg",
    }
    bucket = by_address["aws_s3_bucket.planbucket"]
    assert bucket["encryption"] == {"at_rest": True, "key_type": "provider_default"}
    assert bucket["unknown"] == ["public", "region"]
    assert by_address["aws_security_group.sg"]["ingress"] == [
        {"cidrs": ["0.0.0.0/0"], "from_port": 80, "to_port": 80, "protocol": "tcp"}
    ]
    document = {**report.model_dump(mode="json"), "id": "ev-plan"}
    results = {
        r.control_id: r
        for r in evaluate_controls(
            _policy(),
            evidence={"iac_plans": [document]},
            service=SERVICE,
            environment="production",
            now=NOW,
            prefix="IAC-",
        ).results
    }
    failing = {cid for cid, r in results.items() if r.outcome.value != "pass"}
    assert failing == {"IAC-1", "IAC-3", "IAC-4", "IAC-5", "IAC-7"}
    assert any("public is unknown until apply" in m for m in _messages(results["IAC-4"]))
    assert any("region is unknown until apply" in m for m in _messages(results["IAC-3"]))
    assert any("key type provider_default" in m for m in _messages(results["IAC-1"]))


def test_findings_name_attribute_expected_and_actual() -> None:
    plan = copy.deepcopy(compliant_plan())
    _set("aws_lb_listener.https", ssl_policy="ELBSecurityPolicy-TLS-1-1-2017-01")(plan)
    _set("aws_db_instance.ledger", storage_encrypted=False)(plan)
    details = evaluate_controls(_policy(), evidence={"iac_plans": [_normalized(plan)]}, service=SERVICE,
                              environment="production", now=NOW, prefix="IAC-").findings
    by_control = {d["control_id"]: d for d in details}
    assert set(by_control) == {"IAC-1", "IAC-2"}
    assert {k: by_control["IAC-2"][k] for k in ("key", "attribute", "expected", "actual")} == {
        "key": "aws_lb_listener.https", "attribute": "tls.min_version",
        "expected": "at least 1.2", "actual": 1.1,
    }
    assert {k: by_control["IAC-1"][k] for k in ("key", "attribute", "expected", "actual")} == {
        "key": "aws_db_instance.ledger", "attribute": "encryption.at_rest",
        "expected": True, "actual": False,
    }


def test_unknown_findings_say_unknown_until_apply() -> None:
    plan = copy.deepcopy(compliant_plan())
    db = next(c for c in plan["resource_changes"] if c["address"] == "aws_db_instance.ledger")
    db["change"]["after_unknown"] = {"publicly_accessible": True}
    details = evaluate_controls(_policy(), evidence={"iac_plans": [_normalized(plan)]}, service=SERVICE,
                              environment="production", now=NOW, prefix="IAC-").findings
    assert [(d["control_id"], d["attribute"], d["actual"]) for d in details] == [
        ("IAC-4", "public", "unknown until apply")
    ]


def test_child_module_resource_uses_the_provider_region() -> None:
    plan = copy.deepcopy(compliant_plan())
    plan["resource_changes"] = [
        {**_change("aws_db_instance.replica", _after("aws_db_instance.ledger")(compliant_plan())),
         "address": "module.ledger.aws_db_instance.replica", "module_address": "module.ledger"},
    ]
    plan["configuration"]["root_module"] = {"module_calls": {"ledger": {"module": {"resources": [
        {"address": "aws_db_instance.replica", "mode": "managed", "type": "aws_db_instance",
         "name": "replica", "provider_config_key": "module.ledger:aws"}]}}}}
    [resource] = _normalized(plan)["resources"]
    assert resource["address"] == "module.ledger.aws_db_instance.replica"
    assert resource["module"] == "module.ledger"
    assert resource["region"] == "eu-west-1"
    assert resource["tags"] == TAGS
