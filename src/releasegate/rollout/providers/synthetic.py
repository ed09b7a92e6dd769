"""Synthetic provider for the demo and tests: seeded normal samples per indicator and role.

File format (YAML):

    seed: 7
    indicators:
      settlement-completion-rate:
        baseline: {mean: 0.995, sd: 0.002}
        canary: {mean: 0.995, sd: 0.002}
        samples: 60          # values per query; 0 gives no data
        down: false          # true makes every query fail like an unreachable server
        environments:        # optional: other values in one environment
          production:
            canary: {mean: 0.97, sd: 0.002}

An indicator that the file does not list has no data.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from releasegate.documents import parse_yaml, read_bytes, validate
from releasegate.rollout.providers.interface import ProviderError


class _Distribution(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    mean: float
    sd: float = Field(default=0.0, ge=0)


class _Values(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    baseline: _Distribution | None = None
    canary: _Distribution
    samples: int = Field(default=60, ge=0, le=1_000_000)
    down: bool = False


class _Indicator(_Values):
    environments: dict[str, _Values] = Field(default_factory=dict)


class _Document(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 0
    indicators: dict[str, _Indicator] = Field(default_factory=dict)


class SyntheticProvider:
    """Draw reproducible samples from the distributions of a file."""

    name = "synthetic"

    def __init__(self, document: dict[str, Any], *, source: str = "synthetic metrics") -> None:
        self.document = validate(_Document, document, source=source)

    @classmethod
    def from_file(cls, path: str) -> SyntheticProvider:
        data = parse_yaml(read_bytes(Path(path), what="synthetic metrics"), source=path)
        return cls(data, source=path)

    def samples(
        self,
        query: str,
        *,
        indicator: str,
        role: str,
        start: datetime,
        end: datetime,
        step_seconds: float,
        environment: str = "",
    ) -> list[float]:
        entry = self.document.indicators.get(indicator)
        if entry is None:
            return []
        spec: _Values = entry.environments.get(environment, entry)
        if spec.down:
            raise ProviderError(
                f"the synthetic source of {indicator} is down",
                hint="set down: false in the synthetic metrics file",
            )
        distribution = spec.canary if role == "canary" else (spec.baseline or spec.canary)
        digest = hashlib.sha256(
            f"{self.document.seed}/{indicator}/{role}/{query}/{start.timestamp():.0f}".encode()
        ).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        values = rng.normal(distribution.mean, distribution.sd, spec.samples)
        return [float(v) for v in values]
