"""Scrape-time cost of the `releasegate_rollouts` gauge, beside a raw sqlite3 baseline.

A SQLite file gets N rollouts (default 100,000) spread over the six states,
each with a release row, written directly through SQLAlchemy. Then, in
interleaved rounds:

- **raw sqlite3**: `SELECT status, count(*) FROM rollouts GROUP BY status`
  through the sqlite3 module on its own connection (the baseline);
- **rollout_counts**: `releasegate.service.rollout_views.rollout_counts`,
  the function the collector calls on each scrape, through the store's
  engine and a transaction.

Run: .venv/bin/python benchmarks/rollout_metrics.py [--rollouts N] [--rounds N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import insert

from releasegate.service.rollout_views import STATES, rollout_counts
from releasegate.store.db import Database
from releasegate.store.tables import ReleaseRow, RolloutRow

START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def _release_row(number: int) -> dict[str, object]:
    return {
        "id": f"rel-{number:08d}",
        "service": "payments-api",
        "version": "1.0.0",
        "change_type": "normal",
        "status": "deployed",
        "manifest_json": "{}",
        "manifest_sha256": "0" * 64,
        "created_at": START,
        "updated_at": START,
    }


def populate(database: Database, count: int) -> None:
    batch = 5000
    with database.transaction() as session:
        for first in range(0, count, batch):
            numbers = range(first, min(first + batch, count))
            session.execute(insert(ReleaseRow), [_release_row(n) for n in numbers])
            session.execute(
                insert(RolloutRow),
                [
                    {
                        "id": f"rol-{n:08d}",
                        "release_id": f"rel-{n:08d}",
                        "service": "payments-api",
                        "status": STATES[n % len(STATES)],
                        "reason": None,
                        "plan_json": "{}",
                        "config_json": "{}",
                        "rehearsal": False,
                        "started_by": "bench",
                        "created_at": START,
                        "updated_at": START,
                    }
                    for n in numbers
                ],
            )


def timed(action, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rg-bench-") as folder:
        path = Path(folder) / "rollouts.db"
        database = Database(f"sqlite:///{path}")
        database.initialise()
        populate(database, options.rollouts)
        app = SimpleNamespace(database=database)
        raw = sqlite3.connect(path)

        def baseline() -> dict[str, int]:
            query = "SELECT status, count(*) FROM rollouts GROUP BY status"
            return dict(raw.execute(query).fetchall())

        expected = baseline()
        assert rollout_counts(app) == {s: expected.get(s, 0) for s in STATES}  # type: ignore[arg-type]

        series: dict[str, list[float]] = {"raw sqlite3": [], "rollout_counts": []}
        for _ in range(5):
            series["raw sqlite3"] += timed(baseline, options.rounds // 5)
            series["rollout_counts"] += timed(
                lambda: rollout_counts(app),  # type: ignore[arg-type]
                options.rounds // 5,
            )
        raw.close()
        database.dispose()

    def quantile(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q * 100) - 1]

    results = {
        name: {
            "p50_ms": round(statistics.median(values), 3),
            "p99_ms": round(quantile(values, 0.99), 3),
            "min_ms": round(min(values), 3),
        }
        for name, values in series.items()
    }
    ratio = results["rollout_counts"]["p50_ms"] / results["raw sqlite3"]["p50_ms"]
    report = {
        "rollouts": options.rollouts,
        "rounds": options.rounds,
        "machine": {
            "nproc": str(os.cpu_count()),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        },
        "results": results,
        "ratio_p50": round(ratio, 2),
    }
    if options.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{options.rollouts} rollouts, {options.rounds} rounds, machine {report['machine']}")
    print("| series | p50 ms | p99 ms | min ms |")
    print("| --- | --- | --- | --- |")
    for name, figures in results.items():
        print(f"| {name} | {figures['p50_ms']} | {figures['p99_ms']} | {figures['min_ms']} |")
    print(f"ratio rollout_counts/raw at p50: {ratio:.2f}")


if __name__ == "__main__":
    main()
