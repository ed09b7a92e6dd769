"""Small JSON records that pipelines send: pull requests, synthetic tests, commit signatures.

These are releasegate's own formats (documented in docs/evidence.md), so the readers
are written here. Each document names its format in `_type`.
"""

from __future__ import annotations

import re
from typing import Any

from releasegate.evidence._vuln import optional_text, parse_time
from releasegate.evidence.interface import EvidenceError
from releasegate.evidence.sarif import load_json
from releasegate.model.evidence import EvidenceKind
from releasegate.model.integrity import (
    CommitSignature,
    CommitSignatureReport,
    PullRequestFacts,
    Review,
    SyntheticRunFacts,
)

PULL_REQUEST_TYPE = "https://releasegate.dev/pull-request/v1"
SYNTHETIC_TEST_TYPE = "https://releasegate.dev/synthetic-test/v1"
COMMIT_SIGNATURES_TYPE = "https://releasegate.dev/commit-signatures/v1"

_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_PR_STATES = ("open", "merged", "closed")
_REVIEW_STATES = ("approved", "changes_requested", "commented", "dismissed")


class _Reader:
    def __init__(self, document: Any, source: str, hint: str) -> None:
        if not isinstance(document, dict):
            raise EvidenceError("document is not a JSON object", source=source, hint=hint)
        self.document = document
        self.source = source
        self.hint = hint

    def fail(self, field: str, message: str) -> EvidenceError:
        return EvidenceError(message, source=self.source, field=field, hint=self.hint)

    def text(
        self,
        field: str,
        *,
        required: bool = True,
        owner: dict[str, Any] | None = None,
        path: str | None = None,
    ) -> str | None:
        value = (owner if owner is not None else self.document).get(field)
        text = optional_text(value)
        if text is None and (required or value is not None):
            raise self.fail(path or field, f"{path or field} must be a non-empty string")
        return text

    def choice(
        self,
        field: str,
        choices: tuple[str, ...],
        *,
        owner: dict[str, Any] | None = None,
        path: str | None = None,
    ) -> str:
        value = self.text(field, owner=owner, path=path)
        if value not in choices:
            raise self.fail(
                path or field, f"{path or field} is {value!r}, not one of {', '.join(choices)}"
            )
        assert value is not None
        return value

    def commit(
        self,
        field: str,
        *,
        required: bool,
        owner: dict[str, Any] | None = None,
        path: str | None = None,
    ) -> str | None:
        value = self.text(field, required=required, owner=owner, path=path)
        if value is not None and not _COMMIT.match(value.lower()):
            raise self.fail(path or field, f"{path or field} {value!r} is not a full commit id")
        return value.lower() if value else None

    def count(self, field: str) -> int:
        value = self.document.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(field, f"{field} must be a whole number of at least 0")
        return value

    def array(self, field: str) -> list[Any]:
        value = self.document.get(field, [])
        if not isinstance(value, list):
            raise self.fail(field, f"{field} must be an array")
        return value


class PullRequestParser:
    """Parser for a pull request record from the Git host, as the pipeline sends it."""

    format = "pull-request"
    kind = EvidenceKind.PULL_REQUEST

    def parse(self, data: bytes, *, source: str) -> PullRequestFacts:
        """Read a pull request record; raises EvidenceError naming the invalid field."""
        reader = _Reader(
            load_json(data, source=source),
            source,
            "See docs/evidence.md for the pull-request record format.",
        )
        reviews = []
        for index, value in enumerate(reader.array("reviews")):
            path = f"reviews[{index}]"
            if not isinstance(value, dict):
                raise reader.fail(path, f"{path} must be an object")
            reviews.append(
                Review(
                    reviewer=reader.text("reviewer", owner=value, path=f"{path}.reviewer") or "",
                    state=reader.choice("state", _REVIEW_STATES, owner=value, path=f"{path}.state"),
                    commit=reader.commit(
                        "commit", required=False, owner=value, path=f"{path}.commit"
                    ),
                )
            )
        protected = reader.document.get("base_branch_protected")
        if protected is not None and not isinstance(protected, bool):
            raise reader.fail(
                "base_branch_protected", "base_branch_protected must be true or false"
            )
        return PullRequestFacts(
            format=self.format,
            url=reader.text("url", required=False),
            repository=reader.text("repository", required=False),
            state=reader.choice("state", _PR_STATES),
            merge_commit=reader.commit("merge_commit", required=False),
            head_commit=reader.commit("head_commit", required=True),
            base_branch=reader.text("base_branch"),
            base_branch_protected=protected,
            author=reader.text("author"),
            reviews=tuple(reviews),
        )


class SyntheticTestParser:
    """Parser for a run of synthetic business transactions (see docs/evidence.md)."""

    format = "synthetic-test"
    kind = EvidenceKind.SYNTHETIC_TEST

    def parse(self, data: bytes, *, source: str) -> SyntheticRunFacts:
        """Read a synthetic test run; totals are counted from its transactions."""
        reader = _Reader(
            load_json(data, source=source),
            source,
            "See docs/evidence.md for the synthetic-test format.",
        )
        digests = []
        for index, value in enumerate(reader.array("artifact_digests")):
            if not isinstance(value, str) or not _DIGEST.match(value.lower()):
                raise reader.fail(
                    f"artifact_digests[{index}]",
                    f"artifact_digests[{index}] is not a sha256 digest",
                )
            digests.append(value.lower())
        if not digests:
            raise reader.fail(
                "artifact_digests", "artifact_digests is empty, so the run tests no known artifact"
            )
        transactions = reader.array("transactions")
        if not transactions:
            raise reader.fail(
                "transactions",
                "transactions is empty, and a run without transactions proves nothing",
            )
        failures = 0
        for index, value in enumerate(transactions):
            path = f"transactions[{index}]"
            if not isinstance(value, dict):
                raise reader.fail(path, f"{path} must be an object")
            reader.text("name", owner=value, path=f"{path}.name")
            outcome = reader.choice(
                "outcome", ("passed", "failed"), owner=value, path=f"{path}.outcome"
            )
            if outcome != "passed":
                failures += 1
        return SyntheticRunFacts(
            format=self.format,
            environment=reader.text("environment") or "",
            finance_process=reader.text("finance_process") or "",
            scenario=reader.text("scenario") or "",
            artifact_digests=tuple(digests),
            transactions=len(transactions),
            failures=failures,
            passed=failures == 0,
            started_at=parse_time(reader.document.get("started_at")),
            finished_at=parse_time(reader.document.get("finished_at")),
        )


class CommitSignaturesParser:
    """Parser for the commit signature report `releasegate evidence verify-commits` writes."""

    format = "commit-signatures"
    kind = EvidenceKind.COMMIT_SIGNATURES

    def parse(self, data: bytes, *, source: str) -> CommitSignatureReport:
        """Read a commit signature report; raises EvidenceError naming the invalid field."""
        reader = _Reader(
            load_json(data, source=source),
            source,
            "Produce the report with `releasegate evidence verify-commits`.",
        )
        commits = []
        for index, value in enumerate(reader.array("commits")):
            path = f"commits[{index}]"
            if not isinstance(value, dict):
                raise reader.fail(path, f"{path} must be an object")
            verified = value.get("verified")
            if not isinstance(verified, bool):
                raise reader.fail(f"{path}.verified", f"{path}.verified must be true or false")
            commits.append(
                CommitSignature(
                    commit=reader.commit(
                        "commit", required=True, owner=value, path=f"{path}.commit"
                    )
                    or "",
                    verified=verified,
                    signer=reader.text("signer", required=False, owner=value),
                    key_id=reader.text("key_id", required=False, owner=value),
                    method=reader.text("method", required=False, owner=value),
                    detail=reader.text("detail", required=False, owner=value) or "",
                )
            )
        if not commits:
            raise reader.fail("commits", "report lists no commits")
        return CommitSignatureReport(
            format=self.format,
            repository=reader.text("repository", required=False),
            commits=tuple(commits),
        )
