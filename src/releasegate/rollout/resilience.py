"""Disaster recovery test results: the documented JSON format that RES-2 reads.

    {
      "apiVersion": "releasegate/v1",
      "kind": "DisasterRecoveryTest",
      "service": "payments-api",
      "date": "2026-11-20T09:00:00Z",
      "scenario": "fail over eu-west-1 to eu-central-1",
      "environment": "production",
      "succeeded": true,
      "recovery_time_minutes": 22,
      "data_loss_minutes": 0
    }

The control compares the measured recovery time and data loss with the
service's RTO and RPO from the catalog, and the date with the maximum age.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from releasegate.clock import rfc3339
from releasegate.model.common import Frozen, NonEmpty


class DisasterRecoveryTest(Frozen):
    """One disaster recovery test with its measured recovery time and data loss."""

    apiVersion: Literal["releasegate/v1"]
    kind: Literal["DisasterRecoveryTest"]
    service: NonEmpty
    date: AwareDatetime
    scenario: NonEmpty
    environment: NonEmpty | None = None
    succeeded: bool
    recovery_time_minutes: float = Field(ge=0)
    data_loss_minutes: float = Field(ge=0)

    def evidence(self) -> dict[str, Any]:
        performed: datetime = self.date
        return {
            "service": self.service,
            "performed_at": rfc3339(performed),
            "scenario": self.scenario,
            "environment": self.environment,
            "succeeded": self.succeeded,
            "recovery_time_minutes": self.recovery_time_minutes,
            "data_loss_minutes": self.data_loss_minutes,
        }
