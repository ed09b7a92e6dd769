"""Attach evidence files to a release: parse, store raw and facts, record in the ledger."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from releasegate.documents import MAX_DOCUMENT_BYTES, read_bytes
from releasegate.errors import InputError
from releasegate.evidence.detect import parse_evidence, parse_large_evidence
from releasegate.evidence.facts import FACT_MODELS, kind_of, summarize
from releasegate.evidence.interface import Facts as EvidenceFacts
from releasegate.evidence.interface import VerificationContext
from releasegate.ledger.canonical import canonical_json
from releasegate.model import EvidenceKind, EvidenceRecord, ScanRun
from releasegate.model.change import ChangeReport
from releasegate.service.app import Application
from releasegate.service.ids import new_id
from releasegate.service.releases import get_release
from releasegate.store.ledger import append_entry
from releasegate.store.mappers import evidence_from_row
from releasegate.store.tables import EvidenceRow

Facts = EvidenceFacts | ChangeReport
"""Normalized facts of any kind of evidence."""

_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def facts_json(facts: Facts) -> bytes:
    """Return the RFC 8785 canonical JSON of `facts`, one finding at a time for scans.

    The bytes equal `canonical_json(facts.model_dump(mode="json"))`. A scan with tens
    of thousands of findings would otherwise be copied into one large dictionary
    before serialization, doubling its memory for a moment.
    """
    if not isinstance(facts, ScanRun):
        return canonical_json(facts.model_dump(mode="json"))
    head = facts.model_dump(mode="json", exclude={"findings"})
    buffer = io.BytesIO()
    buffer.write(b"{")
    # The field names are ASCII, so sorting them is the RFC 8785 key order.
    for position, key in enumerate(sorted([*head, "findings"])):
        buffer.write(b"," if position else b"")
        buffer.write(canonical_json(key) + b":")
        if key != "findings":
            buffer.write(canonical_json(head[key]))
            continue
        buffer.write(b"[")
        for index, finding in enumerate(facts.findings):
            buffer.write(b"," if index else b"")
            buffer.write(canonical_json(finding.model_dump(mode="json")))
        buffer.write(b"]")
    buffer.write(b"}")
    return buffer.getvalue()


def add_evidence(
    app: Application,
    release_id: str,
    path: Path,
    *,
    format: str | None = None,
    commit: str | None = None,
    submitted_by: dict[str, Any] | None = None,
    context: VerificationContext | None = None,
) -> EvidenceRecord:
    """Parse `path`, keep the raw bytes and the facts by SHA-256, and record both.

    `submitted_by` describes the verified credential that submitted the file,
    such as a CI workload token with its repository, ref and workflow claims;
    the ledger entry records it. `context` contains the public keys and
    Sigstore trusted root that signatures are verified against.
    """
    if commit is not None and not _COMMIT.match(commit):
        raise InputError(
            f"commit {commit!r} is not a full hexadecimal commit id",
            source="--commit",
            hint="pass the 40-character SHA-1 (or 64-character SHA-256) commit id",
        )
    release = get_release(app, release_id)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read_bytes below reports why the file cannot be read
    if size > MAX_DOCUMENT_BYTES:
        # Large scanner reports are parsed as a stream and stored in chunks.
        detected, facts = parse_large_evidence(path, size=size, format=format)
        sha256 = app.blobs.put_file(path)
    else:
        raw = read_bytes(path, what="evidence file")
        detected, facts = parse_evidence(raw, source=str(path), format=format, context=context)
        size = len(raw)
        sha256 = app.blobs.put(raw)
    kind = kind_of(facts)

    now = app.clock()
    facts_sha256 = app.blobs.put(facts_json(facts))
    summary = summarize(facts)
    record = EvidenceRecord(
        id=new_id("ev"),
        release_id=release.id,
        kind=kind,
        format=detected,
        sha256=sha256,
        filename=path.name,
        size=size,
        commit=commit,
        collected_at=now,
        summary=summary,
    )
    with app.database.transaction() as session:
        session.add(
            EvidenceRow(
                id=record.id,
                release_id=record.release_id,
                kind=kind.value,
                format=detected,
                sha256=sha256,
                facts_sha256=facts_sha256,
                filename=record.filename,
                size=record.size,
                commit=commit,
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
                **({"submitted_by": submitted_by} if submitted_by else {}),
                "evidence_id": record.id,
                "kind": kind.value,
                "format": detected,
                "sha256": sha256,
                "facts_sha256": facts_sha256,
                "filename": record.filename,
                "commit": commit,
                "summary": summary,
            },
        )
    return record


def load_evidence(app: Application, release_id: str) -> list[tuple[EvidenceRecord, Facts]]:
    """Return each evidence record with its facts, read back from the blob store."""
    with app.database.transaction() as session:
        rows = session.scalars(
            select(EvidenceRow)
            .where(EvidenceRow.release_id == release_id)
            .order_by(EvidenceRow.collected_at, EvidenceRow.id)
        ).all()
    from releasegate.service.changes import REPORT_MODELS

    result: list[tuple[EvidenceRecord, Facts]] = []
    for row in rows:
        data = app.blobs.get(row.facts_sha256)
        kind = EvidenceKind(row.kind)
        model = REPORT_MODELS[kind] if kind in REPORT_MODELS else FACT_MODELS[kind]
        facts: Facts = model.model_validate_json(data)
        result.append((evidence_from_row(row), facts))
    return result
