"""The events that had told nobody, and urgent messages: a clerk suspending a benefit tells its
beneficiary (mandatory: in the hub and by SMS, which they never chose); a commitment found untrue
after the money was paid tells the applicant urgently, so the SMS goes out in quiet hours; a task
due soon and overdue tells the clerk holding it, or the supervisors when nobody does (the
department's clerks where it has no supervisor), and overdue the supervisors as well; each exactly once per channel. A held SMS is released by the
held-messages schedule on the real Temporal server once the quiet hours end.

A stack of its own: quiet hours cover the day here (an SMS not urgent is held), and a working day
lasts 5 seconds, so tasks fall due and overdue within the test."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter

import pytest

from forms.catalog import load_catalog
from forms.clock import beijing_today
from forms.samples import example_answers
from hub.clock import BEIJING
from tests.stack.db import sql
from tests.stack.flows import (
    CLERKS,
    SAMPLE_FILES,
    claim,
    decide,
    decision_of,
    file_request,
    file_service,
    hub_python,
    open_task,
    program_spec,
    wait_closed,
    wait_for,
)
from tests.stack.harness import Api, start_stack
from workflows.benefits.types import period_of

pytestmark = pytest.mark.stack

MATERNITY = load_catalog().latest("maternity-allowance")
SHOP_SIGN = load_catalog().latest("shop-sign-permit")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    stack = start_stack(
        tmp_path_factory.mktemp("notification-events"),
        QINQING_SMS_QUIET_HOURS="00:00-23:59",
        QINQING_WORKING_DAY_SECONDS="5",
    )
    yield stack
    stack.shutdown()


def choose(api: Api, **prefs) -> None:
    r = api.http.put("/api/messages/preferences", json=prefs)
    assert r.status_code == 200, r.text


def messages(stack, like: str) -> list[dict]:
    """Every message whose key is like ``like``: who, what, on which channel, in which state."""
    out = hub_python(
        stack,
        f"""
import json
rows = await Message.select(Message.key, Message.kind, Message.channel, Message.state, Message.urgent,
    Message.not_before, Message.subject, Message.account.username).where(Message.key.like({like!r}))
print(json.dumps(rows, default=str))
""",
    )
    return json.loads(out.strip().splitlines()[-1])


def sms_sent(stack) -> list[dict]:
    path = stack.root / "var" / "sms-gateway.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def approved_allowance(stack, citizen: Api) -> dict:
    """An old-age allowance filed and approved by both offices: the beneficiary's entitlement."""
    ref = file_request(citizen).json()["ref"]
    for username in ("street.clerk", "civil.clerk"):
        clerk = Api(stack.base_url, username)
        assert decide(clerk, open_task(clerk, ref)["id"], "approve", comment="Eligible").status_code == 200

    def entitlement():
        return next((e for e in citizen.get("/api/benefits/mine").json() if e["request_ref"] == ref), None)

    return wait_for(entitlement, timeout=60, what="the entitlement")


def test_a_clerk_suspending_a_benefit_tells_the_beneficiary_in_the_hub_and_by_sms(hub):
    citizen = Api(hub.base_url, "zhangsan", locale="en")
    # No channel chosen: a suspension is mandatory, so it goes by SMS all the same.
    choose(citizen, channels=[], phone="13912345678", email="", locale="en")
    entitlement = approved_allowance(hub, citizen)
    civil = Api(hub.base_url, "civil.clerk", locale="en")
    r = civil.post(
        f"/api/benefits/entitlements/{entitlement['id']}/changes",
        json={"move": "suspend", "reason": "The beneficiary is in hospital abroad"},
    )
    assert r.status_code == 201 and r.json()["state"] == "suspended", r.text
    change = r.json()["change_id"]

    def told():
        rows = messages(hub, f"entitlement-change-{change}:%")
        return rows if len(rows) == 2 else None

    rows = wait_for(told, timeout=60, what="the suspension told")
    assert sorted(r["channel"] for r in rows) == ["hub", "sms"]
    assert {r["account.username"] for r in rows} == {"zhangsan"}
    assert all(r["kind"] == "benefit_suspended" for r in rows)
    # Not urgent: in quiet hours the SMS waits for the morning.
    [sms] = [r for r in rows if r["channel"] == "sms"]
    assert sms["state"] == "queued" and sms["not_before"] and not sms["urgent"], sms
    # In the message centre, in the language chosen for messages, leading to the benefits page.
    [message] = [m for m in citizen.get("/api/messages").json()["messages"] if m["kind"] == "benefit_suspended"]
    assert message["mandatory"] and message["link"] == "/benefits"
    assert message["subject"] == "Payments of Old-age allowance for residents aged 80 and over suspended", message
    # Resumed: told too, in the hub only, as no channel is chosen and good news is not mandatory.
    resumed = civil.post(
        f"/api/benefits/entitlements/{entitlement['id']}/changes", json={"move": "resume", "reason": "Back home"}
    ).json()
    assert resumed["state"] == "active", resumed
    rows = wait_for(
        lambda: messages(hub, f"entitlement-change-{resumed['change_id']}:%"), timeout=60, what="the resumption told"
    )
    assert [(r["channel"], r["kind"], r["account.username"]) for r in rows] == [("hub", "benefit_resumed", "zhangsan")]
    [message] = [m for m in citizen.get("/api/messages").json()["messages"] if m["kind"] == "benefit_resumed"]
    assert not message["mandatory"] and message["link"] == "/benefits"
    assert message["subject"] == "Payments of Old-age allowance for residents aged 80 and over resumed", message
    # Suspended again: a second change, told once more; the first is not told twice.
    again = civil.post(
        f"/api/benefits/entitlements/{entitlement['id']}/changes", json={"move": "suspend", "reason": "Abroad again"}
    ).json()["change_id"]
    wait_for(lambda: len(messages(hub, f"entitlement-change-{again}:%")) == 2, timeout=60, what="the second told")
    assert len(messages(hub, f"entitlement-change-{change}:%")) == 2
    # Another beneficiary reads none of it.
    assert not [
        m for m in Api(hub.base_url, "lisi").get("/api/messages").json()["messages"] if m["kind"] == "benefit_suspended"
    ]


def upload(applicant: Api, field) -> str:
    name, content = SAMPLE_FILES[field.accept[0]]
    r = applicant.post("/api/uploads", files={"data": (name, content)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_commitment_revoked_with_money_to_repay_is_urgent_and_not_held(hub):
    applicant = Api(hub.base_url, "zhaoliu", locale="en")
    choose(applicant, channels=["sms"], phone="13612345678", email="", locale="en")
    answers = example_answers(MATERNITY, lambda f: upload(applicant, f))
    answers.pop("birth_certificate")
    answers["commitment"] = True
    filed = applicant.post(
        "/api/requests",
        json={"service_id": MATERNITY.id, "answers": answers},
        headers={"Idempotency-Key": f"urgent-{uuid.uuid4()}"},
    )
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    hr = Api(hub.base_url, CLERKS["human-resources"], locale="en")

    def post_check():
        body = applicant.get(f"/api/requests/{ref}").json()
        task = next((t for t in hr.get("/api/tasks").json() if t["request_ref"] == ref), None)
        return task if body["state"] == "approved" and task else None

    task = wait_for(post_check, timeout=60, what="the approval on commitment")
    # Paid by this month's cycle: money that will be owed back.
    admin = Api(hub.base_url, "admin")
    started = admin.post(f"/api/benefits/{MATERNITY.id}/cycles", json={"period": period_of(beijing_today())})
    assert started.status_code == 202, started.text
    [entitlement] = [e for e in applicant.get("/api/benefits/mine").json() if e["request_ref"] == ref]
    key = f"benefit:{entitlement['id']}:{period_of(beijing_today())}"

    def paid():
        return sql(hub, "SELECT amount_cents FROM ledger_transaction WHERE idempotency_key = {}", key)

    [payment] = wait_for(paid, timeout=90, what="the allowance paid")
    assert claim(hr, task["id"]).status_code == 200
    broken = hr.post(
        f"/api/tasks/{task['id']}/post-check", json={"kept": False, "reason": "No birth recorded on that date"}
    )
    assert broken.status_code == 200, broken.text

    def told():
        rows = [r for r in messages(hub, f"request-{ref}:commitment_revoked%") if r["channel"] == "sms"]
        return rows if rows and rows[0]["state"] in ("sent", "delivered") else None

    [sms] = wait_for(told, timeout=60, what="the urgent SMS sent")
    rows = messages(hub, f"request-{ref}:commitment_revoked%")
    assert sorted(r["channel"] for r in rows) == ["hub", "sms"]
    assert {r["kind"] for r in rows} == {"commitment_revoked_repay"} and sms["urgent"] and not sms["not_before"]
    amount = f"CN¥{payment['amount_cents'] / 100:,.2f}"
    [hub_copy] = [r for r in rows if r["channel"] == "hub"]
    assert hub_copy["subject"] == f"Approval of application {ref} revoked: {amount} to repay", hub_copy
    [text] = [s for s in sms_sent(hub) if s["to"] == "13612345678" and "revoked" in s["text"]]
    assert ref in text["text"] and amount in text["text"]
    # The same night, the filing's SMS (not urgent) is still held.
    [filed_sms] = [r for r in messages(hub, f"request-{ref}:request_filed%") if r["channel"] == "sms"]
    assert filed_sms["state"] == "queued" and filed_sms["not_before"], filed_sms


def decided(stack, citizen: Api) -> tuple[str, dict]:
    """An old-age allowance filed and approved by both offices: its reference and decision notice."""
    ref = file_request(citizen).json()["ref"]
    for username in ("street.clerk", "civil.clerk"):
        clerk = Api(stack.base_url, username)
        assert decide(clerk, open_task(clerk, ref)["id"], "approve", comment="Eligible").status_code == 200
    return ref, decision_of(wait_closed(citizen, ref))


def told(stack, like: str, what: str) -> list[dict]:
    """The messages under keys like ``like`` once there are two of them (the hub and the SMS)."""
    return wait_for(lambda: (lambda rows: rows if len(rows) >= 2 else None)(messages(stack, like)), 60, what=what)


def test_a_document_corrected_or_revoked_by_its_department_tells_the_applicant_once(hub):
    """A correction is told by which document it replaces and the new one's number, a revocation by
    the document and its public grounds: once each, in the hub in the language the applicant chose
    and by SMS (both are mandatory), never in the department's own words. The request's timeline
    says corrected and revoked, not a second decision issued."""
    citizen = Api(hub.base_url, "zhangsan", locale="en")
    choose(citizen, channels=[], phone="13912345678", email="", locale="en")
    civil = Api(hub.base_url, "civil.clerk", locale="en")
    corrected_ref, old = decided(hub, citizen)
    revoked_ref, revoked = decided(hub, citizen)
    fix = "Clerk Wang typed the wrong street number"
    r = civil.post(f"/api/documents/{old['id']}/reissue", json={"reason": fix})
    assert r.status_code == 201, r.text
    new = r.json()
    why = "Duplicate approval found in the ledger audit"
    r = civil.post(f"/api/documents/{revoked['id']}/revocation", json={"reason": why, "category": "issued_in_error"})
    assert r.status_code == 200, r.text

    corrected_rows = told(hub, f"reissue-%{corrected_ref}%:document_corrected:%", "the correction told")
    revoked_rows = told(hub, f"document-{revoked['id']}:revoked:%", "the revocation told")
    for rows, kind in ((corrected_rows, "document_corrected"), (revoked_rows, "document_revoked")):
        assert sorted(r["channel"] for r in rows) == ["hub", "sms"], rows
        assert {(r["kind"], r["account.username"]) for r in rows} == {(kind, "zhangsan")}
        # Not urgent: in quiet hours the SMS waits for the morning.
        [sms] = [r for r in rows if r["channel"] == "sms"]
        assert sms["state"] == "queued" and sms["not_before"] and not sms["urgent"], sms

    box = citizen.get("/api/messages").json()["messages"]
    about = [m for m in box if m["kind"] in ("document_corrected", "document_revoked")]
    [correction] = [m for m in about if corrected_ref in m["subject"]]
    [revocation] = [m for m in about if revoked_ref in m["subject"]]
    assert correction["kind"] == "document_corrected" and revocation["kind"] == "document_revoked"
    assert correction["subject"] == f"Decision notice of application {corrected_ref} corrected", correction
    assert old["number"] in correction["body"] and new["number"] in correction["body"], correction
    assert correction["mandatory"] and correction["link"] == f"/requests/{corrected_ref}"
    assert revocation["subject"] == f"Decision notice of application {revoked_ref} revoked", revocation
    assert revoked["number"] in revocation["body"] and "Grounds: Issued in error." in revocation["body"], revocation
    assert revocation["mandatory"] and revocation["link"] == f"/requests/{revoked_ref}"
    for message in (correction, revocation):
        text = message["subject"] + message["body"]
        assert fix not in text and why not in text and "Wang" not in text and "ledger" not in text

    def steps(ref: str) -> list[str]:
        return [s["title"] for s in citizen.get(f"/api/requests/{ref}").json()["timeline"]]

    corrected_steps = steps(corrected_ref)
    assert corrected_steps.count("Document issued: Decision notice") == 1, corrected_steps
    assert corrected_steps.count("Document corrected: Decision notice") == 1, corrected_steps
    assert steps(revoked_ref).count("Document revoked: Decision notice") == 1, steps(revoked_ref)


def test_a_revocation_made_while_temporal_is_down_is_told_by_the_schedule(hub):
    citizen = Api(hub.base_url, "zhangsan", locale="en")
    ref, decision = decided(hub, citizen)
    civil = Api(hub.base_url, "civil.clerk", locale="en")
    like = f"document-{decision['id']}:revoked:%"
    hub.temporal.stop()
    try:
        r = civil.post(
            f"/api/documents/{decision['id']}/revocation",
            json={"reason": "Signed by the wrong office", "category": "other"},
        )
        # The revocation stands; telling it waits for Temporal.
        assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
        assert messages(hub, like) == []
    finally:
        hub.temporal.start()  # same port, same state file
    # The worker's clock a day ahead: the revocation is past the two minutes the sender leaves an
    # announcement to its own workflow. The schedule's next run tells it (triggered now).
    hub.env["QINQING_CLOCK_OFFSET_DAYS"] = "1"
    hub.restart("worker")
    try:

        def by_schedule():
            hub.temporal_cli("schedule", "trigger", "--schedule-id", "held-messages")
            rows = messages(hub, like)
            return rows if len(rows) == 2 else None

        rows = wait_for(by_schedule, timeout=90, interval=5, what="the revocation told by the schedule")
        assert sorted(r["channel"] for r in rows) == ["hub", "sms"] and {r["kind"] for r in rows} == {
            "document_revoked"
        }
        assert {r["subject"] for r in rows} == {f"Decision notice of application {ref} revoked"}
        # Told once: further runs add nothing.
        hub.temporal_cli("schedule", "trigger", "--schedule-id", "held-messages")
        assert len(messages(hub, like)) == 2
    finally:
        del hub.env["QINQING_CLOCK_OFFSET_DAYS"]
        hub.restart("worker")


def test_tasks_due_soon_and_overdue_tell_the_clerk_and_the_supervisors_once_each(hub):
    clerk = Api(hub.base_url, "street.clerk")
    choose(clerk, channels=["sms"], phone="13512345678", email="")
    citizen = Api(hub.base_url, "zhangsan")
    held = file_request(citizen).json()["ref"]
    left = file_request(citizen).json()["ref"]
    # One is claimed at once (its reminder comes after 4 of its 5 working days, 20 seconds here).
    assert claim(clerk, open_task(clerk, held)["id"]).status_code == 200
    open_task(clerk, left)
    supervisor = Api(hub.base_url, "street.supervisor")
    # A supervisor gives a third one to the clerk: the clerk is told of it.
    assigned = file_request(citizen).json()["ref"]
    r = supervisor.post(
        f"/api/tasks/{open_task(supervisor, assigned)['id']}/assignment", json={"assignee": "street.clerk"}
    )
    assert r.status_code == 200, r.text

    # In a department with no supervisor (urban management), nobody holds a shop sign's task: its
    # clerks hear of it, so that one of them takes it.
    _, sign = file_service(hub, SHOP_SIGN)
    unsupervised = sign["ref"]

    def overdue_told():
        rows = [messages(hub, f"request-{ref}:task_overdue%") for ref in (held, left, unsupervised)]
        return rows if [len(r) for r in rows] == [3, 1, 2] else None

    wait_for(overdue_told, timeout=120, what="the three tasks overdue, told")

    def who(ref: str, kind: str) -> Counter:
        return Counter((r["account.username"], r["channel"]) for r in messages(hub, f"request-{ref}:{kind}%"))

    # The clerk holding it: due soon, then overdue with the supervisor, once per channel each.
    assert who(held, "task_due_soon") == Counter({("street.clerk", "hub"): 1, ("street.clerk", "sms"): 1})
    assert who(held, "task_overdue") == Counter(
        {("street.clerk", "hub"): 1, ("street.clerk", "sms"): 1, ("street.supervisor", "hub"): 1}
    )
    # Nobody holding it: the supervisor, alone.
    assert who(left, "task_due_soon") == Counter({("street.supervisor", "hub"): 1})
    assert who(left, "task_overdue") == Counter({("street.supervisor", "hub"): 1})
    urban = Counter({("urban.clerk", "hub"): 1, ("urban.clerk2", "hub"): 1})
    assert who(unsupervised, "task_due_soon") == urban and who(unsupervised, "task_overdue") == urban
    assert who(assigned, "task_assigned") == Counter({("street.clerk", "hub"): 1, ("street.clerk", "sms"): 1})
    # Every request's filing told its applicant once in the hub, and nobody else.
    for ref in (held, left, assigned):
        assert who(ref, "request_filed") == Counter({("zhangsan", "hub"): 1})


def test_a_suspension_made_while_temporal_is_down_is_told_by_the_schedule(hub):
    citizen = Api(hub.base_url, "zhangsan", locale="en")
    # The allowance the first test suspended.
    entitlement = next(e for e in citizen.get("/api/benefits/mine").json() if e["state"] == "suspended")
    civil = Api(hub.base_url, "civil.clerk", locale="en")
    url = f"/api/benefits/entitlements/{entitlement['id']}/changes"
    assert civil.post(url, json={"move": "resume", "reason": "Back"}).status_code == 201
    hub.temporal.stop()
    try:
        r = civil.post(url, json={"move": "suspend", "reason": "Abroad once more"})
        # The suspension stands; telling it waits for Temporal.
        assert r.status_code == 201 and r.json()["state"] == "suspended", r.text
        change = r.json()["change_id"]
        assert messages(hub, f"entitlement-change-{change}:%") == []
    finally:
        hub.temporal.start()  # same port, same state file
    # The worker's clock a day ahead: the change is past the two minutes the sender leaves an
    # announcement to its own workflow. The schedule's next run tells it (triggered now).
    hub.env["QINQING_CLOCK_OFFSET_DAYS"] = "1"
    hub.restart("worker")
    try:

        def told():
            hub.temporal_cli("schedule", "trigger", "--schedule-id", "held-messages")
            rows = messages(hub, f"entitlement-change-{change}:%")
            return rows if len(rows) == 2 else None

        rows = wait_for(told, timeout=90, interval=5, what="the suspension told by the schedule")
        assert sorted(r["channel"] for r in rows) == ["hub", "sms"] and {r["kind"] for r in rows} == {
            "benefit_suspended"
        }
        # Told once: further runs add nothing.
        hub.temporal_cli("schedule", "trigger", "--schedule-id", "held-messages")
        assert len(messages(hub, f"entitlement-change-{change}:%")) == 2
    finally:
        del hub.env["QINQING_CLOCK_OFFSET_DAYS"]


def test_a_clerk_ending_a_benefit_tells_the_beneficiary(hub):
    citizen = Api(hub.base_url, "zhangsan", locale="en")
    entitlement = next(e for e in citizen.get("/api/benefits/mine").json() if e["state"] == "suspended")
    civil = Api(hub.base_url, "civil.clerk", locale="en")
    r = civil.post(
        f"/api/benefits/entitlements/{entitlement['id']}/changes",
        json={"move": "end", "reason": "The beneficiary has moved to another province"},
    )
    assert r.status_code == 201 and r.json()["state"] == "ended", r.text
    change = r.json()["change_id"]
    # Told at once, or by the schedule's next run (the worker's clock a day ahead, as above).
    hub.env["QINQING_CLOCK_OFFSET_DAYS"] = "1"
    hub.restart("worker")
    try:

        def told():
            rows = messages(hub, f"entitlement-change-{change}:%")
            if len(rows) < 2:
                hub.temporal_cli("schedule", "trigger", "--schedule-id", "held-messages")
            return rows if len(rows) == 2 else None

        rows = wait_for(told, timeout=90, interval=5, what="the ending told")
    finally:
        del hub.env["QINQING_CLOCK_OFFSET_DAYS"]
    assert sorted(r["channel"] for r in rows) == ["hub", "sms"] and {r["kind"] for r in rows} == {"benefit_ended"}
    # Signed in again: the worker's clock a day ahead swept the day-old sign-ins away.
    box = Api(hub.base_url, "zhangsan", locale="en").get("/api/messages")
    assert box.status_code == 200, box.text
    [message] = [m for m in box.json()["messages"] if m["kind"] == "benefit_ended"]
    assert message["mandatory"] and message["subject"] == "Old-age allowance for residents aged 80 and over ended"


def test_a_held_sms_that_a_claim_waits_is_cancelled_once_the_claim_no_longer_waits(hub):
    """The approver's SMS that a prepared claim waits for them is held for the quiet hours; taken
    back by its preparer before they end, the claim no longer waits, and the SMS never goes."""
    approver, preparer = Api(hub.base_url, "yunqi", locale="en"), Api(hub.base_url, "yunqi.preparer", locale="en")
    choose(approver, channels=["sms"], phone="13712345670", email="", locale="en")
    code = f"held-{uuid.uuid4().hex[:6]}"
    published = Api(hub.base_url, "admin").post("/api/programs", json=program_spec(code))
    assert published.status_code == 201, published.text
    prepared = preparer.post(f"/api/programs/{code}/claims", json={})
    assert prepared.status_code == 201 and prepared.json()["state"] == "prepared", prepared.text
    claim = prepared.json()

    def stored():
        rows = messages(hub, f"claim-{claim['ref']}:claim_prepared:%")
        sms = [r for r in rows if r["channel"] == "sms" and r["account.username"] == "yunqi"]
        return sms or None

    [sms] = wait_for(stored, timeout=60, what="the approver's SMS stored, held")
    assert sms["state"] == "queued" and sms["not_before"] and not sms["urgent"], sms

    withdrawn = preparer.post(f"/api/requests/{claim['request_ref']}/withdrawal", json={"reason": ""})
    assert withdrawn.status_code == 202, withdrawn.text
    [after] = messages(hub, sms["key"])
    assert after["state"] == "cancelled", after
    # The held-messages schedule finds nothing of it to send, now or when the quiet hours end.
    triggered = hub.temporal_cli("schedule", "trigger", "--schedule-id", "held-messages")
    assert triggered.returncode == 0, triggered.stderr
    assert [r["state"] for r in messages(hub, sms["key"])] == ["cancelled"]
    assert not [s for s in sms_sent(hub) if s["to"] == "13712345670"]
    # In the hub the approver reads what became of it.
    hub_message = next(m for m in approver.get("/api/messages").json()["messages"] if claim["ref"] in m["body"])
    assert hub_message["subject"].startswith("Claim withdrawn") and hub_message["read"], hub_message


def test_a_held_sms_goes_out_when_the_quiet_hours_end(hub):
    # Last (it changes the quiet hours): they end at the first whole minute, Beijing time, that
    # leaves the worker time to restart and the SMS time to be held (25 to 85 s from now).
    now = dt.datetime.now(BEIJING)
    end = (now + dt.timedelta(seconds=25 + 60)).replace(second=0, microsecond=0)
    start = now - dt.timedelta(hours=1)
    hub.env["QINQING_SMS_QUIET_HOURS"] = f"{start:%H:%M}-{end:%H:%M}"
    hub.restart("worker")
    citizen = Api(hub.base_url, "zhangsan")
    choose(citizen, channels=["sms"], phone="13312345678", email="")
    ref = file_request(citizen).json()["ref"]

    def held():
        rows = [r for r in messages(hub, f"request-{ref}:request_filed%") if r["channel"] == "sms"]
        return rows if rows else None

    [sms] = wait_for(held, timeout=30, what="the SMS stored")
    assert sms["state"] == "queued", sms
    assert dt.datetime.fromisoformat(sms["not_before"]) == end.astimezone(dt.UTC)
    assert not [s for s in sms_sent(hub) if ref in s["text"]]

    # The quiet hours end; the held-messages schedule's next run sends it (triggered now rather than
    # waiting up to five minutes for its interval).
    wait_for(lambda: dt.datetime.now(BEIJING) >= end, timeout=200, interval=1, what="the end of the quiet hours")

    def released():
        triggered = hub.temporal_cli("schedule", "trigger", "--schedule-id", "held-messages")
        assert triggered.returncode == 0, triggered.stderr
        rows = [r for r in messages(hub, f"request-{ref}:request_filed%") if r["channel"] == "sms"]
        return rows if rows[0]["state"] in ("sent", "delivered") else None

    wait_for(released, timeout=60, interval=5, what="the held SMS sent")
    assert len([s for s in sms_sent(hub) if ref in s["text"]]) == 1
