"""The embedded SMS gateway posts each receipt again while the hub does not take it (busy, down),
as providers do: a receipt lost to one busy moment left a message "sent" for ever."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from hub.notifications import local


class Receiver(http.server.BaseHTTPRequestHandler):
    """The hub's receipt endpoint: busy (503) for the first ``busy`` posts, then taking them."""

    busy = 0
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append(body)
        status = 503 if len(type(self).received) <= type(self).busy else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


MESSAGE = local.GatewayMessage(id="m-1", to="13900001111", text="…")


async def test_a_receipt_refused_by_a_busy_hub_is_posted_again(receiver, monkeypatch):
    monkeypatch.setattr(local, "RECEIPT_RETRIES_S", (0.01, 0.01, 0.01))
    Receiver.busy = 2
    url = f"http://127.0.0.1:{receiver.server_address[1]}/api/sms-receipts"
    await local.post_receipt(url, "secret", "local-1", MESSAGE)
    assert [r["status"] for r in Receiver.received] == ["delivered"] * 3  # two refused, the third taken


async def test_the_gateway_gives_up_after_its_last_attempt(receiver, monkeypatch):
    monkeypatch.setattr(local, "RECEIPT_RETRIES_S", (0.01, 0.01))
    Receiver.busy = 100
    url = f"http://127.0.0.1:{receiver.server_address[1]}/api/sms-receipts"
    await local.post_receipt(url, "secret", "local-1", MESSAGE)
    assert len(Receiver.received) == 3  # the first post and one per wait


async def test_an_unreachable_hub_is_tried_again_too(monkeypatch):
    monkeypatch.setattr(local, "RECEIPT_RETRIES_S", (0.01,))
    tried = []
    real = local.shared_client

    def counting():
        tried.append(1)
        return real()

    monkeypatch.setattr(local, "shared_client", counting)
    await local.post_receipt("http://127.0.0.1:9/api/sms-receipts", "secret", "local-1", MESSAGE)  # nothing listens
    assert len(tried) == 2
