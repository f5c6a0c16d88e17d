"""PostgreSQL restarted in the middle of a burst of filings, claims and reads: while it is away the
hub answers 503 with Retry-After (never 500), it reconnects by itself when the server is back, and
each Idempotency-Key still makes exactly one request.

The restart is of a PostgreSQL server of the test's own (the machine's binaries, a data directory
under /tmp), so that other tests using the machine's cluster are not disturbed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.stack.db import sql
from tests.stack.flows import file_request, wait_for
from tests.stack.harness import Api, create_postgres_database, free_port, start_stack

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(
        not os.environ.get("QINQING_TEST_DATABASE_URL"), reason="PostgreSQL only (QINQING_TEST_DATABASE_URL)"
    ),
]


def postgres_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        pytest.skip("the PostgreSQL server binaries are not installed")
    return versions[-1].parent


class OwnPostgres:
    """A throwaway PostgreSQL server on a free port, which the test may stop and start at will."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="qinqing-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:  # the server refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
        self.as_owner(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "-N"
        )

    def as_owner(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.as_owner("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        # Fast: open sessions are terminated (AdminShutdown), as a restart by an operator would.
        self.as_owner("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        try:
            self.as_owner("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def outage_stack(tmp_path_factory):
    server = OwnPostgres()
    try:
        server.start()
        url, _ = create_postgres_database(server.admin_url)
        hub = start_stack(tmp_path_factory.mktemp("db-outage"), QINQING_DATABASE_URL=url)
        try:
            yield hub, server
        finally:
            hub.shutdown()
    finally:
        server.destroy()


class Answers:
    """Every answer the hub gave during the burst, kept for the checks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str, int, dict[str, str], str]] = []

    def add(self, what: str, response: httpx.Response) -> None:
        with self.lock:
            self.seen.append((what, response.status_code, dict(response.headers), response.text[:300]))


def test_the_hub_rides_out_a_database_restart(outage_stack):
    stack, server = outage_stack
    citizen = Api(stack.base_url, "zhangsan")
    chashe = Api(stack.base_url, "chashe")
    visitor = httpx.Client(base_url=stack.base_url, timeout=30, headers={"Accept-Language": "zh-CN"})
    stored = "SELECT count(*) AS n FROM service_request WHERE idempotency_scope NOT LIKE 'claim:%'"
    before = sql(stack, stored)[0]["n"]

    answers = Answers()
    keys: list[str] = []
    stop = threading.Event()

    def filings() -> None:
        while not stop.is_set():
            key = f"outage-{uuid.uuid4()}"
            keys.append(key)
            answers.add(f"file {key}", file_request(citizen, key=key))
            time.sleep(0.05)

    def claims() -> None:
        while not stop.is_set():
            r = chashe.post(
                "/api/programs/new-hire-insurance-2026/claims",
                json={},
                headers={"Idempotency-Key": f"claim-{uuid.uuid4()}"},
            )
            answers.add("claim", r)
            time.sleep(0.2)

    def reads() -> None:
        while not stop.is_set():
            answers.add("list", citizen.get("/api/requests"))
            answers.add("claims", chashe.get("/api/enterprise/claims"))
            answers.add("page", visitor.get("/"))

    with ThreadPoolExecutor(6) as pool:
        running = [pool.submit(work) for work in (filings, filings, claims, reads)]
        time.sleep(1.5)
        server.stop()
        down_at = time.monotonic()
        time.sleep(2.5)  # long enough for every worker to meet the outage
        down = len(answers.seen)
        server.start()
        time.sleep(2)
        stop.set()
        for work in running:
            work.result()
    assert time.monotonic() - down_at < 30

    faults = [a for a in answers.seen if a[1] >= 500 and a[1] != 503]
    assert not faults, faults[:5]
    unavailable = [a for a in answers.seen if a[1] == 503]
    assert unavailable, f"no answer met the outage ({down} answers)"
    for what, _, headers, text in unavailable:
        assert int(headers["retry-after"]) > 0, (what, headers)
        if what != "page":
            assert headers["content-type"].startswith("application/problem+json"), (what, text)
        else:
            assert headers["content-type"].startswith("text/html") and "服务暂时不可用" in text, text
    assert any(a[0] != "page" and "/problems/service-unavailable" in a[3] for a in unavailable)

    # Back: the hub answers normally again, without being restarted.
    wait_for(lambda: citizen.get("/api/requests").status_code == 200, timeout=20, what="reads after the restart")
    assert Api(stack.base_url).get("/health").status_code == 200
    for _ in range(3):  # more than one connection of the pool
        assert citizen.get("/api/requests").status_code == 200
        assert chashe.get("/api/enterprise/claims").status_code == 200
        assert visitor.get("/").status_code == 200

    # Each key made exactly one request: repeating every filing finds the one it made, or makes it.
    refs = {}
    for key in keys:
        r = file_request(citizen, key=key)
        assert r.status_code in (200, 201), r.text
        refs[key] = r.json()["ref"]
    assert len(set(refs.values())) == len(keys)
    for what, status, _, text in answers.seen:
        if what.startswith("file ") and status in (200, 201):
            assert f'"{refs[what[5:]]}"' in text
    if sql(stack, stored)[0]["n"] != before + len(keys):
        rows = sql(
            stack,
            "SELECT ref, idempotency_scope, state FROM service_request WHERE idempotency_scope NOT LIKE 'claim:%'",
        )
        extra = [row for row in rows if row["ref"] not in set(refs.values())]
        raise AssertionError(f"{len(keys)} keys, {len(rows) - before} requests stored; not any key's: {extra}")
