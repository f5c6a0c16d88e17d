"""What a new user found on the pages: unstyled claim buttons, money paid on one click without a
confirmation, criteria read as "met: C/D firms are not refunded", a decided task that did not say
who decided what, timelines with raw amounts and departments said twice, mixed colons, and the
browser's own validation bubbles."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from forms.catalog import load_catalog
from forms.samples import example_answers
from tests.stack.flows import decide, file_request, file_service, open_task, program_spec, wait_claim, wait_for
from tests.stack.harness import Api
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack


@contextmanager
def english_pages(stack, username: str):
    """A page session of ``username`` in English; the account's language (kept on the account and
    shared with every other test of the stack) is set back to Chinese afterwards."""
    client = signed_in_page_client(stack, username, locale="en")
    try:
        yield client
    finally:
        signed_in_page_client(stack, username, locale="zh_CN")


CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def test_a_claim_of_money_is_confirmed_with_amount_enterprise_and_account(stack):
    code = "confirm-claim"
    spec = program_spec(code, amount="16000", cap_per_enterprise="16000")
    assert Api(stack.base_url, "admin").post("/api/programs", json=spec).status_code == 201
    page = signed_in_page_client(stack, "yunqi", locale="zh_CN")

    policies = page.get("/policies").text
    # The enterprise acted for is named; the claim is a styled link to the confirmation, not a bare button.
    assert "杭州云栖智算科技有限公司" in policies
    assert f'<a class="button primary" href="/policies/{code}/claim">' in policies
    assert '<button type="submit">' not in policies
    # A criterion is the subject, its result said separately.
    assert "条件：" in policies and "结果：您符合该条件" in policies
    assert "✓ 符合</span>:" not in policies

    # A post without the confirmation pays nothing: it leads to the confirmation.
    token = CSRF.search(policies).group(1)
    unconfirmed = page.post(f"/policies/{code}/claim", data={"_csrf_token": token})
    assert unconfirmed.status_code == 303 and unconfirmed.headers["location"] == f"/policies/{code}/claim"
    claims = Api(stack.base_url, "yunqi").get("/api/enterprise/claims").json()
    assert not any(c["program"] == code for c in claims), claims

    confirmation = page.get(f"/policies/{code}/claim")
    assert confirmation.status_code == 200
    text = confirmation.text
    assert "¥16,000.00" in text and "杭州云栖智算科技有限公司" in text
    assert "尾号 6789" in text and "6222021202003456789" not in text
    assert 'name="confirmed" value="yes"' in text and '<button type="submit" class="primary">' in text

    done = page.post(f"/policies/{code}/claim", data={"_csrf_token": CSRF.search(text).group(1), "confirmed": "yes"})
    assert done.status_code == 303 and done.headers["location"] == "/claims?done=paid", done.text
    claims = Api(stack.base_url, "yunqi").get("/api/enterprise/claims").json()
    claim = next(c for c in claims if c["program"] == code)
    assert claim["state"] == "paid"

    # The claim's timeline: the payment as money, in the page's language.
    request_page = page.get(f"/requests/{claim['request_ref']}").text
    timeline = request_page.split('class="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "¥16,000.00" in timeline and "16000.00" not in timeline, timeline
    english = signed_in_page_client(stack, "yunqi", locale="en")
    assert "CN¥16,000.00" in english.get(f"/requests/{claim['request_ref']}").text
    signed_in_page_client(stack, "yunqi", locale="zh_CN")  # the account's language back as it was


def test_open_data_s_button_is_styled(stack):
    page = Api(stack.base_url).get("/open").text
    assert '<button type="submit" class="primary">' in page


def test_a_decided_task_says_who_decided_what_and_when(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    task = open_task(clerk, ref)
    clerk_page = signed_in_page_client(stack, "street.clerk", locale="zh_CN")

    open_page = clerk_page.get(f"/workbench/tasks/{task['id']}").text
    # The applicant is named once (the form's own name field says it).
    assert open_page.count("<dt>申请人</dt>") + open_page.count(">姓名</dt>") == 1, open_page
    assert clerk.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    held = clerk_page.get(f"/workbench/tasks/{task['id']}").text
    assert "(王芳)" in held and "(street.clerk)" not in held
    # The rejection reason is shown only for a rejection (app.js; always without it).
    assert 'data-shown-when="verdict" data-shown-values="reject"' in held
    # The forms leave checking to the hub: its summary and messages, in the page's language.
    assert f'action="/workbench/tasks/{task["id"]}/decide" class="stack" novalidate>' in held

    body = {"verdict": "approve", "comment": "材料齐全，同意"}
    assert clerk.post(f"/api/tasks/{task['id']}/decision", json=body).status_code == 200

    def decided_page():
        text = clerk_page.get(f"/workbench/tasks/{task['id']}").text
        return text if "决定人" in text else None

    decided = wait_for(decided_page, what="the decided task's page")
    section = decided.split('id="decide"', 1)[1].split("</section>", 1)[0]
    assert "此任务没有待作出的决定" not in section
    assert "王芳" in section and "材料齐全，同意" in section and "<time" in section
    assert "(street.clerk)" not in decided

    # The citizen's timeline names each step's department once.
    citizen_page = signed_in_page_client(stack, "zhangsan", locale="zh_CN").get(f"/requests/{ref}").text
    timeline = citizen_page.split('class="timeline"', 1)[1].split("</ol>", 1)[0]
    for item in re.findall(r"<li>(.*?)</li>", timeline, re.S):
        what = re.search(r'class="what">([^<]*)<', item).group(1)
        dept = re.search(r'class="dept">([^<]*)<', item)
        assert dept is None or dept.group(1) not in what, item


def test_a_rejected_task_shows_its_reason(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    task = open_task(clerk, ref)
    assert decide(clerk, task["id"], "reject", comment="不符合条件").status_code == 200
    page = signed_in_page_client(stack, "street.clerk", locale="en").get(f"/workbench/tasks/{task['id']}").text
    section = page.split('id="decide"', 1)[1].split("</section>", 1)[0]
    assert "The applicant does not meet the conditions" in section and "不符合条件" in section
    signed_in_page_client(stack, "street.clerk", locale="zh_CN")


def test_colons_follow_the_page_s_language(stack):
    zh = signed_in_page_client(stack, "yunqi", locale="zh_CN")
    page = zh.get("/policies/rnd-subsidy-2026/apply").text
    assert "法律依据：" in page and "法律依据:" not in page
    assert "贵企业可获金额：" in page or "贵企业" not in page
    # The form itself, for an enterprise no other test has claimed this program for.
    form = signed_in_page_client(stack, "qihang", locale="zh_CN").get("/policies/rnd-subsidy-2026/apply").text
    assert "novalidate" in form.split('action="/policies/rnd-subsidy-2026/apply"', 1)[1].split(">", 1)[0]
    en = signed_in_page_client(stack, "yunqi", locale="en").get("/policies/rnd-subsidy-2026/apply").text
    assert "Legal basis: " in en and "Legal basis：" not in en
    signed_in_page_client(stack, "yunqi", locale="zh_CN")


def test_amounts_in_program_and_service_texts_are_written_as_money(stack):
    """Specs write an amount as ``{money:300}``; the pages show it as the locale writes money."""
    zh = signed_in_page_client(stack, "yunqi", locale="zh_CN").get("/policies").text
    assert "每人¥300.00返还" in zh and "最高¥100,000.00" in zh
    assert "{money:" not in zh and "300元" not in zh
    en_client = signed_in_page_client(stack, "yunqi", locale="en")
    en = en_client.get("/policies").text
    assert "CN¥300.00 per insured employee, up to CN¥100,000.00" in en
    assert " CNY" not in en and "{money:" not in en
    service = en_client.get("/services/rnd-expense-subsidy").text
    assert "up to CN¥1,000,000.00" in service and "CNY" not in service
    signed_in_page_client(stack, "yunqi", locale="zh_CN")


def test_an_approved_claim_s_timeline_shows_the_approval_once(stack):
    """The claim's approval and its request's decision are one step, shown once with its time."""
    code = "approved-once"
    assert Api(stack.base_url, "admin").post("/api/programs", json=program_spec(code)).status_code == 201
    yunqi = Api(stack.base_url, "yunqi")
    r = yunqi.post(f"/api/programs/{code}/claims", json={})
    assert r.status_code == 201, r.text
    claim = wait_claim(yunqi, r.json()["ref"])
    timeline = yunqi.get(f"/api/requests/{claim['request_ref']}").json()["timeline"]
    kinds = [e["kind"] for e in timeline]
    assert kinds.count("request_approved") == 1 and "claim_approved" not in kinds, kinds
    page = signed_in_page_client(stack, "yunqi", locale="zh_CN").get(f"/requests/{claim['request_ref']}").text
    steps = page.split('class="timeline"', 1)[1].split("</ol>", 1)[0]
    approvals = re.findall(r'<time datetime="[^"]+">[^<]+</time>\s*<span class="what">申请已批准</span>', steps)
    assert len(approvals) == 1, steps
    assert "申领已批准" not in steps


def test_withdrawing_is_a_secondary_action_and_forms_leave_validation_to_the_hub(stack):
    ref = file_request(Api(stack.base_url, "zhangsan")).json()["ref"]
    page = signed_in_page_client(stack, "zhangsan", locale="zh_CN").get(f"/requests/{ref}").text
    withdraw = page.split('action="/requests/' + ref + '/withdrawal"', 1)[1].split("</form>", 1)[0]
    assert '<button type="submit" class="secondary">' in withdraw and "primary" not in withdraw
    calendar = signed_in_page_client(stack, "admin", locale="zh_CN").get("/admin/calendar").text
    assert "novalidate" in calendar.split('action="/admin/calendar"', 1)[1].split(">", 1)[0]


def test_the_audit_log_s_from_column_is_the_address_not_a_date(stack):
    page = signed_in_page_client(stack, "auditor", locale="zh_CN").get("/audit").text
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert '<th scope="col">来源地址</th>' in head and "起始日期" not in head
    assert 'data-label="来源地址"' in page
    # The filter's "From" is still the first day.
    assert "起始日期" in page.split("</thead>", 1)[0]


def test_a_request_s_page_shows_where_it_stands(stack):
    """Filed, each department's step of its route, the decision: done steps ticked, the current one
    marked for screen readers, and the date the decision is expected by."""
    ref = file_request(Api(stack.base_url, "zhangsan")).json()["ref"]
    open_task(Api(stack.base_url, "street.clerk"), ref)
    page = signed_in_page_client(stack, "zhangsan", locale="zh_CN").get(f"/requests/{ref}").text
    steps = page.split('<ol class="steps">', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li class=\"step (\w+)\"(.*?)</li>", steps, re.S)
    assert [state for state, _ in items] == ["done", "current", "upcoming", "upcoming"], steps
    assert "✓" in items[0][1] and 'aria-current="step"' in items[1][1]
    assert steps.count('aria-current="step"') == 1
    assert "街道" in items[1][1] and "民政" in items[2][1]
    assert "预计" in items[3][1] and "前作出决定" in items[3][1]
    english = signed_in_page_client(stack, "zhangsan", locale="en").get(f"/requests/{ref}").text
    assert "Where your request stands" in english and "Expected by " in english
    signed_in_page_client(stack, "zhangsan", locale="zh_CN")


def test_the_home_page_leads_with_what_needs_the_applicant(stack):
    """Signed in: what needs you now first, then the search, then the services by life event; the
    anonymous page is the search and the groups alone, with the page's one heading."""
    import httpx

    anonymous = httpx.get(f"{stack.base_url}/", headers={"Accept-Language": "zh-CN"}, timeout=30).text
    assert "<h1>查找服务</h1>" in anonymous and 'id="for-you"' not in anonymous
    groups = re.findall(r'<h3 id="by-event-[^"]+"><a href="/\?event=[^"]+">([^<]+)</a>', anonymous)
    assert groups == ["生育", "来本市居住", "创业开办", "困难救助与残疾", "养老"], groups
    assert anonymous.index('id="by-event"') < anonymous.index('id="by-stage"')
    english = httpx.get(f"{stack.base_url}/", headers={"Accept-Language": "en"}, timeout=30).text
    assert '<a href="/?event=growing-old">Growing old</a>' in english and "Services by life event" in english

    citizen = Api(stack.base_url, "zhangsan")
    waiting = file_request(citizen).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    task = open_task(clerk, waiting)
    assert clerk.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    asked = clerk.post(
        f"/api/tasks/{task['id']}/information-request", json={"fields": ["phone"], "message": "请提供新的联系电话"}
    )
    assert asked.status_code == 200, asked.text
    wait_for(lambda: citizen.get(f"/api/requests/{waiting}").json()["state"] == "waiting_applicant")
    in_review = file_request(citizen).json()["ref"]
    page = signed_in_page_client(stack, "zhangsan", locale="zh_CN").get("/").text
    assert "<h1>您好，张三</h1>" in page and "<h1>查找服务</h1>" not in page
    mine = page.split('id="for-you"', 1)[1].split("</section>", 1)[0]
    assert "待您处理的事项" in page and f'href="/requests/{waiting}"' in mine.split("办理中</h3>")[0]
    assert f'href="/requests/{in_review}"' in mine
    # Its part first, then the search, then the services by life event.
    assert page.index('id="for-you"') < page.index('role="search"') < page.index('id="by-event"')
    # The request's page says by when to answer (the date the message gave), and its step, which
    # waits for the applicant, shows no date of its own (its limit stands still).
    with english_pages(stack, "zhangsan") as client:
        english = client.get(f"/requests/{waiting}").text
    needed = english.split('id="needed"', 1)[1].split("</section>", 1)[0]
    assert "Please answer by " in needed, needed
    steps = english.split('<ol class="steps">', 1)[1].split("</ol>", 1)[0]
    waiting_step = next(s for s in steps.split("<li")[1:] if "Waiting for you" in s)
    assert "Due by" not in waiting_step, waiting_step

    enterprise = signed_in_page_client(stack, "yunqi", locale="zh_CN").get("/").text
    mine = enterprise.split('id="for-you"', 1)[1].split("</section>", 1)[0]
    assert "您符合条件的政策" in mine and 'href="/policies#p-' in mine
    assert enterprise.index('id="by-stage"') < enterprise.index('id="by-event"')  # its own stages first


def test_a_prepared_request_is_not_filed_yet(stack):
    """An enterprise's preparer filled it in: filing is the step it is at, and no date is promised."""
    from forms.catalog import load_catalog
    from tests.stack.flows import file_example

    prepared = file_example(Api(stack.base_url, "yunqi.preparer"), load_catalog().latest("graduate-rent-subsidy"))
    assert prepared.status_code == 201 and prepared.json()["state"] == "prepared", prepared.text
    page = signed_in_page_client(stack, "yunqi.preparer", locale="zh_CN").get(f"/requests/{prepared.json()['ref']}")
    steps = page.text.split('<ol class="steps">', 1)[1].split("</ol>", 1)[0]
    states = re.findall(r'<li class="step (\w+)"', steps)
    assert states[0] == "current" and "done" not in states and "预计" not in steps, steps


def _tag(html: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    found = re.search(rf'<[a-z]+ [^>]*\bid="{element_id}"[^>]*>', html)
    assert found, f"no element #{element_id}"
    return found.group(0)


def _error_next_to(html: str, element_id: str) -> str:
    """The message shown next to a field, which the field (or its fieldset) points to."""
    assert f'aria-describedby="{element_id}-error"' in _tag(html, element_id), _tag(html, element_id)
    found = re.search(rf'<p class="error" id="{element_id}-error">(.*?)</p>', html, re.S)
    assert found, f"no message next to #{element_id}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _selected(html: str, select_id: str) -> list[str]:
    options = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"[^>]*\bselected', options)


def _opened(html: str, summary: str) -> bool:
    return re.search(rf"<details open>\s*<summary>{re.escape(summary)}</summary>", html) is not None


def test_a_refused_task_form_comes_back_as_it_was_filled(stack):
    """A decision, a request for information or a transfer the hub refuses: the page comes back with
    what the clerk entered (verdict, reason, comment, ticked fields, department, the open section),
    each message next to its field, and nothing recorded. No department is chosen for the clerk."""
    ref = file_request(Api(stack.base_url, "zhangsan")).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    task = open_task(clerk, ref)
    assert clerk.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    path = f"/workbench/tasks/{task['id']}"
    page = signed_in_page_client(stack, "street.clerk", locale="en")
    try:
        held = page.get(path).text
        # A transfer names its department: none is chosen in advance.
        departments = held.split('id="to-department"', 1)[1].split("</select>", 1)[0]
        assert re.search(r'>\s*<option value="">Choose…</option>', departments), departments
        assert _selected(held, "to-department") == []
        token = CSRF.search(held).group(1)

        def post(move: str, **form):
            answer = page.post(f"{path}/{move}", data={"_csrf_token": token, **form})
            assert answer.status_code == 422, (move, answer.status_code, answer.text[:2000])
            assert 'class="error-summary"' in answer.text
            return answer.text

        # A rejection without a comment: the verdict and the reason stay chosen.
        refused = post("decide", verdict="reject", reason_code="incomplete", comment="  ")
        assert "checked" in _tag(refused, "verdict-reject") and "checked" not in _tag(refused, "verdict-approve")
        assert _selected(refused, "reason-code") == ["incomplete"]
        assert "A rejection must give the applicant a reason." in _error_next_to(refused, "decision-comment")

        # A rejection without its reason: the comment stays, the message is next to the reason.
        refused = post("decide", verdict="reject", reason_code="", comment="Your address is not in this street")
        assert "Choose one of the listed options." in _error_next_to(refused, "reason-code")
        assert ">Your address is not in this street</textarea>" in refused
        assert "checked" in _tag(refused, "verdict-reject")

        # No verdict: said next to the choice.
        refused = post("decide", comment="Looks fine")
        assert "Choose approve or reject." in _error_next_to(refused, "verdict")
        assert ">Looks fine</textarea>" in refused

        # Neither a reason nor a comment: both said at once, each next to its field.
        refused = post("decide", verdict="reject")
        assert _error_next_to(refused, "reason-code") and _error_next_to(refused, "decision-comment")

        # A request for information without its message: the section stays open, the fields ticked.
        refused = post("request_information", fields=["phone", "address"], message="")
        assert _opened(refused, "Ask the applicant for more information")
        assert not _opened(refused, "Pass on to another department")
        assert "checked" in _tag(refused, "ask-phone") and "checked" in _tag(refused, "ask-address")
        assert "This field is required." in _error_next_to(refused, "ask-message")
        refused = post("request_information", message="Please give a phone number that answers")
        assert "Tick at least one field the applicant should supply." in _error_next_to(refused, "ask-fields")
        assert ">Please give a phone number that answers</textarea>" in refused

        # A transfer without a department, then without a reason.
        refused = post("transfer", to_department="", reason="The applicant lives elsewhere")
        assert _opened(refused, "Pass on to another department")
        assert "Choose one of the listed options." in _error_next_to(refused, "to-department")
        assert ">The applicant lives elsewhere</textarea>" in refused
        refused = post("transfer", to_department="human-resources", reason="")
        assert _selected(refused, "to-department") == ["human-resources"]
        assert "This field is required." in _error_next_to(refused, "transfer-reason")

        # In Chinese too, the message beside the field it concerns.
        page.post("/language", data={"locale": "zh_CN", "next": "/", "_csrf_token": token})
        refused = post("decide", verdict="reject", reason_code="", comment="地址不在本街道")
        assert "请从所列选项中选择一项" in _error_next_to(refused, "reason-code")
        assert ">地址不在本街道</textarea>" in refused

        # Nothing was recorded: the clerk still holds the open task.
        detail = clerk.get(f"/api/tasks/{task['id']}").json()
        assert detail["state"] == "claimed" and detail["assignee"] == "street.clerk", detail
    finally:
        page.close()
        signed_in_page_client(stack, "street.clerk", locale="zh_CN")  # the account's language back as it was


def test_departments_that_review_at_the_same_time_are_said_to(stack):
    """The maternity allowance is looked at by the health commission and the human resources
    bureau at once: just after filing, the page names both as first, and both steps are current."""
    applicant, filed = file_service(stack, load_catalog().latest("maternity-allowance"))
    username = applicant.username
    ref = filed["ref"]
    # Both departments' tasks open at once; read the page once they have (a moment after filing).
    wait_for(lambda: len(applicant.get(f"/api/requests/{ref}").json()["tasks"]) == 2, what="both tasks open")
    with english_pages(stack, username) as client:
        english = client.get(f"/requests/{ref}?filed=true").text
    panel = english.split('class="panel success"', 1)[1].split("</section>", 1)[0]
    assert "look at it first, at the same time" in panel and "looks at it first" not in panel, panel
    steps = english.split('<ol class="steps">', 1)[1].split("</ol>", 1)[0]
    states = [state for state, _ in re.findall(r"<li class=\"step (\w+)\"(.*?)</li>", steps, re.S)]
    assert states[:3] == ["done", "current", "current"], steps


def test_the_check_page_says_a_filing_would_be_refused_before_the_applicant_files(stack):
    """The page to check the answers runs the checks filing runs: an applicant the service's
    conditions exclude is told so there, with the condition not met and what the records gave, and
    is offered no button to file; one who may file sees the conditions met."""
    spec = load_catalog().latest("elderly-care-allowance")

    def review_as(username: str):
        with english_pages(stack, username) as browser:
            page = browser.get(f"/services/{spec.id}/apply")
            form = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in example_answers(spec).items()}
            token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
            form.update(_csrf_token=token, action="review")
            posted = browser.post(f"/services/{spec.id}/apply", data=form)
            assert posted.status_code == 303 and posted.headers["location"].endswith("/review"), posted.text[:1000]
            return browser.get(posted.headers["location"])

    refused = review_as("lisi")  # not yet 80
    assert refused.status_code == 422, re.findall(r"<h[12]>.*?</h[12]>", refused.text)
    assert "Not eligible" in refused.text and "File the request" not in refused.text
    assert "From government records" in refused.text  # what the records gave, shown on a refusal too
    allowed = review_as("zhangsan")
    assert allowed.status_code == 200 and "File the request" in allowed.text
    assert "The service's conditions, checked" in allowed.text


def test_an_applicant_throws_a_draft_away_and_nobody_else_can(stack):
    spec = load_catalog().latest("shop-sign-permit")
    browser = signed_in_page_client(stack, "zhangsan")
    page = browser.get(f"/services/{spec.id}/apply")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    saved = browser.post(f"/services/{spec.id}/apply", data={"_csrf_token": token, "action": "save"})
    assert saved.status_code == 303, saved.text[:500]
    drafts = browser.get("/requests").text.split('id="drafts"', 1)[1].split("</section>")[0]
    [item] = [li for li in drafts.split("<li>")[1:] if f'href="/services/{spec.id}/apply"' in li]
    draft_id = re.search(r'action="/drafts/(\d+)/discard"', item).group(1)
    other = signed_in_page_client(stack, "lisi")
    other_token = re.search(r'name="_csrf_token" value="([^"]+)"', other.get("/requests").text).group(1)
    assert other.post(f"/drafts/{draft_id}/discard", data={"_csrf_token": other_token}).status_code == 404
    thrown = browser.post(f"/drafts/{draft_id}/discard", data={"_csrf_token": token})
    assert thrown.status_code == 303 and thrown.headers["location"] == "/requests?done=discarded"
    after = browser.get(thrown.headers["location"]).text
    assert (
        "草稿已删除。" in after or "The draft is thrown away." in after
    ) and f"/drafts/{draft_id}/discard" not in after


def test_a_subsidy_s_service_page_leads_to_the_policy_that_pays_it(stack):
    """A subsidy is paid under a policy: its service's page leads to the policy's claim first; a
    service that grants no money has no such pointer, and one that no open policy pays neither."""
    page = signed_in_page_client(stack, "yunqi", locale="en")
    try:
        job = page.get("/services/job-stabilisation-subsidy").text
        assert "Paid under a policy" in job and 'href="/policies#p-job-stabilisation-2026"' in job, job
        assert "2026 job-stabilisation refund (no application needed)" in job
        assert "Paid under a policy" not in page.get("/services/shop-sign-permit").text
        assert "Paid under a policy" not in page.get("/services/startup-loan-interest-subsidy").text
        # The policy's card is where the link lands.
        assert 'id="p-job-stabilisation-2026"' in page.get("/policies").text
    finally:
        signed_in_page_client(stack, "yunqi", locale="zh_CN")
