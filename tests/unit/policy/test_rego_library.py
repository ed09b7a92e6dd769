"""Run the Rego unit tests of the built-in policy library through regopy.

Every `test_*` rule of every `*_test.rego` file under the library becomes one
pytest case. A strict regopy interpreter loads every module of the library,
tests included, and the default parameters, and compiles them once. A test
passes only when its rule evaluates to `true`. Undefined, false, a built-in
error and an engine crash all fail it.

The rules run in a child process, because regopy 1.5.2 can end the process
with a segmentation fault (for example on `with input as {...}` when the rule
under test calls a built-in), and a crash must fail one case, not the run.
The same file is that child process when run as a script.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import releasegate

LIBRARY = Path(releasegate.__file__).parent / "policy" / "rego"
PARAMS = LIBRARY / "params.yaml"

_PACKAGE = re.compile(r"^package\s+([A-Za-z0-9_.]+)\s*$", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_[A-Za-z0-9_]+)\b", re.MULTILINE)

# A crash ends the child process, so the run restarts it after the crashed
# case. Each restart skips at least one case, which bounds the restarts.
_CHILD_TIMEOUT_SECONDS = 240


@dataclass(frozen=True)
class RegoTest:
    """One `test_*` rule: the file it is in, its package and its name."""

    path: Path
    package: str
    rule: str

    @property
    def id(self) -> str:
        return f"{self.package}.{self.rule}"


def _package_of(path: Path) -> str:
    match = _PACKAGE.search(path.read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{path}: no package statement found")
    return match.group(1)


def _test_files() -> list[Path]:
    return sorted(LIBRARY.rglob("*_test.rego"))


def _collect_tests() -> list[RegoTest]:
    tests: list[RegoTest] = []
    for path in _test_files():
        package = _package_of(path)
        # A rule defined in several bodies (OR) is still one test.
        rules = dict.fromkeys(_TEST_RULE.findall(path.read_text(encoding="utf-8")))
        tests.extend(RegoTest(path, package, rule) for rule in rules)
    return tests


def load_interpreter(test_files: list[Path] | None = None) -> Any:
    """Create a strict regopy interpreter with the library and its parameters.

    The interpreter gets every policy module and the given test files, or
    every test file when none are given.
    """
    import regopy

    interpreter = regopy.Interpreter()
    interpreter.strict_built_in_errors = True
    for path in sorted(LIBRARY.rglob("*.rego")):
        is_test = path.name.endswith("_test.rego")
        if is_test and test_files is not None and path not in test_files:
            continue
        interpreter.add_module(str(path.relative_to(LIBRARY)), path.read_text(encoding="utf-8"))
    params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    interpreter.add_data_json(json.dumps({"releasegate": {"params": params}}))
    return interpreter


def classify(output: Any) -> dict[str, Any]:
    """Classify a regopy output as a value, undefined or an error."""
    if not output.ok():
        return {"outcome": "error", "detail": f"{output} (a built-in error in strict mode)"}
    text = str(output)
    if text == "undefined":
        return {"outcome": "undefined"}
    return {"outcome": "value", "value": json.loads(text)["expressions"][0]}


def _run_child(
    tests: list[str], test_files: list[Path] | None
) -> tuple[dict[str, dict[str, Any]], str | None, str]:
    """Run tests in one child process.

    Return the results, the test that was running when the process crashed
    (None without a crash) and the exit status.
    """
    request = {
        "tests": tests,
        "files": None if test_files is None else [str(p) for p in test_files],
    }
    completed = subprocess.run(
        [sys.executable, __file__, "--child"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=_CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    results: dict[str, dict[str, Any]] = {}
    started = None
    for line in completed.stdout.splitlines():
        record = json.loads(line)
        if "build_error" in record:
            return (
                {test: {"outcome": "error", "detail": record["build_error"]} for test in tests},
                None,
                "",
            )
        if "started" in record:
            started = record["started"]
        else:
            results[record["test"]] = record["result"]
            started = None
    status = f"exit code {completed.returncode}: {completed.stderr.strip()}"
    if completed.returncode != 0 and started is None:
        detail = f"the process compiling the library ended before running a test ({status})"
        return (
            {test: {"outcome": "crash", "detail": detail} for test in tests if test not in results},
            None,
            status,
        )
    return results, started if completed.returncode != 0 else None, status


def _run_isolated(tests: list[str], test_files: list[Path] | None) -> dict[str, dict[str, Any]]:
    """Run tests in child processes, restarting after each crash."""
    remaining = list(tests)
    results: dict[str, dict[str, Any]] = {}
    while remaining:
        batch, crashed, status = _run_child(remaining, test_files)
        results.update(batch)
        if crashed is not None:
            results[crashed] = {"outcome": "crash", "detail": status}
        remaining = [test for test in remaining if test not in results]
    return results


@cache
def _results() -> dict[str, dict[str, Any]]:
    tests = _collect_tests()
    results = _run_isolated([test.id for test in tests], None)
    if all(result["outcome"] != "crash" for result in results.values()):
        return results
    # A crash while compiling fails every test, so compile the library with
    # one test file at a time to find the file that triggers it.
    by_file: dict[Path, list[str]] = {}
    for test in tests:
        by_file.setdefault(test.path, []).append(test.id)
    results = {}
    for path, file_tests in by_file.items():
        results.update(_run_isolated(file_tests, [path]))
    return results


def _child() -> None:
    """Compile the library once with every requested test as an entrypoint, then run each.

    A regopy query compiles the whole library again and keeps the memory, so
    the tests run from one compiled bundle instead.
    """
    import regopy

    request = json.loads(sys.stdin.read())
    tests = request["tests"]
    files = request["files"]
    interpreter = load_interpreter(None if files is None else [Path(file) for file in files])
    entrypoints = {test: test.replace(".", "/") for test in tests}
    try:
        bundle = interpreter.build(None, list(entrypoints.values()))
    except regopy.RegoError as error:
        print(json.dumps({"build_error": str(error)}), flush=True)
        return
    for test, entrypoint in entrypoints.items():
        print(json.dumps({"started": test}), flush=True)
        result = classify(interpreter.query_bundle_entrypoint(bundle, entrypoint))
        print(json.dumps({"test": test, "result": result}), flush=True)


@pytest.mark.parametrize("rego_test", _collect_tests(), ids=lambda test: test.id)
def test_rego(rego_test: RegoTest) -> None:
    result = _results()[rego_test.id]
    where = f"{rego_test.rule} in {rego_test.path.relative_to(LIBRARY)}"
    assert result["outcome"] != "crash", f"regopy crashed evaluating {where}: {result['detail']}"
    assert result["outcome"] != "error", f"{where} raised an error: {result['detail']}"
    assert result["outcome"] != "undefined", f"{where} is undefined (a condition did not hold)"
    assert result["value"] is True, f"{where} evaluated to {result['value']!r}, not true"


@pytest.mark.parametrize("path", _test_files(), ids=lambda path: str(path.relative_to(LIBRARY)))
def test_file_defines_tests(path: Path) -> None:
    assert _TEST_RULE.search(path.read_text(encoding="utf-8")), f"{path} defines no test_* rule"


@pytest.mark.parametrize("path", _test_files(), ids=lambda path: str(path.relative_to(LIBRARY)))
def test_test_package_outside_library_tree(path: Path) -> None:
    # The gate iterates data.releasegate.controls, so test packages must not
    # add documents under data.releasegate.
    assert _package_of(path).startswith("releasegate_test."), (
        f"{path}: test packages belong under releasegate_test, not {_package_of(path)}"
    )


def test_library_has_tests() -> None:
    assert _collect_tests(), f"no Rego tests found under {LIBRARY}"


_FUNCTION = re.compile(r"^(_?[a-z][a-z0-9_]*)\(([^)]*)\)\s*(?::=|if\b|\{)", re.MULTILINE)


def test_function_names_have_one_arity() -> None:
    # regopy 1.5.2 fails to compile ("Unable to unify due to cycle") or
    # crashes when two packages define functions of one name with different
    # numbers of arguments.
    arities: dict[str, set[tuple[int, str]]] = {}
    for path in sorted(LIBRARY.rglob("*.rego")):
        for name, arguments in _FUNCTION.findall(path.read_text(encoding="utf-8")):
            arity = len([argument for argument in arguments.split(",") if argument.strip()])
            arities.setdefault(name, set()).add((arity, str(path.relative_to(LIBRARY))))
    clashes = {
        name: sorted(uses)
        for name, uses in arities.items()
        if len({arity for arity, _ in uses}) > 1
    }
    assert not clashes, f"functions defined with several arities: {clashes}"


def test_parameters_are_a_mapping() -> None:
    params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    assert isinstance(params, dict)
    assert set(params) == {
        "risk",
        "approvals",
        "vulnerabilities",
        "exceptions",
        "controls",
        "promotion",
        "source",
        "artifacts",
        "testing",
        "iac",
        "database",
        "events",
        "observability",
        "resilience",
        "rollout",
        "emergency",
        "detective",
        "ledger",
    }


# Control metadata: releasegate reads the `# METADATA` blocks when it loads
# the policies, because regopy does not expose rego.metadata at run time.

_CONTROL_FILES = sorted(
    path
    for layer in ("enterprise", "platform")
    for path in (LIBRARY / layer).glob("*.rego")
    if not path.name.endswith("_test.rego")
)


def _metadata_blocks(source: str) -> list[tuple[dict[str, Any], str]]:
    """Return each `# METADATA` block as YAML with the first code line after it."""
    blocks = []
    lines = source.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() != "# METADATA":
            index += 1
            continue
        index += 1
        yaml_lines = []
        while index < len(lines) and lines[index].startswith("#"):
            line = lines[index]
            yaml_lines.append(line[2:] if line.startswith("# ") else line[1:])
            index += 1
        target = lines[index] if index < len(lines) else ""
        blocks.append((yaml.safe_load("\n".join(yaml_lines)), target))
    return blocks


def test_enterprise_controls_present() -> None:
    names = {path.stem for path in _CONTROL_FILES if path.parent.name == "enterprise"}
    assert names == {
        "chg_1",
        "chg_2",
        "chg_3",
        "sod_1",
        "sod_2",
        "sod_3",
        "sod_4",
        "sod_5",
        "tst_1",
        "tst_2",
        "vul_1",
        "vul_2",
        "sec_1",
        "exc_1",
        "cal_1",
        "cal_2",
        "db_1",
        "db_2",
        "db_3",
        "api_1",
        "evt_1",
        "obs_1",
        "res_1",
        "res_2",
        "res_3",
        "emg_1",
        "emg_2",
        "det_1",
        "det_2",
        "det_3",
    }


def test_platform_controls_present() -> None:
    names = {path.stem for path in _CONTROL_FILES if path.parent.name == "platform"}
    assert names == {"src_1", "src_2", "art_1", "art_2", "art_3"} | {
        f"iac_{n}" for n in range(1, 10)
    }


@pytest.mark.parametrize("path", _CONTROL_FILES, ids=lambda path: path.stem)
def test_control_package_metadata(path: Path) -> None:
    blocks = _metadata_blocks(path.read_text(encoding="utf-8"))
    assert blocks, f"{path} has no METADATA block"
    metadata, target = blocks[0]
    assert target == f"package releasegate.controls.{path.stem}"
    assert isinstance(metadata["title"], str)
    assert isinstance(metadata["description"], str)
    custom = metadata["custom"]
    assert custom["id"].lower().replace("-", "_") == path.stem
    assert isinstance(custom["short_name"], str)
    assert isinstance(custom["blocking"], bool)
    assert custom["frameworks"]
    assert all(isinstance(framework, str) for framework in custom["frameworks"])
    assert isinstance(custom["failure_msg"], str)
    assert isinstance(custom["solution"], str)


@pytest.mark.parametrize("path", _CONTROL_FILES, ids=lambda path: path.stem)
def test_violation_rule_metadata(path: Path) -> None:
    rules = [
        (metadata, target)
        for metadata, target in _metadata_blocks(path.read_text(encoding="utf-8"))
        if target.startswith("violation ")
    ]
    source_rules = re.findall(
        r"^violation contains", path.read_text(encoding="utf-8"), re.MULTILINE
    )
    assert len(rules) == len(source_rules), f"{path}: every violation rule needs a METADATA block"
    for metadata, target in rules:
        assert isinstance(metadata["title"], str), target
        assert isinstance(metadata["description"], str), target
        assert isinstance(metadata["custom"]["short_name"], str), target
        assert isinstance(metadata["custom"]["failure_msg"], str), target
        assert isinstance(metadata["custom"]["solution"], str), target


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    _child()
