"""Personal answers left in clear at rest (filed before their field was marked personal) are sealed
by ``qinqing data-key seal-answers``: in requests and supplements, each recorded in the request's
trail; what was sealed already, what is not personal and anonymised requests are left alone; the
answers read back the same; running it again changes nothing."""

from __future__ import annotations

import datetime as dt
import json

from forms.catalog import load_catalog
from forms.samples import example_answers
from hub import sealing
from hub.audit import verify_chain
from hub.db.records import load_json
from hub.db.tables import Account, AuditEvent, ServiceRequest, Supplement
from hub.requests.resealing import seal_personal_answers

AT = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
CATALOG = load_catalog()
SPEC = CATALOG.latest("elderly-care-allowance")


async def stored(answers: dict, n: int, anonymised: bool = False) -> int:
    [account] = await Account.insert(
        Account(username=f"citizen{n}", full_name="", role="citizen", password_hash="x", created_at=AT)
    ).returning(Account.id)
    [row] = await ServiceRequest.insert(
        ServiceRequest(
            ref=f"QQ2612030000{n:04d}",
            workflow_id=f"request-{n}",
            service_id=SPEC.id,
            service_version=SPEC.version,
            applicant=account["id"],
            idempotency_scope=f"{account['id']}:{n}",
            payload_hash="",
            state="approved" if anonymised else "in_review",
            answers=json.dumps(answers, ensure_ascii=False),
            rule_results="[]",
            locale="zh_CN",
            created_at=AT,
            updated_at=AT,
            anonymised_at=AT if anonymised else None,
        )
    ).returning(ServiceRequest.id)
    return row["id"]


async def answers_of(table, row_id: int) -> dict:
    row = await table.select(table.answers).where(table.id == row_id).first()
    return load_json(row["answers"])


async def test_answers_in_clear_are_sealed_once_and_read_back_the_same(database, tmp_path, monkeypatch):
    monkeypatch.setattr(sealing, "_keys", sealing.DataKeys(tmp_path / "data-keys"))
    clear = example_answers(SPEC)
    # Filed before the fields were personal: all in clear.
    old = await stored(clear, 1)
    await Supplement.insert(
        Supplement(token="s1", request=old, answers=json.dumps({"phone": "13900139000"}), created_at=AT)
    )
    # Filed since: sealed as filing seals them.
    new = await stored(sealing.seal_answers(SPEC.personal_fields, clear), 2)
    sealed_before = await answers_of(ServiceRequest, new)
    # Anonymised: its personal answers were removed, and nothing comes back.
    gone = await stored({"hukou_local": True}, 3, anonymised=True)

    report = await seal_personal_answers(CATALOG)
    assert (report.checked, report.requests, report.supplements) == (2, 1, 1)

    now_stored = await answers_of(ServiceRequest, old)
    for name in ("phone", "address", "bank_account"):
        assert sealing.is_sealed(now_stored[name]), name
        assert clear[name] not in json.dumps(now_stored, ensure_ascii=False)
    assert now_stored["hukou_local"] is True and now_stored["living_arrangement"] == "alone"  # not personal
    assert sealing.open_answers(SPEC.personal_fields, now_stored) == clear
    supplement = await Supplement.select(Supplement.answers).where(Supplement.token == "s1").first()
    assert sealing.is_sealed(load_json(supplement["answers"])["phone"])
    assert await answers_of(ServiceRequest, new) == sealed_before
    assert await answers_of(ServiceRequest, gone) == {"hukou_local": True}

    # Each change is in the request's trail, naming the fields, never their values.
    events = await AuditEvent.select(AuditEvent.object_type, AuditEvent.request_ref, AuditEvent.detail).where(
        AuditEvent.action == "personal_data.sealed"
    )
    assert sorted((e["object_type"], e["request_ref"]) for e in events) == [
        ("request", "QQ26120300000001"),
        ("supplement", "QQ26120300000001"),
    ]
    request_event = next(e for e in events if e["object_type"] == "request")
    assert load_json(request_event["detail"])["fields"] == ["address", "bank_account", "phone"]
    assert "13800138000" not in json.dumps([load_json(e["detail"]) for e in events])
    assert (await verify_chain()).intact

    again = await seal_personal_answers(CATALOG)
    assert (again.checked, again.requests, again.supplements) == (2, 0, 0)
