"""Signing in on the pages against the API token call, same stack, same run.

A page sign-in is what a browser does: ``GET /signin`` (the form and its CSRF token), ``POST
/signin`` with the token, then the redirect's page. The API token call (``POST /api/auth/token``)
checks the same password the same way (one Argon2 verification), so it is the baseline: the page
sign-in's ``POST`` should cost about what the API call costs, and the whole sign-in (form, post,
next page) not much more. Rounds alternate the two so that the machine's drift touches both alike;
the printed figures are medians of client-side wall times over a loopback connection, and the
ratios are what to compare between runs.

Then it signs in several browsers at once (``--parallel``, 4 by default: people arriving together,
or a page sign-in while others are under way), and asks ``GET /health`` meanwhile: a password check
that held up the web process's event loop would show there, in every request of the process.

    .venv/bin/python -m bench.signin [--iterations 20] [--parallel 4] [--url http://127.0.0.1:8000]
    .venv/bin/python -m bench.signin --smoke        # 3 iterations: does it run?

Without ``--url`` it starts the hub's stack (``tests.stack.harness.start_stack``: the Temporal dev
server, the worker and the web server on SQLite, with the demo accounts) in a temporary directory.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "qinqing-demo"
# Demo accounts, one per home page a sign-in lands on (see HOME_BY_ROLE in hub/web/pages/account.py).
USERS = ("zhangsan", "street.clerk", "admin")
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def api_sign_in(base_url: str, username: str) -> float:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        started = time.perf_counter()
        r = client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
        took = time.perf_counter() - started
    r.raise_for_status()
    return took


def page_sign_in(base_url: str, username: str) -> tuple[float, float, float]:
    """(GET /signin, POST /signin, the redirect's page) in seconds, as a fresh browser would."""
    with httpx.Client(base_url=base_url, timeout=60, headers={"Accept-Language": "zh-CN"}) as client:
        started = time.perf_counter()
        form = client.get("/signin")
        got = time.perf_counter()
        found = TOKEN.search(form.text)
        if form.status_code != 200 or found is None:
            raise RuntimeError(f"GET /signin answered {form.status_code}: {form.text[:300]}")
        data = {"username": username, "password": PASSWORD, "next": "/", "_csrf_token": found.group(1)}
        posted = client.post("/signin", data=data)
        sent = time.perf_counter()
        if posted.status_code != 303:
            raise RuntimeError(f"POST /signin answered {posted.status_code}: {posted.text[:300]}")
        page = client.get(posted.headers["location"])
        done = time.perf_counter()
        if page.status_code != 200 or "/signin" in str(page.url):
            raise RuntimeError(f"{posted.headers['location']} answered {page.status_code}")
    return got - started, sent - got, done - sent


def health(base_url: str) -> float:
    started = time.perf_counter()
    httpx.get(base_url + "/health", timeout=60).raise_for_status()
    return time.perf_counter() - started


def at_once(base_url: str, parallel: int, rounds: int) -> dict[str, list[float]]:
    """``parallel`` API sign-ins at once, then as many page sign-ins (form, post, next page) at once,
    each with ``GET /health`` asked 50 ms after the start; ``rounds`` times."""
    times: dict[str, list[float]] = {
        "alone: /health": [],
        "API": [],
        "API: /health": [],
        "page": [],
        "page: /health": [],
    }
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        for _ in range(rounds):
            times["alone: /health"].append(health(base_url))
            for kind in ("API", "page"):
                users = [USERS[i % len(USERS)] for i in range(parallel)]
                if kind == "API":
                    futures = [pool.submit(api_sign_in, base_url, u) for u in users]
                else:
                    futures = [pool.submit(lambda u: sum(page_sign_in(base_url, u)), u) for u in users]
                time.sleep(0.05)
                times[f"{kind}: /health"].append(health(base_url))
                times[kind] += [f.result() for f in futures]
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20, help="sign-ins of each kind per account")
    parser.add_argument("--url", help="a running hub with the demo accounts (else one is started)")
    parser.add_argument("--parallel", type=int, default=4, help="sign-ins at once in the second part")
    parser.add_argument("--smoke", action="store_true", help="3 iterations: checks that it runs")
    args = parser.parse_args()
    if args.smoke:
        args.iterations = 3
    stack = None
    base_url = args.url
    if base_url is None:
        sys.path.insert(0, str(ROOT))
        from tests.stack.harness import start_stack

        root = Path(tempfile.mkdtemp(prefix="bench-signin-"))
        print(f"starting the hub in {root} on SQLite ...", flush=True)
        stack = start_stack(root)
        base_url = stack.base_url
    try:
        for username in USERS:  # warm-up: first renders, connections, caches
            api_sign_in(base_url, username)
            page_sign_in(base_url, username)
        api: list[float] = []
        steps: dict[str, list[float]] = {"GET /signin": [], "POST /signin": [], "next page": [], "page sign-in": []}
        for _ in range(args.iterations):
            for username in USERS:
                api.append(api_sign_in(base_url, username))
                form, post, after = page_sign_in(base_url, username)
                for name, value in zip(steps, (form, post, after, form + post + after), strict=True):
                    steps[name].append(value)
        crowd = at_once(base_url, args.parallel, args.iterations)
    finally:
        if stack is not None:
            stack.shutdown()

    baseline = statistics.median(api)
    print(f"\n{args.iterations} x {len(USERS)} sign-ins of each kind ({', '.join(USERS)}), medians, milliseconds")
    print(f"{'':<28}{'p50 ms':>8}{'max ms':>8}{'of API':>8}")
    print(f"{'POST /api/auth/token':<28}{baseline * 1000:>8.0f}{max(api) * 1000:>8.0f}{'1.00x':>8}")
    for name, values in steps.items():
        median = statistics.median(values)
        print(f"{name:<28}{median * 1000:>8.0f}{max(values) * 1000:>8.0f}{median / baseline:>7.2f}x")
    print(f"\n{args.parallel} sign-ins at once, {args.iterations} rounds; 'of API' is over the single API call above")
    for name, values in crowd.items():
        if name == "alone: /health":
            label = "GET /health, nothing else"
        elif ":" in name:
            label = f"  GET /health meanwhile ({name[:-9]})"
        else:
            label = f"{name} sign-in (x{args.parallel})"
        median = statistics.median(values)
        print(f"{label:<28}{median * 1000:>8.0f}{max(values) * 1000:>8.0f}{median / baseline:>7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
