"""Searching the catalog with the words people use: everyday names and abbreviations (低保 for
最低生活保障, 生孩子 for a birth) find the service or life event they name, in either language and
under either interface language, a match on a name before one in a summary; the home page says what
it found (life events and services) and the API searches the same way."""

from __future__ import annotations

import re
from html import unescape

import pytest
from piccolo.table import create_db_tables

from forms.catalog import load_catalog
from hub.catalog.searching import search
from tests.hub.apps import ALL_TABLES, app_of_its_own

CATALOG = load_catalog()
EN = {"Accept": "text/html", "Accept-Language": "en"}
ZH = {"Accept": "text/html", "Accept-Language": "zh-CN"}


def services(q: str) -> list[str]:
    return [s.id for s in search(CATALOG.current(), q)]


def events(q: str) -> list[str]:
    return [e.id for e in search(list(CATALOG.life_events.values()), q)]


# --- the search -----------------------------------------------------------------------------------


def test_dibao_finds_the_minimum_living_allowance_first():
    # The disability subsidy's summary speaks of 低保 households: found too, after the allowance.
    assert services("低保")[:2] == ["minimum-living-allowance", "disability-living-subsidy"]
    assert services("低保金")[0] == "minimum-living-allowance"


def test_having_a_baby_finds_the_newborn_life_event_and_the_maternity_allowance():
    assert events("生孩子") == ["newborn"]
    assert {"maternity-allowance", "birth-medical-certificate", "newborn-household-registration"} <= set(
        services("生孩子")
    )


@pytest.mark.parametrize(
    ("q", "service"),
    [("dibao", "minimum-living-allowance"), ("welfare", "minimum-living-allowance"), ("baby", "maternity-allowance")],
)
def test_english_search_words_find_their_service(q, service):
    assert service in services(q)


def test_a_name_ranks_above_a_summary():
    # 残疾 is in the disability subsidy's title; the allowance's summary does not hold it.
    assert services("残疾")[0] == "disability-living-subsidy"
    # Every word must be found somewhere.
    assert services("低保 baby") == []


def test_full_width_letters_and_any_case_are_found():
    assert services("ＤＩＢＡＯ") == ["minimum-living-allowance"]


def test_an_empty_search_finds_everything_in_catalog_order():
    assert services("  ") == [s.id for s in CATALOG.current()]


def test_the_old_everyday_name_finds_the_residence_permit():
    assert services("暂住证") == ["residence-permit"]


# --- the home page and the API --------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    async def tables_only() -> None:
        await create_db_tables(*ALL_TABLES, if_not_exists=True)

    with app_of_its_own(tmp_path_factory.mktemp("catalog-search"), tables_only) as (c, _, _):
        yield c


def results(html: str) -> str:
    return html.split('id="results"', 1)[1]


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


def test_the_home_page_lists_the_minimum_living_allowance_first_for_dibao(client):
    page = client.get("/", params={"q": "低保"}, headers=ZH)
    assert page.status_code == 200
    found = results(page.text)
    links = re.findall(r'<a href="/services/([a-z-]+)">', found)
    assert links[:2] == ["minimum-living-allowance", "disability-living-subsidy"]
    assert "最低生活保障" in text(found)
    assert "“低保”" in text(found)  # the heading repeats what was searched


def test_the_home_page_finds_the_newborn_life_event_in_english(client):
    page = client.get("/", params={"q": "baby"}, headers=EN)
    found = results(page.text)
    said = text(found)
    assert "Results for “baby”" in said
    assert "Found 1 life event and 5 services." in said
    assert '<a href="/life-events/newborn">Birth of a baby</a>' in found
    assert '<a href="/services/maternity-allowance">Maternity allowance</a>' in found
    # The life event, one application for all of them, comes before the services.
    assert found.index("/life-events/newborn") < found.index("/services/")


def test_one_service_found_is_said_in_the_singular(client):
    said = text(results(client.get("/", params={"q": "welfare"}, headers=EN).text))
    assert "Found 1 service." in said
    assert "Minimum living allowance" in said


def test_the_searched_words_are_escaped(client):
    page = client.get("/", params={"q": "<b>x"}, headers=EN)
    assert "<b>x" not in page.text
    assert "No service matches" in text(results(page.text))


def test_a_group_page_does_not_repeat_its_life_event_as_a_result(client):
    found = results(client.get("/", params={"event": "having-a-baby"}, headers=EN).text)
    assert "Found" not in text(found)
    assert found.count("/life-events/newborn") == 1  # its "apply for them all at once" link alone


def test_the_api_searches_services_and_life_events_by_search_words(client):
    listed = client.get("/api/services", params={"q": "低保"}, headers={"Accept-Language": "en"}).json()
    assert [s["id"] for s in listed][:2] == ["minimum-living-allowance", "disability-living-subsidy"]
    assert listed[0]["title"] == "Minimum living allowance"
    found = client.get("/api/life-events", params={"q": "生孩子"}).json()
    assert [e["id"] for e in found] == ["newborn"]
    assert len(client.get("/api/life-events").json()) == len(CATALOG.life_events)
