"""What a citizen reads about the benefits they may apply for, and what a benefit pays: "My
benefits" decides, from the reader's own identity and the population registry's record of them
(read once, audited), which benefits they can apply for now and says of the others why not (from
when, where their age decides); a benefit's public service page and the API's service detail say
what it pays, monthly or once."""

from __future__ import annotations

import json
import re
import sqlite3
from html import unescape

import pytest
from piccolo.table import create_db_tables

from hub.accounts import issue_token, sealed_name
from hub.clock import now
from hub.db.tables import Account
from hub.registry.population import register_residents
from hub.sealing import seal
from tests.hub.apps import ALL_TABLES, app_of_its_own

ACCOUNTS = [
    # username, full name, role, resident id
    ("chen", "陈建国", "citizen", "330106196606180016"),  # 60, male: born 18 June 1966
    ("fang", "林芳", "citizen", "330106199605200023"),  # 30, female
    ("zhao", "赵老汉", "citizen", "330106194111030017"),  # 85, male
    ("chen.zh", "陈建国", "citizen", "330106196606180016"),  # the same man, reading in Chinese
    ("clerk", "刘洋", "clerk", None),
]


async def _seed() -> dict:
    await create_db_tables(*ALL_TABLES, if_not_exists=True)
    tokens = {}
    for username, name, role, resident_id in ACCOUNTS:
        account = Account(
            username=username,
            full_name=sealed_name(name),
            role=role,
            department="civil-affairs" if role == "clerk" else None,
            resident_id=seal(resident_id, "account.resident_id") if resident_id else None,
            password_hash="-",
            locale="zh_CN" if username.endswith(".zh") else "en",
            created_at=now(),
        )
        await account.save()
        tokens[username] = (await issue_token(account, 1))[0]
    await register_residents([{"resident_id": r, "full_name": n} for u, n, _, r in ACCOUNTS if r and u != "chen.zh"])
    return {"tokens": tokens}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with app_of_its_own(tmp_path_factory.mktemp("benefit-offers"), _seed) as (client, path, seeded):
        yield {**seeded, "client": client, "path": path}


def get(hub, username: str | None, url: str, locale: str = "en", html: bool = True):
    client = hub["client"]
    client.cookies.clear()
    headers = {"Accept": "text/html" if html else "application/json", "Accept-Language": locale}
    if username and html:
        client.cookies.set("qinqing_session", hub["tokens"][username])
    elif username:
        headers["Authorization"] = f"Bearer {hub['tokens'][username]}"
    return client.get(url, headers=headers)


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def section(html: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    return text(found.group(1)) if found else ""


def test_a_man_of_sixty_is_offered_what_he_can_apply_for_first_and_told_why_not_of_the_rest(hub):
    r = get(hub, "chen", "/benefits")
    assert r.status_code == 200, r.text
    can, cannot = section(r.text, "offers-open"), section(r.text, "offers-closed")
    assert r.text.index('id="offers-open"') < r.text.index('id="offers-closed"')
    assert "Minimum living allowance" in can and "Living subsidy for disabled people" in can
    assert "aged 80 and over" not in can and "Maternity allowance" not in can
    assert "Old-age allowance for residents aged 80 and over" in cannot
    assert "From age 80: you can apply from June 18, 2046." in cannot
    assert "Maternity allowance" in cannot
    assert "The maternity allowance is paid to the insured woman who gave birth." in cannot


def test_the_same_page_in_chinese(hub):
    r = get(hub, "chen.zh", "/benefits", locale="zh_CN")
    cannot = section(r.text, "offers-closed")
    assert "80周岁以上老年人高龄津贴" in cannot and "2046年6月18日" in cannot
    assert "最低生活保障" in section(r.text, "offers-open")


def test_each_reader_sees_their_own_and_no_one_elses(hub):
    fang = get(hub, "fang", "/benefits")
    assert "Maternity allowance" in section(fang.text, "offers-open")
    assert "From age 80: you can apply from May 20, 2076." in section(fang.text, "offers-closed")
    assert "2046" not in fang.text
    zhao = get(hub, "zhao", "/benefits")
    assert "Old-age allowance for residents aged 80 and over" in section(zhao.text, "offers-open")
    # Staff have no list of their own and may not ask for one.
    assert get(hub, "clerk", "/api/benefits/offers", html=False).status_code == 403
    assert get(hub, None, "/api/benefits/offers", html=False).status_code in (401, 403)


def test_the_api_gives_the_same_answer_and_the_registry_read_is_audited(hub):
    before = _registry_reads(hub)
    offered = get(hub, "chen", "/api/benefits/offers", html=False).json()
    assert [o["open"] for o in offered] == sorted((o["open"] for o in offered), reverse=True)
    elderly = next(o for o in offered if o["service_id"] == "elderly-care-allowance")
    assert elderly["open"] is False and elderly["from_date"] == "2046-06-18"
    assert elderly["reasons"] == ["From age 80: you can apply from June 18, 2046."]
    reads = _registry_reads(hub)[len(before) :]
    assert len(reads) == 1 and reads[0]["purpose"] == "benefits the person may apply for"


def _registry_reads(hub) -> list[dict]:
    with sqlite3.connect(hub["path"]) as c:
        rows = c.execute(
            "SELECT detail FROM audit_event WHERE action = 'registry.read' AND object_type = 'resident' ORDER BY id"
        ).fetchall()
    return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]


def test_a_benefits_service_page_says_what_it_pays_signed_out(hub):
    en = text(get(hub, None, "/services/elderly-care-allowance").text)
    assert "What it pays" in en and "Paid every month" in en
    assert "CN¥100.00 a month from age 80, CN¥300.00 from age 90 and CN¥600.00 from age 100" in en
    zh = text(get(hub, None, "/services/elderly-care-allowance", locale="zh_CN").text)
    assert "80至89周岁每月¥100.00，90至99周岁每月¥300.00，100周岁及以上每月¥600.00" in zh and "按月发放" in zh
    once = text(get(hub, None, "/services/maternity-allowance").text)
    assert "Paid once" in once and "divided by 30, for each day of maternity leave" in once
    # Not a benefit: nothing said of payments.
    assert "What it pays" not in text(get(hub, None, "/services/residence-permit").text)


def test_the_api_service_detail_says_what_it_pays(hub):
    detail = get(hub, None, "/api/services/elderly-care-allowance", html=False).json()
    assert detail["pays"]["kind"] == "monthly" and detail["pays"]["amount"] is None
    assert "a month from age 80" in detail["pays"]["words"]
    assert get(hub, None, "/api/services/residence-permit", html=False).json().get("pays") is None
