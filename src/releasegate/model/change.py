"""Normalized facts about the changes that ship with a release besides its code.

Each report is what an analyser of `releasegate.analysis` produces from a
Terraform plan, a set of migration scripts, an OpenAPI pair or an event schema
pair. The gate feeds them to the controls under `input.evidence` (see
docs/policy-input.md); `releasegate analyze` prints their findings.
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import Field

from releasegate.model.common import Frozen, NonEmpty


class FindingLevel(enum.StrEnum):
    """How an analyser rates one finding: error blocks, warning is reported."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class ChangeFinding(Frozen):
    """One problem the migration analyser found in a script, named by a stable rule id."""

    rule: NonEmpty
    level: FindingLevel
    subject: NonEmpty = Field(description="The migration script the finding is about.")
    message: NonEmpty
    line: int | None = Field(default=None, description="Line of the statement in the script.")


class IacPlanReport(Frozen):
    """A Terraform plan normalized into provider-neutral resources (docs/policy-input.md)."""

    format: str = "terraform-plan-json"
    terraform_version: str | None = None
    complete: bool
    resources: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...] = ()


class MigrationReport(Frozen):
    """The migration scripts of one database, each classified statement by statement."""

    tool: str = "releasegate"
    dialect: NonEmpty
    runner_transaction: NonEmpty
    scripts: tuple[dict[str, Any], ...]
    findings: tuple[ChangeFinding, ...] = ()


class ApiChangeReport(Frozen):
    """The differences between a published API description and the release's."""

    tool: str = "releasegate"
    api: NonEmpty
    published: bool = True
    base_version: str | None = None
    revision_version: str | None = None
    changes: tuple[dict[str, Any], ...]


class EventSchemaReport(Frozen):
    """Compatibility results of event schemas under their registry modes."""

    registry: str | None = None
    subjects: tuple[dict[str, Any], ...]


ChangeReport = IacPlanReport | MigrationReport | ApiChangeReport | EventSchemaReport
"""Any report of a change analyser."""
