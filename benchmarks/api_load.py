"""Gate decisions asked by 50 concurrent clients over loopback, beside the same reads in process.

A pipeline waits on the gate by reading the newest decision of its release
for an environment (`GET /api/v1/releases/{id}/decisions/latest`). The
script starts `releasegate serve` on a free loopback port over a workspace
with one evaluated release, then lets 50 clients (threads with their own
connection) send a bounded number of requests each, and times every
request. The baseline is the same use case (`latest_decision`) called in
this process, without HTTP. A smaller series times full gate evaluations
(`POST .../decisions`) through the API.

Run: .venv/bin/python benchmarks/api_load.py [--clients 50] [--requests 40]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def row(name: str, samples: list[float]) -> str:
    return (
        f"{name:<44} {len(samples):6d} {percentile(samples, 0.5):8.2f} "
        f"{percentile(samples, 0.99):8.2f} {statistics.fmean(samples):8.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40, help="requests per client")
    parser.add_argument("--evaluations", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    args = parser.parse_args()

    import httpx
    import yaml
    from http_support import Server, make_workspace, person_token
    from support import COMMIT, JUNIT_PASS, MANIFEST, SARIF_CLEAN

    from releasegate.api.auth import Role
    from releasegate.service.app import Application
    from releasegate.service.status import latest_decision
    from releasegate.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="releasegate-load-"))
    server = None
    try:
        make_workspace(work)
        token = person_token(work, "alice", Role.SUBMITTER, name="bench")
        server = Server(work, work / "server.log", "--workers", str(args.workers))
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=120) as c:
            release = c.post("/releases", json=yaml.safe_load(MANIFEST)).json()["id"]
            for name, text in (("junit.xml", JUNIT_PASS), ("scan.sarif", SARIF_CLEAN)):
                c.post(
                    f"/releases/{release}/evidence",
                    files={"file": (name, text.encode())},
                    data={"commit": COMMIT},
                ).raise_for_status()
            c.post(f"/releases/{release}/decisions", json={}).raise_for_status()

        # In process: the same use case, no HTTP.
        application = Application(load_settings(home=work, environ={}))
        in_process = []
        for _ in range(args.clients * args.requests // 4):
            start = time.perf_counter_ns()
            latest_decision(application, release, "production")
            in_process.append((time.perf_counter_ns() - start) / 1e6)
        application.close()

        # Over loopback: N clients at once, each with its own connection.
        path = f"/releases/{release}/decisions/latest"
        samples: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(args.clients)

        def client() -> None:
            mine = []
            with httpx.Client(base_url=server.url + "/api/v1", headers=headers) as http:
                barrier.wait()
                for _ in range(args.requests):
                    start = time.perf_counter_ns()
                    response = http.get(path)
                    mine.append((time.perf_counter_ns() - start) / 1e6)
                    if response.status_code != 200:
                        errors.append(str(response.status_code))
            with lock:
                samples.extend(mine)

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        wall = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - wall

        evaluations = []
        with httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=120) as c:
            for _ in range(args.evaluations):
                start = time.perf_counter_ns()
                c.post(f"/releases/{release}/decisions", json={}).raise_for_status()
                evaluations.append((time.perf_counter_ns() - start) / 1e6)

        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores (shared), "
            f"Python {platform.python_version()}"
        )
        print(f"{'series':<44} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
        print(row("latest decision in process", in_process))
        print(
            row(
                f"latest decision over HTTP, {args.clients} clients, {args.workers} worker(s)",
                samples,
            )
        )
        print(row("gate evaluation over HTTP, one client", evaluations))
        print(f"throughput over HTTP: {len(samples) / wall:.0f} requests/s; errors: {len(errors)}")
        print(
            f"ratio HTTP/in-process at p50: "
            f"{percentile(samples, 0.5) / percentile(in_process, 0.5):.1f}"
        )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
