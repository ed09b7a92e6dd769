"""Simulator target for the demo and tests: appends each action to a journal file.

Each applied action is one JSON line written with a single `write` in append
mode and flushed to disk, so a line is either whole or absent after a crash.
With `seconds`, each action
takes that long before its line is written, like a slow deploy.
`applied` reads the journal, which lets a restarted controller see that a
step took effect before its result was recorded.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from releasegate.rollout.targets.interface import StepAction, TargetError


class SimulatorTarget:
    """Record actions instead of deploying; `fail_on` lists environments whose deploys fail."""

    name = "simulator"

    def __init__(
        self, journal: str | Path, *, fail_on: tuple[str, ...] = (), seconds: float = 0.0
    ) -> None:
        self.journal = Path(journal)
        self.fail_on = fail_on
        self.seconds = seconds

    def apply(self, action: StepAction) -> dict[str, Any]:
        if action.action == "deploy" and action.environment in self.fail_on:
            raise TargetError(
                f"simulated deploy failure in {action.environment}",
                hint="remove the environment from the simulator's fail_on list",
            )
        if self.seconds > 0:
            time.sleep(self.seconds)
        line = json.dumps(action.as_dict(), sort_keys=True) + "\n"
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line.encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        return {"journal": str(self.journal)}

    def applied(self, action: StepAction) -> bool:
        return any(entry["key"] == action.key for entry in self.entries())

    def entries(self) -> list[dict[str, Any]]:
        if not self.journal.is_file():
            return []
        lines = self.journal.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
