"""Create, read and list releases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from releasegate.documents import parse_yaml, read_bytes, validate
from releasegate.errors import InputError, NotFoundError
from releasegate.ledger.canonical import canonical_json
from releasegate.model import Release, ReleaseManifest, ReleaseStatus
from releasegate.service.app import Application
from releasegate.service.ids import new_id
from releasegate.store.ledger import append_entry
from releasegate.store.mappers import release_from_row
from releasegate.store.tables import ReleaseRow


def load_manifest(path: Path) -> ReleaseManifest:
    """Read and validate a release manifest (YAML or JSON)."""
    source = str(path)
    return validate(
        ReleaseManifest,
        parse_yaml(read_bytes(path, what="release manifest"), source=source),
        source=source,
    )


def _manifest_facts(manifest: ReleaseManifest, manifest_sha256: str) -> dict[str, object]:
    """The manifest's facts that the release's ledger entries record."""
    return {
        "service": manifest.service,
        "version": manifest.version,
        "change_type": manifest.change_type.value,
        "manifest_sha256": manifest_sha256,
        "artifact_digests": sorted(a.digest for a in manifest.artifacts),
        "source_commit": manifest.source_commit,
        "requester": manifest.requester,
    }


def create_release(app: Application, manifest: ReleaseManifest, *, source: str) -> Release:
    """Store a release and its ledger entry in one transaction."""
    if app.catalog.service(manifest.service) is None:
        known = ", ".join(s.name for s in app.catalog.services)
        raise InputError(
            f"service {manifest.service!r} is not in the catalog",
            source=source,
            field="service",
            hint=f"use one of: {known}; or add the service to the catalog first",
        )
    now = app.clock()
    encoded = canonical_json(manifest.model_dump(mode="json"))
    manifest_sha256 = app.blobs.put(encoded)
    release_id = new_id("rel")
    with app.database.transaction() as session:
        session.add(
            ReleaseRow(
                id=release_id,
                service=manifest.service,
                version=manifest.version,
                change_type=manifest.change_type.value,
                status=ReleaseStatus.CREATED.value,
                manifest_json=encoded.decode("utf-8"),
                manifest_sha256=manifest_sha256,
                created_at=now,
                updated_at=now,
            )
        )
        append_entry(
            session,
            entry_type="release.created",
            subject=release_id,
            recorded_at=now,
            data=_manifest_facts(manifest, manifest_sha256),
        )
    return Release(
        id=release_id,
        manifest=manifest,
        status=ReleaseStatus.CREATED,
        created_at=now,
        manifest_sha256=manifest_sha256,
    )


def get_release(app: Application, release_id: str) -> Release:
    with app.database.transaction() as session:
        row = session.get(ReleaseRow, release_id)
        if row is None:
            raise NotFoundError(
                f"release {release_id!r} not found",
                hint="list releases with 'releasegate release list'",
            )
        return release_from_row(row)


def list_releases(
    app: Application, *, service: str | None = None, limit: int = 50
) -> list[Release]:
    query = select(ReleaseRow).order_by(ReleaseRow.created_at.desc(), ReleaseRow.id.desc())
    if service:
        query = query.where(ReleaseRow.service == service)
    with app.database.transaction() as session:
        return [release_from_row(r) for r in session.scalars(query.limit(limit))]


def update_release(
    app: Application, release_id: str, manifest: ReleaseManifest, *, source: str, identity: str
) -> Release:
    """Replace the manifest of a release with a new revision (new commits or artifacts).

    Approvals given before stay recorded, but lapse when the digests or the
    commits differ from the ones they name (SOD-4), so the new revision needs
    new approvals.
    """
    current = get_release(app, release_id)
    if manifest.service != current.manifest.service:
        raise InputError(
            f"release {release_id} belongs to {current.manifest.service}, not {manifest.service}",
            source=source,
            field="service",
            hint="create a new release for another service",
        )
    now = app.clock()
    encoded = canonical_json(manifest.model_dump(mode="json"))
    manifest_sha256 = app.blobs.put(encoded)
    with app.database.transaction() as session:
        row = session.get(ReleaseRow, release_id, with_for_update=True)
        assert row is not None  # loaded above and releases are never deleted
        previous_sha256 = row.manifest_sha256
        row.version = manifest.version
        row.change_type = manifest.change_type.value
        row.manifest_json = encoded.decode("utf-8")
        row.manifest_sha256 = manifest_sha256
        row.status = ReleaseStatus.CREATED.value
        row.updated_at = now
        append_entry(
            session,
            entry_type="release.updated",
            subject=release_id,
            recorded_at=now,
            data={
                **_manifest_facts(manifest, manifest_sha256),
                "previous_manifest_sha256": previous_sha256,
                "previous_artifact_digests": sorted(
                    a.digest for a in current.manifest.artifacts
                ),
                "previous_source_commit": current.manifest.source_commit,
                "commits": [c.sha for c in manifest.commits],
                "updated_by": identity,
            },
        )
        return release_from_row(row)
