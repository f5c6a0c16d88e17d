"""The hub run wide, as docs/deploy.md lays it out: PostgreSQL, an S3-compatible shared store (moto's
S3 server), a web server of two processes and two workers on one task queue. A batch of requests
and claims goes through it while one worker is killed the hard way, and nothing is lost or done
twice: every request closes once with its decision downloadable from the bucket through either web
process, every Idempotency-Key made one request, every claim is paid once and the books agree.

PostgreSQL only: on SQLite the processes would share one file on one machine, not a deployment."""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from hub.accounts import CALLER_FIELDS
from tests.hub.test_web_processes import children
from tests.stack.db import sql
from tests.stack.flows import decide, decision_of, file_request, program_spec, wait_claim, wait_for
from tests.stack.harness import PASSWORD, Stack, start_stack
from tests.stack.test_csrf import token_of
from tests.stack.test_shared_store import PREFIX, objects, running_s3

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(
        not os.environ.get("QINQING_TEST_DATABASE_URL"),
        reason="several processes of a deployment share PostgreSQL; set QINQING_TEST_DATABASE_URL (make test-postgres)",
    ),
]

REQUESTS = 20
RETRIED = 6  # of them sent again with the same Idempotency-Key, while the first may be in flight
ENTERPRISES = [f"ent{n:04d}" for n in range(1, 13)]
PROGRAM = "scale-out"


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """The stack with its shared store, two web processes and two workers started at once."""
    with running_s3() as s3_env:
        stack = start_stack(tmp_path_factory.mktemp("scale-out"), QINQING_WEB_WORKERS="2", **s3_env)
        try:
            # Both workers start together: their start-up sweeps and retention passes run at once.
            stack.stop("worker")
            stack.start("worker")
            stack.start("worker2", command="worker")
            yield stack, s3_env
        finally:
            stack.shutdown()


def client(stack: Stack, username: str | None = None, locale: str = "en") -> httpx.Client:
    """A client that opens a new connection for every request, so that its requests land on both
    web processes (a kept-alive connection stays with the process that accepted it)."""
    http = httpx.Client(
        base_url=stack.base_url,
        headers={"Accept-Language": locale},
        timeout=60,
        limits=httpx.Limits(max_keepalive_connections=0),
    )
    if username:
        r = http.post("/api/auth/token", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        http.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return http


def web_processes(stack: Stack) -> list[int]:
    """The web server's worker processes (children of `qinqing serve` started by multiprocessing)."""
    return children(stack.processes["serve"].pid)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_a_batch_goes_through_two_web_processes_and_two_workers(wide):
    stack, s3_env = wide
    started = time.monotonic()
    webs = web_processes(stack)
    assert len(webs) == 2, webs
    ticks_before = {pid: cpu_ticks(pid) for pid in webs}

    citizen = client(stack, "zhangsan")
    street, civil = client(stack, "street.clerk"), client(stack, "civil.clerk")
    admin, auditor = client(stack, "admin"), client(stack, "auditor")
    before = {r["ref"] for r in citizen.get("/api/requests").json()}
    assert admin.post("/api/programs", json=program_spec(PROGRAM, budget="100000")).status_code == 201

    # Claims of twelve enterprises, made at once in the background.
    enterprises = {username: client(stack, username) for username in ENTERPRISES}
    pool = concurrent.futures.ThreadPoolExecutor(12)
    claims = {u: pool.submit(e.post, f"/api/programs/{PROGRAM}/claims", json={}) for u, e in enterprises.items()}

    # Twenty requests filed at once, some sent twice with the same key.
    keys = [f"scale-out-{uuid.uuid4()}" for _ in range(REQUESTS)]
    sends = keys + random.sample(keys, RETRIED)
    random.shuffle(sends)
    with concurrent.futures.ThreadPoolExecutor(10) as filing:
        answers = list(zip(sends, filing.map(lambda key: file_request(citizen, key=key), sends), strict=True))

    # One worker dies in the middle of the batch; the other carries on.
    time.sleep(1)
    stack.kill_worker()

    refs: dict[str, str] = {}
    for key, r in answers:
        assert r.status_code in (200, 201), r.text
        assert refs.setdefault(key, r.json()["ref"]) == r.json()["ref"], "one key, two requests"
    assert sorted(r.status_code for _, r in answers).count(201) == REQUESTS
    assert len(set(refs.values())) == REQUESTS
    after = {r["ref"] for r in citizen.get("/api/requests").json()}
    assert after - before == set(refs.values())

    # Clerks decide: the street office rejects every fifth, civil affairs every fourth of the rest.
    ordered = sorted(refs.values())
    plan = {
        ref: ("reject" if i % 5 == 0 else "approve", "reject" if i % 4 == 1 else "approve")
        for i, ref in enumerate(ordered)
    }
    expected = {ref: "rejected" if "reject" in verdicts else "approved" for ref, verdicts in plan.items()}
    decided: set[tuple[str, str]] = set()

    def decide_open() -> bool:
        for clerk, stage, index in ((street, "residence-check", 0), (civil, "approval", 1)):
            for task in clerk.get("/api/tasks").json():
                ref = task["request_ref"]
                if ref not in plan or (ref, stage) in decided or task["stage_id"] != stage:
                    continue
                verdict = plan[ref][index]
                r = decide(clerk, task["id"], verdict, "同意" if verdict == "approve" else "不符合条件")
                assert r.status_code == 200, r.text
                decided.add((ref, stage))
        due = {(ref, "residence-check") for ref in plan}
        due |= {(ref, "approval") for ref, (first, _) in plan.items() if first == "approve"}
        return due <= decided

    wait_for(decide_open, timeout=90, interval=0.5, what="every task to be decided")

    def all_closed():
        found = {}
        for ref in plan:
            body = citizen.get(f"/api/requests/{ref}").json()
            if body["state"] not in ("approved", "rejected") or not any(
                d["kind"] == "decision" for d in body["documents"]
            ):
                return None
            found[ref] = body
        return found

    closed = wait_for(all_closed, timeout=90, interval=1, what="every request to close with its decision")
    for ref, body in closed.items():
        assert body["state"] == expected[ref], (ref, plan[ref], body["state"])
        kinds = [e["kind"] for e in body["timeline"]]
        assert kinds.count(f"request_{expected[ref]}") == 1, kinds
        assert kinds.count("request_approved") + kinds.count("request_rejected") == 1, kinds
        assert kinds.count("document_issued") == 2, kinds  # the receipt and the decision, once each
        assert sorted(d["kind"] for d in body["documents"]) == ["decision", "receipt"]

    # Every claim paid once; a second claim by the same enterprise is refused.
    paid = {}
    for username, future in claims.items():
        r = future.result()
        assert r.status_code in (201, 202), r.text
        paid[username] = wait_claim(enterprises[username], r.json()["ref"], timeout=90)
        assert paid[username]["state"] == "paid", paid[username]
    for username in ENTERPRISES[:3]:
        again = enterprises[username].post(f"/api/programs/{PROGRAM}/claims", json={})
        assert again.status_code == 409 and again.json()["type"] == "/problems/already-claimed"
    assert len({c["ref"] for c in paid.values()}) == len(ENTERPRISES)
    total = sum(float(c["amount"]) for c in paid.values())
    budget = admin.get(f"/api/open/programs/{PROGRAM}").json()["budget"]
    assert float(budget["paid"]) == total == 1000 * len(ENTERPRISES)
    assert budget["reserved"] == "0.00"
    rows = sql(
        stack,
        "SELECT c.ref, c.state, count(t.id) AS payments FROM claim c JOIN program p ON p.id = c.program "
        "LEFT JOIN ledger_transaction t ON t.reference = c.ref WHERE p.code = {} GROUP BY c.ref, c.state",
        PROGRAM,
    )
    assert sorted((r["ref"], r["state"], r["payments"]) for r in rows) == sorted(
        (c["ref"], "paid", 1) for c in paid.values()
    )

    # Documents: every decision downloads, through fresh connections to either web process, with
    # the bytes it was issued with; the payment notices are made on their first download, two at once.
    def download(args) -> tuple[dict, httpx.Response]:
        owner, document = args
        return document, owner.get(document["download_url"])

    decisions = [(citizen, decision_of(body)) for body in closed.values()]
    notices = []
    for username, c in list(paid.items())[:4]:
        request = enterprises[username].get(f"/api/requests/{c['request_ref']}").json()
        notice = next(d for d in request["documents"] if d["kind"] == "payment_notice")
        notices += [(enterprises[username], notice)] * 2
    with concurrent.futures.ThreadPoolExecutor(8) as downloads:
        fetched = list(downloads.map(download, decisions * 2 + notices))
    made: dict[int, set[str]] = {}
    for document, r in fetched:
        assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text[:300]
        digest = hashlib.sha256(r.content).hexdigest()
        if document["sha256"]:
            assert digest == document["sha256"]
        made.setdefault(document["id"], set()).add(digest)
    assert all(len(digests) == 1 for digests in made.values()), made

    # In the bucket, sealed; nothing in the local folder.
    stored = sql(stack, "SELECT stored_as FROM document WHERE stored_as <> ''")
    in_bucket = objects(s3_env)
    assert len(stored) >= 2 * REQUESTS + 4
    assert all(f"{PREFIX}/{row['stored_as'][:2]}/{row['stored_as']}" in in_bucket for row in stored)
    assert not any(data.startswith(b"%PDF") for data in in_bucket.values())
    local = stack.root / "var" / "documents"
    assert not local.exists() or not any(p.is_file() for p in local.rglob("*"))

    report = auditor.get("/api/reconciliation").json()
    assert report["differences"] == [], report
    program = next(p for p in report["programs"] if p["program"] == PROGRAM)
    assert program["paid_cents"] == program["ledger_paid_cents"] == 100_000 * len(ENTERPRISES)

    # Retention run by several workers at once: each closed request anonymised once.
    passes = [
        subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "retention"],
            env={**stack.env, "QINQING_RETENTION_DAYS": "0"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    for run in passes:
        out, _ = run.communicate(timeout=120)
        assert run.returncode == 0, out
    anonymised = sql(
        stack,
        "SELECT object_id, count(*) AS times FROM audit_event WHERE action = 'request.anonymised' GROUP BY object_id",
    )
    times = {row["object_id"]: row["times"] for row in anonymised}
    assert all(times.get(ref) == 1 for ref in plan), times

    # Both web processes served the batch.
    used = {pid: cpu_ticks(pid) - ticks_before[pid] for pid in webs}
    assert all(spent > 0 for spent in used.values()), used
    assert "worker2" in stack.processes and stack.processes["worker2"].poll() is None
    assert time.monotonic() - started < 150


def test_sessions_and_sign_in_throttles_are_shared_by_the_web_processes(wide):
    stack, _ = wide
    webs = web_processes(stack)
    ticks_before = {pid: cpu_ticks(pid) for pid in webs}

    # A session made on one process is accepted by the other: forty requests, new connections.
    citizen = client(stack, "zhangsan")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: citizen.get("/api/requests").status_code, range(40)))
    assert answers == [200] * 40

    # Failures counted on either process lock the username on both.
    anyone = client(stack)
    wrong = [anyone.post("/api/auth/token", json={"username": "lisi", "password": "wrong"}) for _ in range(5)]
    assert [r.status_code for r in wrong][:4] == [401] * 4 and wrong[4].status_code in (401, 429)
    for _ in range(6):
        r = anyone.post("/api/auth/token", json={"username": "lisi", "password": PASSWORD})
        assert r.status_code == 429, r.text

    # A page form opened from one process is accepted by the other: they share the CSRF secret.
    for _ in range(6):
        browser = client(stack)
        token = token_of(browser.get("/signin"))
        form = {"username": "wangwu", "password": PASSWORD, "next": "/requests", "_csrf_token": token}
        assert browser.post("/signin", data=form).status_code == 303
        assert browser.get("/requests").status_code == 200

    # Signing out on one process ends the session on both: on the other as soon as PostgreSQL's
    # notice reaches it (hub.kept_sessions), at most milliseconds later.
    assert citizen.post("/api/auth/logout").status_code in (200, 204)
    wait_for(lambda: citizen.get("/api/requests").status_code == 401, timeout=2, interval=0.05, what="sign-out")
    assert all(citizen.get("/api/requests").status_code == 401 for _ in range(6))

    used = {pid: cpu_ticks(pid) - ticks_before[pid] for pid in webs}
    assert all(spent > 0 for spent in used.values()), used


def test_each_process_keeps_its_callers_until_postgresql_says_they_changed(wide):
    """hub.kept_sessions: each web process keeps the callers it has read, and drops one when the
    database's triggers tell it that its session ended or its account changed, whoever wrote."""
    stack, _ = wide

    def answers(http: httpx.Client, count: int = 40) -> list[httpx.Response]:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            return list(pool.map(lambda _: http.get("/api/me"), range(count)))

    def locales(http: httpx.Client, count: int = 40) -> set[str]:
        return {r.json()["locale"] if r.status_code == 200 else r.status_code for r in answers(http, count)}

    def statuses(http: httpx.Client, count: int = 40) -> set[int]:
        return {r.status_code for r in answers(http, count)}

    def listeners() -> int:
        rows = sql(stack, f"SELECT count(*) AS n FROM pg_stat_activity WHERE {THIS_STACK_S_LISTENERS}")
        return rows[0]["n"]

    def unheard(statement: str, table: str, trigger: str) -> None:
        """A change made with its table's trigger switched off for its own transaction only."""
        sql(
            stack,
            f"DO $$ BEGIN ALTER TABLE {table} DISABLE TRIGGER {trigger}; {statement};"
            f" ALTER TABLE {table} ENABLE TRIGGER {trigger}; END $$",
        )

    # The triggers notify on every column a caller is made of.
    columns = sql(
        stack,
        "SELECT a.attname AS name FROM pg_trigger t JOIN pg_attribute a"
        " ON a.attrelid = t.tgrelid AND a.attnum = ANY(t.tgattr) WHERE t.tgname = 'account_changed'",
    )
    assert {c["name"] for c in columns} == {*CALLER_FIELDS}
    assert listeners() == 2  # one listening connection in each web process

    me = client(stack, "zhaoliu")
    try:
        assert locales(me) == {"zh_CN"}  # read, and kept, by both processes
        # Kept: a change no notice tells of goes unseen by both processes...
        unheard("UPDATE account SET locale = 'en' WHERE username = 'zhaoliu'", "account", "account_changed")
        assert locales(me) == {"zh_CN"}
        # ...and one made behind the hub's back (an operator's SQL) is heard by both at once.
        sql(stack, "UPDATE account SET locale = 'en' WHERE username = 'zhaoliu'")
        wait_for(lambda: locales(me, 12) == {"en"}, timeout=2, interval=0.05, what="both to hear of the account")
        assert locales(me) == {"en"}
    finally:
        sql(stack, "UPDATE account SET locale = 'zh_CN' WHERE username = 'zhaoliu'")

    # A session deleted behind the hub's back ends on both processes.
    sql(stack, "DELETE FROM api_session WHERE token_hash = {}", token_hash(me))
    wait_for(lambda: statuses(me, 12) == {401}, timeout=2, interval=0.05, what="both to hear of the session")
    assert statuses(me) == {401}

    # A process that loses its listening connection drops what it kept: a session ended without a
    # notice, still accepted while kept, is refused once the connections are cut.
    again = client(stack, "zhaoliu")
    assert statuses(again) == {200}
    unheard(f"DELETE FROM api_session WHERE token_hash = '{token_hash(again)}'", "api_session", "api_session_changed")
    assert statuses(again) == {200}
    cut = sql(
        stack,
        f"SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE {THIS_STACK_S_LISTENERS}",
    )
    assert cut[0]["n"] == 2
    wait_for(lambda: statuses(again, 12) == {401}, timeout=2, interval=0.05, what="both to drop what they kept")
    assert statuses(again) == {401}
    wait_for(lambda: listeners() == 2, timeout=10, interval=0.2, what="both to listen again")

    # While a trigger is switched off, nothing is kept: a session ended unheard is refused at once.
    sql(stack, "ALTER TABLE api_session DISABLE TRIGGER api_session_changed")
    try:
        time.sleep(3)  # a heartbeat of each process finds the trigger off
        third = client(stack, "zhaoliu")
        assert statuses(third) == {200}
        sql(stack, "DELETE FROM api_session WHERE token_hash = {}", token_hash(third))
        assert statuses(third) == {401}
    finally:
        sql(stack, "ALTER TABLE api_session ENABLE TRIGGER api_session_changed")

    # And once it is back, they keep and hear as before.
    time.sleep(2)
    fourth = client(stack, "zhaoliu")
    assert statuses(fourth) == {200}
    assert fourth.post("/api/auth/logout").status_code == 204
    wait_for(lambda: statuses(fourth, 12) == {401}, timeout=2, interval=0.05, what="both to hear of the sign-out")
    assert statuses(fourth) == {401}


def test_each_process_keeps_inbox_pages_until_postgresql_says_a_task_changed(wide):
    """hub.workbench.kept_inbox: each web process keeps the inbox pages it has read, and drops a
    department's when the database's triggers tell it that one of its tasks changed, whoever wrote;
    a clerk's own move shows on their next page at once."""
    stack, _ = wide
    citizen, clerk = client(stack, "zhangsan"), client(stack, "street.clerk")
    r = file_request(citizen)
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]

    def tasks(http: httpx.Client, count: int = 24, path: str = "/api/tasks") -> list[dict]:
        """The request's task as each of ``count`` pages, from both processes, shows it."""
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            pages = list(pool.map(lambda _: http.get(path), range(count)))
        assert {p.status_code for p in pages} == {200}, pages[0].text
        return [next((t for t in p.json() if t["request_ref"] == ref), {}) for p in pages]

    def due(http: httpx.Client = clerk, count: int = 24) -> set[str]:
        return {t.get("due_at", "not there") for t in tasks(http, count)}

    def due_changed_unheard(due_at: str) -> None:
        """The task's time limit changed with its trigger switched off for that transaction only."""
        sql(
            stack,
            "DO $$ BEGIN ALTER TABLE review_task DISABLE TRIGGER inbox_task_changed;"
            f" UPDATE review_task SET due_at = '{due_at}' WHERE id = {task_id};"
            " ALTER TABLE review_task ENABLE TRIGGER inbox_task_changed; END $$",
        )

    def seen_by_both(check: Callable[[], bool], what: str) -> None:
        wait_for(check, timeout=2, interval=0.05, what=what)

    wait_for(lambda: "not there" not in due(count=12), timeout=60, what="the task in both processes' pages")
    (first_due,) = due()
    task_id = tasks(clerk, 1)[0]["id"]
    counts_before = clerk.get("/api/tasks/counts").json()["by_state"].get("open", 0)
    later = "2031-01-02T03:04:05+00:00"
    try:
        # Kept: a change no notice tells of goes unseen by both processes...
        due_changed_unheard(later)
        assert due() == {first_due}
        # ...and one made behind the hub's back is heard by both at once: the page and the counts.
        sql(stack, f"UPDATE review_task SET due_at = '{later}', state = 'waiting_applicant' WHERE id = {task_id}")
        seen_by_both(lambda: len(due(count=12)) == 1 and due(count=12) != {first_due}, "both to hear of the task")
        assert {t["state"] for t in tasks(clerk)} == {"waiting_applicant"}
        counts = {c.get("open", 0) for c in (clerk.get("/api/tasks/counts").json()["by_state"] for _ in range(12))}
        assert counts == {counts_before - 1}
    finally:
        sql(stack, f"UPDATE review_task SET due_at = '{first_due}', state = 'open' WHERE id = {task_id}")
    seen_by_both(lambda: due(count=12) == {first_due}, "both to hear it put back")

    # A clerk's own move shows on their very next page, from the process that made it.
    with httpx.Client(base_url=stack.base_url, headers=dict(clerk.headers), timeout=60) as same_process:
        assert same_process.get("/api/tasks").status_code == 200  # read, and kept, by this process
        assert same_process.post(f"/api/tasks/{task_id}/claim").status_code == 200
        mine = next(t for t in same_process.get("/api/tasks").json() if t["request_ref"] == ref)
        assert (mine["state"], mine["assignee"]) == ("claimed", "street.clerk")

    # An account's new sign-in name shows in the rows of the tasks it holds, on both processes.
    try:
        sql(stack, "UPDATE account SET username = 'street.clerk.renamed' WHERE username = 'street.clerk'")
        seen_by_both(lambda: {t.get("assignee") for t in tasks(clerk, 12)} == {"street.clerk.renamed"}, "the new name")
    finally:
        sql(stack, "UPDATE account SET username = 'street.clerk' WHERE username = 'street.clerk.renamed'")
    seen_by_both(lambda: {t.get("assignee") for t in tasks(clerk, 12)} == {"street.clerk"}, "the name put back")

    # A process that loses its listening connection reads every page again; a change made unheard
    # while it kept the page shows once the connections are cut.
    due_changed_unheard(later)
    assert due() == {first_due}
    cut = sql(
        stack,
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity"
        " WHERE application_name = 'qinqing-inboxes' AND datname = current_database()",
    )
    assert cut[0]["n"] == 2
    seen_by_both(lambda: len(due(count=12)) == 1 and due(count=12) != {first_due}, "both to drop what they kept")


def test_each_process_keeps_a_request_s_detail_until_postgresql_says_it_changed(wide):
    """hub.requests.kept_details: each web process keeps the detail of a request it has read, and
    drops it when the database's triggers tell it that the request or one of its tasks, timeline
    entries or documents changed, whoever wrote; a clerk's own move shows on their next read at
    once; every view is still recorded."""
    stack, _ = wide
    citizen = client(stack, "zhangsan")
    r = file_request(citizen)
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    (request_id,) = (row["id"] for row in sql(stack, f"SELECT id FROM service_request WHERE ref = '{ref}'"))

    def details(count: int = 24) -> list[dict]:
        """The request's detail as each of ``count`` reads, from both processes, shows it."""
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            pages = list(pool.map(lambda _: citizen.get(f"/api/requests/{ref}"), range(count)))
        assert {p.status_code for p in pages} == {200}, pages[0].text
        return [p.json() for p in pages]

    def due(count: int = 24) -> set[str]:
        return {"/".join(t["due_at"] for t in d["tasks"]) or "no task" for d in details(count)}

    def seen_by_both(check: Callable[[], bool], what: str) -> None:
        wait_for(check, timeout=2, interval=0.05, what=what)

    def due_changed_unheard() -> None:
        """The task's time limit moved to ``later`` with its trigger switched off for that transaction only."""
        sql(
            stack,
            "DO $$ BEGIN ALTER TABLE review_task DISABLE TRIGGER detail_task_changed;"
            f" UPDATE review_task SET due_at = '{later}' WHERE id = {task_id};"
            " ALTER TABLE review_task ENABLE TRIGGER detail_task_changed; END $$",
        )

    def views() -> int:
        return sql(
            stack,
            f"SELECT count(*) AS n FROM audit_event WHERE action = 'request.viewed' AND object_id = '{ref}'",
        )[0]["n"]

    def settled() -> bool:
        """The request's workflow has stopped writing: its detail is the same a second later."""
        before = details(4)
        time.sleep(1.0)
        return all(d == before[0] for d in before + details(4))

    wait_for(lambda: len(due(12)) == 1 and "no task" not in due(12), timeout=60, what="the task, alike in both")
    wait_for(settled, timeout=60, what="the request to settle")
    (first_due,) = due()
    task_id = sql(stack, f"SELECT id FROM review_task WHERE request = {request_id}")[0]["id"]
    later = "2031-01-02T03:04:05+00:00"
    seen_before = views()
    # Kept: a change no notice tells of goes unseen by both processes...
    due_changed_unheard()
    assert due() == {first_due}
    # ...though every one of those reads was recorded as a view of the request.
    assert views() == seen_before + 24
    # One made behind the hub's back is heard by both at once: of a task, of the timeline, of the request.
    sql(stack, f"UPDATE review_task SET due_at = '{later}' WHERE id = {task_id}")
    seen_by_both(lambda: len(due(12)) == 1 and due(12) != {first_due}, "both to hear of the task")
    entries = {len(d["timeline"]) for d in details(12)}
    assert len(entries) == 1
    sql(
        stack,
        "INSERT INTO timeline_entry (key, request, kind, at, stage_id, department, detail)"
        " SELECT 'kept-test-' || key, request, kind, at, stage_id, department, detail FROM timeline_entry"
        f" WHERE request = {request_id} ORDER BY id LIMIT 1",
    )
    seen_by_both(lambda: {len(d["timeline"]) for d in details(12)} == {entries.pop() + 1}, "the new entry")
    sql(stack, f"DELETE FROM timeline_entry WHERE request = {request_id} AND key LIKE 'kept-test-%'")
    sql(stack, f"UPDATE service_request SET overdue = true WHERE id = {request_id}")
    seen_by_both(lambda: {d["overdue"] for d in details(12)} == {True}, "both to hear of the request")
    sql(stack, f"UPDATE service_request SET overdue = false WHERE id = {request_id}")
    sql(stack, f"UPDATE review_task SET due_at = '{first_due}' WHERE id = {task_id}")
    seen_by_both(lambda: due(12) == {first_due} and {d["overdue"] for d in details(12)} == {False}, "put back")

    # A process that loses its listening connection reads every detail again.
    due_changed_unheard()
    assert due() == {first_due}
    cut = sql(
        stack,
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity"
        " WHERE application_name = 'qinqing-details' AND datname = current_database()",
    )
    assert cut[0]["n"] == 2
    seen_by_both(lambda: len(due(12)) == 1 and due(12) != {first_due}, "both to drop what they kept")

    # A clerk's own move shows in the request's detail on their very next read, from the process
    # that made it.
    sql(stack, f"UPDATE review_task SET due_at = '{first_due}' WHERE id = {task_id}")
    clerk = client(stack, "street.clerk")
    with httpx.Client(base_url=stack.base_url, headers=dict(clerk.headers), timeout=60) as same_process:
        tasks = same_process.get(f"/api/requests/{ref}").json()["tasks"]  # read, and kept
        assert [t["state"] for t in tasks] == ["open"]
        assert same_process.post(f"/api/tasks/{task_id}/claim").status_code == 200
        assert [t["state"] for t in same_process.get(f"/api/requests/{ref}").json()["tasks"]] == ["claimed"]


# The suite's other stacks share the PostgreSQL server, each with a database of its own.
THIS_STACK_S_LISTENERS = "application_name = 'qinqing-sign-ins' AND datname = current_database()"


def token_hash(http: httpx.Client) -> str:
    return hashlib.sha256(http.headers["Authorization"].removeprefix("Bearer ").encode()).hexdigest()
