"""Steps a test takes through the API, as a citizen or a clerk would."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from hub.seed import DEMO_ACCOUNTS
from tests.stack.harness import PASSWORD, Api

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


def decision_of(request: dict) -> dict:
    """The decision notice among a request's documents."""
    return next(d for d in request["documents"] if d["kind"] == "decision")


def wait_closed(citizen: Api, ref: str, timeout: float = 60) -> dict:
    def closed():
        body = citizen.get(f"/api/requests/{ref}").json()
        decided = any(d["kind"] == "decision" for d in body["documents"])
        return body if body["state"] in ("approved", "rejected") and decided else None

    return wait_for(closed, timeout, what=f"{ref} to close with its documents")


def claim(clerk: Api, task_id: int):
    return clerk.post(f"/api/tasks/{task_id}/claim")


def decide(clerk: Api, task_id: int, verdict: str, comment: str = "", reason_code: str = "ineligible"):
    """Claim the task (a clerk decides only what they hold), then decide it."""
    claimed = claim(clerk, task_id)
    if claimed.status_code != 200:
        return claimed
    body = {"verdict": verdict, "comment": comment}
    if verdict == "reject":
        body["reason_code"] = reason_code
    return clerk.post(f"/api/tasks/{task_id}/decision", json=body)


def pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


# The smallest files each accepted type is recognised by (uploads are checked by content).
SAMPLE_FILES = {
    "application/pdf": ("proof.pdf", b"%PDF-1.4\n% sample\n%%EOF\n"),
    "image/png": ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    "image/jpeg": ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64),
}


def example_submission(applicant: Api, spec, **overrides) -> dict:
    """The spec's example answers, with sample files uploaded as this applicant."""
    from forms.samples import example_answers

    def upload(field):
        name, content = SAMPLE_FILES[field.accept[0]]
        r = applicant.post("/api/uploads", files={"data": (name, content)})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    return {"service_id": spec.id, "answers": {**example_answers(spec, upload), **overrides}}


def file_example(applicant: Api, spec, **overrides):
    return applicant.post(
        "/api/requests",
        json=example_submission(applicant, spec, **overrides),
        headers={"Idempotency-Key": f"example-{uuid.uuid4()}"},
    )


def file_service(stack, spec, **overrides) -> tuple[Api, dict]:
    """File the service as the first demo applicant its rules admit; returns (applicant, request)."""
    refusals = {}
    for username, _, role, *_ in DEMO_ACCOUNTS:
        if role not in spec.audience:
            continue
        applicant = Api(stack.base_url, username)
        r = file_example(applicant, spec, **overrides)
        if r.status_code == 201:
            return applicant, r.json()
        refusals[username] = r.json()
        assert r.json().get("type") == "/problems/not-eligible", f"{spec.id} as {username}: {r.text}"
    raise AssertionError(f"no demo applicant is eligible for {spec.id}: {refusals}")


CLERKS: dict[str, str] = {}
CHECKERS: dict[str, str] = {}  # a second clerk of each department, for maker-checker
for _username, _, _role, _department, *_ in DEMO_ACCOUNTS:
    if _role == "clerk":
        (CHECKERS if _department in CLERKS else CLERKS).setdefault(_department, _username)


def next_open_task(stack, applicant: Api, ref: str):
    """The next task waiting for a clerk, with that clerk signed in; None once the request is closed."""

    def ready():
        body = applicant.get(f"/api/requests/{ref}").json()
        if body["state"] in ("approved", "rejected"):
            return ("closed", None)
        for task in body["tasks"]:
            if task["state"] == "awaiting_confirmation":
                checker = Api(stack.base_url, CHECKERS[task["department"]["code"]])
                found = next(
                    t
                    for t in checker.get("/api/tasks").json()
                    if t["request_ref"] == ref and t["stage_id"] == task["stage_id"]
                )
                return ("task", (checker, {**found, "confirm": True}))
            if task["state"] == "open":
                clerk = Api(stack.base_url, CLERKS[task["department"]["code"]])
                inbox = clerk.get("/api/tasks").json()
                found = next((t for t in inbox if t["request_ref"] == ref and t["stage_id"] == task["stage_id"]), None)
                if found:
                    return ("task", (clerk, found))
        return None

    kind, value = wait_for(ready, timeout=60, what=f"the next step of {ref}")
    return value


def hub_python(stack, code: str) -> str:
    """Run Python against the hub's own database (as an operator's script would), inside
    ``async def main()``; returns what it prints. Used to change registry data in a test."""
    script = (
        "import asyncio\n"
        "from hub.settings import load_settings\n"
        "from hub.db.lifecycle import database\n"
        "from hub.db.tables import *\n"
        "async def main():\n" + "".join(f"    {line}\n" for line in code.strip().splitlines()) + "async def run():\n"
        "    async with database(load_settings()):\n"
        "        await main()\n"
        "asyncio.run(run())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=stack.env, capture_output=True, text=True, check=True)
    return result.stdout


def wait_claim(enterprise: Api, ref: str, states=("paid", "refused", "failed"), timeout: float = 60) -> dict:
    def final():
        body = enterprise.get(f"/api/claims/{ref}").json()
        return body if body["state"] in states else None

    return wait_for(final, timeout, what=f"claim {ref} to reach {states}")


def program_spec(code: str, **overrides) -> dict:
    """A program open today, instant, that every active enterprise qualifies for."""
    import datetime as dt

    from forms.clock import beijing_today

    today = beijing_today()
    spec = {
        "code": code,
        "title": {"zh_CN": f"测试补贴{code}", "en": f"Test subsidy {code}"},
        "summary": {"zh_CN": "测试用补贴。", "en": "A subsidy for tests."},
        "legal_basis": {"zh_CN": "测试依据", "en": "Test basis"},
        "service_id": "new-hire-social-insurance-subsidy",
        "mode": "instant",
        "period": str(today.year),
        "opens_on": (today - dt.timedelta(days=30)).isoformat(),
        "closes_on": (today + dt.timedelta(days=30)).isoformat(),
        "criteria": [
            {
                "id": "active",
                "expression": "enterprise.status == 'active'",
                "reason": {"zh_CN": "企业须正常经营。", "en": "The enterprise must be active."},
            }
        ],
        "amount": "1000",
        "cap_per_enterprise": "1000",
        "budget": "100000",
    }
    spec.update(overrides)
    return spec


def csrf_of(html: str) -> str:
    """The page form's CSRF token, as a browser would send it back."""
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


@contextmanager
def signed_in_browser(base_url: str, username: str, locale: str = "zh-CN") -> Iterator[httpx.Client]:
    """A cookie session of the pages, signed in through the sign-in form, as a browser holds one."""
    with httpx.Client(base_url=base_url, timeout=60, headers={"Accept-Language": locale}) as browser:
        token = csrf_of(browser.get("/signin").text)
        form = {"username": username, "password": PASSWORD, "next": "/", "_csrf_token": token}
        assert browser.post("/signin", data=form).status_code == 303
        yield browser
