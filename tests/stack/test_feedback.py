"""Ratings with a closed loop and grievances, on the real stack: a bad rating's follow-up from the
rating to the applicant's rating of the answer, its time limit on the working-day calendar, an
appeal upheld and left out of the open data, grievances routed, sealed, answered and appealed, a
grievance about a named clerk kept to the supervisors, and one the department cannot judge on its
own handled by the oversight office."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.stack.db import run_python, sql
from tests.stack.flows import csrf_of, decide, file_request, open_task, signed_in_browser, wait_closed, wait_for
from tests.stack.harness import Api

pytestmark = pytest.mark.stack

# The department that owns the old-age allowance, and so follows up its ratings.
OWNER = "civil-affairs"


def decided_request(stack, citizen: Api) -> str:
    """A request of the citizen's, rejected by the sub-district office (its first step)."""
    ref = file_request(citizen).json()["ref"]
    street = Api(stack.base_url, "street.clerk")
    assert decide(street, open_task(street, ref)["id"], "reject", "no").status_code == 200
    wait_closed(citizen, ref)
    return ref


def follow_up_of(citizen: Api, ref: str) -> dict:
    return wait_for(
        lambda: next((c for c in citizen.get("/api/cases/mine").json() if c["request_ref"] == ref), None),
        what=f"the follow-up of {ref}",
    )


def due_on_calendar(stack, opened_at: str, days: int) -> dt.datetime:
    """What the hub's working-day calendar gives as the limit (the catalog's national schedules and
    those published in the stack's database), asked in a process with the stack's settings."""
    out = run_python(
        stack,
        "import asyncio, datetime as dt\n"
        "from forms.catalog import load_catalog\n"
        "from hub.db.lifecycle import database\n"
        "from hub.settings import load_settings\n"
        "from hub.sla.schedules import CalendarBook\n"
        "async def main():\n"
        "    async with database(load_settings()):\n"
        "        calendar = await CalendarBook(load_catalog().calendars).calendar(frozenset(), frozenset())\n"
        f"        print(calendar.plan(dt.datetime.fromisoformat({opened_at!r}), {days})[0].isoformat())\n"
        "asyncio.run(main())\n",
    )
    return dt.datetime.fromisoformat(out.strip().splitlines()[-1])


def test_a_bad_rating_is_followed_up_contacted_answered_and_rated(stack):
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    ref = decided_request(stack, citizen)
    good = decided_request(stack, citizen)
    assert citizen.post(f"/api/requests/{good}/rating", json={"score": 4}).status_code == 201
    assert citizen.post(f"/api/requests/{ref}/rating", json={"score": 2, "comment": "Nobody called"}).status_code == 201
    mine = follow_up_of(citizen, ref)
    assert not [c for c in citizen.get("/api/cases/mine").json() if c["request_ref"] == good]  # 4: no follow-up
    assert mine["kind"] == "follow_up" and mine["state"] == "open" and mine["sla"] == "on_track"

    clerk = Api(stack.base_url, "civil.clerk", locale="en")
    listed = next(c for c in clerk.get("/api/cases").json() if c["ref"] == mine["ref"])
    assert listed["request_ref"] == ref
    # Five working days on the national calendar (weekends and holidays skipped), the hub's default.
    case = clerk.get(f"/api/cases/{mine['ref']}").json()
    assert case["working_days"] == 5 and case["department"] == OWNER
    # The department reads what it follows up: the score and the applicant's words.
    assert case["rating_score"] == 2 and case["rating_comment"] == "Nobody called"
    own = citizen.get(f"/api/cases/{mine['ref']}").json()
    # Its author reads the same: the case page says what it follows up.
    assert own["rating_score"] == 2 and own["rating_comment"] == "Nobody called"
    assert dt.datetime.fromisoformat(case["due_at"]) == due_on_calendar(stack, case["opened_at"], 5)
    # Another department does not see it.
    assert Api(stack.base_url, "street.clerk").get(f"/api/cases/{mine['ref']}").status_code == 404

    # Closing it without having contacted the applicant is refused, and changes nothing.
    early = clerk.post(
        f"/api/cases/{mine['ref']}/answer",
        json={"outcome": "resolved", "cause": "A missed call", "fix": "Called back", "answer": "Sorry"},
    )
    assert early.status_code == 422, early.text
    assert early.json()["type"] == "/problems/contact-required"
    assert early.json()["errors"][0]["field"] == "contact"
    assert clerk.get(f"/api/cases/{mine['ref']}").json()["state"] == "open"
    bad_time = clerk.post(
        f"/api/cases/{mine['ref']}/contacts",
        json={"contacted_at": "2099-01-01T10:00:00+08:00", "channel": "phone", "summary": "Called"},
    )
    assert bad_time.status_code == 422 and bad_time.json()["errors"][0]["field"] == "contacted_at"

    when = dt.datetime.now(dt.UTC).replace(microsecond=0)
    contacted = clerk.post(
        f"/api/cases/{mine['ref']}/contacts",
        json={"contacted_at": when.isoformat(), "channel": "phone", "summary": "She was not told the reason"},
    )
    assert contacted.status_code == 201, contacted.text
    [contact] = contacted.json()["contacts"]
    assert contact["channel"] == "phone" and contact["clerk"] == "civil.clerk"
    answered = clerk.post(
        f"/api/cases/{mine['ref']}/answer",
        json={
            "outcome": "resolved",
            "cause": "The rejection notice named no reason",
            "fix": "The notice template now states the rule applied",
            "answer": "We are sorry: the rule that applied is explained in the letter we sent again.",
        },
    )
    assert answered.status_code == 200, answered.text

    # The applicant reads the answer (not the clerk's own notes) and is told of it.
    seen = citizen.get(f"/api/cases/{mine['ref']}").json()
    assert seen["state"] == "answered" and seen["outcome"] == "resolved" and seen["sla"] == "met"
    assert seen["fix"] == "The notice template now states the rule applied"
    assert seen["contacts"][0]["summary"] == "" and seen["contacts"][0]["channel"] == "phone"
    wait_for(
        lambda: [m for m in citizen.get("/api/messages").json()["messages"] if mine["ref"] in m["subject"]],
        what="the message that the follow-up is answered",
    )
    assert citizen.post(f"/api/cases/{mine['ref']}/rating", json={"score": 9}).status_code == 422
    assert Api(stack.base_url, "lisi").post(f"/api/cases/{mine['ref']}/rating", json={"score": 5}).status_code == 404
    rated = citizen.post(f"/api/cases/{mine['ref']}/rating", json={"score": 4})
    assert rated.status_code == 200 and rated.json()["state"] == "closed" and rated.json()["answer_score"] == 4
    assert citizen.post(f"/api/cases/{mine['ref']}/rating", json={"score": 1}).status_code == 409
    actions = [r["action"] for r in sql(stack, "SELECT action FROM audit_event WHERE object_id = {}", mine["ref"])]
    for action in ("case.opened", "case.viewed", "case.contacted", "case.answered", "case.rated"):
        assert action in actions


def _levels(api: Api) -> dict:
    year = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year
    body = api.get("/api/open/service-levels", params={"year": year}).json()
    return next(s for s in body["services"] if s["service_id"] == "elderly-care-allowance")


def test_an_upheld_appeal_leaves_the_rating_out_of_the_open_data(stack):
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    public = Api(stack.base_url)
    refs = [decided_request(stack, citizen) for _ in range(6)]
    for ref in refs[:5]:
        assert citizen.post(f"/api/requests/{ref}/rating", json={"score": 5}).status_code == 201
    assert citizen.post(f"/api/requests/{refs[5]}/rating", json={"score": 1}).status_code == 201
    case = follow_up_of(citizen, refs[5])
    before = _levels(public)
    assert before["ratings"] is not None and before["ratings"] >= 6

    clerk = Api(stack.base_url, "civil.clerk", locale="en")
    supervisor = Api(stack.base_url, "civil.supervisor", locale="en")
    reasonless = clerk.post(f"/api/cases/{case['ref']}/appeal", json={"reason": "  "})
    assert reasonless.status_code == 422 and reasonless.json()["errors"][0]["field"] == "reason"
    assert clerk.get(f"/api/cases/{case['ref']}").json()["appeal_state"] == ""
    reason = "The applicant's household registration is elsewhere: the allowance was refused by law."
    assert clerk.post(f"/api/cases/{case['ref']}/appeal", json={"reason": reason}).status_code == 200
    assert clerk.post(f"/api/cases/{case['ref']}/appeal", json={"reason": reason}).status_code == 409
    # Only a supervisor decides it.
    assert (
        clerk.post(f"/api/cases/{case['ref']}/appeal-decision", json={"upheld": True, "note": "x"}).status_code == 403
    )
    assert _levels(public) == before
    decided = supervisor.post(
        f"/api/cases/{case['ref']}/appeal-decision", json={"upheld": True, "note": "Refused by law, not by us"}
    )
    assert decided.status_code == 200 and decided.json()["appeal_state"] == "upheld"

    after = wait_for(lambda: (lambda s: s if s["ratings"] != before["ratings"] else None)(_levels(public)), 10)
    assert after["ratings"] == before["ratings"] - 1
    assert after["average_rating"] > before["average_rating"]
    [stored] = sql(
        stack, "SELECT excluded FROM rating WHERE request = (SELECT id FROM service_request WHERE ref = {})", refs[5]
    )
    assert stored["excluded"] in (True, 1)
    excluded = sql(stack, "SELECT actor, request_ref FROM audit_event WHERE action = {}", "rating.excluded")
    assert refs[5] in [e["request_ref"] for e in excluded]


def test_nobody_decides_their_own_appeal(stack):
    """The civil affairs bureau's only supervisor appeals a rating herself: she may not decide it,
    and as nobody else in the bureau may, the oversight office does."""
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    ref = decided_request(stack, citizen)
    assert citizen.post(f"/api/requests/{ref}/rating", json={"score": 1}).status_code == 201
    case = follow_up_of(citizen, ref)
    supervisor = Api(stack.base_url, "civil.supervisor", locale="en")
    appealed = supervisor.post(f"/api/cases/{case['ref']}/appeal", json={"reason": "The rating is unfair"})
    assert appealed.status_code == 200, appealed.text
    own = supervisor.post(f"/api/cases/{case['ref']}/appeal-decision", json={"upheld": True, "note": "Agreed"})
    assert own.status_code == 403, own.text
    read = supervisor.get(f"/api/cases/{case['ref']}").json()
    assert read["appeal_state"] == "pending" and read["can_decide_appeal"] is False
    [stored] = sql(
        stack, "SELECT excluded FROM rating WHERE request = (SELECT id FROM service_request WHERE ref = {})", ref
    )
    assert stored["excluded"] in (False, 0)
    auditor = Api(stack.base_url, "auditor", locale="en")
    assert case["ref"] in [c["ref"] for c in auditor.get("/api/cases").json()]
    decided = auditor.post(f"/api/cases/{case['ref']}/appeal-decision", json={"upheld": False, "note": "Fair"})
    assert decided.status_code == 200 and decided.json()["appeal_state"] == "dismissed", decided.text


def test_grievances_are_routed_sealed_answered_and_appealed(stack):
    citizen = Api(stack.base_url, "lisi", locale="en")
    # Bad input: nothing is stored.
    empty = citizen.post("/api/grievances", json={"subject": "service", "text": " ", "service_id": "nope"})
    assert empty.status_code == 422
    assert {e["field"] for e in empty.json()["errors"]} == {"text", "service_id"}
    filed = citizen.post(
        "/api/grievances",
        json={"subject": "payment", "service_id": "elderly-care-allowance", "text": "My allowance came a month late"},
    )
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    [row] = sql(stack, "SELECT text, department, sensitive FROM feedback_case WHERE ref = {}", ref)
    assert row["department"] == OWNER and "late" not in row["text"]  # sealed at rest
    mine = citizen.get(f"/api/cases/{ref}").json()
    assert mine["text"] == "My allowance came a month late" and mine["sla"] == "on_track"

    clerk = Api(stack.base_url, "civil.clerk", locale="en")
    assert ref in [c["ref"] for c in clerk.get("/api/cases", params={"kind": "grievance"}).json()]
    assert clerk.post(f"/api/cases/{ref}/answer", json={"outcome": "upheld", "answer": ""}).status_code == 422
    answered = clerk.post(
        f"/api/cases/{ref}/answer", json={"outcome": "partly_upheld", "answer": "The bank file was sent late."}
    )
    assert answered.status_code == 200, answered.text
    assert citizen.get(f"/api/cases/{ref}").json()["answer"] == "The bank file was sent late."
    # The author appeals the answer to the supervisor, with a reason.
    assert citizen.post(f"/api/cases/{ref}/appeal", json={"reason": ""}).status_code == 422
    assert citizen.post(f"/api/cases/{ref}/appeal", json={"reason": "It happened twice"}).status_code == 200
    decided = Api(stack.base_url, "civil.supervisor").post(
        f"/api/cases/{ref}/appeal-decision", json={"upheld": False, "note": "Both months were paid in full."}
    )
    assert decided.status_code == 200
    assert citizen.get(f"/api/cases/{ref}").json()["appeal_note"] == "Both months were paid in full."


def test_an_anonymous_grievance_keeps_no_name(stack):
    citizen = Api(stack.base_url, "wangwu", locale="en")
    filed = citizen.post(
        "/api/grievances",
        json={
            "subject": "service",
            "service_id": "elderly-care-allowance",
            "text": "Rude at the counter",
            "anonymous": True,
        },
    )
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    [row] = sql(stack, "SELECT account FROM feedback_case WHERE ref = {}", ref)
    assert row["account"] is None
    [event] = sql(stack, "SELECT actor, remote_addr FROM audit_event WHERE object_id = {}", ref)
    assert event["actor"] is None and not event["remote_addr"]
    assert ref not in [c["ref"] for c in citizen.get("/api/cases/mine").json()]
    assert citizen.get(f"/api/cases/{ref}").status_code == 404  # not followed up by name, not even to its author
    listed = next(c for c in Api(stack.base_url, "civil.clerk").get("/api/cases").json() if c["ref"] == ref)
    assert listed["anonymous"] is True


def test_a_grievance_about_a_named_clerk_is_for_supervisors_only(stack):
    citizen = Api(stack.base_url, "zhaoliu", locale="en")
    unknown = citizen.post("/api/grievances", json={"subject": "clerk", "clerk": "nobody.here", "text": "Rude"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "clerk"
    filed = citizen.post(
        "/api/grievances", json={"subject": "clerk", "clerk": "street.clerk", "text": "He shouted at me"}
    )
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    for username in ("street.clerk", "street.clerk2"):
        colleague = Api(stack.base_url, username)
        assert colleague.get(f"/api/cases/{ref}").status_code == 404
        assert ref not in [c["ref"] for c in colleague.get("/api/cases").json()]
        assert colleague.post(f"/api/cases/{ref}/answer", json={"outcome": "upheld", "answer": "x"}).status_code == 404
    supervisor = Api(stack.base_url, "street.supervisor")
    case = supervisor.get(f"/api/cases/{ref}").json()
    assert case["sensitive"] is True and case["department"] == "street-office"
    assert ref in [c["ref"] for c in supervisor.get("/api/cases").json()]
    assert citizen.get(f"/api/cases/{ref}").json()["text"] == "He shouted at me"
    assert case["oversight"] is False and case["named"] == "王芳 (street.clerk)"
    # The oversight office does not handle a department's own case.
    auditor = Api(stack.base_url, "auditor", locale="en")
    assert auditor.get(f"/api/cases/{ref}").status_code == 404
    assert ref not in [c["ref"] for c in auditor.get("/api/cases").json()]


def test_a_clerk_is_named_as_citizens_know_them_and_an_appeal_goes_where_someone_may_decide_it(stack):
    """A citizen names the clerk by the name on her badge (sealed at rest, so not searchable as
    stored). The office's only supervisor answers; the author appeals; she may not decide an appeal
    against her own answer, so the oversight office does."""
    citizen = Api(stack.base_url, "zhaoliu", locale="en")
    filed = citizen.post("/api/grievances", json={"subject": "clerk", "clerk": " 王芳 ", "text": "She hung up on me"})
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    supervisor = Api(stack.base_url, "street.supervisor", locale="en")
    case = supervisor.get(f"/api/cases/{ref}").json()
    assert case["named"] == "王芳 (street.clerk)" and case["department"] == "street-office"
    assert citizen.get(f"/api/cases/{ref}").json()["named"] == ""
    with signed_in_browser(stack.base_url, "street.supervisor") as page:
        assert "王芳 (street.clerk)" in page.get(f"/feedback/{ref}").text
    answer = {"outcome": "not_upheld", "answer": "The call dropped; she called back."}
    assert supervisor.post(f"/api/cases/{ref}/answer", json=answer).status_code == 200
    assert citizen.post(f"/api/cases/{ref}/appeal", json={"reason": "Nobody called back"}).status_code == 200
    assert supervisor.get(f"/api/cases/{ref}").json()["can_decide_appeal"] is False
    auditor = Api(stack.base_url, "auditor", locale="en")
    assert ref in [c["ref"] for c in auditor.get("/api/cases").json()]
    assert auditor.get(f"/api/cases/{ref}").json()["can_decide_appeal"] is True
    decided = auditor.post(f"/api/cases/{ref}/appeal-decision", json={"upheld": True, "note": "No call was logged."})
    assert decided.status_code == 200 and decided.json()["appeal_state"] == "upheld", decided.text


def test_a_grievance_the_department_cannot_judge_goes_to_the_oversight_office(stack):
    citizen = Api(stack.base_url, "zhaoliu", locale="en")
    supervisor = Api(stack.base_url, "street.supervisor", locale="en")
    auditor = Api(stack.base_url, "auditor", locale="en")
    # About the sub-district office's only supervisor: she never sees or answers the case about
    # herself, and the oversight office does.
    about_the_supervisor = citizen.post(
        "/api/grievances", json={"subject": "clerk", "clerk": "street.supervisor", "text": "She ignored me"}
    )
    assert about_the_supervisor.status_code == 201, about_the_supervisor.text
    named = about_the_supervisor.json()["ref"]
    answer = {"outcome": "partly_upheld", "answer": "She has been reminded of the reply times."}
    for username in ("street.supervisor", "street.clerk", "civil.supervisor"):
        staff = Api(stack.base_url, username)
        assert staff.get(f"/api/cases/{named}").status_code == 404
        assert named not in [c["ref"] for c in staff.get("/api/cases").json()]
        assert staff.post(f"/api/cases/{named}/answer", json=answer).status_code == 404
    listed = next(c for c in auditor.get("/api/cases").json() if c["ref"] == named)
    assert listed["oversight"] is True and listed["sensitive"] is True
    case = auditor.get(f"/api/cases/{named}").json()
    assert case["text"] == "She ignored me" and case["department"] == "street-office" and case["can_answer"]
    assert auditor.post(f"/api/cases/{named}/answer", json=answer).status_code == 200
    read = citizen.get(f"/api/cases/{named}").json()
    assert read["oversight"] is True and read["answer"] == answer["answer"]
    # The author appeals; the auditor who answered may not decide it, nor may the supervisor named.
    assert citizen.post(f"/api/cases/{named}/appeal", json={"reason": "Nothing changed"}).status_code == 200
    decision = {"upheld": True, "note": "x"}
    own = auditor.post(f"/api/cases/{named}/appeal-decision", json=decision)
    assert own.status_code == 403 and own.json()["type"] == "/problems/own-appeal", own.text
    assert auditor.get(f"/api/cases/{named}").json()["can_decide_appeal"] is False
    assert supervisor.post(f"/api/cases/{named}/appeal-decision", json=decision).status_code == 404
    assert auditor.get(f"/api/cases/{named}").json()["appeal_state"] == "pending"
    # The handling is audited under the auditor's name.
    [viewed] = sql(
        stack,
        "SELECT count(*) AS n FROM audit_event e JOIN account a ON a.id = e.actor "
        "WHERE e.object_id = {} AND e.action = 'case.viewed' AND a.username = 'auditor'",
        named,
    )
    assert viewed["n"] >= 1

    # About a clerk of a department with no supervisor: the oversight office, not a colleague.
    about_a_clerk = citizen.post("/api/grievances", json={"subject": "clerk", "clerk": "hr.clerk", "text": "Rude"})
    assert about_a_clerk.status_code == 201, about_a_clerk.text
    unsupervised = about_a_clerk.json()["ref"]
    assert Api(stack.base_url, "hr.clerk2").get(f"/api/cases/{unsupervised}").status_code == 404
    assert auditor.get(f"/api/cases/{unsupervised}").json()["oversight"] is True

    # Another member of the office decides the appeal against her colleague's answer.
    decided = Api(stack.base_url, "auditor2").post(
        f"/api/cases/{named}/appeal-decision", json={"upheld": False, "note": "The reminder was enough."}
    )
    assert decided.status_code == 200, decided.text
    assert citizen.get(f"/api/cases/{named}").json()["appeal_note"] == "The reminder was enough."

    # The oversight office on its pages: its cases, in its navigation; it answers one, and another
    # member decides the appeal against that answer.
    with signed_in_browser(stack.base_url, "auditor") as browser:
        page = browser.get("/workbench/cases")
        assert page.status_code == 200 and unsupervised in page.text and 'href="/workbench/cases"' in page.text
        one = browser.get(f"/feedback/{unsupervised}")
        assert one.status_code == 200 and "Rude" in one.text and f'action="/feedback/{unsupervised}/answer"' in one.text
        answered = browser.post(
            f"/feedback/{unsupervised}/answer",
            data={
                "_csrf_token": csrf_of(one.text),
                "outcome": "not_upheld",
                "answer": "The recording shows no rudeness.",
            },
        )
        assert answered.status_code == 303, answered.text
    assert citizen.get(f"/api/cases/{unsupervised}").json()["answer"] == "The recording shows no rudeness."
    assert citizen.post(f"/api/cases/{unsupervised}/appeal", json={"reason": "Listen again"}).status_code == 200
    with signed_in_browser(stack.base_url, "auditor2") as browser:
        one = browser.get(f"/feedback/{unsupervised}")
        assert f'action="/feedback/{unsupervised}/decision"' in one.text
        decided = browser.post(
            f"/feedback/{unsupervised}/decision",
            data={"_csrf_token": csrf_of(one.text), "upheld": "yes", "note": "Listened again: it was rude."},
        )
        assert decided.status_code == 303, decided.text
    assert citizen.get(f"/api/cases/{unsupervised}").json()["appeal_state"] == "upheld"


def test_the_oversight_office_decides_an_appeal_where_the_department_has_no_supervisor(stack):
    """The human resources bureau has clerks and no supervisor: an appeal against its answer would
    wait forever, so the oversight office decides it."""
    citizen = Api(stack.base_url, "zhaoliu", locale="en")
    filed = citizen.post(
        "/api/grievances",
        json={"subject": "service", "service_id": "basic-pension-claim", "text": "My pension was calculated wrongly"},
    )
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    clerk = Api(stack.base_url, "hr.clerk", locale="en")
    answered = clerk.post(f"/api/cases/{ref}/answer", json={"outcome": "not_upheld", "answer": "It is correct."})
    assert answered.status_code == 200, answered.text
    assert citizen.post(f"/api/cases/{ref}/appeal", json={"reason": "Check the years again"}).status_code == 200
    decision = {"upheld": True, "note": "Two years were missing from the record."}
    assert clerk.post(f"/api/cases/{ref}/appeal-decision", json=decision).status_code == 403
    auditor = Api(stack.base_url, "auditor", locale="en")
    assert ref in [c["ref"] for c in auditor.get("/api/cases").json()]
    case = auditor.get(f"/api/cases/{ref}").json()
    assert case["appeal_oversight"] is True and case["can_decide_appeal"] and not case["can_answer"]
    # An auditor reads a department's case only to decide its appeal: not one of another department.
    other = citizen.post(
        "/api/grievances",
        json={"subject": "payment", "service_id": "elderly-care-allowance", "text": "Late again"},
    ).json()["ref"]
    assert auditor.get(f"/api/cases/{other}").status_code == 404
    assert auditor.post(f"/api/cases/{ref}/appeal-decision", json=decision).status_code == 200
    read = citizen.get(f"/api/cases/{ref}").json()
    assert read["appeal_state"] == "upheld" and read["appeal_note"] == decision["note"]
    # The bureau still sees its case and what became of the appeal.
    assert clerk.get(f"/api/cases/{ref}").json()["appeal_state"] == "upheld"


def test_the_filing_and_each_step_are_rated_and_a_bad_step_is_followed_up_by_its_department(stack):
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    ref = file_request(citizen).json()["ref"]
    url = f"/api/requests/{ref}/stage-ratings"
    street = Api(stack.base_url, "street.clerk")
    task = open_task(street, ref)
    step = citizen.get(f"/api/requests/{ref}").json()["tasks"][0]["stage_id"]
    early = citizen.post(url, json={"stage": "step", "step": step, "score": 1})
    assert early.status_code == 409 and early.json()["type"] == "/problems/not-done"
    assert citizen.post(url, json={"stage": "queue", "score": 3}).status_code == 422
    filing = citizen.post(url, json={"stage": "filing", "score": 2, "comment": "The form was long"})
    assert filing.status_code == 201, filing.text
    assert decide(street, task["id"], "reject", "no").status_code == 200
    wait_closed(citizen, ref)
    rated = citizen.post(url, json={"stage": "step", "step": step, "score": 1})
    assert rated.status_code == 201, rated.text
    assert rated.json()["department"] == "street-office"
    assert citizen.post(url, json={"stage": "step", "step": step, "score": 5}).status_code == 409
    assert Api(stack.base_url, "lisi").post(url, json={"stage": "filing", "score": 5}).status_code == 404
    cases = wait_for(
        lambda: (lambda cs: cs if len(cs) == 2 else None)(
            [c for c in citizen.get("/api/cases/mine").json() if c["request_ref"] == ref]
        ),
        what="a follow-up for the filing and one for the step",
    )
    departments = sorted(citizen.get(f"/api/cases/{c['ref']}").json()["department"] for c in cases)
    assert departments == [OWNER, "street-office"]
    # The step's follow-up is in the street office's list, the filing's in the owner's.
    street_cases = [c["ref"] for c in street.get("/api/cases").json()]
    assert sum(c["ref"] in street_cases for c in cases) == 1


def test_parallel_appeals_and_ratings_count_once(stack):
    from concurrent.futures import ThreadPoolExecutor

    citizen = Api(stack.base_url, "chenjianguo", locale="en")
    body = {"subject": "service", "service_id": "elderly-care-allowance", "text": "Twice asked for the same paper"}
    ref = citizen.post("/api/grievances", json=body).json()["ref"]
    clerk = Api(stack.base_url, "civil.clerk")
    assert clerk.post(f"/api/cases/{ref}/answer", json={"outcome": "upheld", "answer": "Sorry"}).status_code == 200
    clients = [Api(stack.base_url, "chenjianguo") for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        appeals = list(
            pool.map(lambda c: c.post(f"/api/cases/{ref}/appeal", json={"reason": "again"}).status_code, clients)
        )
    assert sorted(appeals) == [200, 409, 409, 409, 409, 409]
    with ThreadPoolExecutor(6) as pool:
        scores = list(pool.map(lambda c: c.post(f"/api/cases/{ref}/rating", json={"score": 2}).status_code, clients))
    assert sorted(scores) == [200, 409, 409, 409, 409, 409]
    appealed = sql(stack, "SELECT action FROM audit_event WHERE object_id = {} AND action = {}", ref, "case.appealed")
    assert len(appealed) == 1
