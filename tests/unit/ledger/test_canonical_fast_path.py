"""The fast path of canonical_json writes exactly what the rfc8785 package writes."""

from __future__ import annotations

import enum
import random

import pytest
import rfc8785

from releasegate.ledger import canonical
from releasegate.ledger.canonical import canonical_json

KEYS = ["a", "b", "B", "_", "é", "\u00ff", "\u0100", "\ufb33", "\U0001f600", "aa", "", "\u2028"]


def random_value(rng: random.Random, depth: int = 0) -> object:
    choice = rng.randrange(8 if depth < 4 else 5)
    if choice == 0:
        return None
    if choice == 1:
        return rng.random() < 0.5
    if choice == 2:
        return rng.randint(-(2**53) + 1, 2**53 - 1)
    if choice == 3:
        return random_text(rng)
    if choice == 4:
        return rng.choice([0.5, -1.25, 1e21, 1e-7, 100.0])
    if choice == 5:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if choice == 6:
        return tuple(random_value(rng, depth + 1) for _ in range(rng.randrange(3)))
    return {
        rng.choice(KEYS) + random_text(rng): random_value(rng, depth + 1)
        for _ in range(rng.randrange(5))
    }


def random_text(rng: random.Random) -> str:
    alphabet = [
        '"',
        "\\",
        "/",
        "\b",
        "\f",
        "\n",
        "\r",
        "\t",
        "\x00",
        "\x1f",
        "\x7f",
        "é",
        "\u2028",
        "\ufeff",
        "\U0001f600",
        "a",
        " ",
        "<",
        "&",
    ]
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(6)))


def test_fast_path_equals_rfc8785_on_random_values() -> None:
    rng = random.Random(8785)
    for _ in range(3000):
        value = random_value(rng)
        assert canonical_json(value) == rfc8785.dumps(value), repr(value)


def test_fast_path_taken_for_plain_entries() -> None:
    entry = {"index": 3, "type": "evidence.added", "data": {"n": [1, "é", None, True]}}

    assert canonical._fast_canonical_json(entry) == rfc8785.dumps(entry)


@pytest.mark.parametrize(
    "value",
    [
        {"x": 1.5},
        {"\U0001f600": 1, "\ufb33": 2},
        {"big": 2**60},
        [enum.Enum("Color", "RED")],
    ],
    ids=["float", "non-bmp-key", "unsafe-integer", "other-type"],
)
def test_fast_path_declines(value: object) -> None:
    assert canonical._fast_canonical_json(value) is None


def test_fast_path_declines_unpaired_surrogate() -> None:
    assert canonical._fast_canonical_json({"k": "\ud800"}) is None


def test_fast_path_declines_deep_nesting() -> None:
    value: list[object] = []
    for _ in range(100):
        value = [value]

    assert canonical._fast_canonical_json(value) is None
