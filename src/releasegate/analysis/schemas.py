"""Check event schema changes under schema registry compatibility modes.

Avro schemas are parsed and validated with fastavro; JSON Schemas are
validated with jsonschema against their declared draft. Neither library
decides compatibility between two schemas, so the check is written here.

Avro follows the specification's schema resolution: a reader can read data
of a writer when every reader field exists in the writer or has a default,
types match or promote (int to long, float or double; long to float or
double; float to double; string and bytes both ways), every writer enum
symbol is known to the reader (or the reader enum has a default), every
writer union branch matches a reader branch, named types match by name or
alias, and fixed sizes are equal.

JSON Schema has no resolution rules, so the check asks whether every
document valid under the writer schema is valid under the reader schema, and
answers no whenever it cannot prove yes (fail closed). An open content model
(additionalProperties absent or true) lets a writer send any property, so a
reader that adds or constrains a property is not provably compatible; a
composition keyword (oneOf, anyOf, allOf, not) that changes is not proven.

Modes: BACKWARD checks that the new schema reads data of the previous one,
FORWARD that the previous one reads data of the new one, FULL both; the
transitive forms check against every earlier version, the plain forms against
the latest only.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from typing import Any

import fastavro
import jsonschema
import yaml
from fastavro.schema import SchemaParseException, UnknownType

from releasegate.errors import InputError
from releasegate.model.change import EventSchemaReport

# The C loader when PyYAML was built with libyaml: same safe subset, much faster.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PROMOTIONS = {
    "int": {"int", "long", "float", "double"},
    "long": {"long", "float", "double"},
    "float": {"float", "double"},
    "double": {"double"},
    "string": {"string", "bytes"},
    "bytes": {"bytes", "string"},
}
"""For each writer type, the reader types that can read it."""


class Mode(enum.StrEnum):
    """Schema registry compatibility modes (NONE checks nothing and is not accepted)."""

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"


class SchemaFormat(enum.StrEnum):
    AVRO = "avro"
    JSON = "json"


# --- loading -------------------------------------------------------------------


def load_schema(
    data: bytes, *, source: str, format: SchemaFormat | None = None
) -> tuple[SchemaFormat, Any]:
    """Parse and validate one schema; detect Avro or JSON Schema when `format` is None."""
    try:
        document = yaml.load(data.decode("utf-8-sig"), Loader=_LOADER)  # noqa: S506
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise InputError(
            f"not a readable JSON or YAML schema: {error}",
            source=source,
            hint="give an Avro schema (.avsc) or a JSON Schema document",
        ) from None
    if format is None:
        format = _detect(document)
    if format is SchemaFormat.AVRO:
        try:
            return format, fastavro.parse_schema(document)
        except (
            SchemaParseException,
            UnknownType,
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
        ) as error:
            raise InputError(
                f"not a valid Avro schema: {error}",
                source=source,
                hint="fix the schema so that an Avro library can parse it",
            ) from None
    if not isinstance(document, dict | bool):
        raise InputError(
            "a JSON Schema is an object or a boolean",
            source=source,
            hint="give a JSON Schema document",
        )
    try:
        jsonschema.validators.validator_for(document).check_schema(document)
    except jsonschema.exceptions.SchemaError as error:
        raise InputError(
            f"not a valid JSON Schema: {error.message}",
            source=source,
            field="/".join(str(p) for p in error.path) or None,
            hint="fix the schema against its draft's meta-schema",
        ) from None
    return format, document


def _detect(document: Any) -> SchemaFormat:
    if isinstance(document, str | list):
        return SchemaFormat.AVRO  # a primitive name or a union
    if (
        isinstance(document, dict)
        and document.get("type") in ("record", "enum", "fixed")
        and ("fields" in document or "symbols" in document or "size" in document)
    ):
        return SchemaFormat.AVRO
    return SchemaFormat.JSON


# --- Avro ----------------------------------------------------------------------


class _Avro:
    """Reader/writer compatibility of two parsed Avro schemas."""

    def __init__(self, reader: Any, writer: Any) -> None:
        self.reader_names = reader.get("__named_schemas", {}) if isinstance(reader, dict) else {}
        self.writer_names = writer.get("__named_schemas", {}) if isinstance(writer, dict) else {}
        self.seen: set[tuple[str, str]] = set()

    def check(self, reader: Any, writer: Any, path: str) -> list[str]:
        reader = self._named(reader, self.reader_names)
        writer = self._named(writer, self.writer_names)
        if isinstance(writer, list):
            problems = []
            for branch in writer:
                if isinstance(reader, list):
                    if not any(not self.check(option, branch, path) for option in reader):
                        problems.append(
                            f"{path}: writer union branch {_name(branch)} has no match in the reader union"
                        )
                else:
                    problems.extend(self.check(reader, branch, path))
            return problems
        if isinstance(reader, list):
            if any(not self.check(option, writer, path) for option in reader):
                return []
            return [f"{path}: the reader union has no branch for writer type {_name(writer)}"]

        reader_type, writer_type = _type(reader), _type(writer)
        if writer_type in _PROMOTIONS or reader_type in _PROMOTIONS:
            if reader_type in _PROMOTIONS.get(writer_type, {writer_type}):
                return []
            return [f"{path}: type mismatch, writer {writer_type} cannot be read as {reader_type}"]
        if reader_type != writer_type:
            return [f"{path}: type mismatch, writer {writer_type} cannot be read as {reader_type}"]
        if reader_type in ("record", "enum", "fixed") and not _same_name(reader, writer):
            return [
                f"{path}: name mismatch, writer {writer.get('name')} is not reader {reader.get('name')}"
            ]
        if reader_type == "record":
            key = (str(reader.get("name")), str(writer.get("name")))
            if key in self.seen:
                return []
            self.seen.add(key)
            return self._record(reader, writer, path)
        if reader_type == "enum":
            missing = [s for s in writer.get("symbols", []) if s not in reader.get("symbols", [])]
            if missing and reader.get("default") is None:
                return [f"{path}: the reader enum lacks writer symbols {', '.join(missing)}"]
            return []
        if reader_type == "fixed":
            if reader.get("size") != writer.get("size"):
                return [
                    f"{path}: fixed size {writer.get('size')} cannot be read as {reader.get('size')}"
                ]
            return []
        if reader_type == "array":
            return self.check(reader["items"], writer["items"], f"{path}[]")
        if reader_type == "map":
            return self.check(reader["values"], writer["values"], f"{path}{{}}")
        return []

    def _record(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> list[str]:
        problems = []
        writer_fields = {field["name"]: field for field in writer.get("fields", [])}
        for field in reader.get("fields", []):
            names = [field["name"], *field.get("aliases", [])]
            match = next((writer_fields[n] for n in names if n in writer_fields), None)
            where = f"{path}.{field['name']}"
            if match is None:
                if "default" not in field:
                    problems.append(
                        f"{where}: the reader field has no default and the writer does not write it"
                    )
                continue
            problems.extend(self.check(field["type"], match["type"], where))
        return problems

    @staticmethod
    def _named(schema: Any, names: dict[str, Any]) -> Any:
        if isinstance(schema, str) and schema in names:
            return names[schema]
        if isinstance(schema, dict) and schema.get("type") in names and len(schema) <= 2:
            return names[schema["type"]]
        return schema


def _type(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    if isinstance(schema, dict):
        value = schema.get("type")
        if isinstance(value, dict | list):
            return _type(value)
        return str(value)
    return "union"


def _name(schema: Any) -> str:
    if isinstance(schema, dict):
        return str(schema.get("name") or schema.get("type"))
    return str(schema)


def _same_name(reader: dict[str, Any], writer: dict[str, Any]) -> bool:
    def short(name: Any) -> str:
        return str(name).rsplit(".", 1)[-1]

    reader_names = {reader.get("name"), *reader.get("aliases", [])}
    return writer.get("name") in reader_names or short(writer.get("name")) in {
        short(n) for n in reader_names
    }


def avro_problems(reader: Any, writer: Any) -> list[str]:
    """Problems that keep `reader` from reading data written with `writer` (empty when compatible)."""
    return _Avro(reader, writer).check(reader, writer, "$")


# --- JSON Schema -----------------------------------------------------------------


def _json_types(schema: dict[str, Any]) -> set[str] | None:
    value = schema.get("type")
    if value is None:
        return None
    types = set(value) if isinstance(value, list) else {value}
    if "number" in types:
        types.add("integer")
    return types


def _open(schema: dict[str, Any]) -> bool:
    extra = schema.get("additionalProperties", True)
    return extra is not False and "patternProperties" not in schema


def json_problems(reader: Any, writer: Any, path: str = "$", depth: int = 0) -> list[str]:
    """Ways a document valid under `writer` may be invalid under `reader` (empty when proven compatible)."""
    if reader is True or reader == {}:
        return []
    if writer is False:
        return []
    if reader is False:
        return [f"{path}: the reader accepts nothing"]
    if writer is True or not isinstance(writer, dict) or not isinstance(reader, dict):
        return [f"{path}: the writer may send any value, which the reader constrains"]
    if depth > 40:
        return [f"{path}: schema too deep to prove compatible"]
    problems: list[str] = []
    for keyword in ("$ref", "oneOf", "anyOf", "allOf", "not", "if", "dependentSchemas"):
        if json.dumps(reader.get(keyword), sort_keys=True) != json.dumps(
            writer.get(keyword), sort_keys=True
        ):
            problems.append(f"{path}: {keyword} differs, which cannot be proven compatible")

    reader_types, writer_types = _json_types(reader), _json_types(writer)
    if reader_types is not None:
        if writer_types is None:
            problems.append(
                f"{path}: the reader requires type {'/'.join(sorted(reader_types))}, the writer any type"
            )
        elif not (writer_types - {"integer"} <= reader_types or writer_types <= reader_types):
            problems.append(
                f"{path}: writer type {'/'.join(sorted(writer_types))} is not accepted as "
                f"{'/'.join(sorted(reader_types))}"
            )

    if "enum" in reader:
        if "enum" not in writer:
            problems.append(
                f"{path}: the reader accepts only {reader['enum']}, the writer any value"
            )
        else:
            missing = [v for v in writer["enum"] if v not in reader["enum"]]
            if missing:
                problems.append(f"{path}: the reader no longer accepts {missing}")
    if "const" in reader and reader.get("const") != writer.get("const"):
        problems.append(f"{path}: the reader requires the constant {reader['const']!r}")

    for key, upper in (
        ("maxLength", True),
        ("maximum", True),
        ("maxItems", True),
        ("minLength", False),
        ("minimum", False),
        ("minItems", False),
    ):
        if key in reader and _stricter(reader[key], writer.get(key), upper=upper):
            problems.append(
                f"{path}: the reader's {key} {reader[key]} is stricter than the writer's {writer.get(key)}"
            )
    if "pattern" in reader and reader.get("pattern") != writer.get("pattern"):
        problems.append(f"{path}: the reader's pattern differs from the writer's")

    reader_props: dict[str, Any] = reader.get("properties") or {}
    writer_props: dict[str, Any] = writer.get("properties") or {}
    missing_required = set(reader.get("required") or []) - set(writer.get("required") or [])
    for name in sorted(missing_required):
        problems.append(f"{path}.{name}: the reader requires it, the writer may leave it out")
    for name, schema in sorted(writer_props.items()):
        if name in reader_props:
            problems.extend(json_problems(reader_props[name], schema, f"{path}.{name}", depth + 1))
        elif not _open(reader):
            problems.append(
                f"{path}.{name}: the writer may send it, the reader's closed model rejects it"
            )
        elif isinstance(reader.get("additionalProperties"), dict):
            problems.extend(
                json_problems(reader["additionalProperties"], schema, f"{path}.{name}", depth + 1)
            )
    for name, schema in sorted(reader_props.items()):
        if name not in writer_props and _open(writer) and schema not in (True, {}):
            problems.append(
                f"{path}.{name}: the writer's open model may send it with any value, "
                "which the reader constrains; close the writer's model or reserve the name"
            )
    if not _open(reader) and _open(writer):
        problems.append(
            f"{path}: the writer's open model may send properties the reader's closed model rejects"
        )
    if "items" in reader:
        problems.extend(
            json_problems(reader["items"], writer.get("items", True), f"{path}[]", depth + 1)
        )
    return problems


def _stricter(reader: Any, writer: Any, *, upper: bool) -> bool:
    """Return whether the reader's bound rejects values the writer's allows (a missing bound allows all)."""
    if writer is None:
        return True
    return bool(reader < writer) if upper else bool(reader > writer)


# --- modes ---------------------------------------------------------------------


def check_compatibility(
    new: Any, previous: Sequence[Any], *, format: SchemaFormat, mode: Mode
) -> list[str]:
    """Problems of `new` against `previous` versions (oldest first) under `mode`."""
    if not previous:
        return []
    against = previous if mode.value.endswith("_TRANSITIVE") else previous[-1:]
    problems_of = avro_problems if format is SchemaFormat.AVRO else json_problems
    problems: list[str] = []
    for index, old in enumerate(against):
        version = len(previous) - len(against) + index + 1
        if mode.value.startswith(("BACKWARD", "FULL")):
            problems.extend(
                f"new schema cannot read version {version}: {p}" for p in problems_of(new, old)
            )
        if mode.value.startswith(("FORWARD", "FULL")):
            problems.extend(
                f"version {version} cannot read the new schema: {p}" for p in problems_of(old, new)
            )
    return problems


def subject_report(
    *,
    subject: str,
    topic: str | None,
    format: SchemaFormat,
    registry_mode: Mode | None,
    checked_mode: Mode,
    problems: list[str],
    registry: str | None = None,
) -> EventSchemaReport:
    """Build the report of one subject, in the shape EVT-1 reads."""
    return EventSchemaReport(
        registry=registry,
        subjects=(
            {
                "subject": subject,
                "topic": topic,
                "format": format.value,
                "mode": None if registry_mode is None else registry_mode.value,
                "checked_mode": checked_mode.value,
                "compatible": not problems,
                "messages": problems,
            },
        ),
    )
