"""Steps a test takes through the API, as a citizen or a clerk would."""

from __future__ import annotations

import subprocess
import time
import uuid

from tests.stack.harness import Api

SERVICE = "elderly-care-allowance"


def answers(**overrides) -> dict:
    base = {
        "phone": "13800138000",
        "address": "杭州市西湖区文三路100号",
        "hukou_local": True,
        "living_arrangement": "alone",
        "payment_method": "bank",
        "bank_account": "6222020200112233445",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def file_request(citizen: Api, key: str | None = None, **overrides):
    return citizen.post(
        "/api/requests",
        json={"service_id": SERVICE, "answers": answers(**overrides)},
        headers={"Idempotency-Key": key or f"test-{uuid.uuid4()}"},
    )


def wait_for(check, timeout: float = 45, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def open_task(clerk: Api, ref: str, timeout: float = 45) -> dict:
    """Wait until the request appears in the clerk's department inbox; returns the task."""

    def find():
        r = clerk.get("/api/tasks")
        assert r.status_code == 200, r.text
        return next((t for t in r.json() if t["request_ref"] == ref), None)

    return wait_for(find, timeout, what=f"a task for {ref} in {clerk.username}'s inbox")


def wait_closed(citizen: Api, ref: str, timeout: float = 60) -> dict:
    def closed():
        body = citizen.get(f"/api/requests/{ref}").json()
        return body if body["state"] in ("approved", "rejected") and body["documents"] else None

    return wait_for(closed, timeout, what=f"{ref} to close with its documents")


def decide(clerk: Api, task_id: int, verdict: str, comment: str = ""):
    return clerk.post(f"/api/tasks/{task_id}/decision", json={"verdict": verdict, "comment": comment})


def pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode("utf-8")
