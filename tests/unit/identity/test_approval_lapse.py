"""Why an approval lapses: digests, source commit, commits, policy revision, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from releasegate.model import Approval, ApprovalDecision, Release, ReleaseManifest, ReleaseStatus
from releasegate.policy.input import approval_is_current, approval_lapse_reasons

NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
DIGEST = "sha256:" + "b" * 64
COMMIT = "a" * 40


def release(**changes) -> Release:
    manifest = {
        "service": "payments-api",
        "version": "1",
        "description": "d",
        "change_type": "normal",
        "source_commit": COMMIT,
        "artifacts": [{"name": "api", "digest": DIGEST}],
        "authors": ["alice"],
        "requester": "alice",
        "commits": [{"sha": COMMIT, "author": "alice"}],
        **changes,
    }
    return Release(
        id="rel-1",
        manifest=ReleaseManifest.model_validate(manifest),
        status=ReleaseStatus.CREATED,
        created_at=NOW,
        manifest_sha256="0" * 64,
    )


APPROVAL = Approval(
    id="apr-1",
    release_id="rel-1",
    approver="dana",
    decision=ApprovalDecision.APPROVE,
    artifact_digests=(DIGEST,),
    policy_revision="rev-1",
    created_at=NOW - timedelta(hours=1),
    expires_at=NOW + timedelta(hours=1),
    role="business_control",
    source_commit=COMMIT,
    commit_shas=(COMMIT,),
)


def test_current_approval_has_no_reasons():
    assert approval_lapse_reasons(APPROVAL, release(), "rev-1", NOW) == []
    assert approval_is_current(APPROVAL, release(), "rev-1", NOW)


def test_new_commit_lapses():
    new = "c" * 40
    reasons = approval_lapse_reasons(
        APPROVAL,
        release(
            source_commit=new, commits=[{"sha": COMMIT, "author": "a"}, {"sha": new, "author": "a"}]
        ),
        "rev-1",
        NOW,
    )
    assert reasons == [
        f"it was given for source commit {COMMIT}, and the release is now at commit {new}",
        f"the release's commits changed after it was given (new: {new[:12]})",
    ]


def test_policy_revision_and_expiry_lapse():
    reasons = approval_lapse_reasons(APPROVAL, release(), "rev-2", NOW + timedelta(hours=1))
    assert reasons == [
        "it was given under policy revision rev-1, and the current revision is rev-2",
        "it expired at 2026-12-04T21:00:00.000000Z",
    ]


def test_approval_without_commit_binding_checks_digests_only():
    legacy = APPROVAL.model_copy(update={"source_commit": None, "commit_shas": ()})
    assert approval_lapse_reasons(legacy, release(source_commit="c" * 40), "rev-1", NOW) == []
