"""Attach change analyses (plans, migrations, API and event schemas) to a release.

An analysis reads one or more files; the raw files are kept in the blob store
by SHA-256, listed in one canonical manifest blob, and the normalized report
is kept beside them. The evidence row and its ledger entry are written in one
transaction, as for every other kind of evidence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from releasegate.ledger.canonical import canonical_json
from releasegate.model import EvidenceKind, EvidenceRecord
from releasegate.model.change import (
    ApiChangeReport,
    ChangeReport,
    EventSchemaReport,
    IacPlanReport,
    MigrationReport,
)
from releasegate.service.app import Application
from releasegate.service.ids import new_id
from releasegate.service.releases import get_release
from releasegate.store.ledger import append_entry
from releasegate.store.tables import EvidenceRow

REPORT_MODELS: dict[EvidenceKind, type[ChangeReport]] = {
    EvidenceKind.IAC_PLAN: IacPlanReport,
    EvidenceKind.MIGRATIONS: MigrationReport,
    EvidenceKind.API_CHANGES: ApiChangeReport,
    EvidenceKind.EVENT_SCHEMAS: EventSchemaReport,
}
"""The report model stored for each kind of change evidence."""


def attach_change_report(
    app: Application,
    release_id: str,
    *,
    kind: EvidenceKind,
    format: str,
    report: ChangeReport,
    files: Sequence[tuple[str, bytes]],
    summary: dict[str, int | str | bool | None],
) -> EvidenceRecord:
    """Store the raw `files` and the `report`, and record both in the ledger."""
    release = get_release(app, release_id)
    now = app.clock()
    listed = [
        {"name": name, "sha256": app.blobs.put(data), "size": len(data)} for name, data in files
    ]
    if len(files) == 1:
        sha256, filename, size = listed[0]["sha256"], files[0][0], len(files[0][1])
    else:
        manifest = canonical_json({"files": listed})
        sha256 = app.blobs.put(manifest)
        filename = f"{len(files)} files: " + ", ".join(name for name, _ in files)
        size = len(manifest)
    facts_sha256 = app.blobs.put(canonical_json(report.model_dump(mode="json")))
    record = EvidenceRecord(
        id=new_id("ev"),
        release_id=release.id,
        kind=kind,
        format=format,
        sha256=str(sha256),
        filename=filename[:500],
        size=int(size),
        commit=None,
        collected_at=now,
        summary=summary,
    )
    with app.database.transaction() as session:
        session.add(
            EvidenceRow(
                id=record.id,
                release_id=record.release_id,
                kind=kind.value,
                format=format,
                sha256=record.sha256,
                facts_sha256=facts_sha256,
                filename=record.filename,
                size=record.size,
                commit=None,
                summary_json=json.dumps(summary),
                collected_at=now,
            )
        )
        append_entry(
            session,
            entry_type="evidence.added",
            subject=release.id,
            recorded_at=now,
            data={
                "evidence_id": record.id,
                "kind": kind.value,
                "format": format,
                "sha256": record.sha256,
                "facts_sha256": facts_sha256,
                "filename": record.filename,
                "files": listed,
                "commit": None,
                "summary": summary,
            },
        )
    return record
