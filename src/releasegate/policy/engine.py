"""Evaluate a policy set with regopy: compile once per revision, fail closed on errors.

regopy swallows built-in errors unless `strict_built_in_errors` is set. With it
set, an error makes the query's output an error node, and this module turns
that into an `error` result for the control concerned. An error always denies.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from releasegate.errors import PolicyError
from releasegate.policy.layers import PolicySet

log = logging.getLogger(__name__)

REPORT_ENTRYPOINT = "releasegate/gate/report"


def engine_version() -> str:
    """Return the Rego engine's name and version, recorded in every decision."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"regopy {version('regopy')}"
    except PackageNotFoundError:
        return "regopy (version unknown)"


_CACHE_SIZE = 16


@dataclass(frozen=True)
class ControlEvaluation:
    """Raw result of one control: applicability and violations, or an error text."""

    package: str
    applicable: bool | None
    violations: tuple[dict[str, Any], ...]
    error: str | None = None


@dataclass(frozen=True)
class CustomEvaluation:
    """Messages of one conftest-style package; `error` set when evaluation failed."""

    package: str
    layer: str
    deny: tuple[Any, ...]
    warn: tuple[Any, ...]
    error: str | None = None
    controls: dict[str, Any] | None = None


@dataclass(frozen=True)
class Evaluation:
    """Everything the gate reads from one policy evaluation."""

    revision: str
    risk: dict[str, Any] | None
    risk_error: str | None
    controls: dict[str, ControlEvaluation]
    custom: tuple[CustomEvaluation, ...]


def _read(output: Any) -> tuple[bool, Any]:
    """Return (defined, value) of a query output, or raise PolicyError on an engine error."""
    if not output.ok():
        raise PolicyError("the Rego engine reported an error while evaluating")
    text = str(output)
    if text.strip() == "undefined":
        return False, None
    try:
        document = json.loads(text)
        return True, document["expressions"][0]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise PolicyError(f"unreadable Rego engine output: {text[:200]!r}") from exc


class CompiledPolicy:
    """A policy set compiled into a regopy bundle; evaluations are serialized."""

    def __init__(self, policy: PolicySet) -> None:
        from regopy import Interpreter

        self.policy = policy
        self._lock = threading.Lock()
        interpreter = Interpreter()
        interpreter.strict_built_in_errors = True
        for module in policy.modules:
            with _capture_engine_output() as printed:
                try:
                    interpreter.add_module(module.label, module.source)
                    failure: Exception | None = None
                except Exception as exc:  # regopy raises its own RegoError type
                    failure = exc
            if failure is not None:
                # regopy prints a readable report ("-- file:line:column" and the
                # source line) and raises an exception holding its internal tree.
                detail = printed.text().strip() or str(failure)
                raise PolicyError(
                    f"{module.label}: Rego does not compile:\n{detail}",
                    hint="fix the module at the line and column shown",
                ) from failure
        interpreter.add_data_json(json.dumps({"releasegate": {"params": policy.params}}))

        self._control_entrypoints = {
            meta.package: (
                meta.package.replace(".", "/") + "/applicable",
                meta.package.replace(".", "/") + "/violation",
            )
            for meta in policy.controls.values()
        }
        entrypoints = [REPORT_ENTRYPOINT, "releasegate/risk/assessment"]
        for applicable, violation in self._control_entrypoints.values():
            entrypoints += [applicable, violation]
        for custom in policy.custom_packages:
            entrypoints += [f"{custom.package.replace('.', '/')}/{rule}" for rule in custom.rules]
        try:
            self._bundle = interpreter.build("data.releasegate.gate.report", entrypoints)
        except Exception as exc:
            raise PolicyError(
                f"the policy set does not compile: {exc}",
                hint="check the Rego modules of each layer",
            ) from exc
        if not self._bundle.ok():
            raise PolicyError(
                "the policy set does not compile (revision " + policy.revision[:12] + ")",
                hint="run the Rego unit tests of each layer to find the failing module",
            )
        self._interpreter = interpreter

    def _query(self, entrypoint: str) -> tuple[bool, Any]:
        return _read(self._interpreter.query_bundle_entrypoint(self._bundle, entrypoint))

    def evaluate(self, document: dict[str, Any]) -> Evaluation:
        """Evaluate every control, the risk assessment and the custom packages."""
        with self._lock, _engine_output_to_stderr():
            self._interpreter.set_input_term(json.dumps(document))
            return Evaluation(
                revision=self.policy.revision,
                **self._evaluate_report(),
                custom=tuple(self._evaluate_custom()),
            )

    def _evaluate_report(self) -> dict[str, Any]:
        try:
            defined, report = self._query(REPORT_ENTRYPOINT)
        except PolicyError:
            log.warning("gate report raised; evaluating controls one by one to find the error")
            return self._evaluate_each()
        if not defined or not isinstance(report, dict):
            return self._evaluate_each()
        controls: dict[str, ControlEvaluation] = {}
        raw_controls = report.get("controls") or {}
        for package in self._control_entrypoints:
            name = package.rsplit(".", 1)[1]
            entry = raw_controls.get(name)
            if not isinstance(entry, dict) or not isinstance(entry.get("applicable"), bool):
                controls[package] = ControlEvaluation(
                    package, None, (), f"{package}.applicable is undefined or not a boolean"
                )
                continue
            try:
                violations = tuple(_violations(package, entry.get("violations") or []))
            except PolicyError as exc:
                controls[package] = ControlEvaluation(package, None, (), exc.message)
                continue
            controls[package] = ControlEvaluation(package, entry["applicable"], violations)
        risk = report.get("risk")
        return {
            "risk": risk if isinstance(risk, dict) else None,
            "risk_error": None if isinstance(risk, dict) else "the risk assessment is undefined",
            "controls": controls,
        }

    def _evaluate_each(self) -> dict[str, Any]:
        """Locate errors control by control; waivers are not applied on this path."""
        controls: dict[str, ControlEvaluation] = {}
        for package, (applicable_ep, violation_ep) in self._control_entrypoints.items():
            try:
                defined, applicable = self._query(applicable_ep)
                if not defined or not isinstance(applicable, bool):
                    raise PolicyError(f"{package}.applicable is undefined or not a boolean")
                _, violations = self._query(violation_ep)
                controls[package] = ControlEvaluation(
                    package, applicable, tuple(_violations(package, violations or []))
                )
            except PolicyError as exc:
                controls[package] = ControlEvaluation(
                    package,
                    None,
                    (),
                    f"evaluating {package} failed: {exc.message} (a built-in raised, often "
                    "because an input value has the wrong type)",
                )
        try:
            defined, risk = self._query("releasegate/risk/assessment")
            risk_error = None if defined else "the risk assessment is undefined"
        except PolicyError:
            risk, risk_error = None, "evaluating releasegate.risk failed in the Rego engine"
        return {
            "risk": risk if isinstance(risk, dict) else None,
            "risk_error": risk_error,
            "controls": controls,
        }

    def _evaluate_custom(self) -> list[CustomEvaluation]:
        results: list[CustomEvaluation] = []
        for custom in self.policy.custom_packages:
            path = custom.package.replace(".", "/")
            messages: dict[str, tuple[Any, ...]] = {"deny": (), "warn": ()}
            declared: dict[str, Any] | None = None
            error = None
            for rule in custom.rules:
                try:
                    _, value = self._query(f"{path}/{rule}")
                except PolicyError:
                    error = f"evaluating {custom.package}.{rule} failed in the Rego engine"
                    continue
                if value is None:
                    continue
                if rule == "controls":
                    if not isinstance(value, dict):
                        error = f"{custom.package}.controls must be an object keyed by control id"
                    else:
                        declared = value
                    continue
                if not isinstance(value, list):
                    error = f"{custom.package}.{rule} must be a set of messages"
                    continue
                kind = "warn" if rule.startswith("warn") else "deny"
                messages[kind] = messages[kind] + tuple(value)
            results.append(
                CustomEvaluation(
                    custom.package,
                    custom.layer,
                    messages["deny"],
                    messages["warn"],
                    error,
                    declared,
                )
            )
        return results


class _Printed:
    """Text the Rego engine wrote to standard output, available after the block."""

    def __init__(self) -> None:
        self._text = ""

    def text(self) -> str:
        return self._text


@contextmanager
def _capture_engine_output() -> Iterator[_Printed]:
    """Capture what regopy writes to file descriptor 1 while the block runs."""
    printed = _Printed()
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as sink:
        try:
            os.dup2(sink.fileno(), 1)
            yield printed
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            sink.seek(0)
            printed._text = sink.read(64 * 1024).decode("utf-8", "replace")


@contextmanager
def _engine_output_to_stderr() -> Iterator[None]:
    """Send what the Rego engine prints (e.g. json.unmarshal errors) to stderr, not stdout.

    regopy writes some diagnostics straight to file descriptor 1, which would
    corrupt `--output json`.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _violations(package: str, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise PolicyError(f"{package}.violation must be a set of objects")
    result = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("msg"), str) or not item["msg"]:
            raise PolicyError(f"{package}.violation contains an entry without a 'msg' string")
        result.append(item)
    return sorted(result, key=lambda v: json.dumps(v, sort_keys=True))


_compiled: OrderedDict[str, CompiledPolicy] = OrderedDict()
_compiled_lock = threading.Lock()


def compile_policy(policy: PolicySet) -> CompiledPolicy:
    """Return the compiled bundle for this revision, compiling it on first use."""
    with _compiled_lock:
        cached = _compiled.get(policy.revision)
        if cached is not None:
            _compiled.move_to_end(policy.revision)
            return cached
    compiled = CompiledPolicy(policy)
    with _compiled_lock:
        _compiled[policy.revision] = compiled
        while len(_compiled) > _CACHE_SIZE:
            _compiled.popitem(last=False)
    return compiled
