"""People are told: filing, a request for more information and a decision each send one message per
chosen channel (the email read back from a real SMTP server this test runs, the SMS from the hub's
local gateway, whose receipt marks it delivered); a mail server that refuses is tried again, then
the email is marked failed with its reason; an SMS written in quiet hours is held.

A stack of its own: the worker must be pointed at this test's mail server, and restarted with quiet
hours that cover the time the test runs."""

from __future__ import annotations

import email
import email.policy
import json
import re

import pytest
from aiosmtpd.controller import Controller
from babel.dates import format_skeleton

from forms.clock import beijing_today
from tests.stack.db import run_python
from tests.stack.flows import (
    claim,
    csrf_of,
    decide,
    file_request,
    hub_python,
    open_task,
    program_spec,
    signed_in_browser,
    wait_for,
)
from tests.stack.harness import Api, free_port, start_stack
from workflows.benefits.types import next_period, period_of, period_start
from workflows.names import REQUESTS_QUEUE

pytestmark = pytest.mark.stack

REFUSED_DOMAIN = "refuse.example"


class Mailbox:
    """A real SMTP server's handler: keeps what it is sent, refuses one domain for a while."""

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.endswith("@" + REFUSED_DOMAIN):
            return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def about(self, ref: str) -> list[email.message.EmailMessage]:
        return [m for m in self.received if ref in str(m["Subject"])]


@pytest.fixture(scope="module")
def mail():
    box = Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=free_port())
    server.start()
    yield box, server.port
    server.stop()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, mail):
    _, port = mail
    stack = start_stack(
        tmp_path_factory.mktemp("notifications"),
        QINQING_SMTP_URL=f"smtp://127.0.0.1:{port}",
        QINQING_SMS_QUIET_HOURS="",
    )
    yield stack
    stack.shutdown()


def choose(api: Api, **prefs) -> dict:
    r = api.http.put("/api/messages/preferences", json=prefs)
    assert r.status_code == 200, r.text
    return r.json()


def messages_of(stack, ref: str) -> list[dict]:
    """Every message stored about the request ``ref``: (kind, channel, state, reason, attempts)."""
    out = hub_python(
        stack,
        f"""
import json
rows = await Message.select(Message.kind, Message.channel, Message.state, Message.reason, Message.attempts,
    Message.not_before).where(Message.key.like('request-{ref}:%'))
print(json.dumps(rows, default=str))
""",
    )
    return json.loads(out.strip().splitlines()[-1])


def sms_sent(stack) -> list[dict]:
    path = stack.root / "var" / "sms-gateway.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_filing_information_request_and_decision_tell_the_applicant_once_per_channel(hub, mail):
    box, _ = mail
    citizen = Api(hub.base_url, "zhangsan")
    prefs = choose(citizen, channels=["email", "sms"], email="zhangsan@example.cn", phone="13912345678", locale="en")
    # Shown masked: the page never gives the whole number back.
    assert prefs["phone"] == "139****5678" and prefs["email"] == "z***@example.cn"

    filed = file_request(citizen)
    assert filed.status_code in (200, 201, 202), filed.text
    ref = filed.json()["ref"]
    clerk = Api(hub.base_url, "street.clerk")
    task = open_task(clerk, ref)
    assert claim(clerk, task["id"]).status_code == 200
    asked = clerk.post(
        f"/api/tasks/{task['id']}/information-request",
        json={"fields": ["phone"], "message": "Please give a number we can reach you on."},
    )
    assert asked.status_code == 200, asked.text

    # The same applicant's second request is refused at once: its decision is told too.
    other = file_request(citizen).json()["ref"]
    other_task = open_task(clerk, other)
    assert decide(clerk, other_task["id"], "reject", comment="Not resident at this address").status_code == 200

    def all_sent():
        rows = messages_of(hub, ref) + messages_of(hub, other)
        done = len(rows) == 12 and all(r["state"] in ("sent", "delivered") for r in rows)
        return rows if done and len(box.about(ref)) == 2 and len(box.about(other)) == 2 else None

    rows = wait_for(all_sent, timeout=60, what="every message sent")
    for request, kinds in (
        (ref, ("request_filed", "information_requested")),
        (other, ("request_filed", "request_decided")),
    ):
        for kind in kinds:
            channels = sorted(r["channel"] for r in messages_of(hub, request) if r["kind"] == kind)
            assert channels == ["email", "hub", "sms"], (request, kind, channels)
    assert len(rows) == 12  # three events of each request, each once in the hub, by email and by SMS
    # The emails, as the mail server received them, in the language the person chose.
    filed_mail, asked_mail = sorted(box.about(ref), key=lambda m: "More information" in str(m["Subject"]))
    assert str(filed_mail["Subject"]) == f"Application {ref} received"
    assert str(filed_mail["To"]) == "zhangsan@example.cn"
    assert "Old-age allowance for residents aged 80 and over" in filed_mail.get_content()
    assert f"/requests/{ref}" in filed_mail.get_content()
    body = asked_mail.get_content()
    assert str(asked_mail["Subject"]) == f"More information needed for application {ref}"
    assert "Mobile phone" in body or "phone" in body.lower()
    assert re.search(r"by \w+ \d{1,2}, \d{4}", body), body  # the deadline, as a date
    [decided] = [m for m in box.about(other) if str(m["Subject"]).startswith("Decision")]
    assert str(decided["Subject"]) == f"Decision on application {other}"
    assert "not approved" in decided.get_content() and "Decision notice" in decided.get_content()

    # The SMS went through the gateway once each, and its receipt marked it delivered.
    texts = [s for s in sms_sent(hub) if s["to"] == "13912345678"]
    assert len([s for s in texts if ref in s["text"]]) == 2 and len([s for s in texts if other in s["text"]]) == 2

    def receipts_in():
        rows = messages_of(hub, ref) + messages_of(hub, other)
        return all(r["state"] == "delivered" for r in rows if r["channel"] == "sms")

    wait_for(receipts_in, timeout=20, what="the SMS receipts")

    # In the hub: the message centre lists them, unread, and marks one read.
    mine = citizen.get("/api/messages").json()
    about = [m for m in mine["messages"] if ref in m["subject"] or other in m["subject"]]
    assert len(about) == 4 and mine["unread"] >= 4
    r = citizen.post(f"/api/messages/{about[0]['id']}/read")
    assert r.status_code == 200 and r.json()["unread"] == mine["unread"] - 1
    # Nobody else reads or marks them.
    assert Api(hub.base_url, "lisi").post(f"/api/messages/{about[1]['id']}/read").status_code == 404


def test_a_receipt_needs_the_shared_secret(hub):
    receipt = {"provider_id": "x", "status": "delivered"}
    nobody = Api(hub.base_url).http
    assert nobody.post("/api/messages/sms-receipts", json=receipt).status_code == 401
    wrong = nobody.post("/api/messages/sms-receipts", json=receipt, headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 403


def test_a_refusing_mail_server_is_tried_again_then_the_email_is_marked_failed(hub, mail):
    box, _ = mail
    citizen = Api(hub.base_url, "zhangsan")
    choose(citizen, channels=["email"], email=f"zhangsan@{REFUSED_DOMAIN}", phone="")
    ref = file_request(citizen).json()["ref"]

    def failed():
        rows = [r for r in messages_of(hub, ref) if r["channel"] == "email"]
        return rows if rows and rows[0]["state"] == "failed" else None

    [row] = wait_for(failed, timeout=60, what="the email marked failed")
    assert row["attempts"] == 4 and row["reason"].startswith("451"), row
    assert not box.about(ref)
    # Operators see it with its reason.
    report = Api(hub.base_url, "admin").get("/api/messages/delivery").json()
    assert any(f["reason"].startswith("451") for f in report["failures"])
    email_counts = next(c for c in report["channels"] if c["channel"] == "email")
    assert email_counts["failed"] >= 1 and email_counts["sent"] >= 3


def test_a_failed_email_that_a_claim_waits_is_not_sent_again_once_it_no_longer_waits(hub):
    """The approver's email that a prepared claim waits for them failed (their mail server refused
    it). Once the claim no longer waits it is cancelled, and an administrator cannot send it again:
    the resend checks the claim again, whatever state the email was left in."""
    approver, preparer, admin = (Api(hub.base_url, name) for name in ("yunqi", "yunqi.preparer", "admin"))
    choose(approver, channels=["email"], email=f"yunqi@{REFUSED_DOMAIN}", phone="")
    try:
        assert admin.post("/api/programs", json=program_spec("told-waiting")).status_code == 201
        prepared = preparer.post("/api/programs/told-waiting/claims", json={})
        assert prepared.status_code == 201 and prepared.json()["state"] == "prepared", prepared.text
        claim = prepared.json()

        def emails() -> list[dict]:
            out = hub_python(
                hub,
                f"""
import json
rows = await Message.select(Message.id, Message.state, Message.reason).where(
    Message.key.like('claim-{claim["ref"]}:claim_prepared:%:email'))
print(json.dumps(rows, default=str))
""",
            )
            return json.loads(out.strip().splitlines()[-1])

        wait_for(lambda: [e for e in emails() if e["state"] == "failed"] or None, timeout=90, what="the email failed")
        withdrawn = preparer.post(f"/api/requests/{claim['request_ref']}/withdrawal", json={"reason": ""})
        assert withdrawn.status_code == 202, withdrawn.text
        [email_row] = emails()
        assert email_row["state"] == "cancelled" and "no longer waits" in email_row["reason"], email_row
        again = admin.post(f"/api/messages/{email_row['id']}/resend")
        assert again.status_code == 409 and again.json()["type"] == "/problems/not-failed", again.text

        # Its failure recorded after the claim was settled (its hand-over was under way then): the
        # resend looks at the claim again, and cancels it rather than send it.
        hub_python(hub, f"await Message.update({{Message.state: 'failed'}}).where(Message.id == {email_row['id']})")
        again = admin.post(f"/api/messages/{email_row['id']}/resend")
        assert again.status_code == 409 and again.json()["type"] == "/problems/no-longer-true", again.text
        assert [e["state"] for e in emails()] == ["cancelled"]
    finally:
        choose(approver, channels=[], email="", phone="")


def run_cycle(stack, period: str) -> None:
    """The old-age allowance's cycle for ``period``, started as its schedule starts it."""
    started = stack.temporal_cli(
        "workflow",
        "start",
        "--type",
        "PaymentCycleWorkflow",
        "--task-queue",
        REQUESTS_QUEUE,
        "--workflow-id",
        f"cycle-notified-{period}",
        "--input",
        json.dumps({"service_id": "elderly-care-allowance", "period": period}),
    )
    assert started.returncode == 0, started.stderr


def test_a_benefit_paid_is_told_with_the_amount_and_the_account_masked(hub):
    citizen = Api(hub.base_url, "zhangsan", locale="en")
    choose(citizen, channels=[], email="", phone="", locale="zh_CN")
    ref = file_request(citizen).json()["ref"]
    for username in ("street.clerk", "civil.clerk"):
        clerk = Api(hub.base_url, username)
        assert decide(clerk, open_task(clerk, ref)["id"], "approve", comment="Eligible").status_code == 200
    wait_for(lambda: citizen.get(f"/api/requests/{ref}").json()["state"] == "approved", what="the approval")
    period = period_of(beijing_today())
    # This month's cycle, started as its schedule would on the payment day.
    run_cycle(hub, period)

    def paid():
        box = citizen.get("/api/messages").json()["messages"]
        return [m for m in box if m["kind"] == "payment_made"]

    [message] = wait_for(paid, timeout=90, what="the payment message")
    # In the language the person chose for messages, whatever the page's.
    year, month = period.split("-")
    assert message["subject"] == f"{year}年{int(month)}月80周岁以上老年人高龄津贴已发放", message
    assert "¥100.00" in message["body"] and "尾号3445" in message["body"], message["body"]
    assert message["link"] == "/benefits"
    # Messages in English from now on: the one already received reads in English too.
    choose(citizen, channels=[], email="", phone="", locale="en")
    try:
        [message] = paid()
        english_month = format_skeleton("yMMMM", period_start(period), locale="en")
        assert message["subject"] == f"Old-age allowance for residents aged 80 and over for {english_month} paid"
        assert "¥100.00" in message["body"] and "3445" in message["body"] and "尾号" not in message["body"]
    finally:
        choose(citizen, channels=[], email="", phone="", locale="zh_CN")


def test_a_policy_that_finds_the_enterprise_is_told_to_its_legal_representative(hub):
    admin = Api(hub.base_url, "admin")
    assert admin.post("/api/programs", json=program_spec("told-program")).status_code == 201

    def told(username: str):
        box = Api(hub.base_url, username).get("/api/messages").json()["messages"]
        return [m for m in box if m["kind"] == "policy_matched" and "told-program" in m["subject"]]

    [message] = wait_for(lambda: told("yunqi"), timeout=90, what="the policy message")
    assert message["subject"] == "贵企业可能符合的政策：测试补贴told-program" and message["link"] == "/policies"
    # The preparer prepares claims; the one who decides on them is told.
    assert not told("yunqi.preparer")


def test_a_worker_killed_between_sending_and_recording_sends_nothing_twice(hub, mail):
    box, _ = mail
    citizen = Api(hub.base_url, "zhangsan")
    choose(citizen, channels=["email", "sms"], email="zhangsan@example.cn", phone="13912345678")
    hub.env["QINQING_FAULT_EXIT_AFTER"] = "notification-sent"
    hub.restart("worker")
    ref = file_request(citizen).json()["ref"]
    # The worker dies right after the mail server took the email, before recording it.
    wait_for(lambda: hub.processes["worker"].poll() is not None, what="the worker to die")
    assert len(box.about(ref)) == 1
    del hub.env["QINQING_FAULT_EXIT_AFTER"]
    hub.start("worker")

    def settled():
        rows = {r["channel"]: r for r in messages_of(hub, ref) if r["kind"] == "request_filed"}
        return rows if rows.get("sms", {}).get("state") == "delivered" and rows["email"]["state"] != "queued" else None

    rows = wait_for(settled, timeout=60, what="the retried activity")
    # Its outcome unknown, the email is not sent again: marked for an operator to look at.
    assert rows["email"]["state"] == "failed" and "interrupted" in rows["email"]["reason"], rows["email"]
    assert len(box.about(ref)) == 1
    assert len([s for s in sms_sent(hub) if ref in s["text"]]) == 1


def test_an_sms_in_quiet_hours_is_held(hub):
    hub.env["QINQING_SMS_QUIET_HOURS"] = "00:00-23:59"
    hub.restart("worker")
    citizen = Api(hub.base_url, "zhangsan")
    choose(citizen, channels=["sms"], phone="13712345678")
    ref = file_request(citizen).json()["ref"]
    sms = wait_for(lambda: [r for r in messages_of(hub, ref) if r["channel"] == "sms"], what="the SMS stored")
    assert sms[0]["state"] == "queued" and sms[0]["not_before"], sms
    assert not [s for s in sms_sent(hub) if ref in s["text"]]

    # A receipt that arrives before the worker has recorded the gateway's answer (a busy moment)
    # is matched by the hub's own id; one naming neither a known send nor a waiting message is not.
    out = hub_python(
        hub,
        f"""
import json
from hub.notifications.inbox import Receipt, record_receipt
row = await Message.select(Message.id, Message.key).where(
    Message.key.like('request-{ref}:%') & (Message.channel == 'sms')).first()
print(await record_receipt(Receipt(id=row['key'], provider_id='early-1', status='delivered')))
print(await record_receipt(Receipt(id='request-unknown:sms', provider_id='early-2', status='delivered')))
print(json.dumps(await Message.select(Message.state, Message.provider_id).where(Message.id == row['id']).first()))
""",
    ).split()
    assert out[:2] == ["True", "False"], out
    assert json.loads(" ".join(out[2:])) == {"state": "delivered", "provider_id": "early-1"}


def test_payments_stopped_by_a_cycle_are_told(hub):
    # Last: the beneficiary moves out of the city, and the next month's cycle ends the allowance.
    period = period_of(beijing_today())
    run_python(
        hub,
        f"""
import asyncio, datetime as dt
from hub.db.lifecycle import database
from hub.db.tables import Resident
from hub.registry.population import resident_key
from hub.sealing import configure_from
from hub.settings import load_settings

async def main():
    settings = load_settings()
    configure_from(settings)
    async with database(settings):
        await Resident.update({{Resident.moved_out_on: dt.date.fromisoformat("{period_start(period).isoformat()}")}}).where(
            Resident.resident_key == resident_key("330106194003150011"))

asyncio.run(main())
""",
    )
    run_cycle(hub, next_period(period))
    citizen = Api(hub.base_url, "zhangsan")

    def told():
        box = citizen.get("/api/messages").json()["messages"]
        return [m for m in box if m["kind"] == "payment_stopped"]

    [message] = wait_for(told, timeout=90, what="the message that payments stop")
    assert message["mandatory"] and message["subject"] == "80周岁以上老年人高龄津贴停发通知", message
    assert "行政复议" in message["body"]


def test_a_refused_choice_of_channels_comes_back_as_typed_with_each_mistake_named(hub):
    """On the account page, a mistyped address and SMS ticked with no number on file are both
    named next to their fields, and what was typed and ticked is still there; nothing is saved."""
    with signed_in_browser(hub.base_url, "wangwu", locale="en") as page:
        token = csrf_of(page.get("/account").text)
        refused = page.post(
            "/account/messages",
            data={"_csrf_token": token, "email": "wangwu-at-example", "channels": ["sms", "email"], "locale": "en"},
        )
        assert refused.status_code == 422
        assert 'id="email-error"' in refused.text and "name@example.cn" in refused.text
        assert 'id="phone-error"' in refused.text  # SMS ticked, and no number to send it to
        assert 'value="wangwu-at-example"' in refused.text
        assert re.search(r'value="sms" checked', refused.text) and re.search(r'value="email" checked', refused.text)
    assert Api(hub.base_url, "wangwu").get("/api/messages/preferences").json()["channels"] == []
