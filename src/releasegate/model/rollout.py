"""Health gate settings of a catalog health indicator."""

from __future__ import annotations

import enum

from pydantic import Field, model_validator

from releasegate.model.common import Frozen


class Direction(enum.StrEnum):
    """Which deviation of the canary from the baseline is bad."""

    INCREASE = "increase"
    DECREASE = "decrease"
    EITHER = "either"


class IndicatorGate(Frozen):
    """How a health gate judges one indicator.

    Any combination of judgements may be set; every judgement that is set must
    pass. The query may contain `{role}` (canary or baseline), `{service}`,
    `{environment}`, `{region}`, `{version}` and `{window}` (seconds), which
    are replaced before the query is sent to the provider.
    """

    max: float | None = Field(default=None, description="Absolute maximum of the window mean.")
    min: float | None = Field(default=None, description="Absolute minimum of the window mean.")
    max_increase: float | None = Field(
        default=None,
        ge=0,
        description="Largest allowed increase of the canary mean over the baseline mean, "
        "as a fraction of the baseline (0.1 is 10 %).",
    )
    max_decrease: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Largest allowed decrease of the canary mean below the baseline mean, "
        "as a fraction of the baseline.",
    )
    judge: bool = Field(
        default=False,
        description="Compare canary and baseline samples with the Mann-Whitney judge.",
    )
    direction: Direction = Direction.EITHER
    effect_measure: str = Field(default="mean_ratio", pattern=r"^(mean_ratio|cles)$")
    allowed_increase: float | None = Field(default=None, gt=0)
    allowed_decrease: float | None = Field(default=None, gt=0)
    critical_increase: float | None = Field(default=None, gt=0)
    critical_decrease: float | None = Field(default=None, gt=0)
    critical: bool = Field(default=False, description="A non-passing judgement fails the canary.")
    must_have_data: bool = False
    group: str | None = Field(
        default=None, description="Judge group; defaults to the indicator kind."
    )
    group_weight: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Weight of the judge group in the canary score, in percent. Groups without "
        "a weight share what the weighted groups leave.",
    )
    min_samples: int = Field(default=1, ge=1, description="Fewer samples is inconclusive.")
    late_data_minutes: float = Field(
        default=0,
        ge=0,
        description="Wait this long after the bake before measuring, for results that arrive "
        "after the transaction (settlement, reconciliation).",
    )
    window_minutes: float = Field(default=5, gt=0, description="Query window, in minutes.")
    shadow: bool = Field(default=False, description="Record the outcome but never decide.")
    count: int = Field(default=1, ge=1, description="Measurements per health gate.")
    interval_seconds: float = Field(default=60, ge=0)
    failure_limit: int = Field(default=0, ge=-1)
    inconclusive_limit: int = Field(default=0, ge=0)
    consecutive_error_limit: int = Field(default=4, ge=0)
    error_retry_seconds: float = Field(default=10, ge=0)

    @model_validator(mode="after")
    def _some_judgement(self) -> IndicatorGate:
        if (
            self.max is None
            and self.min is None
            and self.max_increase is None
            and self.max_decrease is None
            and not self.judge
        ):
            raise ValueError(
                "a gate needs at least one judgement: max, min, max_increase, max_decrease "
                "or judge: true"
            )
        return self
