"""Webhook target: POSTs each step as JSON, signed with HMAC-SHA256; a 2xx response succeeds.

Headers: `X-Releasegate-Timestamp` (Unix seconds), `X-Releasegate-Signature`
(`sha256=` and the hex HMAC of `TIMESTAMP.BODY` under the shared secret) and
`Idempotency-Key` (the step id). The secret comes from the environment
variable the target names; it is never stored in the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from typing import Any

import httpx

from releasegate.rollout.targets.interface import StepAction, TargetError


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """Return the signature header value for `body` sent at `timestamp`."""
    return (
        "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )


class WebhookTarget:
    """Call an HTTP endpoint per step."""

    name = "webhook"

    def __init__(self, url: str, *, secret_env: str, timeout: float = 30.0) -> None:
        self.url = url
        self.secret_env = secret_env
        self.timeout = timeout

    def apply(self, action: StepAction) -> dict[str, Any]:
        secret = os.environ.get(self.secret_env)
        if not secret:
            raise TargetError(
                f"the webhook secret variable {self.secret_env} is not set",
                hint=f"export {self.secret_env} with the secret shared with the receiver",
            )
        body = json.dumps(action.as_dict(), sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Releasegate-Timestamp": timestamp,
            "X-Releasegate-Signature": sign(secret.encode(), timestamp, body),
            "Idempotency-Key": action.key,
        }
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise TargetError(
                f"webhook {self.url} did not respond to step {action.key}: {exc}",
                hint="check that the receiver runs and the URL is right",
            ) from exc
        if not 200 <= response.status_code < 300:
            raise TargetError(
                f"webhook {self.url} returned HTTP {response.status_code} to {action.action} in "
                f"{action.environment}: {response.text[:500]}",
                hint="read the receiver's log for the step id in Idempotency-Key",
            )
        return {"status_code": response.status_code}

    def applied(self, action: StepAction) -> None:
        return None
