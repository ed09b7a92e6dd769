"""Canonical JSON for ledger entries (RFC 8785, JSON Canonicalization Scheme).

A ledger leaf hashes these bytes, so every party that has the same value
computes the same leaf hash. RFC 8785 sorts object keys by their UTF-16 code
units, writes numbers the way ECMAScript does and escapes only what JSON
requires. The `rfc8785` package does the serialization. This module checks the
value first so that an error names the JSON path of the offending value.

Ledger appends canonicalize every entry, so a fast path covers the common
case: values made only of exact dict, list, tuple, str, int, bool and None
objects, with no float and no object key outside the Basic Multilingual
Plane. For those, the standard library's `json.dumps` with sorted keys, no
whitespace and raw UTF-8 output writes the same bytes as RFC 8785. Integers then print in
plain decimal in both, code point order equals UTF-16 order for BMP keys, and
both escape exactly the quote, the backslash and the controls below U+0020,
with the same short forms and lower-case hexadecimal `\\u00XX` escapes. Every other value
takes the `rfc8785` path.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import re
from collections.abc import Iterable

import rfc8785

from releasegate.errors import InputError

__all__ = ["MAX_SAFE_INTEGER", "canonical_json"]

# Integers outside +-(2**53 - 1) do not survive a round trip through an IEEE 754
# double, which is the only number type that RFC 8785 defines.
MAX_SAFE_INTEGER = 2**53 - 1

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def canonical_json(value: object) -> bytes:
    """Serialize `value` to RFC 8785 canonical JSON as UTF-8 bytes.

    Accepted types: None, bool, int within +-(2**53 - 1), finite float, str,
    list, tuple and dict with str keys. Subclasses of these (str and int enums,
    for example) count as their base type. Everything else raises InputError
    whose field is the JSON path of the rejected value: NaN, infinities, larger
    integers, non-string keys, strings with unpaired surrogates, reference
    cycles, Decimal, datetime, date and time. Callers format timestamps as
    RFC 3339 strings first.
    """
    fast = _fast_canonical_json(value)
    if fast is not None:
        return fast

    try:
        _check_value(value, "$", set())
    except RecursionError as error:
        raise InputError(
            "the value is nested too deeply to canonicalize",
            field="$",
            hint="flatten the entry, because ledger entries should contain digests and references",
        ) from error

    try:
        # _check_value has narrowed `value` to the JSON types that rfc8785 declares.
        return rfc8785.dumps(value)  # type: ignore[arg-type]
    except rfc8785.CanonicalizationError as error:
        # _check_value accepts only what rfc8785 0.1.4 serializes, so this is a backstop.
        raise InputError(f"RFC 8785 canonicalization failed: {error}", field="$") from error


# Containers nested deeper than this take the slow path, which also detects cycles.
_FAST_PATH_MAX_DEPTH = 64


def _fast_canonical_json(value: object) -> bytes | None:
    """Serialize `value` with `json.dumps` when that equals RFC 8785, else return None.

    Returns None for anything outside the subset described in the module
    docstring, and for anything invalid, so that the slow path raises the
    error with its JSON path.
    """
    if not _fast_path_applies(value, 0):
        return None
    try:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
        ).encode("utf-8")
    except UnicodeEncodeError:
        # An unpaired surrogate: the slow path reports it with its path.
        return None


def _fast_path_applies(value: object, depth: int) -> bool:
    # Leaf checks are inlined because most values of an entry are leaves.
    kind = type(value)
    if kind is dict:
        members: Iterable[object] = value.values()  # type: ignore[attr-defined]
        for key in value:  # type: ignore[attr-defined]
            if type(key) is not str or (not key.isascii() and max(key) > "\uffff"):
                return False
    elif kind is list or kind is tuple:
        members = value  # type: ignore[assignment]
    else:
        return _fast_path_leaf(value)
    if depth >= _FAST_PATH_MAX_DEPTH:
        return False
    for member in members:
        member_kind = type(member)
        if member_kind is str or member_kind is bool or member is None:
            continue
        if member_kind is int:
            if -MAX_SAFE_INTEGER <= member <= MAX_SAFE_INTEGER:  # type: ignore[operator]
                continue
            return False
        if not _fast_path_applies(member, depth + 1):
            return False
    return True


def _fast_path_leaf(value: object) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER  # type: ignore[operator]
    # Floats, subclasses and unsupported types.
    return False


def _check_value(value: object, path: str, open_containers: set[int]) -> None:
    """Raise InputError unless RFC 8785 can represent `value` and everything inside it."""
    if value is None or isinstance(value, bool):
        return

    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise InputError(
                f"integer {value} is outside the IEEE 754 safe range "
                f"-{MAX_SAFE_INTEGER}..{MAX_SAFE_INTEGER} that RFC 8785 allows",
                field=path,
                hint="pass large integers as decimal strings",
            )
        return

    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(
                f"float {value} is not valid JSON because RFC 8785 allows only finite numbers",
                field=path,
                hint="replace NaN and infinities with null or a string",
            )
        return

    if isinstance(value, str):
        _check_string(value, path, "string")
        return

    if isinstance(value, (list, tuple, dict)):
        _check_container(value, path, open_containers)
        return

    _reject_type(value, path)


def _check_container(
    value: list[object] | tuple[object, ...] | dict[object, object],
    path: str,
    open_containers: set[int],
) -> None:
    # A container that is already open on the current path contains itself.
    if id(value) in open_containers:
        raise InputError("the value contains a reference cycle", field=path)
    open_containers.add(id(value))

    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(
                    f"object key {key!r} has type {type(key).__name__}, "
                    "but RFC 8785 object keys must be strings",
                    field=path,
                    hint="convert the keys to strings",
                )
            _check_string(key, path, "object key")
            _check_value(item, _member_path(path, key), open_containers)
    else:
        for index, item in enumerate(value):
            _check_value(item, f"{path}[{index}]", open_containers)

    open_containers.discard(id(value))


def _check_string(text: str, path: str, kind: str) -> None:
    # Unpaired surrogates (from surrogateescape decoding, for example) have no UTF-8 form.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError(
            f"{kind} {text!r} contains an unpaired surrogate, which is not valid Unicode",
            field=path,
            hint="decode the source text strictly as UTF-8",
        ) from error


def _reject_type(value: object, path: str) -> None:
    type_name = type(value).__name__

    # datetime.datetime is a subclass of datetime.date.
    if isinstance(value, (datetime.date, datetime.time)):
        raise InputError(
            f"{type_name} values are not accepted in canonical JSON",
            field=path,
            hint="format timestamps as RFC 3339 strings first, for example "
            "value.isoformat() on a timezone-aware datetime",
        )

    if isinstance(value, decimal.Decimal):
        raise InputError(
            f"Decimal {value} is not accepted because an RFC 8785 number "
            "is an IEEE 754 double and would lose precision",
            field=path,
            hint="pass amounts as decimal strings, for example str(amount)",
        )

    raise InputError(
        f"values of type {type_name} cannot be represented in RFC 8785 JSON",
        field=path,
        hint="convert the value to None, bool, int, float, str, list, tuple or dict first",
    )


def _member_path(path: str, key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    # A JSON string literal keeps dots, brackets and quotes in the key unambiguous.
    return f"{path}[{rfc8785.dumps(key).decode('utf-8')}]"
