"""The auditor's log without Temporal: each event's details read as words in the reader's language
with their codes beneath, the system's own events read alone, and a filter value that is not one
said next to its field on the page and as a problem document by the API, which answers the same
events as the page. Events are recorded straight into a SQLite database."""

from __future__ import annotations

import re
from html import unescape

import pytest
from piccolo.table import create_db_tables

from hub.accounts import issue_token, principal, sealed_name
from hub.audit import record
from hub.db.tables import Account
from tests.hub.apps import ALL_TABLES, app_of_its_own

PROBLEM = "application/problem+json"


async def _seed() -> dict[str, str]:
    await create_db_tables(*ALL_TABLES, if_not_exists=True)
    tokens = {}
    # The page speaks its reader's language: each auditor's own.
    for username, role, locale in (
        ("auditor", "auditor", "en"),
        ("auditor.zh", "auditor", "zh_CN"),
        ("civil.one", "clerk", "en"),
    ):
        account = Account(
            username=username, full_name=sealed_name(username), role=role, password_hash="-", locale=locale
        )
        await account.save()
        tokens[username] = (await issue_token(account, 1))[0]
        if role == "clerk":
            clerk = principal(account)
    # The hub's own reads and moves (no user), and a clerk's sign-in on the pages.
    await record(None, None, "registry.read", "enterprise", "1-9", purpose="job-stabilisation-2026", count=9)
    await record(None, clerk, "auth.signed_in", "account", clerk.id, channel="page")
    await record(None, None, "case.escalated", "case", "FB2611", kind="follow_up")
    await record(None, clerk, "case.answered", "case", "FB2611", outcome="resolved")
    # A read for a service, by its id, and a request's filing naming its service (as a trail shows it).
    await record(
        None,
        None,
        "registry.read",
        "enterprise",
        "91330106MA2XXXXX1A",
        purpose="prefill and eligibility of elderly-care-allowance",
        sources=["market-regulation", "tax", "social-insurance"],
    )
    await record(None, clerk, "request.filed", "request", "QQ2612060001", service="elderly-care-allowance", version=1)
    await record(None, None, "registry.read", "resident", "1 of 1", purpose="policies for you")
    return tokens


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with app_of_its_own(tmp_path_factory.mktemp("audit-log"), _seed) as (client, _, tokens):
        yield {"client": client, "tokens": tokens}


def page(hub, url: str, params: dict | None = None, locale: str = "en") -> str:
    client = hub["client"]
    client.cookies.clear()
    client.cookies.set("qinqing_session", hub["tokens"]["auditor" if locale == "en" else "auditor.zh"])
    r = client.get(url, params=params, headers={"Accept": "text/html"})
    assert r.status_code == 200, r.text[:500]
    return r.text


def api(hub, params: dict, locale: str = "en"):
    client = hub["client"]
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {hub['tokens']['auditor']}", "Accept-Language": locale}
    return client.get("/api/audit", params=params, headers=headers)


def details(html: str) -> list[str]:
    """The details column as read: each item's words, then its code beneath."""
    cells = re.findall(r'<td data-label="(?:Details|详情)[^"]*" class="breakable">(.*?)</td>', html, re.S)
    items = [li for cell in cells for li in re.findall(r"<li>(.*?)</li>", cell, re.S)]
    return [" | ".join(part for part in re.split(r"<[^>]+>", unescape(li)) if part.strip()) for li in items]


def test_details_read_as_words_with_their_codes_beneath(hub):
    shown = details(page(hub, "/audit"))
    assert "Channel: Web pages | channel: page" in shown
    assert "Outcome: Resolved | outcome: resolved" in shown
    assert "Kind: Follow-up of a low rating | kind: follow_up" in shown
    # Free text stays as recorded; the key is beneath it.
    assert "Purpose: job-stabilisation-2026 | purpose" in shown
    assert "Records read: 9 | count" in shown
    assert not any(item.startswith(("channel:", "purpose:", "outcome:")) for item in shown)

    chinese = details(page(hub, "/audit", locale="zh_CN"))
    assert "处理结果：已解决 | outcome: resolved" in chinese  # full-width colon in Chinese
    assert "类别：差评回访 | kind: follow_up" in chinese
    assert any(item.startswith("渠道：") and item.endswith("| channel: page") for item in chinese)


def test_the_system_s_events_can_be_read_alone_on_the_page_and_by_the_api(hub):
    html = page(hub, "/audit", {"by": "system"})
    select = html.split('id="audit-by"', 1)[1].split("</select>", 1)[0]
    assert '<option value="system" selected>The system</option>' in select
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "Registry record read" in rows and "Case escalated" in rows
    assert "civil.one" not in rows and "Signed in" not in rows and "Case answered" not in rows

    events = api(hub, {"by": "system"}).json()["events"]
    assert {e["actor"] for e in events} == {None}
    assert {"registry.read", "case.escalated"} <= {e["action"] for e in events}
    assert "auth.signed_in" not in {e["action"] for e in events}
    # Without it, everyone's: the clerk's events too.
    assert "auth.signed_in" in {e["action"] for e in api(hub, {}).json()["events"]}
    assert "Signed in" in page(hub, "/audit")


@pytest.mark.parametrize(
    ("params", "field"), [({"by": "robots"}, "by"), ({"by": "system", "actor": "civil.one"}, "actor")]
)
def test_a_filter_value_that_is_not_one_is_said_next_to_its_field(hub, params, field):
    html = page(hub, "/audit", params)
    said = html.split(f'id="audit-{field}-error"', 1)[1].split("</p>", 1)[0]
    expected = {"by": "Choose one of the listed options.", "actor": "This field does not apply"}[field]
    assert expected in unescape(said)
    assert f'aria-describedby="audit-{field}-error"' in html
    # What was asked is still what the form shows.
    assert f'<option value="{params["by"]}" selected>' in html.split('id="audit-by"', 1)[1].split("</select>", 1)[0]

    r = api(hub, params)
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), r.text[:300]
    body = r.json()
    assert body["type"] == "/problems/validation-failed"
    assert [e["field"] for e in body["errors"]] == [field]
    chinese = api(hub, params, locale="zh-CN")
    assert chinese.status_code == 422 and chinese.headers["content-language"].startswith("zh")
    assert chinese.json()["errors"][0]["message"] != body["errors"][0]["message"]


def test_ids_and_purposes_read_as_titles_in_the_reader_s_language(hub):
    chinese = details(page(hub, "/audit", locale="zh_CN"))
    assert "申请事项：80周岁以上老年人高龄津贴 | service: elderly-care-allowance" in chinese
    purpose = next(
        item for item in chinese if item.endswith("purpose: prefill and eligibility of elderly-care-allowance")
    )
    assert "80周岁以上老年人高龄津贴" in purpose and "of elderly-care-allowance |" not in purpose
    assert not any("policies for you |" in item for item in chinese)
    english = details(page(hub, "/audit"))
    assert "Service: Old-age allowance for residents aged 80 and over | service: elderly-care-allowance" in english
    assert (
        "Sources: Market regulation, Tax, and Social insurance | "
        + ('sources: ["market-regulation", "tax", "social-insurance"]')
        in english
    )
    assert "Purpose: Subsidy policies the enterprise may claim | purpose: policies for you" in english
    # A batch read's object in words, its code beneath.
    html = page(hub, "/audit")
    assert "1 found of 1 asked for" in html and "<code>resident: 1 of 1</code>" in html
    assert "<code>1 of 1</code>" not in html


@pytest.mark.parametrize(
    ("params", "field", "expected"),
    [
        ({"since": "2026-13-01"}, "since", "2026-13-01 is not a date that exists"),
        ({"since": "2026-12-05", "until": "2026-12-01"}, "until", "Enter a date between 2026-12-05"),
    ],
)
def test_a_date_that_is_not_one_is_said_next_to_its_field_and_kept(hub, params, field, expected):
    html = page(hub, "/audit", params)
    said = html.split(f'id="audit-{field}-error"', 1)[1].split("</p>", 1)[0]
    assert expected in unescape(said)
    # The field keeps what was asked (a date input would show nothing for 2026-13-01).
    assert f'id="audit-{field}" name="{field}" type="text" value="{params[field]}"' in html
    # Nothing was read: the page does not say that no event matches.
    assert "No events match." not in html and "No events were read: correct the filter above." in html

    r = api(hub, params)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field]
    assert expected in r.json()["errors"][0]["message"]
