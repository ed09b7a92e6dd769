"""Find the changes between two OpenAPI descriptions that break existing clients.

Both documents are read with PyYAML (JSON is YAML too) and their local
`$ref`s are resolved in place. Reference resolution is written here because
OpenAPI references are JSON pointers into the same document, which takes a
few lines, and because a description must never make the analysis fetch a
remote reference: a `$ref` to another file or URL is reported as an input
error instead. OpenAPI 3.x and Swagger 2.0 are read into one model of
operations, parameters, bodies, responses and security requirements.

Direction decides what breaks: a client sends requests and reads responses,
so a request that the revision accepts less of breaks it (tightening), and a
response that may hold more than before breaks it (loosening). Each change has
a rule id (`id`) and a readable, stable `fingerprint` made of the rule, the
operation and the location, which an exception may name.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from releasegate.errors import InputError
from releasegate.model.change import ApiChangeReport

# The C loader when PyYAML was built with libyaml: same safe subset, much faster.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MAX_DEPTH = 40


class Level(enum.StrEnum):
    """Effect of a change on existing clients."""

    BREAKING = "breaking"
    WARNING = "warning"
    INFO = "info"


# Rule id: (level, kind). Kinds are those of docs/policy-input.md.
RULES: dict[str, tuple[Level, str]] = {
    "api-path-removed": (Level.BREAKING, "removed_path"),
    "api-operation-removed": (Level.BREAKING, "removed_path"),
    "new-required-request-parameter": (Level.BREAKING, "new_required_input"),
    "request-parameter-became-required": (Level.BREAKING, "new_required_input"),
    "request-parameter-removed": (Level.WARNING, "other"),
    "request-body-became-required": (Level.BREAKING, "new_required_input"),
    "request-body-media-type-removed": (Level.BREAKING, "other"),
    "new-required-request-property": (Level.BREAKING, "new_required_input"),
    "request-property-became-required": (Level.BREAKING, "new_required_input"),
    "request-property-removed": (Level.WARNING, "other"),
    "request-type-narrowed": (Level.BREAKING, "narrowed_type"),
    "request-enum-value-removed": (Level.BREAKING, "narrowed_type"),
    "request-became-not-nullable": (Level.BREAKING, "narrowed_type"),
    "request-constraint-tightened": (Level.BREAKING, "narrowed_type"),
    "response-success-status-removed": (Level.BREAKING, "removed_field"),
    "response-media-type-removed": (Level.BREAKING, "removed_field"),
    "response-required-property-removed": (Level.BREAKING, "removed_field"),
    "response-optional-property-removed": (Level.WARNING, "removed_field"),
    "response-property-became-optional": (Level.BREAKING, "removed_field"),
    "response-type-changed": (Level.BREAKING, "narrowed_type"),
    "response-enum-value-added": (Level.BREAKING, "other"),
    "response-became-nullable": (Level.BREAKING, "other"),
    "schema-composition-changed": (Level.WARNING, "other"),
    "api-security-added": (Level.BREAKING, "changed_auth"),
    "api-security-scope-added": (Level.BREAKING, "changed_auth"),
    "api-security-changed": (Level.BREAKING, "changed_auth"),
    "api-security-scope-removed": (Level.INFO, "changed_auth"),
    "api-security-removed": (Level.INFO, "changed_auth"),
}


@dataclass(frozen=True)
class _Operation:
    method: str
    path: str
    parameters: dict[tuple[str, str], dict[str, Any]]
    body: dict[str, Any] | None
    responses: dict[str, dict[str, Any]]
    security: list[dict[str, list[str]]]


# --- loading -------------------------------------------------------------------


def load_description(data: bytes, *, source: str) -> dict[str, Any]:
    """Parse an OpenAPI 3.x or Swagger 2.0 document and resolve its local references."""
    try:
        document = yaml.load(data.decode("utf-8-sig"), Loader=_LOADER)  # noqa: S506
    except UnicodeDecodeError:
        raise InputError(
            "not UTF-8 text", source=source, hint="save the description as UTF-8"
        ) from None
    except yaml.YAMLError as error:
        raise InputError(
            f"not valid YAML or JSON: {error}",
            source=source,
            hint="fix the syntax of the description",
        ) from None
    if not isinstance(document, dict):
        raise InputError(
            "the top level is not an object",
            source=source,
            hint="give an OpenAPI 3.x or Swagger 2.0 description",
        )
    version = str(document.get("openapi") or document.get("swagger") or "")
    if not (version.startswith("3.") or version == "2.0"):
        raise InputError(
            f"unsupported description version {version or '(none)'}",
            source=source,
            field="openapi",
            hint="give an OpenAPI 3.x (openapi: 3.x.y) or Swagger 2.0 (swagger: '2.0') description",
        )
    if not isinstance(document.get("paths", {}), dict):
        raise InputError(
            "paths is not an object",
            source=source,
            field="paths",
            hint="list the API's paths under 'paths'",
        )
    return document


def _resolve(node: Any, root: dict[str, Any], *, source: str, depth: int = 0) -> Any:
    """Return `node` with every local $ref replaced by its target (recursion bounded)."""
    if depth > _MAX_DEPTH:
        return {"x-releasegate-cycle": True}
    if isinstance(node, dict):
        if "$ref" in node and isinstance(node["$ref"], str):
            target = _pointer(root, node["$ref"], source=source)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            resolved = _resolve(target, root, source=source, depth=depth + 1)
            return {**resolved, **siblings} if isinstance(resolved, dict) else resolved
        return {k: _resolve(v, root, source=source, depth=depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, root, source=source, depth=depth + 1) for v in node]
    return node


def _pointer(root: dict[str, Any], ref: str, *, source: str) -> Any:
    if not ref.startswith("#/"):
        raise InputError(
            f"reference {ref!r} points outside the document",
            source=source,
            field="$ref",
            hint="bundle the description into one file (for example with redocly bundle) first",
        )
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise InputError(
                f"reference {ref!r} does not resolve",
                source=source,
                field="$ref",
                hint="fix the reference or add the component it names",
            )
        node = node[part]
    return node


def _operations(document: dict[str, Any], *, source: str) -> dict[tuple[str, str], _Operation]:
    swagger = str(document.get("swagger", "")) == "2.0"
    global_security = document.get("security") or []
    found: dict[tuple[str, str], _Operation] = {}
    for path, item in (document.get("paths") or {}).items():
        item = _resolve(item, document, source=source)
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            parameters: dict[tuple[str, str], dict[str, Any]] = {}
            body: dict[str, Any] | None = None
            names = [
                seg[1:-1] for seg in path.split("/") if seg.startswith("{") and seg.endswith("}")
            ]
            positions = {name: f"#{index + 1}" for index, name in enumerate(names)}
            for parameter in [*shared, *(operation.get("parameters") or [])]:
                if not isinstance(parameter, dict):
                    continue
                if swagger and parameter.get("in") == "body":
                    consumes = (
                        operation.get("consumes")
                        or document.get("consumes")
                        or ["application/json"]
                    )
                    body = {
                        "required": bool(parameter.get("required")),
                        "content": {m: parameter.get("schema") or {} for m in consumes},
                    }
                    continue
                schema = parameter.get("schema")
                if schema is None and swagger:
                    schema = {
                        k: v
                        for k, v in parameter.items()
                        if k
                        in (
                            "type",
                            "enum",
                            "format",
                            "items",
                            "maximum",
                            "minimum",
                            "maxLength",
                            "minLength",
                            "pattern",
                        )
                    }
                if schema is None and isinstance(parameter.get("content"), dict):
                    media: list[Any] = list(parameter["content"].values())
                    first: dict[str, Any] = media[0] if media and isinstance(media[0], dict) else {}
                    schema = first.get("schema")
                key = (str(parameter.get("in")), str(parameter.get("name")))
                if key[0] == "path":
                    # Path parameters match by position, so renaming one changes nothing.
                    key = ("path", positions.get(key[1], key[1]))
                parameters[key] = {
                    "required": bool(parameter.get("required")) or key[0] == "path",
                    "schema": schema or {},
                }
            if not swagger and isinstance(operation.get("requestBody"), dict):
                request = operation["requestBody"]
                body = {
                    "required": bool(request.get("required")),
                    "content": {
                        m: (c or {}).get("schema") or {}
                        for m, c in (request.get("content") or {}).items()
                    },
                }
            responses: dict[str, dict[str, Any]] = {}
            for status, response in (operation.get("responses") or {}).items():
                if not isinstance(response, dict):
                    continue
                if swagger:
                    produces = (
                        operation.get("produces")
                        or document.get("produces")
                        or ["application/json"]
                    )
                    content: dict[str, Any] = (
                        {m: response["schema"] for m in produces} if "schema" in response else {}
                    )
                else:
                    content = {
                        m: (c or {}).get("schema") or {}
                        for m, c in (response.get("content") or {}).items()
                    }
                responses[str(status)] = content
            security = operation.get("security", global_security) or []
            template = _template(path)
            found[(method, template)] = _Operation(
                method=method.upper(),
                path=path,
                parameters=parameters,
                body=body,
                responses=responses,
                security=[{k: list(v or []) for k, v in (r or {}).items()} for r in security],
            )
    return found


def _template(path: str) -> str:
    """Return the path with parameter names blanked, so that renaming a path parameter changes nothing."""
    parts = []
    for segment in path.split("/"):
        parts.append("{}" if segment.startswith("{") and segment.endswith("}") else segment)
    return "/".join(parts)


# --- comparing -----------------------------------------------------------------


def diff_descriptions(
    base: dict[str, Any],
    revision: dict[str, Any],
    *,
    api: str | None = None,
    published: bool = True,
    source: tuple[str, str] = ("base", "revision"),
) -> ApiChangeReport:
    """Compare `base` (published) with `revision` (the release's) and list every change."""
    before = _operations(base, source=source[0])
    after = _operations(revision, source=source[1])
    changes: list[dict[str, Any]] = []

    removed_paths = {template for (_, template) in before} - {template for (_, template) in after}
    for key in sorted(before):
        old = before[key]
        new = after.get(key)
        if new is None:
            rule = "api-path-removed" if key[1] in removed_paths else "api-operation-removed"
            changes.append(_change(rule, old, "", f"{old.method} {old.path} was removed"))
            continue
        changes.extend(_compare_operation(old, new))

    title = api or str(
        (revision.get("info") or {}).get("title") or (base.get("info") or {}).get("title") or "API"
    )
    return ApiChangeReport(
        api=title,
        published=published,
        base_version=_version(base),
        revision_version=_version(revision),
        changes=tuple(changes),
    )


def _version(document: dict[str, Any]) -> str | None:
    version = (document.get("info") or {}).get("version")
    return None if version is None else str(version)


def _change(rule: str, operation: _Operation, location: str, text: str) -> dict[str, Any]:
    level, kind = RULES[rule]
    return {
        "id": rule,
        "level": level.value,
        "kind": kind,
        "operation": operation.method,
        "path": operation.path,
        "location": location or None,
        "fingerprint": ":".join(
            part for part in (rule, operation.method, _template(operation.path), location) if part
        ),
        "text": text,
    }


def _compare_operation(old: _Operation, new: _Operation) -> Iterator[dict[str, Any]]:
    # Parameters.
    for key, parameter in sorted(new.parameters.items()):
        where = f"{key[0]}.{key[1]}"
        previous = old.parameters.get(key)
        if previous is None:
            if parameter["required"]:
                yield _change(
                    "new-required-request-parameter",
                    new,
                    where,
                    f"new required {key[0]} parameter '{key[1]}'",
                )
            continue
        if parameter["required"] and not previous["required"]:
            yield _change(
                "request-parameter-became-required",
                new,
                where,
                f"{key[0]} parameter '{key[1]}' became required",
            )
        yield from _compare_schema(
            previous["schema"], parameter["schema"], new, where, request=True
        )
    for key in sorted(set(old.parameters) - set(new.parameters)):
        yield _change(
            "request-parameter-removed",
            new,
            f"{key[0]}.{key[1]}",
            f"{key[0]} parameter '{key[1]}' was removed; clients that send it may be rejected",
        )

    # Request body.
    if new.body is not None:
        if new.body["required"] and not (old.body or {}).get("required"):
            yield _change(
                "request-body-became-required", new, "body", "the request body became required"
            )
        for media, schema in sorted((old.body or {}).get("content", {}).items()):
            if media not in new.body["content"]:
                yield _change(
                    "request-body-media-type-removed",
                    new,
                    f"body.{media}",
                    f"request media type {media} was removed",
                )
                continue
            yield from _compare_schema(
                schema, new.body["content"][media], new, f"body.{media}", request=True
            )

    # Responses.
    for status, content in sorted(old.responses.items()):
        if status not in new.responses:
            if status.startswith("2"):
                yield _change(
                    "response-success-status-removed",
                    new,
                    f"response.{status}",
                    f"success response {status} was removed",
                )
            continue
        for media, schema in sorted(content.items()):
            if media not in new.responses[status]:
                yield _change(
                    "response-media-type-removed",
                    new,
                    f"response.{status}.{media}",
                    f"response {status} no longer returns {media}",
                )
                continue
            yield from _compare_schema(
                schema,
                new.responses[status][media],
                new,
                f"response.{status}.{media}",
                request=False,
            )

    # Security.
    yield from _compare_security(old, new)


def _types(schema: dict[str, Any]) -> set[str]:
    value = schema.get("type")
    types: set[str] = set()
    if isinstance(value, list):
        types = set(value)
    elif isinstance(value, str):
        types = {value}
    if schema.get("nullable") is True:
        types.add("null")
    return types


def _widens(old: set[str], new: set[str]) -> bool:
    """Return whether every value of the old types is a value of the new ones."""
    covered = set(new)
    if "number" in covered:
        covered.add("integer")
    return old <= covered


def _compare_schema(
    old: Any, new: Any, operation: _Operation, where: str, *, request: bool, depth: int = 0
) -> Iterator[dict[str, Any]]:
    if depth > _MAX_DEPTH or not isinstance(old, dict) or not isinstance(new, dict):
        return
    old_types, new_types = _types(old) - {"null"}, _types(new) - {"null"}
    if old_types and new_types and old_types != new_types:
        if request and not _widens(old_types, new_types):
            yield _change(
                "request-type-narrowed",
                operation,
                where,
                f"type changed from {_text(old_types)} to {_text(new_types)}",
            )
        elif not request:
            yield _change(
                "response-type-changed",
                operation,
                where,
                f"type changed from {_text(old_types)} to {_text(new_types)}",
            )
    old_null, new_null = "null" in _types(old), "null" in _types(new)
    if request and old_null and not new_null:
        yield _change("request-became-not-nullable", operation, where, "null is no longer accepted")
    if not request and new_null and not old_null:
        yield _change("response-became-nullable", operation, where, "the value may now be null")

    old_enum, new_enum = old.get("enum"), new.get("enum")
    if request and isinstance(new_enum, list):
        removed = [v for v in (old_enum if isinstance(old_enum, list) else []) if v not in new_enum]
        if removed or not isinstance(old_enum, list):
            yield _change(
                "request-enum-value-removed",
                operation,
                where,
                f"values no longer accepted: {removed if removed else 'all but ' + str(new_enum)}",
            )
    if not request and isinstance(old_enum, list):
        added = [
            v
            for v in (new_enum if isinstance(new_enum, list) else ["any value"])
            if v not in old_enum
        ]
        if added:
            yield _change(
                "response-enum-value-added",
                operation,
                where,
                f"new values may be returned: {added}",
            )

    if request:
        for key, tighter in (
            ("maxLength", min),
            ("maximum", min),
            ("maxItems", min),
            ("minLength", max),
            ("minimum", max),
            ("minItems", max),
        ):
            before, after = old.get(key), new.get(key)
            if isinstance(after, int | float) and (
                not isinstance(before, int | float) or tighter(before, after) == after != before
            ):
                yield _change(
                    "request-constraint-tightened",
                    operation,
                    f"{where}.{key}",
                    f"{key} tightened from {before} to {after}",
                )

    for keyword in ("oneOf", "anyOf", "allOf", "not"):
        if (keyword in old) != (keyword in new) or (
            isinstance(old.get(keyword), list)
            and isinstance(new.get(keyword), list)
            and len(old[keyword]) != len(new[keyword])
        ):
            yield _change(
                "schema-composition-changed",
                operation,
                f"{where}.{keyword}",
                f"{keyword} changed; review the change by hand",
            )

    old_props: dict[str, Any] = old["properties"] if isinstance(old.get("properties"), dict) else {}
    new_props: dict[str, Any] = new["properties"] if isinstance(new.get("properties"), dict) else {}
    old_required = set(old.get("required") or [])
    new_required = set(new.get("required") or [])
    for name in sorted(set(old_props) | set(new_props)):
        here = f"{where}.{name}"
        if name not in new_props:
            if request:
                yield _change(
                    "request-property-removed", operation, here, f"property '{name}' was removed"
                )
            elif name in old_required:
                yield _change(
                    "response-required-property-removed",
                    operation,
                    here,
                    f"required property '{name}' was removed",
                )
            else:
                yield _change(
                    "response-optional-property-removed",
                    operation,
                    here,
                    f"optional property '{name}' was removed",
                )
            continue
        if name not in old_props:
            if request and name in new_required and not new_props[name].get("readOnly"):
                yield _change(
                    "new-required-request-property",
                    operation,
                    here,
                    f"new required property '{name}'",
                )
            continue
        if (
            request
            and name in new_required
            and name not in old_required
            and not new_props[name].get("readOnly")
        ):
            yield _change(
                "request-property-became-required",
                operation,
                here,
                f"property '{name}' became required",
            )
        if (
            not request
            and name in old_required
            and name not in new_required
            and not new_props[name].get("writeOnly")
        ):
            yield _change(
                "response-property-became-optional",
                operation,
                here,
                f"property '{name}' is no longer required",
            )
        yield from _compare_schema(
            old_props[name], new_props[name], operation, here, request=request, depth=depth + 1
        )

    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        yield from _compare_schema(
            old["items"], new["items"], operation, f"{where}[]", request=request, depth=depth + 1
        )


def _text(types: set[str]) -> str:
    return "/".join(sorted(types))


def _compare_security(old: _Operation, new: _Operation) -> Iterator[dict[str, Any]]:
    if not old.security and new.security:
        yield _change(
            "api-security-added", new, "security", "the operation now requires authentication"
        )
        return
    if old.security and not new.security:
        yield _change(
            "api-security-removed",
            new,
            "security",
            "the operation no longer requires authentication",
        )
        return
    for requirement in old.security:
        # A client that met this requirement still gets in when some revision
        # requirement needs no scheme or scope it lacks.
        if any(_satisfied_by(candidate, requirement) for candidate in new.security):
            for candidate in new.security:
                if set(candidate) == set(requirement):
                    for scheme in sorted(candidate):
                        removed = sorted(set(requirement[scheme]) - set(candidate[scheme]))
                        if removed:
                            yield _change(
                                "api-security-scope-removed",
                                new,
                                f"security.{scheme}",
                                f"scopes {', '.join(removed)} of scheme {scheme} are no longer required",
                            )
            continue
        same = [c for c in new.security if set(c) == set(requirement)]
        if same:
            for scheme in sorted(requirement):
                added = sorted(set(same[0][scheme]) - set(requirement[scheme]))
                if added:
                    yield _change(
                        "api-security-scope-added",
                        new,
                        f"security.{scheme}",
                        f"scheme {scheme} now also requires scopes {', '.join(added)}",
                    )
        else:
            yield _change(
                "api-security-changed",
                new,
                "security",
                f"clients authenticated with {', '.join(sorted(requirement)) or 'no scheme'} no longer qualify",
            )


def _satisfied_by(candidate: dict[str, list[str]], held: dict[str, list[str]]) -> bool:
    return all(
        scheme in held and set(scopes) <= set(held[scheme]) for scheme, scopes in candidate.items()
    )


def summary(report: ApiChangeReport) -> dict[str, int | str | bool | None]:
    """Counts for the evidence summary."""
    return {
        "api": report.api,
        "breaking": sum(1 for c in report.changes if c["level"] == Level.BREAKING.value),
        "changes": len(report.changes),
    }


def breaking(report: ApiChangeReport) -> list[dict[str, Any]]:
    """Return the breaking changes of `report`."""
    return [copy.deepcopy(c) for c in report.changes if c["level"] == Level.BREAKING.value]
