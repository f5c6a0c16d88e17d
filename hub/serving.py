"""The web server's processes: one, or several on one port, each listening on a socket of its own.

uvicorn's own ``--workers`` binds one socket and hands it to every process. Whichever process wakes
first then accepts every connection waiting (asyncio accepts up to the backlog at once), and a
kept-alive connection stays with the process that accepted it: under a load balancer's or a load
generator's long-lived connections one process did the work while the others idled (two processes
answered 1.01x what one did). With SO_REUSEPORT each process listens on a socket of its own and the
kernel spreads new connections among them by a hash of their addresses.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger("uvicorn.error")

# A process that does not stop within this time of being asked is killed.
STOP_GRACE_SECONDS = 30


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to the port, shared with every other socket on it that sets SO_REUSEPORT."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets whose protocol says TCP, and without
    # it a response written in two parts waited for the delayed ACK (40 ms a request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def serve(options: dict[str, Any], processes: int) -> None:
    """Run uvicorn with ``options`` (``uvicorn.Config``'s arguments) in ``processes`` processes."""
    if not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(**options, workers=processes)
        return
    host, port = options.get("host", "127.0.0.1"), options.get("port", 8000)
    if _answers(host, port):
        # SO_REUSEPORT would let this server bind beside one already running (another hub left
        # running, say), and the two would split the connections between them.
        logger.error("something already answers on %s:%s; stop it or choose another port", host, port)
        sys.exit(STARTUP_FAILURE)
    if processes <= 1:
        # One process binds the same way as several, so it shares the port with whoever else set
        # SO_REUSEPORT on it (a test holding the port for it until it starts).
        config = uvicorn.Config(**options)
        uvicorn.Server(config).run(sockets=[listening_socket(config.host, config.port)])
        return
    # Held, bound but not listening, while the server runs: a port another program holds fails here,
    # at once, rather than in every process; a socket that does not listen is given no connections.
    holder = listening_socket(host, port)
    _Supervisor(options, processes).run()
    holder.close()


def _answers(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def _serve_one(options: dict[str, Any]) -> None:
    """One web process (spawned): its own socket on the port, then uvicorn's server on it."""
    _stop_when_orphaned(os.getppid())
    config = uvicorn.Config(**options)
    try:
        sock = listening_socket(config.host, config.port)
    except OSError as exc:
        logger.error("cannot listen on %s:%s: %s", config.host, config.port, exc)
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(config).run(sockets=[sock])


def _stop_when_orphaned(parent: int) -> None:
    """Stop (as on SIGTERM) once the supervisor is gone, killed without the chance to stop its
    processes: an orphan would go on answering on the port, with code and settings of the past."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


class _Supervisor:
    """Starts the processes, starts another for one that ends, and stops them all on SIGINT/SIGTERM."""

    def __init__(self, options: dict[str, Any], processes: int):
        self.options = options
        self.count = processes
        self.spawn = multiprocessing.get_context("spawn")
        self.stopping = threading.Event()

    def start_one(self) -> multiprocessing.process.BaseProcess:
        process = self.spawn.Process(target=_serve_one, args=(self.options,), name="qinqing-web")
        process.start()
        return process

    def run(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stopping.set())
        running = [self.start_one() for _ in range(self.count)]
        logger.info("web server: %d processes on one port (SO_REUSEPORT)", self.count)
        while not self.stopping.wait(0.5):
            for i, process in enumerate(running):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    # What broke its start (the app, the port) would break every replacement's too.
                    logger.error("web process %s could not start; stopping", process.pid)
                    self.stopping.set()
                    break
                logger.warning("web process %s ended (exit code %s); starting another", process.pid, process.exitcode)
                running[i] = self.start_one()
        for process in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests under way, then stops
        for process in running:
            process.join(STOP_GRACE_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
