"""A subsidy claim tells the enterprise what became of it: an instant claim paid (the amount, the
program, the account's last four digits, and in the hub the payment notice's number), a claim
refused by its checks and one whose payment the bank refused (why), a claim paid by a program that
pays without being asked; and a preparer's prepared claim tells the approver it waits for them (by
the held-messages schedule, when Temporal was down then), a message that says what became of the
claim, and asks nothing more, once it no longer waits. Each exactly once per person and channel, in
the hub and on the channels the person chose.

A stack of its own, with no quiet hours: an SMS goes at once, whatever the time of day."""

from __future__ import annotations

import json

import pytest

from tests.stack.flows import csrf_of, hub_python, program_spec, wait_claim, wait_for
from tests.stack.harness import Api, start_stack
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack

YUNQI = "91330106MA2H3K1X75"  # 云栖: 80 insured employees, account 6222021202003456789
QIHANG = "91330106MA7E2R9P3T"  # 启航: account 6217001540009876543
CHASHE = "92330106MA2J8L4Q58"  # 龙井茶社: account 6228480321234567890
YUNQI_PHONE = "13712345678"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    stack = start_stack(tmp_path_factory.mktemp("claim-messages"), QINQING_SMS_QUIET_HOURS="")
    yield stack
    stack.shutdown()


def messages(stack, like: str) -> list[dict]:
    """Every message whose key is like ``like``: who, what, on which channel, in which state."""
    out = hub_python(
        stack,
        f"""
import json
rows = await Message.select(Message.key, Message.kind, Message.channel, Message.state, Message.mandatory,
    Message.body, Message.account.username).where(Message.key.like({like!r})).order_by(Message.id)
print(json.dumps(rows, default=str))
""",
    )
    return json.loads(out.strip().splitlines()[-1])


def sms_sent(stack, to: str) -> list[str]:
    path = stack.root / "var" / "sms-gateway.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [s["text"] for s in map(json.loads, lines) if s["to"] == to]


def inbox(api: Api, kind: str) -> list[dict]:
    return [m for m in api.get("/api/messages").json()["messages"] if m["kind"] == kind]


def set_enterprise(stack, uscc: str, **values: str) -> None:
    changes = ", ".join(f"Enterprise.{column}: {value!r}" for column, value in values.items())
    hub_python(stack, f"await Enterprise.update({{{changes}}}).where(Enterprise.uscc == {uscc!r})")


def in_english(api: Api, **channels) -> None:
    """Messages to this account in English (its account's language is Chinese)."""
    prefs = {"channels": [], "phone": "", "email": "", "locale": "en", **channels}
    r = api.put("/api/messages/preferences", json=prefs)
    assert r.status_code == 200, r.text


def publish(stack, spec: dict) -> None:
    r = Api(stack.base_url, "admin").post("/api/programs", json=spec)
    assert r.status_code == 201, r.text


def test_an_instant_claim_tells_the_enterprise_it_was_paid_once_in_the_hub_and_by_sms(hub):
    yunqi = Api(hub.base_url, "yunqi", locale="en")
    in_english(yunqi, channels=["sms"], phone=YUNQI_PHONE)
    r = yunqi.post("/api/programs/new-hire-insurance-2026/claims", json={})
    assert r.status_code == 201 and r.json()["state"] == "paid", r.text
    ref = r.json()["ref"]
    notice = next(d for d in yunqi.get(f"/api/requests/{ref}").json()["documents"] if d["kind"] == "payment_notice")

    def told():
        rows = messages(hub, f"claim-{ref}:subsidy_paid:%")
        sms = [row for row in rows if row["channel"] == "sms"]
        return rows if sms and sms[0]["state"] in ("sent", "delivered") else None

    rows = wait_for(told, timeout=60, what="the payment told by SMS")
    assert sorted((row["account.username"], row["channel"]) for row in rows) == [("yunqi", "hub"), ("yunqi", "sms")]
    assert not any(row["mandatory"] for row in rows)
    # In the message centre, once: the amount, the program, the account, the notice's number.
    [message] = inbox(yunqi, "subsidy_paid")
    assert message["subject"] == "2026 social insurance subsidy for hiring (instant): CN¥40,000.00 paid", message
    assert "CN¥40,000.00" in message["body"] and "****6789" in message["body"], message
    assert notice["number"] and notice["number"] in message["body"] and ref in message["body"], message
    assert "6222021202003456789" not in message["body"]
    assert message["link"] == f"/requests/{ref}"
    # By SMS, once.
    [text] = [t for t in sms_sent(hub, YUNQI_PHONE) if "CN¥40,000.00" in t]
    assert text.startswith("[Qinqing]") and "****6789" in text and "(instant)" in text, text
    # The enterprise's preparer did not claim it, and is not told.
    assert inbox(Api(hub.base_url, "yunqi.preparer", locale="en"), "subsidy_paid") == []
    # Nothing more comes of it (a late retry or the held-messages schedule tells nothing twice).
    assert len(messages(hub, f"claim-{ref}:%")) == 2


def test_a_prepared_claim_tells_the_approver_and_its_refusal_by_the_checks_tells_why(hub):
    publish(hub, program_spec("told-refused"))
    preparer, approver = Api(hub.base_url, "yunqi.preparer", locale="en"), Api(hub.base_url, "yunqi", locale="en")
    in_english(preparer)
    in_english(approver, channels=["sms"], phone=YUNQI_PHONE)
    prepared = preparer.post("/api/programs/told-refused/claims", json={})
    assert prepared.status_code == 201 and prepared.json()["state"] == "prepared", prepared.text
    ref = prepared.json()["ref"]

    rows = wait_for(
        lambda: messages(hub, f"claim-{ref}:claim_prepared:%"), timeout=60, what="the approver told of the claim"
    )
    # The approver only (in the hub, and by SMS as they chose); the preparer knows.
    assert sorted((row["account.username"], row["channel"]) for row in rows) == [("yunqi", "hub"), ("yunqi", "sms")]
    [message] = inbox(approver, "claim_prepared")
    assert message["subject"] == "A claim waits for your confirmation: Test subsidy told-refused, CN¥1,000.00"
    assert "prepared by 陈**" in message["body"] and "陈晨" not in message["body"], message
    assert message["link"] == "/claims"
    assert inbox(preparer, "claim_prepared") == []

    # Before the approver submits it, the enterprise is put on the list of abnormal operations: the
    # claim's own checks refuse it, and both the preparer (who claimed) and the approver are told why.
    set_enterprise(hub, YUNQI, status="abnormal")
    try:
        submitted = approver.post(f"/api/claims/{ref}/submission")
        assert submitted.status_code in (201, 202), submitted.text
        assert wait_claim(approver, ref)["state"] == "refused"
        # Its request was filed when the approver submitted it, not when it was prepared; its page
        # shows the program's conditions it failed (which belong to no stage of a route).
        request = approver.get(f"/api/requests/{submitted.json()['request_ref']}").json()
        assert request.get("submitted_at") and request["submitted_at"] > request["created_at"], request
        assert [c["stage_id"] for c in request["checks"] if not c["passed"]] == [""], request["checks"]
        [failed] = [c for c in request["checks"] if not c["passed"]]
        assert failed["message"] == "The enterprise must be active.", failed
        # Claimed in English, read in Chinese: each condition in the reader's language, from its program.
        in_chinese = Api(hub.base_url, "yunqi", locale="zh_CN").get(f"/api/requests/{request['ref']}").json()
        [failed] = [c for c in in_chinese["checks"] if not c["passed"]]
        assert failed["message"] == "企业须正常经营。", failed
        assert all(not any("a" <= ch <= "z" for ch in r["message"]) for r in in_chinese["rules"]), in_chinese["rules"]
    finally:
        set_enterprise(hub, YUNQI, status="active")

    def told():
        rows = messages(hub, f"claim-{ref}:claim_refused:%")
        return rows if len(rows) == 3 else None

    rows = wait_for(told, timeout=60, what="the refusal told")
    # Mandatory: in the hub, and by SMS for the approver who chose it (the preparer has no number).
    assert sorted((row["account.username"], row["channel"]) for row in rows) == [
        ("yunqi", "hub"),
        ("yunqi", "sms"),
        ("yunqi.preparer", "hub"),
    ]
    assert all(row["mandatory"] for row in rows)
    for account in (preparer, approver):
        [message] = inbox(account, "claim_refused")
        assert message["subject"] == f"Claim {ref} for Test subsidy told-refused refused", message
        assert "The enterprise does not meet the program's conditions." in message["body"], message
        assert message["link"] == f"/requests/{ref}"
    wait_for(lambda: [t for t in sms_sent(hub, YUNQI_PHONE) if ref in t], timeout=30, what="the refusal's SMS")
    [text] = [t for t in sms_sent(hub, YUNQI_PHONE) if ref in t]
    assert "refused (Not eligible)" in text, text
    assert len(inbox(approver, "claim_prepared")) == 1


def test_a_claim_its_approver_declines_tells_the_preparer(hub):
    publish(hub, program_spec("told-declined"))
    preparer, approver = Api(hub.base_url, "yunqi.preparer", locale="en"), Api(hub.base_url, "yunqi", locale="en")
    in_english(preparer)
    prepared = preparer.post("/api/programs/told-declined/claims", json={})
    assert prepared.status_code == 201 and prepared.json()["state"] == "prepared", prepared.text
    ref, request_ref = prepared.json()["ref"], prepared.json()["request_ref"]
    declined = approver.post(f"/api/requests/{request_ref}/withdrawal", json={"reason": ""})
    assert declined.status_code == 202, declined.text

    rows = wait_for(
        lambda: messages(hub, f"claim-{ref}:claim_declined:%"), timeout=60, what="the preparer told of the decline"
    )
    # The preparer only, in the hub (no channel chosen); the approver declined it and knows.
    assert [(row["account.username"], row["channel"]) for row in rows] == [("yunqi.preparer", "hub")]
    [message] = inbox(preparer, "claim_declined")
    assert message["subject"] == "Claim not submitted: Test subsidy told-declined, CN¥1,000.00"
    assert "declined by 周**" in message["body"] and "周明" not in message["body"], message
    assert message["link"] == "/claims"
    assert inbox(approver, "claim_declined") == []


def test_a_payment_the_bank_refuses_tells_the_enterprise(hub):
    publish(hub, program_spec("told-bank"))
    set_enterprise(hub, QIHANG, bank_account_status="closed")
    qihang = Api(hub.base_url, "qihang", locale="en")
    in_english(qihang)
    try:
        r = qihang.post("/api/programs/told-bank/claims", json={})
        assert wait_claim(qihang, r.json()["ref"])["state"] == "failed"
    finally:
        set_enterprise(hub, QIHANG, bank_account_status="open")
    ref = r.json()["ref"]
    rows = wait_for(lambda: messages(hub, f"claim-{ref}:claim_refused:%"), timeout=60, what="the failure told")
    assert [(row["account.username"], row["channel"]) for row in rows] == [("qihang", "hub")]
    [message] = inbox(qihang, "claim_refused")
    assert "the enterprise's settlement account is not open" in message["body"], message
    assert messages(hub, f"claim-{ref}:subsidy_paid:%") == []


def test_a_program_that_pays_without_being_asked_tells_the_enterprise(hub):
    spec = program_spec(
        "told-automatic",
        mode="apply_free",
        automatic=True,
        criteria=[
            {
                "id": "tea-house",
                "expression": f"enterprise.uscc == '{CHASHE}'",
                "reason": {"zh_CN": "测试用。", "en": "For the test."},
            }
        ],
    )
    chashe = Api(hub.base_url, "chashe", locale="en")
    in_english(chashe)
    publish(hub, spec)

    def paid():
        return next((m for m in inbox(chashe, "subsidy_paid") if "Test subsidy told-automatic" in m["subject"]), None)

    message = wait_for(paid, timeout=90, what="the automatic payment told")
    assert "CN¥1,000.00" in message["body"] and "****7890" in message["body"], message
    ref = message["link"].rsplit("/", 1)[-1]
    assert [row["channel"] for row in messages(hub, f"claim-{ref}:subsidy_paid:%")] == ["hub"]


def told_by_the_schedule(hub, ref: str, kind: str) -> list[dict]:
    """The claim's ``kind`` message, told by the held-messages schedule: the claim changed as if
    three minutes ago (past the two minutes the sender leaves an announcement to its own
    workflow), and the schedule's next run triggered now."""
    hub_python(
        hub,
        "import datetime\n"
        "await Claim.update({Claim.updated_at: datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=3)})"
        f".where(Claim.ref == {ref!r})",
    )

    def by_schedule():
        hub.temporal_cli("schedule", "trigger", "--schedule-id", "held-messages")
        return messages(hub, f"claim-{ref}:{kind}:%:hub") or None

    return wait_for(by_schedule, timeout=90, interval=5, what=f"{kind} told by the schedule")


def test_a_claim_prepared_while_temporal_is_down_is_told_by_the_schedule(hub):
    publish(hub, program_spec("told-late"))
    preparer = Api(hub.base_url, "yunqi.preparer", locale="en")
    hub.temporal.stop()
    try:
        prepared = preparer.post("/api/programs/told-late/claims", json={})
        # The claim stands; telling the approver waits for Temporal.
        assert prepared.status_code == 201 and prepared.json()["state"] == "prepared", prepared.text
    finally:
        hub.temporal.start()  # same port, same state file
    ref = prepared.json()["ref"]
    assert messages(hub, f"claim-{ref}:%") == []
    rows = told_by_the_schedule(hub, ref, "claim_prepared")
    assert [row["account.username"] for row in rows] == ["yunqi"]
    told = [row["key"] for row in messages(hub, f"claim-{ref}:%")]
    # Told once: further runs add nothing.
    hub.temporal_cli("schedule", "trigger", "--schedule-id", "held-messages")
    assert [row["key"] for row in messages(hub, f"claim-{ref}:%")] == told
    # Submitted once the schedule told of it: the message it stored says so, and stays so.
    approver = Api(hub.base_url, "yunqi", locale="en")
    assert approver.post(f"/api/claims/{ref}/submission").status_code in (201, 202)
    hub.temporal_cli("schedule", "trigger", "--schedule-id", "held-messages")
    [row] = [r for r in messages(hub, f"claim-{ref}:claim_prepared:%") if r["channel"] == "hub"]
    assert "waits for your confirmation" not in row["body"] and "was submitted by you on " in row["body"], row


def test_a_claim_declined_while_temporal_is_down_is_told_by_the_schedule(hub):
    publish(hub, program_spec("declined-late"))
    preparer, approver = Api(hub.base_url, "yunqi.preparer", locale="en"), Api(hub.base_url, "yunqi", locale="en")
    in_english(approver)
    prepared = preparer.post("/api/programs/declined-late/claims", json={})
    assert prepared.status_code == 201, prepared.text
    ref, request_ref = prepared.json()["ref"], prepared.json()["request_ref"]
    wait_for(lambda: messages(hub, f"claim-{ref}:claim_prepared:%"), timeout=60, what="the approver told")
    hub.temporal.stop()
    try:
        declined = approver.post(f"/api/requests/{request_ref}/withdrawal", json={"reason": ""})
        # The decline stands; telling the preparer waits for Temporal.
        assert declined.status_code == 202, declined.text
    finally:
        hub.temporal.start()  # same port, same state file
    assert messages(hub, f"claim-{ref}:claim_declined:%") == []
    # The approver's own message no longer says it waits: settled with the decline, Temporal or not.
    [waiting] = [m for m in inbox(approver, "claim_prepared") if ref in m["body"]]
    assert waiting["subject"].startswith("Claim declined: ") and waiting["read"], waiting
    rows = told_by_the_schedule(hub, ref, "claim_declined")
    assert [row["account.username"] for row in rows] == ["yunqi.preparer"]
    hub.temporal_cli("schedule", "trigger", "--schedule-id", "held-messages")
    assert len(messages(hub, f"claim-{ref}:claim_declined:%")) == 1  # told once


def unread(api: Api) -> set[int]:
    """The unread messages the account's message box lists (its newest hundred: other tests on the
    same stack may tell the same enterprise more meanwhile, so the count is not compared)."""
    box = api.get("/api/messages").json()
    return {m["id"] for m in box["messages"] if not m["read"]}


def waiting_message(approver: Api, ref: str) -> dict:
    """The approver's message in the hub that claim ``ref`` waits for them."""
    return wait_for(
        lambda: next((m for m in inbox(approver, "claim_prepared") if ref in m["body"]), None),
        timeout=60,
        what="the approver told the claim waits",
    )


def test_the_approver_s_message_says_what_became_of_the_claim_once_it_no_longer_waits(hub):
    preparer, approver = Api(hub.base_url, "yunqi.preparer", locale="en"), Api(hub.base_url, "yunqi", locale="en")
    in_english(preparer)
    in_english(approver)
    refs = {}
    for code in ("settled-submitted", "settled-declined", "settled-withdrawn"):
        publish(hub, program_spec(code))
        prepared = preparer.post(f"/api/programs/{code}/claims", json={})
        assert prepared.status_code == 201 and prepared.json()["state"] == "prepared", prepared.text
        refs[code] = prepared.json()
        message = waiting_message(approver, prepared.json()["ref"])
        assert message["subject"].startswith("A claim waits for your confirmation") and not message["read"]
        assert message["id"] in unread(approver)

    # Submitted by the approver through the API.
    ref = refs["settled-submitted"]["ref"]
    assert approver.post(f"/api/claims/{ref}/submission").status_code in (201, 202)
    message = waiting_message(approver, ref)
    assert message["subject"] == "Claim submitted: Test subsidy settled-submitted, CN¥1,000.00", message
    assert "prepared by 陈**, was submitted by you on " in message["body"], message
    assert "waits for your" not in message["body"] and "陈晨" not in message["body"], message
    assert message["read"] and message["link"] == "/claims" and message["id"] not in unread(approver)

    # Declined by the approver on the claims page (a web process of its own).
    ref = refs["settled-declined"]["ref"]
    page = signed_in_page_client(hub, "yunqi", locale="en")
    try:
        claims = page.get("/claims").text
        assert page.post(f"/claims/{ref}/decline", data={"_csrf_token": csrf_of(claims)}).status_code == 303
        message = waiting_message(approver, ref)
        assert message["subject"] == "Claim declined: Test subsidy settled-declined, CN¥1,000.00", message
        assert "prepared by 陈**, was declined by you on " in message["body"], message
        assert "nothing was submitted or paid" in message["body"] and message["read"], message
        # The message centre's page says the same, and counts it read.
        shown = page.get("/messages").text
        card = shown.split(f"{ref}", 1)[0].rsplit("<article", 1)[1]
        assert "Claim declined: Test subsidy settled-declined" in card and "New</span>" not in card, card
    finally:
        signed_in_page_client(hub, "yunqi", locale="zh_CN")
    assert message["id"] not in unread(approver)

    # Taken back by its preparer: the approver is told who took it back.
    claim = refs["settled-withdrawn"]
    withdrawn = preparer.post(f"/api/requests/{claim['request_ref']}/withdrawal", json={"reason": ""})
    assert withdrawn.status_code == 202, withdrawn.text
    message = waiting_message(approver, claim["ref"])
    assert message["subject"] == "Claim withdrawn: Test subsidy settled-withdrawn, CN¥1,000.00", message
    assert "was withdrawn by 陈**, who prepared it, on " in message["body"] and message["read"], message
    assert message["id"] not in unread(approver)
    # Read later, they still say so: nothing stored them back as waiting, and no message was added.
    assert [m["subject"].split(":")[0] for m in inbox(approver, "claim_prepared") if m["body"].count("settled-")] == [
        "Claim withdrawn",
        "Claim declined",
        "Claim submitted",
    ]
