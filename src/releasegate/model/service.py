"""Service catalog entries and the groups that own and approve them."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from releasegate.model.common import (
    Criticality,
    DataClassification,
    FinanceProcess,
    Frozen,
    Identity,
    NonEmpty,
)
from releasegate.model.rollout import IndicatorGate

_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            "expected 1-63 lowercase letters, digits or hyphens, "
            "starting and ending with a letter or digit"
        )
    return value


ServiceName = Annotated[str, AfterValidator(_check_name)]
GroupName = Annotated[str, AfterValidator(_check_name)]


class Group(Frozen):
    """A named set of identities, such as an engineering team or the CAB."""

    name: GroupName
    members: tuple[Identity, ...] = Field(min_length=1)


class ControlOwner(Frozen):
    """The groups that own a service: engineering and business control."""

    engineering: GroupName
    business_control: GroupName


class RecoveryObjectives(Frozen):
    """Recovery time and recovery point objectives, in minutes."""

    rto_minutes: int = Field(gt=0)
    rpo_minutes: int = Field(ge=0)


class HealthIndicator(Frozen):
    """A technical or business signal watched during and after a rollout."""

    name: NonEmpty
    kind: str = Field(pattern=r"^(technical|business)$")
    query: NonEmpty
    gate: IndicatorGate | None = Field(
        default=None, description="How rollout health gates judge this indicator."
    )


class MigrationSettings(Frozen):
    """How a service's database migrations are read: the SQL dialect and the runner's transactions."""

    dialect: str = Field(default="postgres", pattern=r"^(postgres|mysql|tsql|oracle)$")
    runner_transaction: str = Field(default="none", pattern=r"^(none|per-file)$")


class TopicSettings(Frozen):
    """Schema registry settings of one event topic the service produces."""

    compatibility: str = Field(
        default="BACKWARD",
        pattern=r"^(BACKWARD|FORWARD|FULL)(_TRANSITIVE)?$",
    )


class Service(Frozen):
    """One entry of the service catalog."""

    name: ServiceName
    title: NonEmpty
    criticality: Criticality
    finance_processes: tuple[FinanceProcess, ...] = ()
    data_classification: DataClassification
    regions: tuple[NonEmpty, ...] = Field(min_length=1)
    legal_entities: tuple[NonEmpty, ...] = ()
    owners: ControlOwner
    repository: NonEmpty | None = None
    health_indicators: tuple[HealthIndicator, ...] = ()
    recovery: RecoveryObjectives | None = None
    migrations: MigrationSettings | None = None
    event_topics: dict[NonEmpty, TopicSettings] = Field(
        default_factory=dict, description="Compatibility mode per topic; BACKWARD when absent."
    )

    @model_validator(mode="after")
    def _regions_unique(self) -> Service:
        if len(set(self.regions)) != len(self.regions):
            raise ValueError("regions must not repeat")
        return self


class Catalog(Frozen):
    """The service catalog: services, groups and the change advisory board."""

    services: tuple[Service, ...]
    groups: tuple[Group, ...]
    cab_group: GroupName | None = None

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    def group(self, name: str) -> Group | None:
        return next((g for g in self.groups if g.name == name), None)

    def groups_of(self, identity: str) -> tuple[str, ...]:
        """Return the names of the groups that list `identity` as a member."""
        who = identity.lower()
        return tuple(g.name for g in self.groups if who in g.members)
