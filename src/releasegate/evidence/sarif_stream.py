"""SARIF 2.1.0 logs read as a stream, for logs too large to load into memory.

The file is read twice, and ijson (the library that reads JSON incrementally) does
all the parsing:

1. The first pass builds the whole log except `runs[].results[]`, whose arrays
   stay empty while the number of results in each run is counted. Rules make up
   most of a Trivy log, so only the parts of a rule that the parser reads are built.
   Those are its id, properties, default configuration and message strings, and the
   first "Severity:" line of its help text, the only part of the help that the parser
   reads. The other properties (name, descriptions, help in Markdown) become null.
2. The second pass builds one result at a time in ijson's C backend. Each result
   is turned into a finding by the code the in-memory parser uses
   (`sarif._RunReader`), and then dropped.

The checks are therefore the in-memory parser's, with the same messages and JSON
paths, and the facts are identical, warnings included. A key repeated in one object
is rejected anywhere in the file, because every object is built as a dictionary that
records a key set twice. Only the order differs when a log has several faults: the
in-memory parser reports a repeated key before anything else, the streaming reader
reports one inside a result when it reads that result. Invalid JSON, NaN and Infinity
are rejected by ijson, which names the byte where reading stopped instead of a line
and column.

One difference remains: ijson names a value by the dotted path of its keys, so a
top-level key starting with "runs." or a run key starting with "results." would be
taken for a result. The streaming reader rejects such keys, which no scanner writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from sys import intern
from typing import Any, BinaryIO

import ijson

from releasegate.evidence._vuln import compact
from releasegate.evidence.interface import EvidenceError
from releasegate.evidence.sarif import (
    _HELP_SEVERITY,
    _Reader,
    _RunReader,
    duplicate_key,
    invalid_value,
)
from releasegate.model.evidence import ScanRun

_BOM = b"\xef\xbb\xbf"
# Strings of the outline up to this length are shared, because levels, tags and
# severity words repeat in every rule.
_SHARED_LENGTH = 24
_RESULT = "runs.item.results.item"
_INSIDE_RESULT = _RESULT + "."
_RUN = "runs.item"
_STARTS = frozenset({"start_map", "start_array", "string", "number", "boolean", "null"})
_RULES = frozenset(
    {"runs.item.tool.driver.rules.item", "runs.item.tool.extensions.item.rules.item"}
)
_RULE_HELPS = frozenset(f"{rule}.help" for rule in _RULES)
_HELP_TEXTS = frozenset(f"{rule}.help.text" for rule in _RULES)
# The rule properties that the parser reads. The values of the others are not built.
_RULE_KEYS = frozenset({"id", "properties", "help", "defaultConfiguration", "messageStrings"})
_MISSING = object()
_INVALID_HINT = (
    "The file is truncated, is not UTF-8 or is not valid JSON. Check that the scanner "
    "finished writing it before it was collected, then upload it again."
)


def parse_sarif_stream(stream: BinaryIO, *, source: str) -> ScanRun:
    """Parse a SARIF 2.1.0 log from a seekable binary stream, reading it in chunks.

    Raises EvidenceError for everything `SarifParser.parse` rejects.
    """
    start = stream.tell()
    duplicates: list[str] = []
    checked = _checked_dict(duplicates)
    document, counts = _read_outline(stream, source, checked, duplicates)

    reader = _Reader(source)
    if not isinstance(document, dict):
        return reader.read_log(document)
    reader.check_header(document)
    runs = reader.check_runs(document.get("runs"))

    results: Iterator[Any] = iter(())
    if sum(counts):
        stream.seek(start)
        results = _read_results(stream, source, checked, duplicates)
    outcomes = []
    for index, run in enumerate(runs):
        run_reader = _RunReader(reader, run, f"runs[{index}]")
        outcome = run_reader.begin(run.get("results"))
        for position in range(counts[index]):
            result = next(results, _MISSING)
            if result is _MISSING:
                raise EvidenceError(
                    "the file changed while it was read: it has fewer results than before",
                    source=source,
                    field=f"runs[{index}].results",
                    hint="Upload the file again once the scanner has finished writing it.",
                )
            before = len(outcome.findings)
            run_reader.add_result(outcome, position, result)
            if len(outcome.findings) > before:
                compact(outcome.findings[-1])
        outcomes.append(run_reader.finish(outcome))
    return reader.summarize(outcomes)


def _checked_dict(duplicates: list[str]) -> type[dict[str, Any]]:
    """Return a dict type that appends to `duplicates` each key set a second time."""

    class Checked(dict[str, Any]):
        def __setitem__(self, key: str, value: Any) -> None:
            if key in self:
                duplicates.append(key)
            super().__setitem__(key, value)

    return Checked


def _skip_bom(stream: BinaryIO) -> None:
    start = stream.tell()
    if stream.read(len(_BOM)) != _BOM:
        stream.seek(start)


def _read_outline(
    stream: BinaryIO, source: str, checked: type[dict[str, Any]], duplicates: list[str]
) -> tuple[Any, list[int]]:
    """Return the log with empty results arrays, and the number of results in each run."""
    _skip_bom(stream)
    builder = ijson.ObjectBuilder(map_type=checked)
    counts: list[int] = []
    skipped = _Skipped()
    build = builder.event
    # The loop handles every event of the file, so it reads constants from local names.
    in_results = _RESULT
    try:
        for prefix, event, value in ijson.parse(stream, use_float=True):
            if skipped.active:
                skipped.event(event, value, duplicates)
                continue
            if prefix.startswith(in_results):
                if prefix == in_results:
                    if event in _STARTS:
                        counts[-1] += 1
                    continue
                if prefix.startswith(_INSIDE_RESULT):
                    continue
            if event == "map_key":
                _reject_ambiguous_key(prefix, value, source)
                # Each rule repeats the same keys; one shared copy saves about 1 kB a rule.
                value = intern(value)
                build(event, value)
                if (prefix in _RULES and value not in _RULE_KEYS) or (
                    prefix in _RULE_HELPS and value == "markdown"
                ):
                    # The key stays, so that a repeated one is still found.
                    build("null", None)
                    skipped.start()
            else:
                if prefix == _RUN and event in _STARTS:
                    counts.append(0)
                elif event == "string":
                    if prefix in _HELP_TEXTS:
                        value = intern(_severity_line(value))
                    elif len(value) <= _SHARED_LENGTH:
                        value = intern(value)
                build(event, value)
            if duplicates:
                raise duplicate_key(duplicates[0], source=source, field=_near(stream))
    except ijson.JSONError as error:
        raise EvidenceError(
            f"invalid JSON: {error}", source=source, field=_near(stream), hint=_INVALID_HINT
        ) from None
    except ValueError as error:
        # For example an integer longer than Python's digit limit.
        raise invalid_value(error, source=source) from None
    return builder.value, counts


class _Skipped:
    """A value read past without being built, whose objects are still checked for
    repeated keys."""

    def __init__(self) -> None:
        self.active = False
        self.depth = 0
        self.keys: list[set[str]] = []

    def start(self) -> None:
        self.active = True
        self.depth = 0

    def event(self, event: str, value: Any, duplicates: list[str]) -> None:
        if event == "map_key":
            if value in self.keys[-1]:
                duplicates.append(value)
            self.keys[-1].add(value)
            return
        if event == "start_map":
            self.keys.append(set())
            self.depth += 1
        elif event == "start_array":
            self.depth += 1
        elif event == "end_map":
            self.keys.pop()
            self.depth -= 1
        elif event == "end_array":
            self.depth -= 1
        if self.depth == 0:
            self.active = False


def _read_results(
    stream: BinaryIO, source: str, checked: type[dict[str, Any]], duplicates: list[str]
) -> Iterator[Any]:
    """Yield each result of every run in file order, built one at a time."""
    _skip_bom(stream)
    try:
        for result in ijson.items(stream, _RESULT, map_type=checked, use_float=True):
            if duplicates:
                raise duplicate_key(duplicates[0], source=source, field=_near(stream))
            yield result
    except ijson.JSONError as error:
        # The first pass read the same bytes, so only a file changed meanwhile gets here.
        raise EvidenceError(
            f"invalid JSON: {error}", source=source, field=_near(stream), hint=_INVALID_HINT
        ) from None


def _near(stream: BinaryIO) -> str:
    return f"near byte {stream.tell()}"


def _reject_ambiguous_key(prefix: str, key: str, source: str) -> None:
    if "." in key and (
        (prefix == "" and key.startswith("runs."))
        or (prefix == _RUN and key.startswith("results."))
    ):
        raise EvidenceError(
            f"ambiguous key {key!r}: when the log is read as a stream, its values would be "
            "read as results",
            source=source,
            field=prefix or None,
            hint="Remove or rename the key, or split the log so that it is at most 16 MiB.",
        )


def _severity_line(text: str) -> str:
    """Return the part of a rule's help text that the parser reads: its first "Severity:" line."""
    match = _HELP_SEVERITY.search(text)
    return match.group(0) if match else ""
