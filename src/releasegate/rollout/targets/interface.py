"""Contract of a deploy target, and the factory that builds one from a rollout's settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from releasegate.errors import InputError, ReleasegateError


class TargetError(ReleasegateError):
    """The deploy target failed to carry out a step."""


@dataclass(frozen=True)
class StepAction:
    """The action a target carries out for one step; `key` is the step id, unique per action."""

    key: str
    action: str  # deploy, promote or rollback
    rollout_id: str
    release_id: str
    service: str
    version: str
    environment: str
    regions: tuple[str, ...]
    weight: int
    artifacts: tuple[tuple[str, str, str | None], ...]  # name, digest, uri
    plan_weights: tuple[int, ...] = ()  # canary weights of the wave, for targets that need them

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["regions"] = list(self.regions)
        data["plan_weights"] = list(self.plan_weights)
        data["artifacts"] = [
            {"name": name, "digest": digest, "uri": uri} for name, digest, uri in self.artifacts
        ]
        return data


class DeployTarget(Protocol):
    """Adapter that applies a step to the platform."""

    name: str

    def apply(self, action: StepAction) -> dict[str, Any]:
        """Carry out `action` and return facts for the step result; raise TargetError."""
        ...

    def applied(self, action: StepAction) -> bool | None:
        """Report whether `action` (by its key) took effect: None when the target cannot tell.

        A controller that finds a step still running after its lease expired
        (because its controller crashed) calls this before it runs the step again.
        """
        ...


TARGET_KINDS = ("simulator", "command", "webhook", "kubernetes", "argo")


def load_target(config: dict[str, Any]) -> DeployTarget:
    """Build the target that `config` names by its `kind`."""
    kind = config.get("kind")
    if kind == "simulator":
        from releasegate.rollout.targets.simulator import SimulatorTarget

        return SimulatorTarget(
            config["journal"],
            fail_on=tuple(config.get("fail_on", ())),
            seconds=float(config.get("seconds", 0)),
        )
    if kind == "command":
        from releasegate.rollout.targets.command import CommandTarget

        return CommandTarget(list(config["command"]), timeout=float(config.get("timeout", 900)))
    if kind == "webhook":
        from releasegate.rollout.targets.webhook import WebhookTarget

        return WebhookTarget(
            str(config["url"]),
            secret_env=str(config.get("secret_env", "RELEASEGATE_WEBHOOK_SECRET")),
            timeout=float(config.get("timeout", 30)),
        )
    if kind in ("kubernetes", "argo"):
        from releasegate.rollout.targets.kubernetes import KubernetesTarget

        return KubernetesTarget(
            str(config["url"]),
            namespace=str(config["namespace"]),
            name=str(config["name"]),
            argo=kind == "argo",
            token_env=str(config.get("token_env", "RELEASEGATE_KUBE_TOKEN")),
            timeout=float(config.get("timeout", 30)),
        )
    raise InputError(
        f"unknown deploy target {kind!r}",
        source="--target",
        hint=f"use one of: {', '.join(TARGET_KINDS)}",
    )
