"""Personal API tokens: kept as digests, verified in constant time, bad files fail closed."""

from __future__ import annotations

import hashlib
import stat

import pytest

from releasegate.api.auth import (
    AuthenticationError,
    HashedTokenVerifier,
    Role,
    add_token,
    read_tokens,
    revoke_token,
)
from releasegate.errors import ConfigurationError


def test_token_file_keeps_only_the_digest(tmp_path):
    path = tmp_path / "tokens.yaml"
    token = add_token(path, identity="dana", roles=frozenset({Role.APPROVER}), name="dana")
    text = path.read_text()
    assert token.startswith("rgp_")
    assert token not in text
    assert hashlib.sha256(token.encode()).hexdigest() in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_token_verifies_to_identity_and_roles(tmp_path):
    path = tmp_path / "tokens.yaml"
    token = add_token(
        path, identity="ines", roles=frozenset({Role.AUDITOR, Role.VIEWER}), name="ines"
    )
    principal = HashedTokenVerifier(path).verify(token)
    assert principal.identity == "ines"
    assert principal.roles == frozenset({Role.AUDITOR, Role.VIEWER})


def test_token_unknown_or_foreign_rejected(tmp_path):
    path = tmp_path / "tokens.yaml"
    add_token(path, identity="dana", roles=frozenset({Role.APPROVER}), name="dana")
    verifier = HashedTokenVerifier(path)
    with pytest.raises(AuthenticationError, match="unknown or was revoked"):
        verifier.verify("rgp_" + "A" * 43)
    with pytest.raises(AuthenticationError, match="not a releasegate API token"):
        verifier.verify("eyJhbGciOiJSUzI1NiJ9.e30.sig")


def test_token_missing_file_admits_nobody(tmp_path):
    verifier = HashedTokenVerifier(tmp_path / "absent.yaml")
    with pytest.raises(AuthenticationError):
        verifier.verify("rgp_anything")


def test_token_revoked_is_rejected_by_a_running_verifier(tmp_path):
    path = tmp_path / "tokens.yaml"
    token = add_token(path, identity="dana", roles=frozenset({Role.APPROVER}), name="dana")
    verifier = HashedTokenVerifier(path)
    assert verifier.verify(token).identity == "dana"
    revoke_token(path, "dana")
    with pytest.raises(AuthenticationError):
        verifier.verify(token)


def test_token_duplicate_name_rejected(tmp_path):
    path = tmp_path / "tokens.yaml"
    add_token(path, identity="dana", roles=frozenset({Role.APPROVER}), name="ci")
    with pytest.raises(ConfigurationError, match="a token named 'ci' already exists"):
        add_token(path, identity="erin", roles=frozenset({Role.APPROVER}), name="ci")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tokens: nope\n", "tokens: expected a list of tokens"),
        ("tokens: [{identity: dana, roles: [approver]}]\n", r"tokens\[0\]: needs identity"),
        (
            "tokens: [{identity: dana, roles: [root], sha256: " + "a" * 64 + "}]\n",
            r"tokens\[0\]\.roles: 'root' is not a valid Role",
        ),
        ("tokens: [\n", "cannot read the API tokens file"),
    ],
)
def test_token_file_malformed_fails_closed(tmp_path, text, message):
    path = tmp_path / "tokens.yaml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=message):
        read_tokens(path)
    with pytest.raises(ConfigurationError):
        HashedTokenVerifier(path).verify("rgp_x")
