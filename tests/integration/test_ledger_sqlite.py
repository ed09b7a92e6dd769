"""The ledger on a real SQLite file: appends in the caller's transaction, tamper detection."""

import json
import sqlite3
from datetime import UTC, datetime

import pytest

from releasegate.ledger.merkle import leaf_hash, root
from releasegate.store.db import Database
from releasegate.store.ledger import append_entry, ledger_head, verify_ledger

AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    db.initialise()
    yield db
    db.dispose()


def fill(database, count):
    with database.transaction() as session:
        for index in range(count):
            append_entry(session, entry_type="test.entry", subject=f"rel-{index % 3}",
                         data={"n": index, "text": "payé"}, recorded_at=AT)


def test_ledger_root_matches_merkle_root(database):
    fill(database, 11)
    with database.transaction() as session:
        size, head_root = ledger_head(session)
        report = verify_ledger(session)
    rows = sqlite3.connect(database.url.removeprefix("sqlite:///")).execute(
        "select body from ledger_entries order by seq").fetchall()
    expected = root([leaf_hash(body.encode()) for (body,) in rows]).hex()
    assert size == 11
    assert head_root == expected
    assert report.ok and report.size == 11 and report.root_hash == expected


def test_ledger_rollback_leaves_no_entry(database):
    fill(database, 2)
    with pytest.raises(RuntimeError), database.transaction() as session:
        append_entry(session, entry_type="test.entry", subject=None, data={}, recorded_at=AT)
        raise RuntimeError("the state change failed")
    with database.transaction() as session:
        assert ledger_head(session)[0] == 2
        assert verify_ledger(session).ok


def sql(database, statement, *args):
    connection = sqlite3.connect(database.url.removeprefix("sqlite:///"))
    with connection:
        connection.execute(statement, args)
    connection.close()


def test_ledger_one_byte_change_named(database):
    fill(database, 5)
    body = sqlite3.connect(database.url.removeprefix("sqlite:///")).execute(
        "select body from ledger_entries where seq = 3").fetchone()[0]
    tampered = body.replace('"n":3', '"n":4')
    assert len(tampered) == len(body) and tampered != body
    sql(database, "update ledger_entries set body = ? where seq = 3", tampered)
    with database.transaction() as session:
        report = verify_ledger(session)
    assert not report.ok
    assert report.problems[0].startswith("entry 3 (test.entry): leaf hash")
    assert any(p.startswith("root mismatch") for p in report.problems)


def test_ledger_every_byte_of_an_entry_is_covered(database):
    fill(database, 3)
    body = sqlite3.connect(database.url.removeprefix("sqlite:///")).execute(
        "select body from ledger_entries where seq = 1").fetchone()[0]
    for position in range(len(body)):
        changed = body[:position] + ("x" if body[position] != "x" else "y") + body[position + 1:]
        sql(database, "update ledger_entries set body = ? where seq = 1", changed)
        with database.transaction() as session:
            report = verify_ledger(session)
        assert not report.ok, f"change at byte {position} went unnoticed"
        assert report.problems[0].startswith("entry 1"), report.problems[0]
    sql(database, "update ledger_entries set body = ? where seq = 1", body)
    with database.transaction() as session:
        assert verify_ledger(session).ok


def test_ledger_rewritten_hash_still_fails_on_root(database):
    fill(database, 4)
    body = json.loads(sqlite3.connect(database.url.removeprefix("sqlite:///")).execute(
        "select body from ledger_entries where seq = 2").fetchone()[0])
    body["data"]["n"] = 99
    from releasegate.ledger.canonical import canonical_json
    new_body = canonical_json(body)
    sql(database, "update ledger_entries set body = ?, leaf_hash = ? where seq = 2",
        new_body.decode(), leaf_hash(new_body).hex())
    with database.transaction() as session:
        report = verify_ledger(session)
    assert not report.ok
    assert report.problems == (
        f"root mismatch: head records {report.problems[0].split()[4].rstrip(',')}, "
        f"entries hash to {report.root_hash}",
    )


def test_ledger_deleted_entry_detected(database):
    fill(database, 4)
    sql(database, "delete from ledger_entries where seq = 1")
    with database.transaction() as session:
        report = verify_ledger(session)
    assert not report.ok
    assert report.problems[0] == "entry 2: expected index 1; entries are missing"
    assert "ledger head claims 4 entries, 3 are stored" in report.problems
