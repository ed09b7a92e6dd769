"""The control library as it applies to a service: ids, titles, layers, modes, frameworks."""

from __future__ import annotations

from typing import Any

from releasegate.service.app import Application


def list_controls(app: Application, service: str | None = None) -> list[dict[str, Any]]:
    """List every control of the policy set, with its mode from the merged parameters."""
    policy = app.policy(service)
    params = policy.params.get("controls") or {}
    return [
        {
            "id": m.id,
            "title": m.title,
            "layer": m.layer,
            "blocking": m.blocking,
            "mode": (params.get(m.id) or {}).get("mode", "enforce"),
            "frameworks": list(m.frameworks),
            "description": m.description,
            "solution": m.solution,
        }
        for m in sorted(policy.controls.values(), key=lambda m: m.id)
    ]
