"""The clerk workbench against the real stack: claims, decisions, requests for more information,
transfers, supervisors, withdrawal, and the time-limit clock (a working day lasts one second here)."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import re
import time

import pytest

from forms.catalog import load_catalog
from tests.stack.flows import claim, decide, file_example, file_request, open_task, wait_closed, wait_for
from tests.stack.harness import Api, start_stack
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    # Approvals of 200 CNY or more need a second clerk here, so maker-checker shows on small demo
    # amounts (the minimum living allowance's 400 a month), not on the old-age allowance's 100.
    stack = start_stack(
        tmp_path_factory.mktemp("workbench"), QINQING_WORKING_DAY_SECONDS="1", QINQING_CONFIRM_ABOVE_AMOUNT="200"
    )
    try:
        yield stack
    finally:
        stack.shutdown()


def api(hub, username, locale=None) -> Api:
    return Api(hub.base_url, username, locale=locale)


def move(clerk: Api, task_id: int, action: str, **body):
    return clerk.post(f"/api/tasks/{task_id}/{action}", json=body or None)


def timeline_kinds(viewer: Api, ref: str) -> list[str]:
    return [e["kind"] for e in viewer.get(f"/api/requests/{ref}").json()["timeline"]]


def test_only_the_clerk_holding_a_task_decides_it(hub):
    citizen, first, second = api(hub, "zhangsan"), api(hub, "street.clerk"), api(hub, "street.clerk2")
    ref = file_request(citizen).json()["ref"]
    task = open_task(first, ref)
    approve = {"verdict": "approve", "comment": "ok"}
    assert move(first, task["id"], "decision", **approve).status_code == 409  # not claimed yet
    assert claim(first, task["id"]).json()["task"]["assignee"] == "street.clerk"
    assert claim(second, task["id"]).status_code == 409  # held by a colleague
    assert move(first, task["id"], "release").json()["task"]["state"] == "open"
    assert move(first, task["id"], "decision", **approve).status_code == 409  # deciding a released task
    assert claim(second, task["id"]).status_code == 200
    assert move(second, task["id"], "decision", **approve).status_code == 200
    assert move(second, task["id"], "decision", **approve).status_code == 409  # deciding twice
    decided = [k for k in timeline_kinds(first, ref) if k in ("task_approved", "task_rejected")]
    assert decided == ["task_approved"]


def test_a_rejection_carries_a_reason_code(hub):
    citizen, clerk = api(hub, "zhangsan"), api(hub, "street.clerk", "en")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)
    claim(clerk, task["id"])
    r = move(clerk, task["id"], "decision", verdict="reject", comment="地址不符", reason_code="made-up")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason_code"
    r = move(clerk, task["id"], "decision", verdict="reject", comment="地址不符", reason_code="outside-jurisdiction")
    assert r.status_code == 200 and r.json()["task"]["reason_code"] == "outside-jurisdiction"


def test_more_information_goes_to_the_applicant_and_comes_back_to_the_same_clerk(hub):
    citizen, clerk = api(hub, "zhangsan", "en"), api(hub, "street.clerk")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)
    claim(clerk, task["id"])
    before = clerk.get(f"/api/tasks/{task['id']}").json()
    r = move(clerk, task["id"], "information-request", fields=["phone"], message="电话无法接通，请提供新的联系电话")
    assert r.status_code == 200 and r.json()["request_state"] == "waiting_applicant"

    view = citizen.get(f"/api/requests/{ref}").json()
    assert view["state"] == "waiting_applicant"
    (need,) = view["needs_from_applicant"]
    assert need["message"] == "电话无法接通，请提供新的联系电话"
    assert need["fields"] == [{"name": "phone", "label": "Contact phone"}]
    assert move(clerk, task["id"], "decision", verdict="approve").status_code == 409  # waiting for the applicant

    time.sleep(2)  # the clock stands still meanwhile
    timeline = clerk.get(f"/api/requests/{ref}").json()["timeline"]
    paused_at = dt.datetime.fromisoformat(next(e["at"] for e in timeline if e["kind"] == "information_requested"))
    wrong = citizen.post(f"/api/requests/{ref}/supplements", json={"answers": {"address": "别处"}})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "not_requested"
    bad = citizen.post(f"/api/requests/{ref}/supplements", json={"answers": {"phone": "123"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "phone_invalid"
    answered_from = time.time()
    ok = citizen.post(f"/api/requests/{ref}/supplements", json={"answers": {"phone": "13900139000"}})
    answered_by = time.time()
    assert ok.status_code == 200, ok.text
    assert ok.json()["state"] == "in_review" and ok.json()["answers"]["phone"] == "139****9000"

    after = clerk.get(f"/api/tasks/{task['id']}").json()
    assert after["state"] == "claimed" and after["assignee"] == "street.clerk"  # back to the same clerk
    moved = dt.datetime.fromisoformat(after["due_at"]) - dt.datetime.fromisoformat(before["due_at"])
    # The time limit moved by the "working days" (here the seconds since the epoch) the pause
    # covered, whole ones: those whose start it crossed, not its length.
    assert moved.microseconds == 0 and moved >= dt.timedelta(seconds=2), moved
    first = int(paused_at.timestamp())
    assert int(answered_from) - first <= moved.total_seconds() <= int(answered_by) - first, moved
    assert (
        citizen.post(f"/api/requests/{ref}/supplements", json={"answers": {"phone": "13700137000"}}).status_code == 409
    )
    assert move(clerk, task["id"], "decision", verdict="approve", comment="已核实").status_code == 200
    kinds = timeline_kinds(citizen, ref)
    assert kinds.index("information_requested") < kinds.index("information_supplied") < kinds.index("task_approved")


def test_the_decision_expected_moves_with_the_pause_as_the_department_s_limit_does(hub):
    """The date the applicant is told to expect the decision by stands still while they are asked
    for more, and then moves by the working days the pause covered, as the task's limit does."""
    citizen, clerk = api(hub, "zhangsan"), api(hub, "street.clerk")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)
    claim(clerk, task["id"])
    before = citizen.get(f"/api/requests/{ref}").json()
    expected = dt.datetime.fromisoformat(before["decision_expected_by"])
    assert before["decision_paused"] is False
    due = dt.datetime.fromisoformat(clerk.get(f"/api/tasks/{task['id']}").json()["due_at"])
    asked = move(clerk, task["id"], "information-request", fields=["phone"], message="请提供新的联系电话")
    assert asked.status_code == 200, asked.text

    waiting = citizen.get(f"/api/requests/{ref}").json()
    assert waiting["decision_paused"] is True and waiting["decision_expected_by"] == before["decision_expected_by"]
    page = signed_in_page_client(hub, "zhangsan", locale="en")
    try:
        shown = page.get(f"/requests/{ref}").text
        assert "On hold until you answer: this date moves by the working days you take." in shown, shown
        # The clerk's task says its limit is stopped too.
        clerk_page = signed_in_page_client(hub, "street.clerk", locale="en")
        try:
            held = clerk_page.get(f"/workbench/tasks/{task['id']}").text
            assert "Stopped while the applicant is asked" in held, held
        finally:
            signed_in_page_client(hub, "street.clerk", locale="zh_CN")
        time.sleep(2)  # two "working days" of the applicant's
        ok = citizen.post(f"/api/requests/{ref}/supplements", json={"answers": {"phone": "13900139000"}})
        assert ok.status_code == 200, ok.text
        assert "On hold until you answer" not in page.get(f"/requests/{ref}").text
    finally:
        signed_in_page_client(hub, "zhangsan", locale="zh_CN")

    after = citizen.get(f"/api/requests/{ref}").json()
    assert after["decision_paused"] is False
    moved = dt.datetime.fromisoformat(after["decision_expected_by"]) - expected
    task_moved = dt.datetime.fromisoformat(clerk.get(f"/api/tasks/{task['id']}").json()["due_at"]) - due
    assert task_moved >= dt.timedelta(seconds=2), task_moved
    # By the same working days as the task's limit (the answer's step is recorded a moment after the
    # limits resume, which may cross the start of the next "working day" of a second).
    assert task_moved <= moved <= task_moved + dt.timedelta(seconds=2), (moved, task_moved)


def test_reminder_then_escalation_when_a_time_limit_passes(hub):
    citizen, clerk, supervisor = api(hub, "zhangsan"), api(hub, "street.clerk"), api(hub, "street.supervisor")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)  # the first stage's limit: 5 working days, here 5 seconds

    def escalated():
        return "task_escalated" in timeline_kinds(supervisor, ref)

    wait_for(escalated, timeout=30, what="the escalation")
    staff_view = timeline_kinds(supervisor, ref)
    assert staff_view.index("task_reminder") < staff_view.index("task_escalated")
    assert [t["request_ref"] for t in supervisor.get("/api/tasks", params={"escalated": "true"}).json()].count(ref) == 1
    assert citizen.get(f"/api/requests/{ref}").json()["overdue"] is True
    # Internal steps are not shown to the applicant.
    assert not {"task_reminder", "task_escalated"} & set(timeline_kinds(citizen, ref))
    assert supervisor.get("/api/tasks/counts").json()["overdue"] >= 1
    # An overdue task can still be decided.
    assert decide(clerk, task["id"], "approve", "已核实").status_code == 200


def test_withdrawal_before_the_decision(hub):
    citizen, clerk = api(hub, "zhangsan"), api(hub, "street.clerk")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)
    r = citizen.post(f"/api/requests/{ref}/withdrawal", json={"reason": "已搬家"})
    assert r.status_code == 202
    done = wait_for(
        lambda: (b := citizen.get(f"/api/requests/{ref}").json())["state"] == "withdrawn" and b, what="withdrawal"
    )
    assert [d["kind"] for d in done["documents"]] == ["receipt"] and done["timeline"][-1]["kind"] == "request_withdrawn"
    assert [t["state"] for t in done["tasks"]] == ["cancelled"]
    assert decide(clerk, task["id"], "approve", "").status_code == 409
    assert citizen.post(f"/api/requests/{ref}/withdrawal", json={}).status_code == 409
    other = api(hub, "lisi")
    assert other.post(f"/api/requests/{ref}/withdrawal", json={}).status_code == 404


def test_a_decided_request_cannot_be_withdrawn(hub):
    citizen = api(hub, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    for username in ("street.clerk", "civil.clerk"):
        clerk = api(hub, username)
        assert decide(clerk, open_task(clerk, ref)["id"], "approve", "同意").status_code == 200
    wait_closed(citizen, ref)
    assert citizen.post(f"/api/requests/{ref}/withdrawal", json={}).status_code == 409


def test_transfer_to_the_right_department(hub):
    citizen, street, civil = api(hub, "zhangsan"), api(hub, "street.clerk"), api(hub, "civil.clerk")
    ref = file_request(citizen).json()["ref"]
    task = open_task(street, ref)
    claim(street, task["id"])
    r = move(street, task["id"], "transfer", to_department="civil-affairs", reason="申请人户籍不在本街道")
    assert r.status_code == 200 and r.json()["task"]["state"] == "transferred"
    moved = open_task(civil, ref)
    assert moved["stage_id"] == "residence-check"
    assert moved["due_at"] == task["due_at"]  # the time limit runs on
    assert decide(civil, moved["id"], "approve", "核实").status_code == 200
    assert open_task(civil, ref)["stage_id"] == "approval"
    assert "task_transferred" in timeline_kinds(citizen, ref)


def test_supervisor_assigns_and_reads_the_audit_trail(hub):
    citizen, supervisor = api(hub, "zhangsan"), api(hub, "street.supervisor")
    ref = file_request(citizen).json()["ref"]
    task = open_task(supervisor, ref)
    # Civil affairs has no part in the request yet: its supervisor cannot see it.
    assert api(hub, "civil.supervisor").get(f"/api/requests/{ref}/audit").status_code == 404
    r = move(supervisor, task["id"], "assignment", assignee="street.clerk2")
    assert r.status_code == 200 and r.json()["task"]["assignee"] == "street.clerk2"
    assert move(api(hub, "street.clerk"), task["id"], "assignment", assignee="street.clerk").status_code == 403
    assert move(supervisor, task["id"], "assignment", assignee="civil.clerk").status_code == 422  # other department
    clerk2 = api(hub, "street.clerk2")
    assert [t["id"] for t in clerk2.get("/api/tasks", params={"mine": "true"}).json()].count(task["id"]) == 1
    assert move(clerk2, task["id"], "decision", verdict="approve", comment="同意").status_code == 200

    trail = supervisor.get(f"/api/requests/{ref}/audit")
    assert trail.status_code == 200
    actions = [(e["action"], e["actor"]) for e in trail.json()]
    assert ("request.filed", "zhangsan") in actions
    assert ("task.assign", "street.supervisor") in actions
    assert ("task.decide", "street.clerk2") in actions
    assert api(hub, "auditor").get(f"/api/requests/{ref}/audit").status_code == 200
    assert citizen.get(f"/api/requests/{ref}/audit").status_code == 403
    assert api(hub, "street.clerk").get(f"/api/requests/{ref}/audit").status_code == 403  # clerks: no


def test_inbox_filters_sorting_and_counts(hub):
    citizen, clerk = api(hub, "zhangsan"), api(hub, "street.clerk")
    refs = [file_request(citizen).json()["ref"] for _ in range(3)]
    tasks = [open_task(clerk, ref) for ref in refs]
    claim(clerk, tasks[0]["id"])
    inbox = clerk.get("/api/tasks", params={"service": "elderly-care-allowance", "applicant_type": "citizen"}).json()
    dues = [t["due_at"] for t in inbox]
    assert dues == sorted(dues)
    assert {t["id"] for t in tasks} <= {t["id"] for t in inbox}
    assert [t["id"] for t in clerk.get("/api/tasks", params={"mine": "true"}).json()] == [tasks[0]["id"]] or tasks[0][
        "id"
    ] in [t["id"] for t in clerk.get("/api/tasks", params={"mine": "true"}).json()]
    assert clerk.get("/api/tasks", params={"service": "residence-permit"}).json() == []
    counts = clerk.get("/api/tasks/counts").json()
    assert counts["by_state"]["claimed"] >= 1 and counts["by_state"]["open"] >= 2 and counts["mine"] >= 1
    # Newest first: other tests' requests on this hub may open tasks after ours, so the order is
    # checked over the whole inbox rather than assuming ours is the newest.
    newest_first = clerk.get("/api/tasks", params={"sort": "-opened_at"}).json()
    opened = [t["opened_at"] for t in newest_first]
    assert opened == sorted(opened, reverse=True)
    assert clerk.get("/api/tasks", params={"sort": "-opened_at", "limit": 1}).json()[0]["id"] == newest_first[0]["id"]
    # Our three, newest first by when each task opened (their workflows run side by side, so a
    # request filed later may have its task opened sooner).
    ours = [t["id"] for t in newest_first if t["id"] in {task["id"] for task in tasks}]
    assert ours == [t["id"] for t in sorted(tasks, key=lambda t: t["opened_at"], reverse=True)]


def test_inbox_filters_by_time_limit_and_escalation(hub):
    citizen, clerk = api(hub, "zhangsan"), api(hub, "street.clerk")
    task = open_task(clerk, file_request(citizen).json()["ref"])
    due = dt.datetime.fromisoformat(task["due_at"])

    def ids(**params) -> set[int]:
        r = clerk.get("/api/tasks", params=params)
        assert r.status_code == 200, r.text
        return {t["id"] for t in r.json()}

    assert task["id"] in ids(due_before=(due + dt.timedelta(seconds=1)).isoformat())
    assert task["id"] not in ids(due_before=(due - dt.timedelta(seconds=1)).isoformat())
    # Flags are booleans in every row, whatever the database keeps them as.
    row = next(t for t in clerk.get("/api/tasks").json() if t["id"] == task["id"])
    assert row["escalated"] is False and row["reminded"] is False and row["provisional"] in (True, False)
    assert task["id"] in ids(escalated="false") and task["id"] not in ids(escalated="true")


def test_inbox_stays_right_when_the_worker_dies_mid_decision(hub):
    citizen, clerk = api(hub, "zhangsan"), api(hub, "street.clerk")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)
    assert claim(clerk, task["id"]).status_code == 200
    hub.kill_worker()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(move, clerk, task["id"], "decision", verdict="approve", comment="同意")
        time.sleep(2)
        hub.start("worker")
        assert pending.result().status_code == 200
    view = clerk.get(f"/api/tasks/{task['id']}").json()
    assert view["state"] == "approved"
    assert timeline_kinds(clerk, ref).count("task_approved") == 1
    assert task["id"] not in [t["id"] for t in clerk.get("/api/tasks").json()]


def test_large_amounts_need_a_second_clerk(hub):
    applicant = api(hub, "lisi")
    r = file_example(applicant, load_catalog().latest("minimum-living-allowance"))
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    maker, checker = api(hub, "street.clerk"), api(hub, "street.clerk2")
    task = open_task(maker, ref)
    proposed = decide(maker, task["id"], "approve", "收入核实")
    assert proposed.status_code == 200 and proposed.json()["task"]["state"] == "awaiting_confirmation"
    assert move(maker, task["id"], "confirmation", accept=True).status_code == 409  # not by the maker
    sent_back = move(checker, task["id"], "confirmation", accept=False, comment="请核对收入证明")
    assert sent_back.status_code == 200 and sent_back.json()["task"]["state"] == "claimed"
    assert sent_back.json()["task"]["assignee"] == "street.clerk"  # back to the maker
    assert move(maker, task["id"], "decision", verdict="approve", comment="已核对").status_code == 200
    confirmed = move(checker, task["id"], "confirmation", accept=True, comment="同意")
    assert confirmed.status_code == 200 and confirmed.json()["task"]["state"] == "approved"
    kinds = timeline_kinds(maker, ref)
    assert kinds.count("decision_proposed") == 2 and kinds.count("task_approved") == 1
    assert open_task(api(hub, "civil.clerk"), ref)["stage_id"] == "approval"  # the route goes on


def test_an_away_clerks_new_tasks_go_to_their_delegate(hub):
    citizen, away, supervisor = api(hub, "zhangsan"), api(hub, "street.clerk"), api(hub, "street.supervisor")
    assert away.put("/api/me/delegate", json={"delegate": "civil.clerk"}).status_code == 422  # another department
    assert away.put("/api/me/delegate", json={"delegate": "street.clerk2"}).status_code == 200
    colleague = api(hub, "street.clerk2")
    try:
        ref = file_request(citizen).json()["ref"]
        task = open_task(supervisor, ref)
        assigned = move(supervisor, task["id"], "assignment", assignee="street.clerk")
        assert assigned.json()["task"]["assignee"] == "street.clerk2"
        # The delegate cannot hand her work back to the clerk who is away: nobody would hold it.
        loop = colleague.put("/api/me/delegate", json={"delegate": "street.clerk"})
        assert loop.status_code == 422 and loop.json()["errors"][0]["code"] == "delegate_away", loop.text
    finally:
        assert away.put("/api/me/delegate", json={"delegate": None}).status_code == 200
    ref = file_request(citizen).json()["ref"]
    task = open_task(supervisor, ref)
    assert (
        move(supervisor, task["id"], "assignment", assignee="street.clerk").json()["task"]["assignee"] == "street.clerk"
    )


def test_the_inbox_names_who_holds_a_task(hub):
    """The inbox says who holds a task by their name (with the sign-in name), as the task page does:
    a supervisor sees the clerk's, a clerk their own."""
    citizen, clerk = api(hub, "zhangsan"), api(hub, "street.clerk")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)
    assert claim(clerk, task["id"]).status_code == 200

    def held_by(username: str) -> str:
        page = signed_in_page_client(hub, username).get("/workbench").text
        row = next(r for r in page.split("<tr>") if f'/workbench/tasks/{task["id"]}"' in r)
        return re.search(r'<td data-label="[^"]+">([^<]*)</td>\s*</tr>', row + "</tr>").group(1)

    assert held_by("street.supervisor") == "王芳 (street.clerk)"
    assert held_by("street.clerk") == "王芳 (street.clerk)"
