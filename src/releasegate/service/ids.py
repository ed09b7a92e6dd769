"""Identifiers: a prefix, a millisecond timestamp and randomness, sortable by time."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lowercase


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """Return e.g. `rel-01hx...`: 10 characters of time, 16 of randomness."""
    millis = time.time_ns() // 1_000_000
    return f"{prefix}-{_base32(millis, 10)}{_base32(secrets.randbits(80), 16)}"
