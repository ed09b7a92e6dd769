"""Merge the layers' parameter documents into `data.releasegate.params`."""

from __future__ import annotations

import copy
from typing import Any


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def merge_layers(
    defaults: dict[str, Any], layers: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """Overlay each layer's data document on the built-in defaults, top layer first.

    Keys the built-in library does not know are kept, so a team's own Rego can
    read its parameters from `data.releasegate.params` too.
    """
    # TODO: reject a lower layer that loosens a parameter once each parameter
    # declares its direction in a schema; until then a lower layer may override.
    params = copy.deepcopy(defaults)
    for _label, document in layers:
        params = _deep_merge(params, document)
    return params
