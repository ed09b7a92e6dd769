"""Ledger benchmarks: appends, full verification and proofs, each beside a baseline.

1. Append: entries shaped like `evidence.added` (about 520 bytes of canonical
   JSON) go through `append_entries` in batches of 1,000 on a SQLite file,
   one signed checkpoint per batch. Baseline: a hashlib-only loop that
   computes SHA-256(0x00 || body) over the same canonical bytes.
2. Full verification: the same kind of entries are appended through the
   same path, then `verify_ledger` checks the signed checkpoint, every
   envelope and leaf hash, every tile and the root. Baseline: a loop that
   reads the same bodies with the sqlite3 module and hashes every leaf and
   interior node with hashlib, the minimum work of any full verifier.
3. Inclusion proof: a tree of 10,000,000 leaves is written directly into the
   tile table, with SHA-256 of the index as leaf hashes and no entry rows.
   `inclusion_proof` is then timed through SQLAlchemy for random leaves.
   Baseline: the same proof computed from the same tiles held in a dict.

Run: .venv/bin/python benchmarks/ledger.py [--append N] [--verify N] [--proof-size N] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from releasegate.ledger.canonical import canonical_json
from releasegate.ledger.checkpoint import CheckpointSigner
from releasegate.ledger.merkle import verify_inclusion
from releasegate.ledger.note import TYPE_ED25519, SignerKey
from releasegate.ledger.tiles import TreeBuilder, inclusion_proof_from_tiles
from releasegate.store.db import Database
from releasegate.store.ledger import (
    NewEntry,
    append_entries,
    inclusion_proof,
    register_checkpoint_signer,
    root_at,
    verify_ledger,
)
from releasegate.store.tables import LedgerHeadRow, LedgerTileRow

KEY = SignerKey(
    name="bench.example/releasegate", signature_type=TYPE_ED25519, seed=bytes(range(32))
)
START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False
        ).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def entry(index: int) -> NewEntry:
    return NewEntry(
        "evidence.added",
        f"rel-01hx3k9z8b7c6d5e4f3g2h{index % 1000:04d}",
        {
            "evidence_id": f"ev-01hx3k9z8b7c6d{index:010d}",
            "kind": "test_report",
            "format": "junit",
            "sha256": hashlib.sha256(b"raw %d" % index).hexdigest(),
            "facts_sha256": hashlib.sha256(b"facts %d" % index).hexdigest(),
            "filename": "junit.xml",
            "commit": "a" * 40,
            "summary": {"tests": 120, "failures": 0, "errors": 0, "skipped": 2, "flaky": 0},
        },
        START + timedelta(seconds=index),
    )


def open_database(folder: Path, name: str) -> Database:
    database = Database(f"sqlite:///{folder / name}")
    database.initialise()
    register_checkpoint_signer(database.engine, lambda: CheckpointSigner([KEY]))
    return database


def append(database: Database, count: int, batch: int) -> float:
    entries = [entry(i) for i in range(count)]
    started = time.perf_counter()
    for first in range(0, count, batch):
        with database.transaction() as session:
            append_entries(session, entries[first : first + batch])
    return time.perf_counter() - started


def bench_append(folder: Path, count: int) -> dict[str, float]:
    database = open_database(folder, "append.db")
    elapsed = append(database, count, 1000)
    database.dispose()

    bodies = []
    for i in range(count):
        e = entry(i)
        bodies.append(
            canonical_json(
                {
                    "index": i,
                    "type": e.entry_type,
                    "subject": e.subject,
                    "recorded_at": e.recorded_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "data": e.data,
                }
            )
        )
    sha256 = hashlib.sha256
    started = time.perf_counter()
    for body in bodies:
        sha256(b"\x00" + body).digest()
    baseline = time.perf_counter() - started
    return {
        "entries": count,
        "body_bytes": sum(map(len, bodies)) / count,
        "append_per_second": count / elapsed,
        "append_microseconds": elapsed / count * 1e6,
        "baseline_per_second": count / baseline,
        "baseline_microseconds": baseline / count * 1e6,
    }


def bench_verify(folder: Path, count: int) -> dict[str, float]:
    database = open_database(folder, "verify.db")
    build = append(database, count, 10_000)
    path = database.url.removeprefix("sqlite:///")

    with database.transaction() as session:
        started = time.perf_counter()
        report = verify_ledger(session, log_keys=[KEY.verifier], origin=KEY.name, parallel=True)
        elapsed = time.perf_counter() - started
    if not report.ok or report.size != count:
        raise SystemExit(f"verification failed: {report.problems[:3]}")
    database.dispose()

    # Baseline: read the bodies and hash every leaf and interior node, nothing else.
    sha256 = hashlib.sha256
    connection = sqlite3.connect(path)
    started = time.perf_counter()
    cursor = connection.execute("SELECT body FROM ledger_entries ORDER BY seq")
    row = [sha256(b"\x00" + body.encode()).digest() for (body,) in cursor]
    while len(row) > 1:
        pairs = iter(row)
        merged = [sha256(b"\x01" + a + b).digest() for a, b in zip(pairs, pairs, strict=False)]
        if len(row) % 2:
            merged.append(row[-1])
        row = merged
    baseline = time.perf_counter() - started
    connection.close()
    if row[0].hex() != report.root_hash:
        raise SystemExit("the baseline computed a different root")
    return {
        "entries": count,
        "build_seconds": build,
        "verify_seconds": elapsed,
        "baseline_seconds": baseline,
    }


def bench_proof(folder: Path, size: int, samples: int) -> dict[str, float]:
    database = Database(f"sqlite:///{folder / 'proof.db'}")
    database.initialise()
    builder = TreeBuilder()
    tiles: dict[tuple[int, int], bytes] = {}
    sha256 = hashlib.sha256
    started = time.perf_counter()
    with database.transaction() as session:
        connection = session.connection()
        chunk = 1 << 16
        for first in range(0, size, chunk):
            leaves = [
                sha256(i.to_bytes(8, "big")).digest()
                for i in range(first, min(size, first + chunk))
            ]
            full = builder.extend(leaves)
            connection.execute(
                LedgerTileRow.__table__.insert(),  # type: ignore[attr-defined]
                [{"level": t.level, "tile_index": t.index, "hashes": t.hashes} for t in full],
            )
            tiles.update({(t.level, t.index): t.hashes for t in full})
        partial = builder.partial_tiles()
        connection.execute(
            LedgerTileRow.__table__.insert(),  # type: ignore[attr-defined]
            [{"level": t.level, "tile_index": t.index, "hashes": t.hashes} for t in partial],
        )
        tiles.update({(t.level, t.index): t.hashes for t in partial})
        session.add(
            LedgerHeadRow(id=1, size=size, root_hash=builder.root().hex(), frontier_json="[]")
        )
    build = time.perf_counter() - started
    root = builder.root()

    rng = random.Random(10)
    indexes = [rng.randrange(size) for _ in range(samples)]
    with database.transaction() as session:
        assert root_at(session, size) == root
        timings = []
        for index in indexes:
            begin = time.perf_counter()
            proof = inclusion_proof(session, index, size)
            timings.append(time.perf_counter() - begin)
            verify_inclusion(sha256(index.to_bytes(8, "big")).digest(), index, size, proof, root)
    database.dispose()

    read = lambda keys: {k: tiles[k] for k in keys if k in tiles}  # noqa: E731
    memory = []
    verify = []
    for index in indexes:
        begin = time.perf_counter()
        proof = inclusion_proof_from_tiles(index, size, read)
        memory.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        verify_inclusion(sha256(index.to_bytes(8, "big")).digest(), index, size, proof, root)
        verify.append(time.perf_counter() - begin)

    def ms(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3

    return {
        "tree_size": size,
        "tiles": len(tiles),
        "build_seconds": build,
        "proof_hashes": len(proof),
        "sqlite_median_ms": statistics.median(timings) * 1e3,
        "sqlite_p99_ms": ms(timings, 0.99),
        "memory_median_ms": statistics.median(memory) * 1e3,
        "memory_p99_ms": ms(memory, 0.99),
        "verify_median_ms": statistics.median(verify) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--append", type=int, default=50_000, help="entries for the append benchmark"
    )
    parser.add_argument(
        "--verify", type=int, default=1_000_000, help="entries for the verify benchmark"
    )
    parser.add_argument(
        "--proof-size", type=int, default=10_000_000, help="leaves of the proof tree"
    )
    parser.add_argument("--samples", type=int, default=2000, help="inclusion proofs to time")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="releasegate-ledger-bench-"))
    try:
        results = {"machine": machine()}
        results["append"] = bench_append(folder, args.append)
        results["verify"] = bench_verify(folder, args.verify)
        results["proof"] = bench_proof(folder, args.proof_size, args.samples)
        results["machine"]["load_average_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    m, a, v, p = results["machine"], results["append"], results["verify"], results["proof"]
    print(
        f"machine: {m['nproc']} CPUs, {m['cpu']}, Python {m['python']}, SQLite {m['sqlite']}, "
        f"load {m['load_average']} before, {m['load_average_after']} after"
    )
    print(
        f"append  {a['entries']:>10,} entries ({a['body_bytes']:.0f} B): "
        f"{a['append_per_second']:>9,.0f}/s ({a['append_microseconds']:.1f} us each); "
        f"baseline hashlib {a['baseline_per_second']:>11,.0f}/s "
        f"({a['baseline_microseconds']:.2f} us)"
    )
    print(
        f"verify  {v['entries']:>10,} entries: {v['verify_seconds']:.2f} s; "
        f"baseline sqlite3 + hashlib {v['baseline_seconds']:.2f} s "
        f"(built in {v['build_seconds']:.0f} s)"
    )
    print(
        f"proof   {p['tree_size']:>10,} leaves ({p['tiles']:,} tiles, {p['proof_hashes']} hashes): "
        f"median {p['sqlite_median_ms']:.3f} ms, p99 {p['sqlite_p99_ms']:.3f} ms through SQLite; "
        f"baseline in memory median {p['memory_median_ms']:.3f} ms, "
        f"p99 {p['memory_p99_ms']:.3f} ms; "
        f"verify {p['verify_median_ms']:.3f} ms (tree built in {p['build_seconds']:.0f} s)"
    )


if __name__ == "__main__":
    main()
