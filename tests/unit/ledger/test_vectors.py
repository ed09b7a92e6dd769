"""The transparency-dev/merkle proof vectors from the shared corpus, run against our verifier.

The corpus is read from the folder beside the repository and never copied
into it. The files are byte-exact copies of upstream test data (commit
417fb0c3 of transparency-dev/merkle), pinned here by SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from releasegate.errors import LedgerIntegrityError
from releasegate.ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "vectors"

FILES = {
    "tdmerkle__inclusion__2__happy-path.json": (
        "4eede9de7ed9989bcc2f53cb8ae770cecf5c56dbfae25e2d38d9e551e7226722"
    ),
    "tdmerkle__inclusion__4__happy-path.json": (
        "0d5679d8a828eebda5d498ca0187a568c805e4d1be17f373ec5058c99b74a9cc"
    ),
    "tdmerkle__consistency__2__happy-path.json": (
        "084d20811521ec2017cb0cf8d4ebe9aa987e7415e559374f51f5647635b12636"
    ),
    "tdmerkle__consistency__4__happy-path.json": (
        "e57266a3bff16d997c57a1a30b6f9283cf8dd150d165201016cb4d9774cde020"
    ),
    "tdmerkle__consistency__additional__size1-is-zero-and-size2-is-not-zero.json": (
        "302e69cf1464e0d64259ffcdccdb4ecd5224b503a76a831a93a0f2b9900caa54"
    ),
}

# Leaf inputs of the 8-leaf certificate-transparency test tree (testonly/constants.go).
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
LEAF_HASHES = [leaf_hash(leaf) for leaf in LEAVES]

pytestmark = pytest.mark.corpus


def load(name: str) -> dict:
    path = VECTORS / name
    if not path.is_file():
        pytest.skip(f"shared corpus vector {name} not found in {VECTORS}")
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == FILES[name], f"{name} differs from the pinned copy"
    return json.loads(data)


def decode(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


@pytest.mark.parametrize("name", sorted(n for n in FILES if "__inclusion__" in n))
def test_inclusion_vector(name: str) -> None:
    vector = load(name)
    proof = decode(vector["proof"])
    leaf = base64.b64decode(vector["leafHash"])
    root = base64.b64decode(vector["root"])

    assert vector["wantErr"] is False
    verify_inclusion(leaf, vector["leafIdx"], vector["treeSize"], proof, root)
    assert inclusion_proof(LEAF_HASHES[: vector["treeSize"]], vector["leafIdx"]) == proof
    assert LEAF_HASHES[vector["leafIdx"]] == leaf


@pytest.mark.parametrize(
    "name", sorted(n for n in FILES if "__consistency__" in n and "additional" not in n)
)
def test_consistency_vector(name: str) -> None:
    vector = load(name)
    proof = decode(vector["proof"])
    root1 = base64.b64decode(vector["root1"])
    root2 = base64.b64decode(vector["root2"])

    assert vector["wantErr"] is False
    verify_consistency(vector["size1"], vector["size2"], root1, root2, proof)
    assert consistency_proof(LEAF_HASHES[: vector["size2"]], vector["size1"]) == proof


def test_consistency_vector_from_size_zero_rejected() -> None:
    vector = load("tdmerkle__consistency__additional__size1-is-zero-and-size2-is-not-zero.json")
    root1 = base64.b64decode(vector["root1"])
    root2 = base64.b64decode(vector["root2"])

    assert vector["wantErr"] is True
    assert (vector["size1"], vector["size2"], vector["proof"]) == (0, 1, [])
    # The vector's second root is a 12-byte placeholder, which is rejected first.
    with pytest.raises(
        LedgerIntegrityError, match="new root hash must be 32 bytes, but it is 12 bytes"
    ):
        verify_consistency(vector["size1"], vector["size2"], root1, root2, [])
    # With a well-formed root the proof is still rejected, because it proves nothing.
    with pytest.raises(
        LedgerIntegrityError, match="consistency proof from tree size 0 to 1 is meaningless"
    ):
        verify_consistency(0, 1, root1, LEAF_HASHES[0], [])


@pytest.mark.parametrize("name", sorted(n for n in FILES if "additional" not in n))
def test_vector_with_flipped_bit_rejected(name: str) -> None:
    vector = load(name)
    proof = decode(vector["proof"])
    flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]

    with pytest.raises(LedgerIntegrityError, match="does not lead to the"):
        if "inclusion" in name:
            verify_inclusion(
                base64.b64decode(vector["leafHash"]),
                vector["leafIdx"],
                vector["treeSize"],
                flipped,
                base64.b64decode(vector["root"]),
            )
        else:
            verify_consistency(
                vector["size1"],
                vector["size2"],
                base64.b64decode(vector["root1"]),
                base64.b64decode(vector["root2"]),
                flipped,
            )
