"""A life event's combined result, made by the real renderer against a SQLite database: once every
part is settled, one PDF lists each part's service and state and each decision with its number and
verification code, in the reader's language; while a part is in progress the answer is 409, and
anyone but the applicant finds no such case."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess

import pytest
from piccolo.table import create_db_tables

from forms.catalog import load_catalog
from hub import sealing
from hub.accounts import NAME_FIELD, Principal
from hub.actor import Actor
from hub.context import HubContext
from hub.db import tables
from hub.db.engine import PooledSQLiteEngine
from hub.db.tables import Account, Document, LifeEventCase, ServiceRequest
from hub.documents.render import RenderPool
from hub.documents.signing import KeyRing
from hub.documents.storage import FileContentStore
from hub.errors import HubError
from hub.life_events.result import result_pdf
from hub.settings import Settings

AT = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
CATALOG = load_catalog()
CODES = {"allowance": "ABCDE23456", "disability": "FGHJK78923"}
NUMBERS = {"allowance": "西民〔2026〕7号", "disability": "西残〔2026〕3号"}


@pytest.fixture(scope="module")
def renderer():
    pool = RenderPool(1)
    yield pool
    pool.shutdown()


@pytest.fixture
async def ctx(tmp_path, monkeypatch, renderer):
    engine = PooledSQLiteEngine(path=str(tmp_path / "hub.sqlite"))
    every = [t for t in vars(tables).values() if isinstance(t, type) and issubclass(t, tables.Table)]
    every = [t for t in every if t is not tables.Table and t._meta.tablename]
    for table in every:
        monkeypatch.setattr(table._meta, "db", engine)
    await create_db_tables(*every, if_not_exists=True)
    monkeypatch.setattr(sealing, "_keys", sealing.DataKeys(tmp_path / "data-keys"))
    yield HubContext(
        settings=Settings(public_url="https://hub.example.gov.cn"),
        catalog=CATALOG,
        documents=FileContentStore(tmp_path / "store"),
        signing_keys=KeyRing(tmp_path / "signing"),
        renderer=renderer,
    )
    await engine.close_connections()


async def citizen(username: str) -> int:
    [row] = await Account.insert(
        Account(
            username=username,
            full_name=sealing.seal("赵六", NAME_FIELD),
            resident_id=sealing.seal("330106195809080029", "account.resident_id"),
            role="citizen",
            password_hash="x",
            created_at=AT,
        )
    ).returning(Account.id)
    return row["id"]


def actor(account: int, locale: str) -> Actor:
    return Actor(
        user=Principal(id=account, username="zhaoliu", full_name="", role="citizen", department=None, locale=locale),
        locale=locale,
    )


async def case(applicant: int, states: dict[str, str]) -> str:
    """A hard-times case with its parts in ``states``, each decided part a request with its decision."""
    event = CATALOG.life_events["hard-times"]
    ref = f"LE2612030000{await LifeEventCase.count() + 1:02d}"
    [stored] = await LifeEventCase.insert(
        LifeEventCase(
            ref=ref,
            workflow_id=f"life-event-{ref}",
            event_id=event.id,
            event_version=event.version,
            applicant=applicant,
            idempotency_scope=ref,
            payload_hash="",
            state="done" if all(s in ("approved", "rejected") for s in states.values()) else "in_progress",
            parts="{}",
            locale="zh_CN",
            created_at=AT - dt.timedelta(days=9),
            updated_at=AT,
        )
    ).returning(LifeEventCase.id)
    parts = {}
    for part_id, state in states.items():
        part = event.part(part_id)
        request_ref = f"QQ{ref[2:]}{part_id[:2].upper()}"
        [request] = await ServiceRequest.insert(
            ServiceRequest(
                ref=request_ref,
                workflow_id=f"request-{request_ref}",
                service_id=part.service,
                service_version=part.version,
                applicant=applicant,
                idempotency_scope=f"life-event:{ref}:{part_id}",
                payload_hash="",
                state=state,
                answers="{}",
                rule_results="[]",
                locale="zh_CN",
                created_at=AT - dt.timedelta(days=9),
                updated_at=AT,
                life_event_case=stored["id"],
            )
        ).returning(ServiceRequest.id)
        parts[part_id] = {"answers": {}, "results": [], "expected": None, "state": state, "ref": request_ref}
        if state in ("approved", "rejected"):
            await Document.insert(
                Document(
                    key=f"request-{request['id']}:decision",
                    request=request["id"],
                    kind="decision",
                    locale="zh_CN",
                    sha256="",
                    size=0,
                    issued_at=AT,
                    department="x",
                    number=NUMBERS[part_id],
                    verification_code=CODES[part_id],
                )
            )
    await LifeEventCase.update({LifeEventCase.parts: json.dumps(parts, ensure_ascii=False)}).where(
        LifeEventCase.id == stored["id"]
    )
    return ref


def text_of(pdf: bytes) -> str:
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return re.sub(r"\s+", "", text)


async def test_a_settled_case_lists_each_part_its_state_and_codes_in_both_languages(ctx):
    applicant = await citizen("zhaoliu")
    ref = await case(applicant, {"allowance": "approved", "disability": "rejected"})

    file = await result_pdf(ctx, actor(applicant, "zh_CN"), ref)
    assert file.media_type == "application/pdf" and file.filename == f"{ref}-result.pdf"
    text = text_of(file.data)
    assert "办理结果告知书" in text and "困难群众救助一件事" in text
    assert text.index("最低生活保障") < text.index("困难残疾人生活补贴")
    assert "已批准" in text and "不予批准" in text
    assert NUMBERS["allowance"] in text and NUMBERS["disability"] in text
    assert f"核验码:{CODES['allowance']}" in text.replace("：", ":")
    assert CODES["disability"] in text and "https://hub.example.gov.cn/verify" in text
    assert "3301**********0029" in text and "330106195809080029" not in text

    text = text_of((await result_pdf(ctx, actor(applicant, "en"), ref)).data)
    assert "Noticeoftheresultsofalifeevent" in text and "Helpinhardtimes" in text
    assert "Minimumlivingallowance" in text and "Livingsubsidyfordisabledpeople" in text
    assert "Approved" in text and "Notapproved" in text
    assert f"Verificationcode:{CODES['allowance']}" in text and CODES["disability"] in text


async def test_in_progress_is_409_and_another_citizen_finds_nothing(ctx):
    applicant = await citizen("zhaoliu")
    settled = await case(applicant, {"allowance": "rejected"})
    pending = await case(applicant, {"allowance": "approved", "disability": "filed"})

    with pytest.raises(HubError) as refused:
        await result_pdf(ctx, actor(applicant, "en"), pending)
    assert refused.value.kind == "conflict" and refused.value.code == "life-event-in-progress"

    other = await citizen("wangwu")
    for ref in (settled, pending):
        with pytest.raises(HubError) as hidden:
            await result_pdf(ctx, actor(other, "en"), ref)
        assert hidden.value.kind == "not_found"
