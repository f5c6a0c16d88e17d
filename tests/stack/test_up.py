"""`qinqing up`: one command brings up everything; Ctrl-C stops all of it; a second `up`
continues where the first stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from hub.temporal import port_open
from tests.stack.flows import decide, file_request, open_task, wait_closed, wait_for
from tests.stack.harness import Api, free_ports, held_web_port

pytestmark = pytest.mark.stack


def start_up(env: dict, log_path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "up"], env=env, stdout=open(log_path, "ab"), stderr=subprocess.STDOUT
    )


def wait_healthy(base_url: str, proc: subprocess.Popen, log_path) -> None:
    def healthy():
        assert proc.poll() is None, f"qinqing up exited early:\n{log_path.read_text()[-3000:]}"
        try:
            return httpx.get(f"{base_url}/health", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy, timeout=90, what="qinqing up to become healthy")


def interrupt(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal does
    return proc.wait(timeout=90)


def test_up_runs_everything_and_a_second_up_continues(tmp_path):
    web = held_web_port()  # held for both runs; Temporal's ports cannot be (it binds them alone)
    ports = {"web": web.getsockname()[1], **dict(zip(("temporal", "ui"), free_ports(2), strict=True))}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QINQING_") and k != "TEMPORAL_ADDRESS"},
        "QINQING_VAR_DIR": str(tmp_path / "var"),
        "QINQING_PORT": str(ports["web"]),
        "QINQING_TEMPORAL_PORT": str(ports["temporal"]),
        "QINQING_TEMPORAL_UI_PORT": str(ports["ui"]),
        "QINQING_RENDER_PROCESSES": "1",
    }
    if os.environ.get("QINQING_DATABASE_URL"):
        env["QINQING_DATABASE_URL"] = os.environ["QINQING_DATABASE_URL"]
    base = f"http://127.0.0.1:{ports['web']}"
    log = tmp_path / "up.log"

    proc = start_up(env, log)
    try:
        wait_healthy(base, proc, log)
        # The banner follows once the web server listens; it announces the Temporal UI.
        banner = wait_for(lambda: "Press Ctrl-C to stop." in log.read_text() and log.read_text(), what="the banner")
        assert f"http://127.0.0.1:{ports['ui']}" in banner
        assert (tmp_path / "var" / "temporal.db").exists()  # Temporal state persists under var/
        citizen, street = Api(base, "zhangsan"), Api(base, "street.clerk")
        ref = file_request(citizen).json()["ref"]
        first = open_task(street, ref)
        assert interrupt(proc) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    # Ctrl-C stopped every part: nothing listens any more.
    time.sleep(0.5)
    assert not any(port_open("127.0.0.1", p) for p in ports.values()), log.read_text()[-2000:]

    proc = start_up(env, log)
    try:
        wait_healthy(base, proc, log)
        citizen, street, civil = Api(base, "zhangsan"), Api(base, "street.clerk"), Api(base, "civil.clerk")
        # The request filed before the restart is still waiting in the same inbox.
        assert citizen.get(f"/api/requests/{ref}").json()["state"] == "in_review"
        assert decide(street, first["id"], "approve", "核实").status_code == 200
        assert decide(civil, open_task(civil, ref)["id"], "approve", "同意").status_code == 200
        assert wait_closed(citizen, ref)["state"] == "approved"
        assert interrupt(proc) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        web.close()
