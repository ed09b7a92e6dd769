"""Tests for the tile layout, the tree builder and proofs read from tiles.

The reference is `releasegate.ledger.merkle`, which computes roots and
proofs from the full list of leaf hashes as RFC 6962 and RFC 9162 define them.
"""

from __future__ import annotations

import random

import pytest

from releasegate.errors import InputError, LedgerIntegrityError
from releasegate.ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
)
from releasegate.ledger.tiles import (
    TILE_WIDTH,
    Tile,
    TreeBuilder,
    consistency_proof_from_tiles,
    consistency_ranges,
    inclusion_proof_from_tiles,
    inclusion_ranges,
    leaf_hash_from_tiles,
    partial_tile_keys,
    root_from_tiles,
    subtree_nodes,
    tile_width,
)

LEAVES = [leaf_hash(index.to_bytes(4, "big")) for index in range(2200)]


def build(size: int, seed: int = 0) -> tuple[TreeBuilder, dict[tuple[int, int], bytes]]:
    """Build a tree of `size` leaves in random batch sizes; return it and its tiles."""
    rng = random.Random(seed)
    builder = TreeBuilder()
    tiles: dict[tuple[int, int], bytes] = {}
    position = 0
    while position < size:
        end = min(size, position + rng.randint(1, 600))
        for tile in builder.extend(LEAVES[position:end]):
            tiles[(tile.level, tile.index)] = tile.hashes
        position = end
    for tile in builder.partial_tiles():
        tiles[(tile.level, tile.index)] = tile.hashes
    return builder, tiles


def reader(tiles: dict[tuple[int, int], bytes]):
    return lambda keys: {key: tiles[key] for key in keys if key in tiles}


@pytest.mark.parametrize("size", [0, 1, 2, 3, 255, 256, 257, 511, 512, 513, 1000, 2200])
def test_builder_root_matches_merkle(size: int) -> None:
    builder, _ = build(size)

    assert builder.size == size
    assert builder.root() == (root(LEAVES[:size]) if size else EMPTY_ROOT)


@pytest.mark.parametrize("size", [1, 256, 300, 65536 + 5])
def test_tile_widths(size: int) -> None:
    assert tile_width(0, 0, size) == min(size, TILE_WIDTH)
    assert partial_tile_keys(256) == [(1, 0, 1)]
    assert partial_tile_keys(300) == [(0, 1, 44), (1, 0, 1)]
    assert partial_tile_keys(65536 + 5) == [(0, 256, 5), (2, 0, 1)]


def test_builder_emits_full_tiles_once() -> None:
    builder = TreeBuilder()
    full = builder.extend(LEAVES[:600])

    assert [(t.level, t.index, t.width) for t in full] == [(0, 0, 256), (0, 1, 256)]
    assert [(t.level, t.index, t.width) for t in builder.partial_tiles()] == [(0, 2, 88), (1, 0, 2)]
    assert full[0].hashes == b"".join(LEAVES[:256])


def test_builder_resumes_from_partial_tiles() -> None:
    first, _ = build(700)
    resumed = TreeBuilder(700, {t.level: t.hashes for t in first.partial_tiles()})
    resumed.extend(LEAVES[700:1500])

    assert resumed.root() == root(LEAVES[:1500])


def test_builder_rejects_wrong_partial_tile() -> None:
    first, _ = build(700)
    partial = {t.level: t.hashes for t in first.partial_tiles()}
    partial[0] = partial[0][:-32]

    with pytest.raises(
        LedgerIntegrityError,
        match="tile 0/2 contains 187 hashes, but a tree of 700 leaves needs 188",
    ):
        TreeBuilder(700, partial)


def test_builder_frontier_sizes() -> None:
    builder, _ = build(1000)

    # 1000 = 512 + 256 + 128 + 64 + 32 + 8: one perfect subtree per 1 bit.
    assert len(builder.frontier()) == bin(1000).count("1")


def test_proofs_from_tiles_match_merkle() -> None:
    rng = random.Random(7)
    for size in [1, 2, 5, 255, 256, 257, 700, 1024, 2200]:
        _, tiles = build(size, seed=size)
        read = reader(tiles)
        assert root_from_tiles(size, read) == root(LEAVES[:size])
        for index in rng.sample(range(size), min(size, 6)):
            assert inclusion_proof_from_tiles(index, size, read) == inclusion_proof(
                LEAVES[:size], index
            )
            assert leaf_hash_from_tiles(index, read) == LEAVES[index]
        for old in rng.sample(range(1, size + 1), min(size, 6)):
            assert consistency_proof_from_tiles(old, size, read) == consistency_proof(
                LEAVES[:size], old
            )


def test_proofs_for_older_size_from_wider_tiles() -> None:
    _, tiles = build(2200)
    read = reader(tiles)

    assert inclusion_proof_from_tiles(3, 700, read) == inclusion_proof(LEAVES[:700], 3)
    assert root_from_tiles(700, read) == root(LEAVES[:700])
    assert consistency_proof_from_tiles(300, 700, read) == consistency_proof(LEAVES[:700], 300)


def test_missing_tile_named() -> None:
    _, tiles = build(600)
    del tiles[(0, 1)]

    with pytest.raises(
        LedgerIntegrityError, match="tile 0/1 is missing, but node 0/300 needs 45 hashes of it"
    ):
        leaf_hash_from_tiles(300, reader(tiles))


def test_inclusion_ranges_order_leaf_first() -> None:
    assert inclusion_ranges(5, 8) == [(4, 5), (6, 8), (0, 4)]
    assert inclusion_ranges(0, 1) == []


def test_inclusion_ranges_reject_index_outside_tree() -> None:
    with pytest.raises(InputError, match="leaf index 8 is outside the tree of size 8"):
        inclusion_ranges(8, 8)


def test_consistency_ranges_reject_size_zero() -> None:
    with pytest.raises(
        InputError, match="a consistency proof needs 0 < old size <= new size, got 0 and 5"
    ):
        consistency_ranges(0, 5)


def test_subtree_nodes_decompose_right_border() -> None:
    assert subtree_nodes(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert subtree_nodes(8, 13) == [(2, 2), (0, 12)]


def test_subtree_nodes_reject_unaligned_range() -> None:
    with pytest.raises(InputError, match="leaf range \\[1, 3\\) is not a subtree"):
        subtree_nodes(1, 3)


def test_tile_width_property() -> None:
    assert Tile(0, 0, bytes(64)).width == 2
