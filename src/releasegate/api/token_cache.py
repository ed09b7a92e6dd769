"""A short-lived in-memory cache of verified bearer tokens, in front of any `TokenVerifier`.

Verifying a personal API token costs a database read, and an OIDC token a
signature check. A pipeline that polls the gate sends the same token many
times a second, so `CachingTokenVerifier` keeps each successful verification
for `ttl_seconds` and skips the inner verifier until then.

Security contract:

- the cache is keyed by the SHA-256 digest of the token, never the token;
- only successes are cached, so an unknown, revoked or expired token is
  always rejected by the inner verifier, and a new token works at once;
- a token revoked, expired or stripped of a role on any replica is rejected
  (or has its new roles) on every replica at most `ttl_seconds` later,
  because each replica drops its entry after that time whatever happens;
- `ttl_seconds=0` turns the cache off.

The cache is bounded (`max_entries`); when full, the entries nearest their
end are dropped first.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from releasegate.api.auth import Principal, TokenVerifier

DEFAULT_TTL_SECONDS = 5.0
MAX_TTL_SECONDS = 60.0
DEFAULT_MAX_ENTRIES = 4096


class CachingTokenVerifier:
    """Remember successful verifications of `inner` for `ttl_seconds` (monotonic clock)."""

    def __init__(
        self,
        inner: TokenVerifier,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= ttl_seconds <= MAX_TTL_SECONDS:
            raise ValueError(
                f"ttl_seconds must be within 0 to {MAX_TTL_SECONDS}, not {ttl_seconds}"
            )
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, not {max_entries}")
        self.inner = inner
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[bytes, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        if self.ttl_seconds == 0:
            return self.inner.verify(token)
        key = hashlib.sha256(token.encode("utf-8")).digest()
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and now < entry[0]:
            return entry[1]

        principal = self.inner.verify(token)  # raises for a token that is not valid now
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._evict(now)
            self._entries[key] = (now + self.ttl_seconds, principal)
        return principal

    def _evict(self, now: float) -> None:
        """Drop expired entries, then the older half if the cache is still full."""
        for key in [k for k, (ends, _) in self._entries.items() if ends <= now]:
            del self._entries[key]
        if len(self._entries) >= self.max_entries:
            by_end = sorted(self._entries, key=lambda k: self._entries[k][0])
            for key in by_end[: max(1, len(by_end) // 2)]:
                del self._entries[key]

    def clear(self) -> None:
        """Forget every verified token, so that the next request of each is verified again."""
        with self._lock:
            self._entries.clear()
