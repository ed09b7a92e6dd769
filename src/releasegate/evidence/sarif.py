"""SARIF 2.1.0 scanner output, as written by CodeQL, Trivy, Grype, gitleaks and others.

Only results whose `kind` is "fail" (the SARIF default) become findings. Severity is
fail-closed: when the rule carries several severity signals the most severe one wins,
and a missing severity never becomes "low".
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from releasegate.evidence._vuln import parse_time
from releasegate.evidence.interface import EvidenceError, decode_utf8, reject_empty
from releasegate.model.evidence import EvidenceKind, Finding, ScanRun, Severity

logger = logging.getLogger(__name__)

SARIF_VERSION = "2.1.0"
LEVELS = ("error", "warning", "note", "none")
KINDS = ("fail", "pass", "notApplicable", "informational", "open", "review")
DEFAULT_LEVEL = "warning"
"""Level of a failing result when neither the result nor its rule sets one (SARIF 2.1.0)."""

_LEVEL_SEVERITY = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "note": Severity.LOW,
    "none": Severity.INFO,
}

# Severity words that scanners write in rule tags, a `severity` property or help text.
# "negligible" (Grype, Debian) maps to low rather than info so it is never under-rated.
_SEVERITY_WORDS = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.LOW,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "unknown": Severity.UNKNOWN,
}

_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}

_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)
# Trivy and Grype put a "Severity: MEDIUM" line into the rule's help text.
_HELP_SEVERITY = re.compile(r"^\s*Severity:\s*([A-Za-z]+)\s*$", re.MULTILINE)
_MESSAGE_PLACEHOLDER = re.compile(r"\{(\d+)\}")

_REGENERATE_HINT = (
    "Regenerate the file with the scanner's SARIF 2.1.0 output, or fix the tool that "
    "wrote it. SARIF 2.1.0 defines this property as {expected}."
)


class _ConstantError(ValueError):
    """A JSON text used NaN or Infinity, which JSON does not define."""


def _reject_constant(name: str) -> Any:
    raise _ConstantError(name)


class _DuplicateKeyError(ValueError):
    """A JSON object repeated a key; readers disagree on which value wins."""


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def load_json(data: bytes, *, source: str) -> Any:
    """Parse `data` as UTF-8 JSON.

    Raises EvidenceError for an empty file, invalid UTF-8, and a syntax error, which
    it locates by line and column.
    """
    reject_empty(data, source=source)
    text = decode_utf8(data, source=source)
    try:
        return json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_reject_duplicates
        )
    except json.JSONDecodeError as error:
        raise EvidenceError(
            f"invalid JSON: {error.msg}",
            source=source,
            field=f"line {error.lineno}, column {error.colno}",
            hint="The file is truncated or is not valid JSON. Check that the scanner "
            "finished writing it before it was collected, then upload it again.",
        ) from None
    except _ConstantError as error:
        raise EvidenceError(
            f"invalid JSON: {error} is not a JSON number",
            source=source,
            hint="Write the value as a number or a string, because JSON has no NaN or Infinity.",
        ) from None
    except _DuplicateKeyError as error:
        raise duplicate_key(str(error), source=source) from None
    except RecursionError:
        raise EvidenceError(
            "invalid JSON: arrays and objects are nested too deeply to read",
            source=source,
            hint="Upload the file the scanner wrote, unmodified.",
        ) from None
    except ValueError as error:
        # For example an integer longer than Python's digit limit.
        raise invalid_value(error, source=source) from None


def duplicate_key(key: str, *, source: str, field: str | None = None) -> EvidenceError:
    """Return the error for a key that appears twice in one JSON object."""
    return EvidenceError(
        f"invalid JSON: the key {key!r} appears twice in one object",
        source=source,
        field=field,
        hint="Upload the file the scanner wrote, unmodified; a repeated key can hide results.",
    )


def invalid_value(error: ValueError, *, source: str) -> EvidenceError:
    """Return the error for a JSON value that Python cannot represent."""
    return EvidenceError(
        f"invalid JSON: {error}",
        source=source,
        hint="Upload the file the scanner wrote, unmodified.",
    )


def json_type(value: Any) -> str:
    """Return the JSON type name of `value`: object, array, string, number, boolean or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "number"


@dataclass(frozen=True)
class _Rule:
    """A reportingDescriptor and the JSON path it was read from."""

    id: str | None
    path: str
    data: dict[str, Any]


@dataclass(frozen=True)
class _Candidate:
    """One severity signal and how it was found, for `Finding.severity_source`."""

    severity: Severity
    description: str


@dataclass
class _RunOutcome:
    tool: str
    findings: list[Finding] = field(default_factory=list)
    invocation_flags: list[bool | None] = field(default_factory=list)
    failed_notifications: bool = False
    end_times: list[datetime] = field(default_factory=list)
    not_findings: dict[str, int] = field(default_factory=dict)


class SarifParser:
    """Parser for SARIF 2.1.0 logs with one or more runs."""

    format = "sarif"
    kind = EvidenceKind.SCAN

    def parse(self, data: bytes, *, source: str) -> ScanRun:
        """Parse a SARIF 2.1.0 log into findings.

        Raises EvidenceError for invalid JSON, a version other than 2.1.0, a log with
        no runs, a run without a results array, and any property of the wrong type or
        with a value outside the SARIF vocabulary. A run with an empty results array
        is valid and yields no findings.
        """
        document = load_json(data, source=source)
        reader = _Reader(source)
        scan = reader.read_log(document)
        logger.debug(
            "parsed SARIF log %s: %d runs, %d findings",
            source,
            len(scan.tools),
            len(scan.findings),
        )
        return scan


class _Reader:
    """Typed access to the JSON document, raising EvidenceError with the JSON path."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.warnings: list[str] = []

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def fail(self, message: str, path: str | None, hint: str) -> EvidenceError:
        return EvidenceError(message, source=self.source, field=path, hint=hint)

    def wrong_type(self, value: Any, path: str, expected: str) -> EvidenceError:
        return self.fail(
            f"{path} must be {expected}, found {json_type(value)}",
            path,
            _REGENERATE_HINT.format(expected=expected),
        )

    def object(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.wrong_type(value, path, "an object")
        return value

    def array(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.wrong_type(value, path, "an array")
        return value

    # The optional_* readers treat JSON null like an absent property.

    def optional_object(self, parent: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
        value = parent.get(key)
        return None if value is None else self.object(value, f"{path}.{key}")

    def optional_array(self, parent: dict[str, Any], key: str, path: str) -> list[Any] | None:
        value = parent.get(key)
        return None if value is None else self.array(value, f"{path}.{key}")

    def optional_string(self, parent: dict[str, Any], key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.wrong_type(value, f"{path}.{key}", "a string")
        return value

    def optional_int(self, parent: dict[str, Any], key: str, path: str) -> int | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.wrong_type(value, f"{path}.{key}", "an integer")
        return value

    def optional_bool(self, parent: dict[str, Any], key: str, path: str) -> bool | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.wrong_type(value, f"{path}.{key}", "a boolean")
        return value

    def level(self, parent: dict[str, Any], key: str, path: str) -> str | None:
        value = self.optional_string(parent, key, path)
        if value is not None and value not in LEVELS:
            raise self.fail(
                f"unknown level '{value}', expected one of {', '.join(LEVELS)}",
                f"{path}.{key}",
                "Use one of the SARIF 2.1.0 levels, or regenerate the file with the "
                "scanner's SARIF output.",
            )
        return value

    def read_log(self, document: Any) -> ScanRun:
        if not isinstance(document, dict):
            raise self.fail(
                f"a SARIF log must be a JSON object, found {json_type(document)}",
                None,
                "Upload the SARIF file the scanner wrote. Its top level is an object "
                'with "version" and "runs".',
            )
        self._check_version(document)
        runs = self.check_runs(document.get("runs"))
        outcomes = [
            _RunReader(self, run, f"runs[{index}]").read() for index, run in enumerate(runs)
        ]
        return self.summarize(outcomes)

    def check_header(self, document: dict[str, Any]) -> None:
        """Check the log's top level apart from `runs`: the SARIF version."""
        self._check_version(document)

    def check_runs(self, runs: Any) -> list[Any]:
        """Return `runs` as a list; raise when it is missing, not an array or empty."""
        if runs is None:
            raise self.fail(
                "runs is missing, so the log contains no scan",
                "runs",
                "Upload the SARIF file the scanner wrote for this build.",
            )
        listed = self.array(runs, "runs")
        if not listed:
            raise self.empty_runs()
        return listed

    def empty_runs(self) -> EvidenceError:
        return self.fail(
            "runs is empty, and a SARIF log with no runs proves nothing about a scan",
            "runs",
            "Upload the SARIF file the scanner wrote for this build. A scanner that "
            "ran writes at least one run.",
        )

    def summarize(self, outcomes: Sequence[_RunOutcome]) -> ScanRun:
        """Return the scan of the whole log from the outcome of each run."""
        tools = tuple(dict.fromkeys(outcome.tool for outcome in outcomes))
        # The scan time is when the last invocation ended (VUL-2 counts age from it).
        end_times = [time for outcome in outcomes for time in outcome.end_times]
        return ScanRun(
            format=SarifParser.format,
            tools=tools,
            execution_successful=self._execution_successful(outcomes),
            findings=tuple(finding for outcome in outcomes for finding in outcome.findings),
            warnings=tuple(self.warnings),
            scanned_at=max(end_times) if end_times else None,
        )

    def _check_version(self, document: dict[str, Any]) -> None:
        version = document.get("version")
        if version is None:
            raise self.fail(
                "SARIF version is missing",
                "version",
                f'Set "version": "{SARIF_VERSION}", or export the scan again as SARIF '
                f"{SARIF_VERSION}.",
            )
        if not isinstance(version, str):
            raise self.wrong_type(version, "version", "a string")
        if version != SARIF_VERSION:
            raise self.fail(
                f"SARIF version '{version}' is not supported, only {SARIF_VERSION} is",
                "version",
                f"Export the scan as SARIF {SARIF_VERSION}. Most scanners write it by "
                "default or with a --format sarif option.",
            )

    @staticmethod
    def _execution_successful(outcomes: Sequence[_RunOutcome]) -> bool | None:
        """Return False if any run failed, True if every invocation succeeded, else None."""
        flags = [flag for outcome in outcomes for flag in outcome.invocation_flags]
        if any(flag is False for flag in flags) or any(
            outcome.failed_notifications for outcome in outcomes
        ):
            return False
        if not flags:
            return None
        if all(flag is True for flag in flags):
            return True
        return None


class _RunReader:
    """Reader for one run: its tool, rules, artifacts, invocations and results."""

    def __init__(self, reader: _Reader, run: Any, path: str) -> None:
        self.reader = reader
        self.path = path
        self.run = reader.object(run, path)

        tool = reader.object(self.run.get("tool"), f"{path}.tool")
        driver = reader.object(tool.get("driver"), f"{path}.tool.driver")
        name = reader.optional_string(driver, "name", f"{path}.tool.driver")
        if name is None or not name.strip():
            raise reader.fail(
                "tool name is missing",
                f"{path}.tool.driver.name",
                "Set run.tool.driver.name to the scanner's name. Without it a finding "
                "cannot be attributed to a tool.",
            )
        self.tool = name.strip()
        self.rules = self._read_rules(driver, f"{path}.tool.driver")
        self.extensions: list[tuple[str | None, tuple[_Rule, ...]]] = []
        for index, extension in enumerate(
            reader.optional_array(tool, "extensions", f"{path}.tool") or []
        ):
            extension_path = f"{path}.tool.extensions[{index}]"
            component = reader.object(extension, extension_path)
            self.extensions.append(
                (
                    reader.optional_string(component, "name", extension_path),
                    self._read_rules(component, extension_path),
                )
            )
        self.artifacts = reader.optional_array(self.run, "artifacts", path) or []
        self.rule_properties: dict[str, list[_Candidate]] = {}
        self.rule_help: dict[str, list[_Candidate]] = {}

    def _read_rules(self, component: dict[str, Any], path: str) -> tuple[_Rule, ...]:
        rules = []
        for index, rule in enumerate(self.reader.optional_array(component, "rules", path) or []):
            rule_path = f"{path}.rules[{index}]"
            data = self.reader.object(rule, rule_path)
            rule_id = self.reader.optional_string(data, "id", rule_path)
            rules.append(_Rule(id=rule_id, path=rule_path, data=data))
        return tuple(rules)

    def read(self) -> _RunOutcome:
        outcome = self.begin(self.run.get("results"))
        for index, result in enumerate(self.run["results"]):
            self.add_result(outcome, index, result)
        return self.finish(outcome)

    def begin(self, results: Any) -> _RunOutcome:
        """Read the invocations and check `results`, the run's results array (or []).

        A streaming reader passes [] and then each result to `add_result`.
        """
        outcome = _RunOutcome(tool=self.tool)
        self._read_invocations(outcome)
        if results is None:
            raise self.reader.fail(
                "results is missing, which in SARIF means the tool did not produce results",
                f"{self.path}.results",
                "Rerun the scanner and check that it completed. A scan that found nothing "
                'writes "results": [].',
            )
        self.reader.array(results, f"{self.path}.results")
        return outcome

    def add_result(self, outcome: _RunOutcome, index: int, result: Any) -> None:
        """Add the result at `index` of the run's results to `outcome`."""
        result_path = f"{self.path}.results[{index}]"
        data = self.reader.object(result, result_path)
        kind = self.reader.optional_string(data, "kind", result_path) or "fail"
        if kind not in KINDS:
            raise self.reader.fail(
                f"unknown kind '{kind}', expected one of {', '.join(KINDS)}",
                f"{result_path}.kind",
                "Use one of the SARIF 2.1.0 result kinds, or regenerate the file.",
            )
        if kind != "fail":
            outcome.not_findings[kind] = outcome.not_findings.get(kind, 0) + 1
            return
        outcome.findings.append(self._read_finding(data, result_path))

    def finish(self, outcome: _RunOutcome) -> _RunOutcome:
        """Warn about the results that were not findings, once the run is read."""
        if outcome.not_findings:
            counts = ", ".join(f"{kind}: {count}" for kind, count in outcome.not_findings.items())
            self.reader.warn(
                f"{self.path} ({self.tool}): results with a kind other than 'fail' are not "
                f"findings and were skipped ({counts})"
            )
        return outcome

    def _read_invocations(self, outcome: _RunOutcome) -> None:
        invocations = self.reader.optional_array(self.run, "invocations", self.path) or []
        for index, invocation in enumerate(invocations):
            path = f"{self.path}.invocations[{index}]"
            data = self.reader.object(invocation, path)
            successful = self.reader.optional_bool(data, "executionSuccessful", path)
            outcome.invocation_flags.append(successful)
            end_time = parse_time(data.get("endTimeUtc"))
            if end_time is not None:
                outcome.end_times.append(end_time)
            if successful is False:
                self.reader.warn(f"{path}: {self.tool} reports executionSuccessful false")

            for key in ("toolExecutionNotifications", "toolConfigurationNotifications"):
                notifications = self.reader.optional_array(data, key, path) or []
                for position, notification in enumerate(notifications):
                    notification_path = f"{path}.{key}[{position}]"
                    note = self.reader.object(notification, notification_path)
                    level = self.reader.level(note, "level", notification_path)
                    # Only an explicit "error" level marks the run as failed.
                    if level == "error":
                        outcome.failed_notifications = True
                        text = self._message_text(note, notification_path, None)
                        self.reader.warn(
                            f"{notification_path}: {self.tool} reports an error: "
                            f"{text or '(no message)'}"
                        )

    def _read_finding(self, result: dict[str, Any], path: str) -> Finding:
        rule, rule_id = self._find_rule(result, path)
        if rule_id is None and rule is not None:
            rule_id = rule.id
        if rule_id is None or not rule_id.strip():
            raise self.reader.fail(
                "result has no rule id",
                f"{path}.ruleId",
                "Set ruleId (or rule.id) on every result. A finding without a rule "
                "cannot be matched to a policy or an exception.",
            )
        rule_id = rule_id.strip()

        level = self.reader.level(result, "level", path)
        level_origin = "result"
        if level is None and rule is not None:
            configuration = self.reader.optional_object(
                rule.data, "defaultConfiguration", rule.path
            )
            if configuration is not None:
                level = self.reader.level(
                    configuration, "level", f"{rule.path}.defaultConfiguration"
                )
                level_origin = "rule default"
        if level is None:
            level = DEFAULT_LEVEL
            level_origin = "SARIF default"

        severity, severity_source = _choose_severity(
            self._severity_candidates(result, rule, path), level, level_origin
        )
        # Results of one rule share their severity source, so one copy of it is kept.
        severity_source = sys.intern(severity_source)
        message = self._message_text(result, path, rule)
        location, line = self._location(result, path)
        return Finding(
            tool=self.tool,
            rule_id=rule_id,
            severity=severity,
            level=level,
            message=message,
            location=location,
            line=line,
            fingerprint=self._fingerprint(result, path, rule_id, location, line, message),
            cve=_cve_of(rule_id),
            suppressed=self._suppressed(result, path),
            severity_source=severity_source,
        )

    def _find_rule(self, result: dict[str, Any], path: str) -> tuple[_Rule | None, str | None]:
        """Return the result's rule and ruleId, looking the rule up by ruleIndex, else by ruleId.

        Both the driver and the extensions are searched. Either value can be None.
        """
        reference = self.reader.optional_object(result, "rule", path) or {}
        reference_path = f"{path}.rule"
        rule_id = self.reader.optional_string(result, "ruleId", path)
        if rule_id is None or not rule_id.strip():
            rule_id = self.reader.optional_string(reference, "id", reference_path)
        rule_id = rule_id.strip() if rule_id is not None and rule_id.strip() else None

        index = self.reader.optional_int(result, "ruleIndex", path)
        index_path = f"{path}.ruleIndex"
        if index is None:
            index = self.reader.optional_int(reference, "index", reference_path)
            index_path = f"{reference_path}.index"
        rules = self._component_rules(reference, reference_path)

        # -1 is the SARIF default and means "no index".
        if index is not None and index != -1:
            if 0 <= index < len(rules):
                indexed = rules[index]
                if rule_id is None or indexed.id == rule_id:
                    return indexed, rule_id
                self.reader.warn(
                    f"{index_path} {index} points at rule '{indexed.id}' but ruleId is "
                    f"'{rule_id}', so the rule was looked up by ruleId"
                )
            else:
                self.reader.warn(
                    f"{index_path} {index} is out of range because the tool defines "
                    f"{_plural(len(rules), 'rule')}, so the rule was looked up by ruleId"
                )

        if rule_id is None:
            return None, None
        found = self._rule_by_id(rule_id)
        if found is None and (self.rules or any(rules for _, rules in self.extensions)):
            self.reader.warn(
                f"{path}: rule '{rule_id}' is not defined by {self.tool}, so its severity "
                "comes from the result alone"
            )
        return found, rule_id

    def _component_rules(self, reference: dict[str, Any], path: str) -> tuple[_Rule, ...]:
        """Return the rules of the tool component the reference names, or the driver's."""
        component = self.reader.optional_object(reference, "toolComponent", path)
        if component is None:
            return self.rules
        component_path = f"{path}.toolComponent"
        index = self.reader.optional_int(component, "index", component_path)
        if index is not None and 0 <= index < len(self.extensions):
            return self.extensions[index][1]
        name = self.reader.optional_string(component, "name", component_path)
        for extension_name, rules in self.extensions:
            if name is not None and extension_name == name:
                return rules
        return self.rules

    def _rule_by_id(self, rule_id: str) -> _Rule | None:
        every_rule = [*self.rules, *(rule for _, rules in self.extensions for rule in rules)]
        for rule in every_rule:
            if rule.id == rule_id:
                return rule
        # Fall back to the part before the first "/", so that a sub-rule id such as
        # "CA2101/1" finds its base rule "CA2101".
        base_id = rule_id.split("/", 1)[0]
        for rule in every_rule:
            if rule.id == base_id:
                return rule
        return None

    def _severity_candidates(
        self, result: dict[str, Any], rule: _Rule | None, path: str
    ) -> list[_Candidate]:
        if rule is None:
            return self._property_candidates(result, path)
        # A rule's signals are the same for each of its results, so they are read once,
        # in the order of the checks: rule properties, result properties, rule help.
        rule_properties = self.rule_properties.get(rule.path)
        if rule_properties is None:
            rule_properties = self._property_candidates(rule.data, rule.path)
            self.rule_properties[rule.path] = rule_properties
        result_properties = self._property_candidates(result, path)
        rule_help = self.rule_help.get(rule.path)
        if rule_help is None:
            rule_help = self._help_candidates(rule)
            self.rule_help[rule.path] = rule_help
        return [*rule_properties, *result_properties, *rule_help]

    def _property_candidates(self, owner: dict[str, Any], owner_path: str) -> list[_Candidate]:
        """Return the severity signals in the properties of a rule or a result."""
        candidates: list[_Candidate] = []
        properties = self.reader.optional_object(owner, "properties", owner_path)
        if properties is None:
            return candidates
        properties_path = f"{owner_path}.properties"
        score = self._security_severity(properties, properties_path)
        if score is not None:
            raw = properties["security-severity"]
            candidates.append(_Candidate(_band(score), f"security-severity {raw}"))
        tags = self.reader.optional_array(properties, "tags", properties_path) or []
        for position, tag in enumerate(tags):
            if not isinstance(tag, str):
                raise self.reader.wrong_type(tag, f"{properties_path}.tags[{position}]", "a string")
            word = _SEVERITY_WORDS.get(tag.strip().lower())
            if word is not None:
                candidates.append(_Candidate(word, f"tag {tag.strip()}"))
        named = properties.get("severity")
        if isinstance(named, str) and named.strip():
            word = _SEVERITY_WORDS.get(named.strip().lower())
            if word is not None:
                candidates.append(_Candidate(word, f"property severity {named.strip()}"))
            else:
                self.reader.warn(
                    f"{properties_path}.severity '{named}' is not a known severity and was ignored"
                )
        return candidates

    def _help_candidates(self, rule: _Rule) -> list[_Candidate]:
        """Return the severity named by a "Severity:" line in the rule's help text, if any."""
        help_object = self.reader.optional_object(rule.data, "help", rule.path)
        text = (
            self.reader.optional_string(help_object, "text", f"{rule.path}.help")
            if help_object is not None
            else None
        )
        match = _HELP_SEVERITY.search(text or "")
        if match is None:
            return []
        word = _SEVERITY_WORDS.get(match.group(1).lower())
        if word is None:
            return []
        return [_Candidate(word, f"help text 'Severity: {match.group(1)}'")]

    def _security_severity(self, properties: dict[str, Any], path: str) -> float | None:
        raw = properties.get("security-severity")
        if raw is None:
            return None
        field_path = f"{path}.security-severity"
        hint = (
            "security-severity is a score from 0.0 to 10.0, usually written as a string "
            'such as "7.5". Fix the rule, or regenerate the file with the scanner.'
        )
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise self.reader.fail(
                f"security-severity must be a number or a numeric string, found {json_type(raw)}",
                field_path,
                hint,
            )
        try:
            score = float(raw)
        except ValueError:
            raise self.reader.fail(
                f"security-severity '{raw}' is not a number", field_path, hint
            ) from None
        if not math.isfinite(score) or not 0.0 <= score <= 10.0:
            raise self.reader.fail(
                f"security-severity {raw} is outside the range 0.0 to 10.0", field_path, hint
            )
        return score

    def _message_text(self, owner: dict[str, Any], path: str, rule: _Rule | None) -> str:
        """Return message.text, else the rule's message string for message.id with its arguments."""
        message = self.reader.optional_object(owner, "message", path)
        if message is None:
            return ""
        message_path = f"{path}.message"
        text = self.reader.optional_string(message, "text", message_path)
        if text is not None:
            return text
        message_id = self.reader.optional_string(message, "id", message_path)
        if message_id is None or rule is None:
            return ""
        strings = self.reader.optional_object(rule.data, "messageStrings", rule.path) or {}
        template = strings.get(message_id)
        if not isinstance(template, dict) or not isinstance(template.get("text"), str):
            return ""
        arguments = [
            str(argument)
            for argument in self.reader.optional_array(message, "arguments", message_path) or []
        ]

        def fill(match: re.Match[str]) -> str:
            position = int(match.group(1))
            return arguments[position] if position < len(arguments) else match.group(0)

        return _MESSAGE_PLACEHOLDER.sub(fill, template["text"])

    def _location(self, result: dict[str, Any], path: str) -> tuple[str | None, int | None]:
        """Return the artifact and start line of the first location, if there is one."""
        locations = self.reader.optional_array(result, "locations", path) or []
        if not locations:
            return None, None
        location_path = f"{path}.locations[0]"
        location = self.reader.object(locations[0], location_path)

        uri: str | None = None
        line: int | None = None
        physical = self.reader.optional_object(location, "physicalLocation", location_path)
        if physical is not None:
            physical_path = f"{location_path}.physicalLocation"
            artifact = self.reader.optional_object(physical, "artifactLocation", physical_path)
            if artifact is not None:
                uri = self._artifact_uri(artifact, f"{physical_path}.artifactLocation")
            region = self.reader.optional_object(physical, "region", physical_path)
            if region is not None:
                line = self.reader.optional_int(region, "startLine", f"{physical_path}.region")
                if line is not None and line < 1:
                    raise self.reader.fail(
                        f"startLine {line} is invalid because lines start at 1",
                        f"{physical_path}.region.startLine",
                        "Fix the scanner output, or regenerate the file.",
                    )

        if uri is None:
            logical = self.reader.optional_array(location, "logicalLocations", location_path)
            if logical:
                logical_path = f"{location_path}.logicalLocations[0]"
                first = self.reader.object(logical[0], logical_path)
                uri = self.reader.optional_string(
                    first, "fullyQualifiedName", logical_path
                ) or self.reader.optional_string(first, "name", logical_path)
        return uri, line

    def _artifact_uri(self, artifact: dict[str, Any], path: str) -> str | None:
        """Return the uri as written, else the uri of the run artifact the index points at.

        The uri is kept as text and not validated, because a malformed uri still names
        the file for a reader. `uriBaseId` is not resolved, so the path stays relative.
        """
        uri = self.reader.optional_string(artifact, "uri", path)
        if uri:
            return uri
        index = self.reader.optional_int(artifact, "index", path)
        if index is None:
            return None
        if not 0 <= index < len(self.artifacts):
            self.reader.warn(
                f"{path}.index {index} is out of range because the run lists "
                f"{_plural(len(self.artifacts), 'artifact')}, so the location is unknown"
            )
            return None
        artifact_path = f"{self.path}.artifacts[{index}]"
        listed = self.reader.object(self.artifacts[index], artifact_path)
        listed_location = self.reader.optional_object(listed, "location", artifact_path)
        if listed_location is None:
            return None
        return self.reader.optional_string(listed_location, "uri", f"{artifact_path}.location")

    def _fingerprint(
        self,
        result: dict[str, Any],
        path: str,
        rule_id: str,
        location: str | None,
        line: int | None,
        message: str,
    ) -> str:
        """Return the tool's fingerprints as "key=value" pairs, else a SHA-256 of the result.

        The hash covers tool, rule id, location, line and message.
        """
        for key in ("fingerprints", "partialFingerprints"):
            values = self.reader.optional_object(result, key, path)
            if not values:
                continue
            pairs = []
            for name in sorted(values):
                value = values[name]
                if not isinstance(value, str):
                    raise self.reader.wrong_type(value, f"{path}.{key}.{name}", "a string")
                pairs.append(f"{name}={value}")
            return ";".join(pairs)

        identity = "\x1f".join(
            (self.tool, rule_id, location or "", "" if line is None else str(line), message)
        )
        return hashlib.sha256(identity.encode("utf-8")).hexdigest()

    def _suppressed(self, result: dict[str, Any], path: str) -> bool:
        """Return True when a suppression is accepted or has no status."""
        suppressions = self.reader.optional_array(result, "suppressions", path) or []
        for index, suppression in enumerate(suppressions):
            suppression_path = f"{path}.suppressions[{index}]"
            data = self.reader.object(suppression, suppression_path)
            status = self.reader.optional_string(data, "status", suppression_path)
            if status is None or status == "accepted":
                return True
        return False


def _choose_severity(
    candidates: list[_Candidate], level: str, level_origin: str
) -> tuple[Severity, str]:
    """Return the most severe explicit signal, else the severity of `level`.

    Explicit signals come from security-severity, severity tags and properties, and a
    "Severity:" help line. The level only counts when none of them exists.
    An "unknown" signal counts only when no other explicit signal exists, because
    a numeric score is information and "unknown" is its absence.
    """
    known = [candidate for candidate in candidates if candidate.severity is not Severity.UNKNOWN]
    if known:
        chosen = max(known, key=lambda candidate: _SEVERITY_RANK[candidate.severity])
        described = "; ".join(
            f"{candidate.description} ({candidate.severity.value})" for candidate in known
        )
        if len({candidate.severity for candidate in known}) > 1:
            described += f"; the most severe, {chosen.severity.value}, was used"
        return chosen.severity, described
    if candidates:
        return Severity.UNKNOWN, "; ".join(candidate.description for candidate in candidates)
    return _LEVEL_SEVERITY[level], f"level {level} ({level_origin})"


def _band(score: float) -> Severity:
    """Map a security-severity score to a severity band.

    The bands are the CVSS v3 qualitative ratings: 9.0 and above critical, 7.0 high,
    4.0 medium, above 0.0 low, and 0.0 info.
    """
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _cve_of(rule_id: str) -> str | None:
    match = _CVE_ID.search(rule_id)
    return match.group(0).upper() if match else None
