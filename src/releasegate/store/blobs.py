"""Content-addressed blob store: raw evidence and large documents by SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from releasegate.errors import ConfigurationError, LedgerIntegrityError, NotFoundError


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Blobs in `root/ab/abcdef...`; writes are atomic and idempotent."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store `data` and return its SHA-256; storing the same bytes twice is a no-op."""
        digest = sha256_hex(data)
        path = self._path(digest)
        if path.exists():
            return digest
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError as exc:
            raise ConfigurationError(
                f"cannot write to the blob folder {self.root}: {exc.strerror}",
                hint="point RELEASEGATE_BLOB_DIR (or blob_dir) at a writable folder",
            ) from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def put_file(self, source: Path, *, chunk_size: int = 1 << 20) -> str:
        """Store the file at `source` in chunks and return its SHA-256.

        Memory stays at one chunk whatever the file's size, for large scanner reports.
        """
        hasher = hashlib.sha256()
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        except OSError as exc:
            raise ConfigurationError(
                f"cannot write to the blob folder {self.root}: {exc.strerror}",
                hint="point RELEASEGATE_BLOB_DIR (or blob_dir) at a writable folder",
            ) from exc
        try:
            with os.fdopen(fd, "wb") as handle, source.open("rb") as reader:
                while chunk := reader.read(chunk_size):
                    hasher.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            digest = hasher.hexdigest()
            path = self._path(digest)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        """Return the blob's bytes after checking that they still hash to `digest`."""
        path = self._path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(
                f"blob {digest} not found in {self.root}",
                hint="the blob folder is incomplete; restore it from backup",
            ) from exc
        if sha256_hex(data) != digest:
            raise LedgerIntegrityError(
                f"blob {digest} in {self.root} was modified: its content hashes to "
                f"{sha256_hex(data)}",
                hint="restore the original file from backup; stored evidence must not change",
            )
        return data

    def exists(self, digest: str) -> bool:
        return self._path(digest).exists()
