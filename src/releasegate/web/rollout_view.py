"""The rollout part of the release page: progress, traffic share, health gates and charts.

The page and its live updates render the same fragment from the same view,
so a browser without JavaScript gets on reload what the live page shows.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from markupsafe import Markup

from releasegate.service.app import Application
from releasegate.web.charts import line_chart

STATUS_WORDS = {
    "running": "In progress",
    "paused": "Paused, waiting for a person",
    "rolling_back": "Rolling back",
    "succeeded": "Succeeded",
    "rolled_back": "Rolled back",
    "failed": "Failed",
}
STEP_WORDS = {
    "pending": "waiting",
    "running": "running",
    "succeeded": "done",
    "failed": "failed",
    "skipped": "skipped",
}
KIND_WORDS = {
    "gate": "Release gate",
    "deploy": "Deploy",
    "health": "Health gate",
    "telemetry": "Telemetry check",
}
VERDICT_WORDS = {
    "pass": "healthy",
    "fail": "unhealthy",
    "inconclusive": "not enough data",
    "error": "metrics unavailable",
    "running": "still measuring",
}


def _where(step: dict[str, Any]) -> str:
    where = str(step["environment"])
    if step.get("wave"):
        where += f", wave {step['wave']} ({', '.join(step['regions'])})"
    return where


def traffic_share(status: dict[str, Any]) -> str:
    """Describe in words how much traffic the new version takes now."""
    if status["status"] == "rolled_back":
        return "none: the rollout was rolled back"
    deployed = [s for s in status["steps"] if s["kind"] == "deploy" and s["status"] == "succeeded"]
    if not deployed:
        return "none yet"
    last = deployed[-1]
    return f"{last['weight']}% in {_where(last)}"


def progress_sentence(status: dict[str, Any]) -> str:
    """Build the sentence of the page's live region: state, steps done and the current step."""
    steps = status["steps"]
    done = sum(1 for s in steps if s["status"] in ("succeeded", "skipped"))
    sentence = f"Rollout {STATUS_WORDS.get(status['status'], status['status']).lower()}: "
    sentence += f"{done} of {len(steps)} steps done"
    current = next((s for s in steps if s["status"] in ("pending", "running")), None)
    if current is not None and status["status"] in ("running", "paused", "rolling_back"):
        sentence += f"; now {KIND_WORDS.get(current['kind'], current['kind']).lower()}"
        sentence += f" in {_where(current)}"
    return sentence + "."


def _health_gates(status: dict[str, Any]) -> list[dict[str, Any]]:
    gates = []
    for step in status["steps"]:
        if step["kind"] != "health":
            continue
        result = step.get("result") or {}
        gates.append(
            {
                "seq": step["seq"],
                "where": _where(step),
                "weight": step["weight"],
                "status": step["status"],
                "verdict": result.get("status"),
                "assessments": result.get("assessments", []),
                "measurements": {m["indicator"]: m for m in result.get("measurements", [])},
            }
        )
    return gates


def _charts(measurements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Build one chart per indicator over the rollout: baseline and canary means, or scores."""
    by_indicator: dict[str, list[dict[str, Any]]] = {}
    for item in measurements:
        by_indicator.setdefault(item["indicator"], []).append(item)
    charts = []
    for indicator, items in by_indicator.items():
        labels = [f"step {m['seq']} at {m['measured_at'][11:19]} UTC" for m in items]
        if "score" in items[0]:
            title = f"{indicator}: canary score of each measurement (0 to 100)"
            series: list[tuple[str, list[float | None]]] = [
                ("score", [m.get("score") for m in items])
            ]
        else:
            title = f"{indicator}: baseline and canary mean of each measurement"
            series = [
                ("baseline", [m.get("baseline_mean") for m in items]),
                ("canary", [m.get("canary_mean") for m in items]),
            ]
        rows = [
            {
                "label": label,
                "cells": [points[n] for _, points in series],
                "outcome": items[n]["outcome"],
            }
            for n, label in enumerate(labels)
        ]
        charts.append(
            {
                "indicator": indicator,
                "title": title,
                "svg": line_chart(title, labels, series),
                "names": [name for name, _ in series],
                "rows": rows,
            }
        )
    return charts


def rollout_view(app: Application, release_id: str) -> dict[str, Any] | None:
    """Return what the page shows of the release's newest rollout, or None without one."""
    from releasegate.service.rollout_views import latest_rollout_id, rollout_measurements
    from releasegate.service.rollouts import rollout_status

    rollout_id = latest_rollout_id(app, release_id)
    if rollout_id is None:
        return None
    status = rollout_status(app, rollout_id)
    measurements = rollout_measurements(app, rollout_id)
    state = [
        status["status"],
        status["updated_at"],
        [s["status"] for s in status["steps"]],
        len(measurements),
    ]
    fingerprint = hashlib.sha256(json.dumps(state).encode()).hexdigest()[:16]
    return {
        "rollout": status,
        "status_words": STATUS_WORDS,
        "step_words": STEP_WORDS,
        "kind_words": KIND_WORDS,
        "gate_words": VERDICT_WORDS,
        "traffic": traffic_share(status),
        "progress": progress_sentence(status),
        "health_gates": _health_gates(status),
        "charts": _charts(measurements),
        "fingerprint": fingerprint,
    }


def render_fragment(templates: Any, view: dict[str, Any] | None) -> Markup:
    """Render the rollout section's inner HTML (the same markup the page embeds)."""
    template = templates.env.get_template("_rollout.html")
    return Markup(template.render(view=view))  # noqa: S704 - autoescaped template output
