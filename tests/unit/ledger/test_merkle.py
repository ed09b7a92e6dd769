"""Tests for the RFC 6962 / RFC 9162 Merkle tree, its proofs and the frontier.

Reference data is the 8-leaf test tree of the certificate-transparency
project. The leaf inputs are in transparency-dev/merkle `testonly/constants.go`,
and the proofs pinned below match the JSON files under `testdata/` in that
repository at commit 417fb0c3 (hashes there are base64).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pytest

from releasegate.errors import InputError, LedgerIntegrityError
from releasegate.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    Frontier,
    append_frontier,
    consistency_proof,
    frontier_root,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

TEST_TREE_LEAVES = [
    bytes.fromhex(""),
    bytes.fromhex("00"),
    bytes.fromhex("10"),
    bytes.fromhex("2021"),
    bytes.fromhex("3031"),
    bytes.fromhex("40414243"),
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]
TEST_TREE_LEAF_HASHES = [leaf_hash(leaf) for leaf in TEST_TREE_LEAVES]

# Root of the first n leaves of the test tree, for n = 1..8.
TEST_TREE_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}


def tree_root(size: int) -> bytes:
    return bytes.fromhex(TEST_TREE_ROOTS[size])


def from_base64(values: list[str]) -> list[bytes]:
    return [base64.b64decode(value) for value in values]


def flipped_bits(value: bytes) -> Iterator[bytes]:
    """Yield every copy of `value` that differs from it in exactly one bit."""
    for byte_index in range(len(value)):
        for bit in range(8):
            changed = bytearray(value)
            changed[byte_index] ^= 1 << bit
            yield bytes(changed)


def synthetic_leaf_hashes(count: int) -> list[bytes]:
    return [leaf_hash(index.to_bytes(4, "big")) for index in range(count)]


# Hashing


def test_leaf_hash_prefixes_zero_byte() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()


def test_leaf_hash_of_empty_input() -> None:
    assert leaf_hash(b"").hex() == TEST_TREE_ROOTS[1]


def test_node_hash_prefixes_one_byte() -> None:
    left = bytes(range(32))
    right = bytes(range(32, 64))

    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


def test_node_hash_rejects_short_child() -> None:
    with pytest.raises(InputError, match="left child hash must be 32 bytes, but it is 31 bytes"):
        node_hash(bytes(31), bytes(32))
    with pytest.raises(InputError, match="right child hash must be 32 bytes, but it is 33 bytes"):
        node_hash(bytes(32), bytes(33))


# Tree root


def test_root_of_empty_tree() -> None:
    expected = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    assert root([]).hex() == expected
    assert EMPTY_ROOT.hex() == expected


@pytest.mark.parametrize("size", range(1, 9))
def test_root_of_test_tree(size: int) -> None:
    assert root(TEST_TREE_LEAF_HASHES[:size]).hex() == TEST_TREE_ROOTS[size]


def test_root_does_not_duplicate_odd_node() -> None:
    first, second, third = TEST_TREE_LEAF_HASHES[:3]
    promoted = node_hash(node_hash(first, second), third)
    duplicated = node_hash(node_hash(first, second), node_hash(third, third))

    assert root([first, second, third]) == promoted
    assert root([first, second, third]) != duplicated


def test_root_splits_below_power_of_two() -> None:
    # Five leaves split 4 + 1, and four leaves split 2 + 2 (not 4 + 0).
    hashes = TEST_TREE_LEAF_HASHES[:5]
    left = node_hash(node_hash(hashes[0], hashes[1]), node_hash(hashes[2], hashes[3]))

    assert root(hashes) == node_hash(left, hashes[4])
    assert root(hashes[:4]) == left


def test_root_rejects_wrong_length_leaf_hash() -> None:
    with pytest.raises(InputError, match="leaf hash 1 must be 32 bytes, but it is 64 bytes"):
        root([TEST_TREE_LEAF_HASHES[0], TEST_TREE_LEAF_HASHES[1].hex().encode()])


# Inclusion proofs


def test_inclusion_proof_first_leaf_of_eight() -> None:
    proof = inclusion_proof(TEST_TREE_LEAF_HASHES, 0)

    assert [element.hex() for element in proof] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]


def test_inclusion_proof_matches_upstream_vectors() -> None:
    # testdata/inclusion/2/happy-path.json: leaf 5 in the tree of 8.
    expected_leaf_5 = from_base64(
        [
            "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
            "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
            "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=",
        ]
    )
    # testdata/inclusion/4/happy-path.json: leaf 1 in the tree of 5.
    expected_leaf_1 = from_base64(
        [
            "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
            "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
        ]
    )

    assert inclusion_proof(TEST_TREE_LEAF_HASHES, 5) == expected_leaf_5
    assert inclusion_proof(TEST_TREE_LEAF_HASHES[:5], 1) == expected_leaf_1
    assert TEST_TREE_LEAF_HASHES[5] == base64.b64decode(
        "QnGia+DYqE8L1UyMMC58s6O10fpngKQLzOKHNHfatlg="
    )
    assert tree_root(5) == base64.b64decode("Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=")


def test_inclusion_proof_single_leaf_is_empty() -> None:
    assert inclusion_proof(TEST_TREE_LEAF_HASHES[:1], 0) == []
    verify_inclusion(TEST_TREE_LEAF_HASHES[0], 0, 1, [], tree_root(1))


def test_inclusion_proof_last_leaf_is_shorter() -> None:
    # Leaf 4 of 5 is the right child of the root, so its proof has one hash.
    assert inclusion_proof(TEST_TREE_LEAF_HASHES[:5], 4) == [tree_root(4)]


def test_inclusion_proofs_verify_for_test_tree() -> None:
    for size in range(1, 9):
        hashes = TEST_TREE_LEAF_HASHES[:size]
        for index in range(size):
            proof = inclusion_proof(hashes, index)
            verify_inclusion(hashes[index], index, size, proof, tree_root(size))


def test_inclusion_proofs_verify_up_to_70_leaves() -> None:
    hashes = synthetic_leaf_hashes(70)
    for size in range(1, 71):
        tree = hashes[:size]
        tree_hash = root(tree)
        for index in range(size):
            verify_inclusion(tree[index], index, size, inclusion_proof(tree, index), tree_hash)


def test_inclusion_flipped_proof_bit_fails() -> None:
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(TEST_TREE_LEAF_HASHES[:size], index)
            for position, element in enumerate(proof):
                for changed in flipped_bits(element):
                    tampered = [*proof[:position], changed, *proof[position + 1 :]]
                    with pytest.raises(LedgerIntegrityError, match="does not lead to the root"):
                        verify_inclusion(
                            TEST_TREE_LEAF_HASHES[index], index, size, tampered, tree_root(size)
                        )


def test_inclusion_flipped_root_bit_fails() -> None:
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(TEST_TREE_LEAF_HASHES[:size], index)
            for changed in flipped_bits(tree_root(size)):
                with pytest.raises(LedgerIntegrityError, match="does not lead to the root"):
                    verify_inclusion(TEST_TREE_LEAF_HASHES[index], index, size, proof, changed)


def test_inclusion_flipped_leaf_bit_fails() -> None:
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(TEST_TREE_LEAF_HASHES[:size], index)
            for changed in flipped_bits(TEST_TREE_LEAF_HASHES[index]):
                with pytest.raises(LedgerIntegrityError, match="does not lead to the root"):
                    verify_inclusion(changed, index, size, proof, tree_root(size))


def test_inclusion_wrong_index_fails() -> None:
    proof = inclusion_proof(TEST_TREE_LEAF_HASHES, 2)

    with pytest.raises(LedgerIntegrityError, match="does not lead to the root"):
        verify_inclusion(TEST_TREE_LEAF_HASHES[2], 3, 8, proof, tree_root(8))


def test_inclusion_other_leaf_fails() -> None:
    proof = inclusion_proof(TEST_TREE_LEAF_HASHES, 2)

    with pytest.raises(LedgerIntegrityError, match="does not lead to the root"):
        verify_inclusion(TEST_TREE_LEAF_HASHES[3], 2, 8, proof, tree_root(8))


def test_inclusion_wrong_size_fails() -> None:
    # Leaf 4 has a 3-hash proof in trees of 7 and 8 leaves, so only the root differs.
    proof = inclusion_proof(TEST_TREE_LEAF_HASHES[:7], 4)

    with pytest.raises(LedgerIntegrityError, match="does not lead to the root"):
        verify_inclusion(TEST_TREE_LEAF_HASHES[4], 4, 8, proof, tree_root(8))


def test_inclusion_index_equal_to_size_fails() -> None:
    with pytest.raises(LedgerIntegrityError, match="leaf index 8 is outside the tree of size 8"):
        verify_inclusion(TEST_TREE_LEAF_HASHES[7], 8, 8, [], tree_root(8))


def test_inclusion_index_beyond_size_fails() -> None:
    proof = inclusion_proof(TEST_TREE_LEAF_HASHES, 7)

    with pytest.raises(LedgerIntegrityError, match="leaf index 9 is outside the tree of size 8"):
        verify_inclusion(TEST_TREE_LEAF_HASHES[7], 9, 8, proof, tree_root(8))


def test_inclusion_negative_index_fails() -> None:
    with pytest.raises(LedgerIntegrityError, match="leaf index -1 is outside the tree of size 8"):
        verify_inclusion(TEST_TREE_LEAF_HASHES[0], -1, 8, [], tree_root(8))


def test_inclusion_empty_tree_fails() -> None:
    with pytest.raises(LedgerIntegrityError, match="leaf index 0 is outside the tree of size 0"):
        verify_inclusion(TEST_TREE_LEAF_HASHES[0], 0, 0, [], EMPTY_ROOT)


def test_inclusion_short_leaf_hash_fails() -> None:
    proof = inclusion_proof(TEST_TREE_LEAF_HASHES, 1)

    with pytest.raises(LedgerIntegrityError, match="leaf hash must be 32 bytes, but it is 31"):
        verify_inclusion(TEST_TREE_LEAF_HASHES[1][:31], 1, 8, proof, tree_root(8))


def test_inclusion_long_root_fails() -> None:
    proof = inclusion_proof(TEST_TREE_LEAF_HASHES, 1)

    with pytest.raises(LedgerIntegrityError, match="root hash must be 32 bytes, but it is 33"):
        verify_inclusion(TEST_TREE_LEAF_HASHES[1], 1, 8, proof, tree_root(8) + b"\x00")


def test_inclusion_short_proof_element_fails() -> None:
    proof = inclusion_proof(TEST_TREE_LEAF_HASHES, 1)
    proof[2] = proof[2][:16]

    with pytest.raises(
        LedgerIntegrityError, match="inclusion proof hash 2 must be 32 bytes, but it is 16"
    ):
        verify_inclusion(TEST_TREE_LEAF_HASHES[1], 1, 8, proof, tree_root(8))


def test_inclusion_extra_proof_element_fails() -> None:
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(TEST_TREE_LEAF_HASHES[:size], index)
            for extra in (tree_root(size), bytes(HASH_SIZE)):
                with pytest.raises(LedgerIntegrityError, match=f"has {len(proof) + 1} hashes"):
                    verify_inclusion(
                        TEST_TREE_LEAF_HASHES[index],
                        index,
                        size,
                        [*proof, extra],
                        tree_root(size),
                    )


def test_inclusion_missing_proof_element_fails() -> None:
    for size in range(2, 9):
        for index in range(size):
            proof = inclusion_proof(TEST_TREE_LEAF_HASHES[:size], index)
            for position in range(len(proof)):
                shortened = proof[:position] + proof[position + 1 :]
                with pytest.raises(LedgerIntegrityError, match=f"must have {len(proof)}"):
                    verify_inclusion(
                        TEST_TREE_LEAF_HASHES[index], index, size, shortened, tree_root(size)
                    )


def test_inclusion_proof_rejects_index_out_of_range() -> None:
    with pytest.raises(InputError, match="leaf index 8 is outside the tree of size 8"):
        inclusion_proof(TEST_TREE_LEAF_HASHES, 8)
    with pytest.raises(InputError, match="leaf index -1 is outside the tree of size 8"):
        inclusion_proof(TEST_TREE_LEAF_HASHES, -1)
    with pytest.raises(InputError, match="leaf index 0 is outside the tree of size 0"):
        inclusion_proof([], 0)


# Consistency proofs


def test_consistency_proof_known_values() -> None:
    assert [element.hex() for element in consistency_proof(TEST_TREE_LEAF_HASHES, 1)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    assert [element.hex() for element in consistency_proof(TEST_TREE_LEAF_HASHES[:5], 2)] == [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]


def test_consistency_proof_matches_upstream_vectors() -> None:
    # testdata/consistency/2/happy-path.json: sizes 6 to 8.
    expected_6_to_8 = from_base64(
        [
            "DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=",
            "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
            "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=",
        ]
    )
    # testdata/consistency/4/happy-path.json: sizes 6 to 7.
    expected_6_to_7 = from_base64(
        [
            "DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=",
            "sIaT7C5yFZcTBkHoIR5+7cy0wmQTlj7ubB4u0W/7Gl8=",
            "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=",
        ]
    )

    assert consistency_proof(TEST_TREE_LEAF_HASHES, 6) == expected_6_to_8
    assert consistency_proof(TEST_TREE_LEAF_HASHES[:7], 6) == expected_6_to_7
    assert tree_root(6) == base64.b64decode("duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=")
    assert tree_root(7) == base64.b64decode("3bib5AOAnjJXUNPSY814kpwpQreUKjS3fhIslZSnTIw=")


def test_consistency_proofs_verify_for_test_tree() -> None:
    for new_size in range(1, 9):
        for old_size in range(1, new_size + 1):
            proof = consistency_proof(TEST_TREE_LEAF_HASHES[:new_size], old_size)
            verify_consistency(old_size, new_size, tree_root(old_size), tree_root(new_size), proof)


def test_consistency_proofs_verify_up_to_70_leaves() -> None:
    hashes = synthetic_leaf_hashes(70)
    roots = [root(hashes[:size]) for size in range(71)]
    for new_size in range(1, 71):
        for old_size in range(1, new_size + 1):
            proof = consistency_proof(hashes[:new_size], old_size)
            verify_consistency(old_size, new_size, roots[old_size], roots[new_size], proof)


def test_consistency_flipped_proof_bit_fails() -> None:
    for new_size in range(2, 9):
        for old_size in range(1, new_size):
            proof = consistency_proof(TEST_TREE_LEAF_HASHES[:new_size], old_size)
            for position, element in enumerate(proof):
                for changed in flipped_bits(element):
                    tampered = [*proof[:position], changed, *proof[position + 1 :]]
                    with pytest.raises(LedgerIntegrityError, match="does not lead to the"):
                        verify_consistency(
                            old_size, new_size, tree_root(old_size), tree_root(new_size), tampered
                        )


def test_consistency_flipped_old_root_bit_fails() -> None:
    for new_size in range(1, 9):
        for old_size in range(1, new_size + 1):
            proof = consistency_proof(TEST_TREE_LEAF_HASHES[:new_size], old_size)
            for changed in flipped_bits(tree_root(old_size)):
                with pytest.raises(LedgerIntegrityError):
                    verify_consistency(old_size, new_size, changed, tree_root(new_size), proof)


def test_consistency_flipped_new_root_bit_fails() -> None:
    for new_size in range(1, 9):
        for old_size in range(1, new_size + 1):
            proof = consistency_proof(TEST_TREE_LEAF_HASHES[:new_size], old_size)
            for changed in flipped_bits(tree_root(new_size)):
                with pytest.raises(LedgerIntegrityError):
                    verify_consistency(old_size, new_size, tree_root(old_size), changed, proof)


def test_consistency_swapped_roots_fail() -> None:
    proof = consistency_proof(TEST_TREE_LEAF_HASHES, 3)

    with pytest.raises(LedgerIntegrityError, match="does not lead to the old root"):
        verify_consistency(3, 8, tree_root(8), tree_root(3), proof)


def test_consistency_forked_tree_fails() -> None:
    # The forked tree replaces leaf 2, so it extends neither old tree below.
    forked = [*TEST_TREE_LEAF_HASHES]
    forked[2] = leaf_hash(b"rewritten")

    # The old tree of 3 is rebuilt from proof hashes that cover the rewritten leaf.
    with pytest.raises(LedgerIntegrityError, match="does not lead to the old root"):
        verify_consistency(3, 8, tree_root(3), root(forked), consistency_proof(forked, 3))

    # The old tree of 4 is a perfect subtree, so the verifier starts from its
    # trusted root and the new root no longer matches.
    with pytest.raises(LedgerIntegrityError, match="does not lead to the new root"):
        verify_consistency(4, 8, tree_root(4), root(forked), consistency_proof(forked, 4))


def test_consistency_equal_sizes_pass() -> None:
    for size in range(1, 9):
        verify_consistency(size, size, tree_root(size), tree_root(size), [])
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_consistency_equal_sizes_nonempty_proof_fails() -> None:
    with pytest.raises(LedgerIntegrityError, match="equal tree sizes 5 must be empty"):
        verify_consistency(5, 5, tree_root(5), tree_root(5), [tree_root(4)])


def test_consistency_equal_sizes_different_roots_fail() -> None:
    with pytest.raises(LedgerIntegrityError, match="two roots for tree size 5 differ"):
        verify_consistency(5, 5, tree_root(5), tree_root(6), [])


def test_consistency_from_size_zero_fails() -> None:
    # Upstream testdata/consistency/additional/size1-is-zero-and-size2-is-not-zero.json
    # expects an error too. Real roots make the size-0 rule the only failing check.
    with pytest.raises(LedgerIntegrityError, match="from tree size 0 to 1 is meaningless"):
        verify_consistency(0, 1, EMPTY_ROOT, tree_root(1), [])
    with pytest.raises(LedgerIntegrityError, match="from tree size 0 to 8 is meaningless"):
        verify_consistency(0, 8, EMPTY_ROOT, tree_root(8), [tree_root(8)])


def test_consistency_upstream_size_zero_vector_fails() -> None:
    # The vector's root2 is 12 bytes of text, which the hash length check rejects first.
    with pytest.raises(LedgerIntegrityError, match="new root hash must be 32 bytes"):
        verify_consistency(
            0,
            1,
            base64.b64decode("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
            base64.b64decode("ZG9uJ3QgY2FyZSAy"),
            [],
        )


def test_consistency_old_larger_than_new_fails() -> None:
    proof = consistency_proof(TEST_TREE_LEAF_HASHES, 3)

    with pytest.raises(
        LedgerIntegrityError, match="old tree size 8 is larger than new tree size 3"
    ):
        verify_consistency(8, 3, tree_root(8), tree_root(3), proof)


def test_consistency_negative_size_fails() -> None:
    with pytest.raises(LedgerIntegrityError, match="must not be negative"):
        verify_consistency(-1, 3, tree_root(1), tree_root(3), [])


def test_consistency_empty_proof_fails() -> None:
    for new_size in range(2, 9):
        for old_size in range(1, new_size):
            with pytest.raises(LedgerIntegrityError, match="has 0 hashes, but it must have"):
                verify_consistency(old_size, new_size, tree_root(old_size), tree_root(new_size), [])


def test_consistency_extra_proof_element_fails() -> None:
    for new_size in range(2, 9):
        for old_size in range(1, new_size):
            proof = consistency_proof(TEST_TREE_LEAF_HASHES[:new_size], old_size)
            for extra in (tree_root(new_size), bytes(HASH_SIZE)):
                with pytest.raises(LedgerIntegrityError, match=f"has {len(proof) + 1} hashes"):
                    verify_consistency(
                        old_size,
                        new_size,
                        tree_root(old_size),
                        tree_root(new_size),
                        [*proof, extra],
                    )


def test_consistency_missing_proof_element_fails() -> None:
    for new_size in range(2, 9):
        for old_size in range(1, new_size):
            proof = consistency_proof(TEST_TREE_LEAF_HASHES[:new_size], old_size)
            for position in range(len(proof)):
                shortened = proof[:position] + proof[position + 1 :]
                with pytest.raises(LedgerIntegrityError, match=f"must have {len(proof)}"):
                    verify_consistency(
                        old_size, new_size, tree_root(old_size), tree_root(new_size), shortened
                    )


def test_consistency_wrong_length_hashes_fail() -> None:
    proof = consistency_proof(TEST_TREE_LEAF_HASHES, 6)

    with pytest.raises(LedgerIntegrityError, match="old root hash must be 32 bytes"):
        verify_consistency(6, 8, tree_root(6)[:31], tree_root(8), proof)
    with pytest.raises(LedgerIntegrityError, match="new root hash must be 32 bytes"):
        verify_consistency(6, 8, tree_root(6), tree_root(8) + b"\x00", proof)
    with pytest.raises(LedgerIntegrityError, match="consistency proof hash 1 must be 32 bytes"):
        verify_consistency(6, 8, tree_root(6), tree_root(8), [proof[0], b"", proof[2]])


def test_consistency_proof_equal_sizes_is_empty() -> None:
    assert consistency_proof(TEST_TREE_LEAF_HASHES, 8) == []
    assert consistency_proof([], 0) == []


def test_consistency_proof_rejects_bad_old_size() -> None:
    with pytest.raises(InputError, match="consistency proof from the empty tree is meaningless"):
        consistency_proof(TEST_TREE_LEAF_HASHES, 0)
    with pytest.raises(InputError, match=r"old tree size 9 is outside 0\.\.8"):
        consistency_proof(TEST_TREE_LEAF_HASHES, 9)
    with pytest.raises(InputError, match=r"old tree size -1 is outside 0\.\.8"):
        consistency_proof(TEST_TREE_LEAF_HASHES, -1)


# Frontier


def test_frontier_root_matches_root_up_to_300() -> None:
    hashes = synthetic_leaf_hashes(300)
    frontier = Frontier()
    assert frontier_root(frontier) == root([])

    for size in range(1, 301):
        frontier = append_frontier(frontier, hashes[size - 1])
        assert frontier.size == size
        assert len(frontier.hashes) == size.bit_count()
        assert frontier_root(frontier) == root(hashes[:size]), f"size {size}"


def test_frontier_of_test_tree() -> None:
    frontier = Frontier()
    for size, hash_value in enumerate(TEST_TREE_LEAF_HASHES, start=1):
        frontier = append_frontier(frontier, hash_value)
        assert frontier_root(frontier) == tree_root(size)


def test_frontier_holds_perfect_subtree_roots() -> None:
    frontier = Frontier()
    for hash_value in TEST_TREE_LEAF_HASHES[:7]:
        frontier = append_frontier(frontier, hash_value)

    # 7 = 4 + 2 + 1
    assert frontier.hashes == (
        tree_root(4),
        root(TEST_TREE_LEAF_HASHES[4:6]),
        TEST_TREE_LEAF_HASHES[6],
    )


def test_frontier_append_keeps_original() -> None:
    before = append_frontier(Frontier(), TEST_TREE_LEAF_HASHES[0])
    append_frontier(before, TEST_TREE_LEAF_HASHES[1])

    assert before.size == 1
    assert before.hashes == (TEST_TREE_LEAF_HASHES[0],)


def test_frontier_rejects_wrong_hash_count() -> None:
    with pytest.raises(InputError, match="frontier of size 3 needs 2 subtree hashes"):
        Frontier(size=3, hashes=(tree_root(2),))
    with pytest.raises(InputError, match="frontier of size 0 needs 0 subtree hashes"):
        Frontier(size=0, hashes=(tree_root(1),))


def test_frontier_rejects_negative_size() -> None:
    with pytest.raises(InputError, match="frontier size -1 must not be negative"):
        Frontier(size=-1)


def test_frontier_rejects_wrong_length_hash() -> None:
    with pytest.raises(InputError, match="frontier subtree hash 1 must be 32 bytes"):
        Frontier(size=3, hashes=(tree_root(2), b"short"))


def test_frontier_append_rejects_wrong_length_leaf() -> None:
    with pytest.raises(InputError, match="leaf hash must be 32 bytes, but it is 3 bytes"):
        append_frontier(Frontier(), b"abc")
