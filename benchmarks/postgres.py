"""PostgreSQL at bank scale: release list and detail queries, and ledger appends.

1. Load: RELEASES releases (default 1,000,000) over 200 services and
   EVIDENCE_PER_RELEASE evidence rows each (default 10, so 10,000,000), plus
   three approvals and one decision per release, are generated in Python and
   streamed into the migrated schema with COPY FROM STDIN. The schema is the
   one `releasegate db upgrade` creates, with all its indexes in place.
2. Queries, timed through the service layer and SQLAlchemy, each on random
   releases or services:
   - list: `list_releases` (newest 50), over all services and for one service;
   - detail: what `releasegate release show` reads from the database: the
     release, its evidence, approvals and decisions (the evidence facts live
     in the blob store, not in PostgreSQL, and are not read).
   Baseline: a primary-key lookup of one release with psycopg alone.
3. Ledger appends: entries shaped like `evidence.added` through
   `append_entries`, in batches of BATCH entries per transaction (one signed
   checkpoint each) from one process, then from WRITERS processes at once.
   Baseline: one entry per transaction from one process.

The server is the one at --url (a database that can be created and dropped
there), or a private cluster started from the Debian binaries on 127.0.0.1
in a temporary folder and stopped at the end.

With --releases 0 only the ledger appends run.

Run: .venv/bin/python benchmarks/postgres.py [--releases N] [--evidence-per-release N]
     [--queries N] [--appends N] [--batch N] [--writers N] [--url URL] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from postgres import LocalCluster, PostgresServer, _binaries  # noqa: E402
from sqlalchemy import select  # noqa: E402

from releasegate.ledger.checkpoint import CheckpointSigner  # noqa: E402
from releasegate.ledger.note import TYPE_ED25519, SignerKey  # noqa: E402
from releasegate.model import ReleaseManifest  # noqa: E402
from releasegate.service.app import Application  # noqa: E402
from releasegate.service.releases import get_release, list_releases  # noqa: E402
from releasegate.settings import load_settings  # noqa: E402
from releasegate.store.db import Database  # noqa: E402
from releasegate.store.ledger import (  # noqa: E402
    NewEntry,
    append_entries,
    register_checkpoint_signer,
    verify_ledger,
)
from releasegate.store.mappers import approval_from_row, evidence_from_row  # noqa: E402
from releasegate.store.tables import ApprovalRow, DecisionRow, EvidenceRow  # noqa: E402

KEY = SignerKey(
    name="bench.example/releasegate", signature_type=TYPE_ED25519, seed=bytes(range(32))
)
START = datetime(2025, 1, 1, tzinfo=UTC)
SERVICES = 200
COPY_CHUNK = 20_000


def machine(url: str) -> dict[str, str]:
    model = "unknown"
    for line in subprocess.run(
        ["lscpu"], capture_output=True, text=True, check=False
    ).stdout.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    database = Database(url)
    with database.engine.connect() as connection:
        version = connection.exec_driver_sql("show server_version").scalar_one()
    database.dispose()
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "memory_gb": f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f}",
        "python": platform.python_version(),
        "postgresql": str(version),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def release_id(n: int) -> str:
    return f"rel-{n:026d}"


def manifest_json(n: int) -> str:
    manifest = ReleaseManifest.model_validate(
        {
            "service": f"svc-{n % SERVICES:03d}",
            "version": f"1.{n // SERVICES}.0",
            "description": "Generated release",
            "change_type": "normal",
            "ticket": f"CHG-{n}",
            "source_commit": f"{n:040x}",
            "pull_request": f"https://git.example.com/svc/pull/{n}",
            "artifacts": [{"name": "app", "digest": "sha256:" + f"{n:064x}"}],
            "authors": ["alice"],
            "requester": "alice",
        }
    )
    return manifest.model_dump_json()


def copy_rows(connection: Any, statement: str, rows: Any) -> int:
    """Stream rows (tuples of text) into COPY in chunks; return how many were sent."""
    count = 0
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(row))
            buffer.write("\n")
            count += 1
            if count % COPY_CHUNK == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
    return count


def load(url: str, releases: int, evidence_per_release: int) -> dict[str, float]:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    template = manifest_json(0)
    sha = "ab" * 32
    times: dict[str, float] = {}
    with psycopg.connect(dsn, autocommit=False) as connection:
        started = time.perf_counter()

        def release_rows() -> Any:
            for n in range(releases):
                at = (START + timedelta(seconds=30 * n)).strftime("%Y-%m-%d %H:%M:%S")
                # The manifest is validated once; the rest differ in service and version only.
                manifest = template.replace('"svc-000"', f'"svc-{n % SERVICES:03d}"')
                yield (
                    release_id(n), f"svc-{n % SERVICES:03d}", f"1.{n // SERVICES}.0", "normal",
                    "allowed", manifest.replace("\\", "\\\\"), sha, at, at,
                )

        copy_rows(
            connection,
            "COPY releases (id, service, version, change_type, status, manifest_json, "
            "manifest_sha256, created_at, updated_at) FROM STDIN",
            release_rows(),
        )
        connection.commit()
        times["releases_s"] = time.perf_counter() - started

        started = time.perf_counter()
        summary = json.dumps({"tests": 120, "failures": 0, "errors": 0, "skipped": 2})

        def evidence_rows() -> Any:
            for n in range(releases):
                rid = release_id(n)
                base = START + timedelta(seconds=30 * n)
                for k in range(evidence_per_release):
                    at = (base + timedelta(seconds=k + 1)).strftime("%Y-%m-%d %H:%M:%S")
                    kind, fmt = ("test-report", "junit") if k % 2 == 0 else ("scan", "sarif")
                    yield (
                        f"ev-{n:020d}{k:04d}", rid, kind, fmt, sha, sha, f"report-{k}.xml",
                        "4096", f"{n:040x}", summary, at,
                    )

        copy_rows(
            connection,
            'COPY evidence (id, release_id, kind, format, sha256, facts_sha256, filename, size, '
            '"commit", summary_json, collected_at) FROM STDIN',
            evidence_rows(),
        )
        connection.commit()
        times["evidence_s"] = time.perf_counter() - started

        started = time.perf_counter()

        def approval_rows() -> Any:
            for n in range(releases):
                at = START + timedelta(seconds=30 * n + 20)
                for k, who in enumerate(("bob", "dana", "erin")):
                    yield (
                        f"apr-{n:020d}{k}", release_id(n), who, "approve",
                        json.dumps(["sha256:" + f"{n:064x}"]), "rev-1", "\\N",
                        (at + timedelta(seconds=k)).strftime("%Y-%m-%d %H:%M:%S"),
                        (at + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S"),
                    )

        copy_rows(
            connection,
            "COPY approvals (id, release_id, approver, decision, artifact_digests_json, "
            "policy_revision, comment, created_at, expires_at) FROM STDIN",
            approval_rows(),
        )
        decision = json.dumps({"outcome": "allow", "results": []})

        def decision_rows() -> Any:
            for n in range(releases):
                at = (START + timedelta(seconds=30 * n + 25)).strftime("%Y-%m-%d %H:%M:%S")
                yield (f"dec-{n:020d}", release_id(n), "production", "allow", "rev-1", sha,
                       decision, at)

        copy_rows(
            connection,
            "COPY decisions (id, release_id, environment, outcome, policy_revision, "
            "input_sha256, decision_json, evaluated_at) FROM STDIN",
            decision_rows(),
        )
        connection.commit()
        times["approvals_decisions_s"] = time.perf_counter() - started
        started = time.perf_counter()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
        times["vacuum_analyze_s"] = time.perf_counter() - started
    return times


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "p50_ms": round(at(0.50), 3),
        "p95_ms": round(at(0.95), 3),
        "p99_ms": round(at(0.99), 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
        "n": len(ordered),
    }


def detail(app: Application, rid: str) -> int:
    """The database reads of `releasegate release show`, without the blob store."""
    release = get_release(app, rid)
    with app.database.transaction() as session:
        evidence = [
            evidence_from_row(row)
            for row in session.scalars(
                select(EvidenceRow)
                .where(EvidenceRow.release_id == rid)
                .order_by(EvidenceRow.collected_at, EvidenceRow.id)
            )
        ]
        approvals = [
            approval_from_row(row)
            for row in session.scalars(
                select(ApprovalRow)
                .where(ApprovalRow.release_id == rid)
                .order_by(ApprovalRow.created_at, ApprovalRow.id)
            )
        ]
        decisions = session.scalars(
            select(DecisionRow)
            .where(DecisionRow.release_id == rid)
            .order_by(DecisionRow.evaluated_at, DecisionRow.id)
        ).all()
    return 1 + len(evidence) + len(approvals) + len(decisions) if release else 0


def time_queries(url: str, releases: int, count: int) -> dict[str, dict[str, float]]:
    import psycopg

    settings = load_settings(home=Path("/nonexistent"), environ={
        "RELEASEGATE_DATABASE_URL": url
    })
    app = Application(settings)
    rng = random.Random(7)
    series: dict[str, list[float]] = {
        "baseline: psycopg primary-key lookup": [],
        "release list, newest 50": [],
        "release list, one service, newest 50": [],
        "release detail (release, evidence, approvals, decisions)": [],
    }
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    rows_read = 0
    with psycopg.connect(dsn) as raw:
        for _ in range(count):
            rid = release_id(rng.randrange(releases))
            started = time.perf_counter()
            raw.execute("select * from releases where id = %s", (rid,)).fetchone()
            series["baseline: psycopg primary-key lookup"].append(time.perf_counter() - started)

            started = time.perf_counter()
            listed = list_releases(app, limit=50)
            series["release list, newest 50"].append(time.perf_counter() - started)

            service = f"svc-{rng.randrange(SERVICES):03d}"
            started = time.perf_counter()
            listed += list_releases(app, service=service, limit=50)
            series["release list, one service, newest 50"].append(time.perf_counter() - started)

            started = time.perf_counter()
            rows_read += detail(app, rid)
            series["release detail (release, evidence, approvals, decisions)"].append(
                time.perf_counter() - started
            )
            assert len(listed) == min(50, releases) + min(50, releases // SERVICES)
    app.close()
    return {name: percentiles(samples) for name, samples in series.items()}


def entry(index: int) -> NewEntry:
    return NewEntry(
        "evidence.added",
        release_id(index % 1000),
        {
            "evidence_id": f"ev-{index:024d}",
            "kind": "test-report",
            "format": "junit",
            "sha256": "cd" * 32,
            "facts_sha256": "ef" * 32,
            "filename": "junit.xml",
            "summary": {"tests": 120, "failures": 0, "errors": 0, "skipped": 2},
        },
        START + timedelta(seconds=index),
    )


def append_rate(url: str, total: int, batch: int) -> float:
    database = Database(url)
    register_checkpoint_signer(database.engine, lambda: CheckpointSigner([KEY]))
    started = time.perf_counter()
    for first in range(0, total, batch):
        entries = [entry(i) for i in range(first, min(total, first + batch))]
        database.run(lambda session, e=entries: append_entries(session, e), name="append")
    elapsed = time.perf_counter() - started
    database.dispose()
    return total / elapsed


def _writer(url: str, total: int, batch: int, start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.time()))
    append_rate(url, total, batch)


def concurrent_rate(url: str, writers: int, per_writer: int, batch: int) -> float:
    start_at = time.time() + 3
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--writer", url, str(per_writer), str(batch),
             str(start_at)],
        )
        for _ in range(writers)
    ]
    for process in processes:
        if process.wait(timeout=3600) != 0:
            raise RuntimeError("a writer process failed")
    return writers * per_writer / (time.time() - start_at)


def verify_all(url: str) -> tuple[bool, int]:
    database = Database(url)
    with database.transaction() as session:
        report = verify_ledger(session, log_keys=[KEY.verifier], origin=KEY.name)
    database.dispose()
    return report.ok, report.size


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--writer":
        url, total, batch, start_at = sys.argv[2:6]
        _writer(url, int(total), int(batch), float(start_at))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=int, default=1_000_000)
    parser.add_argument("--evidence-per-release", type=int, default=10)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--appends", type=int, default=100_000)
    parser.add_argument("--single-appends", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--url", help="admin URL of an existing server (postgresql+psycopg://)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    cluster = None
    if args.url:
        admin_url = args.url
    else:
        bin_dir = _binaries()
        if bin_dir is None:
            sys.exit("PostgreSQL binaries not found; install postgresql or pass --url")
        cluster = LocalCluster.start(bin_dir, durable=True)
        admin_url = cluster.admin_url
    server = PostgresServer(admin_url)
    data_url = server.create_database()
    ledger_url = server.create_database()
    try:
        result: dict[str, Any] = {
            "machine": machine(data_url),
            "scale": {
                "releases": args.releases,
                "evidence": args.releases * args.evidence_per_release,
                "approvals": args.releases * 3,
                "decisions": args.releases,
            },
        }
        result["load"], result["queries"] = {}, {}
        if args.releases:
            result["load"] = load(data_url, args.releases, args.evidence_per_release)
            result["queries"] = time_queries(data_url, args.releases, args.queries)

        single = append_rate(ledger_url, args.single_appends, 1)
        batched = append_rate(ledger_url, args.appends, args.batch)
        concurrent = concurrent_rate(
            ledger_url, args.writers, args.appends // args.writers, args.batch
        )
        ok, size = verify_all(ledger_url)
        result["ledger"] = {
            "baseline: one entry per transaction, entries/s": round(single),
            f"batches of {args.batch}, one process, entries/s": round(batched),
            f"batches of {args.batch}, {args.writers} processes, entries/s": round(concurrent),
            "ratio batched/single": round(batched / single, 1),
            "ledger verified": ok,
            "ledger size": size,
        }
    finally:
        server.drop_database(data_url)
        server.drop_database(ledger_url)
        server.close()
        if cluster is not None:
            cluster.stop()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(json.dumps(result["machine"]))
    print(json.dumps(result["scale"]))
    print("load seconds:", json.dumps({k: round(v, 1) for k, v in result["load"].items()}))
    for name, figures in result["queries"].items():
        print(f"{name}: {json.dumps(figures)}")
    for name, value in result["ledger"].items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
