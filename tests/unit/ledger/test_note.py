"""Tests for C2SP signed notes and the key text formats.

Two sources of expected values:

- our own vectors from a fixed Ed25519 seed (bytes 0..31), where each pinned
  value is also recomputed in the test from the format's definition with
  hashlib and `cryptography` directly;
- the `PeterNeumann` key and note of the Go implementation's tests
  (golang.org/x/mod, sumdb/note/note_test.go), which check interoperability.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from releasegate.errors import InputError, LedgerIntegrityError
from releasegate.ledger.note import (
    MAX_SIGNATURES,
    TYPE_COSIGNATURE,
    TYPE_ED25519,
    SignerKey,
    VerifierKey,
    cosignature_message,
    key_id,
    open_note,
    sign_note,
)

SEED = bytes(range(32))
NAME = "example.com/releasegate/log"
KEY = SignerKey(name=NAME, signature_type=TYPE_ED25519, seed=SEED)
VERIFIER_TEXT = "example.com/releasegate/log+e551a28b+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
SIGNER_TEXT = (
    "PRIVATE+KEY+example.com/releasegate/log+e551a28b+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
)
TEXT = "example.com/releasegate/log\n8\nSBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\n"
SIGNATURE_LINE = (
    "\u2014 example.com/releasegate/log 5VGii4Zh9JvPB/3Rue4/g+VpztkgDHkUZIyYnLLaCQ95ITuHRl/"
    "kMyAVPXLyRn+UM6ZlS5+iXlNa5TE10IR+KLYFsQI=\n"
)
NOTE = TEXT + "\n" + SIGNATURE_LINE

GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def public_key_bytes(seed: bytes) -> bytes:
    return (
        Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


# Key IDs and key texts


def test_key_id_follows_definition() -> None:
    public = public_key_bytes(SEED)
    expected = hashlib.sha256(NAME.encode() + b"\n" + b"\x01" + public).digest()[:4]

    assert key_id(NAME, TYPE_ED25519, public) == expected
    assert KEY.key_id.hex() == "e551a28b"
    assert KEY.key_id == expected


def test_key_id_depends_on_signature_type() -> None:
    public = public_key_bytes(SEED)
    cosigner_id = hashlib.sha256(NAME.encode() + b"\n\x04" + public).digest()[:4]

    assert key_id(NAME, TYPE_COSIGNATURE, public) == cosigner_id
    assert cosigner_id != KEY.key_id


def test_verifier_key_text_exact() -> None:
    material = base64.b64encode(b"\x01" + public_key_bytes(SEED)).decode()

    assert KEY.verifier.to_text() == VERIFIER_TEXT
    assert f"{NAME}+e551a28b+{material}" == VERIFIER_TEXT


def test_signer_key_text_exact() -> None:
    assert KEY.to_text() == SIGNER_TEXT
    assert SignerKey.from_text(SIGNER_TEXT) == KEY


def test_verifier_key_round_trip() -> None:
    parsed = VerifierKey.from_text(VERIFIER_TEXT)

    assert parsed == KEY.verifier
    assert parsed.key_id_hex == "e551a28b"


def test_verifier_key_base64_may_contain_plus() -> None:
    # The Go test key's base64 material has no '+', ours has several; both parse.
    assert "+" in VERIFIER_TEXT.split("+", 2)[2]
    assert VerifierKey.from_text(GO_VERIFIER).name == "PeterNeumann"


def test_verifier_key_rejects_wrong_key_id() -> None:
    wrong = VERIFIER_TEXT.replace("+e551a28b+", "+e551a28c+")

    with pytest.raises(
        InputError,
        match=r"^pub: verifier key ID 'e551a28c' does not match the key, whose ID is e551a28b\n",
    ):
        VerifierKey.from_text(wrong, source="pub")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("example.com+e551a28b", "a verifier key has the form <name>+<key ID hex>+<base64 key>"),
        ("n+e551a28b+!!!!", "the verifier key material is not valid base64"),
        ("n+e551a28b+AQID", "the verifier key material is 3 bytes, but it must be 33"),
        (
            "a b+e551a28b+" + VERIFIER_TEXT.split("+", 2)[2],
            "key name 'a b' contains ' ', but key names may contain no spaces",
        ),
    ],
)
def test_verifier_key_rejects_malformed(text: str, message: str) -> None:
    with pytest.raises(InputError, match="^pub: " + message.replace("+", r"\+")):
        VerifierKey.from_text(text, source="pub")


def test_verifier_key_rejects_unknown_type() -> None:
    material = base64.b64encode(b"\x02" + public_key_bytes(SEED)).decode()

    with pytest.raises(InputError, match="signature type 0x02 is not supported"):
        VerifierKey.from_text(f"{NAME}+00000000+{material}")


def test_signer_key_rejects_public_key_text() -> None:
    with pytest.raises(InputError, match="a private key starts with 'PRIVATE\\+KEY\\+'"):
        SignerKey.from_text(VERIFIER_TEXT)


# Signing


def test_sign_note_exact_bytes() -> None:
    signature = Ed25519PrivateKey.from_private_bytes(SEED).sign(TEXT.encode())
    expected_line = f"\u2014 {NAME} {base64.b64encode(KEY.key_id + signature).decode()}\n"

    assert sign_note(TEXT, [KEY]) == NOTE
    assert expected_line == SIGNATURE_LINE


def test_sign_note_matches_go_reference() -> None:
    signer = SignerKey.from_text(GO_SIGNER)

    assert signer.verifier.to_text() == GO_VERIFIER
    assert sign_note(GO_TEXT, [signer]) == GO_NOTE


def test_sign_note_rejects_text_without_final_newline() -> None:
    with pytest.raises(InputError, match="note text must end with a newline"):
        sign_note("no newline", [KEY])


def test_sign_note_rejects_control_character() -> None:
    with pytest.raises(
        InputError, match="note text contains control character U\\+0009 at offset 1"
    ):
        sign_note("a\tb\n", [KEY])


def test_cosignature_signs_header_time_and_text() -> None:
    witness = SignerKey(name="audit.example/witness", signature_type=TYPE_COSIGNATURE, seed=SEED)
    signature = witness.sign(TEXT.encode(), timestamp=1767225600)
    expected_message = b"cosignature/v1\ntime 1767225600\n" + TEXT.encode()

    assert cosignature_message(TEXT, 1767225600) == expected_message
    assert signature[:8] == (1767225600).to_bytes(8, "big")
    assert signature[8:] == Ed25519PrivateKey.from_private_bytes(SEED).sign(expected_message)


# Opening


def test_open_note_returns_text_and_signature() -> None:
    opened = open_note(NOTE, [KEY.verifier])

    assert opened.text == TEXT
    assert [(s.name, s.key_id.hex()) for s in opened.signatures] == [(NAME, "e551a28b")]
    assert opened.unknown_signatures == ()


def test_open_note_go_reference() -> None:
    opened = open_note(GO_NOTE, [VerifierKey.from_text(GO_VERIFIER)])

    assert opened.text == GO_TEXT


def test_open_note_rejects_tampered_text() -> None:
    tampered = NOTE.replace("\n8\n", "\n9\n")

    with pytest.raises(
        LedgerIntegrityError,
        match=r"^note: the signature of key example.com/releasegate/log \(key ID e551a28b\) "
        r"does not verify\n",
    ):
        open_note(tampered, [KEY.verifier])


def test_open_note_rejects_tampered_go_note() -> None:
    with pytest.raises(LedgerIntegrityError, match="does not verify"):
        open_note(
            GO_NOTE.replace("cryptography", "cryptographY"), [VerifierKey.from_text(GO_VERIFIER)]
        )


def test_open_note_rejects_unknown_key() -> None:
    other = SignerKey(name=NAME, signature_type=TYPE_ED25519, seed=bytes(32)).verifier

    with pytest.raises(
        LedgerIntegrityError,
        match=r"^note: no signature of a known key: the note is signed by "
        r"example.com/releasegate/log\+e551a28b, and the known keys are "
        rf"example.com/releasegate/log\+{other.key_id_hex}\n",
    ):
        open_note(NOTE, [other])


def test_open_note_ignores_unknown_signature_next_to_known() -> None:
    stranger = SignerKey(name="other.example/log", signature_type=TYPE_ED25519, seed=bytes(32))
    both = sign_note(TEXT, [stranger, KEY])

    opened = open_note(both, [KEY.verifier])

    assert len(opened.signatures) == 1
    assert opened.unknown_signatures[0].startswith("\u2014 other.example/log ")


def test_open_note_rejects_wrong_key_id_in_signature() -> None:
    # Same name, different key ID: an unknown key, so nothing verifies.
    data = base64.b64decode(SIGNATURE_LINE.rsplit(" ", 1)[1])
    encoded = base64.b64encode(bytes(4) + data[4:]).decode()
    forged = f"\u2014 {NAME} {encoded}\n"

    with pytest.raises(
        LedgerIntegrityError, match=r"signed by example.com/releasegate/log\+00000000"
    ):
        open_note(TEXT + "\n" + forged, [KEY.verifier])


def test_open_note_rejects_missing_blank_line() -> None:
    with pytest.raises(
        LedgerIntegrityError,
        match=r"^note: the note has no blank line between its text and its signatures\n",
    ):
        open_note(TEXT + SIGNATURE_LINE, [KEY.verifier])


def test_open_note_rejects_control_character() -> None:
    with pytest.raises(
        LedgerIntegrityError,
        match=r"^note: the note contains control character U\+000D at offset 27\n",
    ):
        open_note(NOTE.replace("log\n8", "log\r8", 1), [KEY.verifier])


def test_open_note_rejects_invalid_utf8() -> None:
    with pytest.raises(LedgerIntegrityError, match="the note is not valid UTF-8"):
        open_note(NOTE.encode() + b"\xff", [KEY.verifier])


def test_open_note_rejects_missing_final_newline() -> None:
    with pytest.raises(
        LedgerIntegrityError, match="the last signature line does not end with a newline"
    ):
        open_note(NOTE[:-1], [KEY.verifier])


def test_open_note_rejects_hyphen_instead_of_em_dash() -> None:
    with pytest.raises(
        LedgerIntegrityError,
        match=r"signature line 1 does not start with an em dash \(U\+2014\) and a space",
    ):
        open_note(NOTE.replace("\u2014", "-"), [KEY.verifier])


def test_open_note_rejects_bad_base64() -> None:
    with pytest.raises(
        LedgerIntegrityError, match="signature line 1 has invalid base64 signature data"
    ):
        open_note(TEXT + "\n\u2014 " + NAME + " !!!!\n", [KEY.verifier])


def test_open_note_rejects_short_signature() -> None:
    with pytest.raises(
        LedgerIntegrityError, match="signature line 1 has 4 bytes of signature data"
    ):
        open_note(TEXT + "\n\u2014 " + NAME + " AAAAAA==\n", [KEY.verifier])


def test_open_note_rejects_empty_signature_block() -> None:
    with pytest.raises(
        LedgerIntegrityError, match="the note has no signature lines after its blank line"
    ):
        open_note(TEXT + "\n", [KEY.verifier])


def test_open_note_splits_at_last_blank_line() -> None:
    text = "first paragraph\n\nsecond paragraph\n"
    opened = open_note(sign_note(text, [KEY]), [KEY.verifier])

    assert opened.text == text


def test_open_note_accepts_sixteen_signatures() -> None:
    signers = [
        SignerKey(name=f"example.com/signer{i}", signature_type=TYPE_ED25519, seed=bytes([i]) * 32)
        for i in range(15)
    ]
    note = sign_note(TEXT, [*signers, KEY])

    assert len(open_note(note, [KEY.verifier]).unknown_signatures) == 15


def test_open_note_rejects_too_many_signatures() -> None:
    note = TEXT + "\n" + SIGNATURE_LINE * (MAX_SIGNATURES + 1)

    with pytest.raises(LedgerIntegrityError, match=f"the note has {MAX_SIGNATURES + 1} signatures"):
        open_note(note, [KEY.verifier])


def test_open_note_rejects_ambiguous_verifiers() -> None:
    twin = VerifierKey(
        name=NAME, signature_type=TYPE_ED25519, public_key=public_key_bytes(bytes(32))
    )
    object.__setattr__(twin, "key_id", KEY.key_id)

    with pytest.raises(LedgerIntegrityError, match="two different public keys share the name"):
        open_note(NOTE, [KEY.verifier, twin])
