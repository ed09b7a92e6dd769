import hashlib

import pytest

from releasegate.errors import LedgerIntegrityError, NotFoundError
from releasegate.store.blobs import BlobStore


def test_blobs_put_returns_sha256_and_roundtrips(tmp_path):
    store = BlobStore(tmp_path)
    digest = store.put(b"evidence")
    assert digest == hashlib.sha256(b"evidence").hexdigest()
    assert store.get(digest) == b"evidence"
    assert (tmp_path / digest[:2] / digest).is_file()


def test_blobs_put_twice_is_idempotent(tmp_path):
    store = BlobStore(tmp_path)
    assert store.put(b"x") == store.put(b"x")
    assert len(list(tmp_path.rglob("*"))) == 2  # one folder, one file, no temporary leftovers


def test_blobs_modified_blob_detected(tmp_path):
    store = BlobStore(tmp_path)
    digest = store.put(b"original")
    (tmp_path / digest[:2] / digest).write_bytes(b"tampered")
    with pytest.raises(LedgerIntegrityError, match=f"blob {digest} .* was modified"):
        store.get(digest)


def test_blobs_missing_blob(tmp_path):
    with pytest.raises(NotFoundError, match="blob 00ff not found"):
        BlobStore(tmp_path).get("00ff")
