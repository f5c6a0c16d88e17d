"""Open data for researchers, on the real stack: the datasets download as CSV and JSON that say the
same, the data dictionary describes every column of every dataset in both languages, and the
outcome table withholds small counts so that none can be recomputed from its totals."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re

import pytest

from forms.catalog import load_catalog
from hub.clock import BEIJING
from hub.open_data.suppression import MIN_PUBLISHED, TOTAL, PublishedTable
from tests.hub.test_open_data import feasible_intervals, linked_intervals
from tests.stack.flows import file_service, hub_python, wait_for
from tests.stack.harness import Api

pytestmark = pytest.mark.stack
DATASETS = ("service-levels", "outcomes", "programs")


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    # The charset said once (twice, some clients refuse the type).
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def as_text(value) -> str:
    return "" if value is None else str(value)


TRUTH = """
from collections import Counter
from piccolo.query.functions.aggregate import Count
from hub.service_levels import period, outcome_of
start, end = period({year}, None)
rows = await ServiceRequest.select(ServiceRequest.service_id, ServiceRequest.state, Count()).where(
    (ServiceRequest.created_at >= start) & (ServiceRequest.created_at < end) & (ServiceRequest.state != "prepared")
).group_by(ServiceRequest.service_id, ServiceRequest.state)
counts = Counter()
for row in rows:
    counts[row["service_id"] + "|" + outcome_of(row["state"])] += row["count"]
import json
print(json.dumps(counts))
"""


def test_datasets_download_as_csv_and_json_that_say_the_same(stack):
    public = Api(stack.base_url, locale="en")
    year = public.get("/api/open/service-levels").json()["year"]
    for name in DATASETS:
        rows = read_csv(public.get(f"/api/open/datasets/{name}.csv", params={"year": year}))
        body = public.get(f"/api/open/datasets/{name}.json", params={"year": year}).json()
        assert body["dataset"] == name
        assert rows, f"{name} has rows"
        assert list(rows[0]) == body["columns"]
        assert [{k: as_text(v) for k, v in row.items()} for row in body["rows"]] == rows
    # The page's figures and the download's are the same.
    levels = {s["service_id"]: s for s in public.get("/api/open/service-levels").json()["services"]}
    for row in read_csv(public.get("/api/open/datasets/service-levels.csv")):
        assert row["filed"] == as_text(levels[row["service_id"]]["filed"])
        assert row["title"] == levels[row["service_id"]]["title"]
    # A name that is no dataset, or a format that is none, is not found (a problem document).
    for wrong in ("nothing.csv", "outcomes.xlsx", "outcomes"):
        r = public.get(f"/api/open/datasets/{wrong}")
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    r = public.get("/api/open/datasets/outcomes.csv", params={"month": 13})
    assert r.status_code in (400, 422) and r.headers["content-type"].startswith("application/problem+json")


def test_the_data_dictionary_covers_every_column_in_both_languages(stack):
    english = Api(stack.base_url, locale="en").get("/api/open/datasets").json()
    chinese = Api(stack.base_url, locale="zh-CN").get("/api/open/datasets").json()
    assert [d["dataset"] for d in english["datasets"]] == list(DATASETS)
    for en, zh in zip(english["datasets"], chinese["datasets"], strict=True):
        header = list(read_csv(Api(stack.base_url).get(en["csv"]))[0])
        assert [c["name"] for c in en["columns"]] == header, f"{en['dataset']}: the dictionary and the CSV agree"
        for c_en, c_zh in zip(en["columns"], zh["columns"], strict=True):
            assert c_en["meaning"] and c_en["unit"] and c_en["computed"], c_en
            assert c_zh["meaning"] != c_en["meaning"], f"{c_en['name']} is translated"
            assert any("\u4e00" <= ch <= "\u9fff" for ch in c_zh["meaning"]), c_zh
    # The dictionary downloads too: one line per column of every dataset.
    lines = read_csv(Api(stack.base_url, locale="en").get("/api/open/datasets/dictionary.csv"))
    assert len(lines) == sum(len(d["columns"]) for d in english["datasets"])
    assert {(x["dataset"], x["column"]) for x in lines} == {
        (d["dataset"], c["name"]) for d in english["datasets"] for c in d["columns"]
    }


def test_the_open_data_page_s_csv_links_download_with_the_charset_said_once(stack):
    page = Api(stack.base_url).get("/open").text
    links = {html.unescape(link) for link in re.findall(r'href="([^"]+)" download>CSV<', page)}
    assert "/api/open/datasets/dictionary.csv" in links and len(links) > len(DATASETS), links
    for link in links:
        assert read_csv(Api(stack.base_url).get(link)), link


def test_the_outcome_table_withholds_small_counts_and_nothing_gives_them_away(stack):
    catalog = load_catalog()
    # One residence permit: a count of one, which must not show (nor be recomputable).
    applicant, filed = file_service(stack, catalog.latest("residence-permit"))
    public = Api(stack.base_url, locale="en")
    year = public.get("/api/open/service-levels").json()["year"]

    def consistent():
        before = json.loads(hub_python(stack, TRUTH.format(year=year)))
        body = public.get("/api/open/datasets/outcomes.json", params={"year": year}).json()
        after = json.loads(hub_python(stack, TRUTH.format(year=year)))
        return (before, body) if before == after else None

    truth, body = wait_for(consistent, timeout=60, what="a quiet moment to compare the table with the database")
    columns = [c for c in body["columns"] if c not in ("service_id", "title", TOTAL)]
    services = [row["service_id"] for row in body["rows"] if row["service_id"] != TOTAL]
    cells = {(row["service_id"], c): row[c] for row in body["rows"] for c in (*columns, TOTAL)}
    published = PublishedTable(rows=tuple(services), columns=tuple(columns), cells=cells)
    true = {(s, c): truth.get(f"{s}|{c}", 0) for s in services for c in columns}
    for s in services:
        true[(s, TOTAL)] = sum(true[(s, c)] for c in columns)
    for c in (*columns, TOTAL):
        true[(TOTAL, c)] = sum(true[(s, c)] for s in services)
    assert true[("residence-permit", TOTAL)] >= 1
    for key, value in cells.items():
        if value is None:
            continue
        assert value == true[key], f"{key}: the published count is the true one"
        assert not 0 < value < MIN_PUBLISHED, f"{key}: a small count is published"
    assert any(0 < v < MIN_PUBLISHED for v in true.values()), "the stack has a small count to withhold"
    for key, (low, high) in feasible_intervals(published).items():
        assert high - low > 0.5, f"{key} can be recomputed from the published table: {low}"
    # The figures per service follow the table: a withheld total is withheld there too.
    levels = {s["service_id"]: s for s in public.get("/api/open/service-levels").json()["services"]}
    for s in services:
        assert levels[s]["filed"] == cells[(s, TOTAL)]
        if cells[(s, "approved")] is None or cells[(s, "rejected")] is None:
            assert levels[s]["decided"] is None and levels[s]["approved_percent"] is None


def test_a_year_and_its_months_downloaded_together_give_no_withheld_count_away(stack):
    """Whoever downloads the year's table and each of its months' cannot recompute a count any of
    them withholds: a month's is not the year's less the other months'."""
    catalog = load_catalog()
    public = Api(stack.base_url, locale="en")
    year = public.get("/api/open/service-levels").json()["year"]
    this_month = dt.datetime.now(BEIJING).month
    # Two permits of another month of this year, a small count there, and enough this month to be
    # published: the year's less this month's would give the two away if each table were
    # withheld on its own.
    # (The first month of the next quarter, within this year: not last month nor this quarter,
    # which other tests on this stack report on.)
    other_month = (this_month - 1) // 3 * 3 + 4 if this_month <= 9 else 1
    refs = [file_service(stack, catalog.latest("residence-permit"))[1]["ref"] for _ in range(2 + MIN_PUBLISHED)][:2]
    hub_python(
        stack,
        f"""
import datetime as dt
from hub.clock import BEIJING
await ServiceRequest.update(
    {{ServiceRequest.created_at: dt.datetime({year}, {other_month}, 15, 10, tzinfo=BEIJING),
      ServiceRequest.updated_at: dt.datetime.now(dt.timezone.utc)}}
).where(ServiceRequest.ref.is_in({refs!r}))
""",
    )
    periods = {"year": {"year": year}, **{f"M{m:02d}": {"year": year, "month": m} for m in range(1, 13)}}

    def download() -> dict[str, PublishedTable]:
        tables = {}
        for key, params in periods.items():
            body = public.get("/api/open/datasets/outcomes.json", params=params).json()
            columns = [c for c in body["columns"] if c not in ("service_id", "title", TOTAL)]
            services = [row["service_id"] for row in body["rows"] if row["service_id"] != TOTAL]
            cells = {(row["service_id"], c): row[c] for row in body["rows"] for c in (*columns, TOTAL)}
            tables[key] = PublishedTable(rows=tuple(services), columns=tuple(columns), cells=cells)
        return tables

    def quiet():
        first = download()
        return first if download() == first else None  # nothing changed while downloading

    tables = wait_for(quiet, timeout=60, what="a quiet moment to download every table of the year")
    assert len({(t.rows, t.columns) for t in tables.values()}) == 1, "every table lists the same services"
    assert any(t.withheld() for t in tables.values()), "the stack has a small count to withhold"
    months = tuple(key for key in periods if key != "year")
    for (key, cell), (low, high) in linked_intervals(tables, {"year": months}).items():
        assert high - low > 0.5, f"{key} {cell} can be recomputed from the year's tables: {low}"
