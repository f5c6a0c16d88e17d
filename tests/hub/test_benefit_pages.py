"""The benefits pages without Temporal: a beneficiary's entitlements, payments and changes; a
benefit's register for the paying department (names masked), one entitlement with suspending,
resuming and a second clerk's confirmation; the payment cycles' form; a second application for a
benefit refused on the filing page with a link to the first. Rows are written straight into a
SQLite database (the flow that makes them is tested in tests/stack/test_benefits.py)."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from html import unescape

import pytest
from piccolo.table import create_db_tables

from hub.accounts import issue_token, sealed_name
from hub.benefits import changes
from hub.benefits.views import RIGHTS
from hub.db.tables import Account, BenefitPayment, Draft, Entitlement, EntitlementChange, PaymentCycle, ServiceRequest
from hub.i18n import gettext
from hub.requests.once import already_applied
from hub.sealing import seal
from tests.hub.apps import ALL_TABLES, app_of_its_own

SERVICE = "elderly-care-allowance"
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
ACCOUNTS = [
    # username, full name, role, department
    ("ben.a", "张大山", "citizen", None),
    ("ben.b", "李小河", "citizen", None),
    ("ben.none", "王五", "citizen", None),
    ("ben.big", "赵百岁", "citizen", None),
    ("civil.one", "刘洋", "clerk", "civil-affairs"),
    ("civil.two", "林峰", "clerk", "civil-affairs"),
    ("street.one", "王芳", "clerk", "street-office"),
    ("boss", "冯军", "admin", None),
]


async def _seed() -> dict:
    await create_db_tables(*[t for t in ALL_TABLES], if_not_exists=True)
    ids, tokens = {}, {}
    for username, name, role, department in ACCOUNTS:
        account = Account(
            username=username,
            full_name=sealed_name(name),
            role=role,
            department=department,
            password_hash="-",
            locale="en",
            created_at=NOW,
        )
        await account.save()
        ids[username] = account.id
        tokens[username] = (await issue_token(account, 1))[0]
    request = ServiceRequest(
        ref="QQ261101ABCDEFGH",
        workflow_id="request-QQ261101ABCDEFGH",
        service_id=SERVICE,
        service_version=1,
        applicant=ids["ben.a"],
        idempotency_scope="a:1",
        payload_hash="-",
        state="approved",
        answers="{}",
        rule_results="[]",
        locale="en",
        created_at=NOW,
        updated_at=NOW,
    )
    await request.save()

    async def entitlement(key: str, owner: str | None, name: str, cents: int, state: str, request_id=None) -> int:
        row = Entitlement(
            key=key,
            service_id=SERVICE,
            service_version=1,
            holder_key=key,
            resident_id=seal("330106194003150011", "entitlement.resident_id"),
            full_name=seal(name, "entitlement.full_name"),
            account=ids[owner] if owner else None,
            request=request_id,
            kind="monthly",
            amount_formula="100",
            maximum_cents=100_000,
            amount_cents=cents,
            band="80-89",
            payment_method="bank",
            payee_account=seal("6222021202003456789", "entitlement.payee_account"),
            start_period="2026-01",
            state=state,
            reason="death" if state == "ended" else "",
            created_at=NOW,
            updated_at=NOW,
        )
        await row.save()
        return row.id

    ents = {
        "a": await entitlement("a", "ben.a", "张大山", 10_000, "active", request.id),
        "b": await entitlement("b", "ben.b", "李小河", 30_000, "ended"),
        "big": await entitlement("big", "ben.big", "赵百岁", 60_000, "active"),
    }
    for n in range(3):  # more of the register, for its paging
        await entitlement(f"more{n}", None, f"钱多{n}", 10_000, "active")
    payments = [
        ("a", "2026-11", 10_000, "paid", "P-A-11", "", False),
        ("a", "2026-10", 10_000, "refused", "", "bank: account closed", False),
        ("b", "2026-06", 30_000, "paid", "P-B-06", "", True),
    ]
    for who, period, cents, state, ref, reason, overpaid in payments:
        await BenefitPayment(
            key=f"{who}:{period}",
            entitlement=ents[who],
            service_id=SERVICE,
            period=period,
            amount_cents=cents,
            state=state,
            payment_ref=ref,
            reason=reason,
            paid_at=NOW if state == "paid" else None,
            overpaid=overpaid,
        ).save()
    changes = [
        ("a", "granted", "", "active", None, 10_000, ""),
        ("b", "amount_changed", "active", "active", 10_000, 30_000, "age-band"),
        ("b", "ended", "active", "ended", None, None, "death"),
    ]
    for n, (who, kind, before, after, from_cents, to_cents, code) in enumerate(changes):
        await EntitlementChange(
            key=f"change{n}",
            entitlement=ents[who],
            kind=kind,
            at=NOW + dt.timedelta(minutes=n),
            period="2026-05",
            from_state=before,
            to_state=after,
            from_cents=from_cents,
            to_cents=to_cents,
            reason_code=code,
        ).save()
    await PaymentCycle(
        key=f"{SERVICE}:2026-10",
        service_id=SERVICE,
        period="2026-10",
        state="finished",
        runs=2,
        started_at=NOW,
        finished_at=NOW,
        paid=1234,
        paid_cents=12_340_000,
        refused=3,
        set_aside=1,
        ended=2,
        changed=5,
        overpaid=1,
        overpaid_cents=30_000,
    ).save()
    await Draft(
        scope=f"{ids['ben.a']}:{SERVICE}",
        account=ids["ben.a"],
        service_id=SERVICE,
        service_version=1,
        answers="{}",
        created_at=NOW,
        updated_at=NOW,
    ).save()
    await Account._meta.db.close_connections()
    return {"ids": ids, "tokens": tokens, "ents": ents}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    # The app seals with the var dir's keys.
    with app_of_its_own(tmp_path_factory.mktemp("benefit-pages"), _seed) as (client, path, seeded):
        yield {**seeded, "client": client, "path": path}


def page(hub, username: str, url: str, method: str = "GET", data: dict | None = None):
    client = hub["client"]
    client.cookies.clear()
    client.cookies.set("qinqing_session", hub["tokens"][username])
    if method == "GET":
        return client.get(url, headers={"Accept": "text/html"})
    form = client.get(data.pop("_from", url), headers={"Accept": "text/html"}).text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form).group(1)
    return client.post(url, data={**data, "_csrf_token": token}, follow_redirects=False)


def rows(hub, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(hub["path"]) as c:
        return c.execute(sql, args).fetchall()


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_the_beneficiary_sees_their_own_entitlement_with_its_payments_and_changes(hub):
    r = page(hub, "ben.a", "/benefits")
    assert r.status_code == 200, r.text
    words = text(r.text)
    assert "Old-age allowance" in words or "allowance" in words.lower()
    assert "¥100.00" in words and "80-89" in words and "To a bank account" in words
    assert "6222021202003456789" not in r.text and "6789" in words  # the account, masked
    assert "January 2026" in words and "P-A-11" in words and "November 2026" in words
    assert "Refused by the bank" in words  # the payment's reason in words
    assert 'data-label="Amount"' in r.text and 'class="table-wrap"' in r.text
    assert 'href="/requests/QQ261101ABCDEFGH"' in r.text
    assert "李小河" not in r.text and "¥300.00" not in words  # not someone else's
    assert 'href="/benefits" aria-current="page"' in r.text  # the menu


def test_a_change_that_ends_a_benefit_says_how_to_challenge_it(hub):
    words = text(page(hub, "ben.b", "/benefits").text)
    assert gettext("en", RIGHTS) in words
    assert "The beneficiary died (population registry)" in words
    assert "Overpaid: to be paid back" in words


def test_someone_elses_entitlement_is_not_found(hub):
    b = hub["ents"]["b"]
    for url in (f"/benefits/{b}", f"/workbench/benefits/entitlements/{b}"):
        assert page(hub, "ben.a", url).status_code == 404
    assert page(hub, "ben.b", f"/benefits/{b}").status_code == 200


def test_no_benefit_yet_links_to_the_benefit_services(hub):
    r = page(hub, "ben.none", "/benefits")
    assert r.status_code == 200 and f'href="/services/{SERVICE}"' in r.text


def test_another_department_and_citizens_may_not_see_the_register(hub):
    assert page(hub, "street.one", f"/workbench/benefits/{SERVICE}").status_code == 403
    assert page(hub, "street.one", f"/workbench/benefits/entitlements/{hub['ents']['a']}").status_code == 404
    assert page(hub, "ben.a", f"/workbench/benefits/{SERVICE}").status_code == 403
    assert f'href="/workbench/benefits/{SERVICE}"' not in page(hub, "street.one", "/workbench/benefits").text


def test_the_register_masks_names_counts_states_and_pages(hub):
    r = page(hub, "civil.one", f"/workbench/benefits/{SERVICE}")
    assert r.status_code == 200, r.text
    words = text(r.text)
    assert "张大山" not in r.text and "张**" in words, words
    assert "Being paid (5)" in words and "Ended (1)" in words and "All (6)" in words
    assert f'href="/workbench/benefits/entitlements/{hub["ents"]["a"]}"' in r.text
    ended = text(page(hub, "civil.one", f"/workbench/benefits/{SERVICE}?state=ended").text)
    assert "The beneficiary died" in ended and "钱" not in ended
    assert 'href="/workbench/benefits" aria-current="page"' in r.text


def test_the_register_pages_on(hub, monkeypatch):
    import hub.web.pages.benefits as pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 4)
    first = page(hub, "civil.one", f"/workbench/benefits/{SERVICE}").text
    after = re.search(r'href="/workbench/benefits/[^"?]+\?after=(\d+)" rel="next"', first).group(1)
    second = page(hub, "civil.one", f"/workbench/benefits/{SERVICE}?after={after}").text
    assert (
        first.count("/workbench/benefits/entitlements/") == 4 and second.count("/workbench/benefits/entitlements/") == 2
    )
    assert 'rel="next"' not in second and "First page" in second


def test_suspending_needs_a_reason_next_to_the_field_and_changes_nothing(hub):
    a = hub["ents"]["a"]
    url = f"/workbench/benefits/entitlements/{a}"
    r = page(hub, "civil.one", f"{url}/changes", "POST", {"_from": url, "move": "suspend", "reason": "  "})
    assert r.status_code == 422, r.text
    field = r.text.split('<div class="field has-error">', 1)[1].split("</div>", 1)[0]
    assert 'id="reason-error"' in field and 'aria-invalid="true"' in field and "reason" in text(field).lower()
    assert rows(hub, "SELECT state FROM entitlement WHERE id = ?", a) == [("active",)]
    assert rows(hub, "SELECT COUNT(*) FROM entitlement_change WHERE entitlement = ?", a) == [(1,)]


def test_suspending_and_resuming_with_a_reason(hub):
    a = hub["ents"]["a"]
    url = f"/workbench/benefits/entitlements/{a}"
    r = page(hub, "civil.one", f"{url}/changes", "POST", {"_from": url, "move": "suspend", "reason": "Moved abroad"})
    assert r.status_code == 303 and r.headers["location"] == f"{url}?done=suspended"
    assert rows(hub, "SELECT state FROM entitlement WHERE id = ?", a) == [("suspended",)]
    mine = text(page(hub, "ben.a", "/benefits").text)
    assert "Moved abroad" in mine and gettext("en", RIGHTS) in mine
    # The clerk's words are sealed at rest.
    stored = rows(hub, "SELECT reason FROM entitlement_change WHERE entitlement = ? AND kind = 'suspended'", a)
    assert stored and all("Moved abroad" not in r for (r,) in stored)
    r = page(hub, "civil.one", f"{url}/changes", "POST", {"_from": url, "move": "suspend", "reason": "Twice"})
    assert r.status_code == 409 and "The entitlement is Suspended." in r.text
    r = page(hub, "civil.one", f"{url}/changes", "POST", {"_from": url, "move": "resume", "reason": "Back home"})
    assert r.status_code == 303 and rows(hub, "SELECT state FROM entitlement WHERE id = ?", a) == [("active",)]


def test_a_large_change_waits_for_a_second_clerk(hub):
    big = hub["ents"]["big"]
    url = f"/workbench/benefits/entitlements/{big}"
    r = page(hub, "civil.one", f"{url}/changes", "POST", {"_from": url, "move": "suspend", "reason": "Checking"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=proposed")
    proposer = page(hub, "civil.one", url).text
    assert "You proposed this change" in proposer and "/confirmation" not in proposer
    # Until someone confirms it, the proposal is the department's business: the beneficiary sees
    # nothing of it, on the page or through the API.
    assert "Checking" not in text(page(hub, "ben.big", "/benefits").text)
    mine = hub["client"].get("/api/benefits/mine", headers={"Authorization": f"Bearer {hub['tokens']['ben.big']}"})
    assert mine.status_code == 200 and mine.json()[0]["changes"] == []
    second = page(hub, "civil.two", url).text
    change = re.search(r'action="(/workbench/benefits/changes/\d+/confirmation)"', second).group(1)
    r = page(hub, "civil.one", change, "POST", {"_from": url, "entitlement": str(big)})
    assert r.status_code == 403 and "confirmed by someone else" in r.text
    assert rows(hub, "SELECT state FROM entitlement WHERE id = ?", big) == [("active",)]
    r = page(hub, "civil.two", change, "POST", {"_from": url, "entitlement": str(big)})
    assert r.status_code == 303 and rows(hub, "SELECT state FROM entitlement WHERE id = ?", big) == [("suspended",)]


def test_a_change_made_alone_is_refused_if_the_amount_grew_past_the_limit_meanwhile(hub, monkeypatch):
    # The clerk's page was read with a small amount; the month's cycle raised it past the limit
    # for a change made alone before the change was written: a second clerk is needed now.
    ((entitlement,),) = rows(hub, "SELECT id FROM entitlement WHERE key = ?", "more0")
    url = f"/workbench/benefits/entitlements/{entitlement}"
    read = changes._staff_row

    async def read_then_raised(*args, **kwargs):
        row = await read(*args, **kwargs)
        with sqlite3.connect(hub["path"]) as c:
            c.execute(
                "UPDATE entitlement SET amount_cents = ? WHERE id = ?", (changes.CONFIRM_ABOVE_CENTS + 100, entitlement)
            )
        return row

    monkeypatch.setattr(changes, "_staff_row", read_then_raised)
    try:
        r = page(hub, "civil.one", f"{url}/changes", "POST", {"_from": url, "move": "suspend", "reason": "Checking"})
        assert r.status_code == 409 and "changed meanwhile" in r.text
        assert rows(hub, "SELECT state FROM entitlement WHERE id = ?", entitlement) == [("active",)]
        monkeypatch.setattr(changes, "_staff_row", read)
        # Asked again, it is proposed for a second clerk.
        r = page(hub, "civil.one", f"{url}/changes", "POST", {"_from": url, "move": "suspend", "reason": "Checking"})
        assert r.status_code == 303 and r.headers["location"].endswith("done=proposed")
    finally:
        with sqlite3.connect(hub["path"]) as c:
            c.execute("UPDATE entitlement SET amount_cents = 10000 WHERE id = ?", (entitlement,))


def test_the_cycles_page_and_a_period_not_due(hub):
    url = f"/workbench/benefits/{SERVICE}/cycles"
    r = page(hub, "civil.one", url)
    assert r.status_code == 200 and "October 2026" in text(r.text) and "1234" in r.text
    assert 'name="period"' not in r.text  # a clerk does not run cycles
    r = page(hub, "boss", url)
    assert 'name="period"' in r.text
    r = page(hub, "boss", url, "POST", {"period": "2099-01"})
    assert r.status_code == 422, r.text
    field = r.text.split('<div class="field has-error">', 1)[1].split("</div>", 1)[0]
    assert 'id="period-error"' in field and "January 10, 2099" in field
    r = page(hub, "boss", url, "POST", {"period": "2026-13"})
    assert r.status_code == 422 and "YYYY-MM" in r.text


def test_a_second_application_links_to_the_first(hub, monkeypatch):
    import hub.web.pages.portal as portal

    async def refused(*args, **kwargs):
        raise already_applied("QQ261101ABCDEFGH")

    monkeypatch.setattr(portal, "submit_request", refused)
    r = page(hub, "ben.a", f"/services/{SERVICE}/submit", "POST", {"_from": f"/services/{SERVICE}/review"})
    assert r.status_code == 409, r.text
    assert 'href="/requests/QQ261101ABCDEFGH"' in r.text and "already applied" in r.text


def test_the_request_that_granted_a_benefit_links_to_it(hub):
    r = page(hub, "ben.a", "/requests/QQ261101ABCDEFGH")
    assert r.status_code == 200, r.text
    assert f'href="/benefits#entitlement-{hub["ents"]["a"]}"' in r.text
