"""The governance report (white paper), on the real stack: a monthly Temporal schedule registered on
the server, an administrator's report of an ended month read back from its PDFs in Chinese and
English, verified at /verify like any document, listed as open data; and a period that has not
ended, or an unknown kind, refused with nothing made."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from hub.clock import BEIJING
from tests.stack.db import sql
from tests.stack.flows import file_request, hub_python, pdf_text, wait_for
from tests.stack.harness import Api

pytestmark = pytest.mark.stack

MOVE_BACK = """
import datetime as dt
refs = {refs!r}
moment = dt.datetime.fromisoformat({moment!r})
await ServiceRequest.update({{ServiceRequest.created_at: moment, ServiceRequest.updated_at: moment}}).where(
    ServiceRequest.ref.is_in(refs)
)
"""


def last_month() -> dt.date:
    today = dt.datetime.now(BEIJING).date()
    return today.replace(day=1) - dt.timedelta(days=1)


def test_the_monthly_report_is_a_schedule_on_the_temporal_server(stack):
    # The worker registers it once it polls (the stack's web server may answer before).
    def registered():
        found = stack.temporal_cli("schedule", "describe", "--schedule-id", "monthly-governance-report", "-o", "json")
        return found if found.returncode == 0 else None

    described = wait_for(registered, timeout=60, interval=1, what="the governance report's schedule")
    schedule = json.loads(described.stdout)["schedule"]
    assert schedule["action"]["startWorkflow"]["workflowType"]["name"] == "GovernanceReportWorkflow"
    [calendar] = schedule["spec"]["structuredCalendar"]
    assert calendar["dayOfMonth"] == [{"start": 1, "end": 1, "step": 1}]


def test_a_period_not_ended_or_of_an_unknown_kind_is_refused_and_nothing_is_made(stack):
    admin = Api(stack.base_url, "admin", locale="en")
    before = Api(stack.base_url).get("/api/open/reports").json()
    stored = sql(stack, "SELECT COUNT(*) AS n FROM document WHERE kind = {}", "governance_report")
    today = dt.datetime.now(BEIJING).date()
    for body, field in [
        ({"kind": "month", "year": today.year, "number": today.month}, "number"),
        ({"kind": "year", "year": today.year}, "year"),
        ({"kind": "week", "year": 2025, "number": 3}, "kind"),
        ({"kind": "month", "year": 2025, "number": 13}, "number"),
    ]:
        r = admin.post("/api/governance-reports", json=body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in r.json()["errors"]] == [field], r.json()
    not_ended = admin.post(
        "/api/governance-reports",
        json={"kind": "quarter", "year": today.year, "number": (today.month - 1) // 3 + 1},
        headers={"Accept-Language": "zh-CN"},
    ).json()
    assert "尚未结束" in not_ended["errors"][0]["message"], not_ended
    assert Api(stack.base_url).get("/api/open/reports").json() == before
    assert sql(stack, "SELECT COUNT(*) AS n FROM document WHERE kind = {}", "governance_report") == stored
    # Only administrators make reports.
    assert (
        Api(stack.base_url, "auditor").post("/api/governance-reports", json={"kind": "year", "year": 2025}).status_code
        == 403
    )


def test_the_report_of_an_ended_month_reads_back_in_both_languages_and_verifies(stack):
    month = last_month()
    # Six old-age allowance requests, filed (as far as the figures go) in the middle of last month.
    citizen = Api(stack.base_url, "zhangsan")
    refs = [file_request(citizen).json()["ref"] for _ in range(6)]
    moment = dt.datetime(month.year, month.month, 15, 12, tzinfo=BEIJING).isoformat()
    hub_python(stack, MOVE_BACK.format(refs=refs, moment=moment))

    admin = Api(stack.base_url, "admin")
    admin.http.timeout = 180  # counting two periods and laying out two PDFs, the first in a new render process
    body = {"kind": "month", "year": month.year, "number": month.month}
    made = admin.post("/api/governance-reports", json=body)
    assert made.status_code == 201, made.text
    issued = made.json()
    assert set(issued["documents"]) == {"zh_CN", "en"}
    # Asking again makes nothing new: the same documents.
    assert admin.post("/api/governance-reports", json=body).json() == issued

    public = Api(stack.base_url, locale="en")
    listed = [r for r in public.get("/api/open/reports").json() if r["period"] == f"{month.year}-{month.month:02d}"]
    assert {r["locale"]: r["verification_code"] for r in listed} == issued["documents"]
    # What the open data says of the month: the report's figures are the same.
    outcomes = public.get("/api/open/datasets/outcomes.json", params={"year": month.year, "month": month.month}).json()
    total = next(r for r in outcomes["rows"] if r["service_id"] == "total")
    allowance = next(r for r in outcomes["rows"] if r["service_id"] == "elderly-care-allowance")
    assert allowance["total"] is not None and allowance["total"] >= 6

    texts = {}
    for report in listed:
        pdf = public.get(report["download"])
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = pdf_text(pdf.content)
        texts[report["locale"]] = text
        assert report["number"] in text and report["verification_code"] in text
        # Verified like any document: genuine, valid, issued by the government services administration,
        # and the PDF downloaded is the one the register holds.
        verified = public.get(f"/verify/{report['verification_code']}", headers={"Accept": "application/json"}).json()
        assert verified["found"] and verified["genuine"] and verified["status"] == "valid", verified
        assert verified["kind"] == "governance_report" and verified["issuer"]["code"] == "government-services"
        assert verified["sha256"] == hashlib.sha256(pdf.content).hexdigest()
        page = public.get(f"/verify/{report['verification_code']}")
        assert "Governance report" in page.text and "<pre" not in page.text

    en, zh = " ".join(texts["en"].split()), " ".join(texts["zh_CN"].split())
    assert "Governance report" in en and f"{month.year}" in en
    assert "Requests filed" in en and "Old-age allowance" in en
    # The headline's count of requests filed is the open data's total for the month.
    assert f"Requests filed {total['total']}" in en, en[:2000]
    for heading in (
        "The slowest services",
        "The slowest steps",
        "The best rated services",
        "Bad ratings and what was done about them",
        "Grievances and their outcomes",
        "Subsidies and benefits paid",
        "Year-on-year change by service",
    ):
        assert heading in en, heading
    assert "Not available" not in en
    assert "政务服务" in zh and "高龄津贴" in zh and f"{month.year}年" in zh
    assert f"提交申请 {total['total']}" in zh or f"提交申请件数 {total['total']}" in zh, zh[:2000]

    # The open-data page lists it for the public, in the reader's language.
    page = Api(stack.base_url, locale="en").get("/open").text
    assert issued["documents"]["en"] in page or listed[0]["download"] in page


RACE = """
import asyncio, datetime as dt
from forms.catalog import load_catalog
from hub.clock import now
from hub.documents.render import RenderPool
from hub.documents.signing import signing_key_ring
from hub.documents.storage import content_store
from hub.governance.issuing import PiccoloGovernanceReports
from hub.settings import load_settings
from workflows.governance.types import IssueReport, ReportPeriod
settings = load_settings()
renderer = RenderPool(1)
reports = PiccoloGovernanceReports(load_catalog(settings.catalog_path), content_store(settings), renderer,
                                   signing_key_ring(settings), settings.base_url)
asked = IssueReport(period=ReportPeriod(kind="quarter", year=2025, number=2), issued_at=now())
try:
    first, second = await asyncio.gather(reports.issue(asked), reports.issue(asked))
finally:
    renderer.shutdown()
print(first == second)
"""


def test_two_runs_for_the_same_period_at_once_issue_one_document_per_language_and_skip_no_number(stack):
    # The schedule's run and an administrator's for the same period can meet: one registers each
    # language's document, the other finds it; the numbers the other took are given back.
    print_same = hub_python(stack, RACE)
    assert print_same.strip().splitlines()[-1] == "True"
    rows = sql(stack, "SELECT locale, number FROM document WHERE key LIKE {}", "governance-report:2025-Q2:%")
    assert sorted(r["locale"] for r in rows) == ["en", "zh_CN"]
    issued = sql(stack, "SELECT COUNT(*) AS n FROM document WHERE department = {}", "government-services")[0]["n"]
    last = sql(stack, "SELECT last FROM document_sequence WHERE scope LIKE {}", "government-services:%")
    assert sum(r["last"] for r in last) == issued, "every number taken is a document: none skipped"
