"""What administrators read, in their language and words: the period of a report just made and the
last day of one not ended, written as the reader writes dates; a day that does not exist said to be
so; where a year's holidays come from and how a program is published, without the hub's file names,
packages or endpoints (the endpoints only as a technical note). SQLite only, no Temporal."""

from __future__ import annotations

import re
from html import unescape

import pytest
from litestar.testing import TestClient
from piccolo.table import create_db_tables

from forms.validation import FieldError
from hub.accounts import issue_token, sealed_name
from hub.db.tables import Account
from hub.web.problems import field_message
from tests.hub.apps import ALL_TABLES, app_of_its_own


async def _seed() -> dict[str, str]:
    await create_db_tables(*ALL_TABLES, if_not_exists=True)
    tokens = {}
    for username, locale in (("admin.en", "en"), ("admin.zh", "zh_CN")):
        account = Account(
            username=username, full_name=sealed_name(username), role="admin", password_hash="-", locale=locale
        )
        await account.save()
        tokens[locale] = (await issue_token(account, 1))[0]
    return tokens


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with app_of_its_own(tmp_path_factory.mktemp("admin-wording"), _seed) as (client, _, tokens):
        yield {"client": client, "tokens": tokens}


def client_of(hub, locale: str) -> TestClient:
    client = hub["client"]
    client.cookies.clear()
    client.cookies.set("qinqing_session", hub["tokens"][locale])
    return client


def text_of(html: str) -> str:
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


@pytest.mark.parametrize(
    ("locale", "made", "said"),
    [
        ("en", "2026-11", "The report has been made: November 2026."),
        ("zh_CN", "2026-11", "2026年11月"),
        ("en", "2026-Q4", "The report has been made: Q4 2026."),
        ("en", "2026", "The report has been made: The year 2026."),
    ],
)
def test_the_report_just_made_names_its_period_in_words(hub, locale, made, said):
    r = client_of(hub, locale).get("/open/reports", params={"made": made}, headers={"Accept": "text/html"})
    assert r.status_code == 200
    notice = unescape(r.text.split('class="notice" role="status">', 1)[1].split("</p>", 1)[0])
    assert said in notice and f" {made} " not in f" {notice} "


def test_the_last_day_of_a_period_not_ended_is_written_as_the_reader_writes_dates():
    error = FieldError(field="number", code="period_not_ended", context={"last": "2026-12-31"})
    assert "its last day is December 31, 2026" in field_message("en", error)
    assert "2026年12月31日" in field_message("zh_CN", error)
    assert "2026-12-31" not in field_message("zh_CN", error)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_calendar_page_says_where_holidays_come_from_in_an_administrator_s_words(hub, locale):
    r = client_of(hub, locale).get("/admin/calendar", headers={"Accept": "text/html"})
    assert r.status_code == 200
    read = text_of(r.text)
    for developer in ("chinesecalendar", ".toml", "forms/calendar", "软件包"):
        assert developer not in read, developer
    if locale == "en":
        assert "a file in the catalog, else from the holiday schedule built into the hub" in read
        assert "it knows the years up to 2026" in read


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_a_day_that_does_not_exist_is_said_not_to_exist(hub, locale):
    client = client_of(hub, locale)
    page = client.get("/admin/calendar?year=2027", headers={"Accept": "text/html"}).text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    form = {
        "_csrf_token": token,
        "year": "2027",
        "notice": "test",
        "h0_zh_CN": "春节",
        "h0_en": "Spring Festival",
        "h0_days_off": "2027-02-06..2027-02-12, 2027-02-30",
        "h0_working_days": "2027-02-31",
    }
    refused = client.post("/admin/calendar", data=form, headers={"Accept": "text/html"})
    assert refused.status_code == 422
    said = {
        name: unescape(re.search(rf'id="{name}-error">(.*?)</p>', refused.text, re.S).group(1))
        for name in ("h0_days_off", "h0_working_days")
    }
    assert "2027-02-30" in said["h0_days_off"] and "2027-02-31" in said["h0_working_days"]
    if locale == "en":
        assert "2027-02-30 is not a date that exists" in said["h0_days_off"]
    for message in said.values():
        assert "YYYY-MM-DD" not in message


def test_the_programs_page_says_how_an_administrator_publishes_one(hub):
    r = client_of(hub, "en").get("/admin/programs", headers={"Accept": "text/html"})
    assert r.status_code == 200
    hints = [unescape(h) for h in re.findall(r'<p class="hint">(.*?)</p>', r.text, re.S)]
    assert "/api/" not in hints[0] and "/api/" not in hints[1]
    assert "an administrator's account sends it to the hub" in hints[1]
    assert hints[2].startswith("For technical staff:") and "POST /api/programs" in hints[2]
