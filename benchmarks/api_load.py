"""Gate decisions read by 50 concurrent clients over loopback, beside the same reads in process.

A pipeline waits on the gate by reading the newest decision of its release
for an environment (`GET /api/v1/releases/{id}/decisions/latest`). The
script starts `releasegate serve` on a free loopback port over a workspace
with one evaluated release and a personal API token of the identity layer
(`releasegate token create`), then times:

- the same use case (`latest_decision_json`) called in this process,
  without HTTP: the baseline;
- one client alone, one request at a time: the fixed cost of a request;
- N concurrent clients, each with its own keep-alive connection, sending a
  bounded number of requests each;
- full gate evaluations (`POST .../decisions`) through the API, one at a time.

The concurrent clients are asyncio tasks on one `httpx.AsyncClient` per
task, run in a separate process (this script started again with
`--load-generator`). Fifty Python threads in the benchmark's own process
would fight the server for the GIL-free share of two cores and add their
own thread switches to every sample. One event loop in one process keeps
the client's share of the CPU at one core or less.

Run: .venv/bin/python benchmarks/api_load.py [--clients 50] [--requests 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
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


async def _load(
    url: str, token: str, clients: int, requests: int, library: str
) -> dict[str, object]:
    """Send `requests` GETs from each of `clients` connections at once; return the samples."""
    headers = {"Authorization": f"Bearer {token}"}
    samples: list[float] = []
    errors: list[int] = []
    start_gate = asyncio.Event()

    async def with_aiohttp() -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(headers=headers, connector=connector) as http:
            async with http.get(url) as response:  # open the connection before the clock
                await response.read()
            await start_gate.wait()
            for _ in range(requests):
                started = time.perf_counter_ns()
                async with http.get(url) as response:
                    await response.read()
                samples.append((time.perf_counter_ns() - started) / 1e6)
                if response.status != 200:
                    errors.append(response.status)

    async def with_httpx() -> None:
        import httpx

        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(headers=headers, limits=limits, timeout=120) as http:
            await http.get(url)  # open the connection before the clock starts
            await start_gate.wait()
            for _ in range(requests):
                started = time.perf_counter_ns()
                response = await http.get(url)
                samples.append((time.perf_counter_ns() - started) / 1e6)
                if response.status_code != 200:
                    errors.append(response.status_code)

    client = with_aiohttp if library == "aiohttp" else with_httpx
    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await asyncio.sleep(0.5)
    wall = time.perf_counter()
    cpu = time.process_time()
    start_gate.set()
    await asyncio.gather(*tasks)
    return {
        "samples": samples,
        "errors": errors,
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
    }


def process_cpu_seconds(pid: int) -> float:
    """Return the user plus system CPU time of a process and its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_generator(url: str, token: str, clients: int, requests: int, library: str) -> None:
    print(json.dumps(asyncio.run(_load(url, token, clients, requests, library))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40, help="requests per client")
    parser.add_argument("--evaluations", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument(
        "--client-library",
        choices=("aiohttp", "httpx"),
        default="aiohttp",
        help="HTTP client of the concurrent clients",
    )
    parser.add_argument(
        "--server-option",
        action="append",
        default=[],
        help="extra option passed to 'releasegate serve' (repeatable)",
    )
    parser.add_argument(
        "--load-generator", nargs=2, metavar=("URL", "TOKEN"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.load_generator:
        load_generator(*args.load_generator, args.clients, args.requests, args.client_library)
        return

    import httpx
    import yaml
    from http_support import Server, make_workspace
    from support import COMMIT, JUNIT_PASS, MANIFEST, SARIF_CLEAN

    from releasegate.identity.tokens import create_token
    from releasegate.service.app import Application
    from releasegate.service.status import latest_decision_json
    from releasegate.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="releasegate-load-"))
    server = None
    try:
        make_workspace(work)
        application = Application(load_settings(home=work, environ={}))
        _, token = create_token(
            application,
            owner="alice",
            name="bench",
            expires_in=timedelta(days=1),
            created_by="alice",
        )
        server = Server(
            work, work / "server.log", "--workers", str(args.workers), *args.server_option
        )
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=120) as c:
            created = c.post("/releases", json=yaml.safe_load(MANIFEST))
            created.raise_for_status()
            release = created.json()["id"]
            for name, text in (("junit.xml", JUNIT_PASS), ("scan.sarif", SARIF_CLEAN)):
                c.post(
                    f"/releases/{release}/evidence",
                    files={"file": (name, text.encode())},
                    data={"commit": COMMIT},
                ).raise_for_status()
            c.post(f"/releases/{release}/decisions", json={}).raise_for_status()

        # In process: the same use case, no HTTP.
        in_process = []
        for _ in range(500):
            start = time.perf_counter_ns()
            latest_decision_json(application, release, "production")
            in_process.append((time.perf_counter_ns() - start) / 1e6)
        application.close()

        path = f"/releases/{release}/decisions/latest"

        # One client alone: the fixed cost of a request over HTTP.
        single = []
        with httpx.Client(base_url=server.url + "/api/v1", headers=headers) as c:
            body_bytes = len(c.get(path).raise_for_status().content)
            for _ in range(500):
                start = time.perf_counter_ns()
                c.get(path).raise_for_status()
                single.append((time.perf_counter_ns() - start) / 1e6)

        # N clients at once, from a separate process.
        server_cpu = process_cpu_seconds(server.process.pid)
        generated = subprocess.run(
            [
                sys.executable,
                __file__,
                "--load-generator",
                server.url + "/api/v1" + path,
                token,
                "--clients",
                str(args.clients),
                "--requests",
                str(args.requests),
                "--client-library",
                args.client_library,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        server_cpu = process_cpu_seconds(server.process.pid) - server_cpu
        load = json.loads(generated.stdout)
        samples: list[float] = load["samples"]

        evaluations = []
        with httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=120) as c:
            for _ in range(args.evaluations):
                start = time.perf_counter_ns()
                c.post(f"/releases/{release}/decisions", json={}).raise_for_status()
                evaluations.append((time.perf_counter_ns() - start) / 1e6)

        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores (shared), "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
        )
        print(f"decision body: {body_bytes} bytes")
        print(f"{'series':<44} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
        print(row("latest decision in process", in_process))
        print(row("latest decision over HTTP, one client", single))
        print(
            row(
                f"latest decision, {args.clients} {args.client_library} clients, "
                f"{args.workers} worker(s)",
                samples,
            )
        )
        print(row("gate evaluation over HTTP, one client", evaluations))
        print(
            f"throughput with {args.clients} clients: {len(samples) / load['wall']:.0f} "
            f"requests/s; errors: {len(load['errors'])}"
        )
        if args.workers == 1:
            print(
                f"CPU per request with {args.clients} clients: server "
                f"{1000 * server_cpu / len(samples):.2f} ms, load generator "
                f"{1000 * load['cpu'] / len(samples):.2f} ms"
            )
        print(
            f"ratio one client over HTTP / in process at p50: "
            f"{percentile(single, 0.5) / percentile(in_process, 0.5):.1f}"
        )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
