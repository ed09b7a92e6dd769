"""Tests for RFC 8785 canonical JSON.

Expected bytes for key order, numbers and strings come from the examples in
RFC 8785 sections 3.2.2 and 3.2.3 and the number table in its appendix B.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import re
import struct

import pytest

from releasegate.errors import InputError
from releasegate.ledger.canonical import MAX_SAFE_INTEGER, canonical_json

# Structure


def test_canonical_json_scalars() -> None:
    assert canonical_json(None) == b"null"
    assert canonical_json(True) == b"true"
    assert canonical_json(False) == b"false"
    assert canonical_json(0) == b"0"
    assert canonical_json(-17) == b"-17"
    assert canonical_json("") == b'""'


def test_canonical_json_has_no_whitespace() -> None:
    value = {"b": [1, 2, {"d": None, "c": True}], "a": {}}

    assert canonical_json(value) == b'{"a":{},"b":[1,2,{"c":true,"d":null}]}'


def test_canonical_json_tuple_is_array() -> None:
    assert canonical_json((1, "two", [3])) == b'[1,"two",[3]]'


def test_canonical_json_empty_containers() -> None:
    assert canonical_json([]) == b"[]"
    assert canonical_json({}) == b"{}"


def test_canonical_json_enum_subclasses() -> None:
    class Outcome(enum.StrEnum):
        ALLOW = "allow"

    class Tier(enum.IntEnum):
        PAYMENTS = 0

    assert canonical_json({"outcome": Outcome.ALLOW, "tier": Tier.PAYMENTS}) == (
        b'{"outcome":"allow","tier":0}'
    )


def test_canonical_json_shared_reference_allowed() -> None:
    shared = [1]

    assert canonical_json({"a": shared, "b": shared}) == b'{"a":[1],"b":[1]}'


# Key order (RFC 8785 section 3.2.3)


def test_canonical_json_sorts_keys_by_utf16() -> None:
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )

    assert canonical_json(value) == expected.encode("utf-8")


def test_canonical_json_surrogate_pair_before_fb33() -> None:
    # By code point U+1F600 sorts after U+FB33, but its UTF-16 form starts
    # with the surrogate 0xD83D, which sorts before 0xFB33.
    value = {"\ufb33": 1, "\U0001f600": 2}

    assert canonical_json(value) == '{"\U0001f600":2,"\ufb33":1}'.encode()


def test_canonical_json_key_order_ignores_insertion() -> None:
    assert canonical_json({"b": 1, "a": 2, "aa": 3, "A": 4}) == b'{"A":4,"a":2,"aa":3,"b":1}'


# Numbers (RFC 8785 section 3.2.2.3 and appendix B)

# IEEE 754 bit pattern and the serialization RFC 8785 appendix B gives for it.
APPENDIX_B_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B_NUMBERS)
def test_canonical_json_appendix_b_number(bits: str, expected: str) -> None:
    (number,) = struct.unpack(">d", bytes.fromhex(bits))

    assert canonical_json(number) == expected.encode("ascii")


def test_canonical_json_number_formats() -> None:
    assert canonical_json(0.1) == b"0.1"
    assert canonical_json(-0.0) == b"0"
    assert canonical_json(1e21) == b"1e+21"
    assert canonical_json(1e20) == b"100000000000000000000"
    assert canonical_json(1e-7) == b"1e-7"
    assert canonical_json(1e-6) == b"0.000001"
    assert canonical_json(4.50) == b"4.5"
    assert canonical_json(2.0) == b"2"


def test_canonical_json_section_3_2_2_example() -> None:
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": '\u20ac$\u000f\nA\'B"\\\\"/',
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],'
        '"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )

    assert canonical_json(value) == expected.encode("utf-8")


def test_canonical_json_safe_integer_limits() -> None:
    assert canonical_json(MAX_SAFE_INTEGER) == b"9007199254740991"
    assert canonical_json(-MAX_SAFE_INTEGER) == b"-9007199254740991"


def test_canonical_json_rejects_unsafe_integer() -> None:
    for number in (MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 10**30):
        with pytest.raises(InputError, match=f"integer {number} is outside the IEEE 754 safe"):
            canonical_json(number)


def test_canonical_json_rejects_nan() -> None:
    with pytest.raises(InputError, match=r"^\$\[1\]: float nan is not valid JSON"):
        canonical_json([1.0, float("nan")])


def test_canonical_json_rejects_infinities() -> None:
    with pytest.raises(InputError, match=r"^\$\.rate: float inf is not valid JSON"):
        canonical_json({"rate": float("inf")})
    with pytest.raises(InputError, match=r"^\$: float -inf is not valid JSON"):
        canonical_json(float("-inf"))


# Strings (RFC 8785 section 3.2.2.2)


def test_canonical_json_short_escapes() -> None:
    assert canonical_json('"\\\b\f\n\r\t') == b'"\\"\\\\\\b\\f\\n\\r\\t"'


def test_canonical_json_control_characters_use_u_escapes() -> None:
    assert canonical_json("\x00\x01\x0f\x1f") == b'"\\u0000\\u0001\\u000f\\u001f"'


def test_canonical_json_leaves_other_characters_raw() -> None:
    # Solidus, DEL, C1 controls, U+2028 and non-ASCII text are written as UTF-8.
    text = "/\x7f\u0085\u2028é€\U0001f600"

    assert canonical_json(text) == ('"' + text + '"').encode("utf-8")


def test_canonical_json_escapes_keys_too() -> None:
    assert canonical_json({"a\nb": 1}) == b'{"a\\nb":1}'


def test_canonical_json_rejects_unpaired_surrogate() -> None:
    with pytest.raises(InputError, match=r"^\$\.note: string .* contains an unpaired surrogate"):
        canonical_json({"note": "bad \udc80 byte"})
    with pytest.raises(InputError, match=r"^\$: object key .* contains an unpaired surrogate"):
        canonical_json({"\ud800": 1})


# Rejected types


def test_canonical_json_rejects_non_string_keys() -> None:
    for key in (1, None, True, 1.5, ("a",)):
        with pytest.raises(InputError, match="RFC 8785 object keys must be strings"):
            canonical_json({key: "value"})


def test_canonical_json_rejects_datetime() -> None:
    moment = datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.UTC)

    with pytest.raises(
        InputError, match=r"^\$\.approved_at: datetime values are not accepted"
    ) as caught:
        canonical_json({"approved_at": moment})
    assert "RFC 3339 strings" in str(caught.value)


def test_canonical_json_rejects_date_and_time() -> None:
    with pytest.raises(InputError, match="date values are not accepted"):
        canonical_json(datetime.date(2024, 3, 1))
    with pytest.raises(InputError, match="time values are not accepted"):
        canonical_json(datetime.time(12, 0))


def test_canonical_json_rejects_decimal() -> None:
    with pytest.raises(InputError, match=r"^\$\.amount: Decimal 10\.05 is not accepted") as caught:
        canonical_json({"amount": decimal.Decimal("10.05")})
    assert "str(amount)" in str(caught.value)


def test_canonical_json_rejects_other_types() -> None:
    for value in (b"bytes", {1, 2}, object(), frozenset()):
        with pytest.raises(
            InputError, match=f"values of type {type(value).__name__} cannot be represented"
        ):
            canonical_json(value)


def test_canonical_json_error_names_nested_path() -> None:
    value = {"entries": [{"amount": 1}, {"amount": 2**60}]}

    with pytest.raises(InputError, match=re.escape("$.entries[1].amount: integer")):
        canonical_json(value)


def test_canonical_json_error_quotes_odd_keys() -> None:
    with pytest.raises(InputError, match=re.escape('$["risk score"]: float nan')):
        canonical_json({"risk score": float("nan")})


def test_canonical_json_rejects_list_cycle() -> None:
    looped: list[object] = [1]
    looped.append(looped)

    with pytest.raises(InputError, match=re.escape("$[1]: the value contains a reference cycle")):
        canonical_json(looped)


def test_canonical_json_rejects_dict_cycle() -> None:
    looped: dict[str, object] = {}
    looped["self"] = looped

    with pytest.raises(InputError, match=re.escape("$.self: the value contains a reference cycle")):
        canonical_json(looped)


def test_canonical_json_rejects_deep_nesting() -> None:
    value: list[object] = []
    for _ in range(100_000):
        value = [value]

    with pytest.raises(InputError, match="is nested too deeply"):
        canonical_json(value)
