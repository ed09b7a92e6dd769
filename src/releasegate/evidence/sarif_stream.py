"""SARIF 2.1.0 logs read as a stream, for logs too large to load into memory.

The reader walks ijson's token stream once. Everything but `runs[].results[]` (the
log's top level, and each run's tool, rules, artifacts and invocations) is built as
Python objects. Each result is built alone, turned into a finding by the code the
in-memory parser uses (`sarif._RunReader`), and then dropped. The facts are therefore
identical to those of `SarifParser.parse` on the same file, warnings and their order
included.

A result needs its run's tool, rules, artifacts and invocations, and the log's
version, before it can be read. Scanners write them first, so one pass suffices.
When a log puts one of them after the results, the reader goes back to the start
and reads the file twice: once to collect everything but the results, then once
more for the results.

Checks, compared with the in-memory parser:

- every property check on the log, runs, tools, rules and results is the same code,
  with the same messages and JSON paths;
- a key repeated in one object is rejected anywhere in the file, as in memory, by
  keeping the set of keys seen for each object that is open;
- invalid JSON, NaN and Infinity are rejected by ijson's parser, naming the byte
  where reading stopped instead of a line and column;
- when several problems exist, the one reported first can differ, because the
  streaming reader meets them in file order.

ijson (the library that reads JSON incrementally) does the parsing; this module
only decides which values to build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import ijson

from releasegate.evidence._vuln import compact
from releasegate.evidence.interface import EvidenceError
from releasegate.evidence.sarif import (
    _Reader,
    _RunOutcome,
    _RunReader,
    duplicate_key,
    invalid_value,
)
from releasegate.model.evidence import ScanRun

_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
_EVENT_TYPES = {
    "start_map": "object",
    "start_array": "array",
    "string": "string",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}
# Run properties that a result depends on. Found after the results, they need a second pass.
_RUN_DEPENDENCIES = frozenset({"tool", "artifacts", "invocations"})
_STREAMED: list[Any] = []
"""Placeholder for a results array that is read one result at a time."""


def _skip(value: Any) -> None:
    """Discard a value: the target for one that is read past without being built."""


class _OutOfOrder(Exception):
    """The log puts a property that results depend on after the results."""


@dataclass
class _Headers:
    """Everything in a log but its results, collected by a first pass."""

    top: dict[str, Any] = field(default_factory=dict)
    runs: list[Any] = field(default_factory=list)


def parse_sarif_stream(stream: BinaryIO, *, source: str) -> ScanRun:
    """Parse a SARIF 2.1.0 log from a seekable binary stream, reading it in chunks.

    Raises EvidenceError for everything `SarifParser.parse` rejects.
    """
    start = stream.tell()
    try:
        scan = _LogStream(source, mode="single").read(stream)
    except _OutOfOrder:
        stream.seek(start)
        headers = _LogStream(source, mode="collect").read(stream)
        if isinstance(headers, ScanRun):
            return headers
        stream.seek(start)
        scan = _LogStream(source, mode="replay", headers=headers).read(stream)
    assert isinstance(scan, ScanRun)
    return scan


def _events(stream: BinaryIO, source: str) -> Iterator[tuple[str, Any]]:
    """Yield (event, value) from ijson, rejecting a key repeated in one object."""
    start = stream.tell()
    if stream.read(3) != b"\xef\xbb\xbf":
        stream.seek(start)
    keys: list[set[str]] = []
    try:
        for _prefix, event, value in ijson.parse(stream, use_float=True):
            if event == "map_key":
                seen = keys[-1]
                if value in seen:
                    raise duplicate_key(value, source=source, field=f"near byte {stream.tell()}")
                seen.add(value)
            elif event == "start_map":
                keys.append(set())
            elif event == "end_map":
                keys.pop()
            yield event, value
    except ijson.JSONError as error:
        raise EvidenceError(
            f"invalid JSON: {error}",
            source=source,
            field=f"near byte {stream.tell()}",
            hint="The file is truncated, is not UTF-8 or is not valid JSON. Check that the "
            "scanner finished writing it before it was collected, then upload it again.",
        ) from None
    except ValueError as error:
        # For example an integer longer than Python's digit limit.
        raise invalid_value(error, source=source) from None


class _LogStream:
    """One pass over a log, in one of three modes.

    "single" reads results as they come, and raises _OutOfOrder when a property they
    depend on comes after them. "collect" skips results and returns the _Headers.
    "replay" takes the run headers from `headers` and reads only the results.
    """

    def __init__(self, source: str, *, mode: str, headers: _Headers | None = None) -> None:
        self.reader = _Reader(source)
        self.mode = mode
        self.headers = headers
        self.top: dict[str, Any] = {}
        self.runs_streamed = False
        self.collected: list[Any] = []
        self.outcomes: list[_RunOutcome] = []
        self.run_index = -1
        self.run: dict[str, Any] = {}
        self.run_reader: _RunReader | None = None
        self.outcome: _RunOutcome | None = None
        self.result_index = 0
        # The value being built and where it goes when complete.
        self.builder: ijson.ObjectBuilder | None = None
        self.depth = 0
        self.target: Callable[[Any], None] | None = None
        self.skipping = False
        # Target for the value that starts with the next event (_skip discards it).
        self.deferred: Callable[[Any], None] | None = None

    def read(self, stream: BinaryIO) -> ScanRun | _Headers:
        state = "top"
        key = ""
        for event, value in _events(stream, self.reader.source):
            if self.builder is not None or self.skipping:
                self._feed(event, value)
                continue
            if self.deferred is not None:
                target, self.deferred = self.deferred, None
                if target is _skip:
                    self._skip(event)
                else:
                    self._begin(event, value, target)
                continue

            if state == "top":
                if event != "start_map":
                    raise self.reader.fail(
                        f"a SARIF log must be a JSON object, found {_EVENT_TYPES[event]}",
                        None,
                        "Upload the SARIF file the scanner wrote. Its top level is an object "
                        'with "version" and "runs".',
                    )
                state = "top keys"
            elif state == "top keys":
                if event == "end_map":
                    state = "end"
                elif value == "runs":
                    state = "runs value"
                else:
                    key = value
                    self._build(self.top.__setitem__, key)
            elif state == "runs value":
                if event == "start_array":
                    self._start_runs()
                    state = "runs"
                else:
                    state = "top keys"
                    self._begin(event, value, lambda runs: self.top.__setitem__("runs", runs))
            elif state == "runs":
                if event == "end_array":
                    state = "top keys"
                elif event == "start_map":
                    self._start_run()
                    state = "run keys"
                else:
                    self._start_run()
                    self._begin(event, value, self._end_run)
            elif state == "run keys":
                if event == "end_map":
                    self._end_run(self.run)
                    state = "runs"
                elif value == "results":
                    state = "results value"
                else:
                    self._run_key(value)
            elif state == "results value":
                if event == "start_array":
                    self._start_results()
                    state = "results"
                else:
                    state = "run keys"
                    self._begin(event, value, self._store_results)
            elif state == "results":
                if event == "end_array":
                    state = "run keys"
                elif self.mode == "collect":
                    self._skip(event)
                else:
                    self._begin(event, value, self._add_result)

        if self.mode == "collect":
            if not self.runs_streamed:
                return self.reader.read_log(self.top)
            return _Headers(top=self.top, runs=self.collected)
        if not self.runs_streamed:
            return self.reader.read_log(self.top)
        if not self.outcomes:
            raise self.reader.empty_runs()
        return self.reader.summarize(self.outcomes)

    # Building values

    def _build(self, store: Callable[[str, Any], None], key: str) -> None:
        """Build the value that starts with the next event and store it under `key`."""
        self.deferred = lambda value: store(key, value)

    def _begin(self, event: str, value: Any, target: Callable[[Any], None]) -> None:
        """Build the value that starts with this event and pass it to `target`."""
        if event in _OPEN:
            self.builder = ijson.ObjectBuilder()
            self.builder.event(event, value)
            self.depth = 1
            self.target = target
        else:
            target(value)

    def _skip(self, event: str) -> None:
        if event in _OPEN:
            self.skipping = True
            self.depth = 1

    def _feed(self, event: str, value: Any) -> None:
        if self.skipping:
            if event in _OPEN:
                self.depth += 1
            elif event in _CLOSE:
                self.depth -= 1
            if self.depth == 0:
                self.skipping = False
            return
        assert self.builder is not None and self.target is not None
        self.builder.event(event, value)
        if event in _OPEN:
            self.depth += 1
        elif event in _CLOSE:
            self.depth -= 1
        if self.depth == 0:
            target, built = self.target, self.builder.value
            self.builder = None
            self.target = None
            target(built)

    # The log's structure

    def _store_results(self, results: Any) -> None:
        self.run["results"] = results

    def _start_runs(self) -> None:
        self.runs_streamed = True
        if self.mode == "collect":
            return
        top = self.headers.top if self.headers is not None else self.top
        if self.mode == "single" and "version" not in top:
            raise _OutOfOrder
        self.reader.check_header(top)

    def _start_run(self) -> None:
        self.run_index += 1
        self.run = {}
        self.run_reader = None
        self.outcome = None
        self.result_index = 0

    def _run_key(self, key: str) -> None:
        if self.mode == "replay":
            self._skip_next()
            return
        if self.mode == "single" and self.outcome is not None and key in _RUN_DEPENDENCIES:
            raise _OutOfOrder
        self._build(self.run.__setitem__, key)

    def _skip_next(self) -> None:
        self.deferred = _skip

    def _start_results(self) -> None:
        if self.mode == "collect":
            self.run["results"] = _STREAMED
            return
        header = self._header()
        if self.mode == "single" and "tool" not in header:
            raise _OutOfOrder
        self.run_reader = _RunReader(self.reader, header, f"runs[{self.run_index}]")
        self.outcome = self.run_reader.begin(_STREAMED)

    def _header(self) -> Any:
        if self.headers is not None:
            return self.headers.runs[self.run_index]
        return self.run

    def _add_result(self, result: Any) -> None:
        assert self.run_reader is not None and self.outcome is not None
        before = len(self.outcome.findings)
        self.run_reader.add_result(self.outcome, self.result_index, result)
        if len(self.outcome.findings) > before:
            compact(self.outcome.findings[-1])
        self.result_index += 1

    def _end_run(self, run: Any) -> None:
        if self.mode == "collect":
            self.collected.append(run)
            return
        if self.run_reader is not None and self.outcome is not None:
            self.outcomes.append(self.run_reader.finish(self.outcome))
            return
        # No results array in this run: read it in memory, which reports why.
        header = self._header() if self.mode == "replay" else run
        self.outcomes.append(_RunReader(self.reader, header, f"runs[{self.run_index}]").read())
