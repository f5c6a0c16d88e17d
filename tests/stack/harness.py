"""The real stack for tests: a Temporal dev server, a database, the worker and the web server,
each a separate process started with the ``qinqing`` command, exactly as in production."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hub.temporal import DevServer, temporal_binary

PASSWORD = "qinqing-demo"


def free_port() -> int:
    return free_ports(1)[0]


def held_web_port() -> socket.socket:
    """A free port for a hub web server, held by the returned socket until it is closed.

    A port found free and let go may be taken by another program (an outgoing connection, another
    search for a free port) before a server that starts seconds later binds it. The hub's web server
    binds with SO_REUSEPORT, as this socket does, so it binds beside it; this one never listens and
    is given no connections."""
    from hub.serving import listening_socket

    return listening_socket("127.0.0.1", 0)


def free_ports(count: int) -> list[int]:
    """``count`` different free ports: each socket stays bound until all are chosen (asked one at
    a time, the system may hand out the same port twice)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def create_postgres_database(admin_url: str) -> tuple[str, str]:
    """A fresh, empty database on the server at ``admin_url``; returns (url, name)."""
    import asyncio

    import asyncpg

    name = f"qinqing_test_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}", name


def drop_postgres_database(admin_url: str, name: str) -> None:
    import asyncio

    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


@dataclass
class Stack:
    root: Path
    env: dict[str, str]
    base_url: str
    temporal: DevServer
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    # (admin URL, name) of a PostgreSQL database made for this stack alone, dropped at shutdown.
    database: tuple[str, str] | None = None
    # Holds the web port from the moment it is chosen (see held_web_port).
    port_holder: socket.socket | None = None

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "hub.cli", *args], env=self.env, capture_output=True, text=True, check=check
        )

    def start(self, name: str, command: str | None = None) -> None:
        """Start ``qinqing <command>`` (by default the command called ``name``) as process ``name``:
        e.g. ``start("worker2", command="worker")`` for a second worker."""
        log = open(self.root / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", command or name], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def restart(self, *names: str) -> None:
        """Stop and start processes (e.g. to load a changed catalog), then wait until healthy."""
        for name in names:
            self.stop(name)
        for name in names:
            self.start(name)
        self.wait_healthy()

    def kill_worker(self) -> None:
        """Kill the worker the hard way, as a crash would: no chance to finish anything."""
        self.stop("worker", signal.SIGKILL)

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = httpx.get(f"{self.base_url}/health", timeout=5)
                if last.status_code == 200:
                    return
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.3)
        raise RuntimeError(f"hub not healthy: {last!r}\n{self.log('serve')}")

    def temporal_cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [temporal_binary(), *args, "--address", self.temporal.address], capture_output=True, text=True, check=False
        )

    def shutdown(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        self.temporal.stop()
        if self.port_holder:
            self.port_holder.close()
        if self.database:
            drop_postgres_database(*self.database)


def start_temporal(root: Path, attempts: int = 3) -> DevServer:
    """A Temporal dev server on a free port. A port found free and let go may be taken before the
    server binds it (a busy machine runs other suites' stacks): then it tries another."""
    for attempt in range(1, attempts + 1):
        temporal = DevServer(root / "temporal.db", free_port(), log_file=root / "temporal.log")
        try:
            temporal.start()
            return temporal
        except RuntimeError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def start_stack(root: Path, **extra_env: str) -> Stack:
    root.mkdir(parents=True, exist_ok=True)
    temporal = start_temporal(root)
    holder = held_web_port()
    port = holder.getsockname()[1]
    env = {
        **os.environ,
        "QINQING_VAR_DIR": str(root / "var"),
        "QINQING_PORT": str(port),
        "QINQING_RENDER_PROCESSES": "1",
        "QINQING_SEED_DEMO": "true",
        # A small registry keeps every stack's matching runs short.
        "QINQING_DEMO_ENTERPRISES": "200",
        # ...and a small register of the old-age allowance keeps its cycles short.
        "QINQING_DEMO_BENEFICIARIES": "50",
        # The shared stack's tests file the same services many times as the same demo citizen; the
        # one-application rule is tested on a stack of its own (test_benefits.py), where it is on.
        "QINQING_ENFORCE_ONCE_PER": "false",
        "TEMPORAL_ADDRESS": temporal.address,
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    # On PostgreSQL every stack gets a database of its own: its data keys (under its var dir) are
    # the only ones that open the personal data it seals, so two stacks must never share one.
    admin_url = os.environ.get("QINQING_TEST_DATABASE_URL")
    database = None
    if admin_url and "QINQING_DATABASE_URL" not in extra_env:
        env["QINQING_DATABASE_URL"], name = create_postgres_database(admin_url)
        database = (admin_url, name)
    stack = Stack(
        root=root,
        env=env,
        base_url=f"http://127.0.0.1:{port}",
        temporal=temporal,
        database=database,
        port_holder=holder,
    )
    try:
        stack.run("seed")
        stack.start("worker")
        stack.start("serve")
        stack.wait_healthy()
    except BaseException:
        stack.shutdown()
        raise
    return stack


class Api:
    """An HTTP client signed in as one demo account."""

    def __init__(self, base_url: str, username: str | None = None, locale: str | None = None):
        headers = {"Accept-Language": locale} if locale else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=30)
        self.username = username
        if username:
            r = self.http.post("/api/auth/token", json={"username": username, "password": PASSWORD})
            r.raise_for_status()
            self.http.headers["Authorization"] = f"Bearer {r.json()['token']}"

    def __getattr__(self, name: str):
        return getattr(self.http, name)
