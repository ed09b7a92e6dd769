"""Audit use cases: keep the policy files that decided, export a release's audit bundle.

The bundle layout and its offline verifier are in `releasegate.ledger.audit`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasegate import __version__
from releasegate.clock import rfc3339
from releasegate.errors import InputError, LedgerIntegrityError, NotFoundError, PolicyError
from releasegate.ledger.audit import (
    BLOBS,
    BUNDLE_FORMAT,
    CHECKPOINT,
    INDEX,
    LOG_KEYS,
    MANIFEST,
    POLICY,
    README,
    REPORT_HTML,
    REPORT_MD,
    WITNESS_KEYS,
    entry_path,
    manifest_text,
    proof_path,
    referenced_blobs,
)
from releasegate.ledger.canonical import canonical_json

if TYPE_CHECKING:
    from releasegate.policy.layers import PolicySet
    from releasegate.service.app import Application

log = logging.getLogger(__name__)

# A fixed timestamp for every archive member, so that the same content gives the same zip.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def store_policy_files(app: Application, policy: PolicySet) -> str:
    """Keep every file of `policy` in the blob store; return the SHA-256 of their list.

    The list is the canonical JSON of {"revision", "files": [{"path", "sha256"}]}.
    The contents are the exact bytes the policy set was built from, so the
    same list rebuilds the same revision. Raises PolicyError if the policy set
    carries no files.
    """
    if not policy.sources:
        raise PolicyError(
            f"policy revision {policy.revision} lists no files, so the decision could not be "
            "audited",
            hint="load the policy with load_policy_set",
        )
    listed = [
        {"path": label, "sha256": app.blobs.put(content)} for label, content in policy.sources
    ]
    return app.blobs.put(canonical_json({"revision": policy.revision, "files": listed}))


@dataclass(frozen=True)
class ExportSummary:
    """Summary of a written audit bundle."""

    path: Path
    release_id: str
    entries: tuple[int, ...]
    tree_size: int
    root_hash: str
    blobs: int
    policy_files: int
    files: int


class _Bundle:
    """Files of a bundle under construction, by path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def add(self, path: str, content: bytes) -> None:
        if any(ord(c) < 0x20 for c in path) or "\\" in path or ".." in path.split("/"):
            raise InputError(f"bundle path {path!r} is not a safe relative path")
        self.files[path] = content


def export_bundle(app: Application, release_id: str, destination: Path) -> ExportSummary:
    """Write the audit bundle of one release to `destination`.

    Steps:
    1. Sign a checkpoint of the current tree (or reuse the newest one) and check it.
    2. Collect the release's entries, the service-wide exceptions its
       decisions used and the log key entries, with their exact bytes.
    3. Build each entry's inclusion proof against the checkpoint and check it.
    4. Add every blob the entries reference, and the policy files of each decision.
    5. Add the public keys, the report, bundle.json and the README.
    6. Sign the manifest of all files and write the zip atomically.
    """
    from releasegate.ledger.merkle import leaf_hash, verify_inclusion
    from releasegate.ledger.note import sign_note
    from releasegate.ledger.report import ReportInput, render_html, render_markdown
    from releasegate.service.ledger import (
        KEY_ENTRY_TYPES,
        checkpoint,
        load_log_key,
        log_public_keys,
    )
    from releasegate.service.releases import get_release
    from releasegate.store.ledger import (
        entries_for,
        entries_of_types,
        entry_bodies,
        inclusion_proof,
        witness_keys_of,
    )

    release = get_release(app, release_id)
    bundle = _Bundle()

    # Step 1: the checkpoint.
    stored, opened = checkpoint(app)
    size = opened.checkpoint.size
    root_b64 = base64.b64encode(opened.checkpoint.root_hash).decode()
    bundle.add(CHECKPOINT, stored.cosigned_note.encode("utf-8"))

    with app.database.transaction() as session:
        # Step 2: entries.
        own = entries_for(session, release.id)
        waivers = _waiver_ids(app, own)
        service_wide = [
            e
            for e in entries_for(session, f"service:{release.manifest.service}")
            if e.body["data"].get("exception_id") in waivers
        ]
        keys = entries_of_types(session, KEY_ENTRY_TYPES)
        chosen = {e.index: e for e in [*own, *service_wide, *keys] if e.index < size}
        bodies = entry_bodies(session, list(chosen))

        # Step 3: inclusion proofs.
        for index in sorted(chosen):
            body = bodies[index]
            digest = leaf_hash(body)
            proof = inclusion_proof(session, index, size)
            verify_inclusion(digest, index, size, proof, opened.checkpoint.root_hash)
            bundle.add(entry_path(index), body)
            bundle.add(
                proof_path(index),
                canonical_json(
                    {
                        "index": index,
                        "tree_size": size,
                        "leaf_hash": base64.b64encode(digest).decode(),
                        "proof": [base64.b64encode(h).decode() for h in proof],
                    }
                ),
            )
        witnesses = witness_keys_of(session, stored)

    # Step 4: blobs and policy files.
    entries = [json.loads(bodies[i]) for i in sorted(chosen)]
    decisions: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] = {}
    policy_files = 0
    for entry in entries:
        for _, blob_digest in referenced_blobs(entry["data"]):
            bundle.add(BLOBS + blob_digest, app.blobs.get(blob_digest))
        data = entry["data"]
        if entry["type"] == "release.created" and entry["subject"] == release.id:
            manifest = json.loads(app.blobs.get(data["manifest_sha256"]))
        if entry["type"] == "decision.recorded":
            decisions[data["environment"]] = json.loads(app.blobs.get(data["decision_sha256"]))
            policy_files += _add_policy_files(app, bundle, entry)

    # Step 5: keys, report, index and README.
    for key in log_public_keys(app.settings):
        bundle.add(f"{LOG_KEYS}{key.key_id_hex}.pub", (key.to_text() + "\n").encode())
    for witness in witnesses:
        stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in witness.name)
        bundle.add(
            f"{WITNESS_KEYS}{stem}-{witness.key_id_hex}.pub", (witness.to_text() + "\n").encode()
        )
    exported_at = rfc3339(app.clock())
    report = ReportInput(
        release_id=release.id,
        manifest=manifest,
        entries=entries,
        decisions=decisions,
        origin=opened.checkpoint.origin,
        tree_size=size,
        root_hash=root_b64,
        log_key_ids=tuple(s.key_id.hex() for s in opened.log_signatures),
        witnesses=tuple(s.name for s in opened.cosignatures),
        exported_at=exported_at,
    )
    bundle.add(REPORT_MD, render_markdown(report).encode("utf-8"))
    bundle.add(REPORT_HTML, render_html(report).encode("utf-8"))
    bundle.add(
        INDEX,
        (
            json.dumps(
                {
                    "format": BUNDLE_FORMAT,
                    "release_id": release.id,
                    "service": release.manifest.service,
                    "version": release.manifest.version,
                    "origin": opened.checkpoint.origin,
                    "checkpoint": {"size": size, "root_hash": root_b64},
                    "entries": sorted(chosen),
                    "exported_at": exported_at,
                    "generator": f"releasegate {__version__}",
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        ).encode("utf-8"),
    )
    bundle.add(README, _readme(release.id).encode("utf-8"))

    # Step 6: the signed manifest and the archive.
    text = manifest_text(opened.checkpoint.origin, release.id, sorted(bundle.files.items()))
    note = sign_note(text, [load_log_key(app.settings)])
    bundle.add(MANIFEST, note.encode("utf-8"))
    _write_zip(bundle.files, destination)
    log.info("audit bundle of %s written to %s", release.id, destination)
    return ExportSummary(
        path=destination,
        release_id=release.id,
        entries=tuple(sorted(chosen)),
        tree_size=size,
        root_hash=root_b64,
        blobs=sum(1 for p in bundle.files if p.startswith(BLOBS)),
        policy_files=policy_files,
        files=len(bundle.files),
    )


def _waiver_ids(app: Application, entries: list[Any]) -> set[str]:
    waivers: set[str] = set()
    for entry in entries:
        if entry.entry_type != "decision.recorded":
            continue
        decision = json.loads(app.blobs.get(entry.body["data"]["decision_sha256"]))
        for result in decision.get("results", []):
            for violation in result.get("violations", []):
                if violation.get("waived_by"):
                    waivers.add(violation["waived_by"])
    return waivers


def _add_policy_files(app: Application, bundle: _Bundle, entry: dict[str, Any]) -> int:
    data = entry["data"]
    listing_digest = data.get("policy_files_sha256")
    if not isinstance(listing_digest, str):
        raise NotFoundError(
            f"decision {data.get('decision_id')} (ledger entry {entry['index']}) records no "
            "policy files, so the bundle could not prove which policy decided",
            hint="evaluate the gate again with this version; it keeps the policy files",
        )
    listing = json.loads(app.blobs.get(listing_digest))
    if listing.get("revision") != data.get("policy_revision"):
        raise LedgerIntegrityError(
            f"policy file list {listing_digest} is for revision {listing.get('revision')}, "
            f"but decision {data.get('decision_id')} used {data.get('policy_revision')}",
            hint="the blob store was altered; restore it from backup",
        )
    for item in listing["files"]:
        bundle.add(f"{POLICY}{listing['revision']}/{item['path']}", app.blobs.get(item["sha256"]))
    return len(listing["files"])


def _readme(release_id: str) -> str:
    return (
        f"releasegate audit bundle of release {release_id}\n"
        "\n"
        "Verify it offline with only Python 3.11+, cryptography and rfc8785 installed:\n"
        "\n"
        "    python -m releasegate.ledger.audit verify bundle.zip --key log.pub\n"
        "\n"
        "where log.pub is the log's public key, obtained from the log's operator and not\n"
        "from this bundle. The verifier checks the signed manifest, every file's SHA-256,\n"
        "the signed checkpoint and its witness cosignatures, each entry's inclusion proof,\n"
        "the blobs the entries reference and the policy revision of each decision.\n"
        "report.html and report.md describe the release for people.\n"
    )


def _write_zip(files: dict[str, bytes], destination: Path) -> None:
    if destination.exists() and not destination.is_file():
        # Renaming over a device such as /dev/null would replace the device itself.
        raise InputError(
            f"{destination} exists and is not a regular file",
            source="-o",
            hint="write the bundle to a new or regular file",
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.tmp")
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(files):
                info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[path])
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
