"""The rollout controller as a background thread of `releasegate serve`.

The thread claims steps under leases with the same code as `releasegate
rollout run`, so it can share a database with other controllers. Between
claims it waits on an event, with no database session open: each claim and
each step opens and closes its own transactions. `stop()` sets the event and
joins the thread; a step in progress finishes first (its lease keeps it
owned meanwhile).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from releasegate.errors import ReleasegateError
from releasegate.service.app import Application
from releasegate.service.rollouts import claim_next, default_owner, run_step

log = logging.getLogger(__name__)

STARTING = "starting"
RUNNING = "running"
STOPPING = "stopping"
STOPPED = "stopped"


class BackgroundController:
    """A daemon thread that runs rollout steps until `stop()`."""

    def __init__(
        self,
        app: Application,
        *,
        owner: str | None = None,
        poll_seconds: float = 0.5,
    ) -> None:
        self.app = app
        self.owner = owner or default_owner()
        self.poll_seconds = poll_seconds
        self.state = STARTING
        self.steps_run = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rollout-controller", daemon=True)

    def start(self) -> BackgroundController:
        self._thread.start()
        return self

    def _loop(self) -> None:
        self.state = RUNNING
        log.info("rollout controller %s started", self.owner)
        while not self._stop.is_set():
            try:
                claim = claim_next(self.app, self.owner)
                if claim is not None:
                    run_step(self.app, claim, self.owner)
                    self.steps_run += 1
                    self.last_error = None
                    continue
            except ReleasegateError as error:
                # A step's own errors pause its rollout, so this error comes from the store.
                self.last_error = error.message
                log.warning("rollout controller: %s", error.message)
            except Exception as error:  # keep serving; the lease lets another controller retry
                self.last_error = f"{type(error).__name__}: {error}"
                log.exception("rollout controller step failed")
            self._stop.wait(self.poll_seconds)
        self.state = STOPPED
        log.info("rollout controller %s stopped after %d steps", self.owner, self.steps_run)

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the thread to stop and wait for it; return True when it stopped in time."""
        if self.state != STOPPED:
            self.state = STOPPING
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        stopped = not self._thread.is_alive()
        if stopped:
            self.state = STOPPED
        return stopped

    def alive(self) -> bool:
        return self._thread.is_alive()

    def report(self) -> dict[str, Any]:
        """Return the controller's state for the readiness endpoint."""
        state = self.state
        if state == RUNNING and not self._thread.is_alive():
            state = STOPPED
        return {
            "state": state,
            "owner": self.owner,
            "steps_run": self.steps_run,
            "last_error": self.last_error,
        }
