"""The parts of the policy input built from change analyses and the manifest's flag changes.

See docs/policy-input.md, "Infrastructure plans" and "Database, API and
event changes", for the shape of each list.
"""

from __future__ import annotations

from typing import Any

from releasegate.clock import rfc3339
from releasegate.model import EvidenceRecord, Release
from releasegate.model.change import (
    ApiChangeReport,
    ChangeReport,
    EventSchemaReport,
    IacPlanReport,
    MigrationReport,
)

CHANGE_LISTS = ("iac_plans", "migrations", "api_changes", "event_schemas", "feature_flags")
"""The evidence lists this module fills, always present in the input, possibly empty."""


def change_document(record: EvidenceRecord, facts: ChangeReport) -> tuple[str, dict[str, Any]]:
    """Return the evidence list name and the input record of one change report."""
    common = {
        "id": record.id,
        "sha256": record.sha256,
        "collected_at": rfc3339(record.collected_at),
    }
    if isinstance(facts, IacPlanReport):
        return "iac_plans", {
            **common,
            "format": facts.format,
            "terraform_version": facts.terraform_version,
            "complete": facts.complete,
            "resources": [dict(r) for r in facts.resources],
        }
    if isinstance(facts, MigrationReport):
        return "migrations", {
            **common,
            "tool": facts.tool,
            "dialect": facts.dialect,
            "runner_transaction": facts.runner_transaction,
            "scripts": [dict(s) for s in facts.scripts],
        }
    if isinstance(facts, ApiChangeReport):
        return "api_changes", {
            **common,
            "tool": facts.tool,
            "api": facts.api,
            "published": facts.published,
            "base_version": facts.base_version,
            "revision_version": facts.revision_version,
            "changes": [dict(c) for c in facts.changes],
        }
    if isinstance(facts, EventSchemaReport):
        return "event_schemas", {
            **common,
            "registry": facts.registry,
            "subjects": [dict(s) for s in facts.subjects],
        }
    raise TypeError(f"not a change report: {type(facts).__name__}")


def feature_flag_document(release: Release, environment: str) -> dict[str, Any]:
    """The release manifest's flag changes for `environment`, as one feature_flags record.

    The manifest is where a release declares its flag changes, so a manifest
    that lists none declares that the release changes no flag.
    """
    flags = [
        {
            "key": flag.key,
            "enabled_before": flag.enabled_before,
            "enabled_after": flag.enabled_after,
        }
        for flag in release.manifest.feature_flags
        if flag.environment in (None, environment)
    ]
    return {
        "id": "release-manifest",
        "source": "release manifest",
        "environment": environment,
        "flags": flags,
    }
