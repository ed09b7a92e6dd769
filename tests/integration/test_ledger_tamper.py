"""Random tampering with a stored ledger: every change is detected.

Each trial changes a small ledger (SQLite and PostgreSQL) inside a transaction, runs the
verifier on the changed state, and rolls the change back. Attackers who
only edit rows must be caught by `ledger verify` alone. Attackers who also
rebuild the tree, delete the newer checkpoints, or even hold the log key
and sign a new checkpoint can only be caught by an older checkpoint that an
auditor kept, through the consistency check.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from conftest import BACKENDS, fresh_database_url
from sqlalchemy import text
from sqlalchemy.orm import Session

from releasegate.ledger.canonical import canonical_json
from releasegate.ledger.checkpoint import CheckpointSigner, OpenedCheckpoint, open_checkpoint
from releasegate.ledger.note import TYPE_ED25519, SignerKey
from releasegate.ledger.tiles import TreeBuilder
from releasegate.store.db import Database
from releasegate.store.ledger import (
    NewEntry,
    all_checkpoints,
    append_entries,
    latest_checkpoint,
    register_checkpoint_signer,
    verify_ledger,
)

ORIGIN = "tamper.example/ledger"
KEY = SignerKey(name=ORIGIN, signature_type=TYPE_ED25519, seed=bytes([9]) * 32)
START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
BATCHES = (1, 4, 2, 7, 1, 3, 5, 2, 6, 1)  # 32 entries in 10 transactions
TRIALS_PER_KIND = 300


@pytest.fixture(scope="module", params=BACKENDS)
def ledger(request, tmp_path_factory) -> Iterator[tuple[Database, OpenedCheckpoint]]:
    folder = tmp_path_factory.mktemp("tamper")
    database = Database(fresh_database_url(request, request.param, folder, "ledger"))
    database.initialise()
    register_checkpoint_signer(database.engine, lambda: CheckpointSigner([KEY]))
    index = 0
    for count in BATCHES:
        with database.transaction() as session:
            append_entries(
                session,
                [
                    NewEntry(
                        "test.entry",
                        f"rel-{(index + n) % 4}",
                        {"n": index + n, "note": "é" * ((index + n) % 3), "sha256": "ab" * 32},
                        START + timedelta(minutes=index + n),
                    )
                    for n in range(count)
                ],
            )
        index += count
    with database.transaction() as session:
        newest = latest_checkpoint(session)
    assert newest is not None
    auditor = open_checkpoint(newest.note, [KEY.verifier], origin=ORIGIN)
    yield database, auditor
    database.dispose()


@contextmanager
def scratch(database: Database) -> Iterator[Session]:
    """A session whose changes are rolled back at the end."""
    connection = database.engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


def rows(session: Session) -> list[tuple[int, str, str | None, str, str]]:
    return [
        tuple(r)  # type: ignore[misc]
        for r in session.execute(
            text(
                "SELECT seq, entry_type, subject, body, leaf_hash FROM ledger_entries ORDER BY seq"
            )
        )
    ]


def set_body(session: Session, seq: int, body: str, *, rehash: bool) -> None:
    if rehash:
        digest = hashlib.sha256(b"\x00" + body.encode()).hexdigest()
        session.execute(
            text("UPDATE ledger_entries SET body = :b, leaf_hash = :h WHERE seq = :s"),
            {"b": body, "h": digest, "s": seq},
        )
    else:
        session.execute(
            text("UPDATE ledger_entries SET body = :b WHERE seq = :s"), {"b": body, "s": seq}
        )


def rebuild_tree(session: Session, *, sign: bool = False) -> None:
    """Recompute leaf hashes, tiles and head from the stored bodies, as a careful attacker would."""
    builder = TreeBuilder()
    tiles = []
    leaves = [
        hashlib.sha256(b"\x00" + body.encode()).digest() for _, _, _, body, _ in rows(session)
    ]
    for seq, leaf in enumerate(leaves):
        session.execute(
            text("UPDATE ledger_entries SET seq = :s, leaf_hash = :h WHERE seq = :s"),
            {"s": seq, "h": leaf.hex()},
        )
    tiles = builder.extend(leaves) + builder.partial_tiles()
    session.execute(text("DELETE FROM ledger_tiles"))
    for tile in tiles:
        session.execute(
            text("INSERT INTO ledger_tiles (level, tile_index, hashes) VALUES (:l, :i, :h)"),
            {"l": tile.level, "i": tile.index, "h": tile.hashes},
        )
    session.execute(
        text("UPDATE ledger_head SET size = :n, root_hash = :r, frontier_json = :f"),
        {
            "n": builder.size,
            "r": builder.root().hex(),
            "f": json.dumps([h.hex() for h in builder.frontier()]),
        },
    )
    if sign:
        note = CheckpointSigner([KEY]).sign(builder.size, builder.root())
        session.execute(
            text(
                "INSERT INTO ledger_checkpoints (tree_size, root_hash, note, key_ids, created_at) "
                "VALUES (:n, :r, :note, :k, :t)"
            ),
            {
                "n": builder.size,
                "r": builder.root().hex(),
                "note": note,
                "k": KEY.key_id.hex(),
                "t": START.replace(tzinfo=None),
            },
        )


def renumber(session: Session) -> None:
    """Make seq contiguous and rewrite each body's index to match, keeping canonical form."""
    for new_seq, (seq, _, _, body, _) in enumerate(rows(session)):
        value = json.loads(body)
        value["index"] = new_seq
        session.execute(
            text("UPDATE ledger_entries SET seq = :n WHERE seq = :s"), {"n": -1 - new_seq, "s": seq}
        )
        session.execute(
            text("UPDATE ledger_entries SET body = :b WHERE seq = :n"),
            {"b": canonical_json(value).decode(), "n": -1 - new_seq},
        )
    session.execute(text("UPDATE ledger_entries SET seq = -1 - seq"))


# Tampering kinds: each takes (session, rng) and changes the stored ledger.


def edit_byte(session: Session, rng: random.Random) -> None:
    seq, _, _, body, _ = rng.choice(rows(session))
    position = rng.randrange(len(body))
    replacement = rng.choice([c for c in '0123456789abcdefxyz"{},:é' if c != body[position]])
    set_body(
        session,
        seq,
        body[:position] + replacement + body[position + 1 :],
        rehash=rng.random() < 0.5,
    )


def edit_value_and_rehash(session: Session, rng: random.Random) -> None:
    seq, _, _, body, _ = rng.choice(rows(session))
    value = json.loads(body)
    value["data"]["n"] = value["data"]["n"] + rng.randint(1, 1000)
    set_body(session, seq, canonical_json(value).decode(), rehash=True)


def edit_and_rebuild_tree(session: Session, rng: random.Random) -> None:
    edit_value_and_rehash(session, rng)
    rebuild_tree(session)


def delete_entry(session: Session, rng: random.Random) -> None:
    seq = rng.choice(rows(session))[0]
    session.execute(text("DELETE FROM ledger_entries WHERE seq = :s"), {"s": seq})
    if rng.random() < 0.5:
        renumber(session)
        rebuild_tree(session)


def reorder_entries(session: Session, rng: random.Random) -> None:
    stored = rows(session)
    first, second = rng.sample(range(len(stored)), 2)
    a, b = stored[first], stored[second]
    for target, source in ((a, b), (b, a)):
        session.execute(
            text(
                "UPDATE ledger_entries SET body = :b, leaf_hash = :h, entry_type = :t, "
                "subject = :j WHERE seq = :s"
            ),
            {"b": source[3], "h": source[4], "t": source[1], "j": source[2], "s": target[0]},
        )
    if rng.random() < 0.5:
        renumber(session)
        rebuild_tree(session)


def truncate_tail(session: Session, rng: random.Random) -> None:
    size = len(rows(session))
    keep = rng.randrange(0, size)
    session.execute(text("DELETE FROM ledger_entries WHERE seq >= :k"), {"k": keep})
    if rng.random() < 0.5:
        rebuild_tree(session)


def truncate_to_checkpoint(session: Session, rng: random.Random) -> None:
    """Truncate to an earlier checkpoint and remove every later trace (an auditor detects it)."""
    sizes = sorted({c.size for c in all_checkpoints(session)})[:-1]
    keep = rng.choice(sizes)
    session.execute(text("DELETE FROM ledger_entries WHERE seq >= :k"), {"k": keep})
    session.execute(text("DELETE FROM ledger_checkpoints WHERE tree_size > :k"), {"k": keep})
    rebuild_tree(session)


def rewrite_with_stolen_key(session: Session, rng: random.Random) -> None:
    """Rewrite history and sign it with the real log key, which only an auditor detects."""
    edit_value_and_rehash(session, rng)
    session.execute(text("DELETE FROM ledger_checkpoints"))
    rebuild_tree(session, sign=True)


KINDS: dict[str, tuple[Callable[[Session, random.Random], None], bool]] = {
    # name: (tamper, detected without the auditor's checkpoint)
    "edit byte": (edit_byte, True),
    "edit value and rehash": (edit_value_and_rehash, True),
    "edit and rebuild tree": (edit_and_rebuild_tree, True),
    "delete entry": (delete_entry, True),
    "reorder entries": (reorder_entries, True),
    "truncate tail": (truncate_tail, True),
    "truncate to checkpoint": (truncate_to_checkpoint, False),
    "rewrite with stolen key": (rewrite_with_stolen_key, False),
}


def test_untouched_ledger_verifies(ledger) -> None:
    database, auditor = ledger
    with scratch(database) as session:
        report = verify_ledger(
            session, log_keys=[KEY.verifier], origin=ORIGIN, auditor_checkpoint=auditor
        )
    assert report.ok, report.problems
    assert report.size == sum(BATCHES)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_random_tampering_detected(ledger, kind: str) -> None:
    database, auditor = ledger
    tamper, alone = KINDS[kind]
    rng = random.Random(f"tamper-{kind}")
    missed_alone = 0
    for trial in range(TRIALS_PER_KIND):
        with scratch(database) as session:
            tamper(session, rng)
            with_auditor = verify_ledger(
                session, log_keys=[KEY.verifier], origin=ORIGIN, auditor_checkpoint=auditor
            )
            assert not with_auditor.ok, f"{kind} trial {trial} went unnoticed"
            if alone:
                report = verify_ledger(session, log_keys=[KEY.verifier], origin=ORIGIN)
                missed_alone += report.ok
    assert missed_alone == 0, f"ledger verify alone missed {missed_alone} {kind} trials"


def test_stolen_key_rewrite_named_by_auditor(ledger) -> None:
    database, auditor = ledger
    with scratch(database) as session:
        rewrite_with_stolen_key(session, random.Random(1))
        alone = verify_ledger(session, log_keys=[KEY.verifier], origin=ORIGIN)
        with_auditor = verify_ledger(
            session, log_keys=[KEY.verifier], origin=ORIGIN, auditor_checkpoint=auditor
        )
    assert alone.ok
    assert with_auditor.problems[0].startswith(
        f"the auditor's checkpoint at tree size {auditor.checkpoint.size} has root "
    )
    assert with_auditor.problems[0].endswith("the log was rewritten")
    assert with_auditor.problems[1].startswith("consistency from the auditor's checkpoint")


def test_truncation_named_by_auditor(ledger) -> None:
    database, auditor = ledger
    with scratch(database) as session:
        truncate_to_checkpoint(session, random.Random(2))
        alone = verify_ledger(session, log_keys=[KEY.verifier], origin=ORIGIN)
        with_auditor = verify_ledger(
            session, log_keys=[KEY.verifier], origin=ORIGIN, auditor_checkpoint=auditor
        )
    assert alone.ok
    assert with_auditor.problems[0].startswith(
        f"the auditor's checkpoint covers {auditor.checkpoint.size} entries, but the log has only "
    )
    assert with_auditor.problems[0].endswith(": the log was truncated")
