"""OpenAPI diffs: the corpus pairs, and each rule with a failing and a passing case."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from releasegate.analysis.openapi import RULES, diff_descriptions, load_description
from releasegate.errors import InputError

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "openapi"


def _load(name: str) -> dict[str, Any]:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} is absent; the shared corpus is not checked out here")
    return load_description(path.read_bytes(), source=name)


CORPUS_PAIRS = {
    "openapi-test1 to openapi-test3": (
        "oasdiff__openapi-test1.yaml",
        "oasdiff__openapi-test3.yaml",
        [
            "api-security-changed:POST:/register:security",
            "api-security-scope-added:POST:/register:security.OAuth",
            "response-success-status-removed:GET:/api/{}/{}/badges/security-score:response.200",
            "response-success-status-removed:GET:/api/{}/{}/badges/security-score:response.201",
        ],
    ),
    "security scope removed": (
        "oasdiff__checker_api_security_updated_base.yaml",
        "oasdiff__checker_api_security_updated_revision.yaml",
        [],
    ),
    "request parameter property type changed": (
        "oasdiff__checker_request_parameter_property_type_changed_base_int.yaml",
        "oasdiff__checker_request_parameter_property_type_changed_revision.yaml",
        ["request-type-narrowed:GET:/groups:query.filters.groupId"],
    ),
    "response optional property removed": (
        "oasdiff__checker_response_optional_property_removed_base.yaml",
        "oasdiff__checker_response_optional_property_removed_revision.yaml",
        [],
    ),
}


@pytest.mark.corpus
@pytest.mark.parametrize("pair", sorted(CORPUS_PAIRS))
def test_corpus_pair_breaking_changes(pair: str) -> None:
    base, revision, expected = CORPUS_PAIRS[pair]
    report = diff_descriptions(_load(base), _load(revision))
    assert sorted(c["fingerprint"] for c in report.changes if c["level"] == "breaking") == expected


@pytest.mark.corpus
def test_corpus_scope_removal_is_info_and_optional_property_removal_a_warning() -> None:
    security = diff_descriptions(
        _load("oasdiff__checker_api_security_updated_base.yaml"),
        _load("oasdiff__checker_api_security_updated_revision.yaml"),
    )
    assert [(c["id"], c["level"]) for c in security.changes] == [
        ("api-security-scope-removed", "info")
    ]
    optional = diff_descriptions(
        _load("oasdiff__checker_response_optional_property_removed_base.yaml"),
        _load("oasdiff__checker_response_optional_property_removed_revision.yaml"),
    )
    assert [(c["id"], c["level"], c["location"]) for c in optional.changes] == [
        ("response-optional-property-removed", "warning", "response.200.application/json.data.id")
    ]


@pytest.mark.corpus
def test_corpus_every_file_is_in_a_pair() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder {CORPUS} is absent")
    paired = {name for base, revision, _ in CORPUS_PAIRS.values() for name in (base, revision)}
    assert {p.name for p in CORPUS.glob("*.yaml")} == paired


BASE = yaml.safe_load("""
openapi: 3.0.3
info: {title: Payments, version: 2.3.0}
components:
  securitySchemes:
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: https://id.example.com/token, scopes: {payments:read: r, payments:write: w}}}}
  schemas:
    Payment:
      type: object
      required: [id, status]
      properties:
        id: {type: string}
        status: {type: string, enum: [booked, settled]}
        note: {type: string}
        amount: {type: integer}
paths:
  /payments/{id}:
    get:
      security: [{oauth: [payments:read]}]
      parameters:
        - {in: path, name: id, required: true, schema: {type: string}}
        - {in: query, name: expand, schema: {type: string, enum: [lines, fees]}}
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/Payment'}}}
  /payments:
    post:
      security: [{oauth: [payments:write]}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [amount]
              properties:
                amount: {type: integer}
                reference: {type: string, maxLength: 140}
      responses:
        '201': {description: created}
""")


def _edit(path: str) -> Any:
    def get(document: dict[str, Any]) -> Any:
        node: Any = document
        for part in path.split("/"):
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    return get


def _payment(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]["Payment"]  # type: ignore[no-any-return]


def _body(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["paths"]["/payments"]["post"]["requestBody"]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def _get(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["paths"]["/payments/{id}"]["get"]  # type: ignore[no-any-return]


# rule: (breaking edit, compatible edit)
RULE_CASES: dict[str, tuple[Any, Any]] = {
    "api-path-removed": (
        lambda d: d["paths"].pop("/payments"),
        lambda d: d["paths"].update(
            {"/refunds": {"get": {"responses": {"200": {"description": "ok"}}}}}
        ),
    ),
    "api-operation-removed": (
        lambda d: d["paths"]["/payments/{id}"].update({"delete": {"responses": {}}}) or None,
        lambda d: None,
    ),
    "new-required-request-parameter": (
        lambda d: _get(d)["parameters"].append(
            {"in": "header", "name": "X-Tenant", "required": True, "schema": {"type": "string"}}
        ),
        lambda d: _get(d)["parameters"].append(
            {"in": "header", "name": "X-Tenant", "schema": {"type": "string"}}
        ),
    ),
    "request-parameter-became-required": (
        lambda d: _get(d)["parameters"][1].update({"required": True}),
        lambda d: _get(d)["parameters"][1].update({"description": "what to expand"}),
    ),
    "request-enum-value-removed": (
        lambda d: _get(d)["parameters"][1]["schema"].update({"enum": ["lines"]}),
        lambda d: _get(d)["parameters"][1]["schema"].update({"enum": ["lines", "fees", "tax"]}),
    ),
    "request-body-became-required": (
        lambda d: d["paths"]["/payments"]["post"]["requestBody"].update({"required": True}),
        lambda d: d["paths"]["/payments"]["post"]["requestBody"].update(
            {"description": "a payment"}
        ),
    ),
    "new-required-request-property": (
        lambda d: (
            _body(d)["properties"].update({"currency": {"type": "string"}}),
            _body(d)["required"].append("currency"),
        ),
        lambda d: _body(d)["properties"].update({"currency": {"type": "string"}}),
    ),
    "request-property-became-required": (
        lambda d: _body(d)["required"].append("reference"),
        lambda d: _body(d)["required"].remove("amount"),
    ),
    "request-type-narrowed": (
        lambda d: _body(d)["properties"]["amount"].update({"type": "string"}),
        lambda d: _body(d)["properties"]["amount"].update({"type": "number"}),
    ),
    "request-constraint-tightened": (
        lambda d: _body(d)["properties"]["reference"].update({"maxLength": 35}),
        lambda d: _body(d)["properties"]["reference"].update({"maxLength": 280}),
    ),
    "response-required-property-removed": (
        lambda d: (
            _payment(d)["properties"].pop("status"),
            _payment(d)["required"].remove("status"),
        ),
        lambda d: _payment(d)["properties"].update({"booked_at": {"type": "string"}}),
    ),
    "response-property-became-optional": (
        lambda d: _payment(d)["required"].remove("status"),
        lambda d: _payment(d)["required"].append("note"),
    ),
    "response-type-changed": (
        lambda d: _payment(d)["properties"]["amount"].update({"type": "number"}),
        lambda d: _payment(d)["properties"]["amount"].update({"format": "int64"}),
    ),
    "response-enum-value-added": (
        lambda d: _payment(d)["properties"]["status"]["enum"].append("returned"),
        lambda d: _payment(d)["properties"]["status"]["enum"].remove("settled"),
    ),
    "response-became-nullable": (
        lambda d: _payment(d)["properties"]["note"].update({"nullable": True}),
        lambda d: _payment(d)["properties"]["note"].update({"maxLength": 500}),
    ),
    "response-success-status-removed": (
        lambda d: (
            d["paths"]["/payments"]["post"]["responses"].update(
                {"202": {"description": "accepted"}}
            )
            or d["paths"]["/payments"]["post"]["responses"].pop("201")
        ),
        lambda d: d["paths"]["/payments"]["post"]["responses"].update(
            {"409": {"description": "duplicate"}}
        ),
    ),
    "api-security-scope-added": (
        lambda d: _get(d).update({"security": [{"oauth": ["payments:read", "payments:write"]}]}),
        lambda d: _get(d).update({"security": [{"oauth": []}]}),
    ),
    "api-security-changed": (
        lambda d: _get(d).update({"security": [{"apiKey": []}]}),
        lambda d: _get(d).update({"security": [{"oauth": ["payments:read"]}, {"apiKey": []}]}),
    ),
}


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_rule_breaks_and_compatible_edit_does_not(rule: str) -> None:
    breaking_edit, compatible_edit = RULE_CASES[rule]
    if rule == "api-operation-removed":
        # The base gains an operation the revision lacks.
        base = copy.deepcopy(BASE)
        breaking_edit(base)
        assert rule in [c["id"] for c in diff_descriptions(base, BASE).changes]
        assert rule not in [c["id"] for c in diff_descriptions(BASE, base).changes]
        return
    revision = copy.deepcopy(BASE)
    breaking_edit(revision)
    changes = diff_descriptions(BASE, revision).changes
    assert rule in [c["id"] for c in changes]
    assert RULES[rule][0].value == "breaking"
    compatible = copy.deepcopy(BASE)
    compatible_edit(compatible)
    assert [
        c for c in diff_descriptions(BASE, compatible).changes if c["level"] == "breaking"
    ] == []


def test_fingerprints_are_stable_and_name_the_location() -> None:
    revision = copy.deepcopy(BASE)
    _payment(revision)["required"].remove("status")
    first = diff_descriptions(BASE, revision).changes
    second = diff_descriptions(copy.deepcopy(BASE), copy.deepcopy(revision)).changes
    assert (
        [c["fingerprint"] for c in first]
        == [c["fingerprint"] for c in second]
        == [
            "response-property-became-optional:GET:/payments/{}:response.200.application/json.status"
        ]
    )


def test_renamed_path_parameter_is_the_same_path() -> None:
    revision = yaml.safe_load(
        yaml.safe_dump(BASE).replace("/payments/{id}", "/payments/{paymentId}")
    )
    revision["paths"]["/payments/{paymentId}"]["get"]["parameters"][0]["name"] = "paymentId"
    assert [
        c["id"] for c in diff_descriptions(BASE, revision).changes if c["level"] == "breaking"
    ] == []


def test_swagger_2_descriptions_are_compared() -> None:
    base = yaml.safe_load("""
swagger: '2.0'
info: {title: Legacy, version: '1.0'}
paths:
  /accounts:
    post:
      parameters:
        - {in: body, name: body, schema: {type: object, properties: {iban: {type: string}}}}
        - {in: query, name: dry_run, type: boolean}
      responses: {'200': {description: ok, schema: {type: object, required: [id], properties: {id: {type: string}}}}}
""")
    revision = copy.deepcopy(base)
    revision["paths"]["/accounts"]["post"]["parameters"][0]["schema"]["required"] = ["iban"]
    revision["paths"]["/accounts"]["post"]["responses"]["200"]["schema"]["properties"] = {}
    ids = sorted(c["id"] for c in diff_descriptions(base, revision).changes)
    assert ids == ["request-property-became-required", "response-required-property-removed"]


def test_external_reference_is_rejected() -> None:
    document = b"openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    $ref: 'other.yaml#/paths/a'\n"
    with pytest.raises(InputError, match="points outside the document"):
        diff_descriptions(
            load_description(document, source="a.yaml"), load_description(document, source="a.yaml")
        )


def test_not_an_openapi_document_is_rejected() -> None:
    with pytest.raises(InputError, match="unsupported description version"):
        load_description(b"asyncapi: 2.6.0\n", source="events.yaml")
