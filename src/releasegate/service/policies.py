"""Policy use cases: keep every revision that decided, replay decisions, evaluate offline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releasegate.documents import read_bytes
from releasegate.errors import InputError, LedgerIntegrityError, NotFoundError
from releasegate.model import Decision, DecisionOutcome
from releasegate.policy.decide import Verdict, decide
from releasegate.policy.engine import compile_policy
from releasegate.policy.layers import PolicySet, build_policy_set
from releasegate.service.app import Application
from releasegate.store.tables import DecisionRow


def recall_policy(app: Application, manifest_sha256: str) -> PolicySet:
    """Rebuild the policy set from a `store_policy_files` manifest and check its revision."""
    manifest = json.loads(app.blobs.get(manifest_sha256))
    files = [(entry["path"], app.blobs.get(entry["sha256"])) for entry in manifest["files"]]
    policy = build_policy_set(files)
    if policy.revision != manifest["revision"]:
        raise LedgerIntegrityError(
            f"policy files of manifest {manifest_sha256[:12]} hash to revision "
            f"{policy.revision[:12]}, not the recorded {manifest['revision'][:12]}",
            hint="the blob store was modified; restore it from backup",
        )
    return policy


@dataclass(frozen=True)
class Replay:
    """A stored decision next to its re-evaluation under the pinned revision."""

    decision: Decision
    verdict: Verdict

    @property
    def differences(self) -> list[str]:
        before = {r.control_id: r.outcome.value for r in self.decision.results}
        after = {r.control_id: r.outcome.value for r in self.verdict.results}
        changes = [
            f"{cid}: {before.get(cid, 'absent')} then, {after.get(cid, 'absent')} now"
            for cid in sorted(before.keys() | after.keys())
            if before.get(cid) != after.get(cid)
        ]
        if self.decision.outcome is not self.verdict.outcome:
            changes.insert(
                0, f"verdict: {self.decision.outcome.value} then, {self.verdict.outcome.value} now"
            )
        return changes

    @property
    def same(self) -> bool:
        return not self.differences


def replay_decision(app: Application, decision_id: str) -> Replay:
    """Re-evaluate a stored decision's input document with its pinned policy revision.

    Steps:
    1. Load the decision and its input document from the blob store.
    2. Rebuild the policy set from the stored files and check its revision.
    3. Evaluate and compare the verdict and each control's outcome.
    """
    # 1. Decision and input.
    with app.database.transaction() as session:
        row = session.get(DecisionRow, decision_id)
        if row is None:
            raise NotFoundError(
                f"decision {decision_id!r} not found",
                hint="decision ids are printed by 'releasegate gate' and 'release show'",
            )
        decision = Decision.model_validate_json(row.decision_json)
    if not decision.policy_files_sha256:
        raise NotFoundError(
            f"decision {decision_id} was made before policy files were kept, so it cannot be "
            "replayed",
            hint="replay a newer decision",
        )
    document = json.loads(app.blobs.get(decision.input_sha256))

    # 2. Pinned policy.
    policy = recall_policy(app, decision.policy_files_sha256)
    if policy.revision != decision.policy_revision:
        raise LedgerIntegrityError(
            f"decision {decision_id} names revision {decision.policy_revision[:12]} but its "
            f"policy files are revision {policy.revision[:12]}",
            hint="the decision record was modified; check 'releasegate ledger verify'",
        )

    # 3. Evaluation.
    verdict = decide(policy, compile_policy(policy).evaluate(document), document)
    return Replay(decision, verdict)


def evaluate_document(app: Application, path: Path) -> tuple[PolicySet, Verdict]:
    """Evaluate an input document file against the current policies, storing nothing."""
    return evaluate_input(app, read_bytes(path, what="input document"), source=str(path))


def evaluate_input(app: Application, raw: bytes, *, source: str) -> tuple[PolicySet, Verdict]:
    """Evaluate the bytes of a JSON input document; `source` names it in errors."""
    try:
        document: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            f"not a JSON document ({exc})",
            source=source,
            hint="pass a policy input document as JSON",
        ) from exc
    if not isinstance(document, dict) or not isinstance(document.get("release"), dict):
        raise InputError(
            "the document has no 'release' object",
            source=source,
            field="release",
            hint="see docs/policy-input.md for the input document's shape",
        )
    service = document["release"].get("service")
    policy = app.policy(service if isinstance(service, str) else None)
    return policy, decide(policy, compile_policy(policy).evaluate(document), document)


def outcome_exit(outcome: DecisionOutcome) -> int:
    return {DecisionOutcome.ALLOW: 0, DecisionOutcome.DENY: 1, DecisionOutcome.PENDING: 3}[outcome]
