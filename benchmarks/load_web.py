"""Load and durability of the web app on loopback, with SQLite and PostgreSQL.

Load: N concurrent simulated users (default 50), each logged in as the patient of their own record,
repeatedly open their record pages (timeline page and the record through the API) and now and then
add a lab; latencies of the record pages give p50/p95/p99 per database.

Durability: a writer posts labs one after another while the server is killed with SIGKILL in the
middle of the stream; after a restart every acknowledged (201) lab must be in the record.

    .venv/bin/python benchmarks/load_web.py [--users 50] [--seconds 20] [--postgres URL]

Results go to benchmarks/results/web_load.json. PostgreSQL runs when --postgres or
$OSTEOTWIN_TEST_POSTGRES_URL names a server (a fresh database is created and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).resolve().parent / "results" / "web_load.json"
PASSWORD = "load test password 1"
P95_GOAL_MS = 300.0


def prepare_database(url: str, users: int) -> list[tuple[str, int]]:
    """Migrate, seed the demo, and add one patient record with its own account per simulated user."""
    from osteotwin.records import parse_patient_document, parse_text
    from osteotwin.records.storage import Actor, make_engine, make_sessionmaker, upgrade_to_head
    from osteotwin.records.storage.accounts import create_user, hash_password
    from osteotwin.records.storage.models import UserRow
    from osteotwin.records.storage.repository import create_patient
    from osteotwin.records.storage.seed import demo_record_text, seed_demo

    engine = make_engine(url)
    upgrade_to_head(engine)
    record = parse_patient_document(parse_text(demo_record_text(), source="demo"))
    accounts: list[tuple[str, int]] = []
    with make_sessionmaker(engine)() as session:
        seed_demo(session)
        system = Actor.system("load")
        digest = hash_password(PASSWORD)  # one hash reused: preparing 50 accounts stays quick
        for i in range(users):
            row = create_patient(session, record, system)
            name = f"load-{i:03d}"
            user = create_user(session, username=name, password=PASSWORD, role="patient", actor=system,
                               patient_id=row.id)
            user.password_hash = digest
            accounts.append((name, row.id))
        session.commit()
        assert session.query(UserRow).count() >= users
    engine.dispose()
    return accounts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(url: str, port: int, workers: int = 1) -> Iterator[subprocess.Popen[bytes]]:
    """``osteotwin serve`` in a child process; stopped (or found killed) on exit."""
    env = {**os.environ, "OSTEOTWIN_SECRET_KEY": "load-benchmark-" + "0" * 32}
    process = subprocess.Popen(
        [sys.executable, "-c", "from osteotwin.cli import main; main()", "serve", "--db", url,
         "--port", str(port), "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _login(client: httpx.AsyncClient, username: str) -> str:
    page = await client.get("/login")
    match = CSRF_RE.search(page.text)
    assert match
    response = await client.post("/login", data={"username": username, "password": PASSWORD,
                                                  "csrf_token": match.group(1)})
    assert response.status_code in (200, 303), response.status_code
    token = await client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    return str(token.json()["access_token"])


async def _user(client: httpx.AsyncClient, token: str, patient_id: int, stop_at: float,
                latencies: dict[str, list[float]], errors: list[str], think_s: float, seed: int) -> None:
    """One simulated user: open the record page, fetch the record, sometimes add a lab, then read
    (think) for ``think_s`` seconds on average (uniform 0.5x-1.5x) before the next round."""
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(seed)
    i = 0
    await asyncio.sleep(rng.uniform(0, think_s))  # users do not arrive in lockstep
    while time.monotonic() < stop_at:
        i += 1
        for kind, path, extra in (("timeline_page", f"/patients/{patient_id}", {}),
                                  ("record_api", f"/api/patients/{patient_id}", headers)):
            started = time.perf_counter()
            response = await client.get(path, headers=extra)
            latencies[kind].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors.append(f"{kind} {response.status_code}")
        if i % 5 == 0:
            started = time.perf_counter()
            response = await client.post(f"/api/patients/{patient_id}/labs", headers=headers, json={
                "test": "vitamin_d_25oh", "value": 20 + i % 30, "unit": "ng/mL", "date": "2025-05-01"})
            latencies["add_lab_api"].append((time.perf_counter() - started) * 1000)
            if response.status_code != 201:
                errors.append(f"add_lab {response.status_code}")
        if think_s > 0:
            await asyncio.sleep(rng.uniform(0.5 * think_s, 1.5 * think_s))


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"n": len(values), "mean_ms": round(statistics.fmean(values), 1), "p50_ms": pct(0.50),
            "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": round(ordered[-1], 1)}


def run_load(url: str, users: int, seconds: float, think_s: float, workers: int) -> dict[str, Any]:
    accounts = prepare_database(url, users)
    port = _free_port()
    with server(url, port, workers):
        latencies: dict[str, list[float]] = {"timeline_page": [], "record_api": [], "add_lab_api": []}
        errors: list[str] = []

        async def main() -> float:
            base = f"http://127.0.0.1:{port}"
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            clients = [httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=True, limits=limits)
                       for _ in accounts]
            gate = asyncio.Semaphore(2)

            async def login(client: httpx.AsyncClient, name: str) -> str:
                async with gate:  # logins (argon2) happen before the timed phase; not measured
                    return await _login(client, name)

            tokens = await asyncio.gather(*(login(c, name) for c, (name, _) in zip(clients, accounts,
                                                                                    strict=True)))
            start = time.monotonic()
            await asyncio.gather(*(_user(c, t, pid, start + seconds, latencies, errors, think_s, k)
                                   for k, (c, t, (_, pid)) in enumerate(zip(clients, tokens, accounts,
                                                                            strict=True))))
            elapsed = time.monotonic() - start
            await asyncio.gather(*(c.aclose() for c in clients))
            return elapsed

        elapsed = asyncio.run(main())
    record_pages = latencies["timeline_page"] + latencies["record_api"]
    requests = sum(len(v) for v in latencies.values())
    summary = _summary(record_pages)
    return {"users": users, "server_workers": workers, "think_time_s": think_s, "seconds": round(elapsed, 1), "requests": requests,
            "throughput_rps": round(requests / elapsed, 1), "errors": len(errors),
            "error_examples": errors[:5], "record_pages": summary,
            "p95_under_goal": summary.get("p95_ms", 1e9) < P95_GOAL_MS,
            "by_route": {k: _summary(v) for k, v in latencies.items()}}


def run_durability(url: str, kill_after_acks: int = 40) -> dict[str, Any]:
    """Post labs in a stream, SIGKILL the server mid-stream, restart, check every acknowledged write."""
    accounts = prepare_database(url, 1)
    username, patient_id = accounts[0]
    port = _free_port()
    acknowledged: list[str] = []
    in_flight_at_kill = 0
    with server(url, port) as process:
        token = httpx.post(f"http://127.0.0.1:{port}/api/auth/token",
                           json={"username": username, "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        stop = threading.Event()

        def writer(writer_id: int) -> None:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    marker = f"w{writer_id}-{n}"  # unique per write, stored in the lab's method field
                    try:
                        r = client.post(f"/api/patients/{patient_id}/labs", headers=headers, json={
                            "test": "vitamin_d_25oh", "value": 30, "unit": "ng/mL",
                            "date": "2025-05-01", "method": marker})
                    except httpx.HTTPError:
                        return  # the server died while this request was in flight: not acknowledged
                    if r.status_code == 201:
                        acknowledged.append(marker)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        while len(acknowledged) < kill_after_acks:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)  # mid-request: four writers have requests in flight
        process.wait()
        in_flight_at_kill = sum(t.is_alive() for t in threads)
        stop.set()
        for t in threads:
            t.join()
    with server(url, port):
        token = httpx.post(f"http://127.0.0.1:{port}/api/auth/token",
                           json={"username": username, "password": PASSWORD}).json()["access_token"]
        document = httpx.get(f"http://127.0.0.1:{port}/api/patients/{patient_id}",
                             headers={"Authorization": f"Bearer {token}"}).json()
    stored = {lab["method"] for lab in document["labs"] if str(lab.get("method", "")).startswith("w")}
    lost = sorted(set(acknowledged) - stored)
    return {"acknowledged": len(acknowledged), "stored_after_restart": len(stored),
            "stored_but_unacknowledged": len(stored - set(acknowledged)),
            "writers_in_flight_at_kill": in_flight_at_kill, "lost_acknowledged": len(lost),
            "ok": not lost}




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds a user reads a page before the next request round (0: stress)")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--postgres", default=os.environ.get("OSTEOTWIN_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    results: dict[str, Any] = {
        "benchmark": "web load (loopback) and durability (SIGKILL mid-request)",
        "goal": f"p95 of record pages < {P95_GOAL_MS:g} ms with {args.users} concurrent users",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_start": os.getloadavg()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "databases": {},
    }
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'load.sqlite3'}"
        results["databases"]["sqlite"] = {"load": run_load(sqlite_url, args.users, args.seconds, args.think, args.workers),
                                          "durability": run_durability(
                                              f"sqlite:///{Path(folder) / 'durable.sqlite3'}")}
    if args.postgres:
        from osteotwin.records.storage import scratch_postgres_database

        with scratch_postgres_database(args.postgres, prefix="osteotwin_bench") as url:
            load = run_load(url, args.users, args.seconds, args.think, args.workers)
        with scratch_postgres_database(args.postgres, prefix="osteotwin_bench") as url:
            durability = run_durability(url)
        results["databases"]["postgresql"] = {"load": load, "durability": durability}
    else:
        results["databases"]["postgresql"] = {"skipped": "no --postgres URL or OSTEOTWIN_TEST_POSTGRES_URL"}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
