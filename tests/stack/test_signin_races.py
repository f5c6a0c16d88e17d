"""Sign-in limits hold against parallel guesses, through the running hub: an attempt is counted
before its password is checked, so a burst of simultaneous guesses gets no more checks than the
limit allows, and nothing in flight lifts a lockout once it is set. Failed sign-ins leave no
attempted username in clear in the audit log."""

from __future__ import annotations

import concurrent.futures
import json
import uuid

import httpx
import pytest

from tests.stack.db import run_python
from tests.stack.harness import PASSWORD, Api

pytestmark = pytest.mark.stack

# Demo accounts no other test signs in with.
TARGET = "ent0017"
BURSTS, BURST_SIZE = 3, 6
MAX_FAILURES = 5  # the settings' default signin_max_failures


def token_status(stack, username: str, password: str) -> int:
    r = httpx.post(f"{stack.base_url}/api/auth/token", json={"username": username, "password": password}, timeout=60)
    return r.status_code


def parallel_bursts(stack, username: str) -> list[list[int]]:
    """BURSTS bursts of BURST_SIZE simultaneous sign-ins with wrong passwords; their status codes."""
    answers = []
    with concurrent.futures.ThreadPoolExecutor(BURST_SIZE) as pool:
        for burst in range(BURSTS):
            guesses = [f"guess-{burst}-{i}" for i in range(BURST_SIZE)]
            answers.append(list(pool.map(lambda guess: token_status(stack, username, guess), guesses)))
    return answers


def test_parallel_wrong_passwords_lock_the_username(stack):
    answers = parallel_bursts(stack, TARGET)
    codes = [code for burst in answers for code in burst]
    assert set(codes) <= {401, 429}, answers
    # No more passwords were checked than the limit allows, however the guesses were timed...
    assert codes.count(401) <= MAX_FAILURES, answers
    assert 429 in codes, answers
    # ... and the lockout holds: the later bursts, and then even the right password, are refused.
    assert answers[-1] == [429] * BURST_SIZE, answers
    assert token_status(stack, TARGET, PASSWORD) == 429

    # Only an administrator's release lifts it.
    assert Api(stack.base_url, "admin").post(f"/api/admin/sign-in-locks/{TARGET}/release").status_code == 200
    assert token_status(stack, TARGET, PASSWORD) == 201


def test_parallel_guesses_from_one_address_lock_the_address(stack):
    """Many usernames guessed at once from one address. The limit is the same function for the API
    and pages (hub.signin); called here with a small per-address limit and an address of its own,
    against the stack's database, so the test machine's own address stays usable."""
    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    out = run_python(
        stack,
        f"""
import asyncio, json
import msgspec
from hub.db.lifecycle import database
from hub.settings import load_settings
from hub.signin import sign_in

async def main():
    settings = msgspec.structs.replace(
        load_settings(), signin_max_failures_per_address={MAX_FAILURES}, signin_max_failures=1000
    )
    async with database(settings):
        bursts = []
        for burst in range({BURSTS}):
            tries = [sign_in(f"spray-{{burst}}-{{i}}", "x", "{address}", settings) for i in range({BURST_SIZE})]
            bursts.append([r.locked or "-" for r in await asyncio.gather(*tries)])
        right = await sign_in("lisi", "{PASSWORD}", "{address}", settings)
        elsewhere = await sign_in("lisi", "{PASSWORD}", "198.51.100.8", settings)
        print(json.dumps({{"bursts": bursts, "right": [right.ok, right.locked], "elsewhere": elsewhere.ok}}))

asyncio.run(main())
""",
    )
    result = json.loads(out.strip().splitlines()[-1])
    answers = [kind for burst in result["bursts"] for kind in burst]
    assert set(answers) <= {"-", "address"}, result
    assert answers.count("-") <= MAX_FAILURES, result  # "-": a password checked and found wrong
    assert result["bursts"][-1] == ["address"] * BURST_SIZE, result
    assert result["right"] == [False, "address"], result
    assert result["elsewhere"] is True


def test_failed_sign_ins_keep_no_attempted_username_in_clear(stack):
    # What lands in the username box is often a password typed in the wrong place.
    typed = f"Pa55-{uuid.uuid4().hex[:12]}"
    for _ in range(2):
        assert token_status(stack, typed, "wrong") == 401
    assert token_status(stack, "ent0018", "wrong") == 401

    auditor = Api(stack.base_url, "auditor")
    page = auditor.get("/api/audit", params={"action": "auth.failed", "limit": 20})
    assert page.status_code == 200
    assert typed.lower() not in page.text.lower()
    known, *unknown = page.json()["events"][:3]
    # A username that belongs to an account names that account...
    assert known["object_type"] == "account" and known["object_id"] == "ent0018"
    # ... one that does not is recorded only as a keyed digest: the same for the same name, so an
    # auditor can tell repeated attempts apart from scattered ones without reading them.
    assert [e["object_id"] for e in unknown] == ["", ""]
    digests = {e["detail"].get("username_digest") for e in unknown}
    assert len(digests) == 1 and None not in digests and typed.lower() not in next(iter(digests)).lower()
