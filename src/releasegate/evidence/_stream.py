"""Streaming JSON reading with ijson, for scanner reports of tens of megabytes.

`json.loads` builds the whole document in memory, several times the file's size.
These helpers walk the token stream once and build only one item (one vulnerability,
one match) at a time, so that memory grows with the normalized findings rather than
with the raw report.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

from releasegate.evidence.interface import EvidenceError, decode_utf8, reject_empty

_SCALAR_EVENTS = frozenset({"string", "number", "boolean", "null"})
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})


def stream_json(
    data: bytes | BinaryIO,
    *,
    source: str,
    items: frozenset[str],
    scalars: frozenset[str] = frozenset(),
    markers: frozenset[str] = frozenset(),
) -> Iterator[tuple[str, Any]]:
    """Yield `(prefix, value)` for each complete value at an `items` or `scalars` prefix.

    `data` is the whole file or a binary stream positioned at its start; a stream is
    read in chunks, so the file never has to fit in memory. Prefixes use ijson's
    dotted form, such as `Results.item.Vulnerabilities.item`.
    A value at an `items` prefix is built in full (object, array or scalar); a value
    at a `scalars` prefix is yielded only when it is a scalar; an object or array that
    starts at a `markers` prefix yields `(prefix, None)` without being built. Raises EvidenceError
    for an empty file and for invalid JSON, naming the byte where reading stopped.
    """
    if isinstance(data, bytes):
        reject_empty(data, source=source)
        stream: BinaryIO = io.BytesIO(data.removeprefix(b"\xef\xbb\xbf"))
    else:
        stream = data
        if stream.read(3) != b"\xef\xbb\xbf":
            stream.seek(0)
    builder: ijson.ObjectBuilder | None = None
    depth = 0
    item_prefix = ""
    try:
        for prefix, event, value in ijson.parse(stream, use_float=True):
            if builder is not None:
                builder.event(event, value)
                if event in _OPEN:
                    depth += 1
                elif event in _CLOSE:
                    depth -= 1
                if depth == 0:
                    yield item_prefix, builder.value
                    builder = None
                continue

            if prefix in items:
                if event in _OPEN:
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                    depth = 1
                    item_prefix = prefix
                elif event in _SCALAR_EVENTS:
                    yield prefix, value
            elif prefix in scalars and event in _SCALAR_EVENTS:
                yield prefix, value
            elif prefix in markers and event in _OPEN:
                yield prefix, None
    except ijson.JSONError as error:
        if isinstance(data, bytes):
            decode_utf8(data, source=source)
        raise EvidenceError(
            f"invalid JSON: {error}",
            source=source,
            field=f"near byte {stream.tell()}",
            hint="The file is truncated or is not valid JSON. Check that the scanner "
            "finished writing it before it was collected, then upload it again.",
        ) from None


def top_level_keys(data: bytes, *, wanted: frozenset[str]) -> dict[str, Any]:
    """Return the top-level keys of a JSON object seen before the first key in `wanted`.

    The value is the key's scalar value, or None for an object or array. Reading stops
    at the first wanted key, so detection costs little on a large report. Returns an
    empty dict for JSON that is not an object or cannot be read; the caller then
    parses the file in full to report the error.
    """
    stream = io.BytesIO(data.removeprefix(b"\xef\xbb\xbf"))
    keys: dict[str, Any] = {}
    pending: str | None = None
    try:
        for prefix, event, value in ijson.parse(stream, use_float=True):
            if prefix == "" and event == "start_map":
                continue
            if prefix == "" and event == "map_key":
                pending = value
                keys[value] = None
                continue
            if prefix == "" and event != "map_key":
                break
            if pending is not None and prefix == pending:
                if event in _SCALAR_EVENTS:
                    keys[pending] = value
                if pending in wanted:
                    break
                pending = None
    except ijson.JSONError:
        return {}
    return keys
