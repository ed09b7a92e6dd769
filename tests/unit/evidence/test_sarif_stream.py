"""SARIF read as a stream gives the same facts and errors as the in-memory parser."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from releasegate.documents import MAX_DOCUMENT_BYTES
from releasegate.evidence import EvidenceError
from releasegate.evidence.detect import parse_large_evidence
from releasegate.evidence.sarif import SarifParser
from releasegate.evidence.sarif_stream import parse_sarif_stream
from releasegate.model.evidence import ScanRun, Severity

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO.parent / "shared" / "corpus" / "sarif"


def in_memory(data: bytes) -> ScanRun:
    return SarifParser().parse(data, source="log.sarif")


def streamed(data: bytes) -> ScanRun:
    return parse_sarif_stream(io.BytesIO(data), source="log.sarif")


def reordered(document: dict[str, Any]) -> dict[str, Any]:
    """Return the log with runs before version and each run's results before its tool."""
    if not isinstance(document.get("runs"), list):
        return document
    runs = []
    for run in document["runs"]:
        if isinstance(run, dict) and "results" in run:
            run = {"results": run["results"], **{k: v for k, v in run.items() if k != "results"}}
        runs.append(run)
    rest = {key: value for key, value in document.items() if key != "runs"}
    return {"runs": runs, **rest}


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(path for path in CORPUS.iterdir() if path.is_file())


@pytest.mark.parametrize(
    "path", corpus_files() or [None], ids=lambda path: getattr(path, "name", "absent")
)
def test_corpus_logs_give_identical_facts(path: Path | None) -> None:
    if path is None:
        pytest.skip(f"corpus folder {CORPUS} is absent; the shared corpus is not checked out here")
    data = path.read_bytes()
    expected = in_memory(data)
    assert expected.findings, "every corpus log has findings"
    assert streamed(data) == expected
    # The outline pass must find the tool and version after the results too.
    document = json.loads(data)
    assert streamed(json.dumps(reordered(document)).encode()) == expected


def generated_log(results: int) -> dict[str, Any]:
    """Return a log that uses every feature the parser reads.

    Those are rule lookup by index and by id, extensions, artifacts by index, message
    strings, kinds, suppressions and invocations.
    """
    rules = [
        {"id": "CVE-2026-0001", "properties": {"security-severity": "9.8"}},
        {
            "id": "SQLI",
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["security", "high"]},
            "messageStrings": {"default": {"text": "tainted {0} reaches {1}"}},
        },
        {"id": "STYLE", "help": {"text": "Line one\nSeverity: LOW\n"}},
        {"id": "UNRATED", "properties": {"severity": "sometimes"}},
    ]
    extension_rules = [{"id": "EXT-1", "properties": {"security-severity": 5.5}}]
    entries: list[dict[str, Any]] = []
    for index in range(results):
        choice = index % 7
        entry: dict[str, Any]
        if choice == 0:
            entry = {
                "ruleId": "CVE-2026-0001",
                "ruleIndex": 0,
                "message": {"text": f"vulnerable package {index}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f"src/file{index}.py"},
                            "region": {"startLine": index + 1},
                        }
                    }
                ],
            }
        elif choice == 1:
            entry = {
                "ruleId": "SQLI",
                "ruleIndex": 3,
                "message": {"id": "default", "arguments": ["input", index]},
                "locations": [{"physicalLocation": {"artifactLocation": {"index": 1}}}],
                "partialFingerprints": {"primary": f"p{index}", "alt": "a"},
            }
        elif choice == 2:
            entry = {
                "ruleId": "STYLE/2",
                "level": "note",
                "message": {"text": "style"},
                "suppressions": [{"kind": "inSource", "status": "accepted"}],
            }
        elif choice == 3:
            entry = {
                "rule": {"id": "EXT-1", "index": 0, "toolComponent": {"index": 0}},
                "message": {"text": "from the extension"},
                "locations": [{"logicalLocations": [{"fullyQualifiedName": "pkg.mod"}]}],
            }
        elif choice == 4:
            entry = {
                "ruleId": "UNRATED",
                "message": {"text": "unrated"},
                "locations": [{"physicalLocation": {"artifactLocation": {"index": 9}}}],
            }
        elif choice == 5:
            entry = {"ruleId": "NOT-DEFINED", "kind": "pass", "message": {"text": "ok"}}
        else:
            entry = {
                "ruleId": "UNKNOWN-RULE",
                "properties": {"security-severity": "0.0"},
                "fingerprints": {"v1": f"f{index}"},
                "message": {"text": "x"},
            }
        entries.append(entry)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "Scanner", "rules": rules},
                    "extensions": [{"name": "plugin", "rules": extension_rules}],
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "endTimeUtc": "2026-12-01T10:00:00Z",
                        "toolConfigurationNotifications": [
                            {"level": "error", "message": {"text": "config broken"}}
                        ],
                    }
                ],
                "artifacts": [{"location": {"uri": "a.py"}}, {"location": {"uri": "b.py"}}],
                "results": entries,
                "columnKind": "utf16CodeUnits",
            },
            {
                "tool": {"driver": {"name": "Second"}},
                "invocations": [
                    {"executionSuccessful": True, "endTimeUtc": "2026-12-02T10:00:00Z"}
                ],
                "results": [{"ruleId": "R", "message": {"text": "second run"}}],
            },
        ],
    }


@pytest.mark.parametrize("results", [0, 1, 7, 300])
def test_generated_logs_give_identical_facts(results: int) -> None:
    document = generated_log(results)
    data = json.dumps(document).encode()
    expected = in_memory(data)
    assert len(expected.findings) == 1 + sum(1 for i in range(results) if i % 7 != 5)
    # The configuration notification has level "error", so the run counts as failed.
    assert expected.execution_successful is False
    assert streamed(data) == expected
    assert streamed(b"\xef\xbb\xbf" + json.dumps(document, indent=2).encode()) == expected
    assert streamed(json.dumps(reordered(document)).encode()) == expected


def test_generated_log_every_feature() -> None:
    scan = streamed(json.dumps(generated_log(7)).encode())
    by_rule = {finding.rule_id: finding for finding in scan.findings}
    assert by_rule["CVE-2026-0001"].severity is Severity.CRITICAL
    assert by_rule["CVE-2026-0001"].cve == "CVE-2026-0001"
    assert by_rule["SQLI"].message == "tainted input reaches 1"
    assert by_rule["SQLI"].location == "b.py"
    assert by_rule["SQLI"].fingerprint == "alt=a;primary=p1"
    assert by_rule["STYLE/2"].suppressed is True
    assert by_rule["STYLE/2"].severity is Severity.LOW
    assert by_rule["EXT-1"].severity is Severity.MEDIUM
    assert by_rule["EXT-1"].location == "pkg.mod"
    assert by_rule["UNKNOWN-RULE"].severity is Severity.INFO
    assert scan.tools == ("Scanner", "Second")
    assert "results with a kind other than 'fail' are not findings and were skipped (pass: 1)" in (
        " ".join(scan.warnings)
    )


def test_late_invocations_still_read() -> None:
    document = generated_log(7)
    run = document["runs"][0]
    invocations = run.pop("invocations")
    run["invocations"] = invocations  # Now after the results.
    data = json.dumps(document).encode()
    assert streamed(data) == in_memory(data)
    assert streamed(data).execution_successful is False


def error_of(read: Any, data: bytes) -> tuple[str, str | None]:
    """Return the error's text after the file and field (hint included), and the field."""
    with pytest.raises(EvidenceError) as caught:
        read(data)
    error = caught.value
    where = ": ".join(part for part in (error.source, error.field) if part)
    text = str(error)
    return text.removeprefix(f"{where}: "), error.field


@pytest.mark.parametrize(
    "change",
    [
        lambda log: log["runs"][0]["results"][3].update(level="fatal"),
        lambda log: log["runs"][0]["results"][2].update(kind="broken"),
        lambda log: log["runs"][0]["results"][1].update(ruleId=None, ruleIndex=None),
        lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
            "region"
        ].update(startLine=0),
        lambda log: log["runs"][0]["tool"]["driver"].update(name=" "),
        lambda log: log["runs"][1].pop("results"),
        lambda log: log["runs"][1].update(results={"not": "an array"}),
        lambda log: log.update(version="2.0.0"),
        lambda log: log.pop("version"),
        lambda log: log.update(runs=[]),
        lambda log: log.update(runs=None),
        lambda log: log["runs"].append("not a run"),
        lambda log: log["runs"][0]["results"].append(5),
        lambda log: log["runs"][0]["tool"]["driver"]["rules"][0]["properties"].update(
            {"security-severity": "11"}
        ),
    ],
)
def test_invalid_logs_give_the_same_error(change: Any) -> None:
    document = generated_log(7)
    change(document)
    data = json.dumps(document).encode()
    expected = error_of(in_memory, data)
    assert error_of(streamed, data) == expected
    assert error_of(streamed, json.dumps(reordered(document)).encode()) == expected


def test_duplicate_key_in_a_result_rejected() -> None:
    data = json.dumps(generated_log(3)).encode()
    duplicated = data.replace(
        b'"message": {"text": "style"}', b'"message": {"text": "style", "text": "hidden"}'
    )
    assert duplicated != data
    message, field = error_of(streamed, duplicated)
    assert message.startswith("invalid JSON: the key 'text' appears twice in one object\n")
    assert field is not None and field.startswith("near byte ")
    assert error_of(in_memory, duplicated)[0] == message


def test_same_key_in_sibling_objects_accepted() -> None:
    data = json.dumps(generated_log(14)).encode()
    assert len(streamed(data).findings) == 13


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"version": "2.1.0", "runs": [', "invalid JSON"),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": '
            b'[{"ruleId": "a", "properties": {"security-severity": NaN}}]}]}',
            "invalid JSON",
        ),
        (b'[{"version": "2.1.0"}]', "a SARIF log must be a JSON object, found array"),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": '
            b'[{"ruleId": "\xff"}]}]}',
            "invalid JSON",
        ),
    ],
)
def test_unreadable_logs_rejected(data: bytes, expected: str) -> None:
    message, _ = error_of(streamed, data)
    assert message.startswith(expected)
    with pytest.raises(EvidenceError):
        in_memory(data)


def write_large_log(path: Path, tool: str, minimum_bytes: int) -> int:
    count = 0
    with path.open("w") as out:
        out.write(
            '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "'
            + tool
            + '", "rules": [{"id": "R1", "properties": {"security-severity": "7.5"}}]}}, '
            '"results": ['
        )
        written = 0
        while written < minimum_bytes:
            text = ("," if count else "") + json.dumps(
                {
                    "ruleId": "R1",
                    "ruleIndex": 0,
                    "message": {"text": "x" * 2000},
                    "locations": [
                        {"physicalLocation": {"artifactLocation": {"uri": f"f{count}.py"}}}
                    ],
                }
            )
            out.write(text)
            written += len(text)
            count += 1
        out.write("]}]}")
    return count


def test_large_sarif_streamed(tmp_path: Path) -> None:
    path = tmp_path / "big.sarif"
    count = write_large_log(path, "CodeQL", MAX_DOCUMENT_BYTES + 1024)
    size = path.stat().st_size
    format_name, scan = parse_large_evidence(path, size=size)
    assert format_name == "sarif"
    assert isinstance(scan, ScanRun)
    assert len(scan.findings) == count
    assert scan.findings[-1].location == f"f{count - 1}.py"
    assert {finding.severity for finding in scan.findings} == {Severity.HIGH}
    assert scan == in_memory(path.read_bytes())


def test_large_gitleaks_sarif_is_secret_scan(tmp_path: Path) -> None:
    path = tmp_path / "gitleaks.sarif"
    count = write_large_log(path, "gitleaks", MAX_DOCUMENT_BYTES + 1024)
    _, facts = parse_large_evidence(path, size=path.stat().st_size)
    assert isinstance(facts, ScanRun)
    assert facts.category == "secret"
    assert facts.execution_successful is True
    assert len(facts.findings) == count


def test_key_like_a_result_path_rejected() -> None:
    document = generated_log(1)
    document["runs"][0]["results.item"] = [{"ruleId": "R"}]
    message, field = error_of(streamed, json.dumps(document).encode())
    assert message.startswith("ambiguous key 'results.item': when the log is read as a stream")
    assert field == "runs.item"


def test_unread_rule_parts_change_nothing() -> None:
    document = generated_log(7)
    rule = document["runs"][0]["tool"]["driver"]["rules"][1]
    rule["fullDescription"] = {"text": "long text", "markdown": "**long**"}
    rule["help"] = {
        "text": "Vulnerability SQLI\n\n  Severity: CRITICAL \nSeverity: LOW\nLink: x",
        "markdown": "Severity: LOW",
    }
    scan = streamed(json.dumps(document).encode())
    assert scan == in_memory(json.dumps(document).encode())
    sqli = next(finding for finding in scan.findings if finding.rule_id == "SQLI")
    assert sqli.severity is Severity.CRITICAL
    assert sqli.message == "tainted input reaches 1"


def test_duplicate_key_in_unread_rule_part_rejected() -> None:
    data = json.dumps(generated_log(3)).encode()
    duplicated = data.replace(
        b'"id": "STYLE",', b'"id": "STYLE", "fullDescription": {"text": "a", "text": "b"},'
    )
    assert duplicated != data
    message, _ = error_of(streamed, duplicated)
    assert message.startswith("invalid JSON: the key 'text' appears twice in one object\n")


class ShrinkingStream(io.BytesIO):
    """A file that a scanner rewrites between the two passes: the second read is shorter."""

    def __init__(self, first: bytes, second: bytes) -> None:
        super().__init__(first)
        self.second = second

    def seek(self, offset: int, whence: int = 0) -> int:
        finished = self.tell() == len(self.getvalue())
        if offset == 0 and whence == 0 and finished and self.second:
            self.__init__(self.second, b"")  # type: ignore[misc]
        return super().seek(offset, whence)


def test_file_shrunk_between_passes_rejected() -> None:
    longer = json.dumps(generated_log(7)).encode()
    shorter = json.dumps(generated_log(3)).encode()
    with pytest.raises(EvidenceError) as caught:
        parse_sarif_stream(ShrinkingStream(longer, shorter), source="log.sarif")
    assert "the file changed while it was read" in str(caught.value)
    assert caught.value.field == "runs[0].results"
