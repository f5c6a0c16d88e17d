"""A life event applied for once: the one form (each shared answer asked once), one filing, and the
parts filed with their departments in order, the later one taking the earlier one's decision
number as its certificate number; a rejected part withdraws the part that waits for it; a worker
killed as a part is filed leaves it filed once."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.stack.db import sql
from tests.stack.flows import decide, next_open_task, open_task, pdf_text, signed_in_browser, wait_for
from tests.stack.harness import Api, start_stack

pytestmark = pytest.mark.stack

ZHAOLIU = "330106195809080029"


def one_form_answers(**changes) -> dict:
    return {
        "phone": "13800138000",
        "address": "杭州市西湖区文三路100号",
        "hukou_local": True,
        "bank_account": "6222020200112233445",
        "allowance.household_members": [
            {"member_name": "赵六", "relationship": "self", "resident_id": ZHAOLIU, "monthly_income": "300.00"}
        ],
        "allowance.hardship": "长期患病，无稳定收入。",
        "allowance.authorises_checks": True,
        "disability.disability_certificate_number": ZHAOLIU + "42",
        "disability.disability_grade": "2",
        **changes,
    }


def file_case(citizen: Api, parts: list[str], **changes):
    return citizen.post(
        "/api/life-events/hard-times/cases",
        json={"answers": one_form_answers(**changes), "parts": parts},
        headers={"Idempotency-Key": f"life-event-{uuid.uuid4()}"},
    )


def case_of(citizen: Api, ref: str) -> dict:
    return citizen.get(f"/api/life-events/cases/{ref}").json()


def part_filed(citizen: Api, ref: str, part: str) -> str:
    def filed():
        found = next(p for p in case_of(citizen, ref)["parts"] if p["id"] == part)
        return found["request_ref"]

    return wait_for(filed, timeout=60, what=f"part {part} of {ref} to be filed")


def decide_all(stack, citizen: Api, request_ref: str, verdict: str) -> None:
    while (step := next_open_task(stack, citizen, request_ref)) is not None:
        clerk, task = step
        r = decide(clerk, task["id"], verdict, comment="核实", reason_code="ineligible")
        assert r.status_code == 200, r.text
        if verdict == "reject":
            return


def test_the_one_form_asks_each_shared_answer_once(stack):
    event = Api(stack.base_url, locale="en").get("/api/life-events/hard-times").json()
    names = [f["name"] for f in event["form"]]
    assert names.count("phone") == 1 and "allowance.phone" not in names and "disability.phone" not in names
    # Handed on by the allowance or fixed by the event: never asked.
    assert "disability.allowance_certificate_number" not in names
    assert "disability.receives_minimum_living_allowance" not in names
    assert event["fields_asked"] < event["fields_separately"]
    assert [p["id"] for p in event["parts"]] == ["allowance", "disability"] and event["parts"][1]["optional"]


ALL_EVENTS = {"hard-times", "newborn", "hiring", "restaurant", "retirement"}
# What each account may apply for: a citizen the citizens' events, an enterprise's approver its
# hiring, its preparer none (only the approver applies for an enterprise).
MAY_FILE = {
    "lisi": ALL_EVENTS - {"hiring"},
    "yunqi": {"hiring"},
    "yunqi.preparer": set(),
}


def linked_events(html: str) -> set[str]:
    return set(re.findall(r'href="/life-events/([a-z-]+)"', html)) & ALL_EVENTS


def test_each_person_is_offered_only_the_life_events_they_may_apply_for(stack):
    # Signed out: every life event, each saying who it is for.
    public = Api(stack.base_url, locale="en").get("/api/life-events").json()
    assert {e["id"]: e["audience"] for e in public} == {
        **dict.fromkeys(ALL_EVENTS - {"hiring"}, ["citizen"]),
        "hiring": ["enterprise"],
    }
    page = Api(stack.base_url, locale="en").get("/life-events").text
    assert linked_events(page) == ALL_EVENTS and "Who can apply: Enterprises" in page
    assert linked_events(Api(stack.base_url).get("/").text) == ALL_EVENTS

    for username, may_file in MAY_FILE.items():
        api = Api(stack.base_url, username, locale="en")
        assert {e["id"] for e in api.get("/api/life-events").json()} == may_file, username
        with signed_in_browser(stack.base_url, username, "en") as browser:
            listed = browser.get("/life-events")
            assert listed.status_code == 200
            assert linked_events(listed.text) == may_file, username
            # The home page's "Apply for them all at once" offers the same, and nothing it offers is refused.
            assert linked_events(browser.get("/").text) == may_file, username
            for event_id in ALL_EVENTS:
                opened = browser.get(f"/life-events/{event_id}")
                assert opened.status_code == (200 if event_id in may_file else 403), (username, event_id)
        # Nothing to offer (a preparer): the page says so rather than showing an empty list.
        assert ('class="cards life-events"' in listed.text) == bool(may_file), username


def test_parts_are_filed_in_order_and_hand_on_the_decision_number(stack):
    citizen = Api(stack.base_url, "zhaoliu", locale="en")
    filed = file_case(citizen, ["disability"])
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    allowance = part_filed(citizen, ref, "allowance")
    # The subsidy waits for the allowance: not filed yet.
    assert next(p for p in case_of(citizen, ref)["parts"] if p["id"] == "disability")["state"] == "waiting"

    decide_all(stack, citizen, allowance, "approve")
    subsidy = part_filed(citizen, ref, "disability")
    number = next(d for d in citizen.get(f"/api/requests/{allowance}").json()["documents"] if d["kind"] == "decision")[
        "number"
    ]
    answers = citizen.get(f"/api/requests/{subsidy}").json()["answers"]
    assert answers["allowance_certificate_number"] == number and answers["receives_minimum_living_allowance"] is True

    decide_all(stack, citizen, subsidy, "approve")
    done = wait_for(lambda: (c := case_of(citizen, ref))["state"] == "done" and c, timeout=60, what=f"{ref} to be done")
    assert {p["id"]: p["state"] for p in done["parts"]} == {"allowance": "approved", "disability": "approved"}


def test_a_rejected_part_withdraws_the_part_that_waits_for_it(stack):
    citizen = Api(stack.base_url, "zhaoliu", locale="en")
    ref = file_case(citizen, ["disability"]).json()["ref"]
    allowance = part_filed(citizen, ref, "allowance")
    # The combined result waits for every part; nobody else finds the case.
    in_progress = citizen.get(f"/api/life-events/cases/{ref}/result.pdf")
    assert in_progress.status_code == 409 and in_progress.json()["type"] == "/problems/life-event-in-progress"
    decide_all(stack, citizen, allowance, "reject")
    done = wait_for(lambda: (c := case_of(citizen, ref))["state"] == "done" and c, timeout=60, what=f"{ref} to be done")
    states = {p["id"]: (p["state"], p["request_ref"]) for p in done["parts"]}
    assert states["allowance"][0] == "rejected" and states["disability"] == ("not_filed", None)

    result = citizen.get(f"/api/life-events/cases/{ref}/result.pdf")
    assert result.status_code == 200 and result.headers["content-type"] == "application/pdf"
    [decision] = [d for d in citizen.get(f"/api/requests/{allowance}").json()["documents"] if d["kind"] == "decision"]
    text = pdf_text(result.content)
    assert "Notice of the results of a life event" in text and decision["verification_code"] in text
    assert "Not approved" in text and "Not filed" in text and decision["number"] in text
    assert Api(stack.base_url, "lisi").get(f"/api/life-events/cases/{ref}/result.pdf").status_code == 404


def test_the_applicant_withdraws_a_waiting_part_then_the_whole_application(stack):
    citizen = Api(stack.base_url, "zhaoliu", locale="en")
    ref = file_case(citizen, ["disability"]).json()["ref"]
    allowance = part_filed(citizen, ref, "allowance")
    assert citizen.post(f"/api/life-events/cases/{ref}/withdrawal", json={"parts": ["nonsense"]}).status_code == 422
    # Someone else cannot withdraw it, nor learn that it exists.
    assert Api(stack.base_url, "lisi").post(f"/api/life-events/cases/{ref}/withdrawal", json={}).status_code == 404

    # The subsidy is not filed yet: withdrawn, it is never filed, and the allowance goes on.
    r = citizen.post(f"/api/life-events/cases/{ref}/withdrawal", json={"parts": ["disability"], "reason": "不需要了"})
    assert r.status_code == 202, r.text
    assert r.json()["stopped"] == ["disability"] and r.json()["withdrawn"] == []
    parts = wait_for(
        lambda: (c := case_of(citizen, ref)) and c["parts"][1]["state"] == "withdrawn" and c["parts"],
        timeout=30,
        what="the subsidy to be withdrawn",
    )
    assert parts[1]["request_ref"] is None and parts[0]["state"] == "filed"
    clerk = Api(stack.base_url, "street.clerk")
    assert open_task(clerk, allowance)["request_ref"] == allowance
    # The case says who holds the allowance now.
    assert case_of(citizen, ref)["parts"][0]["held_by"] == ["Xihu Sub-district Office"]

    # The whole application: the allowance's request is withdrawn and leaves the clerk's inbox.
    r = citizen.post(f"/api/life-events/cases/{ref}/withdrawal", json={"reason": "情况好转"})
    assert r.status_code == 202, r.text
    assert r.json()["withdrawn"] == ["allowance"] and r.json()["kept"] == ["disability"]
    done = wait_for(lambda: (c := case_of(citizen, ref))["state"] == "done" and c, timeout=60, what=f"{ref} to be done")
    assert [p["state"] for p in done["parts"]] == ["withdrawn", "withdrawn"]
    assert citizen.get(f"/api/requests/{allowance}").json()["state"] == "withdrawn"
    assert allowance not in [t["request_ref"] for t in clerk.get("/api/tasks").json()]
    # Nothing is left to withdraw.
    again = citizen.post(f"/api/life-events/cases/{ref}/withdrawal", json={})
    assert again.status_code == 409 and again.json()["type"] == "/problems/life-event-settled"


def test_bad_answers_are_named_on_the_one_form_and_nothing_is_filed(stack):
    citizen = Api(stack.base_url, "zhaoliu", locale="en")
    r = file_case(citizen, ["disability"], phone="12", **{"disability.disability_grade": "9"})
    assert r.status_code == 422, r.text
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"phone", "disability.disability_grade"} <= fields
    assert file_case(citizen, ["nonsense"]).status_code == 422
    assert (
        Api(stack.base_url, "yunqi")
        .post(
            "/api/life-events/hard-times/cases",
            json={"answers": {}},
            headers={"Idempotency-Key": "life-event-enterprise"},
        )
        .status_code
        == 403
    )


@pytest.fixture(scope="module")
def crashing_stack(tmp_path_factory):
    """A stack whose worker dies right after it files a life event's part, before Temporal hears."""
    stack = start_stack(
        tmp_path_factory.mktemp("life-event-crash"),
        QINQING_FAULT_EXIT_AFTER="file_part",
        QINQING_DEMO_ENTERPRISES="10",
        QINQING_DEMO_BENEFICIARIES="0",
    )
    try:
        yield stack
    finally:
        stack.shutdown()


def test_a_worker_killed_as_a_part_is_filed_leaves_it_filed_once(crashing_stack):
    stack = crashing_stack
    citizen = Api(stack.base_url, "zhaoliu", locale="en")
    filed = file_case(citizen, [])
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    wait_for(lambda: stack.processes["worker"].poll() is not None, timeout=60, what="the worker to die")
    del stack.env["QINQING_FAULT_EXIT_AFTER"]
    stack.start("worker")
    allowance = part_filed(citizen, ref, "allowance")
    parts = sql(
        stack,
        "SELECT r.ref FROM service_request r JOIN life_event_case c ON c.id = r.life_event_case WHERE c.ref = {}",
        ref,
    )
    assert [p["ref"] for p in parts] == [allowance]
    clerk = Api(stack.base_url, "street.clerk")
    open_task(clerk, allowance)
    assert [t["request_ref"] for t in clerk.get("/api/tasks").json()].count(allowance) == 1
