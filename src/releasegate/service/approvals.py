"""Record approvals and rejections of a release."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from releasegate.clock import rfc3339
from releasegate.errors import InputError, PermissionDeniedError
from releasegate.identity.chain import conflicts_of, describe_collision, participants
from releasegate.model import Approval, ApprovalDecision
from releasegate.model.common import Identity
from releasegate.service.app import Application
from releasegate.service.ids import new_id
from releasegate.service.releases import get_release
from releasegate.store.ledger import append_entry, entries_for
from releasegate.store.mappers import approval_from_row
from releasegate.store.tables import ApprovalRow

_IDENTITY = TypeAdapter(Identity)

# Roles an approval can be given in: the service's approval roles and the
# security approver that IAC-8 requires.
APPROVAL_ROLES = ("engineering", "business_control", "cab", "security")


def parse_identity(value: str, *, source: str) -> str:
    try:
        return _IDENTITY.validate_python(value)
    except ValidationError as exc:
        raise InputError(
            f"invalid identity {value!r}: {exc.errors()[0]['msg']}",
            source=source,
            hint="pass a user name such as 'dana' or an e-mail address",
        ) from exc


def token_groups(app: Application, authenticated: dict[str, Any] | None) -> tuple[str, ...]:
    """Catalog groups a verified OIDC user token granted, as the identities file maps them now.

    `authenticated` is the credential record of an approval (`Principal.record`).
    Only OIDC user tokens grant groups: a personal API token, a workload token
    or a plain --as grants none. A pair counts only while the issuer's
    group_map still maps the IdP group to the catalog group, so removing a
    mapping (a governed change) withdraws what it granted.
    """
    if not authenticated or authenticated.get("kind") != "oidc":
        return ()
    recorded = {
        (entry.get("idp_group"), entry.get("group"))
        for entry in authenticated.get("granted_groups") or ()
        if isinstance(entry, dict)
    }
    issuer = authenticated.get("credential")
    if not recorded or not isinstance(issuer, str):
        return ()
    current = app.directory.granted_groups(
        issuer, [idp for idp, _ in recorded if isinstance(idp, str)]
    )
    return tuple(dict.fromkeys(group for idp, group in current if (idp, group) in recorded))


def _approval_role(
    app: Application,
    identity: str,
    service: str,
    role: str | None,
    granted: tuple[str, ...] = (),
) -> str | None:
    """Return the role the approval is given in, checking the approver holds it (SOD-3)."""
    directory = app.directory
    person = directory.resolve(identity)
    if person is None:
        raise PermissionDeniedError(
            f"SOD-3: {identity} is not a known identity (no person in the identity directory "
            "or the catalog has this alias), so an approval from them would not count as a "
            "distinct person",
            hint="approve under an alias listed for you in identities.yaml or the catalog",
        )
    held = [
        r
        for r in directory.roles_of(app.catalog, identity, service, granted)
        if r in APPROVAL_ROLES
    ]
    if role is not None:
        if role not in held:
            raise PermissionDeniedError(
                f"SOD-3: {identity} (person {person.id}) does not hold role {role} for "
                f"{service}; roles held: {', '.join(held) or 'none'}",
                hint="approve in a role you hold, or ask someone who holds it",
            )
        return role
    if len(held) > 1:
        raise InputError(
            f"{identity} holds several approval roles for {service} ({', '.join(held)}), and "
            "one approval counts for one role only",
            source="--role",
            hint="name the role you approve in with --role",
        )
    if held:
        return held[0]
    if not directory.groups_of(app.catalog, identity, granted):
        raise PermissionDeniedError(
            f"{identity} is not a member of any catalog group, so an approval from them "
            "would not count",
            hint="approve as a member of the service's owner groups or the CAB, or add the "
            "identity to the catalog",
        )
    return None


def record_approval(
    app: Application,
    release_id: str,
    *,
    approver: str,
    decision: ApprovalDecision,
    comment: str | None = None,
    role: str | None = None,
    digests: tuple[str, ...] | None = None,
    authenticated: dict[str, Any] | None = None,
) -> Approval:
    """Record a verdict bound to the release's digests, commits and the current policy revision.

    The approver is compared with every author, co-author, committer, signer
    and the requester as a person, through the identity directory's aliases,
    and may not be any of them (SOD-1). The gate checks the same rules again
    for approvals that reach it another way. `digests`, when given, are the
    digests the approver reviewed; they must be the release's (SOD-4).
    `authenticated` describes the verified credential the approver acted with.
    """
    identity = parse_identity(approver, source="--as")
    if role is not None and role not in APPROVAL_ROLES:
        raise InputError(
            f"unknown approval role {role!r}",
            source="--role",
            hint=f"use one of: {', '.join(APPROVAL_ROLES)}",
        )
    release = get_release(app, release_id)
    manifest = release.manifest
    directory = app.directory
    release_digests = tuple(sorted(a.digest for a in manifest.artifacts))
    if digests is not None and tuple(sorted(set(digests))) != release_digests:
        raise PermissionDeniedError(
            f"SOD-4: {identity} approves artifact digests {', '.join(sorted(digests))}, but "
            f"release {release.id} is {', '.join(release_digests)}; an approval counts only "
            "for the digests it was given for",
            hint="review and approve the release's current artifacts",
        )
    if decision is ApprovalDecision.APPROVE:
        chain = participants(manifest, directory)
        found = conflicts_of(identity, chain, directory)
        if found:
            raise PermissionDeniedError(
                f"SOD-1: {describe_collision(identity, directory.person_id(identity), found)} "
                f"of release {release.id} and may not approve it",
                hint="ask an engineering approver or control owner who did not work on the change",
            )
    granted = token_groups(app, authenticated)
    held_role = _approval_role(app, identity, manifest.service, role, granted)
    person = directory.person_id(identity)
    revision = app.policy(manifest.service).revision
    now = app.clock()
    commit_shas = tuple(c.sha for c in manifest.commits)
    approval = Approval(
        id=new_id("apr"),
        release_id=release.id,
        approver=identity,
        decision=decision,
        artifact_digests=release_digests,
        policy_revision=revision,
        comment=comment,
        created_at=now,
        expires_at=now + timedelta(hours=app.settings.approval_ttl_hours),
        role=held_role,
        source_commit=manifest.source_commit,
        commit_shas=commit_shas,
        token_groups=granted,
    )
    with app.database.transaction() as session:
        session.add(
            ApprovalRow(
                id=approval.id,
                release_id=approval.release_id,
                approver=approval.approver,
                decision=approval.decision.value,
                artifact_digests_json=json.dumps(list(approval.artifact_digests)),
                policy_revision=revision,
                comment=comment,
                created_at=now,
                expires_at=approval.expires_at,
                role=held_role,
                source_commit=manifest.source_commit,
                commit_shas_json=json.dumps(list(commit_shas)),
                authenticated_as=None if authenticated is None else authenticated.get("subject"),
            )
        )
        append_entry(
            session,
            entry_type="approval.recorded",
            subject=release.id,
            recorded_at=now,
            data={
                "approval_id": approval.id,
                "approver": identity,
                "person": person,
                "decision": decision.value,
                "role": held_role,
                "comment": comment,
                "groups": list(directory.groups_of(app.catalog, identity, granted)),
                "token_groups": list(granted),
                "artifact_digests": list(approval.artifact_digests),
                "source_commit": manifest.source_commit,
                "commit_shas": list(commit_shas),
                "policy_revision": revision,
                "expires_at": rfc3339(approval.expires_at),
                "authenticated": authenticated,
            },
        )
    return approval


def list_approvals(app: Application, release_id: str) -> list[Approval]:
    with app.database.transaction() as session:
        rows = session.scalars(
            select(ApprovalRow)
            .where(ApprovalRow.release_id == release_id)
            .order_by(ApprovalRow.created_at, ApprovalRow.id)
        ).all()
        credentials = {
            entry.body["data"].get("approval_id"): entry.body["data"].get("authenticated")
            for entry in entries_for(session, release_id)
            if entry.entry_type == "approval.recorded"
        }
    approvals = []
    for row in rows:
        approval = approval_from_row(row)
        granted = token_groups(app, credentials.get(approval.id))
        if granted:
            approval = approval.model_copy(update={"token_groups": granted})
        approvals.append(approval)
    return approvals


def approval_history(app: Application, release_id: str) -> list[dict[str, Any]]:
    """Return every approval of a release with its state now: current, superseded or lapsed.

    An approval is superseded by a later one of the same person, and lapsed
    when its expiry, its digests, its commit or the policy revision it was
    given under no longer fit the release (the reasons are listed).
    """
    from releasegate.policy.input import approval_lapse_reasons

    release = get_release(app, release_id)
    revision = app.policy(release.manifest.service).revision
    now = app.clock()
    directory = app.directory
    approvals = list_approvals(app, release_id)
    newest: dict[str, str] = {}
    for approval in approvals:
        newest[directory.person_id(approval.approver) or approval.approver] = approval.id
    history: list[dict[str, Any]] = []
    for approval in approvals:
        person = directory.person_id(approval.approver)
        reasons = approval_lapse_reasons(approval, release, revision, now)
        if newest[person or approval.approver] != approval.id:
            state = "superseded"
        elif reasons:
            state = "lapsed"
        else:
            state = "current"
        history.append(
            {
                **approval.model_dump(mode="json"),
                "person": person,
                "state": state,
                "lapsed_because": reasons,
            }
        )
    return history
