"""Merge the layers' parameter documents into `data.releasegate.params`, tighten-only.

The built-in defaults come first. The enterprise layer may set any value.
Each lower layer (platform, then the service's application layer) may only
tighten what the layers above it set, in the direction that the parameter
declares in `rego/params.schema.yaml`. Parameters under `controls.<ID>` are
free for the layer that owns the control and the layers above it, and
tighten-only below it. A value of the wrong type or an unknown built-in key
is rejected too.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from releasegate.errors import PolicyError

SCHEMA_FILE = Path(__file__).with_name("rego") / "params.schema.yaml"
LAYER_ORDER = ("builtin", "enterprise", "platform", "application")
_SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
_MODES = {"report": 0, "enforce": 1}
_UNSET = object()
_EVERYTHING = object()
_DIRECTION_TEXT = {
    "max": "a lower layer may only lower this maximum",
    "min": "a lower layer may only raise this minimum",
    "grow": "a lower layer may only add items to this required list",
    "shrink": "a lower layer may only remove items from this allowed list",
    "enable": "a lower layer may only turn this requirement on",
    "severity": "a lower layer may only make this blocking severity less severe",
    "enforce": "a lower layer may only switch this control from report to enforce",
}


@dataclass(frozen=True)
class Leaf:
    """Declared type and tightening direction of one parameter.

    `minimum` bounds a number from below in every layer. `implicit` names the
    parameter whose value applies while this one is unset (a dotted path), so
    a lower layer adding the key is compared with that value.
    """

    type: str
    direction: str
    minimum: float | None = None
    implicit: str | None = None


def load_schema(path: Path = SCHEMA_FILE) -> dict[str, Any]:
    try:
        schema = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(
            f"cannot read the parameter schema {path}: {exc}", hint="reinstall releasegate"
        ) from exc
    if not isinstance(schema, dict):
        raise PolicyError(
            f"{path}: the parameter schema must be a mapping", hint="reinstall releasegate"
        )
    return schema


def _leaf(node: Any) -> Leaf | None:
    if isinstance(node, dict) and "direction" in node and "type" in node:
        return Leaf(
            str(node["type"]),
            str(node["direction"]),
            node.get("minimum"),
            node.get("implicit"),
        )
    return None


def _type_error(value: Any, leaf: Leaf) -> str | None:
    """Return why `value` does not fit `leaf.type`, or None when it fits."""
    match leaf.type:
        case "integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
            return None if ok else "expected an integer"
        case "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            ok = ok and math.isfinite(value)
            return None if ok else "expected a finite number"
        case "boolean":
            return None if isinstance(value, bool) else "expected true or false"
        case "list":
            ok = isinstance(value, list) and all(isinstance(i, str | int) for i in value)
            return None if ok else "expected a list of strings"
        case "severity":
            return (
                None if value in _SEVERITY_RANK else f"expected one of {', '.join(_SEVERITY_RANK)}"
            )
        case "mode":
            return None if value in _MODES else "expected report or enforce"
    return f"unknown type {leaf.type!r} in the parameter schema"


def _loosens(old: Any, new: Any, direction: str) -> bool:
    match direction:
        case "max":
            return bool(new > old)
        case "min":
            return bool(new < old)
        case "grow":
            return not set(old) <= set(new)
        case "shrink":
            return not set(new) <= set(old)
        case "enable":
            return bool(old) and not new
        case "severity":
            return _SEVERITY_RANK[new] > _SEVERITY_RANK[old]
        case "enforce":
            return _MODES[new] < _MODES[old]
    raise PolicyError(
        f"unknown direction {direction!r} in the parameter schema", hint="reinstall releasegate"
    )


@dataclass
class _Merge:
    schema: dict[str, Any]
    owners: dict[str, str]
    blocking: dict[str, bool]
    params: dict[str, Any]
    set_by: dict[str, str]

    def apply(self, label: str, document: dict[str, Any]) -> None:
        layer = label.split("/", 1)[0]
        for key, value in document.items():
            self._visit(label, layer, (key,), value, self.schema.get(key), self.params)

    def _free_for(self, layer: str, path: tuple[str, ...]) -> bool:
        if layer == "enterprise":
            return True
        if len(path) >= 2 and path[0] == "controls":
            owner = self.owners.get(path[1], "application")
            return LAYER_ORDER.index(layer) <= LAYER_ORDER.index(owner)
        return False

    def _visit(
        self,
        label: str,
        layer: str,
        path: tuple[str, ...],
        value: Any,
        schema: Any,
        target: dict[str, Any],
    ) -> None:
        name = ".".join(path)
        key = path[-1]
        if schema is None:
            if len(path) == 1:
                target[key] = copy.deepcopy(value)  # a team's own parameter
                self.set_by[name] = label
                return
            raise PolicyError(
                f"{label}: unknown parameter {name}",
                hint="check the spelling against the built-in params.yaml",
            )
        leaf = _leaf(schema)
        if leaf is None:
            if not isinstance(value, dict):
                raise PolicyError(
                    f"{label}: parameter {name} must be a mapping, found {value!r}",
                    hint="see the built-in params.yaml for its shape",
                )
            child_target = target.setdefault(key, {})
            if not isinstance(child_target, dict):
                raise PolicyError(
                    f"{label}: parameter {name} must be a mapping",
                    hint="see the built-in params.yaml",
                )
            for child, child_value in value.items():
                child_schema = schema.get(str(child), schema.get("*"))
                self._visit(
                    label, layer, (*path, str(child)), child_value, child_schema, child_target
                )
            return

        problem = _type_error(value, leaf)
        if problem is None and leaf.minimum is not None and value < leaf.minimum:
            problem = f"expected at least {leaf.minimum:g}"
        if problem:
            raise PolicyError(
                f"{label}: parameter {name} is {value!r}: {problem}",
                hint="fix the value in the layer's data document",
            )
        if not self._free_for(layer, path):
            old = target.get(key, _UNSET)
            if old is _UNSET and leaf.implicit:
                old = self._lookup(leaf.implicit)
            self._check_tightens(label, path, old, value, leaf)
        target[key] = copy.deepcopy(value)
        self.set_by[name] = label

    def _lookup(self, dotted: str) -> Any:
        node: Any = self.params
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return _UNSET
            node = node[part]
        return node

    def _implicit(self, path: tuple[str, ...]) -> Any:
        """Return the value a control parameter has when no layer set it."""
        if len(path) >= 3 and path[0] == "controls":
            if path[2] == "mode":
                return "enforce"
            if path[2] == "blocking":
                return self.blocking.get(path[1], False)
            if path[2] == "applies_to":
                return _EVERYTHING
        return _UNSET

    def _check_tightens(
        self, label: str, path: tuple[str, ...], old: Any, new: Any, leaf: Leaf
    ) -> None:
        name = ".".join(path)
        if old is _UNSET:
            old = self._implicit(path)
        if old is _UNSET:
            return
        if old is _EVERYTHING:
            raise PolicyError(
                f"{label}: parameter {name} narrows control {path[1]} to {new!r}, but it "
                "applies everywhere as set by the layers above",
                hint="only the layer that owns a control, or a layer above it, "
                "may narrow its scope",
            )
        if _loosens(old, new, leaf.direction):
            raise PolicyError(
                f"{label}: parameter {name} loosened from {old!r} "
                f"(set by {self.set_by.get(name, 'builtin')}) to {new!r} (set by {label})",
                hint=_DIRECTION_TEXT[leaf.direction],
            )


def merge_layers(
    defaults: dict[str, Any],
    layers: list[tuple[str, dict[str, Any]]],
    *,
    owners: dict[str, str] | None = None,
    blocking: dict[str, bool] | None = None,
    schema: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Overlay each layer's data document on the defaults, rejecting any loosening.

    `layers` are (label, document) pairs, enterprise first; a label starts
    with its layer name ("application/payments-api"). `owners` maps control
    ids to the layer that owns them and `blocking` to their declared blocking
    flag, which is what an unset `controls.<ID>.blocking` means.
    """
    merge = _Merge(schema or load_schema(), owners or {}, blocking or {}, {}, {})
    merge.apply("builtin", defaults)
    for label, document in layers:
        merge.apply(label, document)
    return merge.params
