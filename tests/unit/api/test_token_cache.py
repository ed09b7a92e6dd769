"""The token cache: successes only, keyed by digest, revocation and expiry within the TTL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from http_support import make_workspace, person_token

from releasegate.api.app import create_app
from releasegate.api.auth import AuthenticationError, Role
from releasegate.api.identity_auth import IdentityTokenVerifier
from releasegate.api.token_cache import CachingTokenVerifier
from releasegate.identity.tokens import create_token, revoke_token
from releasegate.service.app import Application
from releasegate.settings import load_settings

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class ManualClock:
    """A wall clock for the application and a monotonic clock for the cache, moved by hand."""

    def __init__(self) -> None:
        self.wall = START
        self.seconds = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.seconds += seconds


class CountingVerifier:
    def __init__(self, inner: IdentityTokenVerifier) -> None:
        self.inner = inner
        self.calls = 0

    def verify(self, token: str):
        self.calls += 1
        return self.inner.verify(token)


@pytest.fixture
def setup(tmp_path):
    make_workspace(tmp_path)
    clock = ManualClock()
    application = Application(load_settings(home=tmp_path, environ={}), clock=clock.now)
    inner = CountingVerifier(IdentityTokenVerifier(application))
    cache = CachingTokenVerifier(inner, ttl_seconds=5, clock=clock.monotonic)
    yield application, inner, cache, clock
    application.close()


def _token(application: Application, owner: str = "dana", days: float = 1) -> tuple[str, str]:
    info, secret = create_token(
        application, owner=owner, name="ci", expires_in=timedelta(days=days), created_by=owner
    )
    return info.id, secret


def test_repeated_verification_is_served_from_cache(setup):
    application, inner, cache, _ = setup
    _, secret = _token(application)
    first = cache.verify(secret)
    second = cache.verify(secret)
    assert first.identity == "dana"
    assert second == first
    assert inner.calls == 1


def test_cache_keeps_digests_not_tokens(setup):
    application, _, cache, _ = setup
    _, secret = _token(application)
    cache.verify(secret)
    assert len(cache._entries) == 1
    key = next(iter(cache._entries))
    assert isinstance(key, bytes)
    assert secret.encode() not in key
    assert len(key) == 32


def test_revoked_token_is_rejected_once_the_ttl_passes(setup):
    application, inner, cache, clock = setup
    token_id, secret = _token(application)
    cache.verify(secret)
    revoke_token(application, token_id, revoked_by="dana")

    clock.advance(4.9)
    assert cache.verify(secret).identity == "dana"  # within the stated bound of 5 s

    clock.advance(0.2)
    with pytest.raises(AuthenticationError, match="revoked"):
        cache.verify(secret)
    assert inner.calls == 2


def test_expired_token_is_rejected_once_the_ttl_passes(setup):
    application, _, cache, clock = setup
    _, secret = _token(application, days=1)
    clock.advance(86400 - 3)
    cache.verify(secret)
    clock.advance(4)  # expired 1 s ago, still inside the cached 5 s
    assert cache.verify(secret).identity == "dana"
    clock.advance(1.5)
    with pytest.raises(AuthenticationError, match="expired"):
        cache.verify(secret)


def test_failures_are_never_cached(setup):
    _, inner, cache, _ = setup
    unknown = "rgp_" + "x" * 43
    for _ in range(2):
        with pytest.raises(AuthenticationError, match="not known"):
            cache.verify(unknown)
    assert inner.calls == 2
    assert cache._entries == {}


def test_zero_ttl_checks_every_request(setup):
    application, inner, _, clock = setup
    cache = CachingTokenVerifier(inner, ttl_seconds=0, clock=clock.monotonic)
    token_id, secret = _token(application)
    cache.verify(secret)
    revoke_token(application, token_id, revoked_by="dana")
    with pytest.raises(AuthenticationError, match="revoked"):
        cache.verify(secret)
    assert inner.calls == 2


def test_cache_stays_within_max_entries(setup):
    application, _, _, clock = setup
    cache = CachingTokenVerifier(
        IdentityTokenVerifier(application), ttl_seconds=5, max_entries=3, clock=clock.monotonic
    )
    secrets = [_token(application, owner)[1] for owner in ("dana", "alice", "erin", "gita", "hugo")]
    for secret in secrets:
        cache.verify(secret)
        clock.advance(0.1)
        assert len(cache._entries) <= 3
    assert cache.verify(secrets[-1]).identity == "hugo"


@pytest.mark.parametrize("ttl", [-1, 61])
def test_ttl_outside_range_is_rejected(setup, ttl):
    _, inner, _, _ = setup
    with pytest.raises(ValueError, match="ttl_seconds must be within 0 to 60"):
        CachingTokenVerifier(inner, ttl_seconds=ttl)


def test_roles_still_enforced_for_cached_principal(tmp_path):
    """A cached viewer stays a viewer: the route's role check runs on every request."""
    make_workspace(tmp_path)
    viewer = person_token(tmp_path, "hugo", Role.VIEWER, name="v")
    application = Application(load_settings(home=tmp_path, environ={}))
    verifier = CachingTokenVerifier(IdentityTokenVerifier(application), ttl_seconds=60)
    server = create_app(application, verifier, web=False)
    headers = {"Authorization": f"Bearer {viewer}"}
    try:
        with TestClient(server) as client:
            for _ in range(2):
                response = client.post("/api/v1/releases", json={}, headers=headers)
                assert response.status_code == 403, response.text
                assert "hugo has role(s) viewer" in response.json()["detail"]
                assert response.headers["x-request-id"]
    finally:
        application.close()
    assert len(verifier._entries) == 1
