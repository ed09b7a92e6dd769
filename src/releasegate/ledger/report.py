"""The audit report of one release, in Markdown and HTML, built from its ledger entries.

The exporter passes the entries and the blobs they reference (the release
manifest and the decisions), so the report shows only what the bundle
contains and proves. Every value is escaped for its format.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ReportInput", "render_html", "render_markdown"]

_EVENTS = {
    "release.created": "release created",
    "evidence.added": "evidence added",
    "approval.recorded": "approval recorded",
    "exception.requested": "exception requested",
    "exception.approved": "exception approved",
    "exception.rejected": "exception rejected",
    "decision.recorded": "gate decision",
    "ledger.key.created": "log key created",
    "ledger.key.rotated": "log key rotated",
}

NO_DEPLOYMENTS = (
    "No deployments are recorded for this release: releasegate does not record "
    "rollouts in the ledger yet, so deployment evidence must come from the deploy system."
)


@dataclass(frozen=True)
class ReportInput:
    """Contents of the report: the release, its entries, decisions and the checkpoint."""

    release_id: str
    manifest: Mapping[str, Any]
    entries: Sequence[Mapping[str, Any]]
    decisions: Mapping[str, Mapping[str, Any]]
    origin: str
    tree_size: int
    root_hash: str
    log_key_ids: Sequence[str]
    witnesses: Sequence[str]
    exported_at: str


@dataclass(frozen=True)
class _Table:
    title: str
    columns: tuple[str, ...]
    rows: list[list[str]]
    empty: str


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text(v)}" for k, v in sorted(value.items()))
    return str(value)


def _summary(report: ReportInput) -> list[tuple[str, str]]:
    manifest = report.manifest
    artifacts = [
        f"{a.get('name')} {a.get('digest')}"
        for a in manifest.get("artifacts", [])
        if isinstance(a, dict)
    ]
    return [
        ("release", report.release_id),
        ("service", _text(manifest.get("service"))),
        ("version", _text(manifest.get("version"))),
        ("change type", _text(manifest.get("change_type"))),
        ("description", _text(manifest.get("description"))),
        ("ticket", _text(manifest.get("ticket"))),
        ("source commit", _text(manifest.get("source_commit"))),
        ("pull request", _text(manifest.get("pull_request"))),
        ("authors", _text(manifest.get("authors"))),
        ("requester", _text(manifest.get("requester"))),
        ("artifacts", "; ".join(artifacts)),
        ("ledger", f"{report.origin}, checkpoint at tree size {report.tree_size}"),
        ("root hash", report.root_hash),
        ("signed by log keys", ", ".join(report.log_key_ids)),
        ("witness cosignatures", ", ".join(report.witnesses) or "none"),
        ("exported at", report.exported_at),
    ]


def _details(entry: Mapping[str, Any]) -> str:
    data = entry.get("data", {})
    kind = entry.get("type")
    if kind == "evidence.added":
        return f"{data.get('format')} {data.get('filename')} ({_text(data.get('summary'))})"
    if kind == "approval.recorded":
        groups = _text(data.get("groups")) or "none"
        return f"{data.get('approver')} {data.get('decision')} (groups: {groups})"
    if kind and kind.startswith("exception."):
        return f"{data.get('exception_id')} for {data.get('control_id')}"
    if kind == "decision.recorded":
        return f"{data.get('outcome')} for {data.get('environment')}, risk {data.get('risk_tier')}"
    if kind == "release.created":
        return f"{data.get('service')} {data.get('version')} ({data.get('change_type')})"
    if kind and kind.startswith("ledger.key."):
        return f"key {data.get('key_id')} of {data.get('key_name')}"
    return _text(data)


def _tables(report: ReportInput) -> list[_Table]:
    timeline = _Table(
        "Timeline",
        ("entry", "recorded at", "event", "details"),
        [
            [
                str(e.get("index")),
                _text(e.get("recorded_at")),
                _EVENTS.get(str(e.get("type")), str(e.get("type"))),
                _details(e),
            ]
            for e in report.entries
        ],
        "No entries.",
    )
    tables = [timeline]

    for environment, decision in sorted(report.decisions.items()):
        rows = []
        for result in decision.get("results", []):
            reasons = "; ".join(
                f"{v.get('msg')} (waived by {v.get('waived_by')})"
                if v.get("waived_by")
                else str(v.get("msg"))
                for v in result.get("violations", [])
            )
            rows.append(
                [
                    _text(result.get("control_id")),
                    _text(result.get("title")),
                    _text(result.get("layer")),
                    "yes" if result.get("blocking") else "no",
                    _text(result.get("outcome")),
                    reasons,
                    _text(result.get("frameworks")),
                ]
            )
        risk = decision.get("risk") or {}
        tables.append(
            _Table(
                f"Controls for {environment}: {decision.get('outcome')} "
                f"(decision {decision.get('id')}, risk {risk.get('tier', 'unknown')}, "
                f"policy revision {decision.get('policy_revision')})",
                ("control", "title", "layer", "blocks", "result", "reasons", "frameworks"),
                rows,
                "The decision lists no controls.",
            )
        )
    if not report.decisions:
        tables.append(
            _Table("Controls", ("control",), [], "The gate has not decided on this release.")
        )

    approvals = [
        [
            _text(e["data"].get("approval_id")),
            _text(e["data"].get("approver")),
            _text(e["data"].get("decision")),
            _text(e["data"].get("groups")),
            _text(e.get("recorded_at")),
            _text(e["data"].get("expires_at")),
        ]
        for e in report.entries
        if e.get("type") == "approval.recorded"
    ]
    tables.append(
        _Table(
            "Approvals",
            ("approval", "approver", "decision", "groups", "recorded at", "expires at"),
            approvals,
            "No approvals are recorded.",
        )
    )

    exceptions: dict[str, list[str]] = {}
    for entry in report.entries:
        kind = str(entry.get("type"))
        if not kind.startswith("exception."):
            continue
        data = entry["data"]
        row = exceptions.setdefault(
            str(data.get("exception_id")),
            [
                _text(data.get("exception_id")),
                _text(data.get("control_id")),
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        )
        if kind == "exception.requested":
            row[2] = _text(data.get("scope"))
            row[3] = _text(data.get("requester"))
            row[5] = _text(data.get("expires_at"))
            row[6] = _text(data.get("justification"))
            row[7] = _text(data.get("compensating_controls"))
            row[4] = row[4] or "requested"
        else:
            row[4] = f"{kind.removeprefix('exception.')} by {data.get('approver')}"
    tables.append(
        _Table(
            "Exceptions",
            (
                "exception",
                "control",
                "scope",
                "requester",
                "status",
                "expires at",
                "justification",
                "compensating controls",
            ),
            list(exceptions.values()),
            "No exceptions apply to this release.",
        )
    )
    tables.append(_Table("Deployments", ("deployment",), [], NO_DEPLOYMENTS))
    return tables


def _verify_hint() -> str:
    return (
        "Verify this bundle offline with "
        "`python -m releasegate.ledger.audit verify bundle.zip --key log.pub`, "
        "where log.pub is the log's public key obtained from its operator."
    )


def render_markdown(report: ReportInput) -> str:
    """Return the report as Markdown."""

    def cell(value: str) -> str:
        return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    lines = [f"# Audit report: release {cell(report.release_id)}", ""]
    lines += ["| field | value |", "| --- | --- |"]
    lines += [f"| {cell(k)} | {cell(v)} |" for k, v in _summary(report)]
    for table in _tables(report):
        lines += ["", f"## {cell(table.title)}", ""]
        if not table.rows:
            lines.append(table.empty)
            continue
        lines.append("| " + " | ".join(table.columns) + " |")
        lines.append("|" + " --- |" * len(table.columns))
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows]
    lines += ["", "## Verification", "", _verify_hint(), ""]
    return "\n".join(lines)


_STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1.5em}"
    "th,td{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}"
    "th{background:#eee}code{font-size:90%}"
)


def render_html(report: ReportInput) -> str:
    """Return the report as a self-contained HTML page."""
    escape = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Audit report: release {escape(report.release_id)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Audit report: release {escape(report.release_id)}</h1>",
        "<table>",
    ]
    parts += [f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in _summary(report)]
    parts.append("</table>")
    for table in _tables(report):
        parts.append(f"<h2>{escape(table.title)}</h2>")
        if not table.rows:
            parts.append(f"<p>{escape(table.empty)}</p>")
            continue
        parts.append(
            "<table><tr>" + "".join(f"<th>{escape(c)}</th>" for c in table.columns) + "</tr>"
        )
        parts += [
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows
        ]
        parts.append("</table>")
    parts += ["<h2>Verification</h2>", f"<p>{escape(_verify_hint())}</p>", "</body></html>", ""]
    return "\n".join(parts)
