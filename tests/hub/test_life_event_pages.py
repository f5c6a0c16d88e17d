"""The life event pages without Temporal: the list, the one form (shared answers once, each part's
own fields under its name, the optional part's checkbox), field errors next to their fields with
nothing stored, the check page, filing that stores the case but cannot pass it on (the page says it
is saved), a refusal naming each part's failing rule, and the case page of a stored case with parts
in every state, which another citizen cannot see. The flow with Temporal is tests/stack/test_life_events.py."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from html import unescape

import pytest
from piccolo.table import create_db_tables

from hub.accounts import issue_token, sealed_name
from hub.db.tables import Account, LifeEventCase
from hub.sealing import seal
from tests.hub.apps import ALL_TABLES, app_of_its_own

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
RESIDENT_ID = "330106195809080029"
ACCOUNTS = [("le.a", "赵六", RESIDENT_ID), ("le.b", "钱七", "33010619500101001X")]
PARTS = {
    "allowance": {"answers": "{}", "results": "[]", "expected": None, "state": "rejected", "ref": "QQ261120AAAAAAAA"},
    "disability": {
        "answers": "{}",
        "results": "[]",
        "expected": None,
        "state": "not_filed",
        "ref": None,
        "detail": "after:allowance",
    },
}


async def _seed() -> dict:
    await create_db_tables(*ALL_TABLES, if_not_exists=True)
    ids, tokens = {}, {}
    for username, name, resident_id in ACCOUNTS:
        account = Account(
            username=username,
            full_name=sealed_name(name),
            role="citizen",
            resident_id=seal(resident_id, "account.resident_id"),
            password_hash="-",
            locale="en",
            created_at=NOW,
        )
        await account.save()
        ids[username] = account.id
        tokens[username] = (await issue_token(account, 1))[0]
    for ref, parts in (
        ("LE261120DECIDED1", PARTS),
        (
            "LE261120WAITING1",
            {
                "allowance": {**PARTS["allowance"], "state": "filed", "ref": "QQ261120BBBBBBBB"},
                "disability": {**PARTS["disability"], "state": "waiting", "detail": ""},
            },
        ),
    ):
        await LifeEventCase(
            ref=ref,
            workflow_id=f"life-event-{ref}",
            event_id="hard-times",
            event_version=1,
            applicant=ids["le.a"],
            idempotency_scope=f"seed:{ref}",
            payload_hash="-",
            state="done" if ref.endswith("DECIDED1") else "in_progress",
            parts=json.dumps(parts),
            locale="en",
            created_at=NOW,
            updated_at=NOW,
        ).save()
    await Account._meta.db.close_connections()
    return {"ids": ids, "tokens": tokens}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with app_of_its_own(tmp_path_factory.mktemp("life-event-pages"), _seed) as (client, path, seeded):
        yield {**seeded, "client": client, "path": path}


def get(hub, username: str, url: str):
    client = hub["client"]
    client.cookies.clear()
    client.cookies.set("qinqing_session", hub["tokens"][username])
    return client.get(url, headers={"Accept": "text/html"})


def post(hub, username: str, url: str, html: str, data: dict):
    """Post ``data`` with the hidden fields (token, key, carried answers) of the page ``html``."""
    hidden = {unescape(n): unescape(v) for n, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', html)}
    hub["client"].cookies.set("qinqing_session", hub["tokens"][username])
    return hub["client"].post(url, data={**hidden, **data}, follow_redirects=False)


def cases(hub) -> int:
    with sqlite3.connect(hub["path"]) as c:
        return c.execute("SELECT count(*) FROM life_event_case").fetchone()[0]


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


ANSWERS = {
    "phone": "13800138000",
    "address": "杭州市西湖区文三路100号",
    "hukou_local": "true",
    "bank_account": "6222020200112233445",
    "allowance.household_members.count": "1",
    "allowance.household_members.0.member_name": "赵六",
    "allowance.household_members.0.relationship": "self",
    "allowance.household_members.0.resident_id": RESIDENT_ID,
    "allowance.household_members.0.monthly_income": "300",
    "allowance.hardship": "长期患病",
    "allowance.authorises_checks": "true",
    "parts": "disability",
    "disability.disability_certificate_number": RESIDENT_ID + "42",
    "disability.disability_grade": "2",
}


def test_the_list_shows_each_event_with_its_services(hub):
    r = get(hub, "le.a", "/life-events")
    assert r.status_code == 200, r.text
    words = text(r.text)
    assert "Help in hard times" in words and 'href="/life-events/hard-times"' in r.text
    assert "Minimum living allowance" in words and "Optional" in words


def test_the_one_form_asks_shared_answers_once_then_each_part(hub):
    r = get(hub, "le.a", "/life-events/hard-times")
    assert r.status_code == 200, r.text
    words = text(r.text)
    assert "About you" in words and "13 questions instead of the 21" in words
    assert r.text.count('name="phone"') == 1 and 'type="tel"' in r.text and 'autocomplete="tel"' in r.text
    assert "From government records" in words and "赵六" in words  # the prefilled name, read-only
    assert RESIDENT_ID not in r.text  # the prefilled identity number, masked
    assert 'name="allowance.household_members.0.member_name"' in r.text
    assert 'name="allowance.household_members.count"' in r.text
    # 赵六 holds a disability certificate: it stands in for the hardship proof, nothing to upload.
    held = r.text.split('id="f-allowance-supporting_documents"', 1)[1].split("</div>", 1)[0]
    assert "Nothing to upload" in held
    assert 'name="allowance.supporting_documents__file"' not in r.text
    assert 'name="parts" value="disability"' in r.text and 'data-shown-values="disability"' in r.text
    assert 'name="disability.disability_grade"' in r.text
    # Handed on by the allowance or fixed by the event: never asked.
    assert "allowance_certificate_number" not in r.text and "receives_minimum_living_allowance" not in r.text
    assert "low_income_household" not in r.text


def test_anonymous_visitors_are_sent_to_sign_in(hub):
    hub["client"].cookies.clear()
    r = hub["client"].get("/life-events/hard-times", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")


def test_field_errors_show_next_to_their_fields_and_nothing_is_stored(hub):
    before = cases(hub)
    form = get(hub, "le.b", "/life-events/hard-times").text
    r = post(
        hub, "le.b", "/life-events/hard-times", form, {**ANSWERS, "phone": "12", "disability.disability_grade": ""}
    )
    assert r.status_code == 422, r.text
    assert 'id="error-summary"' in r.text and 'href="#f-phone"' in r.text
    assert 'href="#f-disability-disability_grade"' in r.text
    summary = text(r.text.split('id="error-summary"')[1].split("</div>")[0])
    assert "Disability grade: " in summary and "(Also apply for the living subsidy for disabled people)" in summary
    assert "Contact phone: " in summary and summary.count("Contact phone") == 1  # asked once, said once
    assert re.search(r'id="f-phone-error"', r.text) and 'aria-invalid="true"' in r.text
    assert 'value="杭州市西湖区文三路100号"' in r.text  # the answers stay
    assert cases(hub) == before


def test_adding_a_household_member_without_javascript(hub):
    form = get(hub, "le.b", "/life-events/hard-times").text
    r = post(hub, "le.b", "/life-events/hard-times", form, {**ANSWERS, "action": "add:allowance.household_members"})
    assert r.status_code == 200 and 'name="allowance.household_members.1.member_name"' in r.text


def test_a_refusal_names_each_failing_rule_and_its_part(hub):
    form = get(hub, "le.a", "/life-events/hard-times").text
    r = post(hub, "le.a", "/life-events/hard-times", form, {**ANSWERS, "hukou_local": "false"})
    assert r.status_code == 422, r.text
    words = text(r.text)
    assert "Not eligible" in words
    assert "Minimum living allowance for the household : The household's registration must be in this city." in words
    assert "Also apply for the living subsidy for disabled people : The applicant's household registration" in words


def test_checking_then_filing_without_temporal_says_the_application_is_saved(hub):
    before = cases(hub)
    form = get(hub, "le.a", "/life-events/hard-times").text
    check = post(hub, "le.a", "/life-events/hard-times", form, ANSWERS)
    assert check.status_code == 200, check.text
    words = text(check.text)
    assert "Check your answers" in words and "13800138000" in words and "Grade 2" in words
    assert cases(hub) == before  # checked, nothing stored yet
    change = post(hub, "le.a", "/life-events/hard-times", check.text, {"action": "change"})
    assert change.status_code == 200 and 'value="13800138000"' in change.text
    assert re.search(r'name="parts" value="disability" checked', change.text)
    filed = post(hub, "le.a", "/life-events/hard-times", check.text, {"action": "file"})
    assert filed.status_code == 503, filed.text
    assert "Your application is saved" in text(filed.text)
    assert cases(hub) == before + 1
    ref = re.search(r"/life-events/cases/(LE[0-9A-Z]+)", filed.text).group(1)
    # Filing again from the same page files nothing twice.
    again = post(hub, "le.a", "/life-events/hard-times", filed.text, {"action": "file"})
    assert again.status_code == 503 and ref in again.text and cases(hub) == before + 1
    page = get(hub, "le.a", f"/life-events/cases/{ref}")
    assert page.status_code == 200 and "Waiting" in text(page.text)


def test_the_case_page_shows_each_part_and_its_state(hub):
    r = get(hub, "le.a", "/life-events/cases/LE261120DECIDED1")
    assert r.status_code == 200, r.text
    words = text(r.text)
    assert "Help in hard times" in words
    assert 'class="state state-rejected"' in r.text and 'class="state state-not_filed"' in r.text
    assert "Not filed: Minimum living allowance for the household, which it waited for, was not approved." in words
    assert 'href="/requests/QQ261120AAAAAAAA"' in r.text
    first = get(hub, "le.a", "/life-events/cases/LE261120WAITING1?filed=true")
    words = text(first.text)
    assert "Your application is filed" in words and "goes to its departments first" in words
    assert "Waits until Minimum living allowance for the household is approved." in words
    assert "Your application is filed" not in text(get(hub, "le.a", "/life-events/cases/LE261120WAITING1").text)


def test_my_requests_lists_the_life_event_cases(hub):
    r = get(hub, "le.a", "/requests")
    assert r.status_code == 200 and 'href="/life-events/cases/LE261120DECIDED1"' in r.text


def test_someone_elses_case_is_not_found(hub):
    assert get(hub, "le.b", "/life-events/cases/LE261120DECIDED1").status_code == 404
    assert "LE261120DECIDED1" not in get(hub, "le.b", "/requests").text


def test_the_home_page_links_the_life_event_group_to_its_one_application(hub):
    assert 'href="/life-events/hard-times"' in get(hub, "le.a", "/").text
    assert 'href="/life-events/hard-times"' in get(hub, "le.a", "/?event=hard-times").text


def test_a_settled_case_links_to_its_combined_result(hub):
    r = get(hub, "le.a", "/life-events/cases/LE261120DECIDED1")
    assert 'href="/life-events/cases/LE261120DECIDED1/result.pdf"' in r.text
    assert "result.pdf" not in get(hub, "le.a", "/life-events/cases/LE261120WAITING1").text


def test_the_case_page_speaks_government_chinese(hub):
    with sqlite3.connect(hub["path"]) as c:
        c.execute("UPDATE account SET locale = 'zh_CN' WHERE username = 'le.a'")
    try:
        words = text(get(hub, "le.a", "/life-events/cases/LE261120WAITING1").text)
        assert "已受理" in words and "待办理" in words and "本次申请的办理事项" in words
        words = text(get(hub, "le.a", "/life-events/cases/LE261120DECIDED1").text)
        assert "未受理" in words and "已办结" in words
    finally:
        with sqlite3.connect(hub["path"]) as c:
            c.execute("UPDATE account SET locale = 'en' WHERE username = 'le.a'")


def test_other_answers_filed_with_the_same_form_are_refused_in_words(hub):
    form = get(hub, "le.a", "/life-events/hard-times").text
    check = post(hub, "le.a", "/life-events/hard-times", form, {k: v for k, v in ANSWERS.items() if k != "parts"})
    assert check.status_code == 200, check.text
    assert post(hub, "le.a", "/life-events/hard-times", check.text, {"action": "file"}).status_code == 503
    other = check.text.replace("13800138000", "13900139000")
    r = post(hub, "le.a", "/life-events/hard-times", other, {"action": "file"})
    assert r.status_code == 409 and "This application is already filed" in text(r.text)


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_a_part_s_file_is_uploaded_and_named_on_the_check_page(hub):
    form = get(hub, "le.b", "/life-events/hard-times").text
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))
    r = hub["client"].post(
        "/life-events/hard-times",
        data={**hidden, **ANSWERS, "phone": "12"},
        files={"allowance.supporting_documents__file": ("proof.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 422, r.text
    # The phone is wrong, the file is kept: the form says it is uploaded and carries it on.
    assert "proof.png" in text(r.text)
    assert re.search(r'name="allowance.supporting_documents" value="upl_', r.text)
