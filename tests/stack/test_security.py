"""Security and privacy, through the running hub: sign-in lockout, API tokens for department
systems, enterprise preparers and approvers, personal data sealed at rest and revealed only with a
reason, security headers, the hash-chained audit log, and retention."""

from __future__ import annotations

import base64
import concurrent.futures
import datetime as dt
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from forms.catalog import load_catalog
from forms.clock import beijing_today
from tests.stack.db import run_python, sql
from tests.stack.flows import (
    CLERKS,
    SAMPLE_FILES,
    csrf_of,
    decide,
    decision_of,
    file_example,
    file_request,
    file_service,
    hub_python,
    open_task,
    pdf_text,
    program_spec,
    signed_in_browser,
    wait_claim,
    wait_closed,
)
from tests.stack.harness import PASSWORD, Api

pytestmark = pytest.mark.stack

PHONE = "13912345678"
BANK = "6222020200998877665"
ZHANGSAN_ID = "330106194003150011"


def sign_in(stack, username: str, password: str, locale: str = "en") -> httpx.Response:
    return httpx.post(
        f"{stack.base_url}/api/auth/token",
        json={"username": username, "password": password},
        headers={"Accept-Language": locale},
    )


# Sign-in lockout ---------------------------------------------------------------------------------


def test_brute_force_sign_in_is_locked_out(stack):
    codes = [sign_in(stack, "jiucheng", f"guess-{i}").status_code for i in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    locked = sign_in(stack, "jiucheng", PASSWORD)  # the right password does not help now
    assert locked.status_code == 429
    assert locked.headers["content-type"].startswith("application/problem+json")
    assert 0 < int(locked.headers["retry-after"]) <= 900
    assert locked.json()["type"] == "/problems/sign-in-locked" and "minute" in locked.json()["detail"]
    assert "登录" in sign_in(stack, "jiucheng", PASSWORD, locale="zh-CN").json()["title"]
    # An unknown username is locked the same way: a lockout does not tell who has an account.
    assert [sign_in(stack, "nobody.here", "x").status_code for _ in range(5)][-1] == 429
    events = sql(stack, "SELECT action FROM audit_event WHERE object_id = {}", "jiucheng")
    assert {"auth.failed", "auth.locked_out"} <= {e["action"] for e in events}

    # An administrator lifts the lockout.
    admin = Api(stack.base_url, "admin")
    assert Api(stack.base_url, "auditor").post("/api/admin/sign-in-locks/jiucheng/release").status_code == 403
    r = admin.post("/api/admin/sign-in-locks/jiucheng/release")
    assert r.status_code == 200 and r.json()["was_locked"] is True
    assert sign_in(stack, "jiucheng", PASSWORD).status_code == 201


def test_an_administrator_lifts_a_lockout_on_a_page(stack):
    assert [sign_in(stack, "qihang", f"guess-{i}").status_code for i in range(5)][-1] == 429
    with signed_in_browser(stack.base_url, "auditor") as auditor:
        assert auditor.get("/admin/sign-in-locks").status_code == 403
    with signed_in_browser(stack.base_url, "admin") as admin:
        assert 'href="/admin/sign-in-locks"' in admin.get("/admin").text
        page = admin.get("/admin/sign-in-locks")
        assert page.status_code == 200
        token = csrf_of(page.text)
        empty = admin.post("/admin/sign-in-locks", data={"_csrf_token": token, "username": " "})
        assert empty.status_code == 422 and 'id="l-username-error"' in empty.text
        lifted = admin.post("/admin/sign-in-locks", data={"_csrf_token": token, "username": "qihang"})
        # In the admin account's language, whichever an earlier test left it in.
        assert lifted.status_code == 200 and (
            "已解除qihang的登录锁定" in lifted.text or "qihang was lifted" in lifted.text
        )
        again = admin.post("/admin/sign-in-locks", data={"_csrf_token": token, "username": "qihang"})
        assert "qihang未被锁定" in again.text or "qihang was not locked out" in again.text
    assert sign_in(stack, "qihang", PASSWORD).status_code == 201
    events = sql(
        stack, "SELECT action FROM audit_event WHERE action = {} AND object_id = {}", "auth.unlocked", "qihang"
    )
    assert len(events) == 2


def test_one_address_guessing_many_usernames_is_limited(stack):
    """The limiter is one function (hub.signin) for the API and pages; here from another address."""
    out = run_python(
        stack,
        """
import asyncio
from hub.db.lifecycle import database
from hub.settings import load_settings
from hub.signin import sign_in

async def main():
    settings = load_settings()
    async with database(settings):
        results = [await sign_in(f"user{i}", "x", "203.0.113.9", settings) for i in range(settings.signin_max_failures_per_address)]
        ok_elsewhere = await sign_in("lisi", "qinqing-demo", "198.51.100.7", settings)
        blocked = await sign_in("lisi", "qinqing-demo", "203.0.113.9", settings)
        print(results[-2].locked or "-", results[-1].locked, ok_elsewhere.ok, blocked.ok, blocked.locked)

asyncio.run(main())
""",
    )
    assert out.split() == ["-", "address", "True", "False", "address"]


# API tokens for department systems ---------------------------------------------------------------


def test_api_tokens_are_scoped_revocable_and_stored_hashed(stack):
    admin = Api(stack.base_url, "admin")
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    task = open_task(clerk, ref)

    r = admin.post(
        "/api/admin/api-tokens",
        json={"name": "street-case-system", "department": "street-office", "scopes": ["tasks:read", "requests:read"]},
    )
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["token"].startswith("qqt_") and issued["scopes"] == ["requests:read", "tasks:read"]
    system = httpx.Client(base_url=stack.base_url, headers={"Authorization": f"Bearer {issued['token']}"})

    assert system.get("/api/tasks").status_code == 200
    assert system.get(f"/api/tasks/{task['id']}").status_code == 200
    assert system.get(f"/api/requests/{ref}").status_code == 200
    # Outside its scopes: no decisions, no applicant routes, no administration.
    assert system.post(f"/api/tasks/{task['id']}/claim").status_code == 403
    assert (
        system.post(f"/api/tasks/{task['id']}/reveal", json={"fields": ["phone"], "reason": "check"}).status_code == 403
    )
    assert system.get("/api/requests").status_code == 403
    assert system.get("/api/me").status_code == 403
    assert system.get("/api/admin/api-tokens").status_code == 403

    listed = admin.get("/api/admin/api-tokens").json()
    assert any(t["id"] == issued["id"] for t in listed) and all("token" not in t for t in listed)
    assert not sql(stack, "SELECT id FROM api_token WHERE token_hash = {}", issued["token"])
    assert citizen.get("/api/admin/api-tokens").status_code == 403
    bad = admin.post(
        "/api/admin/api-tokens", json={"name": "x", "department": "street-office", "scopes": ["everything"]}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "scopes"

    assert admin.delete(f"/api/admin/api-tokens/{issued['id']}").status_code == 204
    assert system.get("/api/tasks").status_code == 401

    # An expired token is refused like a revoked one.
    short = admin.post(
        "/api/admin/api-tokens",
        json={"name": "street-short", "department": "street-office", "scopes": ["tasks:read"], "expires_in_days": 1},
    ).json()
    expiring = httpx.Client(base_url=stack.base_url, headers={"Authorization": f"Bearer {short['token']}"})
    assert expiring.get("/api/tasks").status_code == 200
    sql(stack, "UPDATE api_token SET expires_at = created_at WHERE id = {}", short["id"])
    assert expiring.get("/api/tasks").status_code == 401
    too_long = admin.post(
        "/api/admin/api-tokens",
        json={"name": "forever", "department": "street-office", "scopes": ["tasks:read"], "expires_in_days": 100000},
    )
    assert too_long.status_code == 422


def test_first_tokens_of_one_system_asked_at_once_make_one_account(stack):
    # Both find no account for the system and make one: one is made, and each gets its token.
    admins = [Api(stack.base_url, "admin") for _ in range(4)]
    at_once = threading.Barrier(len(admins))

    def issue(admin: Api):
        at_once.wait()
        return admin.post(
            "/api/admin/api-tokens",
            json={"name": "parallel-case-system", "department": "street-office", "scopes": ["tasks:read"]},
        )

    with concurrent.futures.ThreadPoolExecutor(len(admins)) as pool:
        answers = list(pool.map(issue, admins))
    assert [r.status_code for r in answers] == [201] * len(admins), [r.text[:200] for r in answers]
    accounts = sql(stack, "SELECT id FROM account WHERE username = {}", "system.parallel-case-system")
    assert len(accounts) == 1
    tokens = sql(stack, "SELECT account FROM api_token WHERE name = {}", "parallel-case-system")
    assert [t["account"] for t in tokens] == [accounts[0]["id"]] * len(admins)
    for r in answers:
        system = httpx.Client(base_url=stack.base_url, headers={"Authorization": f"Bearer {r.json()['token']}"})
        assert system.get("/api/tasks").status_code == 200


def test_a_department_system_decides_with_the_decide_scope(stack):
    admin = Api(stack.base_url, "admin")
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    task = open_task(Api(stack.base_url, "street.clerk"), ref)
    issued = admin.post(
        "/api/admin/api-tokens",
        json={"name": "street-decider", "department": "street-office", "scopes": ["tasks:read", "tasks:decide"]},
    ).json()
    system = httpx.Client(base_url=stack.base_url, headers={"Authorization": f"Bearer {issued['token']}"}, timeout=30)
    r = decide(system, task["id"], "approve", "核验通过")
    assert r.status_code == 200, r.text
    trail = Api(stack.base_url, "street.supervisor").get(f"/api/requests/{ref}/audit").json()
    assert any(e["action"] == "task.decide" and e["actor"] == "system.street-decider" for e in trail)
    # Another department's task is not its business.
    other = admin.post(
        "/api/admin/api-tokens",
        json={"name": "civil-system", "department": "civil-affairs", "scopes": ["tasks:read", "tasks:decide"]},
    ).json()
    civil = httpx.Client(base_url=stack.base_url, headers={"Authorization": f"Bearer {other['token']}"})
    assert civil.get(f"/api/tasks/{task['id']}").status_code == 404  # another department's: not found


# Enterprise preparers and approvers --------------------------------------------------------------

ENTERPRISE_SERVICE = "graduate-rent-subsidy"


def prepare(stack, preparer: Api):
    from forms.catalog import load_catalog
    from tests.stack.flows import file_example

    spec = load_catalog().latest(ENTERPRISE_SERVICE)
    return file_example(preparer, spec)


def test_a_preparer_prepares_and_the_approver_submits(stack):
    preparer = Api(stack.base_url, "yunqi.preparer", locale="en")
    approver = Api(stack.base_url, "yunqi", locale="en")
    r = prepare(stack, preparer)
    assert r.status_code == 201, r.text
    prepared = r.json()
    ref = prepared["ref"]
    assert prepared["state"] == "prepared" and prepared["tasks"] == []
    assert "approver" in prepared["state_label"]

    refused = preparer.post(f"/api/requests/{ref}/submission")
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/approver-required"
    assert "approver" in refused.json()["detail"]
    # Another enterprise cannot see or submit it.
    other = Api(stack.base_url, "chashe")
    assert other.get(f"/api/requests/{ref}").status_code == 404
    assert other.post(f"/api/requests/{ref}/submission").status_code == 404
    assert Api(stack.base_url, "lisi").post(f"/api/requests/{ref}/submission").status_code == 403

    assert any(item["ref"] == ref for item in approver.get("/api/requests").json())
    submitted = approver.post(f"/api/requests/{ref}/submission")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] in ("submitted", "in_review")
    assert approver.post(f"/api/requests/{ref}/submission").status_code == 200  # a repeat is harmless
    open_task(Api(stack.base_url, "hr.clerk"), ref)
    trail = Api(stack.base_url, "auditor").get(f"/api/requests/{ref}/audit").json()
    actions = [(e["action"], e["actor"]) for e in trail]
    assert ("request.prepared", "yunqi.preparer") in actions and ("request.submitted", "yunqi") in actions


def test_the_approver_still_submits_directly(stack):
    r = prepare(stack, Api(stack.base_url, "yunqi"))
    assert r.status_code == 201 and r.json()["state"] in ("submitted", "in_review")


# Personal data -----------------------------------------------------------------------------------


def test_personal_data_is_sealed_at_rest_masked_and_revealed_only_with_a_reason(stack):
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    filed = file_request(citizen, phone=PHONE, bank_account=BANK)
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    assert filed.json()["answers"]["phone"] == "139****5678"

    clerk = Api(stack.base_url, "street.clerk", locale="en")
    task = open_task(clerk, ref)
    detail = clerk.get(f"/api/tasks/{task['id']}").json()
    assert detail["answers"]["phone"] == "139****5678" and BANK not in str(detail)

    no_reason = clerk.post(f"/api/tasks/{task['id']}/reveal", json={"fields": ["phone"], "reason": " "})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    not_personal = clerk.post(f"/api/tasks/{task['id']}/reveal", json={"fields": ["hukou_local"], "reason": "why"})
    assert not_personal.status_code == 422
    other_department = Api(stack.base_url, "civil.clerk").post(
        f"/api/tasks/{task['id']}/reveal", json={"fields": ["phone"], "reason": "curious"}
    )
    assert other_department.status_code == 404
    shown = clerk.post(
        f"/api/tasks/{task['id']}/reveal", json={"fields": ["phone", "bank_account"], "reason": "电话核实住址"}
    )
    assert shown.status_code == 200 and shown.json()["values"] == {"phone": PHONE, "bank_account": BANK}
    trail = Api(stack.base_url, "street.supervisor").get(f"/api/requests/{ref}/audit").json()
    revealed = [e for e in trail if e["action"] == "personal_data.revealed"]
    assert revealed and revealed[0]["actor"] == "street.clerk"
    assert revealed[0]["detail"] == {"fields": ["phone", "bank_account"], "reason": "电话核实住址"}

    # The decision document (an export) carries no personal data in clear.
    assert decide(clerk, task["id"], "reject", "不符合条件").status_code == 200
    done = wait_closed(citizen, ref)
    text = pdf_text(citizen.get(decision_of(done)["download_url"]).content)
    assert ZHANGSAN_ID not in text and PHONE not in text and BANK not in text

    # Nowhere in the database file, the server and worker logs, or Temporal's history.
    secrets = [PHONE.encode(), BANK.encode(), ZHANGSAN_ID.encode()]
    var = stack.root / "var"
    files = [
        *var.glob("qinqing.sqlite*"),
        stack.root / "serve.log",
        stack.root / "worker.log",
        stack.root / "temporal.db",
    ]
    for path in files:
        if path.exists():
            data = path.read_bytes()
            for secret in secrets:
                assert secret not in data, f"{secret!r} in clear in {path.name}"
    rows = sql(stack, "SELECT answers FROM service_request WHERE ref = {}", ref)
    assert PHONE not in str(rows) and "enc1:" in str(rows)
    account = sql(stack, "SELECT resident_id, full_name FROM account WHERE username = {}", "zhangsan")
    assert account[0]["resident_id"].startswith("enc1:")
    assert account[0]["full_name"].startswith("enc1:") and "张三" not in account[0]["full_name"]
    assert Api(stack.base_url, "zhangsan").get("/api/me").json()["full_name"] == "张三"  # opened for its owner
    enterprises = sql(stack, "SELECT legal_representative FROM enterprise")
    assert enterprises and all(e["legal_representative"].startswith("enc1:") for e in enterprises)


def test_people_s_own_words_are_sealed_at_rest_and_read_in_clear_where_they_are_shown(stack):
    """A clerk's comment may name anyone (here the applicant's address): sealed in the database,
    shown to the applicant, the department and in the decision notice. So is a rating's comment."""
    comment = "张三的户籍不在文三路88号"
    citizen = Api(stack.base_url, "zhangsan", locale="zh_CN")
    ref = file_request(citizen).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    task = open_task(clerk, ref)
    assert decide(clerk, task["id"], "reject", comment).status_code == 200
    done = wait_closed(citizen, ref)
    assert comment in [step["comment"] for step in done["timeline"]]
    assert clerk.get(f"/api/tasks/{task['id']}").json()["comment"] == comment
    assert "文三路88号" in pdf_text(citizen.get(decision_of(done)["download_url"]).content).replace(" ", "")
    rated = citizen.post(f"/api/requests/{ref}/rating", json={"score": 2, "comment": "李四说要等三天"})
    assert rated.status_code == 201 and rated.json()["comment"] == "李四说要等三天"

    stored = [
        *sql(stack, "SELECT comment AS text FROM review_task WHERE id = {}", task["id"]),
        *sql(
            stack,
            "SELECT detail AS text FROM timeline_entry WHERE kind = {} AND detail LIKE {}",
            "task_rejected",
            "enc1:%",
        ),
        *sql(
            stack,
            "SELECT r.comment AS text FROM rating r JOIN service_request s ON s.id = r.request WHERE s.ref = {}",
            ref,
        ),
    ]
    assert len(stored) >= 3 and all(row["text"].startswith("enc1:") for row in stored)
    assert "文三路" not in str(sql(stack, "SELECT detail FROM timeline_entry")) + str(stored)
    # The decision (with its comment) went through the workflow: sealed in Temporal's history too.
    for path in stack.root.glob("temporal.db*"):
        assert "文三路".encode() not in path.read_bytes(), path.name


# Security headers --------------------------------------------------------------------------------


def test_security_headers_on_every_response(stack):
    for path in ("/api/services", "/health", "/api/requests", "/nothing-here"):
        r = httpx.get(stack.base_url + path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "strict-transport-security" not in r.headers  # plain http here: no HSTS
    page = httpx.get(stack.base_url + "/verify/NOSUCHCODE", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert (
        "default-src 'self'" in csp
        and "script-src 'self';" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )


def test_answers_with_personal_data_are_not_stored_by_browsers_or_proxies(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    for path in (f"/api/requests/{ref}", "/api/requests", "/api/me", "/api/messages"):
        r = citizen.get(path)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "no-store", path
    # The public catalog may be kept a minute, by anyone.
    assert httpx.get(stack.base_url + "/api/services").headers["cache-control"] == "public, max-age=60"


# The audit log -----------------------------------------------------------------------------------


def verify(stack):
    return stack.run("audit", "verify", check=False)


def test_the_audit_chain_holds_under_concurrent_writers_and_tampering_is_detected(stack):
    ref = file_request(Api(stack.base_url, "zhangsan")).json()["ref"]

    def busy(username):
        api = Api(stack.base_url, username)
        for _ in range(10):  # each view is an audit event, written by several server threads at once
            assert api.get(f"/api/requests/{ref}").status_code == 200
        return True

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert all(pool.map(busy, ["zhangsan", "auditor", "admin", "zhangsan"]))
    (count,) = sql(stack, "SELECT count(*) AS n FROM audit_event WHERE request_ref = {}", ref)
    assert count["n"] >= 40
    ok = verify(stack)
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout

    (event,) = sql(stack, "SELECT id, detail FROM audit_event WHERE action = {} ORDER BY id LIMIT 1", "request.filed")
    sql(stack, "UPDATE audit_event SET detail = {} WHERE id = {}", '{"service": "forged"}', event["id"])
    try:
        edited = verify(stack)
        assert edited.returncode != 0 and f"event {event['id']}" in edited.stderr and "changed" in edited.stderr
    finally:
        sql(stack, "UPDATE audit_event SET detail = {} WHERE id = {}", event["detail"], event["id"])
    assert verify(stack).returncode == 0

    def remove_and_check(event_id: int, expected: str) -> None:
        """Delete one event, check that verify names the gap, then put the event back as it was."""
        sql(stack, f"CREATE TABLE audit_backup_{event_id} AS SELECT * FROM audit_event WHERE id = {event_id}")
        sql(stack, "DELETE FROM audit_event WHERE id = {}", event_id)
        try:
            broken = verify(stack)
            assert broken.returncode != 0 and expected in broken.stderr, broken.stderr
        finally:
            sql(stack, f"INSERT INTO audit_event SELECT * FROM audit_backup_{event_id}")
            sql(stack, f"DROP TABLE audit_backup_{event_id}")
        restored = verify(stack)
        assert restored.returncode == 0, restored.stderr

    remove_and_check(event["id"] + 1, f"event {event['id'] + 2}")
    (last,) = sql(stack, "SELECT max(id) AS id FROM audit_event")
    remove_and_check(last["id"], "at the end")

    # An event slipped in between two others breaks the link of the one after it.
    (first,) = sql(stack, "SELECT min(id) AS id FROM audit_event")
    sql(stack, f"CREATE TABLE audit_forged AS SELECT * FROM audit_event WHERE id = {first['id']}")
    sql(stack, "UPDATE audit_forged SET id = 0, action = {}", "document.revoked")
    sql(stack, "INSERT INTO audit_event SELECT * FROM audit_forged")
    try:
        inserted = verify(stack)
        assert inserted.returncode != 0, inserted.stderr
        assert f"event {first['id']}: does not follow" in inserted.stderr and "event 0: its content" in inserted.stderr
    finally:
        sql(stack, "DELETE FROM audit_event WHERE id = 0")
        sql(stack, "DROP TABLE audit_forged")
    assert verify(stack).returncode == 0


def on_postgres(stack) -> bool:
    return stack.env.get("QINQING_DATABASE_URL", "").startswith("postgres")


def refuse_audit_events(stack, action: str) -> None:
    """Make the database refuse audit events of one kind, as a failing audit store would."""
    if on_postgres(stack):
        sql(
            stack,
            "CREATE FUNCTION audit_refuses() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.action = '{action}' THEN RAISE EXCEPTION 'audit store unavailable'; END IF; "
            "RETURN NEW; END $$",
        )
        sql(
            stack,
            "CREATE TRIGGER audit_refuses BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_refuses()",
        )
    else:
        sql(
            stack,
            f"CREATE TRIGGER audit_refuses BEFORE INSERT ON audit_event WHEN NEW.action = '{action}' "
            "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END",
        )


def accept_audit_events(stack) -> None:
    if on_postgres(stack):
        sql(stack, "DROP TRIGGER audit_refuses ON audit_event")
        sql(stack, "DROP FUNCTION audit_refuses()")
    else:
        sql(stack, "DROP TRIGGER audit_refuses")


def test_a_change_whose_audit_event_cannot_be_written_is_not_made(stack):
    admin = Api(stack.base_url, "admin", locale="en")
    code = "audited-or-nothing"
    refuse_audit_events(stack, "program.published")
    try:
        refused = admin.post("/api/programs", json=program_spec(code))
        assert refused.status_code == 500 and refused.headers["content-type"].startswith("application/problem+json")
    finally:
        accept_audit_events(stack)
    # Neither the program nor its money was stored: the same code publishes afterwards.
    assert admin.get(f"/api/open/programs/{code}").status_code == 404
    assert sql(stack, "SELECT count(*) AS n FROM ledger_account WHERE code = {}", f"program:{code}")[0]["n"] == 0
    assert admin.post("/api/programs", json=program_spec(code)).status_code == 201

    chashe = Api(stack.base_url, "chashe", locale="en")
    refuse_audit_events(stack, "claim.submitted")
    try:
        refused = chashe.post(f"/api/programs/{code}/claims", json={})
        assert refused.status_code == 500, refused.text
    finally:
        accept_audit_events(stack)
    assert [c for c in chashe.get("/api/enterprise/claims").json() if c["program"] == code] == []
    assert Api(stack.base_url).get(f"/api/open/programs/{code}").json()["budget"]["reserved"] == "0.00"
    # Nothing half-stored stands in the way: the claim goes through once the audit trail accepts it.
    claimed = chashe.post(f"/api/programs/{code}/claims", json={})
    assert claimed.status_code in (201, 202), claimed.text
    assert wait_claim(chashe, claimed.json()["ref"])["state"] == "paid"
    assert verify(stack).returncode == 0


# Retention ---------------------------------------------------------------------------------------


def test_closed_requests_are_anonymised_after_their_retention_period(stack):
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    ref = file_request(citizen, phone="13700001111").json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    task = open_task(clerk, ref)
    assert decide(clerk, task["id"], "reject", "不符合条件").status_code == 200
    before = wait_closed(citizen, ref)
    assert "phone" in before["answers"]

    # Nothing is due with the default period; with a period of 0 days every closed request is.
    assert " 0 closed request(s) anonymised" in stack.run("retention").stdout
    out = subprocess.run(
        [sys.executable, "-m", "hub.cli", "retention"],
        env={**stack.env, "QINQING_RETENTION_DAYS": "0"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "closed request(s) anonymised" in out and " 0 closed" not in out

    after = citizen.get(f"/api/requests/{ref}").json()
    assert after["state"] == "rejected" and after["documents"]  # the outcome and documents stay
    assert not {"phone", "address", "bank_account"} & set(after["answers"])
    assert {"hukou_local", "living_arrangement"} <= set(after["answers"])  # statistics keep these
    trail = Api(stack.base_url, "auditor").get(f"/api/requests/{ref}/audit").json()
    assert any(e["action"] == "request.anonymised" for e in trail)
    again = subprocess.run(
        [sys.executable, "-m", "hub.cli", "retention"],
        env={**stack.env, "QINQING_RETENTION_DAYS": "0"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert " 0 closed request(s) anonymised" in again  # idempotent


def test_retention_removes_personal_files_unless_another_open_request_uses_them(stack):
    spec = load_catalog().latest("residence-permit")
    clerk = Api(stack.base_url, CLERKS["street-office"])
    applicant, _ = file_service(stack, spec)  # finds an applicant the service admits
    jpeg = SAMPLE_FILES["image/jpeg"][1]

    def upload() -> str:
        return applicant.post("/api/uploads", files={"data": ("photo.jpg", jpeg)}).json()["id"]

    def blob(token: str) -> Path:
        (row,) = sql(stack, "SELECT sha256 FROM upload WHERE token = {}", token)
        return stack.root / "var" / "documents" / row["sha256"][:2] / row["sha256"]

    def filed(photo: str) -> str:
        r = file_example(applicant, spec, photo=photo)
        assert r.status_code == 201, r.text
        return r.json()["ref"]

    alone, shared = upload(), upload()
    closed_alone, open_shared, closed_shared = filed(alone), filed(shared), filed(shared)
    for ref in (closed_alone, closed_shared):
        assert decide(clerk, open_task(clerk, ref)["id"], "reject", "材料不符").status_code == 200
        wait_closed(applicant, ref)
    alone_blob, shared_blob = blob(alone), blob(shared)
    assert alone_blob.exists() and shared_blob.exists()

    subprocess.run(
        [sys.executable, "-m", "hub.cli", "retention"],
        env={**stack.env, "QINQING_RETENTION_DAYS": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    # The closed requests keep their non-personal file; their photos are gone, the file itself too.
    for ref in (closed_alone, closed_shared):
        kept = {a["field"] for a in applicant.get(f"/api/requests/{ref}").json()["attachments"]}
        assert kept == {"proof_of_ground"}
        assert applicant.get(f"/api/requests/{ref}/attachments/photo").status_code == 404
        assert applicant.get(f"/api/requests/{ref}/attachments/proof_of_ground").status_code == 200
    assert not alone_blob.exists() and sql(stack, "SELECT id FROM upload WHERE token = {}", alone) == []
    # The photo the open request still uses stays, and still opens.
    assert shared_blob.exists()
    assert applicant.get(f"/api/requests/{open_shared}/attachments/photo").content == jpeg


# Temporal's history through the codec endpoint ----------------------------------------------------


def history_text(shown: subprocess.CompletedProcess) -> str:
    """Every payload's data in a ``temporal workflow show -o json``, decoded to text."""
    assert shown.returncode == 0, shown.stderr
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if "metadata" in node and "data" in node:
                found.append(base64.b64decode(node["data"]).decode("utf-8", "replace"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(shown.stdout))
    return "\n".join(found)


def test_an_administrator_reads_a_workflow_s_history_through_the_codec_endpoint_with_a_reason(stack):
    """Temporal keeps payloads sealed; the CLI pointed at the hub's codec endpoint opens them for an
    administrator who says why, and the audit trail records it. Nobody else gets them opened."""
    comment = "张三的户口本复印件缺页"
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    assert decide(clerk, open_task(clerk, ref)["id"], "reject", comment).status_code == 200
    wait_closed(citizen, ref)
    show = ("workflow", "show", "--workflow-id", f"request-{ref}", "--output", "json")
    endpoint = f"{stack.base_url}/api/temporal/codec"

    assert comment not in history_text(stack.temporal_cli(*show))  # as Temporal keeps it

    admin = Api(stack.base_url, "admin")
    opened = stack.temporal_cli(
        *show,
        "--codec-endpoint",
        endpoint,
        "--codec-auth",
        admin.headers["Authorization"],
        "--codec-header",
        "X-Reason=复核驳回的申请",
    )
    assert comment in history_text(opened)

    # A clerk's token opens nothing, and neither does an administrator who gives no reason.
    as_clerk = stack.temporal_cli(*show, "--codec-endpoint", endpoint, "--codec-auth", clerk.headers["Authorization"])
    assert as_clerk.returncode != 0 or comment not in history_text(as_clerk)
    sealed = {"payloads": [{"metadata": {"encoding": "YmluYXJ5L3BsYWlu"}, "data": "e30="}]}
    unexplained = admin.post("/api/temporal/codec/decode", json=sealed, headers={"Accept-Language": "zh-CN"})
    assert unexplained.status_code == 400 and unexplained.headers["content-type"] == "application/problem+json"
    assert unexplained.json()["title"] == "请说明理由"
    garbled = admin.post("/api/temporal/codec/decode", content=b"not json", headers={"X-Reason": "checking"})
    assert garbled.status_code == 400 and garbled.json()["type"] == "/problems/invalid-payloads"

    # The auditor reads each opening with its reason; the log keeps the reason sealed.
    auditor = Api(stack.base_url, "auditor")
    opened_events = auditor.get("/api/audit", params={"actor": "admin", "action": "temporal.payloads_opened"}).json()
    events = opened_events["events"]
    assert events and all(e["detail"]["reason"] == "复核驳回的申请" for e in events)
    assert sum(e["detail"]["payloads"] for e in events) >= 3 and {e["object_id"] for e in events} == {"default"}
    stored = sql(stack, "SELECT detail FROM audit_event WHERE action = {}", "temporal.payloads_opened")
    assert stored and "复核" not in str(stored) and "enc1:" in str(stored)


def test_auditors_read_the_whole_audit_log_filtered_a_page_at_a_time(stack):
    """What administrators did is not tied to any request: auditors read it in the whole log, newest
    first, and their reading is recorded in it as well. Nobody else reads it."""
    admin = Api(stack.base_url, "admin")
    made = []
    for name in ("audit-read-a", "audit-read-b", "audit-read-c"):
        issued = admin.post("/api/admin/api-tokens", json={"name": name, "department": "tax", "scopes": ["tasks:read"]})
        assert issued.status_code == 201, issued.text
        made.append(str(issued.json()["id"]))
    auditor = Api(stack.base_url, "auditor")
    asked = {"actor": "admin", "action": "api_token.created", "limit": 2}

    first = auditor.get("/api/audit", params=asked)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [e["detail"]["name"] for e in page["events"]] == ["audit-read-c", "audit-read-b"]  # newest first
    assert all(e["actor"] == "admin" and e["actor_role"] == "admin" for e in page["events"])
    older = auditor.get("/api/audit", params={**asked, "before": page["next_before"]}).json()
    assert older["events"][0]["detail"]["name"] == "audit-read-a"

    # Reading the log is in the log, with what was asked (the newest reading is the one just before).
    (viewed, *_) = auditor.get("/api/audit", params={"actor": "auditor", "action": "audit.viewed"}).json()["events"]
    assert viewed["object_type"] == "audit_log"
    assert viewed["detail"] == {"actor": "admin", "action": "api_token.created", "before": page["next_before"]}

    # A date is a day in Beijing; "until" takes the whole day. (The day is the event's own: the test
    # may run across midnight in Beijing.)
    token_a = {**asked, "object_id": made[0]}
    (event_a,) = auditor.get("/api/audit", params=token_a).json()["events"]
    day = beijing_today(dt.datetime.fromisoformat(event_a["at"]))
    assert (
        len(auditor.get("/api/audit", params={**token_a, "since": str(day), "until": str(day)}).json()["events"]) == 1
    )
    assert (
        auditor.get("/api/audit", params={**token_a, "until": str(day - dt.timedelta(days=1))}).json()["events"] == []
    )
    assert (
        auditor.get("/api/audit", params={**token_a, "since": str(day + dt.timedelta(days=1))}).json()["events"] == []
    )
    bad_day = auditor.get("/api/audit", params={"since": "29/11/2026"}, headers={"Accept-Language": "zh-CN"})
    assert bad_day.status_code == 422 and bad_day.json()["errors"][0]["field"] == "since"
    assert bad_day.json()["errors"][0]["message"] == "请按 YYYY-MM-DD 格式填写日期。"

    unknown = auditor.get("/api/audit", params={"actor": "nobody-by-this-name"}).json()
    assert unknown == {"events": [], "next_before": None}
    too_many = auditor.get("/api/audit", params={"limit": 100000}, headers={"Accept-Language": "zh-CN"})
    assert too_many.status_code == 400 and too_many.headers["content-type"] == "application/problem+json"
    assert admin.get("/api/audit").status_code == 403  # administrators are among those audited


def signed_in_page_client(stack, username: str, locale: str | None = None) -> httpx.Client:
    """A browser-like client with a page session (cookie), signed in through the sign-in form; with
    ``locale``, its pages in that language (the account keeps the choice an earlier test made)."""
    import re

    client = httpx.Client(base_url=stack.base_url, timeout=30)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/signin").text).group(1)
    form = {"username": username, "password": PASSWORD, "next": "/", "_csrf_token": token}
    assert client.post("/signin", data=form).status_code == 303
    if locale:
        chosen = client.post("/language", data={"locale": locale, "next": "/", "_csrf_token": token})
        assert chosen.status_code == 303
    return client


def test_the_auditor_s_page_of_the_audit_log(stack):
    admin = Api(stack.base_url, "admin")
    assert admin.post("/api/admin/sign-in-locks/lisi/release").status_code == 200
    auditor = signed_in_page_client(stack, "auditor", locale="zh_CN")

    page = auditor.get("/audit", params={"actor": "admin", "action": "auth.unlocked"})
    assert page.status_code == 200 and "审计日志" in page.text
    assert "auth.unlocked" in page.text and "lisi" in page.text and 'href="/audit"' in page.text
    # The auditor's own readings are in the log as well.
    assert "audit.viewed" in auditor.get("/audit", params={"actor": "auditor"}).text
    # A date that is not one is said next to its field.
    wrong = auditor.get("/audit", params={"since": "yesterday"})
    assert wrong.status_code == 200 and 'id="audit-since-error"' in wrong.text
    assert "请按 YYYY-MM-DD 格式填写日期。" in wrong.text
    # An older page leads back to the newest events, with the same filters.
    older_page = auditor.get("/audit", params={"actor": "auditor", "before": "999999999"})
    assert older_page.status_code == 200 and 'href="/audit?actor=auditor"' in older_page.text
    assert 'href="/audit?actor=auditor"' not in auditor.get("/audit", params={"actor": "auditor"}).text
    # A period that ends before it starts is said next to its end, not answered "nothing matches".
    reversed_period = auditor.get("/audit", params={"since": "2026-03-08", "until": "2026-03-01"})
    assert reversed_period.status_code == 200 and 'id="audit-until-error"' in reversed_period.text
    assert "2026-03-08" in reversed_period.text.split('id="audit-until-error"', 1)[1].split("</p>", 1)[0]
    api_reversed = Api(stack.base_url, "auditor").get(
        "/api/audit", params={"since": "2026-03-08", "until": "2026-03-01"}
    )
    assert api_reversed.status_code == 422 and api_reversed.json()["errors"][0]["field"] == "until"

    administrator = signed_in_page_client(stack, "admin")
    assert administrator.get("/audit").status_code == 403
    assert 'href="/audit"' not in administrator.get("/admin").text


AUDIT_ACTION_CELL = re.compile(r'<td data-label="[^"]+">([^<]+)<br><span class="hint"><code>([^<]+)</code></span></td>')


def test_the_audit_log_names_its_actions_and_reads_a_family_of_them(stack):
    """An action and its object are named in the reader's language, the code beside the name; the
    action is chosen from a list, a whole family of actions (``auth.``) at once if need be."""
    admin = Api(stack.base_url, "admin")
    assert admin.post("/api/admin/sign-in-locks/lisi/release").status_code == 200  # auth.unlocked
    english = signed_in_page_client(stack, "auditor", locale="en")
    try:
        page = english.get("/audit", params={"actor": "admin", "action": "auth.unlocked"})
        assert page.status_code == 200
        rows = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert AUDIT_ACTION_CELL.findall(rows)[0] == ("Sign-in lock lifted", "auth.unlocked")
        assert 'data-label="Object">Account <code>lisi</code><br><span class="hint"><code>account</code></span>' in rows
        assert '>admin<br><span class="hint">Administrator</span>' in rows  # the role by its name
        # The filter is a list of the actions by name, grouped by family, the one asked chosen.
        form = page.text.split('<select id="audit-action" name="action">', 1)[1].split("</select>", 1)[0]
        assert '<option value="">Any action</option>' in form
        assert '<optgroup label="Sign-in">' in form and '<option value="auth.">All actions: Sign-in</option>' in form
        assert '<option value="auth.unlocked" selected>Sign-in lock lifted</option>' in form
        assert form.count(" selected>") == 1

        # A family: its actions alone (the auditor's own readings, audit.viewed, are not among them).
        family = english.get("/audit", params={"action": "auth."}).text
        codes = {code for _, code in AUDIT_ACTION_CELL.findall(family.split("<tbody>", 1)[1])}
        assert {"auth.signed_in", "auth.unlocked"} <= codes and all(c.startswith("auth.") for c in codes), codes
        assert '<option value="auth." selected>' in family
        # Neither a code nor a family (typed into the address): nothing matches, and the page says so.
        for asked in ("auth", "nope.", "auth.%", "<b>"):
            odd = english.get("/audit", params={"action": asked})
            assert odd.status_code == 200 and "No events match." in odd.text, asked
        assert '<option value="&lt;b&gt;" selected>&lt;b&gt;</option>' in odd.text
    finally:
        signed_in_page_client(stack, "auditor", locale="zh_CN")

    # The Chinese page keeps the code under the name, and the filter's first choice is "any".
    chinese = signed_in_page_client(stack, "auditor", locale="zh_CN").get("/audit", params={"action": "auth."})
    assert chinese.status_code == 200 and "<code>auth.unlocked</code>" in chinese.text
    assert '<option value="auth." selected>' in chinese.text

    # The API takes a family as well, and an exact code as before.
    auditor = Api(stack.base_url, "auditor")
    events = auditor.get("/api/audit", params={"action": "auth.", "limit": 200}).json()["events"]
    assert events and all(e["action"].startswith("auth.") for e in events)
    assert {e["action"] for e in events} >= {"auth.signed_in", "auth.unlocked"}
    exact = auditor.get("/api/audit", params={"action": "auth.unlocked"}).json()["events"]
    assert exact and {e["action"] for e in exact} == {"auth.unlocked"}
    for asked in ("auth", "nope.", "auth.%", "auth._nlocked"):
        r = auditor.get("/api/audit", params={"action": asked})
        assert r.status_code == 200 and r.json()["events"] == [], asked


def test_a_request_seen_on_its_page_is_in_its_audit_trail(stack):
    from tests.stack.test_csrf import signed_in

    ref = file_request(Api(stack.base_url, "zhangsan")).json()["ref"]
    open_task(Api(stack.base_url, "street.clerk"), ref)
    browser, _ = signed_in(stack, "street.clerk")
    assert browser.get(f"/requests/{ref}").status_code == 200
    trail = Api(stack.base_url, "street.supervisor").get(f"/api/requests/{ref}/audit").json()
    assert any(e["action"] == "request.viewed" and e["actor"] == "street.clerk" for e in trail)


def test_a_supervisor_reads_a_request_s_trail_in_the_browser(stack):
    """A supervisor of a department that reviews a request reads who saw and changed it on a page
    (linked from the task), named in their language; a clerk may not; the reading is recorded."""
    ref = file_request(Api(stack.base_url, "zhangsan")).json()["ref"]
    task = open_task(Api(stack.base_url, "street.clerk"), ref)
    supervisor = signed_in_page_client(stack, "street.supervisor", locale="en")
    try:
        trail_url = f"/workbench/requests/{ref}/audit"
        assert f'href="{trail_url}"' in supervisor.get(f"/workbench/tasks/{task['id']}").text
        page = supervisor.get(trail_url)
        assert page.status_code == 200 and f"Audit trail of request {ref}" in page.text
        rows = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert ("Request filed", "request.filed") in AUDIT_ACTION_CELL.findall(rows)
        assert "zhangsan" in rows
    finally:
        signed_in_page_client(stack, "street.supervisor", locale="zh_CN")
    # In Chinese, with the same events.
    assert "提交申请" in supervisor.get(trail_url).text
    # The clerk who works the task has no trail to read, on the page or by its link.
    clerk = signed_in_page_client(stack, "street.clerk")
    assert clerk.get(trail_url).status_code == 403
    assert f'href="{trail_url}"' not in clerk.get(f"/workbench/tasks/{task['id']}").text
    # Nor has a citizen, even the applicant; and what does not exist is not found.
    assert signed_in_page_client(stack, "zhangsan").get(trail_url).status_code == 403
    assert supervisor.get("/workbench/requests/NO-SUCH-REF/audit").status_code == 404
    # Each reading is itself in the trail.
    readings = Api(stack.base_url, "auditor").get(f"/api/requests/{ref}/audit").json()
    assert sum(e["action"] == "audit.viewed" and e["actor"] == "street.supervisor" for e in readings) == 2


def test_answers_left_in_clear_are_sealed_by_the_operator_s_command(stack):
    """A request filed before its fields were marked personal keeps them in clear at rest: the
    operator's ``qinqing data-key seal-answers`` seals them, beside the running hub, on either
    engine, and the applicant reads the same answers."""
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    before = citizen.get(f"/api/requests/{ref}").json()["answers"]
    # As it was stored before the fields were personal: every answer in clear.
    hub_python(
        stack,
        f"""
import json
from hub.sealing import configure_from, open_answers
from hub.db.records import load_json
configure_from(load_settings())
row = await ServiceRequest.select(ServiceRequest.id, ServiceRequest.answers).where(ServiceRequest.ref == {ref!r}).first()
clear = open_answers({{}}, load_json(row["answers"]))
await ServiceRequest.raw("UPDATE service_request SET answers = {{}} WHERE id = {{}}", json.dumps(clear), row["id"])
""",
    )
    stored = sql(stack, "SELECT answers FROM service_request WHERE ref = {}", ref)[0]["answers"]
    assert "13800138000" in str(stored)

    done = stack.run("data-key", "seal-answers")
    assert "personal answers left in clear sealed in" in done.stdout, done.stdout + done.stderr
    stored = sql(stack, "SELECT answers FROM service_request WHERE ref = {}", ref)[0]["answers"]
    assert "13800138000" not in str(stored) and "杭州市" not in str(stored)
    assert citizen.get(f"/api/requests/{ref}").json()["answers"] == before
    trail = Api(stack.base_url, "auditor").get(f"/api/requests/{ref}/audit").json()
    sealed = [e for e in trail if e["action"] == "personal_data.sealed"]
    assert len(sealed) == 1 and "phone" in sealed[0]["detail"]["fields"] and sealed[0]["actor"] is None
