"""Event schema compatibility under the registry modes, for Avro and JSON Schema."""

from __future__ import annotations

import json
from typing import Any

import pytest

from releasegate.analysis.schemas import (
    Mode,
    SchemaFormat,
    check_compatibility,
    load_schema,
)
from releasegate.errors import InputError


def _avro(fields: list[dict[str, Any]], **extra: Any) -> Any:
    document = {
        "type": "record",
        "name": "SettlementCompleted",
        "namespace": "payments",
        "fields": fields,
        **extra,
    }
    return load_schema(json.dumps(document).encode(), source="s.avsc")[1]


V1 = [{"name": "id", "type": "string"}, {"name": "amount", "type": "int"}]
ADD_DEFAULTED = [*V1, {"name": "currency", "type": "string", "default": "EUR"}]
ADD_REQUIRED = [*V1, {"name": "currency", "type": "string"}]
REMOVE_AMOUNT = [{"name": "id", "type": "string"}]
WIDEN_AMOUNT = [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}]


def _problems(new: list[dict[str, Any]], old: list[dict[str, Any]], mode: Mode) -> list[str]:
    return check_compatibility(_avro(new), [_avro(old)], format=SchemaFormat.AVRO, mode=mode)


@pytest.mark.parametrize(
    ("new", "mode", "compatible"),
    [
        (ADD_DEFAULTED, Mode.BACKWARD, True),
        (ADD_REQUIRED, Mode.BACKWARD, False),
        (ADD_REQUIRED, Mode.FORWARD, True),
        (REMOVE_AMOUNT, Mode.BACKWARD, True),
        (REMOVE_AMOUNT, Mode.FORWARD, False),
        (ADD_DEFAULTED, Mode.FULL, True),
        (ADD_REQUIRED, Mode.FULL, False),
        (WIDEN_AMOUNT, Mode.BACKWARD, True),
        (WIDEN_AMOUNT, Mode.FORWARD, False),
    ],
)
def test_avro_modes(new: list[dict[str, Any]], mode: Mode, compatible: bool) -> None:
    assert (_problems(new, V1, mode) == []) is compatible


def test_avro_missing_default_message() -> None:
    assert _problems(ADD_REQUIRED, V1, Mode.BACKWARD) == [
        "new schema cannot read version 1: $.currency: the reader field has no default and the writer does not write it"
    ]


def test_transitive_mode_checks_every_version() -> None:
    v1 = _avro(V1)
    v2 = _avro(REMOVE_AMOUNT)  # dropped amount: still BACKWARD compatible with v1
    v3 = _avro(
        [{"name": "id", "type": "string"}, {"name": "amount", "type": "string", "default": ""}]
    )
    # Against the latest (v2) the re-added field has a default; against v1 its type changed.
    assert check_compatibility(v3, [v1, v2], format=SchemaFormat.AVRO, mode=Mode.BACKWARD) == []
    problems = check_compatibility(
        v3, [v1, v2], format=SchemaFormat.AVRO, mode=Mode.BACKWARD_TRANSITIVE
    )
    assert problems == [
        "new schema cannot read version 1: $.amount: type mismatch, writer int cannot be read as string"
    ]


def test_avro_enum_symbols_and_default() -> None:
    def status(symbols: list[str], **extra: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "status",
                "type": {"type": "enum", "name": "Status", "symbols": symbols, **extra},
            }
        ]

    assert _problems(status(["BOOKED"]), status(["BOOKED", "SETTLED"]), Mode.BACKWARD) == [
        "new schema cannot read version 1: $.status: the reader enum lacks writer symbols SETTLED"
    ]
    assert (
        _problems(
            status(["BOOKED", "UNKNOWN"], default="UNKNOWN"),
            status(["BOOKED", "SETTLED"]),
            Mode.BACKWARD,
        )
        == []
    )


def test_avro_union_branches() -> None:
    nullable = [{"name": "note", "type": ["null", "string"], "default": None}]
    plain = [{"name": "note", "type": "string"}]
    assert _problems(nullable, plain, Mode.BACKWARD) == []
    assert _problems(plain, nullable, Mode.BACKWARD) == [
        "new schema cannot read version 1: $.note: type mismatch, writer null cannot be read as string"
    ]


def test_avro_record_rename_needs_alias() -> None:
    old = _avro(V1)
    renamed = load_schema(
        json.dumps(
            {"type": "record", "name": "SettlementDone", "namespace": "payments", "fields": V1}
        ).encode(),
        source="s.avsc",
    )[1]
    aliased = load_schema(
        json.dumps(
            {
                "type": "record",
                "name": "SettlementDone",
                "namespace": "payments",
                "aliases": ["payments.SettlementCompleted"],
                "fields": V1,
            }
        ).encode(),
        source="s.avsc",
    )[1]
    assert check_compatibility(renamed, [old], format=SchemaFormat.AVRO, mode=Mode.BACKWARD) != []
    assert check_compatibility(aliased, [old], format=SchemaFormat.AVRO, mode=Mode.BACKWARD) == []


def _json(schema: dict[str, Any]) -> Any:
    return load_schema(json.dumps(schema).encode(), source="s.json", format=SchemaFormat.JSON)[1]


CLOSED_V1 = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id"],
    "properties": {"id": {"type": "string"}, "amount": {"type": "integer"}},
}


def test_json_closed_model_optional_property_added_is_backward() -> None:
    new = json.loads(json.dumps(CLOSED_V1))
    new["properties"]["currency"] = {"type": "string"}
    assert (
        check_compatibility(
            _json(new), [_json(CLOSED_V1)], format=SchemaFormat.JSON, mode=Mode.BACKWARD
        )
        == []
    )
    # Old readers with a closed model reject the new property: not FORWARD.
    assert (
        check_compatibility(
            _json(new), [_json(CLOSED_V1)], format=SchemaFormat.JSON, mode=Mode.FORWARD
        )
        != []
    )


def test_json_open_model_added_property() -> None:
    old = {"type": "object", "properties": {"id": {"type": "string"}}}
    new = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "currency": {"type": "string"}},
    }
    problems = check_compatibility(
        _json(new), [_json(old)], format=SchemaFormat.JSON, mode=Mode.BACKWARD
    )
    assert problems == [
        "new schema cannot read version 1: $.currency: the writer's open model may send it with any "
        "value, which the reader constrains; close the writer's model or reserve the name"
    ]


def test_json_required_and_narrowed_enum() -> None:
    new = json.loads(json.dumps(CLOSED_V1))
    new["required"] = ["id", "amount"]
    assert check_compatibility(
        _json(new), [_json(CLOSED_V1)], format=SchemaFormat.JSON, mode=Mode.BACKWARD
    ) == [
        "new schema cannot read version 1: $.amount: the reader requires it, the writer may leave it out"
    ]
    old_enum = {"type": "string", "enum": ["booked", "settled"]}
    assert (
        check_compatibility(
            _json({"type": "string", "enum": ["booked"]}),
            [_json(old_enum)],
            format=SchemaFormat.JSON,
            mode=Mode.BACKWARD,
        )
        != []
    )
    assert (
        check_compatibility(
            _json({"type": "string", "enum": ["booked", "settled", "returned"]}),
            [_json(old_enum)],
            format=SchemaFormat.JSON,
            mode=Mode.BACKWARD,
        )
        == []
    )


def test_json_type_widening_is_backward_not_forward() -> None:
    old, new = {"type": "integer"}, {"type": "number"}
    assert (
        check_compatibility(_json(new), [_json(old)], format=SchemaFormat.JSON, mode=Mode.BACKWARD)
        == []
    )
    assert (
        check_compatibility(_json(new), [_json(old)], format=SchemaFormat.JSON, mode=Mode.FORWARD)
        != []
    )


def test_invalid_schemas_are_rejected() -> None:
    with pytest.raises(InputError, match="not a valid Avro schema"):
        load_schema(
            b'{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}',
            source="x.avsc",
        )
    with pytest.raises(InputError, match="not a valid JSON Schema"):
        load_schema(b'{"type": 12}', source="x.json")


def test_format_is_detected() -> None:
    assert (
        load_schema(json.dumps({"type": "record", "name": "A", "fields": []}).encode(), source="a")[
            0
        ]
        is SchemaFormat.AVRO
    )
    assert load_schema(b'{"type": "object"}', source="a")[0] is SchemaFormat.JSON
