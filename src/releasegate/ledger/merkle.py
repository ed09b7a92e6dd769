"""Merkle tree hashing, proofs and proof verification (RFC 6962 and RFC 9162, SHA-256).

The tree over n leaves follows RFC 6962 section 2.1. A leaf hash is
SHA-256(0x00 || data) and an interior node is SHA-256(0x01 || left || right).
The tree of n > 1 leaves splits at k, the largest power of two strictly less
than n, into a perfect left subtree of k leaves and a right subtree of n - k
leaves, so a trailing odd node moves up a level unchanged and is never
duplicated. The empty tree hashes to SHA-256 of the empty string.

Error contract:

- The `verify_*` functions return None when the proof is valid and raise
  LedgerIntegrityError otherwise. Malformed input (an index outside the tree,
  a hash that is not 32 bytes, a proof with missing or extra hashes) raises the
  same error, because it usually comes from an untrusted proof.
- The functions that build trees, proofs and frontiers raise InputError on
  invalid arguments: an index outside the tree or a leaf hash that is not 32
  bytes.

Proof generation reads every leaf hash, so it costs O(n). A log that appends
keeps a `Frontier`, which updates its root in O(log n) per leaf.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from releasegate.errors import InputError, LedgerIntegrityError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "append_frontier",
    "consistency_proof",
    "frontier_root",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root hash of the tree with no leaves."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


# Hashing


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash SHA-256(0x01 || left || right).

    Raises InputError unless both children are 32-byte hashes.
    """
    _require_hash(left, "left child hash")
    _require_hash(right, "right child hash")
    return _hash_children(left, right)


def _hash_children(left: bytes, right: bytes) -> bytes:
    # Unchecked node hash for loops whose inputs were checked once up front.
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the Merkle Tree Hash (RFC 6962 section 2.1) of the leaf hashes.

    Raises InputError if a leaf hash is not 32 bytes.
    """
    _require_leaf_hashes(leaf_hashes)
    if not leaf_hashes:
        return EMPTY_ROOT
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


def _subtree_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    # Root of leaves [start, end), which must not be empty.
    count = end - start
    if count == 1:
        return leaf_hashes[start]
    split = start + _largest_power_of_two_below(count)
    return _hash_children(
        _subtree_root(leaf_hashes, start, split),
        _subtree_root(leaf_hashes, split, end),
    )


def _largest_power_of_two_below(n: int) -> int:
    # For n >= 2, the largest power of two strictly less than n.
    return 1 << ((n - 1).bit_length() - 1)


# Inclusion proofs (RFC 9162 section 2.1.3)


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Build the inclusion proof of leaf `index` in the tree of `leaf_hashes`.

    Returns the sibling subtree roots from the leaf up to the root (the PATH of
    RFC 9162 section 2.1.3.1). Raises InputError unless 0 <= index < len(leaf_hashes)
    and every leaf hash is 32 bytes.
    """
    _require_leaf_hashes(leaf_hashes)
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise InputError(
            f"leaf index {index} is outside the tree of size {size}",
            field="index",
            hint=f"pass an index from 0 to {size - 1}" if size else "append a leaf first",
        )

    # Walk down from the root. Each split adds the root of the other side,
    # so the path is collected root-first and reversed at the end.
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            path.append(_subtree_root(leaf_hashes, split, end))
            end = split
        else:
            path.append(_subtree_root(leaf_hashes, start, split))
            start = split
    path.reverse()
    return path


def verify_inclusion(
    leaf_hash: bytes,
    index: int,
    size: int,
    proof: Sequence[bytes],
    root: bytes,
) -> None:
    """Check that `leaf_hash` is leaf `index` of the tree of `size` leaves with hash `root`.

    Follows RFC 9162 section 2.1.3.2. Returns None if the proof is valid and
    raises LedgerIntegrityError otherwise, including when index >= size, when a
    hash is not 32 bytes and when the proof has missing or extra hashes.
    """
    # Step 1: the leaf must lie inside the tree.
    if size < 0 or not 0 <= index < size:
        raise LedgerIntegrityError(
            f"inclusion proof is invalid: leaf index {index} is outside the tree of size {size}",
            hint="check the index and tree size that came with the proof",
        )

    # Step 2: every hash must be a SHA-256 digest.
    _require_verifiable_hash(leaf_hash, "leaf hash")
    _require_verifiable_hash(root, "root hash")
    for position, element in enumerate(proof):
        _require_verifiable_hash(element, f"inclusion proof hash {position}")

    # Step 3: the proof length follows from index and size alone.
    expected_length = _inclusion_proof_length(index, size)
    if len(proof) != expected_length:
        raise LedgerIntegrityError(
            f"inclusion proof for leaf {index} in a tree of size {size} has "
            f"{len(proof)} hashes, but it must have {expected_length}",
            hint="request a fresh proof for this index and tree size",
        )

    # Step 4: recompute the root along the path and compare.
    computed = _root_from_inclusion_path(leaf_hash, index, size, proof)
    if computed != root:
        raise LedgerIntegrityError(
            f"inclusion proof for leaf {index} in a tree of size {size} does not "
            f"lead to the root: computed {computed.hex()}, expected {root.hex()}",
            hint="the leaf, the proof or the root was altered, so do not trust this entry",
        )


def _inclusion_proof_length(index: int, size: int) -> int:
    # Below the level where the paths to `index` and to the last leaf meet,
    # every level contributes one sibling. Above it, the leaf lies on the right
    # border of the tree and only levels where `index` has a 1 bit contribute.
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner + border


def _root_from_inclusion_path(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    # The RFC 9162 section 2.1.3.2 loop. The caller has checked the proof
    # length, so `last` reaches 0 exactly when the proof runs out. The loop
    # still checks that, as the RFC does, so that it fails closed.
    node_index = index
    last = size - 1
    computed = leaf_hash
    for sibling in proof:
        if last == 0:
            raise LedgerIntegrityError("inclusion proof has more hashes than the tree has levels")
        if node_index & 1 or node_index == last:
            computed = _hash_children(sibling, computed)
            if not node_index & 1:
                # A right-border node without a right sibling moves up unchanged.
                while node_index and not node_index & 1:
                    node_index >>= 1
                    last >>= 1
        else:
            computed = _hash_children(computed, sibling)
        node_index >>= 1
        last >>= 1
    if last != 0:
        raise LedgerIntegrityError("inclusion proof has fewer hashes than the tree has levels")
    return computed


# Consistency proofs (RFC 9162 section 2.1.4)


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Build the proof that the first `old_size` leaves are a prefix of `leaf_hashes`.

    Returns the PROOF of RFC 9162 section 2.1.4.1, which is empty when
    old_size equals the tree size. Raises InputError unless
    0 < old_size <= len(leaf_hashes) or old_size == len(leaf_hashes) == 0, and
    if a leaf hash is not 32 bytes.
    """
    _require_leaf_hashes(leaf_hashes)
    new_size = len(leaf_hashes)
    if not 0 <= old_size <= new_size:
        raise InputError(
            f"old tree size {old_size} is outside 0..{new_size}",
            field="old_size",
            hint="pass the size of an earlier checkpoint of this tree",
        )
    if old_size == 0 and new_size > 0:
        raise InputError(
            "a consistency proof from the empty tree is meaningless because "
            "every tree extends the empty tree",
            field="old_size",
            hint="pass the size of an earlier non-empty checkpoint",
        )

    # SUBPROOF(m, D[start:end], b) of RFC 9162, unrolled into a loop. Like
    # inclusion_proof, it collects the hashes root-first and reverses them.
    proof: list[bytes] = []
    start, end = 0, new_size
    remaining = old_size
    old_tree_is_whole_subtree = True
    while remaining != end - start:
        split_size = _largest_power_of_two_below(end - start)
        if remaining <= split_size:
            proof.append(_subtree_root(leaf_hashes, start + split_size, end))
            end = start + split_size
        else:
            proof.append(_subtree_root(leaf_hashes, start, start + split_size))
            start += split_size
            remaining -= split_size
            old_tree_is_whole_subtree = False
    if not old_tree_is_whole_subtree:
        # The verifier cannot rebuild this subtree from the old root alone.
        proof.append(_subtree_root(leaf_hashes, start, end))
    proof.reverse()
    return proof


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Check that the tree of `new_size` leaves extends the tree of `old_size` leaves.

    Follows RFC 9162 section 2.1.4.2. Returns None if the proof is valid and
    raises LedgerIntegrityError otherwise. Equal sizes need an empty proof and
    equal roots, which includes two empty trees. A proof from size 0 to a
    larger tree, old_size > new_size, an empty proof for old_size < new_size, a
    hash that is not 32 bytes and a proof with missing or extra hashes are
    all rejected.
    """
    # Step 1: the sizes must describe a tree and one of its earlier versions.
    if old_size < 0 or new_size < 0:
        raise LedgerIntegrityError(
            f"consistency proof is invalid: tree sizes {old_size} and {new_size} "
            "must not be negative",
        )
    if old_size > new_size:
        raise LedgerIntegrityError(
            f"consistency proof is invalid: old tree size {old_size} is larger "
            f"than new tree size {new_size}",
            hint="a log never shrinks, so treat the newer checkpoint as a fork",
        )

    # Step 2: every hash must be a SHA-256 digest.
    _require_verifiable_hash(old_root, "old root hash")
    _require_verifiable_hash(new_root, "new root hash")
    for position, element in enumerate(proof):
        _require_verifiable_hash(element, f"consistency proof hash {position}")

    # Step 3: a tree is consistent with itself without any proof.
    if old_size == new_size:
        if proof:
            raise LedgerIntegrityError(
                f"consistency proof between equal tree sizes {old_size} must be empty, "
                f"but it has {len(proof)} hashes",
            )
        if old_root != new_root:
            raise LedgerIntegrityError(
                f"two roots for tree size {old_size} differ: {old_root.hex()} and {new_root.hex()}",
                hint="the log has forked, so keep both checkpoints as evidence",
            )
        return

    # Step 4: an empty old tree proves nothing, so RFC 9162 clients reject it.
    if old_size == 0:
        raise LedgerIntegrityError(
            f"consistency proof from tree size 0 to {new_size} is meaningless "
            "because every tree extends the empty tree",
            hint="verify consistency from an earlier non-empty checkpoint",
        )

    # Step 5: the proof length follows from the two sizes alone.
    expected_length = _consistency_proof_length(old_size, new_size)
    if len(proof) != expected_length:
        raise LedgerIntegrityError(
            f"consistency proof from tree size {old_size} to {new_size} has "
            f"{len(proof)} hashes, but it must have {expected_length}",
            hint="request a fresh proof for these two tree sizes",
        )

    # Step 6: recompute both roots from the proof and compare each.
    computed_old, computed_new = _roots_from_consistency_path(old_size, new_size, old_root, proof)
    if computed_old != old_root:
        raise LedgerIntegrityError(
            f"consistency proof from tree size {old_size} to {new_size} does not "
            f"lead to the old root: computed {computed_old.hex()}, expected {old_root.hex()}",
            hint="the proof or the old root was altered",
        )
    if computed_new != new_root:
        raise LedgerIntegrityError(
            f"consistency proof from tree size {old_size} to {new_size} does not "
            f"lead to the new root: computed {computed_new.hex()}, expected {new_root.hex()}",
            hint="the proof or the new root was altered, or the log has forked",
        )


def _consistency_proof_length(old_size: int, new_size: int) -> int:
    # For 0 < old_size < new_size. The trailing zero bits of old_size are the
    # levels inside the largest perfect subtree the two trees share on their
    # right edge, and the proof starts at that subtree.
    shift = _trailing_zero_bits(old_size)
    old_index = (old_size - 1) >> shift
    new_last = (new_size - 1) >> shift
    # Above that subtree the path looks like an inclusion proof of `old_index`.
    # Its root comes first in the proof unless it is the whole old tree, whose
    # root the verifier already has.
    seed_length = 0 if old_index == 0 else 1
    return seed_length + _inclusion_proof_length(old_index, new_last + 1)


def _roots_from_consistency_path(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    # The RFC 9162 section 2.1.4.2 loop, for 0 < old_size < new_size with a
    # proof of the checked length. Returns the (old, new) roots it computes.
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a perfect subtree of the new one, so its root starts the path.
        path.insert(0, old_root)

    old_index = old_size - 1
    new_last = new_size - 1
    while old_index & 1:
        old_index >>= 1
        new_last >>= 1

    old_computed = new_computed = path[0]
    for sibling in path[1:]:
        if new_last == 0:
            raise LedgerIntegrityError("consistency proof has more hashes than the tree has levels")
        if old_index & 1 or old_index == new_last:
            old_computed = _hash_children(sibling, old_computed)
            new_computed = _hash_children(sibling, new_computed)
            if not old_index & 1:
                while old_index and not old_index & 1:
                    old_index >>= 1
                    new_last >>= 1
        else:
            # Only the new tree has this right sibling.
            new_computed = _hash_children(new_computed, sibling)
        old_index >>= 1
        new_last >>= 1
    if new_last != 0:
        raise LedgerIntegrityError("consistency proof has fewer hashes than the tree has levels")
    return old_computed, new_computed


def _trailing_zero_bits(n: int) -> int:
    # For n > 0.
    return (n & -n).bit_length() - 1


# Frontier (compact range of the whole tree)


@dataclass(frozen=True)
class Frontier:
    """Roots of the perfect subtrees that make up a tree of `size` leaves.

    A tree of size n splits into one perfect subtree for each 1 bit of n,
    largest first. `hashes[i]` is the root of the i-th subtree from the left, so
    len(hashes) equals the number of 1 bits in n. Storing these O(log n) hashes
    is enough to append leaves and compute the root without rereading leaves.
    Construction raises InputError if the hashes do not fit `size`.
    """

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if self.size < 0:
            raise InputError(f"frontier size {self.size} must not be negative", field="size")
        expected_count = self.size.bit_count()
        if len(self.hashes) != expected_count:
            raise InputError(
                f"frontier of size {self.size} needs {expected_count} subtree hashes, "
                f"one per 1 bit of the size, but has {len(self.hashes)}",
                field="hashes",
                hint="rebuild the frontier from the stored leaf hashes",
            )
        for position, subtree_hash in enumerate(self.hashes):
            _require_hash(subtree_hash, f"frontier subtree hash {position}")


def append_frontier(frontier: Frontier, leaf_hash: bytes) -> Frontier:
    """Return the frontier of the tree after appending `leaf_hash`.

    Costs O(log n) hashes. Raises InputError if leaf_hash is not 32 bytes.
    """
    _require_hash(leaf_hash, "leaf hash")

    # Adding 1 to the size carries through its trailing 1 bits, and each carry
    # merges the two rightmost perfect subtrees, which have equal size.
    hashes = [*frontier.hashes, leaf_hash]
    for _ in range(_trailing_zero_bits(frontier.size + 1)):
        right = hashes.pop()
        left = hashes.pop()
        hashes.append(_hash_children(left, right))
    return Frontier(size=frontier.size + 1, hashes=tuple(hashes))


def frontier_root(frontier: Frontier) -> bytes:
    """Return the Merkle Tree Hash of the tree that `frontier` describes.

    Equals `root()` over the same leaves, at O(log n) hashes.
    """
    if not frontier.hashes:
        return EMPTY_ROOT
    # RFC 6962 splits off the largest perfect subtree on the left and recurses
    # on the rest, so the root folds the subtree roots from the right.
    computed = frontier.hashes[-1]
    for subtree_root in reversed(frontier.hashes[:-1]):
        computed = _hash_children(subtree_root, computed)
    return computed


# Argument checks


def _require_hash(value: bytes, name: str) -> None:
    if len(value) != HASH_SIZE:
        raise InputError(
            f"{name} must be {HASH_SIZE} bytes, but it is {len(value)} bytes",
            hint="pass raw SHA-256 digests, not hex or base64 text",
        )


def _require_leaf_hashes(leaf_hashes: Sequence[bytes]) -> None:
    for index, value in enumerate(leaf_hashes):
        _require_hash(value, f"leaf hash {index}")


def _require_verifiable_hash(value: bytes, name: str) -> None:
    if len(value) != HASH_SIZE:
        raise LedgerIntegrityError(
            f"{name} must be {HASH_SIZE} bytes, but it is {len(value)} bytes",
            hint="decode hashes from base64 or hex before verifying",
        )
