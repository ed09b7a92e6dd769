"""Reading user YAML documents into pydantic models with errors that name the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from releasegate.errors import InputError

M = TypeVar("M", bound=BaseModel)

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024


def field_path(location: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as `services[0].owners.engineering`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(document)"


def read_bytes(path: Path, *, what: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise InputError(
                f"{what} is {size} bytes, more than the {MAX_DOCUMENT_BYTES} bytes accepted",
                source=str(path),
                hint="split the file or check that it is the right one",
            )
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(
            f"{what} not found", source=str(path), hint="check the path and the working folder"
        ) from exc
    except IsADirectoryError as exc:
        raise InputError(
            f"{what} is a directory, not a file", source=str(path), hint="name a file"
        ) from exc
    except PermissionError as exc:
        raise InputError(
            f"{what} is not readable", source=str(path), hint="check the file's permissions"
        ) from exc


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loader that rejects duplicate keys and aliases.

    A duplicate key silently keeps the last value in PyYAML, which can hide a
    field; aliases let a small file expand into a huge document.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases (*name) are not accepted; write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                continue  # let PyYAML report an unhashable key
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(data: bytes, *, source: str) -> Any:
    """Parse YAML (JSON is valid YAML) safely; no custom tags, no object construction."""
    if not data.strip():
        raise InputError("the file is empty", source=source, hint="write the YAML document")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (invalid byte at offset {exc.start})",
            source=source,
            hint="save the file as UTF-8",
        ) from exc
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError as exc:
        raise InputError(
            "the YAML document is nested too deeply", source=source,
            hint="flatten the document; releasegate documents need only a few levels",
        ) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise InputError(
            f"invalid YAML: {exc.problem or exc}",
            source=source,
            field=where,
            hint="fix the syntax at the position shown",
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", source=source, hint="fix the syntax") from exc


def validate(model: type[M], value: Any, *, source: str, prefix: str = "") -> M:
    """Validate `value` as `model`, turning the first error into an InputError."""
    if not isinstance(value, dict):
        raise InputError(
            f"expected a mapping at the top level, found {type(value).__name__}",
            source=source,
            field=prefix or None,
            hint=f"write the document as key: value pairs for {model.__name__}",
        )
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = field_path(tuple(error["loc"]))
        field = f"{prefix}.{location}" if prefix else location
        count = exc.error_count()
        more = f" (and {count - 1} more error(s))" if count > 1 else ""
        found = repr(error.get("input"))
        if len(found) > 200:
            found = found[:200] + "..."
        shown = "" if error["type"] == "missing" else f"; found {found}"
        raise InputError(
            f"{error['msg']}{shown}{more}",
            source=source,
            field=field,
            hint=f"correct '{field}' and submit again",
        ) from exc


def load_model(model: type[M], path: Path, *, what: str) -> M:
    data = read_bytes(path, what=what)
    return validate(model, parse_yaml(data, source=str(path)), source=str(path))
