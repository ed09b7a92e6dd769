"""A test runner for Rego unit tests (`test_*` rules), built on regopy.

regopy has no test runner of its own. This module compiles the policy
modules and the `*_test.rego` files into one bundle, with one entrypoint per
test rule, and evaluates each: a test passes only when its rule is `true`.

The tests run in a child process (`python -m releasegate.policy.testing`),
because regopy 1.5.2 can end the process with a segmentation fault on some
inputs. A crash then fails the tests that had not finished, not the caller.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from releasegate.errors import PolicyError

_PACKAGE = re.compile(r"^package\s+([A-Za-z_][A-Za-z0-9_.]*)\s*$", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_[A-Za-z0-9_]+)\b", re.MULTILINE)
CHILD_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class TestResult:
    """Outcome of one Rego test rule."""

    __test__ = False

    file: str
    package: str
    rule: str
    status: str  # pass, fail or error
    message: str = ""


def discover_tests(modules: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Return (file label, package, rule) of every test rule in `*_test.rego` modules."""
    found = []
    for label, source in modules:
        if not label.endswith("_test.rego"):
            continue
        package = _PACKAGE.search(source)
        if package is None:
            raise PolicyError(
                f"{label}: no 'package' line found",
                hint="start every Rego module with 'package <name>'",
            )
        for rule in dict.fromkeys(_TEST_RULE.findall(source)):
            found.append((label, package.group(1), rule))
    return found


def _evaluate(modules: list[tuple[str, str]], params: dict[str, Any]) -> None:
    """Child process body: compile, then print one JSON line per test."""
    from regopy import Interpreter

    tests = discover_tests(modules)
    interpreter = Interpreter()
    interpreter.strict_built_in_errors = True
    for label, source in modules:
        interpreter.add_module(label, source)
    interpreter.add_data_json(json.dumps({"releasegate": {"params": params}}))
    entrypoints = [f"{package.replace('.', '/')}/{rule}" for _, package, rule in tests]
    bundle = interpreter.build(None, entrypoints)
    if not bundle.ok():
        print(json.dumps({"compile_error": "the modules and tests do not compile"}), flush=True)
        return
    for (label, package, rule), entrypoint in zip(tests, entrypoints, strict=True):
        output = interpreter.query_bundle_entrypoint(bundle, entrypoint)
        text = str(output).strip()
        if not output.ok():
            status, message = "error", "the Rego engine reported an error (a built-in raised)"
        elif text == "undefined":
            status, message = "fail", "the test rule is undefined (one of its conditions is false)"
        else:
            value = json.loads(text)["expressions"][0]
            status, message = ("pass", "") if value is True else ("fail", f"evaluated to {value!r}")
        print(
            json.dumps(
                {
                    "file": label,
                    "package": package,
                    "rule": rule,
                    "status": status,
                    "message": message,
                }
            ),
            flush=True,
        )


def run_tests(modules: list[tuple[str, str]], params: dict[str, Any]) -> list[TestResult]:
    """Run every test rule of `modules` in a child process and return the results."""
    expected = discover_tests(modules)
    if not expected:
        return []
    child = subprocess.run(
        [sys.executable, "-m", "releasegate.policy.testing"],
        input=json.dumps({"modules": modules, "params": params}),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    results: list[TestResult] = []
    for line in child.stdout.splitlines():
        record = json.loads(line)
        if "compile_error" in record:
            raise PolicyError(
                "the Rego modules and their tests do not compile",
                hint="run 'releasegate policy check' to find the module that fails",
            )
        results.append(TestResult(**record))
    finished = {(r.file, r.rule) for r in results}
    crashed = child.returncode != 0
    for label, package, rule in expected:
        if (label, rule) not in finished:
            reason = (
                f"the Rego engine crashed (exit status {child.returncode})"
                if crashed
                else "the test did not run"
            )
            results.append(TestResult(label, package, rule, "error", reason))
    return results


def _main() -> None:
    request = json.loads(sys.stdin.read())
    _evaluate([(str(m[0]), str(m[1])) for m in request["modules"]], request["params"])


if __name__ == "__main__":
    _main()
