"""A decision notice says what a real one says, issued by the real issuer and rendered by WeasyPrint
against a SQLite database: for an approved benefit, the entitlement it became (amount per month or
once, band, start month, how and into which masked account, the payment day) or that its payment is
suspended; for every refusal, its reasons; for both, the applicant's rights to challenge it. The
signed facts recorded with the document (what the verification shows) say the same."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess

import pytest
from piccolo.table import create_db_tables

from forms.catalog import load_catalog
from hub import sealing
from hub.db import tables
from hub.db.engine import PooledSQLiteEngine
from hub.db.tables import Account, Document, Entitlement, ReviewTask, ServiceRequest
from hub.documents.issuer import PdfDocumentIssuer
from hub.documents.render import RenderPool
from hub.documents.signing import KeyRing
from hub.documents.storage import FileContentStore, read_document
from workflows.types import IssueDocument

AT = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
ACCOUNT = "6222021234567890123"
RIGHTS_ZH = "如不服本决定，可在收到本决定书之日起六十日内申请行政复议，或者在六个月内依法提起行政诉讼。"
RIGHTS_EN = (
    "If you disagree, you may apply for administrative reconsideration within 60 days of receiving this notice, "
    "or bring an administrative lawsuit within 6 months."
)
CATALOG = load_catalog()


@pytest.fixture(scope="module")
def renderer():
    pool = RenderPool(1)
    yield pool
    pool.shutdown()


@pytest.fixture
async def issuer(tmp_path, monkeypatch, renderer):
    engine = PooledSQLiteEngine(path=str(tmp_path / "hub.sqlite"))
    every = [t for t in vars(tables).values() if isinstance(t, type) and issubclass(t, tables.Table)]
    every = [t for t in every if t is not tables.Table and t._meta.tablename]
    for table in every:
        monkeypatch.setattr(table._meta, "db", engine)
    await create_db_tables(*every, if_not_exists=True)
    monkeypatch.setattr(sealing, "_keys", sealing.DataKeys(tmp_path / "data-keys"))
    store = FileContentStore(tmp_path / "store")
    yield PdfDocumentIssuer(CATALOG, store, renderer, KeyRing(tmp_path / "signing"), "https://hub.example.gov.cn")
    await engine.close_connections()


async def filed(service_id: str, locale: str, answers: dict, checks: list | None = None, amount=None) -> int:
    """A filed request of the service by a new citizen, with one review decided."""
    spec = CATALOG.latest(service_id)
    assert spec is not None
    n = await Account.count() + 1
    [account] = await Account.insert(
        Account(username=f"citizen{n}", full_name="", role="citizen", password_hash="x", created_at=AT)
    ).returning(Account.id)
    [row] = await ServiceRequest.insert(
        ServiceRequest(
            ref=f"QQ26120300000{n:03d}",
            workflow_id=f"request-{n}",
            service_id=service_id,
            service_version=spec.version,
            applicant=account["id"],
            idempotency_scope=f"{account['id']}:{n}",
            payload_hash="",
            state="in_review",
            answers=json.dumps(sealing.seal_answers(spec.personal_fields, answers), ensure_ascii=False),
            rule_results="[]",
            check_results=json.dumps(checks or []),
            amount=amount,
            locale=locale,
            created_at=AT - dt.timedelta(days=5),
            updated_at=AT,
        )
    ).returning(ServiceRequest.id)
    await ReviewTask.insert(
        ReviewTask(
            key=f"request-{n}:review",
            request=row["id"],
            stage_id=spec.route[-1].id,
            stage_title=spec.route[-1].title,
            department=spec.route[-1].departments[0],
            state="rejected" if checks else "approved",
            opened_at=AT - dt.timedelta(days=4),
            due_at=AT + dt.timedelta(days=5),
            decided_at=AT - dt.timedelta(days=1),
        )
    )
    return row["id"]


async def entitled(request_id: int, service_id: str, kind: str, state: str, reason: str, cents: int, band: str) -> None:
    """The entitlement the approval became, as the register writes it before the decision."""
    await Entitlement.insert(
        Entitlement(
            key=f"request:{request_id}",
            service_id=service_id,
            service_version=1,
            holder_key="resident:x",
            resident_id="",
            full_name="",
            request=request_id,
            kind=kind,
            amount_formula="1",
            maximum_cents=100_000_000,
            amount_cents=cents,
            band=band,
            payment_method="bank",
            payee_account=sealing.seal(ACCOUNT, "entitlement.payee_account"),
            payment_day=10,
            start_period="2026-12",
            state=state,
            reason=reason,
            created_at=AT,
            updated_at=AT,
        )
    )
    await ServiceRequest.update({ServiceRequest.amount: f"{cents / 100:.2f}"}).where(ServiceRequest.id == request_id)


async def decision(issuer: PdfDocumentIssuer, request_id: int, outcome: str, locale: str) -> tuple[str, dict]:
    """Issue the request's decision: its PDF's text (without the spaces and line breaks the layout
    puts in) and the signed facts recorded with it."""
    key = f"request-{request_id}:decision"
    issued = await issuer.issue(
        IssueDocument(key=key, request_id=request_id, kind="decision", outcome=outcome, locale=locale, issued_at=AT)
    )
    row = await Document.objects().where(Document.key == key).first()
    assert row is not None and row.sha256 == issued.sha256
    pdf = await read_document(issuer.store, key, row.sha256, row.stored_as)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return re.sub(r"\s+", "", text), json.loads(row.facts)


ELDERLY = {
    "full_name": "王秀英",
    "resident_id": "330106193801011234",
    "hukou_local": True,
    "payment_method": "bank",
    "bank_account": ACCOUNT,
}


async def test_an_approved_monthly_benefit_states_amount_band_start_payment_and_rights(issuer):
    request_id = await filed("elderly-care-allowance", "zh_CN", ELDERLY)
    await entitled(request_id, "elderly-care-allowance", "monthly", "active", "", 30000, "90-99")
    text, facts = await decision(issuer, request_id, "approved", "zh_CN")

    assert "经审核，决定批准您的申请。" in text
    assert "核定金额每月¥300.00" in text and "补贴档次90–99" in text
    assert "起始发放月份2026年12月" in text and "发放方式发放至银行账户" in text
    assert "收款账户6222***********0123" in text and ACCOUNT not in text
    assert "发放日每月10日" in text
    assert RIGHTS_ZH in text
    assert facts["amount"] == "300.00"
    assert facts["benefit"] == {
        "kind": "monthly",
        "state": "active",
        "reason": "",
        "amount": "300.00",
        "band": "90-99",
        "start_period": "2026-12",
        "payment_method": "bank",
        "payee_account": "6222***********0123",
        "payment_day": 10,
    }
    assert facts["rights"] == {"reconsideration_days": 60, "lawsuit_months": 6}


async def test_a_one_off_benefit_in_english_and_one_suspended_at_grant(issuer):
    maternity = await filed("maternity-allowance", "en", {"full_name": "Li Na", "bank_account": ACCOUNT})
    await entitled(maternity, "maternity-allowance", "one_off", "active", "", 1_250_000, "")
    text, facts = await decision(issuer, maternity, "approved", "en")
    assert "Decision:yourapplicationisapproved." in text
    assert "AmountgrantedCN¥12,500.00,paidonce" in text and "MonthofpaymentDecember2026" in text
    assert "Band" not in text and "PaymentdayDay10ofthatmonth" in text
    assert re.sub(r"\s+", "", RIGHTS_EN) in text
    assert facts["benefit"]["kind"] == "one_off" and facts["benefit"]["amount"] == "12500.00"

    # No registry record: granted, its payment suspended, and no amount anywhere on the notice.
    suspended = await filed("elderly-care-allowance", "zh_CN", ELDERLY)
    await entitled(suspended, "elderly-care-allowance", "monthly", "suspended", "no-registry-record", 0, "")
    text, facts = await decision(issuer, suspended, "approved", "zh_CN")
    assert "暂停发放，原因是人口信息库中未查到受益人的有效记录" in text
    assert "¥" not in text and "核定金额" not in text and "发放日" not in text
    assert "起始发放月份2026年12月" in text and RIGHTS_ZH in text
    assert facts["amount"] is None
    assert facts["benefit"]["state"] == "suspended" and facts["benefit"]["amount"] is None
    assert facts["benefit"]["reason"] == "no-registry-record"


async def test_a_refusal_keeps_its_reasons_and_states_the_rights(issuer):
    checks = [{"id": "aged-80", "passed": False, "message": "The applicant must be aged 80 or over."}]
    refused = await filed("elderly-care-allowance", "zh_CN", ELDERLY, checks=checks)
    text, facts = await decision(issuer, refused, "rejected", "zh_CN")
    assert "经审核，决定不予批准您的申请。" in text
    assert "申请人须年满80周岁。" in text
    assert RIGHTS_ZH in text and "核定金额" not in text
    assert "benefit" not in facts and facts["rights"] == {"reconsideration_days": 60, "lawsuit_months": 6}

    english = await filed("elderly-care-allowance", "en", ELDERLY, checks=checks)
    text, _ = await decision(issuer, english, "rejected", "en")
    assert "Theapplicantmustbeaged80orover." in text and re.sub(r"\s+", "", RIGHTS_EN) in text


async def test_the_verification_shows_what_the_notice_says(issuer, tmp_path, monkeypatch):
    from litestar.testing import AsyncTestClient

    from hub.settings import load_settings
    from hub.web.app import create_app

    request_id = await filed("elderly-care-allowance", "zh_CN", ELDERLY)
    await entitled(request_id, "elderly-care-allowance", "monthly", "active", "", 10000, "80-89")
    _, facts = await decision(issuer, request_id, "approved", "zh_CN")
    keys = sealing._keys
    app = create_app(load_settings({"QINQING_VAR_DIR": str(tmp_path / "var")}))
    monkeypatch.setattr(sealing, "_keys", keys)
    async with AsyncTestClient(app) as client:
        page = await client.get(f"/verify/{facts['code']}", headers={"Accept-Language": "zh-CN"})
        checked = await client.get(f"/verify/{facts['code']}", headers={"Accept": "application/json"})
    assert page.status_code == 200, page.text
    shown = re.sub(r"<[^>]+>|\s+", "", page.text)
    assert "核定金额每月¥100.00" in shown and "补贴档次80–89" in shown and "起始发放月份2026年12月" in shown
    assert "收款账户6222***********0123" in shown and "发放日每月10日" in shown and RIGHTS_ZH in shown
    assert checked.json()["benefit"] == facts["benefit"] and checked.json()["states_rights"] is True
