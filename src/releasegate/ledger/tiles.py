"""Tiles: the stored interior hashes of the ledger's Merkle tree, and proofs read from them.

The layout follows C2SP tlog-tiles. The tree's complete nodes are numbered
by height h (0 for leaves) and index j, so node (h, j) is the root of the
perfect subtree over leaves [j * 2**h, (j + 1) * 2**h). A tile (L, N) stores
up to 256 consecutive hashes of height 8 * L, the nodes with indexes
256 * N to 256 * N + 255. Level-0 tiles therefore store the leaf hashes,
level-1 tiles the roots of 256-leaf subtrees, level-2 tiles the roots of
65,536-leaf subtrees, and so on. The 7 heights between two tile levels are
not stored: any node among them is the root of at most 128 hashes of one
tile and is recomputed when needed.

For a tree of n leaves, tile (L, N) contains min(256, (n >> 8L) - 256N) hashes.
Only the rightmost tile of each level can hold fewer than 256, and it grows
as leaves are appended. Full tiles never change.

Any proof element or root of the tree is a fold of at most 2 log2(n)
complete nodes, and each node comes from one tile. A proof therefore reads a
handful of tiles: O(log n) reads and at most 127 hashes per node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from releasegate.errors import InputError, LedgerIntegrityError
from releasegate.ledger.merkle import EMPTY_ROOT, HASH_SIZE

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Tile",
    "TileKey",
    "TileReader",
    "TreeBuilder",
    "consistency_proof_from_tiles",
    "consistency_ranges",
    "inclusion_proof_from_tiles",
    "inclusion_ranges",
    "leaf_hash_from_tiles",
    "partial_tile_keys",
    "perfect_root",
    "root_from_tiles",
    "subtree_nodes",
    "tile_width",
]

TILE_HEIGHT = 8
"""Tree heights covered by one tile level."""

TILE_WIDTH = 1 << TILE_HEIGHT
"""Hashes in a full tile."""

TileKey = tuple[int, int]
"""A tile's (level, index)."""

TileReader = Callable[[Collection[TileKey]], Mapping[TileKey, bytes]]
"""Returns the stored hashes of each requested tile that exists."""

_sha256 = hashlib.sha256


@dataclass(frozen=True)
class Tile:
    """One tile: its level, its index and its hashes, concatenated."""

    level: int
    index: int
    hashes: bytes

    @property
    def width(self) -> int:
        """The number of hashes in the tile."""
        return len(self.hashes) // HASH_SIZE


def tile_width(level: int, index: int, size: int) -> int:
    """Return the number of hashes in tile (level, index) of a tree of `size` leaves."""
    nodes = size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, nodes - TILE_WIDTH * index))


def partial_tile_keys(size: int) -> list[tuple[int, int, int]]:
    """Return (level, index, width) of each tile with fewer than 256 hashes at `size`."""
    keys: list[tuple[int, int, int]] = []
    level = 0
    while True:
        nodes = size >> (TILE_HEIGHT * level)
        if nodes == 0:
            return keys
        width = nodes % TILE_WIDTH
        if width:
            keys.append((level, nodes // TILE_WIDTH, width))
        level += 1


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """Return the root of a perfect subtree whose bottom row is `hashes` (a power of two)."""
    row = list(hashes)
    while len(row) > 1:
        pairs = iter(row)
        row = [
            _sha256(b"\x01" + left + right).digest()
            for left, right in zip(pairs, pairs, strict=True)
        ]
    return row[0]


def _fold(hashes: Sequence[bytes]) -> bytes:
    # RFC 6962 splits off the largest perfect subtree on the left, so a range
    # made of perfect subtrees, largest first, hashes by folding from the right.
    computed = hashes[-1]
    for left in reversed(hashes[:-1]):
        computed = _sha256(b"\x01" + left + computed).digest()
    return computed


class TreeBuilder:
    """Appends leaf hashes to a tree and emits the tiles that become full.

    The builder keeps the rightmost, partial tile of every level. Start it
    from the partial tiles that `partial_tile_keys(size)` names to continue a
    stored tree, or from nothing for an empty tree.
    """

    def __init__(self, size: int = 0, partial: Mapping[int, bytes] | None = None) -> None:
        if size < 0:
            raise InputError(f"tree size {size} must not be negative")
        partial = dict(partial or {})
        self.size = size
        self._rows: list[list[bytes]] = []
        self._indexes: list[int] = []
        level = 0
        while size >> (TILE_HEIGHT * level):
            nodes = size >> (TILE_HEIGHT * level)
            width = nodes % TILE_WIDTH
            stored = partial.pop(level, b"")
            if len(stored) != width * HASH_SIZE:
                raise LedgerIntegrityError(
                    f"tile {level}/{nodes // TILE_WIDTH} contains {len(stored) // HASH_SIZE} "
                    f"hashes, but a tree of {size} leaves needs {width}",
                    hint="the stored tree is damaged; run 'releasegate ledger verify'",
                )
            self._rows.append([stored[i : i + HASH_SIZE] for i in range(0, len(stored), HASH_SIZE)])
            self._indexes.append(nodes // TILE_WIDTH)
            level += 1
        if partial:
            raise LedgerIntegrityError(
                f"partial tiles at levels {sorted(partial)} do not belong to a tree of {size} "
                "leaves",
                hint="the stored tree is damaged; run 'releasegate ledger verify'",
            )

    def extend(self, leaf_hashes: Sequence[bytes]) -> list[Tile]:
        """Append leaf hashes and return the tiles that became full, lowest level first.

        The caller has checked that each leaf hash is 32 bytes.
        """
        full: list[Tile] = []
        self._push(0, list(leaf_hashes), full)
        self.size += len(leaf_hashes)
        return full

    def _push(self, level: int, hashes: list[bytes], full: list[Tile]) -> None:
        while hashes:
            if level == len(self._rows):
                self._rows.append([])
                self._indexes.append(0)
            row = self._rows[level]
            roots: list[bytes] = []
            position = 0
            while position < len(hashes):
                batch = hashes[position : position + TILE_WIDTH - len(row)]
                row.extend(batch)
                position += len(batch)
                if len(row) == TILE_WIDTH:
                    full.append(Tile(level, self._indexes[level], b"".join(row)))
                    roots.append(perfect_root(row))
                    row = []
                    self._rows[level] = row
                    self._indexes[level] += 1
            if not roots:
                return
            level, hashes = level + 1, roots

    def partial_tiles(self) -> list[Tile]:
        """Return the non-empty partial tiles, lowest level first."""
        return [
            Tile(level, self._indexes[level], b"".join(row))
            for level, row in enumerate(self._rows)
            if row
        ]

    def frontier(self) -> tuple[bytes, ...]:
        """Return the roots of the perfect subtrees that make up the tree, largest first."""
        hashes: list[bytes] = []
        for row in reversed(self._rows):
            start = 0
            for bit in reversed(range(TILE_HEIGHT)):
                count = 1 << bit
                if len(row) & count:
                    hashes.append(perfect_root(row[start : start + count]))
                    start += count
        return tuple(hashes)

    def root(self) -> bytes:
        """Return the Merkle Tree Hash of the tree built so far."""
        frontier = self.frontier()
        return _fold(frontier) if frontier else EMPTY_ROOT


# Proof planning: which leaf ranges a proof needs, and which nodes make them up.


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges [start, end) whose hashes form the inclusion proof, leaf first.

    The order is that of the RFC 9162 section 2.1.3.1 PATH.
    """
    if not 0 <= index < size:
        raise InputError(
            f"leaf index {index} is outside the tree of size {size}",
            field="index",
            hint=f"pass an index from 0 to {size - 1}" if size else "append an entry first",
        )
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((start, split))
            start = split
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form the consistency proof, in RFC 9162 order.

    Needs 0 < old_size <= new_size; the proof for equal sizes is empty.
    """
    if not 0 < old_size <= new_size:
        raise InputError(
            f"a consistency proof needs 0 < old size <= new size, got {old_size} and {new_size}",
            field="old_size",
            hint="pass the size of an earlier non-empty checkpoint and a later size",
        )
    ranges: list[tuple[int, int]] = []
    start, end = 0, new_size
    remaining = old_size
    old_tree_is_whole_subtree = True
    while remaining != end - start:
        split = _largest_power_of_two_below(end - start)
        if remaining <= split:
            ranges.append((start + split, end))
            end = start + split
        else:
            ranges.append((start, start + split))
            start += split
            remaining -= split
            old_tree_is_whole_subtree = False
    if not old_tree_is_whole_subtree:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def subtree_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """Return the complete nodes (height, index) that make up leaves [start, end), left first.

    The range must be a subtree of an RFC 6962 tree, so that `start` is a
    multiple of the largest power of two not above end - start.
    """
    nodes: list[tuple[int, int]] = []
    while start < end:
        height = (end - start).bit_length() - 1
        if start % (1 << height):
            raise InputError(f"leaf range [{start}, {end}) is not a subtree of an RFC 6962 tree")
        nodes.append((height, start >> height))
        start += 1 << height
    return nodes


def _tile_of(height: int, index: int) -> tuple[TileKey, int, int]:
    # Tile key, offset of the node's first hash in the tile, and hash count.
    level, inner = divmod(height, TILE_HEIGHT)
    first = index << inner
    return (level, first // TILE_WIDTH), first % TILE_WIDTH, 1 << inner


class _NodeSource:
    """Computes complete node hashes from tiles fetched in one read."""

    def __init__(self, nodes: Collection[tuple[int, int]], read_tiles: TileReader) -> None:
        keys = {_tile_of(height, index)[0] for height, index in nodes}
        self._tiles = read_tiles(keys) if keys else {}

    def node(self, height: int, index: int) -> bytes:
        key, offset, count = _tile_of(height, index)
        tile = self._tiles.get(key)
        end = (offset + count) * HASH_SIZE
        if tile is None or len(tile) < end:
            have = "missing" if tile is None else f"only {len(tile) // HASH_SIZE} hashes long"
            raise LedgerIntegrityError(
                f"tile {key[0]}/{key[1]} is {have}, but node {height}/{index} needs "
                f"{offset + count} hashes of it",
                hint="the stored tree is damaged; run 'releasegate ledger verify'",
            )
        row = [tile[i : i + HASH_SIZE] for i in range(offset * HASH_SIZE, end, HASH_SIZE)]
        return perfect_root(row)

    def range_hash(self, nodes: Sequence[tuple[int, int]]) -> bytes:
        return _fold([self.node(height, index) for height, index in nodes])


def _hashes_of_ranges(ranges: Sequence[tuple[int, int]], read_tiles: TileReader) -> list[bytes]:
    plans = [subtree_nodes(start, end) for start, end in ranges]
    source = _NodeSource([node for plan in plans for node in plan], read_tiles)
    return [source.range_hash(plan) for plan in plans]


def inclusion_proof_from_tiles(index: int, size: int, read_tiles: TileReader) -> list[bytes]:
    """Build the RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves."""
    return _hashes_of_ranges(inclusion_ranges(index, size), read_tiles)


def consistency_proof_from_tiles(
    old_size: int, new_size: int, read_tiles: TileReader
) -> list[bytes]:
    """Build the RFC 9162 consistency proof from `old_size` to `new_size` leaves."""
    return _hashes_of_ranges(consistency_ranges(old_size, new_size), read_tiles)


def root_from_tiles(size: int, read_tiles: TileReader) -> bytes:
    """Return the root hash of the tree's first `size` leaves."""
    if size == 0:
        return EMPTY_ROOT
    return _hashes_of_ranges([(0, size)], read_tiles)[0]


def leaf_hash_from_tiles(index: int, read_tiles: TileReader) -> bytes:
    """Return the stored hash of leaf `index`."""
    return _NodeSource([(0, index)], read_tiles).node(0, index)
