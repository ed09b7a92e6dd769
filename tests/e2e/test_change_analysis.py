"""Change analyses through the CLI and the gate, on the embedded database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import MANIFEST, Workspace, control, create, ws  # noqa: F401

LINKED = (
    MANIFEST
    + """linked_changes:
  - {kind: database-migration, reference: migrations/}
  - {kind: infrastructure, reference: plan.json}
"""
)

FLAG_ON = (
    LINKED
    + """feature_flags:
  - {key: settlement-key-v2, enabled_before: false, enabled_after: true}
"""
)

KMS = "arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-111122223333"


def _plan(kms_key: str | None) -> str:
    after = {
        "storage_encrypted": True,
        "publicly_accessible": False,
        "backup_retention_period": 14,
        "enabled_cloudwatch_logs_exports": ["postgresql"],
        "tags": {},
    }
    unknown: dict[str, bool] = {}
    if kms_key is None:
        unknown["kms_key_id"] = True
    else:
        after["kms_key_id"] = kms_key
    return json.dumps(
        {
            "format_version": "1.2",
            "terraform_version": "1.9.8",
            "resource_changes": [
                {
                    "address": "aws_db_instance.ledger",
                    "mode": "managed",
                    "type": "aws_db_instance",
                    "name": "ledger",
                    "change": {
                        "actions": ["update"],
                        "before": {},
                        "after": after,
                        "after_unknown": unknown,
                    },
                },
                {
                    "address": "aws_cloudtrail.audit",
                    "mode": "managed",
                    "type": "aws_cloudtrail",
                    "name": "audit",
                    "change": {
                        "actions": ["no-op"],
                        "before": {},
                        "after": {
                            "enable_logging": True,
                            "enable_log_file_validation": True,
                            "tags": {},
                        },
                        "after_unknown": {},
                    },
                },
            ],
            "configuration": {
                "provider_config": {
                    "aws": {
                        "name": "aws",
                        "expressions": {
                            "region": {"constant_value": "eu-west-1"},
                            "default_tags": [
                                {
                                    "tags": {
                                        "constant_value": {
                                            "cost-centre": "CC-1",
                                            "owner": "payments-engineering",
                                            "environment": "production",
                                        }
                                    }
                                }
                            ],
                        },
                    }
                },
                "root_module": {
                    "resources": [
                        {
                            "address": "aws_db_instance.ledger",
                            "type": "aws_db_instance",
                            "provider_config_key": "aws",
                        },
                        {
                            "address": "aws_cloudtrail.audit",
                            "type": "aws_cloudtrail",
                            "provider_config_key": "aws",
                        },
                    ]
                },
            },
        }
    )


def _gate(ws: Workspace, release: str) -> dict:
    result, decision = ws.json("gate", release, "--env", "production")
    assert result.exit_code in (1, 3), result.output
    return decision


def test_release_without_linked_changes_does_not_need_analyses(ws: Workspace) -> None:
    release = create(ws)
    decision = _gate(ws, release)
    for control_id in ("IAC-1", "DB-1", "DB-2", "DB-3", "API-1", "EVT-1"):
        assert control(decision, control_id)["outcome"] == "not_applicable", control_id


def test_linked_changes_without_analyses_fail_closed(ws: Workspace) -> None:
    release = create(ws, LINKED)
    decision = _gate(ws, release)
    assert decision["outcome"] == "deny"
    iac = control(decision, "IAC-1")
    assert iac["outcome"] == "fail"
    assert iac["blocking"] is True
    assert iac["violations"][0]["msg"].startswith("no Terraform plan attached")
    assert control(decision, "DB-1")["violations"][0]["msg"].startswith(
        "no database migration report attached"
    )


def test_gate_unsafe_then_safe_changes(ws: Workspace) -> None:
    release = create(ws, LINKED)
    migrations = ws.root / "migrations"
    migrations.mkdir()
    (migrations / "V7__settlement_key.sql").write_text(
        "CREATE INDEX settlements_key ON settlements (idempotency_key);\n"
        "ALTER TABLE settlements DROP COLUMN legacy_ref;\n"
    )
    result, report = ws.json("analyze", "migrations", str(migrations), "--release", release)
    assert result.exit_code == 1, result.output
    assert report["verdict"] == "fail"
    assert [f["rule"] for f in report["findings"]] == [
        "require-concurrent-index-creation",
        "ban-drop-column",
    ]
    result = ws.run(
        "analyze",
        "plan",
        str(ws.write("plan.json", _plan(None))),
        "--release",
        release,
        "--service",
        "payments-api",
    )
    assert result.exit_code == 1, result.output

    decision = _gate(ws, release)
    assert decision["outcome"] == "deny"
    db_1 = {v["msg"] for v in control(decision, "DB-1")["violations"]}
    assert db_1 == {
        "migration V7__settlement_key builds an index on settlements without CONCURRENTLY, "
        "which blocks writes; build it concurrently",
        "migration V7__settlement_key drops column settlements.legacy_ref, which the running "
        "version may still read (the report does not say); remove the reads first and drop or "
        "rename it in a later release",
    }
    assert control(decision, "DB-2")["outcome"] == "fail"
    iac_1 = control(decision, "IAC-1")
    [violation] = iac_1["violations"]
    assert violation["key"] == "aws_db_instance.ledger"
    assert violation["msg"].startswith(
        "aws_db_instance.ledger (aws_db_instance): encryption.key_type is unknown until apply (plan ev-"
    )

    # A second release with a safe expand migration, its down step and a known key.
    second = create(ws, LINKED.replace('version: "2.4.0"', 'version: "2.4.1"'))
    safe = ws.root / "safe"
    safe.mkdir()
    (safe / "V8__settlement_key.up.sql").write_text(
        "CREATE INDEX CONCURRENTLY settlements_key ON settlements (idempotency_key);\n"
    )
    (safe / "V8__settlement_key.down.sql").write_text("DROP INDEX CONCURRENTLY settlements_key;\n")
    assert ws.run("analyze", "migrations", str(safe), "--release", second).exit_code == 0
    plan = ws.write("plan2.json", _plan(KMS))
    result = ws.run("analyze", "plan", str(plan), "--release", second, "--service", "payments-api")
    assert result.exit_code == 0, result.output
    decision = _gate(ws, second)
    for control_id in (
        "DB-1",
        "DB-2",
        "DB-3",
        "IAC-1",
        "IAC-2",
        "IAC-3",
        "IAC-4",
        "IAC-5",
        "IAC-6",
    ):
        assert control(decision, control_id)["outcome"] == "pass", control(decision, control_id)


def test_db_3_flag_with_migration(ws: Workspace) -> None:
    release = create(ws, FLAG_ON)
    safe = ws.root / "safe"
    safe.mkdir()
    (safe / "V8__key.up.sql").write_text("ALTER TABLE settlements ADD COLUMN k text;\n")
    (safe / "V8__key.down.sql").write_text("ALTER TABLE settlements DROP COLUMN k;\n")
    assert ws.run("analyze", "migrations", str(safe), "--release", release).exit_code == 0
    decision = _gate(ws, release)
    assert [v["msg"] for v in control(decision, "DB-3")["violations"]] == [
        "the release migrates the schema (V8__key) and turns on flag settlement-key-v2 in "
        "production; keep the flag as it is and change it in a later release"
    ]


def test_attached_analysis_is_in_the_ledger(ws: Workspace) -> None:
    release = create(ws, LINKED)
    before = ws.ledger_size()
    result, body = ws.json(
        "analyze",
        "plan",
        str(ws.write("plan.json", _plan(KMS))),
        "--release",
        release,
        "--service",
        "payments-api",
    )
    assert result.exit_code == 0, result.output
    assert body["evidence_id"].startswith("ev-")
    assert ws.ledger_size() == before + 1


def test_analyze_bad_plan_rejected(ws: Workspace) -> None:
    release = create(ws, LINKED)
    before = ws.ledger_size()
    result = ws.run(
        "analyze",
        "plan",
        str(
            ws.write(
                "state.json", json.dumps({"format_version": "1.0", "values": {"root_module": {}}})
            )
        ),
        "--release",
        release,
    )
    assert result.exit_code == 2
    assert "not a Terraform plan" in result.output
    assert ws.ledger_size() == before


API_AND_EVENTS = (
    MANIFEST
    + """linked_changes:
  - {kind: api-schema, reference: openapi.yaml}
  - {kind: event-schema, reference: settlement.avsc}
"""
)

OPENAPI = """openapi: 3.0.3
info: {{title: Payments, version: {version}}}
paths:
  /payments/{{id}}:
    get:
      parameters: [{{in: path, name: id, required: true, schema: {{type: string}}}}]
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {{type: object, required: [{required}], properties: {{id: {{type: string}}, status: {{type: string}}}}}}
"""

AVRO = json.dumps(
    {"type": "record", "name": "SettlementCompleted", "fields": [{"name": "id", "type": "string"}]}
)
AVRO_REQUIRED = json.dumps(
    {
        "type": "record",
        "name": "SettlementCompleted",
        "fields": [{"name": "id", "type": "string"}, {"name": "currency", "type": "string"}],
    }
)
AVRO_DEFAULTED = json.dumps(
    {
        "type": "record",
        "name": "SettlementCompleted",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "currency", "type": "string", "default": "EUR"},
        ],
    }
)


def test_breaking_api_and_incompatible_schema_fail_their_controls(ws: Workspace) -> None:
    release = create(ws, API_AND_EVENTS)
    base = ws.write("base.yaml", OPENAPI.format(version="2.3.0", required="id, status"))
    revision = ws.write("revision.yaml", OPENAPI.format(version="2.4.0", required="id"))
    result, report = ws.json("analyze", "openapi", str(base), str(revision), "--release", release)
    assert result.exit_code == 1, result.output
    assert [c["fingerprint"] for c in report["changes"]] == [
        "response-property-became-optional:GET:/payments/{}:response.200.application/json.status"
    ]
    result = ws.run(
        "analyze",
        "schema",
        str(ws.write("new.avsc", AVRO_REQUIRED)),
        "--previous",
        str(ws.write("v1.avsc", AVRO)),
        "--topic",
        "payments.settlements",
        "--release",
        release,
    )
    assert result.exit_code == 1, result.output

    decision = _gate(ws, release)
    api = control(decision, "API-1")
    assert api["outcome"] == "fail"
    assert api["violations"][0]["key"] == (
        "response-property-became-optional:GET:/payments/{}:response.200.application/json.status"
    )
    evt = control(decision, "EVT-1")
    assert [v["msg"] for v in evt["violations"]] == [
        "schema subject payments.settlements-value is not compatible under BACKWARD (new schema cannot "
        "read version 1: $.currency: the reader field has no default and the writer does not write it); "
        "change the schema compatibly or publish it under a new subject"
    ]


def test_new_major_version_and_defaulted_field_pass(ws: Workspace) -> None:
    release = create(ws, API_AND_EVENTS)
    base = ws.write("base.yaml", OPENAPI.format(version="2.3.0", required="id, status"))
    revision = ws.write("revision.yaml", OPENAPI.format(version="3.0.0", required="id"))
    assert (
        ws.run("analyze", "openapi", str(base), str(revision), "--release", release).exit_code == 0
    )
    result = ws.run(
        "analyze",
        "schema",
        str(ws.write("new.avsc", AVRO_DEFAULTED)),
        "--previous",
        str(ws.write("v1.avsc", AVRO)),
        "--topic",
        "payments.settlements",
        "--mode",
        "FULL",
        "--release",
        release,
    )
    assert result.exit_code == 0, result.output
    decision = _gate(ws, release)
    assert control(decision, "API-1")["outcome"] == "pass"
    assert control(decision, "EVT-1")["outcome"] == "pass"


def test_topic_mode_comes_from_the_catalog(ws: Workspace) -> None:
    catalog = ws.root / "catalog.yaml"
    text = catalog.read_text()
    marker = "      rpo_minutes: 0\n"
    catalog.write_text(text.replace(
        marker, marker + "    event_topics:\n      payments.settlements: {compatibility: FORWARD}\n", 1))
    removed = json.dumps({"type": "record", "name": "SettlementCompleted", "fields": []})
    args = ["analyze", "schema", str(ws.write("new.avsc", removed)),
            "--previous", str(ws.write("v1.avsc", AVRO)), "--topic", "payments.settlements"]
    # Removing a field without a default is BACKWARD compatible only.
    result, report = ws.json(*args)
    assert result.exit_code == 0, result.output
    assert report["subjects"][0]["checked_mode"] == "BACKWARD"
    result, report = ws.json(*args, "--service", "payments-api")
    assert result.exit_code == 1, result.output
    assert report["subjects"][0]["mode"] == "FORWARD"
    assert report["subjects"][0]["messages"] == [
        "version 1 cannot read the new schema: $.id: the reader field has no default and the "
        "writer does not write it"
    ]


def test_exception_names_one_api_change_by_fingerprint(ws: Workspace) -> None:
    release = create(ws, API_AND_EVENTS)
    base = ws.write("base.yaml", OPENAPI.format(version="2.3.0", required="id, status"))
    revision = ws.write("revision.yaml", OPENAPI.format(version="2.4.0", required="id"))
    assert ws.run("analyze", "openapi", str(base), str(revision), "--release", release).exit_code == 1
    assert ws.run("analyze", "schema", str(ws.write("v.avsc", AVRO)), "--previous",
                  str(ws.write("v1.avsc", AVRO)), "--release", release).exit_code == 0
    fingerprint = "response-property-became-optional:GET:/payments/{}:response.200.application/json.status"
    result, exception = ws.json(
        "exception", "request", "--control", "API-1", "--release", release, "--finding", fingerprint,
        "--justification", "the only client reads status when present", "--compensating",
        "consumer contract test", "--expires-in", "7d", "--as", "alice",
    )
    assert result.exit_code == 0, result.output
    assert ws.run("exception", "approve", exception["id"], "--as", "farid").exit_code == 0
    decision = _gate(ws, release)
    api = control(decision, "API-1")
    assert api["outcome"] == "waived", api
    assert api["violations"][0]["waived_by"] == exception["id"]


def test_evidence_add_points_plans_to_analyze(ws: Workspace) -> None:
    release = create(ws, LINKED)
    result = ws.run("evidence", "add", release, str(ws.write("plan.json", _plan(KMS))))
    assert result.exit_code == 2
    assert "releasegate analyze plan FILE --release ID" in result.output


CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _corpus_file(folder: str, name: str) -> Path:
    path = CORPUS / folder / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} is absent; the shared corpus is not checked out here")
    return path


@pytest.mark.corpus
def test_gate_corpus_plan_unknown_values(ws: Workspace) -> None:
    release = create(ws, LINKED)
    plan = _corpus_file("tfplan", "trivy__tfjson-plan.json")
    assert ws.run("analyze", "plan", str(plan), "--release", release).exit_code == 1
    decision = _gate(ws, release)
    assert decision["outcome"] == "deny"
    iac_4 = control(decision, "IAC-4")
    assert iac_4["outcome"] == "fail"
    [violation] = iac_4["violations"]
    assert violation["key"] == "aws_s3_bucket.planbucket"
    assert violation["msg"].startswith(
        "aws_s3_bucket.planbucket (aws_s3_bucket): public is unknown until apply (plan ev-")


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("squawk__require_concurrent_index_creation__adding_index_non_concurrently_err.sql", "fail"),
        ("squawk__require_concurrent_index_creation__adding_index_concurrently_ok.sql", "pass"),
        ("squawk__parser_err_alter_table.sql", "fail"),
    ],
)
def test_corpus_migration_decides_db_1_at_the_gate(ws: Workspace, name: str, outcome: str) -> None:
    release = create(ws, LINKED)
    script = _corpus_file("sql", name)
    ws.run("analyze", "migrations", str(script), "--release", release)
    decision = _gate(ws, release)
    assert control(decision, "DB-1")["outcome"] == outcome
