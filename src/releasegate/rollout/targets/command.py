"""Command target: runs the team's own deploy script; the exit code decides.

The script receives the step in environment variables:

| variable | value |
| --- | --- |
| RELEASEGATE_ACTION | deploy, promote or rollback |
| RELEASEGATE_STEP_ID | unique id of the step, usable as an idempotency key |
| RELEASEGATE_ROLLOUT_ID, RELEASEGATE_RELEASE_ID | ids of the rollout and the release |
| RELEASEGATE_SERVICE, RELEASEGATE_VERSION | catalog service and release version |
| RELEASEGATE_ENVIRONMENT | target environment |
| RELEASEGATE_REGIONS | comma-separated regions of the wave (empty outside production waves) |
| RELEASEGATE_WEIGHT | canary traffic weight in percent |
| RELEASEGATE_ARTIFACTS | JSON list of {name, digest, uri} |
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from releasegate.rollout.targets.interface import StepAction, TargetError

_TAIL = 2000


class CommandTarget:
    """Run a command per step; exit code 0 is success."""

    name = "command"

    def __init__(self, command: list[str], *, timeout: float = 900.0) -> None:
        if not command:
            raise TargetError("the command target has no command", hint="pass --target-command")
        self.command = command
        self.timeout = timeout

    def environment(self, action: StepAction) -> dict[str, str]:
        return {
            "RELEASEGATE_ACTION": action.action,
            "RELEASEGATE_STEP_ID": action.key,
            "RELEASEGATE_ROLLOUT_ID": action.rollout_id,
            "RELEASEGATE_RELEASE_ID": action.release_id,
            "RELEASEGATE_SERVICE": action.service,
            "RELEASEGATE_VERSION": action.version,
            "RELEASEGATE_ENVIRONMENT": action.environment,
            "RELEASEGATE_REGIONS": ",".join(action.regions),
            "RELEASEGATE_WEIGHT": str(action.weight),
            "RELEASEGATE_ARTIFACTS": json.dumps(action.as_dict()["artifacts"]),
        }

    def apply(self, action: StepAction) -> dict[str, Any]:
        env = {**os.environ, **self.environment(action)}
        try:
            completed = subprocess.run(
                self.command,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TargetError(
                f"deploy command {self.command[0]} failed to run for step {action.key}: {exc}",
                hint="check that the command exists, is executable and finishes in time",
            ) from exc
        if completed.returncode != 0:
            raise TargetError(
                f"deploy command {self.command[0]} exited with {completed.returncode} for "
                f"{action.action} in {action.environment}: {completed.stderr[-_TAIL:].strip()}",
                hint="read the command's output above and fix the deployment",
            )
        return {"exit_code": 0, "stdout": completed.stdout[-_TAIL:]}

    def applied(self, action: StepAction) -> None:
        return None
