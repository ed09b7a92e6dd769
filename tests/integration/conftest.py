"""Fixtures of the integration tests, shared from tests/support.py."""

from support import ws  # noqa: F401 - a pytest fixture used by name
