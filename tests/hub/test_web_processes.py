"""Several web processes on one port: connections are spread among them, a process that dies is
replaced, and SIGTERM stops them all. Served as the hub is (``hub.serving``), with the bare
handler of ``bench.api`` as the application so that no stack is needed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(parent: int) -> list[int]:
    """The web processes of the server ``parent`` (spawned by multiprocessing)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in cmdline:
                found.append(int(entry.name))
    return sorted(found)


def listening(port: int) -> int:
    """How many sockets listen on ``port``."""
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for f in rows if int(f[1].split(":")[1], 16) == port and f[3] == "0A")


def established_by_process(port: int, pids: list[int]) -> Counter:
    """How many established connections to ``port`` each process holds (from /proc/net/tcp)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
            inodes.add(fields[9])
    held: Counter = Counter()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held[pid] += 1
    return held


def wait_serving(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url}")


@pytest.fixture
def two_processes():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.bare_app", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_serving(url)
        deadline = time.monotonic() + 60
        while listening(port) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert listening(port) == 2
        yield server, port, url
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def test_kept_alive_connections_are_spread_over_both_processes(two_processes):
    server, port, url = two_processes
    clients = [httpx.Client() for _ in range(20)]
    try:
        for client in clients:  # each opens its own connection and keeps it
            assert client.get(url).status_code == 200
        held = established_by_process(port, children(server.pid))
        # Twenty connections all on one process happen by chance once in half a million runs.
        assert len(held) == 2 and sum(held.values()) == 20, held
    finally:
        for client in clients:
            client.close()


def test_a_process_that_dies_is_replaced_and_sigterm_stops_them_all(two_processes):
    server, port, url = two_processes
    serving = children(server.pid)
    os.kill(serving[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (
            len(children(server.pid)) == 2
            and listening(port) == 2
            and all(httpx.get(url, timeout=5).status_code == 200 for _ in range(10))
        ):
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the dead process was not replaced")

    everyone = children(server.pid)
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    assert serving[1] in everyone and len(everyone) == 2
    assert all(stat_state(pid) == "Z" for pid in everyone), "a web process outlived the server"
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_second_server_on_a_port_that_answers_refuses_to_start(two_processes, workers):
    """Both would bind (each sets SO_REUSEPORT) and split the connections between them."""
    server, port, url = two_processes
    second = subprocess.run(
        [sys.executable, "-m", "bench.bare_app", "--port", str(port), "--workers", workers],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode != 0 and "already answers" in second.stderr, second.stderr
    assert listening(port) == 2 and len(children(server.pid)) == 2


def stat_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_the_processes_stop_when_the_server_is_killed(two_processes):
    server, port, url = two_processes
    serving = children(server.pid)
    server.kill()  # no chance to stop its processes
    server.wait()
    deadline = time.monotonic() + 30
    while any(stat_state(pid) != "Z" for pid in serving) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(stat_state(pid) == "Z" for pid in serving), "a web process outlived its server"
    assert listening(port) == 0


async def test_connections_accepted_on_a_process_socket_send_without_delay():
    """A response written in two parts must not wait for the client's delayed ACK (40 ms a request,
    a tenth of the throughput): asyncio turns Nagle off only on sockets that name TCP as protocol."""
    import asyncio
    import socket as sockets

    from hub.serving import listening_socket

    accepted: list[int] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        accepted.append(sock.getsockopt(sockets.IPPROTO_TCP, sockets.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(on_connect, sock=listening_socket("127.0.0.1", free_port()))
    async with server:
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(50):
            if accepted:
                break
            await asyncio.sleep(0.02)
        writer.close()
    assert accepted and accepted[0] != 0
