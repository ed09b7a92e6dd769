"""Tests for checkpoints (C2SP tlog-checkpoint) and witness cosignatures (tlog-cosignature)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from releasegate.errors import InputError, LedgerIntegrityError
from releasegate.ledger.checkpoint import (
    Checkpoint,
    CheckpointSigner,
    add_cosignature,
    open_checkpoint,
    parse_checkpoint_text,
)
from releasegate.ledger.note import TYPE_COSIGNATURE, TYPE_ED25519, SignerKey, sign_note

ORIGIN = "example.com/releasegate/log"
LOG_KEY = SignerKey(name=ORIGIN, signature_type=TYPE_ED25519, seed=bytes(range(32)))
WITNESS = SignerKey(
    name="audit.example/witness", signature_type=TYPE_COSIGNATURE, seed=bytes(range(32, 64))
)
ROOT = hashlib.sha256(b"root").digest()
TEXT = "example.com/releasegate/log\n8\nSBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\n"
NOTE = (
    TEXT
    + "\n\u2014 example.com/releasegate/log 5VGii4Zh9JvPB/3Rue4/g+VpztkgDHkUZIyYnLLaCQ95ITuHRl/"
    "kMyAVPXLyRn+UM6ZlS5+iXlNa5TE10IR+KLYFsQI=\n"
)
COSIGNATURE_LINE = (
    "\u2014 audit.example/witness bRilBQAAAABpVbkAKfzgH8jVfDxfabWGev+KUFjrwvnchiXyJ6FluylMbHBZFl7ep"
    "t+pJfqkjouVcZ3vDBClzQcAViWoRJAU1INMCg==\n"
)
TIMESTAMP = 1767225600


def test_checkpoint_text_exact() -> None:
    assert Checkpoint(ORIGIN, 8, ROOT).text == TEXT
    assert TEXT.split("\n")[2] == base64.b64encode(ROOT).decode()


def test_checkpoint_signer_note_exact() -> None:
    assert CheckpointSigner([LOG_KEY]).sign(8, ROOT) == NOTE


def test_cosignature_line_exact() -> None:
    message = b"cosignature/v1\ntime 1767225600\n" + TEXT.encode()
    signature = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64))).sign(message)
    expected = WITNESS.key_id + TIMESTAMP.to_bytes(8, "big") + signature

    assert add_cosignature(NOTE, WITNESS, TIMESTAMP) == NOTE + COSIGNATURE_LINE
    assert COSIGNATURE_LINE.split(" ")[2].strip() == base64.b64encode(expected).decode()
    assert (
        WITNESS.key_id
        == hashlib.sha256(b"audit.example/witness\n\x04" + WITNESS.verifier.public_key).digest()[:4]
    )


def test_open_checkpoint_with_cosignature() -> None:
    opened = open_checkpoint(
        NOTE + COSIGNATURE_LINE,
        [LOG_KEY.verifier],
        witness_keys=[WITNESS.verifier],
        origin=ORIGIN,
    )

    assert opened.checkpoint == Checkpoint(ORIGIN, 8, ROOT)
    assert [s.key_id.hex() for s in opened.log_signatures] == ["e551a28b"]
    assert [(s.name, s.timestamp) for s in opened.cosignatures] == [
        ("audit.example/witness", TIMESTAMP)
    ]


def test_open_checkpoint_ignores_unknown_witness() -> None:
    opened = open_checkpoint(NOTE + COSIGNATURE_LINE, [LOG_KEY.verifier], origin=ORIGIN)

    assert opened.cosignatures == ()


def test_open_checkpoint_rejects_forged_cosignature() -> None:
    line = COSIGNATURE_LINE.replace("bRilBQAAAABpVbkA", "bRilBQAAAABpVbkB")

    with pytest.raises(LedgerIntegrityError, match=r"the signature of key audit\.example/witness"):
        open_checkpoint(NOTE + line, [LOG_KEY.verifier], witness_keys=[WITNESS.verifier])


def test_open_checkpoint_rejects_witness_only() -> None:
    cosigned_only = TEXT + "\n" + COSIGNATURE_LINE

    with pytest.raises(
        LedgerIntegrityError,
        match=r"no verified log signature by a key named 'example\.com/releasegate/log'",
    ):
        open_checkpoint(cosigned_only, [], witness_keys=[WITNESS.verifier])


def test_open_checkpoint_rejects_other_origin() -> None:
    with pytest.raises(
        LedgerIntegrityError,
        match=r"the checkpoint is for origin 'example\.com/releasegate/log', but this log's "
        "origin is 'other.example/log'",
    ):
        open_checkpoint(NOTE, [LOG_KEY.verifier], origin="other.example/log")


def test_open_checkpoint_rejects_key_named_other_than_origin() -> None:
    stranger = SignerKey(name="other.example/log", signature_type=TYPE_ED25519, seed=bytes(32))
    note = sign_note(TEXT, [stranger])

    with pytest.raises(LedgerIntegrityError, match="no verified log signature by a key named"):
        open_checkpoint(note, [stranger.verifier])


def test_open_checkpoint_rejects_witness_key_as_log_key() -> None:
    with pytest.raises(InputError, match="is a witness key \\(type 0x04\\)"):
        open_checkpoint(NOTE, [WITNESS.verifier])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "origin\n8\n",
            "a checkpoint has at least 3 lines \\(origin, size, root\\), this one has 2",
        ),
        ("\n8\n" + TEXT.split("\n")[2] + "\n", "line 1 \\(origin\\) is empty"),
        (
            "o\n08\n" + TEXT.split("\n")[2] + "\n",
            "line 2 \\(tree size\\) '08' is not a decimal number without leading zeros",
        ),
        ("o\n-1\nAAAA\n", "line 2 \\(tree size\\) '-1' is not a decimal number"),
        ("o\n8\nAAAA\n", "line 3 \\(root hash\\) must be the base64 form of 32 bytes, got 'AAAA'"),
        ("o\n8\n!!!!\n", "line 3 \\(root hash\\) '!!!!' is not valid base64"),
        ("o\n8\n" + TEXT.split("\n")[2] + "\n\n", "line 4 \\(extension\\) is empty"),
        ("o\n8\n" + TEXT.split("\n")[2], "the checkpoint text does not end with a newline"),
    ],
)
def test_parse_checkpoint_rejects_malformed(text: str, message: str) -> None:
    with pytest.raises(LedgerIntegrityError, match="^cp: " + message):
        parse_checkpoint_text(text, source="cp")


def test_parse_checkpoint_accepts_extension_and_zero() -> None:
    root = TEXT.split("\n")[2]
    parsed = parse_checkpoint_text(f"o\n0\n{root}\nextension line\n")

    assert parsed.size == 0
    assert parsed.extensions == ("extension line",)


def test_parse_checkpoint_rejects_non_canonical_base64() -> None:
    # Same bytes, but with an unused trailing bit set: not the canonical encoding.
    root = TEXT.split("\n")[2]
    altered = root[:-2] + "J="

    with pytest.raises(
        LedgerIntegrityError, match="line 3 \\(root hash\\) must be the base64 form"
    ):
        parse_checkpoint_text(f"o\n8\n{altered}\n")


def test_rotation_note_signed_by_both_keys() -> None:
    successor = SignerKey(name=ORIGIN, signature_type=TYPE_ED25519, seed=bytes([7]) * 32)
    note = CheckpointSigner([successor, LOG_KEY]).sign(8, ROOT)

    old_only = open_checkpoint(note, [LOG_KEY.verifier], origin=ORIGIN)
    new_only = open_checkpoint(note, [successor.verifier], origin=ORIGIN)

    assert [s.key_id for s in old_only.log_signatures] == [LOG_KEY.key_id]
    assert [s.key_id for s in new_only.log_signatures] == [successor.key_id]
