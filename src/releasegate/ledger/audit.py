"""Audit bundles: their layout, and the offline verifier.

An audit bundle is a zip file that lets an auditor check one release's
ledger entries without the server:

    manifest.note            signed note: every other file with its SHA-256 and size
    bundle.json              release id, origin, checkpoint, entry indexes, export time
    checkpoint.note          one signed checkpoint, with any witness cosignatures
    entries/<index>.json     the exact canonical bytes of each ledger entry
    proofs/<index>.json      the inclusion proof of each entry against the checkpoint
    blobs/<sha256>           every blob an entry references (manifest, raw evidence,
                             facts, policy input, decision, policy file list)
    policy/<revision>/<path> the policy files of each revision that decided
    keys/log/<key ID>.pub    every public key of the log
    keys/witness/<name>.pub  the public keys of the witnesses that cosigned
    report.md, report.html   the release's report for people
    README.txt               how to verify the bundle

The manifest note starts with the line "releasegate-audit-bundle/v1" and
then "origin <origin>", so it can never parse as a checkpoint, whose second
line is a number. Both notes are signed by the log key.

This module depends only on the standard library, `cryptography` and
`rfc8785`, so that the verifier runs on a machine without the server:

    python -m releasegate.ledger.audit verify bundle.zip --key log.pub

Without --key, the keys inside the bundle only show that the bundle is
intact, not who made it, so the verifier exits 1 unless
--insecure-trust-bundle-key is given. Pass the log's public key obtained
from its operator to prove who signed it.

NOTE: the bundle proves that each included entry is in the log. It cannot
prove offline that the exporter included every entry of the release.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from releasegate.errors import InputError, ReleasegateError
from releasegate.ledger.canonical import canonical_json
from releasegate.ledger.checkpoint import OpenedCheckpoint, open_checkpoint
from releasegate.ledger.merkle import leaf_hash, verify_inclusion
from releasegate.ledger.note import TYPE_COSIGNATURE, TYPE_ED25519, VerifierKey, open_note

__all__ = [
    "BLOBS",
    "BUNDLE_FORMAT",
    "CHECKPOINT",
    "ENTRIES",
    "INDEX",
    "LOG_KEYS",
    "MANIFEST",
    "POLICY",
    "PROOFS",
    "README",
    "REPORT_HTML",
    "REPORT_MD",
    "WITNESS_KEYS",
    "BundleReport",
    "CheckResult",
    "entry_path",
    "main",
    "manifest_text",
    "policy_revision",
    "proof_path",
    "referenced_blobs",
    "verify_bundle",
]

BUNDLE_FORMAT = "releasegate-audit-bundle/v1"
MANIFEST = "manifest.note"
INDEX = "bundle.json"
CHECKPOINT = "checkpoint.note"
ENTRIES = "entries/"
PROOFS = "proofs/"
BLOBS = "blobs/"
POLICY = "policy/"
LOG_KEYS = "keys/log/"
WITNESS_KEYS = "keys/witness/"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"
README = "README.txt"

# Limits on what the verifier reads from an untrusted archive.
MAX_FILES = 100_000
MAX_FILE_SIZE = 512 * 1024 * 1024
MAX_TOTAL_SIZE = 2 * 1024 * 1024 * 1024

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_INDEX_NAME = re.compile(r"(0|[1-9][0-9]*)\.json")


def entry_path(index: int) -> str:
    """Return the bundle path of entry `index`."""
    return f"{ENTRIES}{index}.json"


def proof_path(index: int) -> str:
    """Return the bundle path of the inclusion proof of entry `index`."""
    return f"{PROOFS}{index}.json"


def referenced_blobs(data: Any, path: str = "data") -> Iterator[tuple[str, str]]:
    """Yield (field path, SHA-256) for every blob that entry data references.

    A reference is a field named `sha256` or ending in `_sha256` whose value
    is 64 lower-case hexadecimal digits.
    """
    if isinstance(data, dict):
        for key, value in sorted(data.items()):
            member = f"{path}.{key}"
            if (
                isinstance(value, str)
                and (key == "sha256" or key.endswith("_sha256"))
                and _SHA256_HEX.fullmatch(value)
            ):
                yield member, value
            else:
                yield from referenced_blobs(value, member)
    elif isinstance(data, list):
        for position, value in enumerate(data):
            yield from referenced_blobs(value, f"{path}[{position}]")


def policy_revision(files: Sequence[tuple[str, str]]) -> str:
    """Return the policy revision of (path, SHA-256 hex) pairs.

    The revision is SHA-256 over the files sorted by path, each contributing
    its UTF-8 path, a zero byte and its raw 32-byte content digest. The
    policy loader computes the revision that decisions record the same way.
    """
    digest = hashlib.sha256()
    for path, content_sha256 in sorted(files):
        digest.update(path.encode("utf-8") + b"\0")
        digest.update(bytes.fromhex(content_sha256))
    return digest.hexdigest()


def manifest_text(origin: str, release_id: str, files: Sequence[tuple[str, bytes]]) -> str:
    """Return the manifest note text that lists `files` (path, content) in path order."""
    lines = [BUNDLE_FORMAT, f"origin {origin}", f"release {release_id}"]
    for path, content in sorted(files):
        lines.append(f"file {hashlib.sha256(content).hexdigest()} {len(content)} {path}")
    return "\n".join(lines) + "\n"


# Results


@dataclass(frozen=True)
class CheckResult:
    """One check of the bundle: what was checked, on which file, and the outcome."""

    check: str
    file: str
    ok: bool
    detail: str


@dataclass
class BundleReport:
    """All checks of a bundle, and the facts that the passed checks establish."""

    path: str
    results: list[CheckResult] = field(default_factory=list)
    release_id: str | None = None
    origin: str | None = None
    tree_size: int | None = None
    root_hash: str | None = None
    key_source: str = "bundle"
    log_key_ids: tuple[str, ...] = ()
    witnesses: tuple[str, ...] = ()
    entries: tuple[int, ...] = ()
    blobs: int = 0
    policy_files: int = 0

    @property
    def ok(self) -> bool:
        """True if the bundle has no failed check and at least one passed check."""
        return bool(self.results) and all(result.ok for result in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        """The failed checks, in the order they ran."""
        return [result for result in self.results if not result.ok]

    def passed(self, check: str, file: str, detail: str) -> None:
        self.results.append(CheckResult(check, file, True, detail))

    def failed(self, check: str, file: str, detail: str) -> None:
        self.results.append(CheckResult(check, file, False, detail))

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "bundle": self.path,
            "ok": self.ok,
            "release_id": self.release_id,
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "key_source": self.key_source,
            "log_key_ids": list(self.log_key_ids),
            "witnesses": list(self.witnesses),
            "entries": list(self.entries),
            "blobs": self.blobs,
            "policy_files": self.policy_files,
            "checks": [
                {"check": r.check, "file": r.file, "ok": r.ok, "detail": r.detail}
                for r in self.results
            ],
        }


# Verification


def verify_bundle(
    path: Path,
    *,
    trusted_keys: Sequence[VerifierKey] = (),
    witness_keys: Sequence[VerifierKey] = (),
) -> BundleReport:
    """Check every file, hash, proof and signature of an audit bundle.

    Steps:
    1. Read the archive: safe, unique file names within the size limits.
    2. Read the public keys; trust `trusted_keys` if given, else the bundle's log keys.
    3. The manifest note verifies under a trusted log key and names the origin.
    4. Every file is listed in the manifest with its SHA-256 and size, and
       every listed file is present.
    5. bundle.json names the same release and origin and lists the entries.
    6. The checkpoint verifies under a trusted log key for the same origin,
       and every bundled witness key cosigned it.
    7. Every entry is canonical JSON for its index and its inclusion proof
       leads to the checkpoint's root.
    8. Every blob an entry references is present, and every blob is referenced.
    9. Every decision blob agrees with its ledger entry.
    10. The policy files of each decision hash to the recorded policy revision.

    Raises InputError only when `path` is not a readable zip file; every
    problem inside the bundle is a failed check in the report.
    """
    report = BundleReport(path=str(path))

    # Step 1: the archive.
    files = _read_archive(path, report)
    if files is None:
        return report

    # Step 2: keys.
    log_keys, bundle_witnesses = _read_keys(files, report)
    if trusted_keys:
        report.key_source = "--key"
        trusted = [key for key in trusted_keys if key.signature_type == TYPE_ED25519]
    else:
        trusted = log_keys
    witnesses = [*bundle_witnesses, *witness_keys]

    # Step 3: the manifest's signature.
    listed = _check_manifest(files, trusted, report)

    # Step 4: every file against the manifest.
    if listed is not None:
        _check_digests(files, listed, report)

    # Step 5: the bundle index.
    index = _check_index(files, report)

    # Step 6: the checkpoint.
    checkpoint = _check_checkpoint(files, trusted, witnesses, index, report)

    # Step 7: entries and their inclusion proofs.
    entries = _check_entries(files, checkpoint, index, report)

    # Step 8: blobs.
    _check_blobs(files, entries, report)

    # Step 9: decisions.
    _check_decisions(files, entries, report)

    # Step 10: policy files.
    _check_policy(files, entries, report)

    return report


def _read_archive(path: Path, report: BundleReport) -> dict[str, bytes] | None:
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError as error:
        raise InputError(f"bundle {path} not found", hint="check the path") from error
    except (zipfile.BadZipFile, OSError) as error:
        raise InputError(
            f"bundle {path} is not a readable zip file ({error})",
            hint="pass the .zip file that 'releasegate audit export' wrote",
        ) from error
    files: dict[str, bytes] = {}
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_FILES:
            report.failed(
                "archive", str(path), f"{len(infos)} files, above the limit of {MAX_FILES}"
            )
            return None
        total = 0
        for info in infos:
            name = info.filename
            problem = _unsafe_name(name)
            if problem is not None:
                report.failed("archive", name, problem)
                continue
            if name in files:
                report.failed("archive", name, "the file name appears twice in the archive")
                continue
            if info.file_size > MAX_FILE_SIZE or total + info.file_size > MAX_TOTAL_SIZE:
                report.failed("archive", name, "the file is larger than the verifier's limit")
                return None
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, ValueError) as error:
                report.failed(
                    "archive", name, f"the file cannot be read from the archive ({error})"
                )
                continue
            total += len(data)
            files[name] = data
    if not any(not r.ok for r in report.results):
        report.passed("archive", str(path), f"{len(files)} files with safe, unique names")
    return files


def _unsafe_name(name: str) -> str | None:
    if "\\" in name or name.startswith("/") or any(ord(c) < 0x20 for c in name):
        return "the file name is not a relative POSIX path"
    if any(part in ("", ".", "..") for part in PurePosixPath(name).parts) or "//" in name:
        return "the file name contains an empty, '.' or '..' component"
    return None


def _read_keys(
    files: dict[str, bytes], report: BundleReport
) -> tuple[list[VerifierKey], list[VerifierKey]]:
    log_keys: list[VerifierKey] = []
    witness_keys: list[VerifierKey] = []
    for name in sorted(files):
        if name.startswith(LOG_KEYS) or name.startswith(WITNESS_KEYS):
            witness = name.startswith(WITNESS_KEYS)
            try:
                key = VerifierKey.from_text(files[name].decode("utf-8"), source=name)
            except (ReleasegateError, UnicodeDecodeError) as error:
                report.failed("public key", name, _message(error))
                continue
            expected_type = TYPE_COSIGNATURE if witness else TYPE_ED25519
            if key.signature_type != expected_type:
                report.failed(
                    "public key",
                    name,
                    f"the key has signature type 0x{key.signature_type:02x}, "
                    f"but keys in this folder have type 0x{expected_type:02x}",
                )
                continue
            if not witness and PurePosixPath(name).name != f"{key.key_id_hex}.pub":
                report.failed(
                    "public key", name, f"the file name does not match key ID {key.key_id_hex}"
                )
                continue
            (witness_keys if witness else log_keys).append(key)
            report.passed("public key", name, f"{key.name}+{key.key_id_hex}")
    return log_keys, witness_keys


def _check_manifest(
    files: dict[str, bytes], trusted: Sequence[VerifierKey], report: BundleReport
) -> dict[str, tuple[str, int]] | None:
    data = files.get(MANIFEST)
    if data is None:
        report.failed("manifest signature", MANIFEST, "the manifest is missing")
        return None
    if not trusted:
        report.failed("manifest signature", MANIFEST, "no trusted log key to check the signature")
        return None
    try:
        opened = open_note(data, trusted, source=MANIFEST)
    except ReleasegateError as error:
        report.failed("manifest signature", MANIFEST, _message(error))
        return None

    lines = opened.text[:-1].split("\n")
    if len(lines) < 3 or lines[0] != BUNDLE_FORMAT:
        report.failed("manifest format", MANIFEST, f"the first line must be {BUNDLE_FORMAT!r}")
        return None
    origin = lines[1].removeprefix("origin ")
    release_id = lines[2].removeprefix("release ")
    if not lines[1].startswith("origin ") or not lines[2].startswith("release "):
        report.failed(
            "manifest format", MANIFEST, "lines 2 and 3 must name the origin and the release"
        )
        return None
    signers = [
        s for s in opened.signatures if s.signature_type == TYPE_ED25519 and s.name == origin
    ]
    if not signers:
        report.failed(
            "manifest signature", MANIFEST, f"no trusted signature by the log key of {origin}"
        )
        return None

    report.origin = origin
    report.release_id = release_id
    report.log_key_ids = tuple(s.key_id.hex() for s in signers)

    listed: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(lines[3:], start=4):
        parts = line.split(" ", 3)
        if (
            len(parts) != 4
            or parts[0] != "file"
            or not _SHA256_HEX.fullmatch(parts[1])
            or not parts[2].isdigit()
        ):
            report.failed(
                "manifest format", MANIFEST, f"line {number} is not 'file <sha256> <size> <path>'"
            )
            return None
        if parts[3] in listed or parts[3] == MANIFEST:
            report.failed("manifest format", MANIFEST, f"line {number} lists {parts[3]} again")
            return None
        listed[parts[3]] = (parts[1], int(parts[2]))
    report.passed(
        "manifest signature",
        MANIFEST,
        f"{len(listed)} files listed, signed by {origin} key {', '.join(report.log_key_ids)}",
    )
    return listed


def _check_digests(
    files: dict[str, bytes], listed: dict[str, tuple[str, int]], report: BundleReport
) -> None:
    for name in sorted(set(files) | set(listed)):
        if name == MANIFEST:
            continue
        if name not in listed:
            report.failed("file listed", name, "the file is not listed in the signed manifest")
            continue
        if name not in files:
            report.failed("file present", name, "the manifest lists this file, but it is missing")
            continue
        expected_digest, expected_size = listed[name]
        digest = hashlib.sha256(files[name]).hexdigest()
        if digest != expected_digest or len(files[name]) != expected_size:
            report.failed(
                "file digest",
                name,
                f"the manifest lists SHA-256 {expected_digest} ({expected_size} bytes), but the "
                f"file hashes to {digest} ({len(files[name])} bytes): the file was changed",
            )
            continue
        report.passed("file digest", name, f"SHA-256 {digest}")
    for required in (INDEX, CHECKPOINT, REPORT_MD, REPORT_HTML):
        if required not in files and required not in listed:
            report.failed("file present", required, "a bundle must contain this file")


def _check_index(files: dict[str, bytes], report: BundleReport) -> dict[str, Any] | None:
    data = files.get(INDEX)
    if data is None:
        return None
    try:
        index = json.loads(data)
    except ValueError as error:
        report.failed("bundle index", INDEX, f"not valid JSON ({error})")
        return None
    if not isinstance(index, dict) or index.get("format") != BUNDLE_FORMAT:
        report.failed("bundle index", INDEX, f"the format field must be {BUNDLE_FORMAT!r}")
        return None
    entries = index.get("entries")
    if not isinstance(entries, list) or not all(isinstance(i, int) and i >= 0 for i in entries):
        report.failed("bundle index", INDEX, "the entries field must list entry indexes")
        return None
    if report.release_id is not None and index.get("release_id") != report.release_id:
        report.failed(
            "bundle index",
            INDEX,
            f"names release {index.get('release_id')!r}, but the manifest names "
            f"{report.release_id!r}",
        )
        return None
    if report.origin is not None and index.get("origin") != report.origin:
        report.failed(
            "bundle index",
            INDEX,
            f"names origin {index.get('origin')!r}, but the manifest names {report.origin!r}",
        )
        return None
    report.release_id = report.release_id or str(index.get("release_id"))
    report.passed(
        "bundle index", INDEX, f"release {index.get('release_id')}, {len(entries)} entries"
    )
    return index


def _check_checkpoint(
    files: dict[str, bytes],
    trusted: Sequence[VerifierKey],
    witnesses: Sequence[VerifierKey],
    index: dict[str, Any] | None,
    report: BundleReport,
) -> OpenedCheckpoint | None:
    data = files.get(CHECKPOINT)
    if data is None:
        return None
    try:
        opened = open_checkpoint(
            data, trusted, witness_keys=witnesses, origin=report.origin, source=CHECKPOINT
        )
    except ReleasegateError as error:
        report.failed("checkpoint signature", CHECKPOINT, _message(error))
        return None

    checkpoint = opened.checkpoint
    report.tree_size = checkpoint.size
    report.root_hash = base64.b64encode(checkpoint.root_hash).decode()
    recorded = (index or {}).get("checkpoint", {})
    if index is not None and (
        recorded.get("size") != checkpoint.size or recorded.get("root_hash") != report.root_hash
    ):
        report.failed(
            "checkpoint signature",
            CHECKPOINT,
            f"bundle.json records tree size {recorded.get('size')} and root "
            f"{recorded.get('root_hash')}, but the checkpoint says {checkpoint.size} and "
            f"{report.root_hash}",
        )
        return None

    signed_by = ", ".join(f"{s.name}+{s.key_id.hex()}" for s in opened.log_signatures)
    report.passed(
        "checkpoint signature",
        CHECKPOINT,
        f"{checkpoint.origin} tree size {checkpoint.size} root {report.root_hash}, signed by "
        f"{signed_by}",
    )

    cosigned = {(s.name, s.key_id) for s in opened.cosignatures}
    names = []
    for witness in witnesses:
        if witness.name in names:
            continue
        if (witness.name, witness.key_id) in cosigned:
            stamp = next(s.timestamp for s in opened.cosignatures if s.key_id == witness.key_id)
            report.passed(
                "witness cosignature", CHECKPOINT, f"{witness.name} at POSIX time {stamp}"
            )
            names.append(witness.name)
        else:
            report.failed(
                "witness cosignature",
                CHECKPOINT,
                f"witness {witness.name} (key ID {witness.key_id_hex}) did not cosign the "
                "checkpoint",
            )
    for signature in opened.cosignatures:
        if signature.name not in names:
            report.passed(
                "witness cosignature",
                CHECKPOINT,
                f"{signature.name} at POSIX time {signature.timestamp}",
            )
            names.append(signature.name)
    report.witnesses = tuple(names)
    return opened


@dataclass(frozen=True)
class _Entry:
    index: int
    body: dict[str, Any]


def _check_entries(
    files: dict[str, bytes],
    checkpoint: OpenedCheckpoint | None,
    index: dict[str, Any] | None,
    report: BundleReport,
) -> list[_Entry]:
    listed = set(index["entries"]) if index is not None else set()
    found: list[_Entry] = []
    names = sorted(name for name in files if name.startswith(ENTRIES))
    for name in names:
        match = _INDEX_NAME.fullmatch(name.removeprefix(ENTRIES))
        if match is None:
            report.failed("entry", name, "entry files are named <index>.json")
            continue
        position = int(match.group(1))
        entry = _check_entry(name, position, files[name], checkpoint, files, report)
        if entry is not None:
            found.append(entry)
            if index is not None and position not in listed:
                report.failed(
                    "bundle index",
                    INDEX,
                    f"entry {position} is in the bundle but not in bundle.json",
                )
    present = {
        int(n.removeprefix(ENTRIES).removesuffix(".json"))
        for n in names
        if _INDEX_NAME.fullmatch(n.removeprefix(ENTRIES))
    }
    for missing in sorted(listed - present):
        report.failed(
            "file present",
            entry_path(missing),
            "bundle.json lists this entry, but its file is missing",
        )
    for name in sorted(n for n in files if n.startswith(PROOFS)):
        match = _INDEX_NAME.fullmatch(name.removeprefix(PROOFS))
        if match is None or int(match.group(1)) not in present:
            report.failed("inclusion proof", name, "the proof belongs to no entry of the bundle")
    report.entries = tuple(sorted(e.index for e in found))
    return found


def _check_entry(
    name: str,
    position: int,
    data: bytes,
    checkpoint: OpenedCheckpoint | None,
    files: dict[str, bytes],
    report: BundleReport,
) -> _Entry | None:
    # Canonical form and index.
    try:
        body = json.loads(data)
        canonical = canonical_json(body)
    except (ValueError, ReleasegateError) as error:
        report.failed("entry canonical form", name, f"not valid canonical JSON ({_message(error)})")
        return None
    if canonical != data:
        report.failed("entry canonical form", name, "the bytes are not in RFC 8785 canonical form")
        return None
    if (
        not isinstance(body, dict)
        or body.get("index") != position
        or not isinstance(body.get("data"), dict)
    ):
        report.failed("entry canonical form", name, f"the body does not describe entry {position}")
        return None
    subject = body.get("subject")
    if subject not in (report.release_id, None) and not str(subject).startswith("service:"):
        report.failed("entry", name, f"the entry's subject {subject!r} is not this release")
        return None

    # Inclusion proof.
    proof_name = proof_path(position)
    proof_data = files.get(proof_name)
    digest = leaf_hash(data)
    if proof_data is None:
        report.failed("inclusion proof", proof_name, f"the proof of entry {position} is missing")
        return None
    if checkpoint is None:
        report.failed(
            "inclusion proof", proof_name, "no verified checkpoint to check the proof against"
        )
        return None
    try:
        proof = json.loads(proof_data)
        hashes = [base64.b64decode(h, validate=True) for h in proof["proof"]]
        claimed_leaf = base64.b64decode(proof["leaf_hash"], validate=True)
        size = proof["tree_size"]
        claimed_index = proof["index"]
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        report.failed("inclusion proof", proof_name, f"the proof file is malformed ({error})")
        return None
    size_expected = checkpoint.checkpoint.size
    if claimed_index != position or size != size_expected or claimed_leaf != digest:
        report.failed(
            "inclusion proof",
            proof_name,
            f"the proof is for entry {claimed_index} in a tree of {size} with leaf "
            f"{base64.b64encode(claimed_leaf).decode()}, but entry {position} hashes to "
            f"{base64.b64encode(digest).decode()} and the checkpoint has {size_expected} entries",
        )
        return None
    try:
        verify_inclusion(digest, position, size, hashes, checkpoint.checkpoint.root_hash)
    except ReleasegateError as error:
        report.failed("inclusion proof", proof_name, _message(error))
        return None
    report.passed(
        "inclusion proof",
        name,
        f"entry {position} ({body.get('type')}) is leaf {position} of the checkpoint",
    )
    return _Entry(position, body)


def _check_blobs(files: dict[str, bytes], entries: Sequence[_Entry], report: BundleReport) -> None:
    referenced: dict[str, str] = {}
    for entry in entries:
        for field_path, digest in referenced_blobs(entry.body["data"]):
            referenced.setdefault(digest, f"{entry_path(entry.index)} {field_path}")
    present = {name.removeprefix(BLOBS) for name in files if name.startswith(BLOBS)}
    for digest, where in sorted(referenced.items()):
        name = BLOBS + digest
        if digest not in present:
            report.failed(
                "blob reference", name, f"{where} references this blob, but it is missing"
            )
        elif hashlib.sha256(files[name]).hexdigest() != digest:
            report.failed("blob reference", name, "the blob's content does not hash to its name")
        else:
            report.passed("blob reference", name, f"referenced by {where}")
    for digest in sorted(present - set(referenced)):
        report.failed(
            "blob reference", BLOBS + digest, "no entry of the bundle references this blob"
        )
    report.blobs = len(present & set(referenced))


def _blob_json(files: dict[str, bytes], digest: Any) -> Any:
    if not isinstance(digest, str):
        return None
    data = files.get(BLOBS + digest)
    if data is None or hashlib.sha256(data).hexdigest() != digest:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _check_decisions(
    files: dict[str, bytes], entries: Sequence[_Entry], report: BundleReport
) -> None:
    for entry in entries:
        if entry.body.get("type") != "decision.recorded":
            continue
        data = entry.body["data"]
        name = BLOBS + str(data.get("decision_sha256"))
        decision = _blob_json(files, data.get("decision_sha256"))
        if not isinstance(decision, dict):
            report.failed(
                "decision record",
                name,
                f"the decision of entry {entry.index} is missing or not JSON",
            )
            continue
        pairs = {
            "id": data.get("decision_id"),
            "release_id": report.release_id,
            "environment": data.get("environment"),
            "outcome": data.get("outcome"),
            "policy_revision": data.get("policy_revision"),
            "input_sha256": data.get("input_sha256"),
        }
        mismatched = [key for key, value in pairs.items() if decision.get(key) != value]
        controls = {
            r.get("control_id"): r.get("outcome")
            for r in decision.get("results", [])
            if isinstance(r, dict)
        }
        if data.get("controls") is not None and controls != data.get("controls"):
            mismatched.append("results")
        if mismatched:
            report.failed(
                "decision record",
                name,
                f"the decision differs from ledger entry {entry.index} in {', '.join(mismatched)}",
            )
            continue
        report.passed(
            "decision record",
            name,
            f"{decision.get('outcome')} for {decision.get('environment')}, as entry {entry.index} "
            "records",
        )


def _check_policy(files: dict[str, bytes], entries: Sequence[_Entry], report: BundleReport) -> None:
    expected_files: set[str] = set()
    checked_revisions: set[str] = set()
    for entry in entries:
        if entry.body.get("type") != "decision.recorded":
            continue
        data = entry.body["data"]
        revision = data.get("policy_revision")
        listing_digest = data.get("policy_files_sha256")
        where = entry_path(entry.index)
        if not isinstance(listing_digest, str):
            report.failed("policy revision", where, "the decision entry records no policy files")
            continue
        listing = _blob_json(files, listing_digest)
        if (
            not isinstance(listing, dict)
            or listing.get("revision") != revision
            or not isinstance(listing.get("files"), list)
        ):
            report.failed(
                "policy revision",
                BLOBS + listing_digest,
                f"the policy file list does not describe revision {revision}",
            )
            continue
        pairs: list[tuple[str, str]] = []
        broken = False
        for item in listing["files"]:
            path = item.get("path") if isinstance(item, dict) else None
            digest = item.get("sha256") if isinstance(item, dict) else None
            if (
                not isinstance(path, str)
                or not isinstance(digest, str)
                or not _SHA256_HEX.fullmatch(digest)
            ):
                report.failed(
                    "policy revision", BLOBS + listing_digest, f"malformed file item {item!r}"
                )
                broken = True
                continue
            name = f"{POLICY}{revision}/{path}"
            expected_files.add(name)
            content = files.get(name)
            if content is None:
                report.failed(
                    "policy file",
                    name,
                    f"policy revision {revision} lists this file, but it is missing",
                )
                broken = True
            elif hashlib.sha256(content).hexdigest() != digest:
                report.failed(
                    "policy file",
                    name,
                    f"the file does not hash to {digest}, as revision {revision} lists",
                )
                broken = True
            pairs.append((path, digest))
        if broken or revision in checked_revisions:
            continue
        computed = policy_revision(pairs)
        if computed != revision:
            report.failed(
                "policy revision",
                BLOBS + listing_digest,
                f"the listed files hash to revision {computed}, not {revision}",
            )
            continue
        checked_revisions.add(revision)
        report.passed(
            "policy revision",
            f"{POLICY}{revision}/",
            f"{len(pairs)} files hash to revision {revision}",
        )
    for name in sorted(n for n in files if n.startswith(POLICY) and n not in expected_files):
        report.failed("policy file", name, "the file belongs to no policy revision of the bundle")
    report.policy_files = len(expected_files)


def _message(error: BaseException) -> str:
    return error.message if isinstance(error, ReleasegateError) else str(error)


# Command line


def format_report(report: BundleReport) -> str:
    """Return the report as text for people: one line per check, then a summary."""
    lines = []
    for result in report.results:
        status = "ok  " if result.ok else "FAIL"
        lines.append(f"{status} {result.check:<21} {result.file}: {result.detail}")
    lines.append("")
    if report.ok:
        lines.append(
            f"bundle verified: release {report.release_id}, {len(report.entries)} ledger entries "
            f"included in {report.origin} at tree size {report.tree_size} (root "
            f"{report.root_hash}), "
            f"{report.blobs} blobs, {report.policy_files} policy files"
        )
        if report.witnesses:
            lines.append(f"cosigned by: {', '.join(report.witnesses)}")
        if report.key_source == "bundle":
            lines.append(
                "warning: the log key was taken from the bundle itself; pass --key with the "
                "log's public key from its operator to prove who signed it"
            )
    else:
        lines.append(f"bundle verification FAILED: {len(report.failures)} checks failed")
        for failure in report.failures:
            lines.append(f"  - {failure.file}: {failure.check}: {failure.detail}")
    return "\n".join(lines) + "\n"


def read_key_files(paths: Sequence[str]) -> list[VerifierKey]:
    keys = []
    for name in paths:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read public key file {name} ({error})") from error
        keys.append(VerifierKey.from_text(text, source=name))
    return keys


def main(argv: Sequence[str] | None = None) -> int:
    """Run the offline verifier; return 0 if the bundle verifies, 1 if not, 2 on bad input."""
    parser = argparse.ArgumentParser(
        prog="python -m releasegate.ledger.audit",
        description="Verify a releasegate audit bundle offline.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check every hash, proof and signature of a bundle")
    verify.add_argument("bundle", help="the bundle .zip file")
    verify.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="FILE",
        help="the log's public key file (repeatable); without it the bundle's own keys are trusted",
    )
    verify.add_argument(
        "--witness-key",
        action="append",
        default=[],
        metavar="FILE",
        help="a witness public key file whose cosignature must be present (repeatable)",
    )
    verify.add_argument(
        "--insecure-trust-bundle-key",
        action="store_true",
        help="accept the bundle's own log key when no --key is given (proves integrity only)",
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    arguments = parser.parse_args(argv)

    try:
        trusted = read_key_files(arguments.key)
        witnesses = read_key_files(arguments.witness_key)
        report = verify_bundle(Path(arguments.bundle), trusted_keys=trusted, witness_keys=witnesses)
    except ReleasegateError as error:
        sys.stderr.write(f"error: {error.message}\n")
        if error.hint:
            sys.stderr.write(f"hint: {error.hint}\n")
        return 2
    if arguments.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(format_report(report))
    return exit_code(report, trust_bundle_key=arguments.insecure_trust_bundle_key)


def exit_code(report: BundleReport, *, trust_bundle_key: bool) -> int:
    """Return 0 only for a bundle that verified against a key the caller trusts."""
    if not report.ok:
        return 1
    if report.key_source == "bundle" and not trust_bundle_key:
        sys.stderr.write(
            "error: no trusted log key given; the bundle verified only against its own key, "
            "which anyone could have made\nhint: pass --key with the log's public key from "
            "its operator\n"
        )
        return 1
    if report.key_source == "bundle":
        sys.stderr.write(
            "warning: trusting the bundle's own log key (--insecure-trust-bundle-key)\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
