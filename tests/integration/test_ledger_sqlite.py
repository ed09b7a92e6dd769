"""The ledger on a real database, SQLite and PostgreSQL: appends, checkpoints and tampering."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from releasegate.errors import ConfigurationError
from releasegate.ledger.canonical import canonical_json
from releasegate.ledger.checkpoint import CheckpointSigner, open_checkpoint
from releasegate.ledger.merkle import leaf_hash, root, verify_consistency, verify_inclusion
from releasegate.ledger.note import TYPE_ED25519, SignerKey
from releasegate.store.db import Database
from releasegate.store.ledger import (
    NewEntry,
    all_checkpoints,
    append_entries,
    append_entry,
    consistency_proof,
    inclusion_proof,
    latest_checkpoint,
    ledger_head,
    register_checkpoint_signer,
    root_at,
    verify_ledger,
)

AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
ORIGIN = "test.example/ledger"
KEY = SignerKey(name=ORIGIN, signature_type=TYPE_ED25519, seed=bytes(range(32)))


@pytest.fixture
def database(database_url):
    db = Database(database_url)
    db.initialise()
    register_checkpoint_signer(db.engine, lambda: CheckpointSigner([KEY]))
    yield db
    db.dispose()


def fill(database, count):
    with database.transaction() as session:
        for index in range(count):
            append_entry(
                session,
                entry_type="test.entry",
                subject=f"rel-{index % 3}",
                data={"n": index, "text": "payé"},
                recorded_at=AT,
            )


def verify(session, **options):
    return verify_ledger(session, log_keys=[KEY.verifier], origin=ORIGIN, **options)


def sql(database, statement, **params):
    """Run SQL on its own connection, outside releasegate's sessions; return the rows."""
    engine = create_engine(database.url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        engine.dispose()


def bodies(database):
    return [b for (b,) in sql(database, "select body from ledger_entries order by seq")]


def test_ledger_root_matches_merkle_root(database):
    fill(database, 11)
    with database.transaction() as session:
        size, head_root = ledger_head(session)
        report = verify(session)
    expected = root([leaf_hash(body.encode()) for body in bodies(database)]).hex()
    assert size == 11
    assert head_root == expected
    assert report.ok, report.problems
    assert report.size == 11
    assert report.root_hash == expected


def test_ledger_one_checkpoint_per_transaction(database):
    fill(database, 3)
    fill(database, 2)
    with database.transaction() as session:
        checkpoints = all_checkpoints(session)
        newest = latest_checkpoint(session)
    assert [c.size for c in checkpoints] == [3, 5]
    opened = open_checkpoint(newest.note, [KEY.verifier], origin=ORIGIN)
    assert opened.checkpoint.size == 5
    assert (
        opened.checkpoint.root_hash.hex()
        == root([leaf_hash(b.encode()) for b in bodies(database)]).hex()
    )


def test_ledger_batch_append_equals_single_appends(database, new_database_url):
    entries = [NewEntry("test.entry", "rel-1", {"n": n}, AT) for n in range(600)]
    with database.transaction() as session:
        appended = append_entries(session, entries)
    assert [e.index for e in appended] == list(range(600))

    other = Database(new_database_url("other"))
    other.initialise()
    register_checkpoint_signer(other.engine, lambda: CheckpointSigner([KEY]))
    for entry in entries:
        with other.transaction() as session:
            append_entries(session, [entry])
    with database.transaction() as first, other.transaction() as second:
        assert ledger_head(first) == ledger_head(second)
        assert verify(first).ok
        assert verify(second).ok
    other.dispose()


def test_ledger_rollback_leaves_no_entry_and_no_checkpoint(database):
    fill(database, 2)
    with pytest.raises(RuntimeError), database.transaction() as session:
        append_entry(session, entry_type="test.entry", subject=None, data={}, recorded_at=AT)
        raise RuntimeError("the state change failed")
    with database.transaction() as session:
        assert ledger_head(session)[0] == 2
        assert [c.size for c in all_checkpoints(session)] == [2]
        assert verify(session).ok


def test_ledger_append_without_signer_rejected(new_database_url):
    bare = Database(new_database_url("bare"))
    bare.initialise()
    with (
        pytest.raises(
            ConfigurationError, match="no checkpoint signer is configured for this database"
        ),
        bare.transaction() as session,
    ):
        append_entry(session, entry_type="test.entry", subject=None, data={}, recorded_at=AT)
    with bare.transaction() as session:
        assert ledger_head(session)[0] == 0
    bare.dispose()


def test_ledger_failing_signer_rolls_back(new_database_url):
    broken = Database(new_database_url("broken"))
    broken.initialise()

    def provider():
        raise ConfigurationError("the log key is missing")

    register_checkpoint_signer(broken.engine, provider)
    with (
        pytest.raises(ConfigurationError, match="the log key is missing"),
        broken.transaction() as session,
    ):
        append_entry(session, entry_type="test.entry", subject=None, data={}, recorded_at=AT)
    with broken.transaction() as session:
        assert ledger_head(session)[0] == 0
    broken.dispose()


def test_ledger_proofs_verify_against_checkpoint(database):
    fill(database, 7)
    fill(database, 300)
    with database.transaction() as session:
        first, newest = all_checkpoints(session)
        leaves = [leaf_hash(b.encode()) for b in bodies(database)]
        for index in (0, 6, 150, 306):
            verify_inclusion(
                leaves[index], index, 307, inclusion_proof(session, index, 307), newest.root_hash
            )
        proof = consistency_proof(session, 7, 307)
        verify_consistency(7, 307, first.root_hash, newest.root_hash, proof)
        assert root_at(session, 7) == first.root_hash


def test_ledger_one_byte_change_named(database):
    fill(database, 5)
    body = bodies(database)[3]
    tampered = body.replace('"n":3', '"n":4')
    assert len(tampered) == len(body)
    assert tampered != body
    sql(database, "update ledger_entries set body = :b where seq = 3", b=tampered)
    with database.transaction() as session:
        report = verify(session)
    assert not report.ok
    assert report.problems[0].startswith("entry 3 (test.entry): leaf hash")
    assert any(p.startswith("root mismatch") for p in report.problems)


def test_ledger_every_byte_of_an_entry_is_covered(database):
    fill(database, 3)
    body = bodies(database)[1]
    for position in range(len(body)):
        changed = body[:position] + ("x" if body[position] != "x" else "y") + body[position + 1 :]
        sql(database, "update ledger_entries set body = :b where seq = 1", b=changed)
        with database.transaction() as session:
            report = verify(session)
        assert not report.ok, f"change at byte {position} went unnoticed"
        assert report.problems[0].startswith("entry 1"), report.problems[0]
    sql(database, "update ledger_entries set body = :b where seq = 1", b=body)
    with database.transaction() as session:
        assert verify(session).ok


def test_ledger_rewritten_hash_still_fails_on_root(database):
    fill(database, 4)
    body = json.loads(bodies(database)[2])
    body["data"]["n"] = 99
    new_body = canonical_json(body)
    sql(
        database,
        "update ledger_entries set body = :b, leaf_hash = :h where seq = 2",
        b=new_body.decode(),
        h=leaf_hash(new_body).hex(),
    )
    with database.transaction() as session:
        report = verify(session)
    assert not report.ok
    assert (
        report.problems[0]
        == "tile 0/0 differs from the tree rebuilt from the entries at hash 2 (node 0/2)"
    )
    assert report.problems[1].startswith("root mismatch: head records ")
    assert report.problems[2].startswith("the newest checkpoint at tree size 4 has root ")
    assert report.problems[2].endswith(
        "but the stored entries hash to " + report.root_hash + ": entries were changed"
    )


def test_ledger_deleted_entry_detected(database):
    fill(database, 4)
    sql(database, "delete from ledger_entries where seq = 1")
    with database.transaction() as session:
        report = verify(session)
    assert not report.ok
    assert report.problems[0] == "entry 2: expected index 1; entries are missing"
    assert "ledger head claims 4 entries, 3 are stored" in report.problems


def test_ledger_subject_column_bound_to_body(database):
    fill(database, 3)
    sql(database, "update ledger_entries set subject = 'rel-other' where seq = 0")
    with database.transaction() as session:
        report = verify(session)
    assert report.problems == (
        "entry 0: the body's envelope does not match the row's index 0, type 'test.entry' "
        "and subject 'rel-other' in canonical form",
    )


def test_ledger_deep_verify_checks_every_checkpoint(database):
    fill(database, 2)
    fill(database, 2)
    sql(
        database,
        "update ledger_checkpoints set note = replace(note, 'test.example', 'test.exampl3') "
        "where id = 1",
    )
    with database.transaction() as session:
        shallow = verify(session)
        deep = verify(session, deep=True)
    assert shallow.ok
    assert not deep.ok
    assert deep.problems[0].startswith("checkpoint 1: ")


def test_ledger_unsigned_tail_detected(database):
    fill(database, 3)
    with database.transaction() as session:
        # Bypass the checkpoint: append, then drop the pending checkpoint mark.
        append_entry(session, entry_type="test.entry", subject=None, data={}, recorded_at=AT)
        session.info.clear()
    with database.transaction() as session:
        report = verify(session)
    assert (
        "entries 3 to 3 are not covered by a signed checkpoint; "
        "they were inserted outside the append path" in report.problems
    )


def test_ledger_parallel_verify_matches_sequential(database, monkeypatch):
    from releasegate.store import ledger as store_ledger

    with database.transaction() as session:
        append_entries(
            session, [NewEntry("test.entry", f"rel-{n % 5}", {"n": n}, AT) for n in range(3000)]
        )
    monkeypatch.setattr(store_ledger, "_PARALLEL_MIN_ENTRIES", 0)
    with database.transaction() as session:
        parallel = verify(session, parallel=True)
    assert parallel.ok, parallel.problems
    assert parallel.size == 3000

    body = bodies(database)[2900]
    sql(
        database,
        "update ledger_entries set body = :b where seq = 2900",
        b=body.replace('"n":2900', '"n":2901'),
    )
    with database.transaction() as session:
        sequential = verify(session)
        parallel = verify(session, parallel=True)
    assert not parallel.ok
    assert parallel.problems == sequential.problems
    assert parallel.problems[0].startswith("entry 2900 (test.entry): leaf hash")
